"""Calf raises from an ankle sensor: rep count, phase timing, range, partial reps, knee, tempo per set."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import butter, sosfiltfilt

from imu_app.analysis._orientation import Orientation, estimate_orientation, moving_mean, segment_bounds
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis.report import CalfRaiseRep, CalfRaises, SetSummary
from imu_app.core import STANDARD_GRAVITY_M_S2, AnalysisError, ImuData

__all__ = ["CalfRaiseParams", "CalfRaiseResult", "detect_calf_raises", "min_jerk_fraction_time"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CalfRaiseParams:
    """Parameters of :func:`detect_calf_raises`; the defaults need no tuning.

    Attributes
    ----------
    work_rate_hz
        Rate at which the signals are analysed. The fastest transition of a calf raise (a quick rise of
        about 0.3 s) still spans 30 samples at 100 Hz, and every time is fitted, not read off a sample, so
        nothing is lost against the sensor's own rate while an hour of data stays small.
    smooth_s
        Width of the centred moving mean applied before decimation (anti-alias filter and noise
        reduction). 50 ms is a sixth of the fastest rise.
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
        A rep whose rise is below this fraction of the set's full rise is partial (listed, not counted).
        40 % of the range is the usual "at least half-way up" coaching cue with room for error; the rise of
        the ankle grows a little faster than the plantarflexion angle near the bottom, so the rise fraction
        errs on the side of counting.
    max_transition_s
        Longest rise or lowering accepted (a 10-second eccentric is already twice the slowest prescription).
    max_rise_s
        Longest rise accepted. Rises are prescribed at about 1 s and done in 0.3-2 s; a slower "rise" is the
        integrated acceleration drifting while the athlete stands.
    max_pause_s
        Longest bottom pause: a rep whose pause is not ended by a movement within this time ends here. It
        bounds the look-ahead of a live analysis.
    posture_deg
        A change of the shank's angle at least this large between the bottom and the next rise (bending or
        straightening the knee, shifting the stance) ends the pause when it starts. Changes of stance tilt
        the shank by several degrees, while the angle's level over the 0.2-s plateaus either side wanders
        by a fraction of a degree with sway.
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
        Target durations of rise, top hold, lowering and bottom pause (the programme's 1-0-3-2 s).
    tempo_tolerance_s
        A phase more than this far off its target counts as off-tempo in the set's notes.
    """

    work_rate_hz: float = 100.0
    smooth_s: float = 0.05
    highpass_hz: float = 0.1
    min_rise_m: float = 0.008
    noise_fraction: float = 0.12
    partial_fraction: float = 0.4
    max_transition_s: float = 10.0
    max_rise_s: float = 3.0
    max_pause_s: float = 8.0
    posture_deg: float = 1.5
    posture_s: tuple[float, float] = (0.2, 1.5)
    bent_tilt_deg: float = 3.5
    knee_split_deg: float = 10.0
    foot_lever_m: float = 0.152
    max_rest_s: float = DEFAULT_MAX_REST_S
    target_tempo_s: tuple[float, float, float, float] = (1.0, 0.0, 3.0, 2.0)
    tempo_tolerance_s: float = 0.5

    def __post_init__(self) -> None:
        if self.work_rate_hz <= 0 or self.smooth_s < 0 or self.highpass_hz <= 0:
            raise AnalysisError("calf raises: work_rate_hz and highpass_hz must be positive, smooth_s >= 0")
        if not 0.0 < self.partial_fraction < 1.0:
            raise AnalysisError("calf raises: partial_fraction must lie between 0 and 1")
        if len(self.target_tempo_s) != 4 or min(self.target_tempo_s) < 0:
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
class _Signals:
    """One gap-free stretch at the work rate."""

    t: np.ndarray  # s
    acc_v: np.ndarray  # vertical acceleration, m/s^2, its median removed
    vel: np.ndarray  # high-passed vertical velocity, m/s (finding reps only)
    tilt: np.ndarray | None  # shank angle about the flexion axis, deg (None without gyroscope)


def _signals(
    data: ImuData, up: np.ndarray, angle: np.ndarray | None, params: CalfRaiseParams
) -> list[_Signals]:
    """Vertical acceleration, high-passed vertical position and shank angle of each gap-free stretch.

    The vertical acceleration is ``(|f| - 1 g)``: the magnitude of the specific force exceeds 1 g by the
    vertical acceleration plus half the square of the horizontal one (in g), and in a calf raise the latter
    term is below 1e-3 of the former. It needs no orientation, so it is the same for every mounting.
    """
    fs = data.sample_rate_hz
    step = max(1, round(fs / params.work_rate_hz))
    work_hz = fs / step
    smooth = max(step, round(params.smooth_s * fs))
    lp_width = max(1, round(1.0 * work_hz))
    sos = butter(2, params.highpass_hz, btype="highpass", fs=work_hz, output="sos")
    pieces = []
    for a, b in segment_bounds(len(data), data.gaps):
        idx = np.arange(0, b - a, step)
        if idx.size < 4 * work_hz:  # under 4 s: no room for a rep and its plateaus
            continue
        acc = moving_mean(data.acc_g[a:b], smooth)[idx]
        slow = moving_mean(moving_mean(acc, lp_width), lp_width)
        pieces.append((a, b, idx, acc, slow, up[a:b][idx]))
    if not pieces:
        return []
    bias = _acc_bias_g(np.concatenate([p[4] for p in pieces]))
    out = []
    for a, b, idx, acc, _, seg_up in pieces:
        t = data.t_s[a:b][idx] - data.t_s[0]
        # |f| = sqrt((1 + a_v)^2 + a_h^2) in g, so a_v = |f| - 1 - a_h^2 / 2 to second order. The magnitude
        # does not depend on the attitude estimate; only the small horizontal correction does.
        f = acc - bias
        mag = np.linalg.norm(f, axis=1)
        along = np.einsum("ij,ij->i", f, seg_up)
        horiz2 = np.maximum(mag * mag - along * along, 0.0)
        acc_v = (mag - 1.0 - 0.5 * horiz2) * STANDARD_GRAVITY_M_S2
        acc_v -= np.median(acc_v)
        dt = np.diff(t)
        vel = np.concatenate([[0.0], np.cumsum(0.5 * (acc_v[1:] + acc_v[:-1]) * dt)])
        vel = sosfiltfilt(sos, vel)
        tilt = None if angle is None else moving_mean(angle[a:b], smooth)[idx]
        out.append(_Signals(t=t, acc_v=acc_v, vel=vel, tilt=tilt))
    return out


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


@dataclass(frozen=True)
class _RepFit:
    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    rise_m: float
    lower_m: float
    rise_deg: float
    lower_deg: float
    tilt_rise_deg: float | None
    tilt_lower_deg: float | None
    cost: float


def _crossing(t: np.ndarray, y: np.ndarray, level: float, *, rising: bool, last: bool) -> float:
    """Interpolated time where ``y`` crosses ``level`` (first or last crossing in the given direction)."""
    s = (y - level) if rising else (level - y)
    k = np.flatnonzero((s[:-1] < 0) & (s[1:] >= 0))
    if k.size == 0:
        return float(t[0] if not last else t[-1])
    i = int(k[-1] if last else k[0])
    frac = s[i] / (s[i] - s[i + 1]) if s[i] != s[i + 1] else 0.0
    return float(t[i] + frac * (t[i + 1] - t[i]))


def _first_guess(t: np.ndarray, y: np.ndarray, i0: int, i1: int) -> tuple[float, float]:
    """Onset and duration of the monotonic move of ``y`` from index ``i0`` to ``i1``, from its 20 % / 80 %
    crossings extrapolated through the minimum-jerk profile."""
    a, b = float(y[i0]), float(y[i1])
    seg_t, seg = t[i0 : i1 + 1], y[i0 : i1 + 1]
    rising = b > a
    mid = _crossing(seg_t, seg, a + 0.5 * (b - a), rising=rising, last=False)
    k = int(np.searchsorted(seg_t, mid))
    t20 = _crossing(seg_t[: k + 1], seg[: k + 1], a + 0.2 * (b - a), rising=rising, last=True)
    t80 = _crossing(seg_t[k - 1 :], seg[k - 1 :], a + 0.8 * (b - a), rising=rising, last=False)
    tau20, tau80 = min_jerk_fraction_time(0.2), min_jerk_fraction_time(0.8)
    duration = max((t80 - t20) / (tau80 - tau20), 2.0 * float(np.median(np.diff(seg_t))))
    return t20 - tau20 * duration, duration


def _mj_d(tau: np.ndarray) -> np.ndarray:
    """First derivative of :func:`_mj` with respect to normalised time (0 outside the movement)."""
    inside = (tau > 0.0) & (tau < 1.0)
    x = np.where(inside, tau, 0.0)
    return np.where(inside, 30.0 * x * x * (1.0 - x) ** 2, 0.0)


def _fit_rep(
    sig: _Signals,
    guess: tuple[float, float, float, float],
    window: tuple[float, float],
    rise_m: tuple[float, float],
    params: CalfRaiseParams,
    *,
    tied: bool = False,
) -> _RepFit | None:
    """Least-squares fit of one rep, a minimum-jerk rise and lowering of the foot, to the vertical
    acceleration.

    ``tied`` makes the lowering come down exactly as far as the rise went up (one angle for both), for
    slow lowerings whose acceleration is too small to tell their range on its own.

    The foot turns about the metatarsal heads, so the ankle moves on a circle of radius ``L``
    (``foot_lever_m``) and its height is ``L sin(gamma)``, where ``gamma(t) = gamma_a + d_rise mj(rise) -
    d_lower mj(lowering)`` follows the minimum-jerk profile. The measured vertical acceleration is
    modelled as an offset plus ``L (cos(gamma) gamma'' - sin(gamma) gamma'^2)``. The circle matters: near
    the top the ankle rises at half the rate it does near the bottom, so a minimum-jerk fit to the height
    itself would put the top early and the onset of the lowering late by a few hundred milliseconds. The
    offset enters linearly and is solved in closed form; the four instants and three angles are fitted.
    """
    i0, i1 = int(np.searchsorted(sig.t, window[0])), int(np.searchsorted(sig.t, window[1], side="right"))
    # The fastest rise lasts about 0.3 s: 40 samples per second of it are ample for its shape.
    stride = max(1, int(0.025 / float(np.median(np.diff(sig.t[i0 : i0 + 20]))))) if i1 - i0 > 20 else 1
    t = sig.t[i0:i1:stride]
    if t.size < 12:
        return None
    av = moving_mean(sig.acc_v[i0:i1], stride)[::stride]
    lever = params.foot_lever_m
    gamma_flat = float(np.arctan2(0.08, 0.13))

    def model(x: np.ndarray) -> np.ndarray:
        s_r, d_r, hold, d_l, g_a, a_r, a_l = x
        if tied:
            a_l = a_r
        s_l = s_r + d_r + hold
        u_r, u_l = (t - s_r) / d_r, (t - s_l) / d_l
        g = g_a + a_r * _mj(u_r) - a_l * _mj(u_l)
        gd = a_r * _mj_d(u_r) / d_r - a_l * _mj_d(u_l) / d_l
        gdd = a_r * _mj_dd(u_r) / d_r**2 - a_l * _mj_dd(u_l) / d_l**2
        return lever * (np.cos(g) * gdd - np.sin(g) * gd * gd)

    ones = np.ones_like(t)

    def residual(x: np.ndarray) -> np.ndarray:
        # The accelerometer's bias projects onto gravity differently as the shank tilts, which shifts the
        # offset in step with each transition: two steps shaped like the transitions absorb it.
        s_r, d_r, hold, d_l = x[:4]
        s_l = s_r + d_r + hold
        m = model(x)
        basis = np.column_stack([ones, _mj((t - s_r) / d_r), _mj((t - s_l) / d_l)])
        coef, *_ = np.linalg.lstsq(basis, av - m, rcond=None)
        return m + basis @ coef - av

    def arc(rise: float) -> float:
        return float(np.arcsin(np.clip(np.sin(gamma_flat) + max(rise, 1e-3) / lever, -1.0, 1.0)) - gamma_flat)

    s_r, d_r, s_l, d_l = guess
    hold = max(s_l - s_r - d_r, 0.0)
    x0 = np.array([s_r, d_r, hold, d_l, gamma_flat, arc(rise_m[0]), arc(rise_m[1])])
    lo = np.array([s_r - 0.5 * d_r - 0.2, 0.1, 0.0, 0.1, gamma_flat - 0.6, 0.0, 0.0])
    hi = np.array(
        [
            s_r + 0.5 * d_r + 0.2,
            params.max_transition_s,
            hold + 0.5 * d_l + 0.5,
            params.max_transition_s,
            gamma_flat + 0.4,
            1.4,
            1.4,
        ]
    )
    x0 = np.clip(x0, lo + 1e-6, hi - 1e-6)
    x_scale = np.array([0.05, 0.05, 0.05, 0.05, 0.1, 0.1, 0.1])
    sol = least_squares(residual, x0, bounds=(lo, hi), x_scale=x_scale, max_nfev=200)
    s_r, d_r, hold, d_l, g_a, a_r, a_l = (float(v) for v in sol.x)
    if tied:
        a_l = a_r
    s_l = s_r + d_r + hold
    tilt_rise = tilt_lower = None
    if sig.tilt is not None:
        basis = np.column_stack([np.ones_like(t), _mj((t - s_r) / d_r), -_mj((t - s_l) / d_l)])
        coef, *_ = np.linalg.lstsq(basis, sig.tilt[i0:i1:stride], rcond=None)
        tilt_rise, tilt_lower = float(coef[1]), float(coef[2])
    return _RepFit(
        start_s=s_r,
        top_s=s_r + d_r,
        lower_s=s_l,
        bottom_s=s_l + d_l,
        rise_m=lever * (np.sin(g_a + a_r) - np.sin(g_a)),
        lower_m=lever * (np.sin(g_a + a_r) - np.sin(g_a + a_r - a_l)),
        rise_deg=float(np.degrees(a_r)),
        lower_deg=float(np.degrees(a_l)),
        tilt_rise_deg=tilt_rise,
        tilt_lower_deg=tilt_lower,
        cost=float(sol.cost),
    )


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
    tilts the shank too, by up to a degree or two on one leg, but hardly moves the ankle, so the *rise*
    is what identifies and times a rep, and the tilt helps where it is clean.

    1. *Finding reps.* The vertical acceleration (``|f| - 1 g``, independent of mounting) is integrated
       twice and high-passed; every top of this height with a prominence above ``min_rise_m`` (and a
       tenth of the typical rep) is a rep, between the lowest points either side of it.
    2. *Timing.* Rise and lowering are minimum-jerk movements [1]_, as smooth voluntary movements are.
       Their onsets cannot be read off a threshold (a minimum-jerk movement has covered 0.1 % of its range
       at 5 % of its duration, so any threshold is crossed late, by an amount that grows with the
       duration). Instead each rep is fitted as a whole: an offset plus a minimum-jerk rise and a
       minimum-jerk lowering, whose accelerations are matched to the measured vertical acceleration (a
       matched filter, optimal against the white noise of the accelerometer) and, with a gyroscope, whose
       positions are matched to the shank angle at the same time. The fit returns the four instants
       directly; the 20 %/80 % crossings of the height only start it. Rise and lowering durations are what
       gyroscope studies of the heel-rise test report [2]_, [3]_.
    3. *Checks.* A rep must come down by at least half of what it went up (a step up onto a box or the
       return to standing is not a rep), with both transitions shorter than ``max_transition_s``.
    4. *Pause.* The bottom pause ends at the next movement: the next rise, or a rotation of the shank of
       ``posture_deg`` or more (bending or straightening the knee between reps), whichever comes first.
    5. *Partial reps and knee.* Partial reps rise less than ``partial_fraction`` of the set's full rise.
       Bent-knee reps rotate the shank by more than ``bent_tilt_deg`` per full rep.

    A rep is decided once its pause has ended, at most ``max_pause_s`` after its bottom; that plus the
    fitting window (one second) is the look-ahead of a live analysis.

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
    if orientation is None or (data.gyr_dps is not None and orientation.angle_deg is None):
        orientation = estimate_orientation(data.t_s, data.acc_g, data.gyr_dps, gaps=data.gaps)
    angle = orientation.angle_deg
    if data.gyr_dps is None:
        warnings.append(
            "calf raises: no gyroscope; reps are timed from the accelerometer alone (less accurate for slow "
            "lowering), knee position and pause ends at knee bends are not reported"
        )
    if data.gaps:
        warnings.append(
            f"calf raises: {len(data.gaps)} gap(s) in the recording; reps are not sought across one"
        )
    sigs = _signals(data, orientation.up, angle, params)
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


def _lobes(t: np.ndarray, v: np.ndarray, sign: float, min_area_m: float) -> list[tuple[int, int, int, float]]:
    """Lobes of ``sign * v`` above zero: (first index, peak index, last index, area in m), area >= min."""
    pos = sign * v > 0
    edges = np.flatnonzero(np.diff(pos.astype(np.int8)))
    starts = np.concatenate([[0], edges + 1])
    stops = np.concatenate([edges, [v.size - 1]])
    out = []
    dt = np.gradient(t)
    for a, b in zip(starts, stops, strict=True):
        if not pos[a] or b - a < 2:
            continue
        area = float(np.sum(sign * v[a : b + 1] * dt[a : b + 1]))
        if area >= min_area_m:
            out.append((int(a), int(a + np.argmax(sign * v[a : b + 1])), int(b), area))
    return out


def _bell_guess(
    t: np.ndarray, v: np.ndarray, lobe: tuple[int, int, int, float], sign: float
) -> tuple[float, float]:
    """Onset and duration of a minimum-jerk move from its velocity lobe: its peak velocity is 1.875 times
    the mean (area / duration), and it peaks half-way."""
    _, k, _, area = lobe
    duration = 1.875 * area / max(sign * float(v[k]), 1e-6)
    return float(t[k]) - 0.5 * duration, duration


def _segment_reps(sig: _Signals, min_area_m: float, params: CalfRaiseParams) -> list[dict]:
    """Reps of one gap-free stretch: rises (positive vertical-velocity lobes) each followed by a lowering
    (the largest negative lobe before the next rise) of at least half its height."""
    t, v = sig.t, sig.vel
    rises = _lobes(t, v, 1.0, min_area_m)
    falls = _lobes(t, v, -1.0, 0.0)
    fall_peaks = np.array([f[1] for f in falls], dtype=np.int64)
    max_gap = params.max_transition_s + params.max_pause_s
    starts = [_bell_guess(t, v, rise, 1.0) for rise in rises]
    fits: list[_RepFit | None] = []
    for k, rise in enumerate(rises):
        s_r, d_r = starts[k]
        top = s_r + d_r
        # Up to the next rise; after a set's last rise, as far as the slowest lowering and a second.
        nxt = float(t[rises[k + 1][0]]) if k + 1 < len(rises) else top + params.max_transition_s + 1.0
        end = min(nxt, top + max_gap, float(t[-1]))
        limit = int(np.searchsorted(t, end))
        between = [falls[j] for j in np.flatnonzero((fall_peaks > rise[1]) & (fall_peaks < limit))]
        # A rep comes down again before the next rise. A slow lowering's small velocity may be split into
        # several lobes by noise, so their areas are added up.
        if sum(f[3] for f in between) < 0.3 * rise[3] or end - top < 0.2:
            fits.append(None)
            continue
        prev_end = fits[k - 1].bottom_s if k > 0 and fits[k - 1] is not None else -np.inf
        w0 = max(s_r - 0.3 - 0.25 * d_r, min(prev_end, s_r))
        fall = max(between, key=lambda f: f[3])
        guesses = [(s_r, d_r, *_bell_guess(t, v, fall, -1.0))]
        # The lowering is not always where its largest velocity lobe says: fall back to starting guesses
        # spread over the stretch before the next rise, and keep the best fit.
        gap = end - top
        guesses += [
            (s_r, d_r, top + h * gap, max(d * gap, 0.2)) for h, d in ((0.0, 0.4), (0.0, 0.7), (0.15, 0.5))
        ]
        best: _RepFit | None = None
        for i, guess in enumerate(guesses):
            f = _fit_rep(sig, guess, (w0, end), (rise[3], rise[3]), params)
            if f is not None and (best is None or f.cost < best.cost):
                best = f
            # The largest velocity lobe is usually the lowering; the other guesses only when it is not.
            if i == 0 and best is not None and _plausible(best, min_area_m, params.max_rise_s):
                break
        bracketed = k + 1 < len(rises) and nxt <= top + max_gap
        if (
            best is not None
            and bracketed
            and not _plausible(best, min_area_m, params.max_rise_s)
            and best.rise_m >= min_area_m
        ):
            # Another rise follows, so the ankle came down in between (and its velocity says so, checked
            # above), but too slowly for the range to show in the acceleration: fit it as a return to the
            # starting level.
            start = (best.start_s, best.top_s - best.start_s, best.lower_s, best.bottom_s - best.lower_s)
            tied = _fit_rep(sig, start, (w0, end), (rise[3], rise[3]), params, tied=True)
            best = tied if tied is not None else best
        fits.append(best)
    reps = []
    for k, f in enumerate(fits):
        if f is None or not _plausible(f, min_area_m, params.max_rise_s):
            continue
        top, lower = f.top_s, f.lower_s
        next_start = next((fits[j].start_s for j in range(k + 1, len(fits)) if fits[j] is not None), np.inf)
        reps.append(
            {
                "start_s": f.start_s,
                "top_s": top,
                "lower_s": lower,
                "bottom_s": f.bottom_s,
                "rise_m": f.rise_m,
                "rise_deg": f.rise_deg,
                "base_deg": None if sig.tilt is None else _level(sig, f.start_s - 0.15, f.start_s),
                "tilt_deg": None
                if sig.tilt is None
                else _level(sig, f.top_s - 0.05, f.top_s + 0.05) - _level(sig, f.start_s - 0.15, f.start_s),
                "pause_end_s": _pause_end(sig, f.bottom_s, next_start, params),
            }
        )
    return reps


def _level(sig: _Signals, t0: float, t1: float) -> float:
    k0, k1 = int(np.searchsorted(sig.t, t0)), int(np.searchsorted(sig.t, t1))
    assert sig.tilt is not None
    return float(np.median(sig.tilt[k0 : max(k1, k0 + 1)]))


def _plausible(f: _RepFit, min_rise_m: float, max_rise_s: float = 3.0) -> bool:
    """A rep rises at least ``min_rise_m`` within ``max_rise_s`` and comes down by half to two and a half
    times as much (the first rep of an eccentric set starts from the step, the others from below it)."""
    return (
        f.rise_m >= min_rise_m
        and f.top_s - f.start_s <= max_rise_s
        and 0.5 * f.rise_m <= f.lower_m <= 2.5 * f.rise_m
    )


def _pause_end(sig: _Signals, bottom_s: float, next_start_s: float, params: CalfRaiseParams) -> float | None:
    """When the bottom pause ends: the next rise, or the onset of a knee bend / straightening before it.

    The shank's angle on the plateau after the bottom and on the one before the next rise differ by the
    knee bend between them; if by at least ``posture_deg``, the bend's onset, from its 20 %/80 % crossings
    through the minimum-jerk profile, ends the pause. ``None`` if no rise follows within ``max_pause_s``
    (the set's typical pause is used then).
    """
    if next_start_s > bottom_s + params.max_pause_s:
        return None
    if sig.tilt is None or next_start_s - bottom_s < 0.4:
        return next_start_s
    plateau = min(0.2, 0.25 * (next_start_s - bottom_s))
    before = _level(sig, bottom_s, bottom_s + plateau)
    after = _level(sig, next_start_s - plateau, next_start_s)
    if abs(after - before) < params.posture_deg:
        return next_start_s
    sign = 1.0 if after > before else -1.0
    k0 = int(np.searchsorted(sig.t, bottom_s + plateau))
    k1 = int(np.searchsorted(sig.t, next_start_s - plateau))
    if k1 - k0 < 4:
        return next_start_s
    y = sign * (sig.tilt - before)
    # First guesses work on a monotonic stretch: from the last sample near the start level before the
    # half-way crossing to the first near the end level after it.
    span = sign * (after - before)
    mid = k0 + int(np.argmax(y[k0:k1] >= 0.5 * span))
    lo = (
        k0 + int(np.flatnonzero(y[k0 : mid + 1] <= 0.1 * span)[-1])
        if np.any(y[k0 : mid + 1] <= 0.1 * span)
        else k0
    )
    hi_rel = np.flatnonzero(y[mid:k1] >= 0.9 * span)
    hi = mid + int(hi_rel[0]) if hi_rel.size else k1
    if hi - lo < 3:
        return next_start_s
    onset, duration = _first_guess(sig.t, y, lo, hi)
    if not params.posture_s[0] <= duration <= params.posture_s[1]:
        return next_start_s  # a slow drift of the stance (sway), not a knee bend
    return float(min(max(onset, bottom_s), next_start_s))


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
        return {id(r): ("bent" if f > mid else "straight") for r, f in zip(members, forward, strict=True)}
    full = np.abs(tilts[~partial]) if (~partial).any() else np.abs(tilts)
    knee = "bent" if float(np.median(full)) > params.bent_tilt_deg else "straight"
    return {id(r): knee for r in members}


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
        rises = np.array([r["rise_m"] for r in members])
        full = float(np.quantile(rises, 0.75))
        partial = rises < params.partial_fraction * full
        pauses = [r["pause_end_s"] - r["bottom_s"] for r in members if r["pause_end_s"] is not None]
        typical_pause = float(np.median(pauses)) if pauses else 0.0
        knees = _knees(members, partial, params)
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
                    range_deg=r["rise_deg"] + abs(r["tilt_deg"] or 0.0),
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


def _set_summary(index: int, reps: list[CalfRaiseRep], params: CalfRaiseParams) -> SetSummary:
    full = [r for r in reps if not r.partial]
    basis = full or reps
    stats = {name: metric_stats([getattr(r, name) for r in basis], lower_is_better=False) for name in _PHASES}
    stats["range_deg"] = metric_stats([r.range_deg for r in basis], lower_is_better=False)
    target = np.asarray(params.target_tempo_s)
    errors = np.array([[getattr(r, name) for name in _PHASES] for r in basis]) - target
    stats["tempo_error_s"] = metric_stats(np.abs(errors).sum(axis=1).tolist(), lower_is_better=True)
    notes: list[str] = []
    partial = len(reps) - len(full)
    if partial:
        notes.append(f"{partial} partial rep(s) not counted")
    off = np.abs(errors) > params.tempo_tolerance_s
    tempo = "-".join(f"{x:g}" for x in params.target_tempo_s)
    for j, name in enumerate(_PHASES):
        bad = np.flatnonzero(off[:, j])
        if bad.size:
            first = int(bad[0]) + 1
            direction = "long" if errors[bad[0], j] > 0 else "short"
            notes.append(
                f"{name.removesuffix('_s')} off the {tempo} s target from rep {first} "
                f"({bad.size} of {len(basis)} reps, first {direction} by {abs(errors[bad[0], j]):.1f} s)"
            )
    return SetSummary(
        index=index,
        kind="calf_raises",
        start_s=reps[0].start_s,
        end_s=reps[-1].end_s,
        count=len(full),
        stats=stats,
        notes=tuple(notes),
    )
