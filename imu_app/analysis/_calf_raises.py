"""Calf raises from an ankle sensor: rep count, phase timing, range, partial reps, knee, tempo per set."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from imu_app.analysis._orientation import (
    Orientation,
    block_means,
    body_to_start,
    cross,
    estimate_gravity,
    in_spans,
    moving_mean,
    rotate,
    segment_bounds,
)
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis.report import CalfRaiseRep, CalfRaises, SetSummary
from imu_app.core import STANDARD_GRAVITY_M_S2, AnalysisError, ImuData, Knee, SetKind

__all__ = ["CalfRaiseParams", "CalfRaiseResult", "detect_calf_raises", "min_jerk_fraction_time"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalfRaiseParams:
    """Parameters of :func:`detect_calf_raises`; the defaults need no tuning.

    Attributes
    ----------
    work_rate_hz
        Rate at which the signals are analysed: the samples are averaged over blocks of
        ``floor(fs / work_rate_hz)`` (the anti-alias filter), so 52-104 Hz data are analysed at their own
        rate and 1 kHz data at 100 Hz. The fastest transition of a calf raise (a quick rise of about 0.3 s)
        still spans 30 samples at 100 Hz, a 10-ms block passes it practically untouched, and every time is
        fitted, not read off a sample; the cost after the averaging no longer depends on the sensor's rate.
    highpass_hz
        Cut-off of the zero-phase high-pass that keeps the integrated vertical acceleration (the velocity,
        used to *find* rises and lowerings, never to time them) from drifting. A rise (0.3-2 s) passes
        untouched; a slow lowering's velocity is attenuated and may split into lobes, which is why the
        lowering is checked by the sum of its lobes and timed by the fit.
    min_rise_m
        Smallest rise of the ankle looked at as a (possibly partial) rep. A full raise lifts the ankle 5-9 cm
        and a partial one (a sixth to a third of the range) 1-3 cm; sway and knee bends move a shank sensor
        vertically by less than 7 mm (and are not followed by a lowering).
    noise_fraction
        Rises smaller than this fraction of the recording's typical full rise (90th percentile of the rises)
        are not reps; partial reps rise a sixth of the range or more.
    partial_fraction
        A rep whose range is below this fraction of the set's full range (75th percentile) is partial
        (listed, not counted). 40 % of the range is the usual "at least half-way up" coaching cue with room
        for error. The range is the plantarflexion angle (as in the reps' ``range_deg``, from the set's
        start: the flat foot or below the step) that lifts the ankle by the smaller of the velocity lobe's
        and the fitted acceleration's rise: a lobe can merge with a posture change after the set's last
        rep, a fit rarely reads high. It is compared as an
        angle, not as a height, because the ankle rises on a circle, faster near the bottom than near the
        top: a third of the angle lifts it by 40 % of the full height, which a height fraction would count.
    max_transition_s
        Longest rise or lowering accepted (a 10-second eccentric is already twice the slowest prescription).
    max_rise_s
        Longest rise accepted. Rises are prescribed at about 1 s and done in 0.3-2 s; a fitted "rise" that
        stretches longer is a slow positive lobe of the high-passed velocity inside a slow lowering, not a
        rise.
    max_pause_s
        Longest bottom pause: a rep whose pause is not ended by a movement within this time ends here. It
        bounds the look-ahead of a live analysis.
    posture_deg
        A change of the shank's angle at least this large between the bottom and the next rise, made
        within ``posture_s`` (bending or straightening the knee, 12-20 deg), ends the pause when it starts
        and cuts the lowering's and the next rise's fitting windows. Single-leg sway turns the shank by up
        to 2 deg within a second and by several degrees over a 6-s rep (its slowest components), so both
        the angle before the next rise and the fitted change itself must reach this; a smaller shift of
        stance cannot be told from sway.
    posture_s
        Durations a knee bend or straightening takes (s); slower changes of the shank's angle are the
        stance drifting with sway and do not end the pause.
    bent_tilt_deg
        A set whose full reps tilt the shank by more than this (median, start to top) is a bent-knee set.
        With the knee straight the shank follows the heel's rise almost without rotating (2-4 deg); with the
        knee bent the knee stays put while the ankle moves forward along its arc, so the shank rotates about
        twice as much (5-8 deg). The gyroscope's angle about the flexion axis reads a little less than the
        sagittal tilt (the axis is found from the data and sway blurs the plateaus); 3.5 deg separates the
        two.
    knee_split_deg
        A set whose reps start from shank angles spread by more than this mixes straight- and bent-knee reps
        (a knee bend tilts the shank forward by 12-20 deg, sway and stance changes by a few degrees).
    foot_lever_m
        Distance from the metatarsal heads to the ankle joint centre (13 cm behind, 8 cm above, adult
        anthropometrics). The ankle moves on a circle of this radius about the metatarsal heads, which turns
        its rise into the plantarflexion range.
    max_rest_s
        Reps further apart than this belong to different sets.
    target_tempo_s
        Target durations of rise, top hold, lowering and bottom pause, e.g. the eccentric programme's
        1-0-3-2 s. ``None`` judges each set against its own opening tempo: the median of its first
        :data:`OPENING_REPS` full reps, which is how a set without a prescribed tempo shows where it fell
        off.
    tempo_tolerance_s
        A phase more than this far off its target counts as off-tempo in the set's notes.
    """

    work_rate_hz: float = 100.0
    highpass_hz: float = 0.1
    min_rise_m: float = 0.008
    noise_fraction: float = 0.12
    partial_fraction: float = 0.4
    max_transition_s: float = 10.0
    max_rise_s: float = 2.2
    max_pause_s: float = 8.0
    posture_deg: float = 5.0
    posture_s: tuple[float, float] = (0.2, 1.5)
    bent_tilt_deg: float = 3.5
    knee_split_deg: float = 10.0
    foot_lever_m: float = 0.152
    max_rest_s: float = DEFAULT_MAX_REST_S
    target_tempo_s: tuple[float, float, float, float] | None = None
    tempo_tolerance_s: float = 0.5

    def __post_init__(self) -> None:
        if self.work_rate_hz <= 0 or self.highpass_hz <= 0:
            raise AnalysisError("calf raises: work_rate_hz and highpass_hz must be positive")
        if not 0.0 < self.partial_fraction < 1.0:
            raise AnalysisError("calf raises: partial_fraction must lie between 0 and 1")
        if self.target_tempo_s is not None and (
            len(self.target_tempo_s) != 4 or min(self.target_tempo_s) < 0
        ):
            raise AnalysisError("calf raises: target_tempo_s needs four non-negative durations (s)")


@dataclass(frozen=True)
class CalfRaiseResult:
    """Reps, the calf-raise sets and what the user should know about the analysis.

    ``lookahead_s`` is the longest time after a rep's bottom that the analysis needs before the rep is
    decided (a live analysis reports every rep at most this late).
    """

    calf_raises: CalfRaises
    sets: tuple[SetSummary, ...]
    warnings: tuple[str, ...]
    lookahead_s: float


def _mj(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile (0 before, 1 after the movement)."""
    x = np.clip(tau, 0.0, 1.0)
    return x * x * x * (10.0 + x * (-15.0 + 6.0 * x))


def _mj_dd(tau: np.ndarray) -> np.ndarray:
    """Second derivative of :func:`_mj` with respect to normalised time (0 outside the movement)."""
    inside = (tau > 0.0) & (tau < 1.0)
    x = np.where(inside, tau, 0.0)
    return np.where(inside, x * (60.0 + x * (-180.0 + 120.0 * x)), 0.0)


_TAU = np.linspace(0.0, 1.0, 4001)
_MJ = _mj(_TAU)


def min_jerk_fraction_time(fraction: float) -> float:
    """Normalised time at which a minimum-jerk transition has covered ``fraction`` of its range."""
    return float(np.interp(fraction, _MJ, _TAU))


@dataclass(frozen=True)
class _Frame:
    """The strapdown frame of a stretch (:func:`_frame`) at :data:`_FRAME_RATE_HZ`: times (s), the
    rotations from the sensor's frame at each time to that at the stretch's start, the specific force
    turned into it (m/s^2, accelerometer bias removed), the angular rate smoothed over 0.1 s (rad/s, bias
    removed) and its derivative (rad/s^2), in the sensor's axes, and the flexion axis."""

    t: np.ndarray
    q: np.ndarray
    acc: np.ndarray
    spin: np.ndarray
    alpha: np.ndarray
    flexion: np.ndarray


@dataclass(frozen=True)
class _Signals:
    """One gap-free stretch at the work rate."""

    t: np.ndarray  # s
    acc_v: np.ndarray  # vertical acceleration, m/s^2, its median removed
    vel: np.ndarray  # high-passed vertical velocity, m/s (finding reps only)
    tilt: np.ndarray | None  # shank angle, deg: about the flexion axis (gyroscope) or of gravity (without)
    gyro: bool
    tilt_sum: np.ndarray | None = None  # running sum of ``tilt`` (leading 0), for means over any stretch
    acc_noise: float = 0.0  # white noise of ``acc_v`` per sample, m/s^2
    # up x angular acceleration, sensor axes, rad/s^2 (with a gyroscope): its dot product with the sensor's
    # place relative to the ankle is the vertical acceleration the shank's turning gives the sensor
    turning: np.ndarray | None = None
    frame: _Frame | None = None  # with a gyroscope
    # The ankle's forward acceleration (m/s^2, sign arbitrary) from ``frame`` once the lever is known, and
    # its white noise per sample
    acc_f: np.ndarray | None = None
    acc_f_noise: float = 0.0


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def _gyro_tilt(t: np.ndarray, rate_dps: np.ndarray) -> np.ndarray:
    """The shank's angle about the flexion axis (deg): the integrated angular rate, its bias removed.

    The rate's mean over a stretch is its bias (0.5 deg/s is typical uncalibrated, 2.5 deg over a 5-s
    lowering) plus the net rotation divided by the duration, which is nil for reps that start and end at
    the same angle; what is left (a slow drift) is absorbed by the drift term of every fit of the angle.
    Unlike an attitude referenced to gravity through a low-pass, it has no lag: the angle turns exactly
    when the shank does.
    """
    rate = rate_dps - float(np.mean(rate_dps))
    return np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])


def _gravity_tilt(up: np.ndarray) -> np.ndarray:
    """Angle (deg) of the up direction away from its median, along the direction it moves most.

    Without a gyroscope this is the shank's tilt: a knee bend or the tilt of a rise turns the sensor, and
    with it gravity in the sensor frame, mostly in one plane (the sagittal one). The sign is arbitrary;
    every use of the angle fits its own amplitude.
    """
    ref = _unit(np.median(up, axis=0))
    perp = up - (up @ ref)[:, None] * ref
    _, vecs = np.linalg.eigh(perp.T @ perp)
    return np.degrees(np.arcsin(np.clip(perp @ vecs[:, -1], -1.0, 1.0)))


