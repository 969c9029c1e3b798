"""The leg's own motion in hops: push-off, flight and landing of the foot and shank relative to the body.

A sensor on the foot or shank is not in free fall while the body flies: the knee and ankle flex after
take-off (the foot tucks), the leg reaches for the ground before landing, the foot plantarflexes through
push-off and drops its heel after a forefoot landing. This module adds that motion to a
:class:`~imu_app.sim._session.Session`'s tracks, piece by piece; the body's flight and contacts (and so the
truth of every touch-down and toe-off) are the session's and stay exact.

Magnitudes
----------
* Foot pitch (heel up from flat): 30-45 deg at toe-off, still rising at 500-800 deg/s (the ankle's
  plantarflexion velocity peaks at take-off, about 18 rad/s in spike jumps, Bisseling et al. 2008); it
  peaks 10-20 deg higher early in flight and is back to 15-30 deg at a forefoot touch-down (plantarflexion
  of 35-42 deg at touch-down after 60-cm jumps, Bisseling et al. 2008; less after hops). After touch-down
  the heel drops within 15-30 ms (at the 2.5 m/s of a 30-40 cm drop the forefoot pivots at about
  20 rad/s); the ankle dorsiflexes 12-16 deg past neutral in a deep landing.
* Tuck and reach: the knee flexes after take-off and lifts the foot 3-7 cm towards the body by mid-flight,
  then the leg extends again and meets the ground reaching downward at 0.15-0.4 m/s; the relative
  acceleration of the foot stays at 1-2 g (Bobbert et al. 1987 report knee flexion of 10-30 deg at
  touch-down in drop jumps; the flexion in flight is a similar range).
* Shank: knee flexion in flight turns the shank 15-30 deg (top forward) at up to 300-400 deg/s.
* Toe-off release: as the last support leaves the forefoot the shoe's bent sole and the loaded soft
  tissue spring back: a sharp 2-3-ms pulse of the foot (in real shoe-worn drop jumps a 7-10-g spike at
  take-off; ``benchmarks/bench_realism.py``).

References
----------
Bisseling RW, Hof AL, Bredeweg SW, Zwerver J, Mulder T (2008). Are the take-off and landing phase
dynamics of the volleyball spike jump related to patellar tendinopathy? Br J Sports Med 42(6):483-489.
doi:10.1136/bjsm.2007.044057
Bobbert MF, Huijing PA, van Ingen Schenau GJ (1987). Drop jumping. I. The influence of jumping technique on
the biomechanics of jumping. Med Sci Sports Exerc 19(4):332-338.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from imu_app.sim._motion import Additive, Track

DEG = math.pi / 180.0

#: Channel of the foot's pitch about the ankle in :meth:`imu_app.sim._motion.Motion.evaluate`.
FOOT_CHANNEL = 7
#: Foot pitch at toe-off (rad) and its rate then (rad/s).
TAKEOFF_PITCH = (30.0 * DEG, 45.0 * DEG)
TAKEOFF_RATE = (500.0 * DEG, 800.0 * DEG)
#: Flights at least this long (s) leave the ground at the whole of :data:`TAKEOFF_RATE`; shorter ones at
#: their share of it (the range is that of jumps with flights of 0.3 s and more).
FULL_RATE_FLIGHT_S = 0.3
#: The heel rise of a push-off takes the last this many seconds of the contact (the ankle's plantarflexion
#: is the last joint action of a jump, within the final 100 ms; Bobbert et al. 1987).
HEEL_RISE_S = (0.08, 0.12)
#: Foot pitch at a forefoot touch-down (rad).
LANDING_PITCH = (15.0 * DEG, 30.0 * DEG)
#: The tuck's height relative to the one a steady extension into the reach needs (a higher tuck swings
#: the foot harder).
TUCK_SCALE = (0.7, 1.0)
#: Shank rotation by knee flexion at mid-flight (rad).
SHANK_TUCK = (15.0 * DEG, 30.0 * DEG)
#: Upward acceleration of the ankle relative to the body at toe-off (m/s^2): the foot still rolls over the
#: toes and the leg's extension is not finished as the support force vanishes.
TOEOFF_REL_ACC = (6.0, 14.0)
#: Deceleration of the reach at touch-down (m/s^2): the leg's extension slows as it nears its end.
REACH_BRAKE = (12.0, 18.0)
#: Flights at least this long (s) turn the shank by the whole of :data:`SHANK_TUCK`; shorter ones by the
#: square of their share of it (with the 15-30 deg over half of a 0.4-s flight the shank's angular
#: acceleration stays below about 100 rad/s^2).
FULL_TUCK_FLIGHT_S = 0.4
#: Toe-off release: peak angular acceleration of the foot (rad/s^2) and its time constant (s); sized so that
#: the spike at the shoe reads 5-9 g at 400 Hz, as on the real shoe-worn drop jumps (bench_realism.py).
RELEASE_ACC = (3000.0, 5000.0)
RELEASE_TAU_S = (0.0015, 0.0025)
#: The release comes this long after the support force has gone (s): in the real shoe-worn drop jumps the
#: spike's steep rise begins 6.5-11.3 ms (mean 10) after the force plate's take-off, as the toe leaves
#: last (``benchmarks/bench_dropjump_real.py``). The pulse is the mount's own transient and reaches the
#: sensor unfiltered (``past_mount``), so the magnitude turns steep at the pulse's onset.
RELEASE_DELAY_S = (0.0065, 0.0113)
#: Heel drop after a forefoot landing (s).
HEEL_DROP_S = (0.015, 0.03)
#: Contacts longer than this (s) let the heel reach the floor; shorter, bouncy ones stop it short.
HEEL_STRIKE_CONTACT_S = 0.3
#: Where a heel that stops short of the floor turns back (foot pitch, rad).
HOVER_PITCH = 6.0 * DEG


@dataclass(frozen=True)
class FlightLimb:
    """How the leg moves in one flight (drawn per flight)."""

    tuck_scale: float
    shank_tuck: float
    brake_mps2: float
    pitch_landing: float
    passive: bool


def draw_flight_limb(rng: np.random.Generator, duration_s: float, *, passive: bool = False) -> FlightLimb:
    """A flight's leg motion; ``passive`` for a step off a box (no push, hardly any tuck).

    The shank's turn shrinks with the square of the flight's duration below :data:`FULL_TUCK_FLIGHT_S`:
    the muscles bound the leg's angular acceleration, so a short flight leaves time for a small turn only
    (fast pogo hops are done on nearly straight knees).
    """
    short = min(1.0, (duration_s / FULL_TUCK_FLIGHT_S) ** 2)
    return FlightLimb(
        tuck_scale=float(rng.uniform(*TUCK_SCALE)) * (0.5 if passive else 1.0),
        shank_tuck=float(rng.uniform(*SHANK_TUCK)) * (0.3 if passive else 1.0) * short,
        brake_mps2=float(rng.uniform(*REACH_BRAKE)),
        pitch_landing=float(rng.uniform(*LANDING_PITCH)),
        passive=passive,
    )


def heel_rise_s(rng: np.random.Generator, contact_s: float) -> float:
    """How long before toe-off the heel starts to rise (at most 40 % of the contact)."""
    return min(float(rng.uniform(*HEEL_RISE_S)), 0.4 * contact_s)


def push_off_foot(
    foot: Track, t_heel: float, t_takeoff: float, rng: np.random.Generator, *, flight_s: float
) -> None:
    """Plantarflexion from ``t_heel`` to toe-off: the foot pitches up to the take-off angle, still turning.

    The rate at toe-off scales with the take-off speed, that is with the flight's duration, below
    :data:`FULL_RATE_FLIGHT_S`: the plantarflexion is the last part of the push that gives the body its
    vertical speed, so a short fast hop (half the flight, half the take-off speed) ends with about half the
    ankle velocity of a jump. The foot then spends and reverses that rate within the flight at about the same
    angular acceleration whatever the flight's length (some 200 rad/s^2, as in the real shoe-worn rebounds of
    ``benchmarks/bench_realism.py``), instead of swinging at 3-5 g through a 150-ms hop.
    """
    foot.hold(t_heel)
    share = min(1.0, flight_s / FULL_RATE_FLIGHT_S)
    foot.to(t_takeoff, float(rng.uniform(*TAKEOFF_PITCH)), float(rng.uniform(*TAKEOFF_RATE)) * share, 0.0)


def toe_off_release(t_takeoff: float, rng: np.random.Generator) -> Additive:
    """The pulse of the foot as its last support goes (no lasting offset, zero slope at onset)."""
    tau = float(rng.uniform(*RELEASE_TAU_S))
    amp = float(rng.uniform(*RELEASE_ACC)) * tau * tau / 2.0
    t0 = t_takeoff + float(rng.uniform(*RELEASE_DELAY_S))
    return Additive(channel=FOOT_CHANNEL, t0=t0, kind="pulse", amp=amp, tau=tau, past_mount=True)


def flight_limb(
    *,
    zr: Track,
    theta: Track,
    foot: Track,
    t0: float,
    t1: float,
    reach_mps: float,
    theta_landing: float,
    limb: FlightLimb,
) -> None:
    """Tuck and reach of the ankle relative to the body, knee flexion of the shank, pitch of the foot.

    The relative height goes from the take-off state up to the tuck's apex at 40 % of the flight (3-7 cm for
    hops of 0.2-0.4 s) and back to 0 at touch-down, moving down at ``reach_mps`` and decelerating at
    ``brake_mps2`` over the last tenth. The foot's pitch keeps rising after toe-off until its rate is spent
    (30 % of the flight), then returns to the landing pitch. The shank turns forward by ``shank_tuck`` by
    mid-flight and back to ``theta_landing``.
    """
    dur = t1 - t0
    if limb.passive:
        # A step off a box: no push, so no tuck to recover from. The leg hangs and extends smoothly into
        # the reach, one quintic from the state it left the box in to the touch-down's (the apex-and-descent
        # profile of an active flight, squeezed into a short drop with a lower tuck, would swing the foot at
        # 2-3 g back and forth, which the real shoe-worn drop-ins, at 0.1-0.6 g until the reach, do not).
        zr.to(t1, 0.0, -reach_mps * limb.tuck_scale, limb.brake_mps2 * limb.tuck_scale)
        foot.to(t1, limb.pitch_landing, 0.0, 0.0)
        theta.to(t1, theta_landing, 20.0 * DEG, 0.0)
        return
    t_apex = t0 + 0.4 * dur
    # The last tenth of the flight the extending leg already slows down, at ``brake_mps2``; before that it
    # extends at a steady acceleration from the apex of the tuck, which sets the tuck's height.
    brake_s = 0.1 * dur
    descent_s = t1 - brake_s - t_apex
    v_b = -reach_mps - limb.brake_mps2 * brake_s
    z_b = reach_mps * brake_s + 0.5 * limb.brake_mps2 * brake_s**2
    a_desc = v_b / descent_s
    apex = z_b - 0.5 * v_b * descent_s
    zr.to(t_apex, apex * limb.tuck_scale, 0.0, a_desc)
    zr.to(t1 - brake_s, z_b, v_b, limb.brake_mps2)
    zr.to(t1, 0.0, -reach_mps, limb.brake_mps2)
    t_pitch = t0 + 0.3 * dur
    peak = foot.p + 0.5 * foot.v * (t_pitch - t0)
    foot.to(t_pitch, peak, 0.0, 0.0)
    foot.to(t1, limb.pitch_landing, 0.0, 0.0)
    theta.to(t0 + 0.5 * dur, theta.p + limb.shank_tuck, 0.0, 0.0)
    theta.to(t1, theta_landing, 20.0 * DEG, 0.0)


def heel_drop(
    foot: Track, t0: float, rng: np.random.Generator, *, heel_strike: bool, floor_pitch: float = 0.0
) -> tuple[float, list[Additive]]:
    """After a forefoot touch-down at ``t0`` the heel comes down; returns when it is down and the arrest of
    the foot's rotation at heel strike (none if the heel stops short of the floor, as in bouncy hops)."""
    t_heel = t0 + float(rng.uniform(*HEEL_DROP_S))
    drop = foot.p - floor_pitch
    if not heel_strike:
        foot.to(t_heel + 0.04, floor_pitch + 0.3 * drop, 0.0, 0.0)
        return t_heel + 0.04, []
    # The arrest carries the heel on by 2 tau |w| while it stops it; the heel strike is aimed that much
    # higher so that the foot settles flat.
    tau = float(rng.uniform(0.003, 0.005))
    w_strike = -2.0 * drop / (t_heel - t0 + 4.0 * tau)
    foot.to(t_heel, floor_pitch - 2.0 * tau * w_strike, w_strike, 0.0)
    foot.kick(dv=-w_strike)
    return t_heel, [Additive(channel=FOOT_CHANNEL, t0=t_heel, kind="arrest", amp=-w_strike, tau=tau)]


