"""Conditioning: each gap-free stretch at the work rate, with its vertical acceleration, high-passed
vertical velocity, shank angle and (with a gyroscope) strapdown frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from imu_app.analysis._calf.params import CalfRaiseParams
from imu_app.analysis._orientation import Orientation, body_to_start, estimate_gravity, rotate
from imu_app.analysis._signal import block_means, cross, in_spans, moving_mean, segment_bounds, unit
from imu_app.core import STANDARD_GRAVITY_M_S2, ImuData


@dataclass(frozen=True)
class Frame:
    """The strapdown frame of a stretch (:func:`strapdown_frame`) at :data:`FRAME_RATE_HZ`: times (s), the
    rotations from the sensor's frame at each time to that at the stretch's start, the specific force
    turned into it (m/s^2, accelerometer bias removed), the angular rate smoothed over 0.1 s (rad/s, bias
    removed) and its derivative (rad/s^2), in the sensor's axes, the flexion axis, and the frame's rate
    (Hz)."""

    t: np.ndarray
    q: np.ndarray
    acc: np.ndarray
    spin: np.ndarray
    alpha: np.ndarray
    flexion: np.ndarray
    rate_hz: float


@dataclass(frozen=True)
class Signals:
    """One gap-free stretch at the work rate.

    Its rate is derived once, here: ``rate_hz`` (samples over the stretch's span) designs the filters and
    sizes every window in samples; ``period_s`` (the median step) is the time one sample stands for where
    box means are weighted by the samples they average.
    """

    t: np.ndarray  # s
    rate_hz: float
    period_s: float
    acc_v: np.ndarray  # vertical acceleration, m/s^2, its median removed
    vel: np.ndarray  # high-passed vertical velocity, m/s (finding reps only)
    tilt: np.ndarray | None  # shank angle, deg: about the flexion axis (gyroscope) or of gravity (without)
    gyro: bool
    tilt_sum: np.ndarray | None = None  # running sum of ``tilt`` (leading 0), for means over any stretch
    acc_noise: float = 0.0  # white noise of ``acc_v`` per sample, m/s^2
    # up x angular acceleration, sensor axes, rad/s^2 (with a gyroscope): its dot product with the sensor's
    # place relative to the ankle is the vertical acceleration the shank's turning gives the sensor
    turning: np.ndarray | None = None
    frame: Frame | None = None  # with a gyroscope
    # The ankle's forward acceleration (m/s^2, sign arbitrary) from ``frame`` once the lever is known, and
    # its white noise per sample
    acc_f: np.ndarray | None = None
    acc_f_noise: float = 0.0


def gyro_tilt(t: np.ndarray, rate_dps: np.ndarray) -> np.ndarray:
    """The shank's angle about the flexion axis (deg): the integrated angular rate, its bias removed.

    The rate's mean over a stretch is its bias (0.5 deg/s is typical uncalibrated, 2.5 deg over a 5-s
    lowering) plus the net rotation divided by the duration, which is nil for reps that start and end at
    the same angle; what is left (a slow drift) is absorbed by the drift term of every fit of the angle.
    Unlike an attitude referenced to gravity through a low-pass, it has no lag: the angle turns exactly
    when the shank does.
    """
    rate = rate_dps - float(np.mean(rate_dps))
    return np.concatenate([[0.0], np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(t))])


def gravity_tilt(up: np.ndarray) -> np.ndarray:
    """Angle (deg) of the up direction away from its median, along the direction it moves most.

    Without a gyroscope this is the shank's tilt: a knee bend or the tilt of a rise turns the sensor, and
    with it gravity in the sensor frame, mostly in one plane (the sagittal one). The sign is arbitrary;
    every use of the angle fits its own amplitude.
    """
    ref = unit(np.median(up, axis=0))
    perp = up - (up @ ref)[:, None] * ref
    _, vecs = np.linalg.eigh(perp.T @ perp)
    return np.degrees(np.arcsin(np.clip(perp @ vecs[:, -1], -1.0, 1.0)))


#: Stretches shorter than this (s) between gaps leave no room for a rep and its plateaus.
_MIN_STRETCH_S = 4.0
#: The angular rate (and, without a gyroscope, the specific force whose direction gives the shank's angle)
#: is smoothed over this long (s): sway and calf raises lie below 3 Hz, the differentiated noise does not.
SMOOTHING_S = 0.1
#: Largest horizontal acceleration (g) of the ankle in a calf raise, averaged over a tenth of a second (the
#: heel strike's reaches 0.2-0.3 g for 30 ms): a force further from the estimated ``up`` is an attitude that
#: lags the sensor's turning.
MAX_HORIZONTAL_G = 0.1
#: The accelerometer's bias is read where the sensor rests: its specific force, averaged over this long
#: (s), varies by no more than its noise (a calf raise's transition lasts 0.3-3 s) ...
STILL_S = 0.2
#: ... times this (the noise's standard deviation per axis, with a floor of :data:`STILL_FLOOR_G`) ...
STILL_NOISE = 1.5
STILL_FLOOR_G = 1e-3
#: ... and the means of the windows either side differ from its own by less than this (g): a slow,
#: smooth movement (a 1-s rise reaches 50 mg) varies little within a fifth of a second, but its force moves
#: on. A 3-s lowering (about 1 mg) and single-leg sway pass as rest, at an error of a milli-g.
STILL_FLAT_G = 3e-3
#: Samples turning slower than this (deg/s) are quiet: the gyroscope's bias is their median rate.
_QUIET_RATE_DPS = 30.0


@dataclass(frozen=True)
class _Stretch:
    """One gap-free stretch averaged down to the work rate, before the accelerometer's bias is known: times
    (s), specific force (g), its means where the sensor rests (:func:`still_force`), the up direction, the
    shank's angle (deg), the angular rate (deg/s, ``None`` without a gyroscope), and its rate and period
    (see :class:`Signals`)."""

    t: np.ndarray
    acc: np.ndarray
    still: np.ndarray
    up: np.ndarray
    angle: np.ndarray
    gyr: np.ndarray | None
    rate_hz: float
    period_s: float


def prepare_signals(data: ImuData, orientation: Orientation | None, params: CalfRaiseParams) -> list[Signals]:
    """Vertical acceleration, high-passed vertical velocity and shank angle of each gap-free stretch, at
    the work rate.

    The samples are first averaged over blocks of ``fs / work_rate_hz`` (the anti-alias filter; a 20 ms
    block passes a 0.3-s transition practically untouched), so everything after costs the same whatever
    the sensor's rate. The vertical acceleration is ``(|f| - 1 g)``: the magnitude of the specific force
    exceeds 1 g by the vertical acceleration plus half the square of the horizontal one (in g), and in a
    calf raise the latter term is below 1e-3 of the former. It needs no orientation, so it is the same for
    every mounting. The accelerometer's bias is fitted once over all stretches (:func:`acc_bias_g`).
    """
    k = max(1, int(data.sample_rate_hz / params.work_rate_hz))
    stretches = [
        _stretch(data, a, b, k, orientation)
        for a, b in segment_bounds(len(data), data.gaps)
        if data.t_s[b - 1] - data.t_s[a] >= _MIN_STRETCH_S
    ]
    if not stretches:
        return []
    bias = acc_bias_g(np.concatenate([x.still for x in stretches]))
    return [_signals(x, bias, data.gyr_dps is not None, params) for x in stretches]


def _stretch(data: ImuData, a: int, b: int, k: int, orientation: Orientation | None) -> _Stretch:
    """Samples ``a`` to ``b`` of ``data`` averaged over blocks of ``k``, with the attitude and the shank's
    angle."""
    t = block_means(data.t_s[a:b], k) - data.t_s[0]
    acc = block_means(data.acc_g[a:b], k)
    gyr = None if data.gyr_dps is None else block_means(data.gyr_dps[a:b], k)
    rate_hz = (len(t) - 1) / max(t[-1] - t[0], 1e-9)
    # The attitude changes far slower than the work rate, so it is estimated on the averaged samples:
    # the same result at a fraction of the cost of every sample.
    up = unit(block_means(orientation.up[a:b], k)) if orientation is not None else estimate_gravity(t, acc)
    if gyr is not None:
        # The flexion axis: the principal axis of the angular rate, as in estimate_orientation.
        axis = orientation.axis if orientation is not None and orientation.axis is not None else None
        if axis is None:
            axis = np.linalg.eigh(gyr.T @ gyr)[1][:, -1]
        angle = gyro_tilt(t, gyr @ axis)
    else:
        # Without a gyroscope the shank's angle is that of gravity in the sensor frame, from the smoothed
        # specific force (the rise's own acceleration tilts it by less than a degree for all but the
        # fastest rises).
        angle = gravity_tilt(unit(moving_mean(acc, max(1, round(SMOOTHING_S * rate_hz)))))
    # Only the sensor's resting attitudes read the bias (see :func:`still_force`).
    still = still_force(acc, rate_hz)
    return _Stretch(t, acc, still, up, angle, gyr, rate_hz, float(np.median(np.diff(t))))


def still_force(acc_g: np.ndarray, rate_hz: float) -> np.ndarray:
    """Means (g) of the specific force over :data:`STILL_S` wherever the sensor rests, a few per window.

    At rest the force is gravity plus the bias, whatever the attitude, so these means are what
    :func:`acc_bias_g` regresses. Rest is what the force itself shows: within the window its variance per
    axis stays within :data:`STILL_NOISE` times the white noise (a movement's acceleration, a heel
    strike's jolt exceed it), and the windows just before and after have the same mean to
    :data:`STILL_FLAT_G` (a smooth movement, quiet within a fifth of a second, still changes the force from
    one window to the next).

    Notes
    -----
    Fast reps leave little rest: reps of about 1.2 s with a knee bend or straightening between them rest
    only a few tenths of a second at a time, in the bottom pause and before the next rise. Means over a
    second or more there mix the movements in: the shank turns by 15-25 deg within one, which shortens the
    mean force (the mean of a turning vector is shorter than the mean of its length), and the rises'
    and lowerings' accelerations do not cancel within it. Fitted to such means the bias came out
    20-40 mg off along the directions the attitudes hardly vary, and ``b . up`` changed by as much as a
    calf raise's acceleration at every knee bend: the integrated velocity of the rep after it merged with
    the bend, and the rep was lost. Rests of a fifth of a second are seen in every attitude the set
    takes, bent and straight.
    """
    w = max(3, round(STILL_S * rate_hz))
    mean = moving_mean(acc_g, w)
    var = moving_mean(acc_g * acc_g, w) - mean * mean
    noise = np.array([white_noise(acc_g[:, i]) for i in range(acc_g.shape[1])])
    quiet = np.all(var < (STILL_NOISE * noise) ** 2 + STILL_FLOOR_G**2, axis=1)
    idx = np.arange(mean.shape[0])
    before = mean[np.maximum(idx - w, 0)]
    after = mean[np.minimum(idx + w, idx.size - 1)]
    flat = (np.linalg.norm(before - mean, axis=1) < STILL_FLAT_G) & (
        np.linalg.norm(after - mean, axis=1) < STILL_FLAT_G
    )
    # Means a quarter window apart are as good a sample of the rests as all of them.
    return mean[quiet & flat][:: max(1, w // 4)]


def _signals(x: _Stretch, bias: np.ndarray, gyro: bool, params: CalfRaiseParams) -> Signals:
    """The signals of one stretch once the accelerometer's ``bias`` (g) is known."""
    t = x.t
    f = x.acc - bias
    frame = None if x.gyr is None else strapdown_frame(t, f, x.gyr, x.rate_hz)
    sos = butter(2, params.highpass_hz, btype="highpass", fs=x.rate_hz, output="sos")
    # |f| = sqrt((1 + a_v)^2 + a_h^2) in g, so a_v = |f| - 1 - a_h^2 / 2 to second order. The magnitude
    # does not depend on the attitude estimate; only the small horizontal correction does.
    mag = np.linalg.norm(f, axis=1)
    along = np.einsum("ij,ij->i", f, x.up)
    horiz2 = np.maximum(mag * mag - along * along, 0.0)
    # Where the force, averaged over a tenth of a second, leaves ``up`` by more than a calf raise's
    # horizontal acceleration, the attitude estimate lags a turning sensor (a foot turns by its whole
    # plantarflexion, 30 deg in a few tenths of a second), and the correction would be its error.
    lag = unit(moving_mean(f, max(1, round(SMOOTHING_S * x.rate_hz))))
    trusted = 1.0 - np.einsum("ij,ij->i", lag, x.up) ** 2 < MAX_HORIZONTAL_G**2
    acc_v = (mag - 1.0 - 0.5 * np.where(trusted, horiz2, 0.0)) * STANDARD_GRAVITY_M_S2
    acc_v -= np.median(acc_v)
    dt = np.diff(t)
    vel = np.concatenate([[0.0], np.cumsum(0.5 * (acc_v[1:] + acc_v[:-1]) * dt)])
    return Signals(
        t=t,
        rate_hz=x.rate_hz,
        period_s=x.period_s,
        acc_v=acc_v,
        vel=sosfiltfilt(sos, vel),
        tilt=x.angle,
        gyro=gyro,
        tilt_sum=np.concatenate([[0.0], np.cumsum(x.angle)]),
        acc_noise=white_noise(acc_v),
        turning=None if x.gyr is None else cross(x.up, angular_acceleration(t, x.gyr, x.rate_hz)),
        frame=frame,
    )


def angular_acceleration(t: np.ndarray, gyr_dps: np.ndarray, rate_hz: float) -> np.ndarray:
    """Angular acceleration (rad/s^2, sensor axes) from the angular rate smoothed over :data:`SMOOTHING_S`."""
    spin = np.radians(moving_mean(gyr_dps, max(1, round(SMOOTHING_S * rate_hz))))
    return np.gradient(spin, t, axis=0)


#: Rate of the strapdown frame (Hz): the samples are averaged down to at least this. A 40-ms block mean
#: passes the lowering's forward acceleration (below 3 Hz) and the sway whose lever it removes, at a
#: quarter of the cost of a frame at the work rate.
FRAME_RATE_HZ = 25.0


def strapdown_frame(t: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray, rate_hz: float) -> Frame:
    """The strapdown frame of a stretch (see :class:`Frame`).

    Turned into one frame, gravity is the same vector at every sample, so whatever else the specific
    force does is acceleration, along every axis: the ankle's forward acceleration as well as its vertical
    one. The gyroscope's bias is the median rate of the samples turning slower than
    :data:`_QUIET_RATE_DPS` (sway and slow reps average out over a stretch).
    """
    k = max(1, int(rate_hz / FRAME_RATE_HZ))
    t, acc_g, gyr_dps = block_means(t, k), block_means(acc_g, k), block_means(gyr_dps, k)
    quiet = np.einsum("ij,ij->i", gyr_dps, gyr_dps) < _QUIET_RATE_DPS**2
    gyro_bias = np.median(gyr_dps[quiet], axis=0) if quiet.sum() > 10 else np.zeros(3)
    rate = np.radians(gyr_dps - gyro_bias)
    q = body_to_start(t, rate)
    spin = moving_mean(rate, max(1, round(SMOOTHING_S * rate_hz / k)))
    return Frame(
        t=t,
        q=q,
        acc=rotate(q, acc_g * STANDARD_GRAVITY_M_S2),
        spin=spin,
        alpha=np.gradient(spin, t, axis=0),
        flexion=np.linalg.eigh(rate.T @ rate)[1][:, -1],
        rate_hz=(t.size - 1) / max(t[-1] - t[0], 1e-9),
    )


def white_noise(x: np.ndarray) -> float:
    """White noise of ``x`` per sample, from successive differences (every fifth pair is as good a sample
    of it as all of them)."""
    return float(np.median(np.abs(np.diff(x)[::5]))) / (0.6745 * np.sqrt(2.0))


def acc_bias_g(still_acc_g: np.ndarray) -> np.ndarray:
    """Accelerometer bias (g, sensor axes) from the specific force at rest (:func:`still_force`) in several
    attitudes.

    At rest the sensor reads ``g_up + b``, whose magnitude is ``1 + b . up`` to first order. A bias of
    0.01 g (typical of uncalibrated MEMS parts) therefore shifts ``|f| - 1`` by ``b . up``, which changes by
    a few mg whenever the shank tilts (a knee bend between reps): integrated twice over a few seconds that is
    centimetres, as much as a calf raise. Regressing ``|f| - 1`` on ``up`` over the recording recovers the
    bias components that the attitudes seen can tell apart; a light ridge keeps the others at zero.
    """
    mag = np.linalg.norm(still_acc_g, axis=1)
    quiet = np.abs(mag - 1.0) < 0.05
    if quiet.sum() < 10:
        return np.zeros(3)
    up = still_acc_g[quiet] / mag[quiet, None]
    y = mag[quiet] - 1.0
    ridge = 1e-3 * up.shape[0]
    return np.linalg.solve(up.T @ up + ridge * np.eye(3), up.T @ y)


def during(t: np.ndarray, onset_s: np.ndarray, duration_s: np.ndarray) -> np.ndarray:
    """Whether each time of ``t`` lies inside one of the movements ``onset_s``-``onset_s + duration_s``."""
    return in_spans(t.size, np.searchsorted(t, onset_s), np.searchsorted(t, onset_s + duration_s))


#: The shank's angle on a plateau (before a rise, either side of a knee bend) is its mean over this long: as
#: short as a plateau allows, so that the movement next to it does not reach into it.
LEVEL_WINDOW_S = 0.15
#: The shank's angle at the top is its mean over this long either side of the top.
TOP_HALF_WINDOW_S = 0.05


def base_angle(sig: Signals, start_s: float) -> float:
    """The shank's angle (deg) just before a rise that starts at ``start_s``."""
    return mean_angle(sig, start_s - LEVEL_WINDOW_S, start_s)


def rise_tilt(sig: Signals, start_s: float, top_s: float) -> float:
    """How far (deg) the shank turned from before a rise's onset ``start_s`` to its top ``top_s``."""
    return mean_angle(sig, top_s - TOP_HALF_WINDOW_S, top_s + TOP_HALF_WINDOW_S) - base_angle(sig, start_s)


def mean_angle(sig: Signals, t0: float, t1: float) -> float:
    """Mean shank angle (deg) between ``t0`` and ``t1`` (at least one sample)."""
    assert sig.tilt_sum is not None
    k0, k1 = np.searchsorted(sig.t, (t0, t1))
    k0 = min(int(k0), sig.t.size - 1)
    k1 = max(int(k1), k0 + 1)
    return float((sig.tilt_sum[k1] - sig.tilt_sum[k0]) / (k1 - k0))