def _signals(data: ImuData, orientation: Orientation | None, params: CalfRaiseParams) -> list[_Signals]:
    """Vertical acceleration, high-passed vertical velocity and shank angle of each gap-free stretch, at
    the work rate.

    The samples are first averaged over blocks of ``fs / work_rate_hz`` (the anti-alias filter; a 20 ms
    block passes a 0.3-s transition practically untouched), so everything after costs the same whatever
    the sensor's rate. The vertical acceleration is ``(|f| - 1 g)``: the magnitude of the specific force
    exceeds 1 g by the vertical acceleration plus half the square of the horizontal one (in g), and in a
    calf raise the latter term is below 1e-3 of the former. It needs no orientation, so it is the same for
    every mounting.
    """
    fs = data.sample_rate_hz
    k = max(1, int(fs / params.work_rate_hz))
    pieces = []
    for a, b in segment_bounds(len(data), data.gaps):
        if data.t_s[b - 1] - data.t_s[a] < 4.0:  # no room for a rep and its plateaus
            continue
        t = block_means(data.t_s[a:b], k) - data.t_s[0]
        acc = block_means(data.acc_g[a:b], k)
        gyr = None if data.gyr_dps is None else block_means(data.gyr_dps[a:b], k)
        # The attitude changes far slower than the work rate, so it is estimated on the averaged samples:
        # the same result at a fraction of the cost of every sample.
        up = (
            _unit(block_means(orientation.up[a:b], k))
            if orientation is not None
            else estimate_gravity(t, acc)
        )
        axis = None
        if gyr is not None:
            # The flexion axis: the principal axis of the angular rate, as in estimate_orientation.
            axis = orientation.axis if orientation is not None and orientation.axis is not None else None
            if axis is None:
                axis = np.linalg.eigh(gyr.T @ gyr)[1][:, -1]
        angle = None
        if gyr is not None and axis is not None:
            angle = _gyro_tilt(t, gyr @ axis)
        if angle is None:
            # Without a gyroscope the shank's angle is that of gravity in the sensor frame, from the
            # specific force averaged over a tenth of a second (the rise's own acceleration tilts it by
            # less than a degree for all but the fastest rises).
            work_hz = 1.0 / float(np.median(np.diff(t[: min(t.size, 2000)])))
            angle = _gravity_tilt(_unit(moving_mean(acc, max(1, round(0.1 * work_hz)))))
        lp_width = max(1, round(len(t) / max(t[-1] - t[0], 1e-9)))
        slow = moving_mean(moving_mean(acc, lp_width), lp_width)
        # Where the sensor turned within the averaging, the mean of the turning vector is shorter than the
        # mean of its length (by 1 - cos(15 deg), 34 mg, over a foot's 30-deg heel raise): no reading of the
        # bias, which only the sensor's resting attitudes give.
        slow_mag = moving_mean(moving_mean(np.linalg.norm(acc, axis=1), lp_width), lp_width)
        steady = slow_mag - np.linalg.norm(slow, axis=1) < _TURNED_G
        pieces.append((t, acc, slow[steady], up, angle, gyr))
    if not pieces:
        return []
    # The slow force changes over a second: every tenth sample is as good as all of them.
    bias = _acc_bias_g(np.concatenate([p[2][::10] for p in pieces]))
    out = []
    for t, acc, _, up, angle, gyr in pieces:
        work_hz = (len(t) - 1) / max(t[-1] - t[0], 1e-9)
        frame = None if gyr is None else _frame(t, acc - bias, gyr, work_hz)
        sos = butter(2, params.highpass_hz, btype="highpass", fs=work_hz, output="sos")
        # |f| = sqrt((1 + a_v)^2 + a_h^2) in g, so a_v = |f| - 1 - a_h^2 / 2 to second order. The magnitude
        # does not depend on the attitude estimate; only the small horizontal correction does.
        f = acc - bias
        mag = np.linalg.norm(f, axis=1)
        along = np.einsum("ij,ij->i", f, up)
        horiz2 = np.maximum(mag * mag - along * along, 0.0)
        # Where the force, averaged over a tenth of a second, leaves ``up`` by more than a calf raise's
        # horizontal acceleration, the attitude estimate lags a turning sensor (a foot turns by its whole
        # plantarflexion, 30 deg in a few tenths of a second), and the "correction" would be its error.
        lag = _unit(moving_mean(f, max(1, round(0.1 * work_hz))))
        trusted = 1.0 - np.einsum("ij,ij->i", lag, up) ** 2 < _MAX_HORIZONTAL_G**2
        acc_v = (mag - 1.0 - 0.5 * np.where(trusted, horiz2, 0.0)) * STANDARD_GRAVITY_M_S2
        acc_v -= np.median(acc_v)
        dt = np.diff(t)
        vel = np.concatenate([[0.0], np.cumsum(0.5 * (acc_v[1:] + acc_v[:-1]) * dt)])
        vel = sosfiltfilt(sos, vel)
        tilt_sum = None if angle is None else np.concatenate([[0.0], np.cumsum(angle)])
        noise = _white_noise(acc_v)
        out.append(
            _Signals(
                t=t,
                acc_v=acc_v,
                vel=vel,
                tilt=angle,
                gyro=data.gyr_dps is not None,
                tilt_sum=tilt_sum,
                acc_noise=noise,
                turning=None if gyr is None else cross(up, _angular_acceleration(t, gyr, work_hz)),
                frame=frame,
            )
        )
    return out


def _angular_acceleration(t: np.ndarray, gyr_dps: np.ndarray, work_hz: float) -> np.ndarray:
    """Angular acceleration (rad/s^2, sensor axes) from the angular rate smoothed over a tenth of a second
    (sway and calf raises lie below 3 Hz; the differentiated noise does not)."""
    spin = np.radians(moving_mean(gyr_dps, max(1, round(0.1 * work_hz))))
    return np.gradient(spin, t, axis=0)


#: Rate of the strapdown frame (Hz): the samples are averaged down to at least this. A 40-ms block mean
#: passes the lowering's forward acceleration (below 3 Hz) and the sway whose lever it removes, and costs a
#: quarter of the work rate's frame; lowerings were timed as well as at 50 Hz on seeds 0-17.
_FRAME_RATE_HZ = 25.0


def _frame(t: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray, work_hz: float) -> _Frame:
    """The strapdown frame of a stretch (see :class:`_Frame`).

    Turned into one frame, gravity is the same vector at every sample, so whatever else the specific
    force does is acceleration, along every axis: the ankle's forward acceleration as well as its vertical
    one. The gyroscope's bias is the median rate of the samples turning slower than 30 deg/s (sway and
    slow reps average out over a stretch).
    """
    k = max(1, int(work_hz / _FRAME_RATE_HZ))
    t, acc_g, gyr_dps = block_means(t, k), block_means(acc_g, k), block_means(gyr_dps, k)
    quiet = np.einsum("ij,ij->i", gyr_dps, gyr_dps) < 30.0**2
    gyro_bias = np.median(gyr_dps[quiet], axis=0) if quiet.sum() > 10 else np.zeros(3)
    rate = np.radians(gyr_dps - gyro_bias)
    q = body_to_start(t, rate)
    spin = moving_mean(rate, max(1, round(0.1 * work_hz / k)))
    return _Frame(
        t=t,
        q=q,
        acc=rotate(q, acc_g * STANDARD_GRAVITY_M_S2),
        spin=spin,
        alpha=np.gradient(spin, t, axis=0),
        flexion=np.linalg.eigh(rate.T @ rate)[1][:, -1],
    )


def _white_noise(x: np.ndarray) -> float:
    """White noise of ``x`` per sample, from successive differences (every fifth pair is as good a sample
    of it as all of them)."""
    return float(np.median(np.abs(np.diff(x)[::5]))) / (0.6745 * np.sqrt(2.0))


def _during(t: np.ndarray, onset_s: np.ndarray, duration_s: np.ndarray) -> np.ndarray:
    """Whether each time of ``t`` lies inside one of the movements ``onset_s``-``onset_s + duration_s``."""
    return in_spans(t.size, np.searchsorted(t, onset_s), np.searchsorted(t, onset_s + duration_s))


def _without_rotation(sig: _Signals, moving: np.ndarray) -> _Signals:
    """``sig`` with the ankle's vertical acceleration: ``acc_v`` less what the shank's rotation about the
    ankle gives the sensor above it.

    A sensor at ``r`` from the ankle accelerates by ``alpha x r`` as the shank turns (sway, the tilt of a
    rise); the vertical part of that is ``(alpha x r) . up = r . (up x alpha)``. In the sensor's axes ``r``
    is fixed (the sensor is strapped to the shank) while ``up`` follows the shank's attitude, so one ``r``
    serves straight- and bent-knee reps alike. Sway on one leg turns the shank at 2-4 deg/s, which gives
    a sensor 10-30 cm up the shank a few mg, as much as a slow lowering's own acceleration.

    ``r`` is fitted by least squares where the ankle is at rest (0.1 s clear of the reps' movements,
    ``moving``): there the shank turns by sway alone and the ankle stays. Inside a movement the shank's
    tilt keeps step with the rise (it tilts back as the ankle moves forward along its arc), so a fit there
    took whatever part of the rise the movements' fits missed for a lever arm: metres long on fast
    back-to-back reps, which removed a third of their height. A prior of :data:`_LEVER_PRIOR_M` per
    component keeps ``r`` small where sway is too weak to tell it. Without a gyroscope ``sig`` is returned
    as it is.
    """
    if sig.turning is None:
        return sig
    work_hz = 1.0 / float(np.median(np.diff(sig.t)))
    still = moving_mean((~moving).astype(float), max(1, round(0.2 * work_hz))) > 0.999
    if still.sum() < 10:
        return sig
    turning = sig.turning - sig.turning[still].mean(axis=0)
    rest = sig.acc_v[still] - sig.acc_v[still].mean()
    var = max(sig.acc_noise, 1e-4) ** 2
    lhs = turning[still].T @ turning[still] / var + np.eye(3) / _LEVER_PRIOR_M**2
    r = np.linalg.solve(lhs, turning[still].T @ rest / var)
    acc_v = sig.acc_v - turning @ r
    if sig.frame is None:
        return dataclasses.replace(sig, acc_v=acc_v)
    acc_f, noise = _forward(sig.frame, sig.t, still, sig.acc_noise)
    return dataclasses.replace(sig, acc_v=acc_v, acc_f=acc_f, acc_f_noise=noise)


#: Largest rotation (deg, median over the rises of a stretch) of a sensor on the shank in a calf raise's
#: rise: the rise tilts the shank by 2-4 deg with the knee straight and 5-8 deg bent, sway adds a few. A
#: sensor on the foot turns with the whole plantarflexion, 20-35 deg (Hébert-Losier et al. 2009).
_MAX_SHANK_TURN_DEG = 12.0


def _on_the_foot(sig: _Signals, start_s: np.ndarray, top_s: np.ndarray) -> bool:
    """Whether the sensor turns with the foot in the rises from ``start_s`` to ``top_s`` (by more than
    :data:`_MAX_SHANK_TURN_DEG`, median), which only a gyroscope tells.

    On the foot the sensor's vertical motion *is* the foot's rotation about the metatarsal heads, so the
    rotation must stay in the signal: removing the lever acceleration of a turning shank
    (:func:`_without_rotation`, fitted to the sway of a shank at rest) took the whole rise out of it, or
    turned it over.
    """
    if not sig.gyro or sig.tilt_sum is None or start_s.size == 0:
        return False
    turns = [
        abs(_level(sig, b - 0.05, b + 0.05) - _level(sig, a - 0.15, a))
        for a, b in zip(start_s, top_s, strict=True)
    ]
    return float(np.median(turns)) > _MAX_SHANK_TURN_DEG


#: Gravity's direction in the start frame is followed over this long (s): far longer than a rep, whose
#: forward acceleration averages to nil over it, and short against the integration's drift.
_UP_SPAN_S = 10.0


def _forward(frame: _Frame, t: np.ndarray, still: np.ndarray, acc_noise: float) -> tuple[np.ndarray, float]:
    """The ankle's forward acceleration (m/s^2) on the times ``t`` and its white noise per sample: the
    specific force in the start frame (:func:`_frame`) less the lever's acceleration, along the horizontal
    perpendicular to the flexion axis.

    A sensor at ``r`` from the ankle accelerates by ``alpha x r + w x (w x r)`` relative to it. ``r`` is
    fitted by least squares on all three axes where the ankle is at rest (``still``, on ``t``; every
    second frame sample), after a 1.5-s moving mean has taken out gravity and the integration's drift:
    there the specific force changes only by the shank's sway about the ankle, which swings a sensor 10 cm
    up the shank by tens of mm/s^2 horizontally, as much as a slow lowering's forward acceleration.
    """
    q, acc, spin, alpha = frame.q, frame.acc, frame.spin, frame.alpha
    frame_hz = (frame.t.size - 1) / max(frame.t[-1] - frame.t[0], 1e-9)
    width = max(1, round(1.5 * frame_hz))
    spin2 = np.einsum("ij,ij->i", spin, spin)[:, None]
    # The lever's acceleration per metre along each sensor axis, in the start frame.
    cols = [rotate(q, cross(alpha, e) + spin * spin[:, [k]] - spin2 * e) for k, e in enumerate(np.eye(3))]
    at_rest = np.interp(frame.t, t, still.astype(float)) > 0.999
    sel = np.flatnonzero(at_rest)[::2]
    x = np.stack([(c - moving_mean(c, width))[sel] for c in cols], axis=-1).reshape(-1, 3)
    y = (acc - moving_mean(acc, width))[sel].reshape(-1)
    # The frame's samples average several of ``t``'s.
    var = max(acc_noise, 1e-4) ** 2 * (t.size - 1) / max(frame.t.size - 1, 1)
    r = np.linalg.solve(x.T @ x / var + np.eye(3) / _LEVER_PRIOR_M**2, x.T @ y / var)
    acc = acc - sum(rk * c for rk, c in zip(r, cols, strict=True))
    up = _unit(moving_mean(acc, max(1, round(_UP_SPAN_S * frame_hz))))
    forward = _unit(cross(rotate(q, frame.flexion), up))
    acc_f = np.einsum("ij,ij->i", acc, forward)
    acc_f -= np.median(acc_f)
    # Interpolated to ``t``, its noise per sample of ``t`` is that per frame sample spread over as many.
    per_sample = _white_noise(acc_f) * np.sqrt((t.size - 1) / max(frame.t.size - 1, 1))
    return np.interp(t, frame.t, acc_f), per_sample


#: Prior size of each component of the sensor's position above the ankle (m): on the distal shank.
_LEVER_PRIOR_M = 0.2


#: Largest horizontal acceleration (g) of the ankle in a calf raise, averaged over a tenth of a second (the
#: heel strike's reaches 0.2-0.3 g for 30 ms): a force further from the estimated ``up`` is an attitude that
#: lags the sensor's turning.
_MAX_HORIZONTAL_G = 0.1

#: Shortening of the slow specific force (g) by the sensor's turning within the averaging above which the
#: force is no reading of the accelerometer's bias: 3 mg, a turn of about 9 deg within the second. A knee
#: bend (12-20 deg) or a foot's heel raise (20-35 deg) turns more; a rise's tilt of the shank (2-8 deg)
#: less, and those attitudes are kept, which tell the bias's components apart.
_TURNED_G = 3e-3