def toe_off_ankle(zr: Track, t_takeoff: float, rng: np.random.Generator) -> None:
    """The ankle's relative height through the heel rise to toe-off (level with the body, still pulled up)."""
    zr.to(t_takeoff, 0.0, 0.0, float(rng.uniform(*TOEOFF_REL_ACC)))


def plant_ankle(zr: Track, zb: Track, times_s: np.ndarray, level_m: float) -> None:
    """Keep the ankle (body + relative height) at ``level_m`` at ``times_s`` while the foot is flat: the body
    sinks and rises on its knees and hips, the foot on the floor does not move."""
    for t in times_s:
        z, dz, ddz = (float(v[0]) for v in zb.evaluate_derivatives(np.array([t])))
        zr.to(float(t), level_m - z, -dz, -ddz)


def heel_strike_ankle(
    zr: Track, zb: Track, t_heel: float, level_m: float, rng: np.random.Generator
) -> Additive:
    """Bring the ankle down to ``level_m`` at heel strike, still moving down, and arrest it there: the heel's
    impact, the second peak 20-50 ms after a forefoot landing. Returns the arrest (its velocity change)."""
    z, dz, ddz = (float(v[0]) for v in zb.evaluate_derivatives(np.array([t_heel])))
    t_prev = zr.t
    z_ankle = float(zb.evaluate(np.array([t_prev]))[0]) + zr.p
    v_hit = float(np.clip(2.0 * max(z_ankle - level_m, 0.0) / max(t_heel - t_prev, 1e-3), 0.3, 2.5))
    tau = float(rng.uniform(0.003, 0.005))
    zr.to(t_heel, level_m + 2.0 * tau * v_hit - z, -dz - v_hit, -ddz)
    zr.kick(dv=v_hit)
    return Additive(channel=2, t0=t_heel, kind="arrest", amp=v_hit, tau=tau)
