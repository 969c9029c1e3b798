"""The exercises of the programme as session plans: sets, reps, rests, and the variability of real athletes.

Each plan is a function ``plan(session, **options)``; its keyword arguments with their defaults are the
options :func:`imu_app.sim.simulate` accepts for that exercise.

References
----------
Hobara H, Kimura K, Omuro K, et al. (2008). Determinants of difference in leg stiffness between endurance-
and power-trained athletes. J Biomech 41(3):506-514. doi:10.1016/j.jbiomech.2007.10.014
(in-place hopping at 1.5 and 3.0 Hz: power-trained athletes hop with stiffer legs than distance runners.)
Farley CT, Blickhan R, Saito J, Taylor CR (1991). Hopping frequency in humans: a test of how springs set
stride frequency in bouncing gaits. J Appl Physiol 71(6):2127-2132. doi:10.1152/jappl.1991.71.6.2127
Alfredson H, Pietila T, Jonsson P, Lorentzon R (1998). Heavy-load eccentric calf muscle training for the
treatment of chronic Achilles tendinosis. Am J Sports Med 26(3):360-366. doi:10.1177/03635465980260030301
Bobbert MF, Huijing PA, van Ingen Schenau GJ (1987). Drop jumping. I. The influence of jumping technique on
the biomechanics of jumping. Med Sci Sports Exerc 19(4):332-338.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from imu_app.core import CATALOGUE, ContactRole, HoldEnd, Knee, Leg, SetKind, SimulationError
from imu_app.sim._session import DEG, THETA_STAND, CalfRepStyle, Flight, G, Session

__all__ = ["PLANS", "options_of"]

LEGS = tuple(Leg)


# ---------------------------------------------------------------------------------------------- helpers
def _range(name: str, value: Any, lo: float, hi: float) -> tuple[float, float]:
    """A ``(min, max)`` option (a single number means a fixed value); checked against plausible limits."""
    if isinstance(value, int | float):
        pair = (float(value), float(value))
    else:
        try:
            a, b = value
            pair = (float(a), float(b))
        except (TypeError, ValueError) as exc:
            raise SimulationError(f"{name} must be a number or a (min, max) pair, got {value!r}") from exc
    if pair[0] > pair[1]:
        raise SimulationError(f"{name}: min {pair[0]:g} is greater than max {pair[1]:g}")
    if pair[0] < lo or pair[1] > hi:
        raise SimulationError(f"{name} must lie within {lo:g}..{hi:g}, got {pair[0]:g}..{pair[1]:g}")
    return pair


def _count(name: str, value: Any, lo: int, hi: int) -> tuple[int, int]:
    a, b = _range(name, value, lo, hi)
    if a != int(a) or b != int(b):
        raise SimulationError(f"{name} must be whole numbers, got {value!r}")
    return int(a), int(b)


def _draw_count(rng: np.random.Generator, pair: tuple[int, int]) -> int:
    return int(rng.integers(pair[0], pair[1] + 1))


def _positive(name: str, value: Any, lo: float = 0.0, hi: float = 3600.0) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise SimulationError(f"{name} must be a number, got {value!r}") from exc
    if not lo <= v <= hi:
        raise SimulationError(f"{name} must lie within {lo:g}..{hi:g}, got {v:g}")
    return v


def _leg(value: Any) -> str:
    if value not in LEGS:
        raise SimulationError(f"leg must be one of {LEGS}, got {value!r}")
    return str(value)


def _series(
    rng: np.random.Generator, n: int, bounds: tuple[float, float], drift: float, cv: float = 0.04
) -> np.ndarray:
    """Values for ``n`` consecutive reps: a set mean within ``bounds``, a fatigue drift across the set
    (``drift`` = relative change from first to last rep) and rep-to-rep scatter of ``cv``; clipped to bounds.
    """
    lo, hi = bounds
    mean = rng.uniform(lo, lo + 0.6 * (hi - lo)) if hi > lo else lo
    trend = 1.0 + drift * (np.arange(n) / max(n - 1, 1) - 0.5)
    return np.clip(mean * trend * (1.0 + cv * rng.standard_normal(n)), lo, hi)


def _hop_flights(
    rng: np.random.Generator, n: int, contact_ms: tuple[float, float], flight_ms: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    # Fatigue lengthens contacts and shortens flights over a set.
    return _series(rng, n, contact_ms, drift=0.08) / 1000.0, _series(rng, n, flight_ms, drift=-0.08) / 1000.0


def _hop_bout(
    s: Session,
    contacts_s: np.ndarray,
    flights_s: np.ndarray,
    *,
    role: str | None = None,
    dx_m: float = 0.0,
    lateral_m: float = 0.0,
    end: str = "stand",
    first_from_stance: bool = True,
) -> None:
    """Hops: ``len(flights_s)`` flights with the contacts between them; ends by landing into standing."""
    n = len(flights_s)
    rng = s.rng

    def flight(i: int) -> Flight:
        dy = lateral_m * (1 if i % 2 == 0 else -1)
        return Flight(
            duration_s=float(flights_s[i]),
            dx_m=dx_m,
            dy_m=dy,
            reach_mps=float(rng.uniform(0.15, 0.35)),
        )

    fl = flight(0)
    if first_from_stance:
        s.push_off(fl)
    for i in range(n):
        phi_land = None
        if lateral_m:
            phi_land = (1 if i % 2 == 0 else -1) * 8 * DEG
        s.fly(fl, theta_landing=float(rng.uniform(0.0, 4.0)) * DEG, phi_landing=phi_land)
        if i == n - 1:
            if end == "stand":
                s.land_stand()
            return
        nxt = flight(i + 1)
        s.bounce(float(contacts_s[i]), nxt, role=role, dtheta=float(rng.uniform(9.0, 15.0)) * DEG)
        fl = nxt


# ---------------------------------------------------------------------------------------------- hops
def pogo_hops(
    s: Session,
    *,
    n_sets: int = 3,
    reps: int | tuple[int, int] = (15, 20),
    rest_s: float = 60.0,
    contact_time_ms: tuple[float, float] = (170.0, 260.0),
    flight_time_ms: tuple[float, float] = (260.0, 380.0),
    lead_in_s: float = 3.0,
) -> None:
    """Single-leg hops on the spot, as high as possible, sets of 15-20 with 60 s standing rest.

    ``reps`` counts hops (flights) per set; every landing but the last is a reactive contact.
    """
    n_sets = int(_positive("n_sets", n_sets, 1, 20))
    reps_pair = _count("reps", reps, 1, 100)
    rest = _positive("rest_s", rest_s, 0.0, 600.0)
    ct = _range("contact_time_ms", contact_time_ms, 80.0, 600.0)
    ft = _range("flight_time_ms", flight_time_ms, 80.0, 800.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    for k in range(n_sets):
        n = _draw_count(s.rng, reps_pair)
        contacts, flights = _hop_flights(s.rng, n, ct, ft)
        s.weight_shift(single=True, duration_s=0.5)
        s.stand(float(s.rng.uniform(0.6, 1.2)))
        s.begin_set()
        _hop_bout(s, contacts, flights)
        s.end_set(SetKind.HOPS)
        if k < n_sets - 1:
            s.stand(rest)


def lateral_hops(
    s: Session,
    *,
    n_sets: int = 1,
    reps: int | tuple[int, int] = 5,
    rest_s: float = 60.0,
    distance_m: tuple[float, float] = (0.3, 0.5),
    contact_time_ms: tuple[float, float] = (180.0, 300.0),
    flight_time_ms: tuple[float, float] = (250.0, 350.0),
    lead_in_s: float = 3.0,
) -> None:
    """Single-leg hops side to side over ``distance_m``; the shank tilts into each landing."""
    n_sets = int(_positive("n_sets", n_sets, 1, 20))
    reps_pair = _count("reps", reps, 1, 100)
    rest = _positive("rest_s", rest_s, 0.0, 600.0)
    dist = _range("distance_m", distance_m, 0.05, 1.5)
    ct = _range("contact_time_ms", contact_time_ms, 80.0, 600.0)
    ft = _range("flight_time_ms", flight_time_ms, 80.0, 800.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    for k in range(n_sets):
        n = _draw_count(s.rng, reps_pair)
        contacts, flights = _hop_flights(s.rng, n, ct, ft)
        s.weight_shift(single=True, duration_s=0.5)
        s.stand(0.8)
        s.begin_set()
        _hop_bout(s, contacts, flights, lateral_m=float(s.rng.uniform(*dist)))
        s.end_set(SetKind.HOPS)
        if k < n_sets - 1:
            s.stand(rest)


def _hold_end(s: Session, hold_s: float, failure: str | None) -> None:
    """Hold on one leg for ``hold_s`` then end as ``failure`` says (None: other foot down as asked)."""
    if failure is None:
        s.stand(hold_s)
        s.other_foot_down()
    elif failure == HoldEnd.OTHER_FOOT:
        s.stand(hold_s * float(s.rng.uniform(0.3, 0.7)))
        s.other_foot_down()
    elif failure == HoldEnd.STUMBLE:
        s.stand(hold_s * float(s.rng.uniform(0.3, 0.7)))
        s.stumble()
    elif failure == HoldEnd.HOP:
        # A corrective hop: a small, quick hop to regain balance, then the other foot down.
        s.stand(hold_s * float(s.rng.uniform(0.3, 0.7)))
        fl = Flight(duration_s=float(s.rng.uniform(0.12, 0.18)), dx_m=0.05, reach_mps=0.1)
        s.push_off(fl, duration_s=0.25)
        s.fly(fl)
        s.land_hold(hold_target_s=0.0, settle_s=0.25)
        s.stand(float(s.rng.uniform(0.8, 1.5)))
        s.other_foot_down()
    else:
        raise AssertionError(failure)


def _failures(s: Session, n: int, hold_failure: Any) -> list[str | None]:
    """Which of ``n`` holds fail, and how (``hold_failure``: a count, or a list of endings)."""
    kinds = (HoldEnd.OTHER_FOOT, HoldEnd.HOP, HoldEnd.STUMBLE)
    if isinstance(hold_failure, bool) or hold_failure is None:
        count = 1 if hold_failure else 0
        chosen: list[str] = [kinds[int(s.rng.integers(3))] for _ in range(count)]
    elif isinstance(hold_failure, int):
        if not 0 <= hold_failure <= n:
            raise SimulationError(f"hold_failure must be 0..{n} (the number of holds), got {hold_failure}")
        chosen = [kinds[i % 3] for i in range(hold_failure)]
    else:
        chosen = list(hold_failure)
        bad = [k for k in chosen if k not in kinds]
        if bad or len(chosen) > n:
            raise SimulationError(f"hold_failure as a list takes up to {n} of {kinds}, got {hold_failure!r}")
    out: list[str | None] = [None] * n
    where = s.rng.choice(n, size=len(chosen), replace=False) if chosen else []
    for i, k in zip(where, chosen, strict=True):
        out[int(i)] = k
    return out


def forward_hop_hold(
    s: Session,
    *,
    reps: int = 5,
    hold_s: float = 5.0,
    hold_failure: int | bool | list[str] = 0,
    distance_m: tuple[float, float] = (0.8, 1.5),
    flight_time_ms: tuple[float, float] = (300.0, 450.0),
    rest_s: tuple[float, float] = (4.0, 8.0),
    lead_in_s: float = 3.0,
) -> None:
    """Hop forward as far as possible from one leg, land on the same leg, hold 5 s, other foot down.

    ``hold_failure`` makes some holds end early (a count cycles other_foot, hop, stumble; or name them).
    """
    n = int(_positive("reps", reps, 1, 50))
    hold = _positive("hold_s", hold_s, 0.5, 60.0)
    dist = _range("distance_m", distance_m, 0.1, 3.0)
    ft = _range("flight_time_ms", flight_time_ms, 100.0, 800.0)
    rest = _range("rest_s", rest_s, 0.5, 600.0)
    fails = _failures(s, n, hold_failure)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    s.begin_set()
    for i in range(n):
        s.weight_shift(single=True, duration_s=0.5)
        s.stand(float(s.rng.uniform(0.8, 1.5)))
        fl = Flight(
            duration_s=float(s.rng.uniform(*ft)) / 1000.0,
            dx_m=float(s.rng.uniform(*dist)),
            reach_mps=float(s.rng.uniform(0.2, 0.4)),
        )
        s.push_off(fl, duration_s=float(s.rng.uniform(0.35, 0.5)))
        s.fly(fl)
        s.land_hold(hold_target_s=hold)
        _hold_end(s, hold - 0.3, fails[i])
        if i < n - 1:
            s.stand(float(s.rng.uniform(*rest)))
    s.end_set(SetKind.LANDINGS)


def leap_and_hop(
    s: Session,
    *,
    reps: int = 1,
    hops: int = 8,
    balance_s: tuple[float, float] = (1.5, 3.0),
    leap_distance_m: tuple[float, float] = (0.8, 1.4),
    contact_time_ms: tuple[float, float] = (170.0, 260.0),
    flight_time_ms: tuple[float, float] = (260.0, 380.0),
    rest_s: tuple[float, float] = (5.0, 10.0),
    lead_in_s: float = 3.0,
) -> None:
    """Two-foot leap forward, land on one leg and find balance, then ``hops`` hops on the spot, then drop
    to both feet. The leap's landing has role ``"leap_landing"``, the hops ``"hop"``."""
    n = int(_positive("reps", reps, 1, 50))
    n_hops = int(_positive("hops", hops, 1, 50))
    bal = _range("balance_s", balance_s, 0.3, 30.0)
    dist = _range("leap_distance_m", leap_distance_m, 0.1, 3.0)
    ct = _range("contact_time_ms", contact_time_ms, 80.0, 600.0)
    ft = _range("flight_time_ms", flight_time_ms, 80.0, 800.0)
    rest = _range("rest_s", rest_s, 0.5, 600.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    # Repeats with a short reset between them are one set ("repeat 8 times forward").
    s.begin_set()
    for i in range(n):
        leap = Flight(
            duration_s=float(s.rng.uniform(0.35, 0.45)),
            dx_m=float(s.rng.uniform(*dist)),
            reach_mps=float(s.rng.uniform(0.2, 0.4)),
        )
        # Both feet push: the instrumented foot's stance before the leap is not a landing.
        s.push_off(leap, duration_s=0.45)
        s.fly(leap)
        s.land_hold(hold_target_s=float(s.rng.uniform(*bal)), role=ContactRole.LEAP_LANDING)
        s.stand(float(s.rng.uniform(*bal)))
        contacts, flights = _hop_flights(s.rng, n_hops, ct, ft)
        first = Flight(duration_s=float(flights[0]), reach_mps=0.25)
        s.push_off(first)
        _hop_bout(s, contacts, flights, role=ContactRole.HOP, first_from_stance=False)
        if i < n - 1:
            s.stand(float(s.rng.uniform(*rest)))
    s.end_set(SetKind.HOPS)


def step_hop(
    s: Session,
    *,
    reps: int = 3,
    platform_m: float = 0.12,
    balance_s: tuple[float, float] = (0.8, 1.5),
    distance_m: tuple[float, float] = (0.8, 1.3),
    fast_contact_time_ms: tuple[float, float] = (130.0, 190.0),
    fast_flight_time_ms: tuple[float, float] = (150.0, 230.0),
    rest_s: tuple[float, float] = (3.0, 5.0),
    lead_in_s: float = 3.0,
) -> None:
    """Hop onto a ~12 cm platform, regain balance, hop off as far as possible, then 3 short fast hops.

    Roles: ``"platform"`` for the landing on the platform (a shorter hold, ended by the hop off), the
    landing after the hop off and the fast hops ``"fast_hop"``."""
    n = int(_positive("reps", reps, 1, 50))
    platform = _positive("platform_m", platform_m, 0.0, 0.6)
    bal = _range("balance_s", balance_s, 0.2, 30.0)
    dist = _range("distance_m", distance_m, 0.1, 3.0)
    ct = _range("fast_contact_time_ms", fast_contact_time_ms, 80.0, 600.0)
    ft = _range("fast_flight_time_ms", fast_flight_time_ms, 80.0, 800.0)
    rest = _range("rest_s", rest_s, 0.5, 600.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    # The reps, each followed by a jog back, make one set ("repeat for 1 min"); longer rests split sets.
    s.begin_set()
    for i in range(n):
        s.weight_shift(single=True, duration_s=0.4)
        s.stand(0.5)
        up = Flight(duration_s=float(s.rng.uniform(0.3, 0.38)), dz_m=platform, dx_m=0.4, reach_mps=0.2)
        s.push_off(up)
        s.fly(up)
        s.land_hold(hold_target_s=float(bal[0]), role=ContactRole.PLATFORM, settle_s=0.25)
        s.stand(float(s.rng.uniform(*bal)))
        off = Flight(
            duration_s=float(s.rng.uniform(0.4, 0.5)),
            dz_m=-platform,
            dx_m=float(s.rng.uniform(*dist)),
            reach_mps=0.3,
        )
        s.push_off(off, duration_s=0.4)
        s.fly(off)
        contacts, flights = _hop_flights(s.rng, 4, ct, ft)
        nxt = Flight(duration_s=float(flights[0]), dx_m=0.3, reach_mps=0.15)
        s.bounce(float(contacts[0]) + 0.05, nxt, role=ContactRole.FAST_HOP)
        fl = nxt
        for k in range(1, 3):
            s.fly(fl)
            nxt = Flight(duration_s=float(flights[k]), dx_m=0.3, reach_mps=0.15)
            s.bounce(float(contacts[k]), nxt, role=ContactRole.FAST_HOP)
            fl = nxt
        s.fly(fl)
        s.land_stand()
        if i < n - 1:
            s.stand(float(s.rng.uniform(*rest)))
            s.x.hold(s.t)
    s.end_set(SetKind.HOPS)


def drop_jump(
    s: Session,
    *,
    reps: int = 3,
    box_height_m: float = 0.3,
    contact_time_ms: tuple[float, float] = (180.0, 280.0),
    flight_time_ms: tuple[float, float] = (400.0, 550.0),
    rest_s: tuple[float, float] = (15.0, 30.0),
    lead_in_s: float = 3.0,
) -> None:
    """Step off a box of ``box_height_m``, land, rebound as high as possible (role ``"rebound"``), land.

    The drop's touch-down speed is ``sqrt(2 g h)`` (2.4 m/s from 30 cm); the rebound's contact time and
    flight give the reactive strength index. The rebound is the bounce drop jump of Bobbert et al. (1987): the
    landing is reversed into take-off as soon as possible."""
    n = int(_positive("reps", reps, 1, 50))
    box = _positive("box_height_m", box_height_m, 0.05, 1.2)
    ct = _range("contact_time_ms", contact_time_ms, 80.0, 800.0)
    ft = _range("flight_time_ms", flight_time_ms, 100.0, 1000.0)
    rest = _range("rest_s", rest_s, 0.5, 600.0)
    s.ground_m = box
    s.zb.hold(s.t)
    s.zb.to(s.t + 0.01, box + s.zb.p)
    s.zb.hold(s.t + 0.02)
    s.t += 0.02
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    # The trials form one set: the walk back and the climb onto the box are the pause between trials, the
    # programme's rest between sets is longer.
    s.begin_set()
    for i in range(n):
        # Stepping off: the foot leaves the box without a push and the body falls the box height.
        drop = s.step_off(box, dx_m=0.3, reach_mps=0.3)
        s.fly(drop)
        s.ground_m = 0.0
        rebound = Flight(duration_s=float(s.rng.uniform(*ft)) / 1000.0, reach_mps=0.25)
        s.bounce(float(s.rng.uniform(*ct)) / 1000.0, rebound, role=ContactRole.REBOUND)
        s.fly(rebound)
        s.land_stand()
        if i < n - 1:
            # Walk back and climb onto the box (not simulated step by step: the athlete is still).
            s.stand(float(s.rng.uniform(*rest)) / 2)
            t0 = s.t
            s.zb.to(t0 + 1.0, box + s.zb.p)
            s.x.to(t0 + 1.0, 0.0)
            s.t = t0 + 1.0
            s.ground_m = box
            s.stand(float(s.rng.uniform(*rest)) / 2)
    s.end_set(SetKind.HOPS)


def squat_drop(
    s: Session,
    *,
    reps: int = 5,
    hold_s: float = 3.0,
    drop_height_m: tuple[float, float] = (0.08, 0.15),
    hold_failure: int | bool | list[str] = 0,
    rest_s: tuple[float, float] = (3.0, 6.0),
    lead_in_s: float = 3.0,
) -> None:
    """Standing tall, rise onto the toes and drop quickly into a landing on the leg, hold, foot down."""
    n = int(_positive("reps", reps, 1, 50))
    hold = _positive("hold_s", hold_s, 0.5, 60.0)
    drop_h = _range("drop_height_m", drop_height_m, 0.01, 0.5)
    rest = _range("rest_s", rest_s, 0.5, 600.0)
    fails = _failures(s, n, hold_failure)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    s.begin_set()
    for i in range(n):
        s.weight_shift(single=True, duration_s=0.4)
        h = float(s.rng.uniform(*drop_h))
        fl = Flight(duration_s=2 * math.sqrt(2 * h / G), reach_mps=0.2)
        s.push_off(fl, duration_s=0.5)
        s.fly(fl)
        s.land_hold(hold_target_s=hold, settle_s=0.35)
        _hold_end(s, hold - 0.35, fails[i])
        if i < n - 1:
            s.stand(float(s.rng.uniform(*rest)))
    s.end_set(SetKind.LANDINGS)


# ---------------------------------------------------------------------------------------------- calf raises
#: Foot rate at the heel strike, as a share of the lowering's mean rate (a lowering onto the floor).
STRIKE_SHARE = (0.25, 0.6)
#: Lowerings slower than this (s) set the heel down more softly, in proportion to their speed.
QUICK_LOWERING_S = 0.5
#: Duration of the heel pad's arrest of the strike (s).
STRIKE_S = (0.025, 0.04)
#: Lowerings at least this long (s) are controlled enough to stop short of the floor now and then.
SLOW_LOWERING_S = 0.8
#: External rotation (deg) and frontal tilt (deg, either side) of the shank at the top of a full rep.
TWIST_DEG = (1.0, 4.0)
ROLL_DEG = (0.5, 2.0)
#: Frontal sway of balancing on the forefoot in a rep: amplitude (deg) and frequency (Hz).
WOBBLE_DEG = (0.2, 0.6)
WOBBLE_HZ = (1.0, 2.5)


def _calf_set(
    s: Session,
    n: int,
    *,
    tempo: tuple[float, float, float, float],
    beta_top: tuple[float, float],
    beta_bottom: tuple[float, float],
    knees: list[str],
    partial: set[int],
    other_foot: bool,
    on_floor: bool,
) -> None:
    """One set of calf raises. A heel that hangs below a step comes down a little differently every rep;
    one on flat ground (``on_floor``) comes down onto the floor, with a heel strike, or after a slow
    lowering sometimes stops short of it, never below.

    Notes
    -----
    What real reps show beyond a clean rise and lowering (:class:`~imu_app.sim._session.CalfRepStyle`):

    * The heel strike. A lowering onto the floor ends with the heel still moving; a shank sensor reads a
      short transient of 1.3-1.4 g in real heel raises at about a second per rep. The foot's rate at the
      strike is :data:`STRIKE_SHARE` of the lowering's mean rate, which makes 0.3-0.5 g above 1 g for
      lowerings of about half a second; a slower, controlled lowering also keeps a smaller share
      (:data:`QUICK_LOWERING_S`), so its heel comes down softly.
    * The shank's rotation with the rise: the heel rise inverts the rearfoot, which turns the tibia
      externally by a few degrees, and the shank tilts a little in the frontal plane; balancing on the
      forefoot of one leg adds frontal sway (a burst of :data:`WOBBLE_DEG` at :data:`WOBBLE_HZ`).
      With the sagittal tilt of the rise (2-4 deg straight, 5-8 deg bent knee), a rise of about 0.4 s
      turns the shank at up to 25 deg/s, as real shank sensors read.
    * Tempo: heel-raise tests are done at about one rep per 1-3 s (often to a metronome at 30 reps a
      minute) through a plantarflexion range of about 20-35 deg [1]_; ``tempo`` chooses it, e.g.
      ``(0.45, 0.0, 0.45, 0.25)`` for the fast reps of a test to fatigue.

    References
    ----------
    .. [1] Hébert-Losier K, Newsham-West RJ, Schneiders AG, Sullivan SJ (2009). Raising the standards of
       the calf-raise test: a systematic review. J Sci Med Sport 12(6):594-602.
       doi:10.1016/j.jsams.2008.12.628
    """
    rng = s.rng
    full = float(rng.uniform(*beta_top))
    bottom = float(rng.uniform(*beta_bottom))
    # The athlete's own way of turning the shank with the rise, the same all set.
    twist = float(rng.uniform(*TWIST_DEG)) * DEG
    roll = float(rng.choice((-1.0, 1.0)) * rng.uniform(*ROLL_DEG)) * DEG
    # The knee goes back to the same bend for every bent-knee rep of a set (sway varies it, not a
    # deliberate adjustment between reps).
    bent = float(rng.uniform(15.0, 22.0)) * DEG
    s.begin_set()
    for i in range(n):
        knee = knees[i]
        theta_base = THETA_STAND if knee == Knee.STRAIGHT else bent
        tilt = float(rng.uniform(2.0, 4.0) if knee == Knee.STRAIGHT else rng.uniform(5.0, 8.0)) * DEG
        if abs(s.th.p - theta_base) > 1 * DEG:
            # Knee bend or straighten during the bottom pause of the previous rep (or before the first).
            s.set_posture(theta=theta_base, beta=s.beta.p, duration_s=0.6)
        jitter = 1.0 + 0.05 * rng.standard_normal(4)
        tem = tuple(max(t * j, 0.0) if t > 0 else 0.0 for t, j in zip(tempo, jitter, strict=True))
        b_top = full * (1.0 + 0.04 * rng.standard_normal())
        if i in partial:
            b_top = bottom + (b_top - bottom) * float(rng.uniform(0.15, 0.32))
            tilt *= 0.3
        lowest = bottom + 0.03 * rng.standard_normal()
        if on_floor:
            # A quick lowering always comes down onto the floor; a slow one may stop short of it.
            lowest = 0.0 if tem[2] < SLOW_LOWERING_S else max(lowest, 0.0)
        share = (b_top - lowest) / max(full - bottom, 1e-9)
        strike = 0.0
        if on_floor and lowest == 0.0:
            # A slower lowering is a controlled one, which sets the heel down more softly still.
            soften = min(1.0, QUICK_LOWERING_S / tem[2])
            strike = float(rng.uniform(*STRIKE_SHARE)) * soften * (b_top - lowest) / DEG / tem[2]
        style = CalfRepStyle(
            strike_dps=strike,
            strike_s=float(rng.uniform(*STRIKE_S)),
            twist_rad=twist * share,
            roll_rad=roll * share,
            wobble_rad=float(rng.uniform(*WOBBLE_DEG)) * DEG,
            wobble_hz=float(rng.uniform(*WOBBLE_HZ)),
        )
        s.calf_rep(
            tempo_s=tem,  # type: ignore[arg-type]
            beta_top=b_top,
            beta_bottom=lowest,
            theta_base=theta_base,
            theta_tilt=tilt,
            knee=knee,
            partial=i in partial,
            other_foot_at_end=other_foot,
            heel=style,
        )
    s.end_set(SetKind.CALF_RAISES)


def _knees(knee: str, n: int) -> list[str]:
    if knee not in ("straight", "bent", "alternate"):
        raise SimulationError(f"knee must be 'straight', 'bent' or 'alternate', got {knee!r}")
    if knee == "alternate":
        return [Knee.STRAIGHT if i % 2 == 0 else Knee.BENT for i in range(n)]
    return [Knee(knee)] * n


def _tempo(value: Any) -> tuple[float, float, float, float]:
    try:
        t = tuple(float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise SimulationError(
            f"tempo must be four seconds (rise, top, lower, bottom), got {value!r}"
        ) from exc
    if len(t) != 4 or t[0] <= 0.15 or t[2] <= 0.15 or min(t) < 0 or max(t) > 30:
        raise SimulationError(
            "tempo must be (rise, top hold, lower, bottom pause) seconds, rise and lower 0.15-30 s, "
            f"got {value!r}"
        )
    return t  # type: ignore[return-value]


def eccentric_calf_raise(
    s: Session,
    *,
    n_sets: int = 1,
    reps: int | tuple[int, int] = (10, 15),
    tempo: tuple[float, float, float, float] = CATALOGUE["eccentric_calf_raise"].tempo_s,  # type: ignore[assignment]
    knee: str = "alternate",
    partial_reps: int = 0,
    rest_s: float = 60.0,
    lead_in_s: float = 3.0,
) -> None:
    """On a step: rise on both feet, lift the other leg, lower slowly below step level, hold at the
    bottom, other foot down, rise again (Alfredson et al. 1998). Straight and bent knee alternate."""
    n_sets = int(_positive("n_sets", n_sets, 1, 20))
    reps_pair = _count("reps", reps, 1, 100)
    tem = _tempo(tempo)
    n_partial = int(_positive("partial_reps", partial_reps, 0, 50))
    rest = _positive("rest_s", rest_s, 0.0, 600.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    for k in range(n_sets):
        n = _draw_count(s.rng, reps_pair) + n_partial
        partial = set(
            int(i) for i in s.rng.choice(np.arange(1, n), size=min(n_partial, n - 1), replace=False)
        )
        _calf_set(
            s,
            n,
            tempo=tem,
            beta_top=(25.0 * DEG, 32.0 * DEG),
            beta_bottom=(-18.0 * DEG, -10.0 * DEG),
            knees=_knees(knee, n),
            partial=partial,
            other_foot=True,
            on_floor=False,
        )
        s.set_posture(theta=THETA_STAND, beta=0.0, duration_s=1.0)
        if k < n_sets - 1:
            s.stand(rest)


def single_leg_calf_raise(
    s: Session,
    *,
    n_sets: int = 3,
    reps: int | tuple[int, int] = (15, 20),
    tempo: tuple[float, float, float, float] = (0.8, 0.2, 0.8, 0.3),
    knee: str = "bent",
    partial_reps: int = 0,
    rest_s: float = 60.0,
    lead_in_s: float = 3.0,
) -> None:
    """Single-leg calf raises from flat onto the balls of the foot and back, 3 x 15-20, 60 s rest."""
    n_sets = int(_positive("n_sets", n_sets, 1, 20))
    reps_pair = _count("reps", reps, 1, 100)
    tem = _tempo(tempo)
    n_partial = int(_positive("partial_reps", partial_reps, 0, 50))
    rest = _positive("rest_s", rest_s, 0.0, 600.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    for k in range(n_sets):
        n = _draw_count(s.rng, reps_pair) + n_partial
        partial = set(
            int(i) for i in s.rng.choice(np.arange(1, n), size=min(n_partial, n - 1), replace=False)
        )
        s.weight_shift(single=True, duration_s=0.5)
        _calf_set(
            s,
            n,
            tempo=tem,
            beta_top=(28.0 * DEG, 38.0 * DEG),
            beta_bottom=(0.0, 0.0),
            knees=_knees(knee, n),
            partial=partial,
            other_foot=False,
            on_floor=True,
        )
        s.set_posture(theta=THETA_STAND, beta=0.0, duration_s=0.8)
        s.weight_shift(single=False, duration_s=0.4)
        if k < n_sets - 1:
            s.stand(rest)


# ---------------------------------------------------------------------------------------------- gait
def walking(
    s: Session,
    *,
    speed_mps: float | tuple[float, float] = (1.2, 1.5),
    duration_s: float = 30.0,
    n_sets: int = 1,
    rest_s: float = 20.0,
    lead_in_s: float = 3.0,
) -> None:
    """Walking at ``speed_mps``: stance about 61 % of the gait cycle, cycle time falling with speed
    (about 1.1 s at 1.2 m/s). Each instrumented-foot stance is a contact of kind ``"stride"``.

    References
    ----------
    Perry J, Burnfield JM (2010). Gait Analysis: Normal and Pathological Function, 2nd ed. SLACK.
    """
    _gait(
        s,
        speed_mps=speed_mps,
        duration_s=duration_s,
        n_sets=n_sets,
        rest_s=rest_s,
        lead_in_s=lead_in_s,
        running=False,
        contact_ms=None,
        cadence=None,
    )


def running(
    s: Session,
    *,
    speed_mps: float | tuple[float, float] = (2.8, 3.6),
    duration_s: float = 30.0,
    contact_time_ms: tuple[float, float] = (200.0, 280.0),
    cadence_spm: tuple[float, float] = (160.0, 180.0),
    n_sets: int = 1,
    rest_s: float = 30.0,
    lead_in_s: float = 3.0,
) -> None:
    """Running at ``speed_mps`` with ground contact times of 200-280 ms and 160-180 steps/min, typical of
    recreational runners at 3 m/s (Nummela et al. 2007).

    References
    ----------
    Nummela A, Keränen T, Mikkelsson LO (2007). Factors related to top running speed and economy.
    Int J Sports Med 28(8):655-661. doi:10.1055/s-2007-964896
    """
    ct = _range("contact_time_ms", contact_time_ms, 80.0, 500.0)
    cad = _range("cadence_spm", cadence_spm, 120.0, 230.0)
    _gait(
        s,
        speed_mps=speed_mps,
        duration_s=duration_s,
        n_sets=n_sets,
        rest_s=rest_s,
        lead_in_s=lead_in_s,
        running=True,
        contact_ms=ct,
        cadence=cad,
    )


def _gait(
    s: Session,
    *,
    speed_mps: Any,
    duration_s: Any,
    n_sets: Any,
    rest_s: Any,
    lead_in_s: Any,
    running: bool,
    contact_ms: tuple[float, float] | None,
    cadence: tuple[float, float] | None,
) -> None:
    speed = _range("speed_mps", speed_mps, 2.0, 7.0) if running else _range("speed_mps", speed_mps, 0.3, 2.2)
    dur = _positive("duration_s", duration_s, 2.0, 3600.0)
    sets = int(_positive("n_sets", n_sets, 1, 20))
    rest = _positive("rest_s", rest_s, 0.0, 600.0)
    s.stand(_positive("lead_in_s", lead_in_s, 0.5, 60.0))
    rng = s.rng
    for k in range(sets):
        v = float(rng.uniform(*speed))
        if running:
            assert contact_ms is not None and cadence is not None
            cycle_mean = 120.0 / float(rng.uniform(*cadence))
            n = max(int(dur / cycle_mean), 2)
            cycles = cycle_mean * (1 + 0.015 * rng.standard_normal(n))
            stances = _series(rng, n, contact_ms, drift=0.03, cv=0.03) / 1000.0
        else:
            cycle_mean = 1.1 - 0.25 * (v - 1.2)
            n = max(int(dur / cycle_mean), 2)
            cycles = cycle_mean * (1 + 0.02 * rng.standard_normal(n))
            stances = cycles * rng.uniform(0.60, 0.62, n)
        s.begin_set()
        s.strides(cycles, stances, speed_mps=v, running=running)
        s.end_set(SetKind.STRIDES)
        if k < sets - 1:
            s.stand(rest)


PLANS: dict[str, Callable[..., None]] = {
    "pogo_hops": pogo_hops,
    "lateral_hops": lateral_hops,
    "forward_hop_hold": forward_hop_hold,
    "leap_and_hop": leap_and_hop,
    "step_hop": step_hop,
    "drop_jump": drop_jump,
    "squat_drop": squat_drop,
    "eccentric_calf_raise": eccentric_calf_raise,
    "single_leg_calf_raise": single_leg_calf_raise,
    "walking": walking,
    "running": running,
}


def options_of(exercise: str) -> dict[str, Any]:
    """The options of ``exercise`` and their defaults (``leg`` and ``lead_out_s`` are common to all)."""
    import inspect

    sig = inspect.signature(PLANS[exercise])
    opts = {name: p.default for name, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY}
    opts["leg"] = "right"
    opts["lead_out_s"] = 3.0
    return opts