def _acc_bias_g(slow_acc_g: np.ndarray) -> np.ndarray:
    """Accelerometer bias (g, sensor axes) from the slow specific force in several attitudes.

    At rest the sensor reads ``g_up + b``, whose magnitude is ``1 + b . up`` to first order. A bias of
    0.01 g (typical of uncalibrated MEMS parts) therefore shifts ``|f| - 1`` by ``b . up``, which changes by
    a few mg whenever the shank tilts (a knee bend between reps): integrated twice over a few seconds that is
    centimetres, as much as a calf raise. Regressing ``|f| - 1`` on ``up`` over the recording recovers the
    bias components that the attitudes seen can tell apart; a light ridge keeps the others at zero.
    """
    mag = np.linalg.norm(slow_acc_g, axis=1)
    quiet = np.abs(mag - 1.0) < 0.05
    if quiet.sum() < 10:
        return np.zeros(3)
    up = slow_acc_g[quiet] / mag[quiet, None]
    y = mag[quiet] - 1.0
    ridge = 1e-3 * up.shape[0]
    return np.linalg.solve(up.T @ up + ridge * np.eye(3), up.T @ y)


def _mj_d(tau: np.ndarray) -> np.ndarray:
    """First derivative of :func:`_mj` with respect to normalised time (0 outside the movement)."""
    inside = (tau > 0.0) & (tau < 1.0)
    x = np.where(inside, tau, 0.0)
    return np.where(inside, 30.0 * x * x * (1.0 - x) ** 2, 0.0)


# ------------------------------------------------------------------------------------------ timing
#: Window of a transition in its own normalised time (0 = onset, 1 = end of the first guess): half a
#: transition either side shows the plateaus that fix the range, sampled every 5 % of the duration. It is
#: symmetric about 0.5, so a lowering seen backwards in time is a rise.
_U = np.linspace(-0.5, 1.5, 41)
#: Three grids of (shift of the transition's centre, duration factor), each seven by seven and centred on
#: the previous best: centres within 40 % of the duration and durations within a factor of two, then 3 %
#: and 7 %, then 0.8 % and 2 % steps. The last is 40 ms for a 5-s lowering, 3 ms for a 0.3-s rise.
_GRIDS = (
    (np.linspace(-0.4, 0.4, 7), np.geomspace(0.5, 2.0, 7)),
    (np.linspace(-0.09, 0.09, 7), np.geomspace(1 / 1.22, 1.22, 7)),
    (np.linspace(-0.025, 0.025, 7), np.geomspace(1 / 1.06, 1.06, 7)),
)
#: Shape families tried on each grid: the full-range ones first (a coarse grid cannot yet tell a partial
#: rep's shape), then all, then each transition's own.
_GRID_FAMILIES = ((0, 1), (0, 1, 2, 3), None)
_GAMMA_FLAT = float(np.arctan2(0.08, 0.13))
#: Shapes of a rise's vertical acceleration: (angle of the foot's lever at the start, plantarflexion), rad.
#: A full raise from the flat foot (30-40 deg), one from below the step (the heel 10-18 deg lower, 45 deg
#: in all) and partial reps of either. The shape of the acceleration changes with them because the ankle
#: rises on a circle, half as fast near the top as near the bottom for the same angular speed.
_FAMILIES = (
    (_GAMMA_FLAT, np.radians(33.0)),
    (_GAMMA_FLAT - np.radians(14.0), np.radians(45.0)),
    (_GAMMA_FLAT, np.radians(10.0)),
    (_GAMMA_FLAT - np.radians(14.0), np.radians(12.0)),
)

#: The families' start angles, highest (the flat foot) first.
_FAMILY_STARTS = tuple(sorted({g for g, _ in _FAMILIES}, reverse=True))


def _rise_shape(v: np.ndarray, family: int) -> np.ndarray:
    """Vertical acceleration (per unit lever, normalised time) of a minimum-jerk rise of the foot angle:
    ``cos(gamma) gamma'' - sin(gamma) gamma'^2`` with ``gamma = gamma_a + D mj(v)``."""
    g_a, span = _FAMILIES[family]
    p = _mj(v)
    gam = g_a + span * p
    return np.cos(gam) * span * _mj_dd(v) - np.sin(gam) * span * span * _mj_d(v) ** 2


