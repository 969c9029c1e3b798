"""Kinematics of the instrumented shank: smooth trajectories that can be evaluated at any instant.

The pose of the shank is described by the position of the ankle joint centre in the world (x forward, y to
the athlete's left, z up, metres) and three angles of the shank (radians): ``theta`` sagittal tilt (top of
the shank forward, i.e. dorsiflexion when the foot is flat), ``phi`` frontal tilt (top of the shank to the
right) and ``psi`` heading. A foot angle ``beta`` (heel raised about the metatarsal heads) moves the ankle for
calf raises; the foot's own pitch about the ankle ``foot`` (heel up, toes down positive; the ankle stays
where it is) turns the foot in push-off, flight and landing. The foot's pitch in the world is
``beta + foot``.

Every coordinate is a sum of

* a :class:`Track`: piecewise quintic Hermite segments between knots that fix position, velocity and
  acceleration; a ballistic flight is one such segment (a parabola is a quintic), a ground contact another
  (its acceleration is a cubic that starts and ends at free fall, i.e. zero ground reaction force);
* :class:`Additive` closed-form pieces with sharp onsets: the impact arrest at touch-down, decaying landing
  transients, small pulses;
* sway: a sum of sinusoids scaled by a smooth envelope track.

Tracks are C2 except where a knot deliberately changes velocity in step with an additive piece whose own
velocity jumps the other way, so that the sum stays C1 and its acceleration stays finite.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CHANNELS", "Additive", "Motion", "Sway", "Track", "hermite5"]

#: Order of the pose channels everywhere in the simulator.
CHANNELS = ("x", "y", "z", "theta", "phi", "psi")


def hermite5(
    h: float,
    s: np.ndarray,
    start: tuple[np.ndarray, np.ndarray, np.ndarray],
    end: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> np.ndarray:
    """Quintic Hermite interpolation at normalised time ``s`` in [0, 1] of segments of duration ``h``.

    The quintic is the lowest-order polynomial that matches position, velocity and acceleration at both
    ends (each given as ``(position, velocity, acceleration)``); with zero end velocities and accelerations
    it is the minimum-jerk profile, which is why it also serves for the calf-raise transitions.
    """
    p0, v0, a0 = start
    p1, v1, a1 = end
    dp = p1 - p0
    c1 = v0 * h
    c2 = 0.5 * a0 * h * h
    c3 = 10.0 * dp - (6.0 * v0 + 4.0 * v1) * h - (1.5 * a0 - 0.5 * a1) * h * h
    c4 = -15.0 * dp + (8.0 * v0 + 7.0 * v1) * h + (1.5 * a0 - a1) * h * h
    c5 = 6.0 * dp - 3.0 * (v0 + v1) * h - 0.5 * (a0 - a1) * h * h
    return p0 + s * (c1 + s * (c2 + s * (c3 + s * (c4 + s * c5))))


class Track:
    """A coordinate made of quintic Hermite segments, built forward in time.

    The track holds its end state (time, position, velocity, acceleration); :meth:`to` appends a segment
    from that state to a new one. Before the first knot and after the last the coordinate is constant.
    """

    def __init__(self, t0: float, p0: float) -> None:
        self.t = float(t0)
        self.p = float(p0)
        self.v = 0.0
        self.a = 0.0
        # Lasting offsets of additive pieces on the same channel, subtracted from every later knot so that
        # knot positions keep meaning "where the coordinate is once the additive pieces have settled".
        self._shift = 0.0
        self._p_internal = float(p0)
        self._segments: list[tuple[float, float, float, float, float, float, float, float]] = []
        self._frozen: tuple[np.ndarray, ...] | None = None
        self._p_first = float(p0)

    def to(self, t1: float, p1: float, v1: float = 0.0, a1: float = 0.0) -> Track:
        if t1 <= self.t:
            raise ValueError(f"track segments must move forward in time ({self.t} -> {t1})")
        end = float(p1) + self._shift
        self._segments.append(
            (self.t, float(t1), self._p_internal, self.v, self.a, end, float(v1), float(a1))
        )
        self.t, self.p, self.v, self.a = float(t1), float(p1), float(v1), float(a1)
        self._p_internal = end
        self._frozen = None
        return self

    def hold(self, t1: float) -> Track:
        """Stay where the track is (velocity and acceleration brought to zero) until ``t1``."""
        if t1 > self.t:
            self.to(t1, self.p, 0.0, 0.0)
        return self

    def kick(self, dv: float = 0.0, da: float = 0.0) -> Track:
        """Change the start velocity/acceleration of the next segment (paired with an :class:`Additive`)."""
        self.v += dv
        self.a += da
        return self

    def absorb(self, tail: float) -> Track:
        """Account for an additive piece that will leave ``tail`` behind on this channel from now on."""
        self._shift -= tail
        self.p += tail
        return self

    def value_at(self, t: float) -> float:
        return float(self.evaluate(np.array([t]))[0])

    def _arrays(self) -> tuple[np.ndarray, ...]:
        """Segment start times, 1/duration and the power-basis coefficients of each segment (in s)."""
        if self._frozen is None:
            if self._segments:
                seg = np.array(self._segments, dtype=np.float64)
            else:
                p = self._p_internal
                seg = np.array([[self.t, self.t + 1.0, p, 0, 0, p, 0, 0]], dtype=np.float64)
            t0, t1, p0, v0, a0, p1, v1, a1 = (seg[:, i] for i in range(8))
            h = t1 - t0
            dp = p1 - p0
            coef = np.stack(
                [
                    p0,
                    v0 * h,
                    0.5 * a0 * h * h,
                    10.0 * dp - (6.0 * v0 + 4.0 * v1) * h - (1.5 * a0 - 0.5 * a1) * h * h,
                    -15.0 * dp + (8.0 * v0 + 7.0 * v1) * h + (1.5 * a0 - a1) * h * h,
                    6.0 * dp - 3.0 * (v0 + v1) * h - 0.5 * (a0 - a1) * h * h,
                ],
                axis=1,
            )
            constant = np.all(coef[:, 1:] == 0.0, axis=1)
            self._frozen = (t0.copy(), 1.0 / h, coef, constant)
        return self._frozen

    def evaluate(self, t: np.ndarray) -> np.ndarray:
        t0, inv_h, coef, constant = self._arrays()
        last = len(t0) - 1
        i_first = min(max(int(np.searchsorted(t0, t[0], side="right")) - 1, 0), last)
        i_last = min(max(int(np.searchsorted(t0, t[-1], side="right")) - 1, 0), last)
        if i_first == i_last and (constant[i_first] or t[0] >= t0[last] + 1.0 / inv_h[last]):
            # Resting for the whole span (most of a session): no polynomial to evaluate.
            s_end = 0.0 if constant[i_first] else 1.0
            value = float(np.polyval(coef[i_first][::-1], s_end))
            return np.full(t.shape[0], value)
        idx = np.clip(np.searchsorted(t0, t, side="right") - 1, 0, last)
        s = np.clip((t - t0[idx]) * inv_h[idx], 0.0, 1.0)
        c = coef[idx]
        out = c[:, 0] + s * (c[:, 1] + s * (c[:, 2] + s * (c[:, 3] + s * (c[:, 4] + s * c[:, 5]))))
        # Before the first knot the track rests at its first position (segments start with v = a = 0).
        out[t < t0[0]] = coef[0, 0]
        return out

    def evaluate_derivatives(self, t: np.ndarray, dt: float = 1e-4) -> tuple[np.ndarray, ...]:
        """Value, first and second derivative by central differences (used for the sway envelope)."""
        f0 = self.evaluate(t)
        fp = self.evaluate(t + dt)
        fm = self.evaluate(t - dt)
        return f0, (fp - fm) / (2 * dt), (fp - 2 * f0 + fm) / (dt * dt)


@dataclass(frozen=True)
class Additive:
    """A closed-form contribution to one channel starting at ``t0``.

    Kinds
    -----
    ``"arrest"``
        Velocity change ``dv`` at touch-down with an alpha-function acceleration
        ``dv s/tau^2 exp(-s/tau)``: zero at contact (the force rises from zero), peak ``dv/(e tau)`` at
        ``s = tau``, 95 % complete after ``4.7 tau``. The value is
        ``dv ((2 tau + s) exp(-s/tau) - 2 tau)``; its velocity at ``s = 0`` is ``-dv``, so the paired track
        kicks its own velocity by ``+dv`` at the same instant.
    ``"transient"``
        Decaying oscillation of the rate: ``amp exp(-s/tau) sin(omega s)``; the value is its integral.
    ``"pulse"``
        ``amp (s/tau)^2 exp(-s/tau)``: a bump with zero value and slope at onset and no lasting offset.
    ``"burst"``
        ``amp sin^2(pi s/tau) sin(omega s)`` for ``s < tau``: a burst of sway (stumble).

    ``past_mount`` marks a transient of the mount itself (the shoe's sole and upper springing back at
    toe-off): the sensor feels it directly, not through the mount's resonance, which filters the segment's
    motion only (see :func:`imu_app.sim._sensor.run_sensor`).
    """

    channel: int
    t0: float
    kind: str
    amp: float
    tau: float
    omega: float = 0.0
    past_mount: bool = False

    @property
    def support_s(self) -> float:
        if self.kind == "burst":
            return self.tau
        return 40.0 * self.tau

    @property
    def tail(self) -> float:
        """Value left behind after the support (the lasting offset)."""
        if self.kind == "arrest":
            return -2.0 * self.tau * self.amp
        if self.kind == "transient":
            lam = 1.0 / self.tau
            return self.amp * self.omega / (lam * lam + self.omega * self.omega)
        return 0.0

    def evaluate(self, s: np.ndarray) -> np.ndarray:
        tau = self.tau
        if self.kind == "arrest":
            return self.amp * ((2.0 * tau + s) * np.exp(-s / tau) - 2.0 * tau)
        if self.kind == "transient":
            lam = 1.0 / tau
            w = self.omega
            e = np.exp(-lam * s)
            return self.amp * (w - e * (lam * np.sin(w * s) + w * np.cos(w * s))) / (lam * lam + w * w)
        if self.kind == "pulse":
            x = s / tau
            return self.amp * x * x * np.exp(-x)
        if self.kind == "burst":
            return self.amp * np.sin(np.pi * s / tau) ** 2 * np.sin(self.omega * s)
        raise ValueError(f"unknown additive kind {self.kind!r}")


@dataclass(frozen=True)
class Sway:
    """Postural sway of one angle channel: a sum of sinusoids times an envelope (deg/s RMS of the rate).

    The sinusoids are normalised so that with an envelope of 1 the RMS angular rate of this channel is
    ``share`` deg/s; the channels' shares are chosen so that their squares add up to one, which makes the
    envelope the RMS of the sway angular-rate magnitude.
    """

    channel: int
    freq_hz: np.ndarray
    amp_rad: np.ndarray
    phase: np.ndarray


@dataclass
class Motion:
    """Everything needed to evaluate the pose at any time; built by the exercise plans."""

    duration_s: float
    tracks: dict[int, list[Track]]
    beta: Track
    sway_env: Track
    sway: list[Sway] = field(default_factory=list)
    additives: list[Additive] = field(default_factory=list)
    body_z: Track | None = None
    foot: Track | None = None
    _tails: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

    def _tail_tables(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        if self._tails is None:
            tables = {}
            for ch in range(8):
                items = sorted((a.t0 + a.support_s, a.tail) for a in self.additives if a.channel == ch)
                ends = np.array([e for e, _ in items], dtype=np.float64)
                cum = np.concatenate([[0.0], np.cumsum([v for _, v in items])])
                tables[ch] = (ends, cum)
            self._tails = tables
        return self._tails

    def evaluate(self, t: np.ndarray, sway_knot_s: float = 0.005) -> np.ndarray:
        """Pose channels at times ``t`` (sorted), shape ``(len(t), 8)``: the six of :data:`CHANNELS`, the heel
        raise ``beta`` (column 6) and the foot's pitch about the ankle (column 7)."""
        n = t.shape[0]
        out = np.zeros((n, 8))
        for ch, tracks in self.tracks.items():
            for tr in tracks:
                out[:, ch] += tr.evaluate(t)
        out[:, 6] = self.beta.evaluate(t)
        if self.foot is not None:
            out[:, 7] = self.foot.evaluate(t)
        tails = self._tail_tables()
        t_lo, t_hi = t[0], t[-1]
        for add in self.additives:
            if add.t0 > t_hi or add.t0 + add.support_s < t_lo:
                continue
            i0 = np.searchsorted(t, add.t0, side="left")
            i1 = np.searchsorted(t, add.t0 + add.support_s, side="right")
            if i1 > i0:
                out[i0:i1, add.channel] += add.evaluate(t[i0:i1] - add.t0)
        for ch, (ends, cum) in tails.items():
            if ends.size:
                out[:, ch] += cum[np.searchsorted(ends, t, side="right")]
        if self.sway:
            out[:, 3:6] += self._sway(t, sway_knot_s)
        return out

    def _sway(self, t: np.ndarray, h: float) -> np.ndarray:
        # The sinusoids carry nothing above a few hertz, so they are evaluated on coarse knots with exact
        # derivatives and interpolated with quintic Hermite segments: C2 and far cheaper than sin() at
        # every internal sample.
        k0 = np.floor(t[0] / h) - 1
        k1 = np.ceil(t[-1] / h) + 1
        tk = np.arange(k0, k1 + 1) * h
        env, denv, ddenv = self.sway_env.evaluate_derivatives(tk)
        idx = np.clip(((t - tk[0]) / h).astype(np.int64), 0, tk.size - 2)
        s = (t - tk[idx]) / h
        out = np.zeros((t.shape[0], 3))
        for sw in self.sway:
            w = 2 * np.pi * sw.freq_hz
            arg = np.outer(tk, w) + sw.phase
            sn, cs = np.sin(arg), np.cos(arg)
            n0 = sn @ sw.amp_rad
            n1 = cs @ (sw.amp_rad * w)
            n2 = -(sn @ (sw.amp_rad * w * w))
            f0 = env * n0
            f1 = denv * n0 + env * n1
            f2 = ddenv * n0 + 2 * denv * n1 + env * n2
            out[:, sw.channel - 3] += hermite5(
                h, s, (f0[idx], f1[idx], f2[idx]), (f0[idx + 1], f1[idx + 1], f2[idx + 1])
            )
        return out
