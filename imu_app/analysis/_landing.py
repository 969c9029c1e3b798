"""Landing holds: time to stabilisation after a single-leg landing, the hold, how it ended, and its sway."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter
from scipy.optimize import least_squares

from imu_app.analysis._contacts import HopContacts, contacts_from_data
from imu_app.analysis._orientation import moving_mean, segment_bounds
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis.report import Landing, SetSummary
from imu_app.core import AnalysisError, ImuData

__all__ = ["ENDINGS", "LandingParams", "LandingResult", "detect_landings"]

logger = logging.getLogger(__name__)

#: What can end a hold, as in the report.
ENDINGS = ("other_foot", "hop", "stumble", "end_of_recording")


@dataclass(frozen=True)
class LandingParams:
    """Parameters of :func:`detect_landings`; the defaults need no tuning.

    Attributes
    ----------
    hold_target_s
        The hold asked for ("hold the landing 5 s").
    target_tolerance_s
        A hold counts as met when it lasts at least ``hold_target_s`` minus this. Athletes put the other foot
        down on the count of "five", not after it; 0.2 s is well below the shortest failed hold that matters
        to a coach and above the timing error of the hold's end (a few hundredths of a second).
    min_hold_s
        A landing is a hold when the athlete stays on the landing leg at least this long. Reactive hop
        contacts last 0.1-0.3 s and the last landing of a hop bout, which the other foot joins at once,
        about 0.4 s; a deliberate balance lasts a second or more.
    settle_s
        Start of the stabilisation analysis after touch-down. The first 0.3-0.4 s are the absorption of the
        landing (knee flexion, foot slap): large, but not the balance oscillation the method measures.
    window_s
        Moving window of the mean-square angular rate (the RMS-settling signal). Half a second spans at
        least one period of the balance oscillation (1-2.5 Hz after single-leg landings) and keeps the
        time resolution of the envelope well below its decay time (0.3-0.8 s). Published TTS values depend
        on it, so it is reported with every landing.
    impact_min_g, impact_sigmas
        The other foot's touch-down reaches the stance shank as a sharp bump of 0.05-0.15 g: a sample of the
        high-passed specific-force magnitude above both this level and this many noise SDs marks it.
    burst_min_dps, burst_sigmas
        A stumble is a burst of angular rate above both this level and this many times the steady sway
        (single-leg sway is 2-4 deg/s RMS; a loss of balance swings the shank at tens of deg/s), shortly
        before the foot that catches it lands.
    impact_after_s
        The other foot is looked for from this long after touch-down: the landing's own impact is over
        within 30 ms, and the last landing of a hop bout is joined by the other foot from about 0.35 s.
    single_leg_sway_dps, early_s
        Confirmation of a touch-down by the drop of sway after it (see ``_other_foot``): two-leg stance
        sways the shank at 0.5-1 deg/s RMS, one-leg stance at 2-4 deg/s, and a landing rings far above both.
        Spikes within ``early_s`` of the start of the search always need it.
    pushoff_s
        A hold that a hop ends lasts until its take-off; what happens in the push-off before it (up to half
        a second of countermovement and push, with large accelerations) is not looked at for other endings.
    max_rest_s
        Holds further apart than this belong to different sets.
    """

    hold_target_s: float = 5.0
    target_tolerance_s: float = 0.2
    min_hold_s: float = 0.6
    settle_s: float = 0.4
    window_s: float = 0.5
    impact_min_g: float = 0.02
    impact_sigmas: float = 6.0
    burst_min_dps: float = 20.0
    burst_sigmas: float = 5.0
    pushoff_s: float = 0.6
    single_leg_sway_dps: float = 1.6
    early_s: float = 0.3
    impact_after_s: float = 0.3
    max_rest_s: float = DEFAULT_MAX_REST_S
    ringing_fit: bool = True

    def __post_init__(self) -> None:
        if self.hold_target_s < 0 or self.target_tolerance_s < 0:
            raise AnalysisError("landings: hold_target_s and target_tolerance_s must not be negative")
        if self.window_s <= 0 or self.settle_s < 0 or self.min_hold_s <= 0:
            raise AnalysisError("landings: window_s and min_hold_s must be positive, settle_s non-negative")


@dataclass(frozen=True)
class LandingResult:
    """Holds, their sets and what the user should know about the analysis.

    ``sway_reference_dps`` is the steady single-leg sway (RMS angular rate) that stabilisation is measured
    against; ``lookahead_s`` bounds how long after a hold's end it is decided.
    """

    landings: tuple[Landing, ...]
    sets: tuple[SetSummary, ...]
    warnings: tuple[str, ...]
    sway_reference_dps: float | None
    lookahead_s: float


@dataclass
class _Hold:
    landing_s: float
    end_s: float
    ended_by: str
    target_s: float
    i0: int
    i1: int
    stabilised_s: float | None = None
    quiet_ms: float | None = None


def _landings_with_final(data: ImuData) -> HopContacts:
    """Contacts of ``data`` including a final landing that the recording ends on.

    The contact detector lists, like a force plate, only contacts that end in a take-off; a hold that lasts
    until the end of the recording would be lost. Appending 60 ms of free fall presents the end of the
    recording to the detector as a take-off, so the final landing is kept with its contact ending at the
    last real sample (and is then recognised as ``end_of_recording``).
    """
    n_pad = max(4, math.ceil(0.06 * data.sample_rate_hz))
    period = 1.0 / data.sample_rate_hz
    t_pad = data.t_s[-1] + period * np.arange(1, n_pad + 1)
    padded = ImuData(
        t_s=np.concatenate([data.t_s, t_pad]),
        acc_g=np.concatenate([data.acc_g, np.zeros((n_pad, 3))]),
        gaps=data.gaps,
        meta=data.meta,
    )
    return contacts_from_data(padded)


def _crossing_back(t: np.ndarray, x: np.ndarray, k: int, level: float, k_min: int) -> int:
    """Largest index ``j`` in ``[k_min, k]`` with ``x[j] < level`` (``k_min`` if there is none)."""
    below = np.flatnonzero(x[k_min : k + 1] < level)
    return k_min + int(below[-1]) if below.size else k_min


def detect_landings(
    data: ImuData,
    params: LandingParams | None = None,
    *,
    contacts: HopContacts | None = None,
) -> LandingResult:
    """Find single-leg landing holds and measure time to stabilisation, hold, ending and sway.

    Parameters
    ----------
    data
        The recording (sensor on the distal shank, any mounting). Time to stabilisation and angular sway
        need a gyroscope; without one they are ``None`` and a warning says so.
    params
        See :class:`LandingParams`.
    contacts
        Ground contacts of ``data`` from the hop contact detector including a final landing, if the caller
        has them; otherwise they are detected here.

    Returns
    -------
    LandingResult

    Notes
    -----
    *Holds.* Every landing after a flight (from the hop contact detector) whose foot stays down for at
    least ``min_hold_s`` is a hold. It ends at the first of: the other foot's touch-down (a sharp bump of
    the specific force), a stumble (a burst of angular rate; its onset, extrapolated back with the rate's
    quadratic growth, ends the hold), the push-off of a hop (the onset of the vertical acceleration before
    the next take-off, extrapolated back linearly from its crossings of one and two fifths of
    ``pushoff_level_g``), or the end of the recording.

    *Time to stabilisation.* The published methods smooth a force signal (sequential average [1]_, moving
    root mean square [2]_, [3]_) and take the instant after which it stays within a threshold derived
    from quiet stance; TTS values depend strongly on the window and the threshold [4]_. Here the signal is
    the angular-rate magnitude of the shank, which rings after the landing with a decaying envelope
    ``A exp(-t/tau)`` on top of the steady sway of single-leg stance. Its moving mean square over
    ``window_s`` is modelled as ``sigma^2 + (A^2/2) exp(-2t/tau) * sinh(w/tau)/(w/tau)`` (the last factor is
    the exact effect of the centred window on an exponential), where ``sigma`` is the steady sway RMS of the
    session's holds (the quiet-stance reference). ``A`` and ``tau`` are fitted by least squares and the
    landing is stabilised when the envelope falls to the steady sway: ``t = tau ln(A / sigma)`` after
    touch-down. Fitting the whole decay rather than reading off one threshold crossing makes the estimate
    insensitive to the random beats of sway and oscillation that move a crossing by a full period.

    *Sway* is the RMS angular rate (gyroscope bias removed) and the RMS of the specific force about its
    1-s mean (gravity removed) from stabilisation to the end of the hold.

    A hold is decided when it has ended and 0.5 s more are known (the ending's signature); the stabilisation
    reference uses the session's holds, so a live analysis updates it as holds accumulate.

    References
    ----------
    .. [1] Colby, S. M., Hintermeister, R. A., Torry, M. R., & Steadman, J. R. (1999). Lower limb stability
       with ACL impairment. Journal of Orthopaedic & Sports Physical Therapy, 29(8), 444-451.
       https://doi.org/10.2519/jospt.1999.29.8.444
    .. [2] Ross, S. E., & Guskiewicz, K. M. (2004). Examination of static and dynamic postural stability in
       individuals with functionally stable and unstable ankles. Clinical Journal of Sport Medicine, 14(6),
       332-338. https://doi.org/10.1097/00042752-200411000-00002
    .. [3] Wikstrom, E. A., Tillman, M. D., & Borsa, P. A. (2005). Detection of dynamic stability deficits in
       subjects with functional ankle instability. Medicine & Science in Sports & Exercise, 37(2), 169-175.
       https://doi.org/10.1249/01.MSS.0000149887.84238.6C
    .. [4] Fransz, D. P., Huurnink, A., de Boode, V. A., Kingma, I., & van Dieën, J. H. (2015). Time to
       stabilization in single leg drop jump landings: an examination of calculation methods and assessment
       of differences in sample rate, filter settings and trial length on outcome values. Gait & Posture,
       41(1), 63-69. https://doi.org/10.1016/j.gaitpost.2014.08.018
    """
    params = params or LandingParams()
    warnings: list[str] = []
    lookahead_s = 0.5
    if len(data) < 10:
        return LandingResult((), (), (), None, lookahead_s)
    fs = data.sample_rate_hz
    t = data.t_s - data.t_s[0]
    contacts = contacts if contacts is not None else _landings_with_final(data)
    mag = np.linalg.norm(data.acc_g, axis=1)
    gyr = None
    if data.gyr_dps is not None:
        quiet = np.linalg.norm(data.gyr_dps, axis=1) < 30.0
        bias = np.median(data.gyr_dps[quiet], axis=0) if quiet.sum() > 10 else np.zeros(3)
        gyr = data.gyr_dps - bias
    else:
        warnings.append(
            "landings: no gyroscope; time to stabilisation and angular sway need one and are left empty"
        )
    rate2 = None if gyr is None else np.einsum("ij,ij->i", gyr, gyr)
    # The specific force about its one-second mean: gravity (and slow tilts) removed.
    slow_acc = moving_mean(data.acc_g, max(1, round(fs)))
    dev_acc = np.linalg.norm(data.acc_g - slow_acc, axis=1)
    # Activity: angular rate (or, without a gyroscope, the specific force about its mean, scaled so that
    # 1 g ~ 57 deg/s, the rate of a 1-rad swing per second), over 0.1 s and over the RMS window.
    power = rate2 if rate2 is not None else np.degrees(dev_acc) ** 2
    act = np.sqrt(moving_mean(power, max(1, round(0.1 * fs))))
    env = np.sqrt(moving_mean(power, max(1, round(params.window_s * fs))))
    seg_end = np.empty(len(data), dtype=np.int64)
    for a, b in segment_bounds(len(data), data.gaps):
        seg_end[a:b] = b - 1

    holds: list[_Hold] = []
    prev_end_by: str | None = None
    prev_end_s = -np.inf
    for k in range(len(contacts)):
        if not np.isfinite(contacts.flight_before_ms[k]):
            continue
        land = float(contacts.landing_s[k])
        i0 = int(np.searchsorted(t, land))
        if i0 >= len(data):
            continue
        last = int(seg_end[i0])
        limit = float(contacts.takeoff_s[k]) if np.isfinite(contacts.takeoff_s[k]) else float(t[last])
        limit = min(limit, float(t[last]))
        at_end = limit >= float(t[last]) - 2.0 / fs
        if limit - land < params.min_hold_s:
            continue
        end_s, ended_by = _hold_end(
            t,
            land=land,
            limit=limit,
            at_end=at_end,
            mag=mag,
            act=act,
            env=env,
            two_leg=params.single_leg_sway_dps if rate2 is not None else 0.5,
            params=params,
            fs=fs,
        )
        if end_s - land < params.min_hold_s:
            continue
        # A landing straight out of a hold that a hop ended is the corrective hop's: nothing is asked of it.
        corrective = prev_end_by == "hop" and land - prev_end_s < 1.5
        holds.append(
            _Hold(
                landing_s=land,
                end_s=end_s,
                ended_by=ended_by,
                target_s=0.0 if corrective else params.hold_target_s,
                i0=i0,
                i1=int(np.searchsorted(t, end_s)),
            )
        )
        prev_end_by, prev_end_s = ended_by, end_s

    sigma = None
    if rate2 is not None and holds:
        sigma = _stabilise(t, rate2, gyr, holds, params=params, fs=fs)
    landings = []
    for h in holds:
        w0 = int(np.searchsorted(t, h.stabilised_s if h.stabilised_s is not None else h.landing_s + 1.0))
        # Sway up to the end of the hold, but not into a hop's push-off.
        w1 = int(np.searchsorted(t, h.end_s - (params.pushoff_s if h.ended_by == "hop" else 0.0)))
        # A hold that stabilised late (or never): its last half second.
        w0 = min(w0, w1 - max(1, round(0.5 * fs)))
        w1 = max(w1, w0 + 1)
        sway_gyr = None if rate2 is None else float(np.sqrt(np.mean(rate2[w0:w1])))
        sway_acc = float(np.sqrt(np.mean(dev_acc[w0:w1] ** 2)))
        hold_s = h.end_s - h.landing_s
        landings.append(
            Landing(
                landing_s=h.landing_s,
                stabilised_s=h.stabilised_s,
                time_to_stabilisation_s=None if h.stabilised_s is None else h.stabilised_s - h.landing_s,
                hold_s=hold_s,
                hold_target_s=h.target_s,
                hold_target_met=bool(hold_s >= h.target_s - params.target_tolerance_s),
                ended_by=h.ended_by,
                sway_gyr_rms_dps=sway_gyr,
                sway_acc_rms_g=sway_acc,
                window_s=None if rate2 is None else params.window_s,
            )
        )
    landings_t, sets = _sets(landings, params)
    return LandingResult(landings_t, sets, tuple(warnings), sigma, lookahead_s)


def _hold_end(
    t: np.ndarray,
    *,
    land: float,
    limit: float,
    at_end: bool,
    mag: np.ndarray,
    act: np.ndarray,
    env: np.ndarray,
    two_leg: float,
    params: LandingParams,
    fs: float,
) -> tuple[float, str]:
    """End of the hold that starts at ``land`` and cannot outlast ``limit`` (the next take-off or the end
    of the data), and what ended it.

    ``act`` is the activity (angular rate, or without a gyroscope the specific force about its mean in
    equivalent units) smoothed over 0.1 s, ``env`` the same over ``window_s``; below ``two_leg`` the
    athlete stands on both feet.
    """
    end_s, ended_by = (limit, "end_of_recording") if at_end else (limit, "hop")
    a = int(np.searchsorted(t, land + params.impact_after_s))
    # The push-off of a hop (up to half a second) is not an event of the hold.
    b = int(np.searchsorted(t, limit - (0.0 if at_end else params.pushoff_s)))
    if b - a < 5:
        return end_s, ended_by
    k_foot = _other_foot(mag[a:b], env[a:b], two_leg, params, fs)
    k_foot = b if k_foot is None else k_foot + a
    # A stumble: the activity bursts far above the sway once the landing's ringing has died down, and the
    # athlete ends on two feet (the foot that catches it, or the calm after).
    base = float(np.median(env[a:b]))
    burst_level = max(params.burst_min_dps, params.burst_sigmas * base)
    calm = np.flatnonzero(env[a:k_foot] < burst_level)
    if calm.size:
        burst = calm[0] + np.flatnonzero(env[a + calm[0] : k_foot] > burst_level)
        if burst.size:
            kb = a + int(burst[0])
            after = env[kb + round(1.0 * fs) : kb + round(2.0 * fs)]
            if k_foot < b or (after.size > 0.3 * fs and float(np.median(after)) < min(two_leg, base)):
                k2 = _crossing_back(t, act, kb, burst_level, a) + 1
                k1 = _crossing_back(t, act, k2, 0.25 * burst_level, a)
                # The rate grows quadratically from the onset: from L/4 to L takes as long as onset to L/4.
                onset = float(t[k1]) - (float(t[k2]) - float(t[k1]))
                return max(onset, land + params.impact_after_s), "stumble"
    if k_foot >= b:
        return end_s, ended_by
    return float(t[k_foot]) - 0.5 / fs, "other_foot"


def _other_foot(
    mag: np.ndarray, env: np.ndarray, two_leg: float, params: LandingParams, fs: float
) -> int | None:
    """Index of the other foot's touch-down in a stretch of the hold, or ``None``.

    The touch-down reaches the stance shank as a spike of the specific-force magnitude (up within a few
    milliseconds, over within 40 ms): the magnitude minus its running median over 50 ms, which follows the
    smooth movements of the shank but not the spike. A spike above ``impact_sigmas`` noise SDs (and
    ``impact_min_g``) marks it. Both feet on the ground sway a third as much as one, which confirms a
    smaller spike (a soft touch-down at a low sample rate) when the activity 0.4-1.4 s after it is below
    half that in the second before it and below ``two_leg``. In the first ``early_s`` the end of the
    landing's absorption can jolt the shank as sharply as a foot, so there every spike needs that
    confirmation, with the activity falling to a quarter (the landing still rings then; after the last
    landing of a hop bout, which the other foot joins at once, it falls further).
    """
    width = max(5, round(0.05 * fs) | 1)
    spike = mag - median_filter(mag, size=width, mode="nearest")
    noise = float(np.median(np.abs(spike - np.median(spike)))) / 0.6745
    high = max(params.impact_min_g, params.impact_sigmas * noise)
    low = max(0.5 * params.impact_min_g, 0.6 * params.impact_sigmas * noise)
    n_before, n_gap = round(1.0 * fs), round(0.1 * fs)
    n_after0, n_after1 = round(0.4 * fs), round(1.4 * fs)
    n_early = round(params.early_s * fs)
    for k in np.flatnonzero(spike > low):
        if spike[k] > high and k >= n_early:
            return int(k)
        after_win = env[k + n_after0 : k + n_after1]
        if after_win.size < 0.3 * fs:
            continue
        b0, b1 = max(0, k - n_before), k - n_gap
        before = float(np.median(env[b0:b1])) if b1 - b0 > 2 else float(env[max(k - 1, 0)])
        ratio = 0.25 if k < n_early else 0.5
        if float(np.median(after_win)) < min(ratio * before, two_leg):
            # Confirmed by the calm that follows, which also follows noise spikes just before the foot:
            # the touch-down is the largest spike of the next 0.6 s.
            nearby = spike[k : k + round(0.6 * fs)]
            return int(k + np.argmax(nearby))
    return None


def _stabilise(
    t: np.ndarray,
    rate2: np.ndarray,
    gyr: np.ndarray | None,
    holds: list[_Hold],
    *,
    params: LandingParams,
    fs: float,
) -> float | None:
    """Fit the decay of every hold, against the session's steady sway; returns that sway (RMS deg/s)."""
    width = max(1, round(params.window_s * fs))
    ms = moving_mean(rate2, width)

    def quiet_ms(h: _Hold, after_s: float) -> float | None:
        q0 = int(np.searchsorted(t, after_s))
        q1 = int(np.searchsorted(t, h.end_s - 0.2))
        return float(np.mean(rate2[q0:q1])) if q1 - q0 > 0.5 * fs else None

    # First pass: the late part of each hold; then after each hold's fitted stabilisation.
    for h in holds:
        h.quiet_ms = quiet_ms(h, max(h.landing_s + 2.0, h.end_s - 3.0))
    sigma2 = None
    for _ in range(2):
        values = [h.quiet_ms for h in holds if h.quiet_ms is not None]
        if not values:
            break
        sigma2 = float(np.median(values))
        for h in holds:
            h.stabilised_s = _fit_decay(t, ms, gyr=gyr, h=h, sigma2=sigma2, params=params)
            if h.stabilised_s is not None:
                h.quiet_ms = quiet_ms(h, h.stabilised_s + 0.5) or h.quiet_ms
    if sigma2 is None:
        return None
    return math.sqrt(sigma2)


def _fit_decay(
    t: np.ndarray,
    ms: np.ndarray,
    *,
    gyr: np.ndarray | None,
    h: _Hold,
    sigma2: float,
    params: LandingParams,
) -> float | None:
    """Stabilisation instant of one hold from its windowed mean-square angular rate ``ms``."""
    i0 = int(np.searchsorted(t, h.landing_s + params.settle_s))
    i1 = int(np.searchsorted(t, h.end_s - 0.5 * params.window_s))
    if i1 - i0 < 10:
        return None
    tt = t[i0:i1] - h.landing_s
    y = ms[i0:i1]
    w = params.window_s
    excess = y - sigma2
    head = excess[: max(3, excess.size // 10)]
    if float(np.max(head)) <= 0.5 * sigma2:
        # No transient above the sway: stable from the start of the analysis.
        return h.landing_s + params.settle_s

    def model(x: np.ndarray) -> np.ndarray:
        log_a, log_tau = x
        tau = math.exp(log_tau)
        r = w / tau
        return sigma2 + math.exp(log_a) * math.sinh(r) / r * np.exp(-2.0 * tt / tau)

    def residual(x: np.ndarray) -> np.ndarray:
        # Relative residuals: the decay spans two decades and the late, small part pins the time constant.
        return (model(x) - y) / (y + sigma2)

    a0 = max(float(np.max(head)), sigma2)
    x0 = np.array([math.log(a0), math.log(0.5)])
    sol = least_squares(residual, x0, bounds=([-10.0, math.log(0.05)], [20.0, math.log(5.0)]))
    a2, tau = math.exp(sol.x[0]), math.exp(sol.x[1])
    amp = math.sqrt(2.0 * a2)
    sigma = math.sqrt(sigma2)
    if amp <= sigma:
        return h.landing_s + params.settle_s
    if gyr is not None and params.ringing_fit:
        amp_r, tau_r = _fit_ringing(t, gyr, h, amp0=amp, tau0=tau, params=params)
        # The waveform fit refines the envelope's; one that lands far from it has locked onto sway.
        if 0.5 < amp_r / amp < 2.0 and 0.5 < tau_r / tau < 2.0:
            amp, tau = amp_r, tau_r
    stab = h.landing_s + tau * math.log(max(amp / sigma, 1.0))
    logger.debug("decay fit: landing %.3f amp %.2f tau %.3f sigma %.3f", h.landing_s, amp, tau, sigma)
    return stab if stab <= h.end_s else None


def _fit_ringing(
    t: np.ndarray, gyr: np.ndarray, h: _Hold, *, amp0: float, tau0: float, params: LandingParams
) -> tuple[float, float]:
    """Amplitude and time constant of the landing's ringing from the angular rate itself.

    The ringing is a damped oscillation about one axis of the shank; projected on that axis (the principal
    axis of the rate in the first second) it is ``exp(-t/tau) (a sin(2 pi f t) + b cos(2 pi f t))``, linear
    in ``a`` and ``b`` for given ``tau`` and ``f``. Fitting the waveform rather than its envelope uses the
    phase of the oscillation, which sway (an incoherent mixture of frequencies) does not share, so the
    estimate is several times less disturbed by it.
    """
    fs = 1.0 / float(np.median(np.diff(t[: min(t.size, 1000)])))
    step = max(1, round(fs / 200.0))
    i0 = int(np.searchsorted(t, h.landing_s + params.settle_s))
    i1 = int(np.searchsorted(t, min(h.end_s - 0.1, h.landing_s + params.settle_s + max(4.0 * tau0, 1.5))))
    if i1 - i0 < 20 * step:
        return amp0, tau0
    seg = moving_mean(gyr[i0:i1], step)[::step]
    tt = t[i0:i1:step] - h.landing_s
    head = seg[tt < params.settle_s + 1.0]
    _, vecs = np.linalg.eigh(head.T @ head)
    x = seg @ vecs[:, -1]
    slow = [np.ones_like(tt)]

    def residual(p: np.ndarray) -> np.ndarray:
        tau, f = p
        e = np.exp(-tt / tau)
        basis = np.column_stack([e * np.sin(2 * np.pi * f * tt), e * np.cos(2 * np.pi * f * tt), *slow])
        coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
        return basis @ coef - x

    # Frequency guess: the spectral peak (0.6-3.5 Hz) of the ringing with its decay undone.
    undone = (x - x.mean()) * np.exp(np.minimum(tt - tt[0], 3.0 * tau0) / tau0)
    n_fft = max(1024, 1 << int(np.ceil(np.log2(8 * tt.size))))
    spectrum = np.abs(np.fft.rfft(undone, n_fft))
    freqs = np.fft.rfftfreq(n_fft, float(np.median(np.diff(tt))))
    band = (freqs >= 0.6) & (freqs <= 3.5)
    f0 = float(freqs[band][int(np.argmax(spectrum[band]))]) if band.any() else 1.5
    sol = least_squares(residual, np.array([tau0, f0]), bounds=([0.05, 0.3], [5.0, 6.0]), x_scale=[0.1, 0.1])
    tau, f = (float(v) for v in sol.x)
    e = np.exp(-tt / tau)
    basis = np.column_stack([e * np.sin(2 * np.pi * f * tt), e * np.cos(2 * np.pi * f * tt), *slow])
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    return float(np.hypot(coef[0], coef[1])), tau


def _sets(
    landings: list[Landing], params: LandingParams
) -> tuple[tuple[Landing, ...], tuple[SetSummary, ...]]:
    import dataclasses

    if not landings:
        return (), ()
    bouts = group_bouts([x.landing_s for x in landings], params.max_rest_s)
    out: list[Landing] = []
    sets: list[SetSummary] = []
    for index, bout in enumerate(bouts):
        members = [dataclasses.replace(x, set_index=index) for x in landings[bout]]
        out.extend(members)
        asked = [x for x in members if x.hold_target_s > 0]
        met = sum(x.hold_target_met for x in asked)
        notes = []
        if asked:
            notes.append(f"{met} of {len(asked)} holds met the {asked[0].hold_target_s:g} s target")
        for ending in ("stumble", "hop", "other_foot"):
            early = [i + 1 for i, x in enumerate(members) if not x.hold_target_met and x.ended_by == ending]
            if early:
                notes.append(
                    f"ended early by {ending.replace('_', ' ')}: hold(s) {', '.join(map(str, early))}"
                )
        sets.append(
            SetSummary(
                index=index,
                kind="landings",
                start_s=members[0].landing_s,
                end_s=members[-1].landing_s + members[-1].hold_s,
                count=len(members),
                stats={
                    "time_to_stabilisation_s": metric_stats(
                        [x.time_to_stabilisation_s for x in members], lower_is_better=True
                    ),
                    "hold_s": metric_stats([x.hold_s for x in members], lower_is_better=False),
                    "sway_gyr_rms_dps": metric_stats(
                        [x.sway_gyr_rms_dps for x in members], lower_is_better=True
                    ),
                    "sway_acc_rms_g": metric_stats([x.sway_acc_rms_g for x in members], lower_is_better=True),
                },
                notes=tuple(notes),
            )
        )
    return tuple(out), tuple(sets)
