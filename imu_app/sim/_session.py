"""Building blocks of a session: standing, weight shifts, push-offs, flights, contacts, holds, calf raises.

A :class:`Session` moves forward in time, appending segments to the pose tracks and recording the truth of
each event as it creates it (in the motion's own time; the sensor clock is applied afterwards).

Notes
-----
The vertical motion is split into a *body* track (the hop reference point, driven by the ground reaction
force: ballistic in flight, a cubic force profile in contact) and a *relative* track (the ankle's motion
relative to it: the ankle carries only part of the body's vertical excursion in contact, the knee the rest;
in flight the leg tucks and reaches for the ground). Touch-down adds an impact arrest: the foot's velocity
relative to the body is stopped within a few milliseconds, which is the sharp impact peak ankle sensors
record (a bone-mounted tibial accelerometer read resultant peaks of 2.7-3.7 g in walking and up to 10.6 g in
running, Lafortune 1991).

References
----------
Lafortune MA (1991). Three-dimensional acceleration of the tibia during walking and running.
J Biomech 24(10):877-886. doi:10.1016/0021-9290(91)90166-K
Blickhan R (1989). The spring-mass model for running and hopping. J Biomech 22(11-12):1217-1227.
doi:10.1016/0021-9290(89)90224-8
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from imu_app.core import STANDARD_GRAVITY_M_S2
from imu_app.core.stabilisation import balance_end_s, time_to_stabilisation
from imu_app.sim._limb import (
    HEEL_STRIKE_CONTACT_S,
    HOVER_PITCH,
    draw_flight_limb,
    flight_limb,
    heel_drop,
    heel_rise_s,
    heel_strike_ankle,
    plant_ankle,
    push_off_foot,
    toe_off_ankle,
    toe_off_release,
)
from imu_app.sim._motion import Additive, Motion, Sway, Track
from imu_app.sim._sensor import ideal_signals
from imu_app.sim._truth import TruthContact, TruthLanding, TruthRep, TruthSet

G = STANDARD_GRAVITY_M_S2
DEG = math.pi / 180.0

#: Height of the ankle joint centre above the floor, foot flat (lateral malleolus height of adults).
Z_ANKLE_M = 0.085
#: Ankle height on the balls of the feet at touch-down and takeoff of a hop (heel raised about 20 deg).
Z_HOP_M = Z_ANKLE_M + 0.045
#: Shank forward tilt in relaxed standing.
THETA_STAND = 3.0 * DEG
#: Frontal tilt of the stance shank when all the weight is on it (the body's centre of mass moves over it).
PHI_SINGLE = 2.0 * DEG
#: Sway angular-rate RMS of the shank in quiet two-leg standing (deg/s). Centre-of-pressure sway velocity of
#: 5-10 mm/s (Prieto et al. 1996) over a 1 m inverted pendulum is 0.3-0.6 deg/s; the shank adds its own.
SWAY_DOUBLE_DPS = 0.8
#: Sway angular-rate RMS in single-leg stance (deg/s); single-leg CoP velocity is 3-5x that of two legs.
SWAY_SINGLE_DPS = (2.0, 4.0)
#: Sway of each shank angle channel (theta, phi, psi): its share of the sway's angular-rate RMS (the squares
#: add up to one). Sagittal and frontal sway dominate; the heading barely turns.
SWAY_SHARES = {3: 0.70, 4: 0.70, 5: 0.14}
#: Sway is drawn per channel as this many sinusoids whose frequencies spread log-uniformly over
#: ``SWAY_BAND_HZ`` (postural sway and the shank's own corrections lie in 0.1-2.5 Hz).
SWAY_COMPONENTS = 10
SWAY_BAND_HZ = (0.1, 2.5)
#: Fraction of the body's vertical excursion in contact that the ankle itself makes in repeated hops
#: (ankle-dominated bouncing; the knee takes the rest).
ANKLE_SHARE = 0.7
#: Same for a landing that is absorbed (into a hold or into standing), where knees and hips take more.
ANKLE_SHARE_ABSORB = 0.35


@dataclass(frozen=True)
class Flight:
    """One flight: duration, change of landing height, ankle displacement, and the leg's motion in it.

    ``reach_mps`` is the downward velocity of the foot relative to the body just before touch-down (leg
    extension, the pre-landing reach). ``passive`` marks a flight that starts by stepping off a box, without
    a push (the leg hardly tucks).
    """

    duration_s: float
    dz_m: float = 0.0
    dx_m: float = 0.0
    dy_m: float = 0.0
    reach_mps: float = 0.25
    passive: bool = False

    def takeoff_speed(self) -> float:
        t = self.duration_s
        return (self.dz_m + 0.5 * G * t * t) / t

    def landing_speed(self) -> float:
        return self.takeoff_speed() - G * self.duration_s


@dataclass(frozen=True)
class CalfRepStyle:
    """How one calf raise departs from a clean minimum-jerk rise and lowering (all zero: a clean rep).

    Attributes
    ----------
    strike_dps
        Foot rotation rate (deg/s) at which the heel reaches the floor; the heel pad stops it within
        ``strike_s``. Zero: the heel comes to rest without an impact (a controlled lowering, or a heel that
        hangs below a step).
    strike_s
        Duration of the heel pad's arrest (s).
    twist_rad
        External rotation of the shank at the top of the rise (rad), following the rise.
    roll_rad
        Frontal tilt of the shank at the top (rad, either sign), following the rise.
    wobble_rad, wobble_hz
        Frontal-plane sway of balancing on the forefoot: a burst of this amplitude and frequency over the
        rep's rise, top and lowering.
    """

    strike_dps: float = 0.0
    strike_s: float = 0.03
    twist_rad: float = 0.0
    roll_rad: float = 0.0
    wobble_rad: float = 0.0
    wobble_hz: float = 1.5


class Session:
    """Forward-in-time builder of one simulated session (motion + truth in motion time)."""

    def __init__(self, rng: np.random.Generator, *, exercise: str) -> None:
        self.rng = rng
        self.exercise = exercise
        self.t = 0.0
        self.x = Track(0.0, 0.0)
        self.y = Track(0.0, 0.0)
        self.zb = Track(0.0, Z_ANKLE_M)
        self.zr = Track(0.0, 0.0)
        self.th = Track(0.0, THETA_STAND)
        self.ph = Track(0.0, 0.0)
        self.ps = Track(0.0, 0.0)
        self.beta = Track(0.0, 0.0)
        self.foot = Track(0.0, 0.0)
        self.env = Track(0.0, SWAY_DOUBLE_DPS)
        self.additives: list[Additive] = []
        self.contacts: list[TruthContact] = []
        self.landings: list[TruthLanding] = []
        self.reps: list[TruthRep] = []
        self.sets: list[TruthSet] = []
        self.single = False
        self.sway_single = float(rng.uniform(*SWAY_SINGLE_DPS))
        self._pending_landing: float | None = None
        self._pending_role: str | None = None
        self._open_hold: dict | None = None
        #: (index into ``landings``, transient amplitude deg/s, time constant s, end of absorption s)
        self._transients: list[tuple[int, float, float, float]] = []
        self._set_start: float | None = None
        self.ground_m = 0.0

    # ------------------------------------------------------------------ helpers
    def _all(self) -> tuple[Track, ...]:
        return (self.x, self.y, self.zb, self.zr, self.th, self.ph, self.ps, self.beta, self.foot)

    def _sync(self, tracks: tuple[Track, ...] | None = None) -> None:
        """Bring every track that lags behind up to ``self.t``, resting."""
        for tr in tracks or (*self._all(), self.env):
            if tr.t < self.t:
                tr.hold(self.t) if (tr.v == 0.0 and tr.a == 0.0) else tr.to(self.t, tr.p)

    def _add(self, add: Additive, track: Track | None = None) -> None:
        """Register an additive piece; ``track`` (same channel) absorbs its lasting offset."""
        self.additives.append(add)
        if track is not None:
            track.absorb(add.tail)

    def _env_to(self, level_dps: float, ramp_s: float = 0.3) -> None:
        if self.env.t < self.t:
            self.env.hold(self.t)
        self.env.to(self.t + ramp_s, level_dps)

    def begin_set(self) -> None:
        self._set_start = self.t

    def end_set(self, kind: str) -> None:
        if self._set_start is not None:
            self.sets.append(TruthSet(start_s=self._set_start, end_s=self.t, kind=kind))
        self._set_start = None

    # ------------------------------------------------------------------ standing
    def stand(self, duration_s: float) -> None:
        """Stand quietly (both feet, or one foot if the session is in single-leg stance)."""
        self._sync()
        self.t += duration_s
        self._sync()

    def weight_shift(self, *, single: bool, duration_s: float = 0.4, impact: bool = True) -> None:
        """Lift the other foot (``single=True``) or put it down: the stance shank tilts in the frontal plane
        as the centre of mass moves over or away from it; putting the other foot down also sends a small
        impact up the body and lowers the sway."""
        self._sync()
        t0 = self.t
        self.ph.to(t0 + duration_s, PHI_SINGLE if single else 0.0)
        self._env_to(self.sway_single if single else SWAY_DOUBLE_DPS, duration_s)
        if not single and impact:
            # The other foot's touch-down reaches the instrumented shank as a 0.05-0.15 g bump.
            amp = float(self.rng.uniform(0.05, 0.15)) * G * 0.012**2 / 2.0
            self.additives.append(Additive(channel=2, t0=t0, kind="pulse", amp=amp, tau=0.012))
        self.single = single
        self.t = t0 + duration_s
        self._sync()

    # ------------------------------------------------------------------ hops
    def push_off(self, flight: Flight, *, duration_s: float = 0.35, theta_takeoff: float = 0.0) -> None:
        """From standing on the instrumented foot to takeoff: a countermovement and push (force starts at
        body weight and falls to zero at takeoff).

        Notes
        -----
        The foot stays planted through the countermovement: the body sinks and the shank rotates forward
        about the ankle (the ``theta`` track), but the ankle joint itself does not move, so a sensor on the
        distal shank reads about 1 g, never free fall, while the foot is down. Only in the last part of the
        push does the heel rise (the ankle climbs ``Z_HOP_M - Z_ANKLE_M``) and the ankle accelerate to the
        takeoff speed. That heel rise lasts ``2 d / v`` (distance over mean speed, starting from rest), the
        shortest quintic from rest to ``(d, v, -g)`` whose height and velocity never decrease; for hops
        (v = 1-2.5 m/s) it is 40-90 ms with ankle peaks of 2-8 g, the plantarflexion burst that ends a push.
        """
        self._sync()
        t1 = self.t + duration_s
        v0 = flight.takeoff_speed()
        rise_m = self.ground_m + Z_HOP_M - self.zb.p
        rise_s = float(np.clip(2.0 * rise_m / max(v0, 1e-3), 0.03, 0.8 * duration_s))
        t_heel = t1 - rise_s
        vx, vy = flight.dx_m / flight.duration_s, flight.dy_m / flight.duration_s
        for tr in (self.zb, self.zr, self.x, self.y):
            tr.hold(t_heel)
        self.zb.to(t1, self.ground_m + Z_HOP_M, v0, -G)
        # At takeoff the leg is fully extended: the ankle moves with the body.
        toe_off_ankle(self.zr, t1, self.rng)
        # The ankle leaves the ground with part of the body's horizontal speed, gained over the heel rise.
        self.x.to(t1, self.x.p + 0.35 * vx * rise_s, 0.7 * vx, 0.0)
        self.y.to(t1, self.y.p + 0.35 * vy * rise_s, 0.7 * vy, 0.0)
        self.th.to(t1, theta_takeoff, -60 * DEG, 0.0)
        self.beta.hold(t1)
        push_off_foot(self.foot, t_heel, t1, self.rng, flight_s=flight.duration_s)
        self.additives.append(toe_off_release(t1, self.rng))
        self.t = t1
        self._close_hold(ended_by="hop")
        self._takeoff()

    def step_off(self, drop_m: float, *, dx_m: float = 0.3, reach_mps: float = 0.3) -> Flight:
        """Step off a box of height ``drop_m``: the foot leaves the edge with no push, the body falls.

        Returns the flight (to be passed to :meth:`fly`), which lands on the balls of the feet.

        Notes
        -----
        A drop jump starts with a step, not a jump: the athlete leans forward over the edge (0.4 s here)
        and the support on the instrumented foot fades from body weight to zero as the body tips
        (0.08-0.14 s), with no phase above body weight. The ground reaction force falls linearly, so the
        ankle's acceleration goes linearly from 0 to -g (a cubic in position, which is exactly the quintic
        with these end conditions) and the sensor's specific force ramps from 1 g down to the free-fall
        level. The foot leaves the box moving down at ``g T / 2`` after rolling ``g T^2 / 6`` over the edge
        (T the unloading time), and the flight lasts until the forefoot meets the floor ``drop_m`` lower.
        """
        self._sync()
        lean_s = 0.4
        unload_s = float(self.rng.uniform(0.08, 0.14))
        t1 = self.t + lean_s
        v0 = -0.5 * G * unload_s
        sag_m = G * unload_s**2 / 6.0
        dz = -drop_m + (Z_HOP_M - Z_ANKLE_M) + sag_m
        duration = (v0 + math.sqrt(v0 * v0 - 2.0 * G * dz)) / G
        vx = dx_m / duration
        self.zb.hold(t1 - unload_s)
        self.zb.to(t1, self.zb.p - sag_m, v0, -G)
        self.zr.hold(t1)
        self.x.to(t1, self.x.p + 0.4 * vx * lean_s, 0.8 * vx, 0.0)
        self.y.hold(t1)
        self.th.to(t1, THETA_STAND, -60 * DEG, 0.0)
        self.beta.hold(t1)
        # The foot rolls over the edge: it leaves toes last, a little pitched, turning slowly.
        self.foot.hold(t1 - unload_s)
        self.foot.to(
            t1, float(self.rng.uniform(5.0, 12.0)) * DEG, float(self.rng.uniform(60, 150)) * DEG, 0.0
        )
        self.t = t1
        self._close_hold(ended_by="hop")
        self._takeoff()
        return Flight(duration_s=duration, dz_m=dz, dx_m=dx_m, reach_mps=reach_mps, passive=True)

    def _takeoff(self) -> None:
        if self._pending_landing is not None:
            self.contacts.append(
                TruthContact(
                    landing_s=self._pending_landing, takeoff_s=self.t, kind="hop", role=self._pending_role
                )
            )
        self._pending_landing = None
        self._pending_role = None

    def fly(
        self, flight: Flight, *, theta_landing: float = 2.0 * DEG, phi_landing: float | None = None
    ) -> None:
        """Ballistic flight of the body; the leg tucks and then reaches for the ground
        (:func:`imu_app.sim._limb.flight_limb`)."""
        t0 = self.t
        t1 = t0 + flight.duration_s
        zb0 = self.zb.p
        self.zb.to(t1, zb0 + flight.dz_m, flight.landing_speed(), -G)
        flight_limb(
            zr=self.zr,
            theta=self.th,
            foot=self.foot,
            t0=t0,
            t1=t1,
            reach_mps=flight.reach_mps,
            theta_landing=theta_landing,
            limb=draw_flight_limb(self.rng, flight.duration_s, passive=flight.passive),
        )
        vx, vy = flight.dx_m / flight.duration_s, flight.dy_m / flight.duration_s
        self.x.to(t1, self.x.p + flight.dx_m, 0.9 * vx, 0.0)
        self.y.to(t1, self.y.p + flight.dy_m, 0.9 * vy, 0.0)
        self.ground_m += flight.dz_m
        if phi_landing is not None:
            self.ph.to(t1, phi_landing, 0.0, 0.0)
        self.t = t1
        self._sync()

    def _touch_down(self, *, ankle_share: float, v_after_x: float = 0.0, v_after_y: float = 0.0) -> float:
        """Impact arrest at touch-down; returns the body's downward landing speed."""
        t = self.t
        v_land = -self.zb.v
        tau = float(self.rng.uniform(0.003, 0.005))
        # Ankle velocity before: body + relative; after: only the ankle's share of the body's velocity.
        v_pre = -v_land + self.zr.v
        v_post = -ankle_share * v_land
        amp = v_post - v_pre
        self.zr.kick(dv=amp)
        self._add(Additive(channel=2, t0=t, kind="arrest", amp=amp, tau=tau), self.zr)
        for tr, ch, v_after in ((self.x, 0, v_after_x), (self.y, 1, v_after_y)):
            dv = v_after - tr.v
            if abs(dv) > 1e-9:
                tr.kick(dv=dv)
                self._add(Additive(channel=ch, t0=t, kind="arrest", amp=dv, tau=2 * tau), tr)
        # Forefoot contact stops the foot at once and the shank is thrown forward over it (the gyroscope's
        # touch-down spike).
        d_omega = float(self.rng.uniform(0.5, 1.5))
        self.th.kick(dv=d_omega)
        self._add(Additive(channel=3, t0=t, kind="arrest", amp=d_omega, tau=2 * tau), self.th)
        return v_land

    def bounce(
        self,
        contact_s: float,
        flight: Flight,
        *,
        role: str | None = None,
        dtheta: float = 12.0 * DEG,
        theta_takeoff: float = 0.0,
    ) -> None:
        """A reactive contact between two flights (spring-like: force rises from zero and returns to zero).

        The body's acceleration in contact is the cubic fixed by zero force at both ends, the impulse that
        turns the landing velocity into the next takeoff velocity, and equal heights at landing and takeoff
        (plus the next flight's ``dz_m`` handled in the flight). For equal flights it is a parabola in time
        within a few percent of the half-sine of the spring-mass model (Blickhan 1989).
        """
        t0 = self.t
        self._pending_landing = t0
        self._pending_role = role
        heel_strike = contact_s > HEEL_STRIKE_CONTACT_S
        share = ANKLE_SHARE_ABSORB if heel_strike else ANKLE_SHARE
        self._touch_down(ankle_share=share, v_after_x=0.1 * self.x.v, v_after_y=0.1 * self.y.v)
        t1 = t0 + contact_s
        v0 = flight.takeoff_speed()
        level = self.zb.p - (Z_HOP_M - Z_ANKLE_M)
        self.zb.to(t1, self.zb.p, v0, -G)
        t_rise = t1 - heel_rise_s(self.rng, contact_s)
        t_down = self._heel_drop(t0, heel_strike=heel_strike)
        if heel_strike:
            self._add(heel_strike_ankle(self.zr, self.zb, t_down, level, self.rng), self.zr)
            plant_ankle(self.zr, self.zb, np.linspace(t_down + 0.03, t_rise, 5), level)
        # The ankle catches up with the body in the late push-off (the burst of plantarflexion).
        toe_off_ankle(self.zr, t1, self.rng)
        vx, vy = flight.dx_m / flight.duration_s, flight.dy_m / flight.duration_s
        self.x.to(t1, self.x.p + 0.03 * np.sign(vx), 0.7 * vx, 0.0)
        self.y.to(t1, self.y.p + 0.03 * np.sign(vy), 0.7 * vy, 0.0)
        theta_land = self.th.p
        self.th.to(t0 + 0.5 * contact_s, theta_land + dtheta, 0.0, 0.0).to(t1, theta_takeoff, -80 * DEG, 0.0)
        self.foot.hold(t_rise) if heel_strike else self.foot.to(t_rise, self.foot.p, 0.0, 0.0)
        push_off_foot(self.foot, t_rise, t1, self.rng, flight_s=flight.duration_s)
        self.additives.append(toe_off_release(t1, self.rng))
        self.t = t1
        self._sync()
        self._takeoff()

    def _heel_drop(self, t0: float, *, heel_strike: bool) -> float:
        t_down, arrests = heel_drop(
            self.foot, t0, self.rng, heel_strike=heel_strike, floor_pitch=0.0 if heel_strike else HOVER_PITCH
        )
        for add in arrests:
            self._add(add, self.foot)
        return t_down

    def _heel_down(self, t0: float, t1: float, level_m: float) -> None:
        """After touch-down at ``t0`` the heel comes down and the foot stays flat until ``t1``."""
        t_down = self._heel_drop(t0, heel_strike=True)
        self._add(heel_strike_ankle(self.zr, self.zb, t_down, level_m, self.rng), self.zr)
        plant_ankle(self.zr, self.zb, np.linspace(t_down + 0.03, t1, 4), level_m)

    def land_hold(
        self,
        *,
        hold_target_s: float,
        role: str | None = None,
        settle_s: float = 0.3,
        transient_amp_dps: float | None = None,
        transient_tau_s: float | None = None,
    ) -> None:
        """Touch down on one leg and hold: absorb the landing, then a decaying landing transient on top of
        single-leg sway.

        Notes
        -----
        The transient's envelope ``A exp(-(t - landing)/tau)`` is drawn with A = 25-60 deg/s and tau =
        0.3-0.8 s, which with single-leg sway of 2-4 deg/s RMS puts the time to stabilisation at 0.8-2.5 s.
        Force-plate TTS after single-leg jump landings is of the same order, about 2.0-2.3 s with stable
        ankles and 2.5-3.3 s with functionally unstable ones (Ross & Guskiewicz 2004), and depends strongly on
        the calculation method and the trial length (Fransz et al. 2015).

        References
        ----------
        Ross SE, Guskiewicz KM (2004). Examination of static and dynamic postural stability in individuals
        with functionally stable and unstable ankles. Clin J Sport Med 14(6):332-338.
        doi:10.1097/00042752-200411000-00002
        Fransz DP, Huurnink A, de Boode VA, Kingma I, van Dieën JH (2015). Time to stabilization in single leg
        drop jump landings: an examination of calculation methods and assessment of differences in sample
        rate, filter settings and trial length on outcome values. Gait Posture 41(1):63-69.
        doi:10.1016/j.gaitpost.2014.08.018
        """
        t0 = self.t
        self._pending_landing = t0
        self._pending_role = role or "hold"
        self._touch_down(ankle_share=ANKLE_SHARE_ABSORB, v_after_x=0.05 * self.x.v, v_after_y=0.05 * self.y.v)
        t1 = t0 + settle_s
        self.zb.to(t1, self.ground_m + Z_ANKLE_M, 0.0, 0.0)
        self._heel_down(t0, t1, self.ground_m + Z_ANKLE_M)
        self.x.to(t1, self.x.p + 0.01, 0.0, 0.0)
        self.y.to(t1, self.y.p, 0.0, 0.0)
        self.th.to(t1, THETA_STAND + 4 * DEG, 0.0, 0.0)
        self.ph.to(t1, PHI_SINGLE, 0.0, 0.0)
        amp = float(transient_amp_dps if transient_amp_dps is not None else self.rng.uniform(25.0, 60.0))
        tau = float(transient_tau_s if transient_tau_s is not None else self.rng.uniform(0.3, 0.8))
        freq = float(self.rng.uniform(1.0, 2.5))
        mix = float(self.rng.uniform(0.3, 0.8))
        for ch, share in ((3, math.sqrt(1 - mix * mix)), (4, mix)):
            self._add(
                Additive(
                    channel=ch,
                    t0=t0,
                    kind="transient",
                    amp=amp * share * DEG,
                    tau=tau,
                    omega=2 * np.pi * freq,
                ),
                self.th if ch == 3 else self.ph,
            )
        self.env.hold(t0)
        self.env.to(t0 + 0.05, self.sway_single)
        self.single = True
        # ``motion()`` sets the stabilisation truth, once the whole motion (with its sway) is known.
        self._open_hold = {
            "landing_s": t0,
            "hold_target_s": hold_target_s,
            "transient": (amp, tau, t1),
        }
        self.t = t1
        self._sync()

    def _close_hold(self, *, ended_by: str) -> None:
        if self._open_hold is not None:
            h = self._open_hold
            self.landings.append(
                TruthLanding(
                    landing_s=h["landing_s"],
                    stabilised_s=None,
                    hold_end_s=self.t,
                    hold_target_s=h["hold_target_s"],
                    ended_by=ended_by,
                )
            )
            self._transients.append((len(self.landings) - 1, *h["transient"]))
            self._open_hold = None

    def other_foot_down(self) -> None:
        """End a single-leg hold by putting the other foot down (weight shift, small impact, less sway)."""
        self._close_hold(ended_by="other_foot")
        self.weight_shift(single=False)

    def stumble(self) -> None:
        """End a hold by losing balance: a burst of sway (a few times the steady level), then a step down
        with the other foot."""
        self._close_hold(ended_by="stumble")
        self._sync()
        dur = float(self.rng.uniform(0.5, 0.9))
        for ch, amp in ((3, 4.0), (4, 6.0)):
            self.additives.append(
                Additive(channel=ch, t0=self.t, kind="burst", amp=amp * DEG, tau=dur, omega=2 * np.pi * 1.8)
            )
        self.t += dur * 0.8
        self._sync()
        self.weight_shift(single=False, duration_s=0.25)

    def land_stand(self, *, settle_s: float = 0.35) -> None:
        """The last landing of a bout: absorb it on the instrumented leg and put the other foot down."""
        t0 = self.t
        self._pending_landing = t0
        self._pending_role = "set_end"
        self._touch_down(ankle_share=ANKLE_SHARE_ABSORB, v_after_x=0.05 * self.x.v, v_after_y=0.05 * self.y.v)
        t1 = t0 + settle_s
        self.zb.to(t1, self.ground_m + Z_ANKLE_M, 0.0, 0.0)
        self._heel_down(t0, t1, self.ground_m + Z_ANKLE_M)
        self.x.to(t1, self.x.p + 0.01, 0.0, 0.0)
        self.y.to(t1, self.y.p, 0.0, 0.0)
        self.th.to(t1, THETA_STAND, 0.0, 0.0)
        self.t = t1
        self._sync()
        self.weight_shift(single=False, duration_s=0.3)

    def end_recording(self, lead_out_s: float) -> None:
        self.stand(lead_out_s)
        self._close_hold(ended_by="end_of_recording")

    # ------------------------------------------------------------------ gait
    def strides(
        self,
        cycles_s: np.ndarray,
        stance_s: np.ndarray,
        *,
        speed_mps: float,
        running: bool,
    ) -> None:
        """Walk or run: the instrumented leg's strides from a standing start to a standing stop.

        Notes
        -----
        Knots follow the shank's sagittal angle through the gait cycle: about -20 deg (walking) or -8 deg
        (running) at initial contact, rotating forward through stance to +35/+45 deg at toe-off, on to the
        knee-flexion maximum of early swing (+43 deg walking; +75 deg running, where the knee flexes far
        more), then swinging back through a peak angular rate of 300-450 deg/s (walking) or about 500 deg/s
        (running). The shank's forward swing ends before the heel touches down (terminal-swing retraction:
        its angular rate crosses zero 20-60 ms before initial contact and is already turning the top of the
        shank forward at contact), and the fastest forward rotation of the shank in late stance falls at
        toe-off: the gyroscope rules of Aminian et al. (2002) and Salarian et al. (2004) rest on these two
        features (initial contact just before the sharp minimum after mid-swing, toe-off at the minimum
        before it). The ankle is arrested at initial contact (resultant tibial peaks of 2.7-3.7 g walking, up
        to 10.6 g running, Lafortune 1991); in running the foot is planted at once, so the ankle moves forward
        only after heel rise. Ankle height: heel rise to toe-off, foot clearance in swing. The vertical ankle
        motion is carried by the body track here (the relative track stays at zero).

        References
        ----------
        Aminian K, Najafi B, Büla C, Leyvraz P-F, Robert P (2002). Spatio-temporal parameters of gait
        measured by an ambulatory system using miniature gyroscopes. J Biomech 35(5):689-699.
        doi:10.1016/S0021-9290(02)00008-8
        Salarian A, Russmann H, Vingerhoets FJG, et al. (2004). Gait assessment in Parkinson's disease:
        toward an ambulatory system for long-term monitoring. IEEE Trans Biomed Eng 51(8):1434-1443.
        doi:10.1109/TBME.2004.827933
        """
        self._sync()
        rng = self.rng
        th_ic, th_to = (-8.0 * DEG, 45.0 * DEG) if running else (-20.0 * DEG, 35.0 * DEG)
        clearance = 0.16 if running else 0.07
        vz_ic = -1.2 if running else -0.4
        tau_range = (0.005, 0.007) if running else (0.007, 0.010)
        # Knee flexion after toe-off (deg above th_to, reached at this fraction of swing), shank rotation
        # rate at initial contact (terminal-swing retraction), and the stance knots: mid-stance angle and
        # rates (deg/s) there and at toe-off.
        over, f_over = (30.0 * DEG, 0.35) if running else (8.0 * DEG, 0.2)
        w_ic = (60.0 if running else 40.0) * DEG
        th_mid, w_mid, w_to = (
            (12.0 * DEG, 200.0 * DEG, 330.0 * DEG) if running else (5 * DEG, 80 * DEG, 180 * DEG)
        )
        flat_frac, flat_roll = (0.3, 0.1) if running else (0.15, 0.4)
        # Heel rise (fraction of stance) and the ankle's forward speed at toe-off (fraction of running speed):
        # runners rise onto the forefoot from mid-stance, and the ankle leaves at the speed of the foot's
        # rotation about the toes, which is below the body's.
        heel_off, v_to = (0.4, 0.6) if running else (0.6, 0.8)
        z0 = self.ground_m + Z_ANKLE_M
        n = len(cycles_s)
        self.weight_shift(single=True, duration_s=0.4, impact=False)
        self.env.to(self.t + 0.3, 0.5)
        # First swing from standing: the foot leaves the ground from rest.
        for i in range(n + 1):
            t_to = self.t
            cycle = float(cycles_s[min(i, n - 1)])
            stance = float(stance_s[min(i, n - 1)])
            swing = cycle - stance
            stride_m = speed_mps * cycle
            roll_m = 0.25 if running else 0.15
            first = i == 0
            swing_m = (stride_m / 2 if first else stride_m) - roll_m
            0.0 if first else 0.8 * speed_mps
            if first:
                swing = max(swing, 0.45)
                self.zb.to(t_to + 0.15, z0 + 0.03, 0.3, 0.0)
                self.th.to(t_to + 0.15, th_to * 0.5, 60 * DEG, 0.0)
                self.t = t_to = t_to + 0.15
                self._sync()
            t_ic = t_to + swing
            t_peak = t_to + 0.35 * swing
            self.x.to(t_ic, self.x.p + swing_m, 0.3 * speed_mps, 0.0)
            self.zb.to(t_peak, z0 + clearance, 0.0, 0.0).to(t_ic, z0 + 0.01, vz_ic, 0.0)
            self.th.to(t_to + f_over * swing, th_to + over, 0.0, 0.0).to(t_ic, th_ic, w_ic, 0.0)
            self.t = t_ic
            self._sync()
            # Initial contact: arrest of the foot, vertical and horizontal.
            tau = float(rng.uniform(*tau_range))
            for tr, ch, v_after in ((self.zb, 2, 0.0), (self.x, 0, 0.1 * speed_mps)):
                dv = v_after - tr.v
                tr.kick(dv=dv)
                self._add(Additive(channel=ch, t0=t_ic, kind="arrest", amp=dv, tau=tau), tr)
            d_omega = float(rng.uniform(0.4, 1.0))
            self.th.kick(dv=d_omega)
            self._add(Additive(channel=3, t0=t_ic, kind="arrest", amp=d_omega, tau=2 * tau), self.th)
            if i == n:
                # Stop: the foot stays down and the other one joins it.
                self.x.to(t_ic + 0.4, self.x.p + 0.02, 0.0, 0.0)
                self.zb.to(t_ic + 0.4, z0, 0.0, 0.0)
                self.th.to(t_ic + 0.4, THETA_STAND, 0.0, 0.0)
                self.t = t_ic + 0.4
                self._sync()
                self._pending_landing = None
                self.weight_shift(single=False, duration_s=0.4)
                return
            cycle_n = float(cycles_s[i])
            stance_n = float(stance_s[i])
            t_flat = t_ic + flat_frac * stance_n
            t_to_next = t_ic + stance_n
            self.x.to(t_flat, self.x.p + flat_roll * roll_m, 0.0, 0.0)
            self.zb.to(t_flat, z0, 0.0, 0.0)
            self.th.to(t_ic + 0.45 * stance_n, th_mid, w_mid, 0.0)
            self.x.hold(t_ic + heel_off * stance_n)
            self.zb.hold(t_ic + heel_off * stance_n)
            self.x.to(t_to_next, self.x.p + (1.0 - flat_roll) * roll_m, v_to * speed_mps, 0.0)
            self.zb.to(t_to_next, z0 + (0.07 if running else 0.05), 0.4, 0.0)
            # The fastest forward rotation of stance falls at toe-off. A quintic segment whose mean rate
            # exceeds the mean of its end rates bulges above both, peaking up to 40 ms before toe-off; in
            # short stances (below about 220 ms) the angle still to go needs that, so toe-off takes the rate
            # that covers it (the cubic-smoothstep profile, which rises monotonically).
            span = (1.0 - 0.45) * stance_n
            w_to_n = max(w_to, 2.0 * (th_to - th_mid) / span - w_mid)
            self.th.to(t_to_next, th_to, w_to_n, 0.0)
            self.t = t_to_next
            self._sync()
            self.contacts.append(TruthContact(landing_s=t_ic, takeoff_s=t_to_next, kind="stride"))
            del cycle_n

    # ------------------------------------------------------------------ calf raises
    def calf_rep(
        self,
        *,
        tempo_s: tuple[float, float, float, float],
        beta_top: float,
        beta_bottom: float,
        theta_base: float,
        theta_tilt: float,
        knee: str,
        partial: bool,
        other_foot_at_end: bool,
        heel: CalfRepStyle | None = None,
    ) -> None:
        """One calf raise: minimum-jerk rise, top hold, lowering, bottom pause.

        The foot rotates about the metatarsal heads (``beta``), lifting the ankle; the shank tilts back by
        ``theta_tilt`` at the top because the ankle moves forward along its arc while the knee stays.
        ``heel`` (:class:`CalfRepStyle`) adds what real reps show on top of that: the heel strike that ends
        a lowering onto the floor, the shank's external rotation and frontal tilt that go with the rise,
        and the wobble of balancing on the forefoot.

        Notes
        -----
        Every angle that moves with the rise (the shank's tilt, rotation and frontal tilt) follows the
        foot's angle in proportion, so the shank is where the foot puts it at every instant. With a heel
        strike the lowering reaches the floor still moving (at ``heel.strike_dps`` of foot rotation) and
        the heel pad stops it within ``heel.strike_s``: the last part of the lowering is a quintic from
        that rate to rest, which decelerates the ankle at about ``1.875 v / strike_s`` (a 0.05-0.1 m/s
        ankle stopped in 25-40 ms reads 0.3-0.5 g above 1 g on the distal shank).
        """
        self._sync()
        rise, top_hold, lower, pause = tempo_s
        t_start = self.t
        t_top = t_start + rise
        t_lower = t_top + top_hold
        t_bottom = t_lower + lower
        t_end = t_bottom + pause
        heel = heel or CalfRepStyle()
        self.env.hold(t_top)
        self.env.to(t_top + 0.3, self.sway_single)
        span = beta_top - beta_bottom
        # (track, value at the bottom, change at the top): the shank's angles move with the foot's.
        followers = (
            (self.th, theta_base, -theta_tilt),
            (self.ph, self.ph.p, heel.roll_rad),
            (self.ps, self.ps.p, heel.twist_rad),
        )

        def knot(t: float, progress: float, rate: float = 0.0) -> None:
            """Foot and shank where the rise has covered ``progress`` of its range (``rate``: per s)."""
            self.beta.to(t, beta_bottom + progress * span, rate * span, 0.0)
            for track, base, change in followers:
                track.to(t, base + progress * change, rate * change, 0.0)

        knot(t_top, 1.0)
        if top_hold > 0:
            knot(t_lower, 1.0)
        strike_s = min(heel.strike_s, 0.3 * lower)
        strike = heel.strike_dps * DEG / span if heel.strike_dps > 0 and span > 0 else 0.0
        if strike > 0:
            # Down to the floor still moving, then stopped by the heel pad (a quintic from the strike's rate
            # to rest covers half the distance the rate alone would).
            knot(t_bottom - strike_s, 0.5 * strike * strike_s, -strike)
        knot(t_bottom, 0.0)
        for track in (self.beta, self.th, self.ph, self.ps):
            track.hold(t_end)
        if heel.wobble_rad > 0 and t_bottom - t_start > 0.2:
            # Balancing on the forefoot: a burst of frontal-plane sway over the raised part of the rep.
            self.additives.append(
                Additive(
                    channel=4,
                    t0=t_start,
                    kind="burst",
                    amp=heel.wobble_rad,
                    tau=t_bottom - t_start,
                    omega=2 * np.pi * heel.wobble_hz,
                )
            )
        pf_top = beta_top - (theta_base - theta_tilt)
        pf_bottom = beta_bottom - theta_base
        self.reps.append(
            TruthRep(
                start_s=t_start,
                top_s=t_top,
                lower_s=t_lower,
                bottom_s=t_bottom,
                end_s=t_end,
                range_deg=(pf_top - pf_bottom) / DEG,
                partial=partial,
                knee=knee,
            )
        )
        self.t = t_end
        self._sync()
        if other_foot_at_end:
            self.env.to(self.t + 0.3, SWAY_DOUBLE_DPS)
            amp = float(self.rng.uniform(0.05, 0.12)) * G * 0.012**2 / 2.0
            self.additives.append(Additive(channel=2, t0=t_end - 0.05, kind="pulse", amp=amp, tau=0.012))

    def set_posture(self, *, theta: float, beta: float = 0.0, duration_s: float = 0.8) -> None:
        """Move smoothly to a new shank tilt and foot angle (e.g. bend the knees, step onto the step)."""
        self._sync()
        t1 = self.t + duration_s
        self.th.to(t1, theta)
        self.beta.to(t1, beta)
        self.t = t1
        self._sync()

    # ------------------------------------------------------------------ result
    def motion(self) -> Motion:
        self._sync()
        sway = []
        rng = self.rng
        lo, hi = SWAY_BAND_HZ
        for ch, share in SWAY_SHARES.items():
            k = SWAY_COMPONENTS
            freq = np.exp(rng.uniform(math.log(lo), math.log(hi), k))
            weight = rng.uniform(0.3, 1.0, k)
            w = 2 * np.pi * freq
            rate_amp = weight * share * DEG / math.sqrt(np.sum(weight**2) / 2.0)
            sway.append(
                Sway(channel=ch, freq_hz=freq, amp_rad=rate_amp / w, phase=rng.uniform(0, 2 * np.pi, k))
            )
        motion = Motion(
            duration_s=self.t,
            tracks={
                0: [self.x],
                1: [self.y],
                2: [self.zb, self.zr],
                3: [self.th],
                4: [self.ph],
                5: [self.ps],
            },
            beta=self.beta,
            sway_env=self.env,
            sway=sway,
            additives=list(self.additives),
            body_z=self.zb,
            foot=self.foot,
        )
        self._stabilisation_truth(motion)
        return motion

    def _stabilisation_truth(self, motion: Motion) -> None:
        """Truth of every hold's stabilisation, by the app's method on the true angular rate, and the instant
        the hidden transient's envelope falls to the sway the hold realised.

        ``stabilised_s`` is :func:`imu_app.core.stabilisation.time_to_stabilisation` applied to the shank's
        body angular rate as the kinematics give it (before the sensor's filter, bias and noise), sampled
        at ``_TRUTH_STEP_S`` from touch-down to the end of the hold's balance. Its magnitude, which the
        method uses, depends neither on the leg nor on the mounting.

        ``ringing_settled_s`` is ``landing + tau ln(A / sigma)`` with the transient's own ``A`` and ``tau``
        and ``sigma`` the RMS sway angular rate (magnitude over the three axes, transient excluded) from the
        end of the landing's absorption to the end of the hold.
        """
        step = _TRUTH_STEP_S
        for index, amp, tau, t_settled in self._transients:
            x = self.landings[index]
            ringing = None
            if x.hold_end_s - t_settled >= 0.2:
                t = np.arange(t_settled, x.hold_end_s, step)
                rate = np.gradient(motion._sway(t, step), step, axis=0) / DEG
                sigma = math.sqrt(float(np.mean(np.sum(rate * rate, axis=1))))
                ringing = x.landing_s + tau * math.log(max(amp / sigma, 1.0))
            end = balance_end_s(x.hold_end_s, x.ended_by)
            tts = None
            if end - x.landing_s > 2 * step:
                t = np.arange(x.landing_s, end, step)
                _, omega = ideal_signals(motion, t, step, "right")
                tts = time_to_stabilisation(t, omega, x.landing_s, end)
            self.landings[index] = dataclasses.replace(
                x, stabilised_s=None if tts is None else x.landing_s + tts, ringing_settled_s=ringing
            )


#: Sampling of the true angular rate for the stabilisation truth (s): the ringing and the sway lie below
#: 4 Hz, and the method's 0.5-s window holds 100 samples.
_TRUTH_STEP_S = 0.005