def _candidates(shift: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onset (in units of the guessed duration, from the guessed onset) and duration factor of every
    candidate, centre shift major."""
    cc, rr = np.meshgrid(shift, rho, indexing="ij")
    return (0.5 + cc - 0.5 * rr).ravel(), rr.ravel()


def _templates(
    onset: np.ndarray, rho: np.ndarray, families: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Bases of the vertical acceleration and of the shank angle for every candidate, on the window
    ``_U``: shapes (families x candidates, samples, 3) and (candidates, samples, 3).

    Acceleration: an offset and a step shaped like the transition (the accelerometer's bias, whose
    projection on gravity changes as the shank tilts) and the rise's own acceleration on the ankle's
    circle. Angle: offset, a linear drift (gyroscope drift and slow sway over the window) and the step.
    """
    v = (_U[None, :] - onset[:, None]) / rho[:, None]
    p = _mj(v)
    one = np.ones_like(v)
    acc = np.concatenate([np.stack([one, p, _rise_shape(v, f)], axis=-1) for f in families])
    tilt = np.stack([one, np.broadcast_to(_U, v.shape), p], axis=-1)
    return acc, tilt


def _window(
    t: np.ndarray, y_int: np.ndarray, s0: np.ndarray, d0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Times and box means of a signal (given as its running integral ``y_int``) on each transition's
    window: the box spans one window step, so slow transitions are averaged as much as they allow."""
    tq = s0[:, None] + d0[:, None] * _U[None, :]
    h = np.maximum(d0 * (_U[1] - _U[0]), 1e-6)[:, None]
    hi = np.interp(tq + 0.5 * h, t, y_int)
    lo = np.interp(tq - 0.5 * h, t, y_int)
    return tq, (hi - lo) / h


def _rss(w: np.ndarray, y: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted residual sums of squares (transitions x candidates) and coefficients of the linear
    least-squares fit of ``y`` (transitions x samples) on every candidate's ``basis`` (candidates x samples
    x 3, the first column a constant).

    The normal equations of all transitions and candidates come from two matrix products (their six
    distinct entries) and are solved by the adjugate (Cramer's rule): a few elementwise products instead
    of a LAPACK call for each of some 10^5 tiny systems.
    """
    n_c = basis.shape[0]
    b1, b2 = basis[:, :, 1].T, basis[:, :, 2].T  # samples x candidates
    # einsum, not matmul: these products are thin (tens of samples), where a multithreaded BLAS gains
    # nothing and stalls when the cores are busy.
    prods = np.einsum("tm,mk->tk", w, np.concatenate([b1, b2, b1 * b1, b1 * b2, b2 * b2], axis=1))
    a01, a02, a11, a12, a22 = (prods[:, k * n_c : (k + 1) * n_c] for k in range(5))
    a00 = np.broadcast_to(w.sum(axis=1)[:, None], a01.shape)
    wy = w * y
    r12 = np.einsum("tm,mk->tk", wy, np.concatenate([b1, b2], axis=1))
    r0 = wy.sum(axis=1)[:, None]
    r1, r2 = r12[:, :n_c], r12[:, n_c:]
    # A tiny ridge keeps windows that see only part of a transition solvable.
    ridge = 1e-9 * (a00 + a11 + a22) / 3.0 + 1e-12
    a00, a11, a22 = a00 + ridge, a11 + ridge, a22 + ridge
    c00 = a11 * a22 - a12 * a12
    c01 = a02 * a12 - a01 * a22
    c02 = a01 * a12 - a02 * a11
    c11 = a00 * a22 - a02 * a02
    c12 = a01 * a02 - a00 * a12
    c22 = a00 * a11 - a01 * a01
    det = a00 * c00 + a01 * c01 + a02 * c02
    # A candidate whose shape barely reaches into the samples its window keeps has (nearly) collinear
    # columns: its residual would be rounding noise, so it is no candidate.
    singular = det <= 1e-8 * a00 * a11 * a22
    det = np.where(singular, 1.0, det)
    coef = np.empty((*a01.shape, 3))
    coef[..., 0] = (c00 * r0 + c01 * r1 + c02 * r2) / det
    coef[..., 1] = (c01 * r0 + c11 * r1 + c12 * r2) / det
    coef[..., 2] = (c02 * r0 + c12 * r1 + c22 * r2) / det
    rss = np.einsum("tm,tm->t", wy, y)[:, None] - (coef[..., 0] * r0 + coef[..., 1] * r1 + coef[..., 2] * r2)
    return np.where(singular, np.inf, np.maximum(rss, 0.0)), coef


@dataclass(frozen=True)
class _Fit:
    """Transitions timed by :func:`_refine`: onsets and durations (s), the shape family of each and the
    amplitude of its acceleration (for :func:`_render`)."""

    onset_s: np.ndarray
    duration_s: np.ndarray
    family: np.ndarray
    acc_amp: np.ndarray
    lowering: np.ndarray

    @property
    def height_m(self) -> np.ndarray:
        """How far the ankle rose (or fell), from the fitted acceleration: the family's shape is the
        acceleration of a unit lever over a unit time, so amplitude times duration squared times the
        family's rise per unit lever is the distance."""
        span = np.array([np.sin(g + a) - np.sin(g) for g, a in _FAMILIES])
        return self.acc_amp * self.duration_s**2 * span[self.family]


def _render(t: np.ndarray, fit: _Fit) -> np.ndarray:
    """The vertical acceleration that the fitted transitions make, on the times ``t``."""
    idx, owner = _spans(t, fit.onset_s, fit.onset_s + fit.duration_s)
    return np.bincount(idx, weights=_shape_at(t[idx], owner, fit), minlength=t.size)


def _spans(t: np.ndarray, lo_s: np.ndarray, hi_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``t`` of the samples from each ``lo_s`` to its ``hi_s``, all spans one after the
    other, and the span each belongs to."""
    i0 = np.searchsorted(t, lo_s)
    count = np.maximum(np.searchsorted(t, hi_s) - i0, 0)
    owner = np.repeat(np.arange(count.size), count)
    return np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + i0[owner], owner


def _shape_at(t: np.ndarray, owner: np.ndarray, fit: _Fit) -> np.ndarray:
    """The fitted acceleration of transition ``owner`` at each time ``t`` (nil outside it)."""
    v = (t - fit.onset_s[owner]) / fit.duration_s[owner]
    v = np.where(fit.lowering[owner], 1.0 - v, v)
    fam = np.array(_FAMILIES)[fit.family[owner]]
    p = _mj(v)
    gam = fam[:, 0] + fam[:, 1] * p
    shape = np.cos(gam) * fam[:, 1] * _mj_dd(v) - np.sin(gam) * fam[:, 1] ** 2 * _mj_d(v) ** 2
    return fit.acc_amp[owner] * shape


def _refine(
    sig: _Signals,
    acc_v: np.ndarray,
    onset_s: np.ndarray,
    duration_s: np.ndarray,
    *,
    lo_s: np.ndarray,
    hi_s: np.ndarray,
    lowering: np.ndarray,
    use_acc: bool = True,
    use_tilt: bool = False,
) -> _Fit:
    """Onsets and durations of minimum-jerk transitions, all at once, by a matched fit to the vertical
    acceleration ``acc_v`` and (if there is one and ``use_tilt``) the shank angle, from first guesses.

    Each transition is seen on its own window, cut at ``lo_s``/``hi_s`` (where the neighbouring movements
    end and begin), and every candidate onset and duration of a grid is fitted in closed form: the
    amplitudes enter linearly, so the residual of each candidate is a small linear least-squares problem
    whose normal equations are formed for all transitions and candidates by one matrix product. A
    lowering is a rise backwards in time, so its window is reversed and it shares the rises' templates.
    The candidate (and shape of the acceleration, :data:`_FAMILIES`) that minimises the residuals of both
    signals, each divided by its noise level, wins; two finer grids follow.
    """
    s, d = onset_s.astype(np.float64).copy(), duration_s.astype(np.float64).copy()
    n = s.size
    family = np.zeros(n, dtype=np.int64)
    amp = np.zeros(n)
    if n == 0:
        return _Fit(s, d, family, amp, lowering)
    t = sig.t
    dt = np.diff(t)
    work_hz = 1.0 / float(np.median(dt))
    acc_int = np.concatenate([[0.0], np.cumsum(0.5 * (acc_v[1:] + acc_v[:-1]) * dt)])
    acc_var = sig.acc_noise**2 + 1e-12
    tilt_int = None
    if use_tilt and sig.tilt is not None:
        tilt_int = np.concatenate([[0.0], np.cumsum(0.5 * (sig.tilt[1:] + sig.tilt[:-1]) * dt)])
    tilt_var = None
    rows = np.arange(n)
    for (shift, rho), fams in zip(_GRIDS, _GRID_FAMILIES, strict=True):
        onset, factor = _candidates(shift, rho)
        n_c = onset.size
        all_families = (0,) if not use_acc else fams or tuple(int(f) for f in np.unique(family))
        # Candidate index of the mirror image (centre shift negated): what a reversed window's fit means.
        mirror = ((shift.size - 1 - np.arange(shift.size))[:, None] * rho.size + np.arange(rho.size)).ravel()
        perm = np.concatenate([k * n_c + mirror for k in range(len(all_families))])
        acc_b, tilt_b = _templates(onset, factor, all_families)
        tq = s[:, None] + d[:, None] * _U[None, :]
        inside = (tq >= t[0]) & (tq <= t[-1]) & (tq >= lo_s[:, None]) & (tq <= hi_s[:, None])
        w = inside.astype(np.float64)
        w[lowering] = w[lowering, ::-1]
        cost = np.zeros((n, len(all_families) * n_c))
        coef_acc = None
        if use_acc:
            _, y = _window(t, acc_int, s, d)
            y[lowering] = y[lowering, ::-1]
            if fams is not None:
                rss, coef_acc = _rss(w, y, acc_b)
            else:
                # Each transition keeps its own family on the last grid.
                rss = np.full((n, len(all_families) * n_c), np.inf)
                coef_acc = np.zeros((n, len(all_families) * n_c, 3))
                for k, f in enumerate(all_families):
                    sel = family == f
                    cols = slice(k * n_c, (k + 1) * n_c)
                    rss[sel, cols], coef_acc[sel, cols] = _rss(w[sel], y[sel], acc_b[cols])
            # A box mean over the window step averages the white noise of this many samples.
            n_box = np.maximum(d * (_U[1] - _U[0]) * work_hz, 1.0)[:, None]
            cost_k = rss * n_box / acc_var
            # A rise lifts the ankle: the same shape upside down is a lowering (or its echo), not a rise.
            cost_k[coef_acc[..., 2] <= 0.0] = np.inf
            cost_k[lowering] = cost_k[lowering][:, perm]
            coef_acc[lowering] = coef_acc[lowering][:, perm]
            cost += cost_k
        if tilt_int is not None:
            _, y = _window(t, tilt_int, s, d)
            y[lowering] = y[lowering, ::-1]
            rss, _ = _rss(w, y, tilt_b)
            if tilt_var is None:
                # The angle's "noise" is sway, coloured and far from white: its level is the typical
                # residual of the best fits, counted once per tenth of a second.
                per = rss.min(axis=1) / np.maximum(w.sum(axis=1), 1.0)
                tilt_var = float(np.median(per)) + 1e-9
            corr = np.maximum(_TILT_CORR_S / (d * (_U[1] - _U[0])), 1.0)[:, None]
            cost_k = np.tile(rss / (tilt_var * corr), (1, len(all_families)))
            cost_k[lowering] = cost_k[lowering][:, perm]
            cost += cost_k
        # A transition stays between its neighbours (within a tenth of its duration): masking their
        # samples alone would let a candidate stretch over them unseen.
        c_on = s[:, None] + onset[None, :] * d[:, None]
        c_end = c_on + factor[None, :] * d[:, None]
        tol = 0.1 * d[:, None]
        outside = (c_on < lo_s[:, None] - tol) | (c_end > hi_s[:, None] + tol)
        cost += np.tile(np.where(outside, np.inf, 0.0), (1, len(all_families)))
        best = np.argmin(cost, axis=1)
        family = np.array(all_families)[best // n_c]
        if coef_acc is not None:
            amp = coef_acc[rows, best, 2]
        cand = best % n_c
        s = s + onset[cand] * d
        d = d * factor[cand]
    return _Fit(s, d, family, amp, lowering)


def _mj_derivatives(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_mj` and its first three derivatives with respect to normalised time (0 outside the
    movement)."""
    x = np.clip(tau, 0.0, 1.0)
    inside = (tau > 0.0) & (tau < 1.0)
    xi = np.where(inside, x, 0.0)
    return (
        x * x * x * (10.0 + x * (-15.0 + 6.0 * x)),
        30.0 * xi * xi * (1.0 - xi) ** 2,
        xi * (60.0 + xi * (-180.0 + 120.0 * xi)),
        np.where(inside, 60.0 + xi * (-360.0 + 360.0 * xi), 0.0),
    )


@dataclass(frozen=True)
class _RepTerms:
    """One rep's movement on its times (reps x samples): the rise's and the lowering's progress, the foot
    lever's angle and its first two time derivatives, and with ``sensitivities`` the derivatives of the
    progresses with respect to their own onset and duration (reps x samples x 2) and of the vertical and
    the forward acceleration per metre of lever with respect to the seven timings (reps x samples x 7)."""

    p_r: np.ndarray
    p_l: np.ndarray
    vertical: np.ndarray
    forward: np.ndarray
    sensitivities: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None


def _rep_terms(u: np.ndarray, theta: np.ndarray, *, sensitivities: bool = False) -> _RepTerms:
    """The terms of :func:`_rep_model` (see :class:`_RepTerms`).

    The ankle moves on a circle about the metatarsal heads: its height is ``L sin(g)`` and its forward
    place ``-L cos(g)``, the lever's angle ``g`` turning from ``g_a`` by ``D_r`` in a minimum-jerk rise and
    back by ``D_l`` in the lowering, so its vertical acceleration is ``L (cos(g) g'' - sin(g) g'^2)`` and
    its forward one ``L (sin(g) g'' + cos(g) g'^2)`` (the forward axis's sign is the fit's). Their
    derivatives with respect to ``g`` are minus the forward and the vertical one.
    """
    s_r, d_r, s_l, d_l, g_a, span_r, span_l = (theta[:, k : k + 1] for k in range(7))
    v_r = (u - s_r) / d_r
    v_l = (u - s_l) / d_l
    p_r, a_r, b_r, c_r = _mj_derivatives(v_r)
    p_l, a_l, b_l, c_l = _mj_derivatives(v_l)
    gam = g_a + span_r * p_r - span_l * p_l
    g1 = span_r * a_r / d_r - span_l * a_l / d_l
    g2 = span_r * b_r / d_r**2 - span_l * b_l / d_l**2
    cos, sin = np.cos(gam), np.sin(gam)
    vertical = cos * g2 - sin * g1 * g1
    forward = sin * g2 + cos * g1 * g1
    if not sensitivities:
        return _RepTerms(p_r, p_l, vertical, forward, None)
    # The derivatives of g, g' and g'' with respect to each timing (columns in the order of ``theta``):
    # the onsets shift the normalised time by -1/d, the durations by -v/d and scale the derivatives.
    zero = np.zeros_like(u)
    d_gam = np.stack(
        [
            -span_r * a_r / d_r,
            -span_r * a_r * v_r / d_r,
            span_l * a_l / d_l,
            span_l * a_l * v_l / d_l,
            np.ones_like(u),
            p_r,
            -p_l,
        ],
        axis=-1,
    )
    d_g1 = np.stack(
        [
            -span_r * b_r / d_r**2,
            -span_r * (b_r * v_r + a_r) / d_r**2,
            span_l * b_l / d_l**2,
            span_l * (b_l * v_l + a_l) / d_l**2,
            zero,
            a_r / d_r,
            -a_l / d_l,
        ],
        axis=-1,
    )
    d_g2 = np.stack(
        [
            -span_r * c_r / d_r**3,
            -span_r * (c_r * v_r + 2.0 * b_r) / d_r**3,
            span_l * c_l / d_l**3,
            span_l * (c_l * v_l + 2.0 * b_l) / d_l**3,
            zero,
            b_r / d_r**2,
            -b_l / d_l**2,
        ],
        axis=-1,
    )
    d_p_r = np.stack([-a_r / d_r, -a_r * v_r / d_r], axis=-1)
    d_p_l = np.stack([-a_l / d_l, -a_l * v_l / d_l], axis=-1)
    d_vertical = -forward[..., None] * d_gam + cos[..., None] * d_g2 - 2.0 * (sin * g1)[..., None] * d_g1
    d_forward = vertical[..., None] * d_gam + sin[..., None] * d_g2 + 2.0 * (cos * g1)[..., None] * d_g1
    return _RepTerms(p_r, p_l, vertical, forward, (d_p_r, d_p_l, d_vertical, d_forward))


def _rep_model(u: np.ndarray, theta: np.ndarray, terms: _RepTerms | None = None) -> np.ndarray:
    """Columns of one rep's vertical and forward acceleration on the times ``u`` (reps x samples) for the
    parameters ``theta`` (reps x 7: rise onset and duration, lowering onset and duration, the foot lever's
    angle at the start, the rise's and the lowering's rotation, rad), shape reps x samples x 9
    (:func:`_rep_terms`).

    Vertical (columns 0-3): an offset, the bias steps of the rise and of the lowering (the accelerometer's
    bias projected on the tilting shank) and the ankle's acceleration per metre of lever. Forward (4-8):
    an offset and a drift (the strapdown frame's slow error, :func:`_frame`), the two bias steps and the
    ankle's forward acceleration per metre of lever.
    """
    m = _rep_terms(u, theta) if terms is None else terms
    one = np.ones_like(u)
    return np.stack([one, m.p_r, m.p_l, m.vertical, one, u - u[:, :1], m.p_r, m.p_l, m.forward], axis=-1)


def _rep_fit(
    y: np.ndarray,
    w: np.ndarray,
    u: np.ndarray,
    theta: np.ndarray,
    ridge: np.ndarray,
    *,
    forward: tuple[np.ndarray, np.ndarray] | None = None,
    jacobian: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Weighted residuals (reps x samples), their sums of squares and the linear coefficients of the
    model :func:`_rep_model` fitted to ``y`` for the timings ``theta``; with ``forward`` (the forward
    acceleration's box means and weights) also of its forward columns, their residuals and coefficients
    after the vertical ones.

    With ``jacobian`` also the residuals' derivatives with respect to the timings (reps x samples x 7),
    else None: exact, the coefficients re-solved at every timing (Golub and Pereyra's variable
    projection), from the model's analytic sensitivities (:func:`_rep_terms`). They replace seven
    forward differences, each a fit of the model, at every Levenberg-Marquardt step.
    """
    terms = _rep_terms(u, theta, sensitivities=jacobian)
    x = _rep_model(u, theta, terms)
    parts = [(y, w, x[..., :4], (1, 2))]
    if forward is not None:
        parts.append((*forward, x[..., 4:], (2, 3)))
    residuals, coefs, jacobians = [], [], []
    for channel, (yy, ww, x, steps) in enumerate(parts):
        xt = np.swapaxes(x * ww[..., None], 1, 2)
        # Batched matrix products: einsum's generic loops are several times slower for these shapes.
        a = xt @ x + 1e-9 * np.eye(x.shape[-1])
        for k in steps:
            a[:, k, k] += ridge
        coef = np.linalg.solve(a, xt @ yy[..., None])[..., 0]
        root = np.sqrt(ww)
        error = yy - (x @ coef[..., None])[..., 0]
        residuals.append(error * root)
        coefs.append(coef)
        if terms.sensitivities is not None:
            d_p_r, d_p_l, d_vertical, d_forward = terms.sensitivities
            d_move = d_vertical if channel == 0 else d_forward
            k = steps[0]
            d_model = coef[:, -1, None, None] * d_move
            d_model[..., :2] += coef[:, k, None, None] * d_p_r
            d_model[..., 2:4] += coef[:, k + 1, None, None] * d_p_l
            # The coefficients' change: A dc = dX' W e - X' W dX c, e the unweighted residual.
            e_w = (error * ww)[:, None, :]
            d_xt_e = np.zeros((x.shape[0], x.shape[-1], 7))
            d_xt_e[:, k, :2] = (e_w @ d_p_r)[:, 0]
            d_xt_e[:, k + 1, 2:4] = (e_w @ d_p_l)[:, 0]
            d_xt_e[:, -1] = (e_w @ d_move)[:, 0]
            d_coef = np.linalg.solve(a, d_xt_e - xt @ d_model)
            jacobians.append(-root[..., None] * (d_model + x @ d_coef))
    res = np.concatenate(residuals, axis=1)
    jac = np.concatenate(jacobians, axis=1) if jacobians else None
    return res, (res * res).sum(axis=1), np.concatenate(coefs, axis=1), jac


def _render_on(u: np.ndarray, fit: _Fit) -> np.ndarray:
    """Each transition's fitted acceleration on its own row of times ``u`` (transitions x samples)."""
    v = (u - fit.onset_s[:, None]) / fit.duration_s[:, None]
    v = np.where(fit.lowering[:, None], 1.0 - v, v)
    fam = np.array(_FAMILIES)[fit.family]
    p = _mj(v)
    gam = fam[:, :1] + fam[:, 1:] * p
    shape = np.cos(gam) * fam[:, 1:] * _mj_dd(v) - np.sin(gam) * fam[:, 1:] ** 2 * _mj_d(v) ** 2
    return fit.acc_amp[:, None] * shape


#: Size of the bias steps (m/s^2): a 0.01-g bias, less what ``_acc_bias_g`` removes, on a shank that turns
#: by a few degrees.
_BIAS_PRIOR_M_S2 = 0.005

#: Box means per transition on a rep's grid.
_REP_STEPS = 10


def _rep_grid(lo: np.ndarray, hi: np.ndarray, theta: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and box widths (reps x samples, width 0 where a rep has fewer samples than the longest) of
    each rep's window ``lo``-``hi``: :data:`_REP_STEPS` boxes per rise up to the middle of the top hold,
    as many per lowering after it, so a slow lowering costs no more samples than a fast one."""
    mid = np.clip(0.5 * (theta[:, 0] + theta[:, 1] + theta[:, 2]), lo, hi)
    parts = []
    for a, b, d in ((lo, mid, theta[:, 1]), (mid, hi, theta[:, 3])):
        step = np.maximum(d / _REP_STEPS, dt)
        n = np.ceil(np.maximum(b - a, 0.0) / step).astype(np.int64)
        parts.append((a, (b - a) / np.maximum(n, 1), n))
    size = int(max(1, np.max(parts[0][2] + parts[1][2])))
    k = np.arange(size)[None, :]
    (a0, h0, n0), (a1, h1, n1) = parts
    first = k < n0[:, None]
    second = ~first & (k < (n0 + n1)[:, None])
    u = np.where(
        first, a0[:, None] + (k + 0.5) * h0[:, None], a1[:, None] + (k - n0[:, None] + 0.5) * h1[:, None]
    )
    h = np.where(first, h0[:, None], np.where(second, h1[:, None], 0.0))
    return np.where(first | second, u, lo[:, None]), h


def _render_reps(
    t: np.ndarray, theta: np.ndarray, coef: np.ndarray, until: np.ndarray, forward: bool = False
) -> np.ndarray:
    """The vertical (or ``forward``) acceleration of the reps' fitted movements (:func:`_rep_model`,
    without offsets, drifts and bias steps) on the times ``t``, each up to the last time its fit saw
    (``until``): past it nothing held the fit, which may have moved a short lowering there, to land on
    the next rep's rise."""
    idx, owner = _spans(t, theta[:, 0], np.minimum(theta[:, 2] + theta[:, 3], until))
    k = 8 if forward else 3
    cols = _rep_model(t[idx][:, None], theta[owner])[:, 0, k] * coef[owner, k]
    return np.bincount(idx, weights=cols, minlength=t.size)


def _joint_refine(
    sig: _Signals,
    rise: _Fit,
    low: _Fit,
    *,
    prev_end: np.ndarray,
    next_s: np.ndarray,
    passes: int = 2,
    iterations: int = 4,
    settle: int = 6,
) -> tuple[_Fit, _Fit]:
    """Rise and lowering of every rep timed together by Levenberg-Marquardt on the four onsets and
    durations (the amplitudes in closed form at every step: variable projection), starting from the
    transitions' separate fits.

    Each rep is seen from half a rise before its onset to half a lowering after its bottom, on a grid of
    box means a tenth of its rise or lowering wide, with its neighbours' fitted movements
    subtracted (so the window may reach into them, up to the middle of the previous lowering and of the
    next rise, but not past a knee bend, ``prev_end`` and ``next_s``); all reps are fitted at once, and
    again (``passes``) with the neighbours' new fits. The lowering may not start before the top.

    Four iterations a pass leave the fit short of its minimum: from the separate fits the steps alternate
    between accepted and rejected, and a 3-s lowering's end was still 28 ms late on average (416 Hz,
    sensor noise alone, 36 reps). ``settle`` more iterations, damped more from the start, bring that to
    16 ms; the heights stay those of the passes.
    """
    n = rise.onset_s.size
    if n == 0:
        return rise, low
    t = sig.t
    dt = np.diff(t)
    fam = np.array(_FAMILIES)
    theta = np.stack(
        [
            rise.onset_s,
            rise.duration_s,
            low.onset_s,
            low.duration_s,
            fam[rise.family, 0],
            fam[rise.family, 1],
            fam[rise.family, 1],
        ],
        axis=1,
    )
    coef = None
    seen_until = np.full(n, np.inf)
    for _ in range(passes):
        if coef is None:
            own_r, own_l = rise, low
            others = sig.acc_v - _render(t, rise) - _render(t, low)
        else:
            others = sig.acc_v - _render_reps(t, theta, coef, seen_until)
        y_int = np.concatenate([[0.0], np.cumsum(0.5 * (others[1:] + others[:-1]) * dt)])
        prev_mid = np.concatenate([[-np.inf], theta[:-1, 2] + 0.5 * theta[:-1, 3]])
        next_mid = np.concatenate([theta[1:, 0] + 0.5 * theta[1:, 1], [np.inf]])
        lo = np.fmax(np.fmax(theta[:, 0] - 0.5 * theta[:, 1], prev_mid), np.nan_to_num(prev_end, nan=-np.inf))
        hi = np.fmin(np.fmin(theta[:, 2] + 1.5 * theta[:, 3], next_mid), np.nan_to_num(next_s, nan=np.inf))
        lo, hi = np.maximum(lo, t[0]), np.minimum(hi, t[-1])
        u, h = _rep_grid(lo, hi, theta, float(np.median(dt)))
        uq = np.clip(u, t[0], t[-1])
        y = (np.interp(uq + 0.5 * h, t, y_int) - np.interp(uq - 0.5 * h, t, y_int)) / np.maximum(h, 1e-9)
        if coef is None:
            y = y + _render_on(u, own_r) + _render_on(u, own_l)
        else:
            y = y + _rep_model(u, theta)[..., 3] * coef[:, 3:4]
        # A box mean over ``h`` averages the white noise of ``h / dt`` samples: weights in units of its
        # variance. The bias steps are at most a few mg: a prior of that size keeps them from taking over
        # part of a movement (they are shaped like its height) when transitions meet without a pause.
        w = h / float(np.median(dt)) / (sig.acc_noise**2 + 1e-12)
        forward = None
        if sig.acc_f is not None:
            # The forward acceleration likewise, its neighbours' fitted movements subtracted once known.
            others_f = (
                sig.acc_f
                if coef is None
                else sig.acc_f - _render_reps(t, theta, coef, seen_until, forward=True)
            )
            f_int = np.concatenate([[0.0], np.cumsum(0.5 * (others_f[1:] + others_f[:-1]) * dt)])
            y_f = np.interp(uq + 0.5 * h, t, f_int) - np.interp(uq - 0.5 * h, t, f_int)
            y_f = y_f / np.maximum(h, 1e-9)
            if coef is not None:
                y_f = y_f + _rep_model(u, theta)[..., 8] * coef[:, 8:9]
            forward = (y_f, h / float(np.median(dt)) / (sig.acc_f_noise**2 + 1e-12))
        ridge = np.full(theta.shape[0], 1.0 / _BIAS_PRIOR_M_S2**2)
        theta, coef = _levenberg_marquardt(y, w, u, theta, ridge, iterations=iterations, forward=forward)
        seen_until = hi
    span = np.array([np.sin(g + a) - np.sin(g) for g, a in _FAMILIES])
    top = theta[:, 4] + theta[:, 5]
    h_r = coef[:, 3] * (np.sin(top) - np.sin(theta[:, 4]))
    h_l = coef[:, 3] * (np.sin(top) - np.sin(top - theta[:, 6]))
    if settle:
        # Settling retimes the edges from the fit above (the lowering from the top at the earliest), within
        # a quarter of each transition of where it was: the heights above decide which reps count and are
        # kept (the foot's lever and rotation trade off against each other as the fit goes on, which moves
        # a height more than an edge).
        start = theta.copy()
        start[:, 2], start[:, 3] = _from_top(
            theta[:, 0] + theta[:, 1], theta[:, 2], theta[:, 2] + theta[:, 3]
        )
        theta, _ = _levenberg_marquardt(
            y, w, u, start, ridge, iterations=settle, forward=forward, damping=0.1, relax=0.5, box=0.25
        )
    amp_r = h_r / (theta[:, 1] ** 2 * span[rise.family])
    amp_l = h_l / (theta[:, 3] ** 2 * span[low.family])
    return (
        _Fit(theta[:, 0], theta[:, 1], rise.family, amp_r, rise.lowering),
        _Fit(theta[:, 2], theta[:, 3], low.family, amp_l, low.lowering),
    )


def _from_top(top_s: np.ndarray, onset_s: np.ndarray, end_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onsets and durations (at least 0.1 s) of lowerings that begin at or after the top, their ends kept.

    Where a fit starts a lowering inside the rise, only its onset moves: the end (the ankle decelerating
    low on its circle, where it moves mostly vertically) is timed two to three times better than the onset
    high on the circle (``benchmarks/bench_calf_ceiling.py``), so it is not moved with the onset.
    """
    lower = np.maximum(onset_s, top_s)
    return lower, np.maximum(end_s - lower, 0.1)


def _levenberg_marquardt(
    y: np.ndarray,
    w: np.ndarray,
    u: np.ndarray,
    theta: np.ndarray,
    ridge: np.ndarray,
    *,
    iterations: int,
    forward: tuple[np.ndarray, np.ndarray] | None = None,
    damping: float = 1e-3,
    relax: float = 0.3,
    box: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Timings (reps x 7) that minimise each rep's residual of :func:`_rep_fit`, from ``theta``, and the
    linear coefficients there; a step per rep, with the exact Jacobian.

    The damping starts at ``damping`` and is multiplied by ``relax`` after an accepted step, by ten after a
    rejected one. With ``box`` no edge leaves the start's by more than that fraction of its transition.
    """
    start = theta
    theta = theta.copy()
    res, cost, coef, jac = _rep_fit(y, w, u, theta, ridge, forward=forward, jacobian=True)
    assert jac is not None
    lam = np.full(theta.shape[0], damping)
    for _ in range(iterations):
        jt = np.swapaxes(jac, 1, 2)
        jtj = jt @ jac
        jtr = (jt @ res[..., None])[..., 0]
        diag = np.diagonal(jtj, axis1=1, axis2=2)
        eye = np.eye(theta.shape[1])
        damped = jtj + lam[:, None, None] * (eye * diag[:, None, :] + 1e-12 * eye)
        delta = -np.linalg.solve(damped, jtr[..., None])[..., 0]
        # No step moves an edge by more than a quarter of its transition.
        limit = np.concatenate([0.25 * theta[:, [1, 1, 3, 3]], np.full((theta.shape[0], 3), 0.2)], axis=1)
        trial = theta + np.clip(delta, -limit, limit)
        if box is not None:
            reach = box * start[:, [1, 1, 3, 3]]
            trial[:, :4] = np.clip(trial[:, :4], start[:, :4] - reach, start[:, :4] + reach)
        trial[:, 1] = np.maximum(trial[:, 1], 0.1)
        trial[:, 3] = np.maximum(trial[:, 3], 0.1)
        trial[:, 2] = np.maximum(trial[:, 2], trial[:, 0] + trial[:, 1])
        trial[:, 4] = np.clip(trial[:, 4], -0.3, 1.2)
        trial[:, 5:] = np.clip(trial[:, 5:], 0.05, 1.3)
        t_res, t_cost, t_coef, t_jac = _rep_fit(y, w, u, trial, ridge, forward=forward, jacobian=True)
        assert t_jac is not None
        better = t_cost < cost
        theta[better], res[better], cost[better], coef[better], jac[better] = (
            trial[better],
            t_res[better],
            t_cost[better],
            t_coef[better],
            t_jac[better],
        )
        lam = np.where(better, lam * relax, lam * 10.0)
    return theta, coef


#: Sway makes the angle's residuals coloured: they count once per this many seconds.
_TILT_CORR_S = 0.1


def _from_crossings(t: np.ndarray, disp: np.ndarray) -> tuple[float, float]:
    """Onset and duration of a minimum-jerk move from the times its cumulative displacement ``disp``
    (monotonic, from 0 to its total) crosses 10 % and 90 %: the move covers them at fixed fractions of its
    duration, so both follow in closed form."""
    total = float(disp[-1])
    t10 = float(np.interp(0.1 * total, disp, t))
    t90 = float(np.interp(0.9 * total, disp, t))
    tau10, tau90 = min_jerk_fraction_time(0.1), min_jerk_fraction_time(0.9)
    duration = max((t90 - t10) / (tau90 - tau10), 0.1)
    return t10 - tau10 * duration, duration


#: Width of a minimum-jerk move's speed profile ``30 x^2 (1 - x)^2`` at half its peak, in units of the
#: move's duration: ``x (1 - x) = sqrt(2) / 8`` at both crossings.
_HALF_WIDTH = float(np.sqrt(1.0 - np.sqrt(2.0) / 2.0))


def _from_half_width(t: np.ndarray, v: np.ndarray, k: int) -> tuple[float, float]:
    """Onset and duration of a minimum-jerk move from its velocity lobe ``v`` (peak at index ``k``): the
    centre is midway between the times the speed crosses half its peak, the duration that width over
    :data:`_HALF_WIDTH`.

    The high-pass gives a rise's velocity a long low tail where it follows a lowering (the lowering's
    negative velocity, filtered, turns positive before the rise); the tail stays below half the rise's
    peak, so unlike the lobe's area-based crossings the half-width ignores it. A partial rep after a
    pause would otherwise be guessed half a second early, onto the previous lowering's deceleration.
    """
    half = 0.5 * float(v[k])
    below = np.flatnonzero(v[: k + 1] < half)
    if below.size:
        i = int(below[-1])
        t0 = float(np.interp(half, v[i : i + 2], t[i : i + 2]))
    else:
        t0 = float(t[0])
    above = np.flatnonzero(v[k:] < half)
    if above.size:
        i = k + int(above[0])
        t1 = float(np.interp(half, v[i - 1 : i + 1][::-1], t[i - 1 : i + 1][::-1]))
    else:
        t1 = float(t[-1])
    duration = max((t1 - t0) / _HALF_WIDTH, 0.15)
    return 0.5 * (t0 + t1) - 0.5 * duration, duration


def _lobes(t: np.ndarray, v: np.ndarray, sign: float, min_area_m: float) -> list[tuple[int, int, int, float]]:
    """Lobes of ``sign * v`` above zero: (first index, peak index, last index, area in m), area >= min."""
    pos = sign * v > 0
    edges = np.flatnonzero(np.diff(pos.astype(np.int8)))
    starts = np.concatenate([[0], edges + 1])
    stops = np.concatenate([edges, [v.size - 1]])
    dt = np.gradient(t)
    area = np.add.reduceat(sign * v * dt, starts)
    keep = pos[starts] & (stops - starts >= 2) & (area >= min_area_m)
    out = []
    for a, b, ar in zip(starts[keep], stops[keep], area[keep], strict=True):
        out.append((int(a), int(a + np.argmax(sign * v[a : b + 1])), int(b), float(ar)))
    return out


def _segment_reps(sig: _Signals, min_area_m: float, params: CalfRaiseParams) -> list[dict]:
    """Reps of one gap-free stretch: rises (positive vertical-velocity lobes, timed by :func:`_refine`)
    each followed by a lowering (negative velocity before the next rise) of at least a third of its height,
    then timed in turn; the rises are timed again once the lowerings' movements can be subtracted."""
    t, v = sig.t, sig.vel
    dt = np.gradient(t)
    lobes = _lobes(t, v, 1.0, min_area_m)
    if not lobes:
        return []
    first = []
    for a, _, b, _ in lobes:
        disp = np.concatenate([[0.0], np.cumsum(np.maximum(v[a : b + 1], 0.0) * dt[a : b + 1])])
        first.append(_from_crossings(np.concatenate([[t[a] - dt[a]], t[a : b + 1]]), disp))
    g = np.array(first)
    n = g.shape[0]
    no = np.zeros(n, dtype=bool)
    # Rises first: they are fast and strong in the vertical acceleration. Each window stops a little
    # after the rise's velocity lobe ends (the top; the lowering follows) and before the previous top.
    # The shank's angle is left out of rises: a knee bend often ends right where the next rise starts,
    # and sway swamps the few degrees a straight-knee rise turns the shank.
    lobe_end = np.array([t[b] for _, _, b, _ in lobes])
    # Before a rise, the window starts where the ankle last fell fastest (the middle of the previous
    # lowering, if it came straight before).
    lo = np.full(n, -np.inf)
    for j in range(1, n):
        b0, a1 = lobes[j - 1][2], lobes[j][0]
        if a1 > b0 + 1:
            lo[j] = t[b0 + int(np.argmin(v[b0:a1]))]
    rise = _refine(
        sig,
        sig.acc_v,
        g[:, 0],
        np.maximum(g[:, 1], 0.15),
        lo_s=lo,
        hi_s=lobe_end + 0.2 * g[:, 1],
        lowering=no,
    )
    # A rise's velocity peaks half-way up, so a fitted rise that ends before its lobe's peak has locked
    # onto something earlier: the deceleration that ends the previous lowering, which looks like the first
    # half of a rise and outweighs a partial rep's acceleration. The high-passed lowering's tail then drew
    # the lobe's area-based guess early; those rises are fitted again from the lobe's half-width.
    peak_s = np.array([t[pk] for _, pk, _, _ in lobes])
    early = np.flatnonzero(rise.onset_s + rise.duration_s < peak_s)
    if early.size:
        g2 = np.array(
            [
                _from_half_width(
                    t[lobes[j][0] : lobes[j][2] + 1],
                    v[lobes[j][0] : lobes[j][2] + 1],
                    lobes[j][1] - lobes[j][0],
                )
                for j in early
            ]
        )
        again = _refine(
            sig,
            sig.acc_v,
            g2[:, 0],
            g2[:, 1],
            lo_s=lo[early],
            hi_s=lobe_end[early] + 0.2 * g[early, 1],
            lowering=no[early],
        )
        rise.onset_s[early] = again.onset_s
        rise.duration_s[early] = again.duration_s
        rise.family[early] = again.family
        rise.acc_amp[early] = again.acc_amp
    # Slow positive lobes in the middle of a slow lowering (the high-pass's echo, or sway) are no rises:
    # no rise-shaped acceleration lifts them, so the fit stretches over them (longer than any rise) and
    # reads a height many times the lobe's. (A fast rise straight after a lowering reads less than its
    # lobe here, the lowering's deceleration being in its window; it is timed again below.)
    ratio = rise.height_m / np.array([lobe[3] for lobe in lobes])
    # Likewise the slow positive lobe that the high-pass leaves in a bottom pause after a slow lowering: a
    # fit stretched over it and a knee bend that ends the pause reads a rise whose speed (a minimum-jerk
    # move peaks at 1.875 times its mean speed) is several times the lobe's peak. A rise's lobe peaks at
    # 0.7-3 times the speed its fit implies (more when the fit reads the height low); such lobes reach
    # 0.04-0.55, so 0.6 tells them apart.
    speed = 1.875 * rise.height_m / np.maximum(rise.duration_s, 1e-6)
    fast = np.array([v[pk] for _, pk, _, _ in lobes]) >= 0.6 * speed
    real = (rise.duration_s <= params.max_rise_s) & (ratio <= 4.0) & fast
    idx = np.flatnonzero(real)
    guesses = []
    max_gap = params.max_transition_s + params.max_pause_s
    rise_starts = dict(zip(idx.tolist(), rise.onset_s[real].tolist(), strict=True))
    for j, k in enumerate(idx):
        a, _, b, area = lobes[k]
        top = float(rise.onset_s[k] + rise.duration_s[k])
        # Up to where the next rise's velocity turns positive (its fitted onset may still be off here).
        nxt = float(t[lobes[idx[j + 1]][0]]) if j + 1 < idx.size else float(t[-1])
        end = min(nxt, top + max_gap, float(t[-1]))
        seg = slice(b, max(int(np.searchsorted(t, end)), b + 1))
        down = np.concatenate([[0.0], np.cumsum(np.maximum(-v[seg], 0.0) * dt[seg])])
        # A rep comes down again before the next rise (a slow lowering's small velocity may be split into
        # several lobes by noise, so the whole stretch counts).
        if down[-1] < 0.3 * area or end - top < 0.2:
            continue
        # The lowering peaks where the ankle falls fastest; a minimum-jerk move's peak speed is 1.875 times
        # its mean, which gives the duration from the distance. The high-pass spreads a slow lowering's
        # velocity, so this is a first guess for the fit, kept between the top and the next rise.
        k_peak = b + int(np.argmax(-v[seg]))
        d_l = float(np.clip(1.875 * down[-1] / max(-float(v[k_peak]), 1e-6), 0.3, max(end - top, 0.3)))
        s_l = float(np.clip(t[k_peak] - 0.5 * d_l, top, max(end - d_l, top)))
        bracketed = j + 1 < idx.size and nxt <= top + max_gap
        # The movements after this rep reach up to the next rise's fitted onset: its high-passed velocity
        # may turn positive well before (a knee straightening lifts a shank sensor by 5-15 mm, and the
        # high-pass's echo of a slow lowering adds to it).
        after = max(nxt, float(rise.onset_s[idx[j + 1]])) if bracketed else np.inf
        guesses.append((int(k), s_l, d_l, area, float(down[-1]), after))
    if not guesses:
        return []
    ks = np.array([x[0] for x in guesses])
    m = ks.size
    yes = np.ones(m, dtype=bool)
    rise = _Fit(rise.onset_s[ks], rise.duration_s[ks], rise.family[ks], rise.acc_amp[ks], no[ks])
    low = _Fit(
        np.array([x[1] for x in guesses]),
        np.array([x[2] for x in guesses]),
        np.zeros(m, np.int64),
        np.zeros(m),
        yes,
    )
    next_any = np.minimum(np.array([x[5] for x in guesses]), float(t[-1]))
    bracketed = np.array([np.isfinite(x[5]) for x in guesses])
    top = rise.onset_s + rise.duration_s
    # Knee bends bound the lowerings' windows (and end pauses, below).
    bend_on, bend_end = _knee_bends(sig, rise.onset_s, top, next_any, params)
    # A lowering's window reaches no further than the next rise, a knee bend or the longest lowering and
    # pause (the look-ahead); the rises' fitted acceleration is subtracted from it. The shank's angle is
    # left out of the timing: in the benchmark it times lowerings worse than the acceleration alone (sway
    # turns the shank by about a degree at 0.1-2.5 Hz, as much as a straight-knee lowering does); it only
    # places bent-knee lowerings that the velocity's guess missed (_second_guess).
    hi = np.fmin(np.minimum(next_any, top + params.max_transition_s + params.max_pause_s), bend_on)
    falls = sig.acc_v - _render(sig.t, rise)
    low = _refine(sig, falls, np.maximum(low.onset_s, top), low.duration_s, lo_s=top, hi_s=hi, lowering=yes)
    if sig.tilt is not None:
        low = _second_guess(sig, falls=falls, rise=rise, low=low, top=top, hi=hi, params=params)
    bottom = low.onset_s + low.duration_s
    # The rises once more, now with the lowerings' acceleration subtracted and the windows cut where the
    # previous lowering or knee bend ends: a rise that follows a lowering without a pause (or runs straight
    # into one) is timed as cleanly as one between plateaus.
    prev_end = np.fmax(np.concatenate([[-np.inf], bottom[:-1]]), np.concatenate([[-np.inf], bend_end[:-1]]))
    rise = _refine(
        sig,
        sig.acc_v - _render(sig.t, low),
        rise.onset_s,
        rise.duration_s,
        lo_s=prev_end,
        hi_s=low.onset_s + 0.1 * low.duration_s,
        lowering=no[ks],
    )
    # Finally each rep's rise and lowering together: where they meet without a pause, fits of one at a
    # time pull each other's edge towards the junction.
    on_foot = _on_the_foot(sig, rise.onset_s, rise.onset_s + rise.duration_s)
    if not on_foot:
        sig = _without_rotation(
            sig, _during(t, rise.onset_s, rise.duration_s) | _during(t, low.onset_s, low.duration_s)
        )
    rise, low = _joint_refine(sig, rise, low, prev_end=prev_end, next_s=np.fmin(next_any, bend_on))
    lower, lowering_s = _from_top(rise.onset_s + rise.duration_s, low.onset_s, low.onset_s + low.duration_s)
    bottom = lower + np.minimum(lowering_s, params.max_transition_s)
    fits = [
        _RepFit(
            float(rise.onset_s[j]),
            float(rise.onset_s[j] + rise.duration_s[j]),
            float(lower[j]),
            float(bottom[j]),
            area,
            down,
            float(rise.height_m[j]),
            float(low.height_m[j]),
            bool(bracketed[j]),
        )
        for j, (_k, *_rest, area, down, _) in enumerate(guesses)
    ]
    # A rep's lowering ends inside the recording: stepping back off the step after a set's last rep, with
    # the knee straightening, once fitted as a partial rep whose lowering ran 3 s past the data's end.
    kept = np.array([_plausible(f, min_area_m, params.max_rise_s) and f.bottom_s <= t[-1] for f in fits])
    # What ends a bottom pause: the next rep's rise, or a rise after which no rep follows (stepping back
    # to the flat). Other rises are no movement of their own: the high-pass's echo of a slow lowering, or
    # the lift of a knee straightening before the next rep, which the shank's angle times (below).
    rise_starts.update(zip(ks.tolist(), rise.onset_s.tolist(), strict=True))
    reps_at = np.sort(rise.onset_s[kept])
    rep_lobes = set(ks[kept].tolist())
    others = np.array(sorted(v for k, v in rise_starts.items() if k not in rep_lobes))
    after = np.append(reps_at, np.inf)[np.searchsorted(reps_at, others, side="right")]
    ends = np.sort(np.concatenate([reps_at, others[after > others + max_gap]]))
    following = np.searchsorted(ends, bottom - 0.05, side="right")
    next_rise = np.append(ends, np.inf)[following]
    # A knee bend or straightening before the next rise ends the pause.
    bend_on, _ = _knee_bends(sig, rise.onset_s, bottom, np.minimum(next_rise, float(t[-1])), params)
    pause_end = np.fmin(next_rise, bend_on)
    reps = []
    for j in np.flatnonzero(kept):
        f = fits[j]
        reps.append(
            {
                "start_s": f.start_s,
                "top_s": f.top_s,
                "lower_s": f.lower_s,
                "bottom_s": f.bottom_s,
                "rise_m": f.rise_m,
                "fit_rise_m": f.fit_rise_m,
                "base_deg": None if not sig.gyro else _level(sig, f.start_s - 0.15, f.start_s),
                "tilt_deg": None
                if not sig.gyro
                else _level(sig, f.top_s - 0.05, f.top_s + 0.05) - _level(sig, f.start_s - 0.15, f.start_s),
                "on_foot": on_foot,
                "pause_end_s": max(float(pause_end[j]), f.bottom_s)
                if pause_end[j] <= f.bottom_s + params.max_pause_s
                else None,
            }
        )
    return reps


@dataclass(frozen=True)
class _RepFit:
    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    rise_m: float
    lower_m: float
    fit_rise_m: float
    fit_lower_m: float
    bracketed: bool  # another rise follows within the longest lowering and pause


#: Largest plantarflexion from the flat foot that a set's rises are taken to reach: full raises from the
#: flat reach 30-40 deg; a set whose full rises lift the ankle further started below a step.
_MAX_FROM_FLAT_RAD = np.radians(45.0)


def _set_start(heights_m: np.ndarray, lever_m: float) -> float:
    """The foot lever's angle at the start of a set's rises: the flat foot, unless the set's full rises
    (75th percentile of the fitted heights) lift the ankle further than :data:`_MAX_FROM_FLAT_RAD` from
    the flat can, then from below the step.

    All reps of a set start from the same place, so one start angle turns every height into degrees
    alike and the ranges rank as the heights do. A rep's own fitted shape tells the two starts apart
    poorly: in the benchmark's single-leg sets from the flat about a third of the rises fit the shape
    from below the step better.
    """
    full = float(np.quantile(heights_m, 0.75)) / lever_m
    for g in _FAMILY_STARTS:
        if np.sin(g) + full <= np.sin(g + _MAX_FROM_FLAT_RAD):
            return g
    return _FAMILY_STARTS[-1]


def _arc_deg(rise_m: float, lever_m: float, start_rad: float) -> float:
    """Plantarflexion (deg) that lifts the ankle by ``rise_m`` on its circle about the metatarsal heads,
    from the lever's angle ``start_rad`` (the set's start, :func:`_set_start`: the flat foot, or the heel
    below a step).

    From the flat foot the ankle can rise by at most ``lever_m * (1 - sin(start_rad))`` (7 cm with the
    defaults), less than a raise from below a step lifts it (8-9 cm). A rise read higher than its set's
    start allows therefore began lower, below the step: it is measured from the highest start angle of
    :data:`_FAMILIES` that admits it. Clipping at the top of the circle instead would read every such rise
    as 58 deg whatever its height, inflating the set's full range against which partial reps are judged.
    """
    rise = max(rise_m, 0.0) / lever_m
    if np.sin(start_rad) + rise > 1.0:
        lower = [g for g in _FAMILY_STARTS if g < start_rad]
        fits = [g for g in lower if np.sin(g) + rise <= 1.0]
        start_rad = fits[0] if fits else (lower[-1] if lower else start_rad)
    top = np.arcsin(np.clip(np.sin(start_rad) + rise, -1.0, 1.0))
    return float(np.degrees(top - start_rad))


def detect_calf_raises(
    data: ImuData,
    params: CalfRaiseParams | None = None,
    *,
    orientation: Orientation | None = None,
) -> CalfRaiseResult:
    """Count calf raises and time their four phases.

    Parameters
    ----------
    data
        The recording (sensor on the distal shank, any mounting; gyroscope optional).
    params
        Thresholds; see :class:`CalfRaiseParams`.
    orientation
        Gravity/attitude estimate of ``data`` if the caller already has one (it is computed otherwise).

    Returns
    -------
    CalfRaiseResult
        Reps (full and partial, time-ordered), the calf-raise sets with tempo statistics, warnings.

    Notes
    -----
    A calf raise rotates the foot about the metatarsal heads: the ankle, and a sensor on the distal shank
    with it, rises by 5-9 cm, and the shank tilts by a few degrees (more with a bent knee). Postural sway
    tilts the shank too, by about a degree at 0.1-2.5 Hz on one leg, but hardly moves the ankle, so the
    *vertical acceleration* identifies and times a rep; the shank's angle finds knee bends and the knee.

    0. *Work rate.* The samples are averaged over blocks down to about ``work_rate_hz`` and the attitude
       (``estimate_gravity``) is estimated on the averages, so an hour at 1 kHz costs about as much as at
       100 Hz and the cost is linear in the length (``benchmarks/results/landings_calf.md``).
    1. *Finding rises.* The vertical acceleration (``|f| - 1 g``, independent of mounting) is integrated and
       high-passed; every positive lobe of this velocity with an area above ``min_rise_m`` (and a tenth of
       the typical rise) is a candidate rise.
    2. *Timing.* Rise and lowering are minimum-jerk movements of the foot's angle [1]_, as smooth voluntary
       movements are, so the ankle's vertical acceleration is ``L (cos(g) g'' - sin(g) g'^2)`` on its
       circle of radius ``L`` about the metatarsal heads. Onsets cannot be read off a threshold (a
       minimum-jerk movement has covered 0.1 % of its range at 5 % of its duration). Instead each
       transition is matched: for every candidate onset and duration on a grid the amplitudes (offset, a
       bias step, the movement) follow in closed form from a 3 x 3 linear least-squares problem, all
       transitions and candidates at once (:func:`_refine`), on three successively finer grids, with the
       shape chosen among a few starting angles and ranges. A lowering is a rise backwards in time. Rises
       are timed first; lowerings are timed with the rises' fitted acceleration subtracted and their
       windows stopped at the next rise or knee bend; then the rises again with the lowerings subtracted,
       which separates a rise from a lowering that follows or precedes it without a pause. Last, each rep's
       rise and lowering are fitted together (:func:`_joint_refine`: Levenberg-Marquardt on the four
       onsets and durations and the foot's starting angle and rotations, amplitudes in closed form), after
       the acceleration that the shank's rotation gives the sensor above the ankle has been removed with a
       gyroscope (:func:`_without_rotation`). The shank's angle as a second matched signal timed lowerings
       worse than the acceleration alone (sway), so it is used for knee bends and the knee only. Rise and
       lowering durations are what a smartphone-gyroscope study of
       the sitting heel-rise test reports [2]_; sensor studies of the heel-rise test mostly report the
       repetition count [3]_.
    3. *Checks.* A fitted rise longer than ``max_rise_s`` or reading four times its lobe's height is the
       high-pass's echo inside a slow lowering and is dropped, as is one whose lobe peaks at less than
       0.6 times the speed the fitted rise implies (a fit stretched over the slow lobe of a bottom pause and
       the knee bend that ends it). A rep must come down again: before another
       rise its velocity falls by a third to three times its rise; after a set's last rise the fitted
       accelerations must show a lowering of half to two and a half times the rise.
    4. *Pause.* The bottom pause ends at the next movement: the next rep's rise (or a rise that no rep
       follows, e.g. stepping back to the flat), or a knee bend / straightening of ``posture_deg`` or
       more, timed by a fit of the shank's angle, whichever comes first. Other rises (the high-pass's echo
       of a slow lowering, the lift of a knee straightening) end no pause.
    5. *Partial reps and knee.* Partial reps cover less than ``partial_fraction`` of the set's full
       plantarflexion range: the foot's rotation (from one start for the whole set, below the step when
       the set's rises are higher than the flat foot reaches, :func:`_set_start`) plus the shank's tilt up
       to half of it (more is a knee bend, not the rise's tilt).
       Bent-knee reps rotate the shank by more than ``bent_tilt_deg`` per full rep.

    *Look-ahead.* A rep is decided once its pause has ended, at most ``max_pause_s`` after its bottom
    (the lowering's window reaches no further); that plus a second for the last fit's window is
    ``lookahead_s`` (9 s with the defaults).

    *Accuracy limits.* The acceleration of a slow lowering is small: 5 cm over 5 s peaks at 0.012 m/s^2
    (1.2 mg), below the 4-mg noise of one sample; with the sensor's noise alone a 3-s lowering is timed to
    about 50 ms, a 5-s one to a few hundred (``docs/landings-and-calf-raises.md``).

    References
    ----------
    .. [1] Flash, T., & Hogan, N. (1985). The coordination of arm movements: an experimentally confirmed
       mathematical model. Journal of Neuroscience, 5(7), 1688-1703.
       https://doi.org/10.1523/JNEUROSCI.05-07-01688.1985
    .. [2] Hoffmann, G. O., Borba, E., Casarotto, E. H., et al. (2024). Smartphone assessment of the sitting
       heel-rise test. Sensors, 24(18), 6036. https://doi.org/10.3390/s24186036
    .. [3] Pires, I. M., Ponciano, V., Garcia, N. M., & Zdravevski, E. (2020). Analysis of the results of
       heel-rise test with sensors: a systematic review. Electronics, 9(7), 1154.
       https://doi.org/10.3390/electronics9071154
    """
    params = params or CalfRaiseParams()
    warnings: list[str] = []
    lookahead_s = params.max_pause_s + 1.0
    if len(data) < 10:
        return CalfRaiseResult(CalfRaises(), (), (), lookahead_s)
    if data.gyr_dps is None:
        warnings.append(
            "calf raises: no gyroscope; reps are timed from the accelerometer alone (less accurate for slow "
            "lowering), knee position and pause ends at knee bends are not reported"
        )
    if data.gaps:
        warnings.append(
            f"calf raises: {len(data.gaps)} gap(s) in the recording; reps are not sought across one"
        )
    sigs = _signals(data, orientation, params)
    areas = [np.array([lobe[3] for lobe in _lobes(s.t, s.vel, 1.0, params.min_rise_m)]) for s in sigs]
    all_areas = np.concatenate(areas) if areas else np.array([])
    if all_areas.size == 0:
        return CalfRaiseResult(CalfRaises(), (), tuple(warnings), lookahead_s)
    typical = float(np.quantile(all_areas, 0.9))
    min_prom = max(params.min_rise_m, params.noise_fraction * typical)
    raw: list[dict[str, float | str | None]] = []
    for sig in sigs:
        raw.extend(_segment_reps(sig, min_prom, params))
    raw.sort(key=lambda r: float(r["start_s"]))  # type: ignore[arg-type]
    return _assemble(raw, params, tuple(warnings), lookahead_s)


def _second_guess(
    sig: _Signals,
    *,
    falls: np.ndarray,
    rise: _Fit,
    low: _Fit,
    top: np.ndarray,
    hi: np.ndarray,
    params: CalfRaiseParams,
) -> _Fit:
    """``low`` with bent-knee lowerings fitted again from a first guess fitted to the shank's angle where
    that guess lies elsewhere, each kept if it explains the vertical acceleration ``falls`` (the rises'
    fitted acceleration removed) from the top to ``hi`` better.

    The velocity's guess of a 3-5-s lowering can be seconds off, beyond what the fit's grids reach from
    it, and the fit then times a few mg of sway or bias. With the knee bent the shank tilts by 5-8 deg in
    a rise (more than ``bent_tilt_deg``) and back in the lowering on the same profile as the foot, more
    than single-leg sway turns it: a minimum-jerk change of the angle fitted over the whole stretch from
    the top to ``hi`` finds the lowering's place, if not its edges. The two fits are compared on the same
    samples by the residuals of the acceleration (each with its own offset) and of the angle (each with
    the best change on its timing, :func:`_misfit`): a short lowering at the end of a pause fits a bias
    step as well as the true one fits the lowering, so the acceleration alone did not tell them apart.
    """
    bent = np.array(
        [
            abs(
                _level(sig, top[j] - 0.05, top[j] + 0.05)
                - _level(sig, rise.onset_s[j] - 0.15, rise.onset_s[j])
            )
            >= params.bent_tilt_deg
            for j in range(top.size)
        ],
        dtype=bool,
    )
    k = np.flatnonzero(bent & (hi > top + 0.5))
    if not k.size:
        return low
    span = hi[k] - top[k]
    angle = _refine(
        sig,
        falls,
        top[k] + 0.1 * span,
        0.5 * span,
        lo_s=top[k],
        hi_s=hi[k],
        lowering=low.lowering[k],
        use_acc=False,
        use_tilt=True,
    )
    d = np.maximum(angle.duration_s, low.duration_s[k])
    centre = angle.onset_s + 0.5 * angle.duration_s
    apart = np.abs(centre - (low.onset_s[k] + 0.5 * low.duration_s[k])) > 0.25 * d
    ratio = angle.duration_s / low.duration_s[k]
    elsewhere = apart | (ratio > 1.5) | (ratio < 1 / 1.5)
    k = k[elsewhere]
    if not k.size:
        return low
    again = _refine(
        sig,
        falls,
        angle.onset_s[elsewhere],
        angle.duration_s[elsewhere],
        lo_s=top[k],
        hi_s=hi[k],
        lowering=low.lowering[k],
    )
    old = _Fit(low.onset_s[k], low.duration_s[k], low.family[k], low.acc_amp[k], low.lowering[k])
    acc_new, tilt_new = _misfit(sig, falls, again, top[k], hi[k])
    acc_old, tilt_old = _misfit(sig, falls, old, top[k], hi[k])
    # Each residual in units of its noise: the acceleration's white noise per sample, and the angle's
    # sway, taken from the better of the two fits and counted once per tenth of a second.
    work_hz = 1.0 / float(np.median(np.diff(sig.t)))
    n = np.maximum(np.searchsorted(sig.t, hi[k]) - np.searchsorted(sig.t, top[k]), 1)
    sway = np.minimum(tilt_new, tilt_old) / n * max(1.0, _TILT_CORR_S * work_hz) + 1e-9
    gain = (acc_old - acc_new) / (sig.acc_noise**2 + 1e-12) + (tilt_old - tilt_new) / sway
    better = k[gain > 0.0]
    if not better.size:
        return low
    pick = np.isin(k, better)
    fields = [f.copy() for f in (low.onset_s, low.duration_s, low.family, low.acc_amp)]
    for field, new in zip(
        fields, (again.onset_s, again.duration_s, again.family, again.acc_amp), strict=True
    ):
        field[better] = new[pick]
    return _Fit(*fields, low.lowering)


def _misfit(
    sig: _Signals, y: np.ndarray, fit: _Fit, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each transition's residual sums of squares from ``lo`` to ``hi`` (s): of ``y`` after its fitted
    acceleration and the mean of the rest are removed, and of the shank's angle after the best
    minimum-jerk change on the transition's timing."""
    assert sig.tilt is not None
    idx, owner = _spans(sig.t, lo, hi)
    t = sig.t[idx]

    def sums(x: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=x, minlength=lo.size)

    n = np.maximum(sums(np.ones(idx.size)), 1.0)
    r = y[idx] - _shape_at(t, owner, fit)
    acc = sums(r * r) - sums(r) ** 2 / n
    # Least squares of the angle on a constant and the transition's progress, in closed form.
    p = _mj((t - fit.onset_s[owner]) / fit.duration_s[owner])
    a = sig.tilt[idx]
    sp, sa = sums(p), sums(a)
    spp = sums(p * p) - sp * sp / n
    spa = sums(p * a) - sp * sa / n
    tilt = sums(a * a) - sa * sa / n - spa * spa / np.maximum(spp, 1e-12)
    few = n < 3
    return np.where(few, np.inf, acc), np.where(few, np.inf, tilt)


def _level(sig: _Signals, t0: float, t1: float) -> float:
    """Mean shank angle (deg) between ``t0`` and ``t1`` (at least one sample)."""
    assert sig.tilt_sum is not None
    k0, k1 = np.searchsorted(sig.t, (t0, t1))
    k0 = min(int(k0), sig.t.size - 1)
    k1 = max(int(k1), k0 + 1)
    return float((sig.tilt_sum[k1] - sig.tilt_sum[k0]) / (k1 - k0))


def _plausible(f: _RepFit, min_rise_m: float, max_rise_s: float = 3.0) -> bool:
    """A rep rises at least ``min_rise_m`` within ``max_rise_s``, its fitted acceleration lifts the ankle
    by at least a quarter of its velocity lobe's height (a lobe that no rise-shaped acceleration explains
    is drift or an echo), and it comes down again.

    When another rise follows, the ankle must have come down in between; the high-passed velocity's
    negative area (at least a third of the rise's; a slow lowering's loses part of it, and the echo of the
    next rise may add to it) only confirms it. After a set's last rise that area proves nothing: the
    high-pass turns every rise into a rise followed by a fall. There the fitted accelerations must show a
    lowering of half to two and a half times the rise (the first rep of an eccentric set starts from the
    step, the others from below it), which tells the set's last rep from stepping back to the flat.
    """
    if f.rise_m < min_rise_m or f.top_s - f.start_s > max_rise_s or f.fit_rise_m < 0.25 * f.rise_m:
        return False
    if f.bracketed:
        return f.lower_m >= 0.3 * f.rise_m
    return 0.5 * f.fit_rise_m <= f.fit_lower_m <= 2.5 * f.fit_rise_m


def _knee_bends(
    sig: _Signals,
    base_s: np.ndarray,
    top_s: np.ndarray,
    next_s: np.ndarray,
    params: CalfRaiseParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Onset and end of a knee bend / straightening between each rep's top and the next rise (NaN where
    there is none).

    The lowering brings the shank back to the angle it had before the rise (``base_s``, the rise's
    onset); a knee bend moves it elsewhere. If the angle before the next rise differs from that by at
    least ``posture_deg``, the bend is where the angle changes fastest in that direction (a bend of
    12-20 deg in under a second turns the shank ten times faster than a lowering or sway); its onset and
    duration are guessed from where that rate falls to a tenth of its peak and then fitted as a
    minimum-jerk change of the angle (:func:`_refine`, angle only: a bend hardly moves the ankle). A
    change slower than ``posture_s`` is the stance drifting with sway and is no bend.
    """
    onset = np.full(top_s.size, np.nan)
    end = np.full(top_s.size, np.nan)
    if sig.tilt is None or top_s.size == 0:
        return onset, end
    rate = np.gradient(sig.tilt, sig.t)
    cands = []
    for i, (base, top, nxt_rise) in enumerate(zip(base_s, top_s, next_s, strict=True)):
        nxt = min(nxt_rise, top + params.max_transition_s + params.max_pause_s)
        if nxt - top < 0.4:
            continue
        amount = _level(sig, nxt - 0.15, nxt) - _level(sig, base - 0.15, base)
        if abs(amount) < params.posture_deg:
            continue
        k0, k1 = np.searchsorted(sig.t, (top, nxt))
        r = np.sign(amount) * rate[k0:k1]
        if r.size < 4:
            continue
        k = int(np.argmax(r))
        slow = r < 0.1 * r[k]
        before = np.flatnonzero(slow[:k])
        after = np.flatnonzero(slow[k:])
        a = int(before[-1]) if before.size else 0
        b = k + int(after[0]) if after.size else r.size - 1
        # The bend's window starts where the shank last turned the other way (a lowering, whose tilt
        # back may be opposite to the bend): a step fitted over both would start inside the lowering.
        back = np.flatnonzero(r[:k] < -0.1 * r[k])
        lo = float(sig.t[k0 + int(back[-1])]) if back.size else top
        cands.append(
            (i, float(sig.t[k0 + a]), max(float(sig.t[k0 + b] - sig.t[k0 + a]), 0.1), lo, nxt, amount)
        )
    if not cands:
        return onset, end
    c = np.array([x[1:] for x in cands])
    fit = _refine(
        sig,
        sig.acc_v,
        c[:, 0],
        c[:, 1],
        lo_s=c[:, 2],
        hi_s=c[:, 3],
        lowering=np.zeros(len(c), bool),
        use_acc=False,
        use_tilt=True,
    )
    for (i, *_), si, di, nxt, amount in zip(
        cands, fit.onset_s, fit.duration_s, c[:, 3], c[:, 4], strict=True
    ):
        # The fitted step itself must turn the shank by ``posture_deg``: the levels either side of a whole rep
        # differ by several degrees with the slow part of single-leg sway, the steps it mimics by 2 at most.
        step = np.sign(amount) * (_level(sig, si + di, si + di + 0.15) - _level(sig, si - 0.15, si))
        if params.posture_s[0] <= di <= params.posture_s[1] and step >= params.posture_deg:
            # A bend starts after the top (or bottom) it follows; its fitting window may start later, where
            # the shank last turned the other way (without a gyroscope the bend's own start can look so).
            onset[i] = min(max(si, top_s[i]), nxt)
            end[i] = min(si + di, nxt)
    return onset, end


def _knees(members: list[dict], partial: np.ndarray, params: CalfRaiseParams) -> dict[int, str]:
    """Straight or bent knee for each rep of a set (by ``id`` of its record); empty without a gyroscope.

    Bending the knee tilts the whole shank forward by 12-20 deg, so when the shank's angle before the rise
    falls into two clusters that far apart, the forward one is the bent knee ("forward" is opposite to the
    tilt back that every rise makes). When it does not, the set is one or the other, told by the shank's
    tilt during the full reps' rises (``bent_tilt_deg``).
    """
    if not members or members[0]["tilt_deg"] is None:
        return {}
    tilts = np.array([r["tilt_deg"] for r in members])
    back = np.sign(np.median(tilts)) or 1.0
    forward = -back * np.array([r["base_deg"] for r in members])
    lo, hi = float(forward.min()), float(forward.max())
    if hi - lo >= params.knee_split_deg:
        mid = 0.5 * (lo + hi)
        return {
            id(r): (Knee.BENT if f > mid else Knee.STRAIGHT) for r, f in zip(members, forward, strict=True)
        }
    full = np.abs(tilts[~partial]) if (~partial).any() else np.abs(tilts)
    knee = Knee.BENT if float(np.median(full)) > params.bent_tilt_deg else Knee.STRAIGHT
    return {id(r): knee for r in members}


#: A rise tilts the shank by at most this fraction of the foot's rotation: the ankle moves forward along
#: its arc by ``L (cos g_a - cos g_top)`` while the knee stays, which turns a 40-cm shank by a quarter to
#: 0.3 times the foot's rotation for full and partial rises from the flat or below a step; the rest of the
#: allowance is sway and a rise that reads low.
_MAX_TILT_PER_DEG = 0.5


def _range_deg(foot_deg: float, tilt_deg: float | None) -> float:
    """Plantarflexion range (deg) of a rep: the foot's rotation plus the shank's tilt over the rise.

    The tilt counts only up to :data:`_MAX_TILT_PER_DEG` times the foot's rotation. More than that is no
    rise's tilt but a knee bend inside the rise's window: the slow positive lobe that the high-pass leaves
    in a bottom pause, fitted as a rise of about a centimetre that ends in the knee bend before the next
    rep, would otherwise add the bend's 12-20 deg to its range and be counted as a full rep.
    """
    tilt = abs(tilt_deg or 0.0)
    return foot_deg + min(tilt, _MAX_TILT_PER_DEG * max(foot_deg, 0.0))


def _assemble(
    raw: list[dict], params: CalfRaiseParams, warnings: tuple[str, ...], lookahead_s: float
) -> CalfRaiseResult:
    if not raw:
        return CalfRaiseResult(CalfRaises(), (), warnings, lookahead_s)
    starts = np.array([r["start_s"] for r in raw])
    bouts = group_bouts(starts, params.max_rest_s)
    reps: list[CalfRaiseRep] = []
    sets: list[SetSummary] = []
    for set_index, bout in enumerate(bouts):
        members = raw[bout]
        lever = params.foot_lever_m
        start = _set_start(np.array([r["fit_rise_m"] for r in members]), lever)
        # Partial or not from the smaller of the velocity lobe's and the fitted acceleration's rise, in
        # case either reads a partial rep high.
        ranges = np.array(
            [
                _range_deg(_arc_deg(min(r["rise_m"], r["fit_rise_m"]), lever, start), r["tilt_deg"])
                for r in members
            ]
        )
        # A sensor on the foot turns with the whole plantarflexion and rises on a shorter lever than the
        # ankle: its turn is the range, and it tells nothing of the knee.
        on_foot = all(r["on_foot"] for r in members)
        if on_foot:
            ranges = np.abs(np.array([r["tilt_deg"] for r in members]))
        full = float(np.quantile(ranges, 0.75))
        partial = ranges < params.partial_fraction * full
        pauses = [r["pause_end_s"] - r["bottom_s"] for r in members if r["pause_end_s"] is not None]
        typical_pause = float(np.median(pauses)) if pauses else 0.0
        knees = {} if on_foot else _knees(members, partial, params)
        set_reps = []
        for r, is_partial in zip(members, partial, strict=True):
            end = r["pause_end_s"] if r["pause_end_s"] is not None else r["bottom_s"] + typical_pause
            knee = knees.get(id(r))
            set_reps.append(
                CalfRaiseRep(
                    start_s=r["start_s"],
                    top_s=r["top_s"],
                    lower_s=r["lower_s"],
                    bottom_s=r["bottom_s"],
                    end_s=end,
                    concentric_s=r["top_s"] - r["start_s"],
                    top_hold_s=r["lower_s"] - r["top_s"],
                    eccentric_s=r["bottom_s"] - r["lower_s"],
                    bottom_pause_s=end - r["bottom_s"],
                    range_deg=abs(r["tilt_deg"])
                    if on_foot
                    else _range_deg(_arc_deg(r["fit_rise_m"], lever, start), r["tilt_deg"]),
                    partial=bool(is_partial),
                    knee=knee,
                    set_index=set_index,
                )
            )
        reps.extend(set_reps)
        sets.append(_set_summary(set_index, set_reps, params))
    count = sum(not r.partial for r in reps)
    return CalfRaiseResult(
        CalfRaises(count=count, partial_count=len(reps) - count, reps=tuple(reps)),
        tuple(sets),
        warnings,
        lookahead_s,
    )


_PHASES = ("concentric_s", "top_hold_s", "eccentric_s", "bottom_pause_s")
#: Full reps whose median tempo a set is judged against when no target tempo is given.
OPENING_REPS = 3


def _set_summary(index: int, reps: list[CalfRaiseRep], params: CalfRaiseParams) -> SetSummary:
    full = [r for r in reps if not r.partial]
    basis = full or reps
    stats = {name: metric_stats([getattr(r, name) for r in basis], lower_is_better=False) for name in _PHASES}
    stats["range_deg"] = metric_stats([r.range_deg for r in basis], lower_is_better=False)
    phases = np.array([[getattr(r, name) for name in _PHASES] for r in basis])
    if params.target_tempo_s is None:
        target = np.round(np.median(phases[:OPENING_REPS], axis=0), 1)
        against = "the set's opening " + "-".join(f"{x:g}" for x in target) + " s"
    else:
        target = np.asarray(params.target_tempo_s)
        against = "the " + "-".join(f"{x:g}" for x in target) + " s target"
    errors = phases - target
    stats["tempo_error_s"] = metric_stats(np.abs(errors).sum(axis=1).tolist(), lower_is_better=True)
    notes: list[str] = []
    partial = len(reps) - len(full)
    if partial:
        notes.append(f"{partial} partial rep(s) not counted")
    off = np.abs(errors) > params.tempo_tolerance_s
    for j, name in enumerate(_PHASES):
        bad = np.flatnonzero(off[:, j])
        if bad.size:
            first = int(bad[0]) + 1
            direction = "long" if errors[bad[0], j] > 0 else "short"
            notes.append(
                f"{name.removesuffix('_s')} off {against} from rep {first} "
                f"({bad.size} of {len(basis)} reps, first {direction} by {abs(errors[bad[0], j]):.1f} s)"
            )
    return SetSummary(
        index=index,
        kind=SetKind.CALF_RAISES,
        start_s=reps[0].start_s,
        end_s=reps[-1].end_s,
        count=len(full),
        stats=stats,
        notes=tuple(notes),
    )
