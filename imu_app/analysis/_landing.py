"""Landing holds: time to stabilisation after a single-leg landing, the hold, how it ended, and its sway."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.ndimage import median_filter

from imu_app.analysis._contacts import HopContacts, contacts_from_data
from imu_app.analysis._orientation import moving_mean, segment_bounds
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis.report import Landing, SetSummary
from imu_app.core import AnalysisError, HoldEnd, ImuData, SetKind
from imu_app.core.stabilisation import (
    TTS_ABSORPTION_S,
    TTS_PUSHOFF_S,
    TTS_WINDOW_S,
    balance_end_s,
    time_to_stabilisation,
)

__all__ = ["ENDINGS", "LandingParams", "LandingResult", "detect_landings"]

#: What can end a hold, as in the report.
ENDINGS = tuple(HoldEnd)


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
        Start of the stabilisation assessment after touch-down. The first 0.3 s are the absorption of the
        landing (knee flexion, foot slap): large, but not the balance the method measures.
    window_s
        Moving-RMS window of the time to stabilisation (see :mod:`imu_app.core.stabilisation`), reported
        with every landing: published TTS values depend on it.
    impact_min_g, impact_sigmas
        The other foot's touch-down reaches the stance shank as a sharp bump of 0.05-0.15 g: a sample of the
        high-passed specific-force magnitude above both this level and this many noise SDs marks it.
    burst_min_dps, burst_sigmas
        A stumble is a burst of angular rate above both this level and this many times the steady sway
        (single-leg sway is 2-4 deg/s RMS; a loss of balance swings the shank at tens of deg/s), shortly
        before the foot that catches it lands.
    burst_min_g
        The same without a gyroscope, on the specific force about its 1-s mean: a stumble's swing moves it
        by 0.15-0.2 g (the tilt changes gravity's direction), the other foot's touch-down and single-leg
        sway by at most 0.06 g.
    impact_after_s
        The other foot is looked for from this long after touch-down: the landing's own impact is over
        within 30 ms, and the last landing of a hop bout is joined by the other foot from about 0.35 s.
    single_leg_sway_dps, early_s
        Confirmation of a touch-down by the drop of sway after it (see ``_other_foot``): two-leg stance
        sways the shank at 0.5-1 deg/s RMS, one-leg stance at 2-4 deg/s, and a landing rings far above both.
        Spikes within ``early_s`` of the start of the search always need it.
    pushoff_s
        A hold that a hop ends lasts until its take-off; what happens in the push-off before it (up to half
        a second of countermovement and push, with large accelerations) is not looked at for other endings
        nor counted in the sway.
    max_rest_s
        Holds further apart than this belong to different sets.
    """

    hold_target_s: float = 5.0
    target_tolerance_s: float = 0.2
    min_hold_s: float = 0.6
    settle_s: float = TTS_ABSORPTION_S
    window_s: float = TTS_WINDOW_S
    impact_min_g: float = 0.02
    impact_sigmas: float = 6.0
    burst_min_dps: float = 20.0
    burst_min_g: float = 0.09
    burst_sigmas: float = 5.0
    pushoff_s: float = TTS_PUSHOFF_S
    single_leg_sway_dps: float = 1.6
    early_s: float = 0.3
    impact_after_s: float = 0.3
    max_rest_s: float = DEFAULT_MAX_REST_S

    def __post_init__(self) -> None:
        if self.hold_target_s < 0 or self.target_tolerance_s < 0:
            raise AnalysisError("landings: hold_target_s and target_tolerance_s must not be negative")
        if self.window_s <= 0 or self.settle_s < 0 or self.min_hold_s <= 0:
            raise AnalysisError("landings: window_s and min_hold_s must be positive, settle_s non-negative")


@dataclass(frozen=True)
class LandingResult:
    """Holds, their sets and what the user should know about the analysis.

    ``sway_reference_dps`` is the median over the holds of their sway (``sway_gyr_rms_dps``, RMS angular
    rate after stabilisation); ``lookahead_s`` bounds how long after a hold's end it is decided.
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
    ended_by: HoldEnd
    target_s: float
    i0: int
    i1: int
    stabilised_s: float | None = None
    quiet_ms: float | None = None


#: The hold's events are looked for at no more than this rate (Hz): the other foot's touch-down, the
#: sharpest of them, rises within 10 ms, so 250 Hz keeps its timing to 2 ms while a 1 kHz recording costs
#: a quarter as much.
_MAX_RATE_HZ = 250.0

#: Moving window (s) of the activity (RMS angular rate) that tells one-leg from two-leg stance at the end
#: of a hold: half a second spans at least one period of the balance oscillation (1-2.5 Hz).
_ACTIVITY_WINDOW_S = 0.5

#: Gaps shorter than this (a few lost packets) do not cut a hold. Nothing that ends a hold fits inside
#: one: the other foot's touch-down rings for about 40 ms and a stumble or a hop's push-off lasts far
#: longer; the hop contact detector bridges the same gaps (its ``min_flight_s``).
_BRIDGED_GAP_S = 0.03


def _decimated(data: ImuData, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Block means of ``step`` samples (blocks never straddle a gap): time from the first sample,
    specific force, angular rate, and for each block the index of the last block of its gap-free run."""
    t_full = data.t_s - data.t_s[0]
    parts: list[list[np.ndarray]] = [[], [], []]
    seg_end: list[np.ndarray] = []
    count = 0
    long_gaps = [g for g in data.gaps if g.duration_s >= _BRIDGED_GAP_S]
    for a, b in segment_bounds(len(data), long_gaps):
        # A block's time: midway between its first and last sample (the mean for a steady rate).
        n_full = (b - a) // step
        times = 0.5 * (t_full[a : a + n_full * step : step] + t_full[a + step - 1 : a + n_full * step : step])
        if (b - a) % step:
            times = np.r_[times, t_full[a + n_full * step : b].mean()]
        parts[0].append(times)
        for k, x in ((1, data.acc_g), (2, data.gyr_dps)):
            if x is None:
                continue
            seg = x[a:b]
            # Block means as a sum of the block's columns with the samples laid side by side: several
            # times cheaper than a mean over a reshaped axis.
            wide = np.ascontiguousarray(seg[: n_full * step]).reshape(n_full, step * 3)
            blocks = wide[:, :3] + wide[:, 3:6] if step > 1 else wide[:, :3].copy()
            for j in range(2, step):
                blocks += wide[:, 3 * j : 3 * j + 3]
            blocks /= step
            if (b - a) % step:
                blocks = np.concatenate([blocks, seg[n_full * step :].mean(axis=0, keepdims=True)])
            parts[k].append(blocks)
        m = parts[0][-1].size
        seg_end.append(np.full(m, count + m - 1, dtype=np.int64))
        count += m
    gyr = np.concatenate(parts[2]) if data.gyr_dps is not None else None
    return np.concatenate(parts[0]), np.concatenate(parts[1]), gyr, np.concatenate(seg_end)


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
        Ground contacts of ``data`` from the hop contact detector (with its ``final_landing_s``), if the
        caller has them; otherwise they are detected here.

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

    *Time to stabilisation* is defined by its method (:mod:`imu_app.core.stabilisation`, with its
    references; the simulator's truth comes from there as well): the moving RMS over ``window_s`` (0.5 s)
    of the shank's resultant angular rate (bias removed, so any mounting) settles below 2.5 times the RMS
    of the hold's last 1.5 s of balance, its own quiet single-leg stance (the published force-plate
    methods take their stable state from quiet stance or from the trial itself); TTS is the first instant
    from ``settle_s`` after touch-down after which it stays below until the balance ends (before a hop's
    push-off, 0.2 s before any other end). A balance shorter than 2.3 s has none. TTS values depend on
    the method and strongly on the trial length; ``window_s`` is reported with every landing.

    *Sway* is the RMS angular rate (gyroscope bias removed) and the RMS of the specific force about its
    1-s mean (gravity removed) from stabilisation to the end of the hold.

    *Low sample rates.* Below about 150 Hz the other foot's spike is a sample wide or falls between
    samples. A spike that needs the calm after it to count, or none at all (the sway dropping to two-leg
    stance for good), is then timed by the weight shift onto both feet: the frontal tilt of the stance
    shank (a step of gravity's direction in the specific force, with its lever-arm acceleration) and its
    rate, fitted together with a minimum-jerk step. Where the spike and the weight shift point to instants
    on either side of the target, the verdict is reported as undecided in a warning rather than guessed.

    A hold is decided when it has ended and 1.5 s more are known (the calm and the weight shift that
    confirm its end); stabilisation uses the hold's own samples only.
    """
    params = params or LandingParams()
    warnings: list[str] = []
    lookahead_s = 1.5
    if len(data) < 10:
        return LandingResult((), (), (), None, lookahead_s)
    contacts = contacts if contacts is not None else contacts_from_data(data)
    step = max(1, int(data.sample_rate_hz // _MAX_RATE_HZ))
    t, acc, gyr_raw, seg_end = _decimated(data, step)
    fs = data.sample_rate_hz / step
    n = t.size
    mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    gyr = None
    if gyr_raw is not None:
        # Bias: the per-axis median of the quiet samples (sway averages out over a session); every tenth
        # sample is plenty for a median and keeps its cost small.
        sub = gyr_raw[:: max(1, round(fs / 25.0))]
        quiet = np.einsum("ij,ij->i", sub, sub) < 30.0**2
        bias = np.median(sub[quiet], axis=0) if quiet.sum() > 10 else np.zeros(3)
        gyr = gyr_raw - bias
    else:
        warnings.append(
            "landings: no gyroscope; time to stabilisation and angular sway need one and are left empty"
        )
    rate2 = None if gyr is None else np.einsum("ij,ij->i", gyr, gyr)
    # The specific force about its one-second mean: gravity (and slow tilts) removed.
    dev = acc - moving_mean(acc, max(1, round(fs)))
    dev_acc = np.sqrt(np.einsum("ij,ij->i", dev, dev))
    # Activity: angular rate (or, without a gyroscope, the specific force about its mean, scaled so that
    # 1 g ~ 57 deg/s, the rate of a 1-rad swing per second), over 0.1 s and over the RMS window.
    power = rate2 if rate2 is not None else np.degrees(dev_acc) ** 2
    act = np.sqrt(moving_mean(power, max(1, round(0.1 * fs))))
    env = np.sqrt(moving_mean(power, max(1, round(_ACTIVITY_WINDOW_S * fs))))

    holds: list[_Hold] = []
    prev_end_by: str | None = None
    prev_end_s = -np.inf
    # Landings after a flight, each with the take-off that ends its contact (NaN: a gap or the end of the
    # recording), and the final landing the recording may end on (its hold lasts to the last sample).
    after_flight = np.isfinite(contacts.flight_before_ms)
    starts = contacts.landing_s[after_flight]
    ends = contacts.takeoff_s[after_flight]
    if np.isfinite(contacts.final_landing_s):
        starts, ends = np.r_[starts, contacts.final_landing_s], np.r_[ends, np.nan]
    for land, takeoff in zip(starts.tolist(), ends.tolist(), strict=True):
        i0 = int(np.searchsorted(t, land))
        if i0 >= n:
            continue
        last = int(seg_end[i0])
        limit = takeoff if math.isfinite(takeoff) else float(t[last])
        limit = min(limit, float(t[last]))
        at_end = limit >= float(t[last]) - 2.0 / fs
        if limit - land < params.min_hold_s:
            continue
        end_s, ended_by, doubt_s = _hold_end(
            t,
            land=land,
            limit=limit,
            at_end=at_end,
            mag=mag,
            acc=acc,
            gyr=gyr,
            act=act,
            env=env,
            two_leg=params.single_leg_sway_dps if rate2 is not None else 0.5,
            burst_min=params.burst_min_dps if rate2 is not None else math.degrees(params.burst_min_g),
            params=params,
            fs=fs,
        )
        if end_s - land < params.min_hold_s:
            continue
        # A landing straight out of a hold that a hop ended is the corrective hop's: nothing is asked of it.
        corrective = prev_end_by == HoldEnd.HOP and land - prev_end_s < 1.5
        target = 0.0 if corrective else params.hold_target_s
        needed = target - params.target_tolerance_s
        if target > 0 and abs(end_s - land - needed) < doubt_s:
            warnings.append(
                f"landings: the hold from {land:.2f} s ends between {end_s - doubt_s:.2f} and "
                f"{end_s + doubt_s:.2f} s (the other foot's spike and the weight shift disagree), so whether "
                f"it met the {target:g} s target is undecided"
            )
        holds.append(
            _Hold(
                landing_s=land,
                end_s=end_s,
                ended_by=ended_by,
                target_s=target,
                i0=i0,
                i1=int(np.searchsorted(t, end_s)),
            )
        )
        prev_end_by, prev_end_s = ended_by, end_s

    if gyr is not None:
        _stabilise(t, gyr, holds, params=params)
    landings = []
    for h in holds:
        w0 = int(np.searchsorted(t, h.stabilised_s if h.stabilised_s is not None else h.landing_s + 1.0))
        # Sway up to the end of the hold, but not into a hop's push-off.
        w1 = int(np.searchsorted(t, h.end_s - (params.pushoff_s if h.ended_by == HoldEnd.HOP else 0.0)))
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
    sways = [x.sway_gyr_rms_dps for x in landings if x.sway_gyr_rms_dps is not None]
    sway_reference = float(np.median(sways)) if sways else None
    return LandingResult(landings_t, sets, tuple(warnings), sway_reference, lookahead_s)


def _hold_end(
    t: np.ndarray,
    *,
    land: float,
    limit: float,
    at_end: bool,
    mag: np.ndarray,
    acc: np.ndarray,
    gyr: np.ndarray | None,
    act: np.ndarray,
    env: np.ndarray,
    two_leg: float,
    burst_min: float,
    params: LandingParams,
    fs: float,
) -> tuple[float, str, float]:
    """End of the hold that starts at ``land`` and cannot outlast ``limit`` (the next take-off or the end
    of the data), what ended it, and how far the end may be off (s) where the signs disagree.

    ``act`` is the activity (angular rate, or without a gyroscope the specific force about its mean in
    equivalent units) smoothed over 0.1 s, ``env`` the same over ``_ACTIVITY_WINDOW_S``; below ``two_leg`` the
    athlete stands on both feet.
    """
    end_s, ended_by = (limit, HoldEnd.END_OF_RECORDING) if at_end else (limit, HoldEnd.HOP)
    a = int(np.searchsorted(t, land + params.impact_after_s))
    # The push-off of a hop (up to half a second) is not an event of the hold.
    b = int(np.searchsorted(t, limit - (0.0 if at_end else params.pushoff_s)))
    if b - a < 5:
        return end_s, ended_by, 0.0
    found = _touch_down(
        t, a, b, land=land, mag=mag, acc=acc, gyr=gyr, env=env, two_leg=two_leg, params=params, fs=fs
    )
    k_foot, strong = (found.index, found.strong) if found is not None else (None, False)
    spike = found is not None and found.spike
    k_foot = b if k_foot is None else k_foot + a
    t_foot = float(t[min(k_foot, t.size - 1)]) - 0.5 / fs
    doubt = 0.0
    if k_foot < b and not strong:
        # A spike that needed the calm after it to count (at low rates the touch-down's spike is a sample
        # wide or falls between samples) or none at all: the weight shift onto both feet times it. The
        # chosen spike can be the largest noise spike up to 0.6 s after the foot, so the drop of sway (at
        # or up to 0.4 s before the onset) is a second place to look; the clearer weight shift wins.
        near = [t_foot]
        k_drop = _sway_drop(env[a:b], two_leg, fs)
        if k_drop is not None and abs(float(t[a + k_drop]) + 0.2 - t_foot) > 0.2:
            near.append(float(t[a + k_drop]) + 0.2)
        t_min = land + params.impact_after_s
        fits = [_weight_shift_onset(t, acc, gyr, x, t_min=t_min, fs=fs) for x in near]
        fits = [f if f is not None and f[1] >= _SHIFT_EXPLAINS else None for f in fits]
        # A weight shift that starts at the spike is the touch-down; otherwise the clearer one.
        agree = spike and fits[0] is not None and abs(fits[0][0] - t_foot) < 0.1
        best = fits[0] if agree else max((f for f in fits if f is not None), key=lambda f: f[1], default=None)
        if best is not None:
            t_foot = max(best[0], t_min)
        if not agree:
            # The spike and the weight shifts point to different instants: the end is only known to lie
            # among them.
            times = [t_foot, *(f[0] for f in fits if f is not None)]
            if spike:
                times.append(float(t[k_foot]) - 0.5 / fs)
            doubt = max(abs(x - t_foot) for x in times)
    # A stumble: the activity bursts far above the sway once the landing's ringing has died down, and the
    # athlete ends on two feet (the foot that catches it, or the calm after).
    base = float(np.median(env[a:b]))
    burst_level = max(burst_min, params.burst_sigmas * base)
    calm = np.flatnonzero(env[a:k_foot] < burst_level)
    if calm.size:
        burst = calm[0] + np.flatnonzero(env[a + calm[0] : k_foot] > burst_level)
        if burst.size:
            kb = a + int(burst[0])
            after = env[kb + round(1.0 * fs) : kb + round(2.0 * fs)]
            if k_foot < b or (after.size > 0.3 * fs and float(np.median(after)) < min(two_leg, base)):
                # At low rates the short RMS has few samples per swing and its crossings jitter by a
                # sample or two; the fit of the whole rise is steadier there (and no better at high rates).
                onset = None
                if fs < _LOW_RATE_HZ:
                    onset = _burst_onset(t, env, kb, k_min=a, window_s=_ACTIVITY_WINDOW_S, fs=fs)
                if onset is None:
                    k2 = _crossing_back(t, act, kb, burst_level, a) + 1
                    k1 = _crossing_back(t, act, k2, 0.25 * burst_level, a)
                    # The rate grows quadratically: from L/4 to L takes as long as onset to L/4.
                    onset = float(t[k1]) - (float(t[k2]) - float(t[k1]))
                return max(onset, land + params.impact_after_s), HoldEnd.STUMBLE, 0.0
    if k_foot >= b:
        return end_s, ended_by, 0.0
    return t_foot, HoldEnd.OTHER_FOOT, doubt


#: A weight shift counts where the step explains at least this share of each signal's variance around it
#: (clear ones explain 70-95 %; what sway alone mimics stays below a third).
_SHIFT_EXPLAINS = 0.5
#: A touch-down that only the calm after it showed must have a weight shift onto both feet starting this
#: close to its spike (s).
_SHIFT_AGREES_S = 0.2


class _Foot(NamedTuple):
    """The other foot's touch-down in a hold's stretch: sample index (from the stretch's start), whether a
    spike alone showed it, and whether there was a spike at all (rather than only a drop of sway)."""

    index: int
    strong: bool
    spike: bool


def _touch_down(
    t: np.ndarray,
    a: int,
    b: int,
    *,
    land: float,
    mag: np.ndarray,
    acc: np.ndarray,
    gyr: np.ndarray | None,
    env: np.ndarray,
    two_leg: float,
    params: LandingParams,
    fs: float,
) -> _Foot | None:
    """The other foot's touch-down between samples ``a`` and ``b``: a spike as :func:`_other_foot` gives
    it, or without any spike where the sway drops to two-leg stance for good (:func:`_sway_drop`); or
    ``None``.

    The landing's ringing dying away, then single-leg sway at a quiet moment, make the same calm as both
    feet on the ground. So a spike after the first ``early_s`` that only the calm after it confirmed must
    also start a weight shift onto both feet (:func:`_weight_shift_onset`, explaining :data:`_SHIFT_EXPLAINS`,
    within :data:`_SHIFT_AGREES_S` of the spike), and a drop of sway must have one 0.2 s after it;
    otherwise the search goes on after it, and only if none that follows has one is the last spike or
    the first drop kept. On seeds 0-23 of the benchmark's holds, five full holds (four of 5 s, one of
    3 s) ended 1.9-4.1 s early without this (416, 104 and 52 Hz), none with it, and no other hold's end
    moved by more than 3 ms.
    """

    def shift_at(t_near: float) -> float | None:
        found = _weight_shift_onset(t, acc, gyr, t_near, t_min=land + params.impact_after_s, fs=fs)
        return found[0] if found is not None and found[1] >= _SHIFT_EXPLAINS else None

    start, kept = a, None
    while (spike := _other_foot(mag[start:b], env[start:b], two_leg, params, fs)) is not None:
        k = spike[0] + start - a
        # In the first ``early_s`` the calm must be deeper already (:func:`_other_foot`), and a foot that
        # joins at once after the last landing of a bout shifts no weight apart from the landing's.
        if spike[1] or k < round(params.early_s * fs):
            return _Foot(k, spike[1], True)
        t_spike = float(t[start + spike[0]]) - 0.5 / fs
        onset = shift_at(t_spike)
        if onset is not None and abs(onset - t_spike) < _SHIFT_AGREES_S:
            return _Foot(k, False, True)
        start, kept = start + spike[0] + 1, _Foot(k, False, True)
    if kept is not None:
        return kept
    start, first = a, None
    while (drop := _sway_drop(env[start:b], two_leg, fs)) is not None:
        k = drop + start - a
        first = k if first is None else first
        if shift_at(float(t[a + k]) + 0.2) is not None:
            return _Foot(k, False, False)
        start = a + k + round(1.0 * fs)
    return None if first is None else _Foot(first, False, False)


#: Below this rate a stumble's onset is fitted to the rise of its activity rather than read off crossings.
_LOW_RATE_HZ = 150.0


def _burst_onset(
    t: np.ndarray, env: np.ndarray, kb: int, *, k_min: int, window_s: float, fs: float
) -> float | None:
    """Onset of a burst of activity that ``env`` (RMS over ``window_s``) first shows above its level at
    ``kb``, or ``None``.

    A loss of balance swings the shank with an amplitude that grows from nothing, so its rate grows as
    ``(t - t0)^2`` and its mean square as ``(t - t0)^4``. ``env^2`` up to ``kb`` is fitted, by least squares
    over onsets every 10 ms in the second before, with a constant (the sway just before) plus that quartic
    as the moving window sees it; the coefficients are a closed form. Unlike a threshold crossing of a
    short RMS, the fit is not moved by where the swing's oscillation happens to fall between samples.

    The fit starts no earlier than one window before the least activity ahead of ``kb``: the burst shows
    in the window at most half a window before its onset, and what falls before that least (the landing's
    ringing still dying away in a short hold) would pull the onset early.
    """
    width = max(1, round(window_s * fs))
    i0 = max(k_min, kb - round(1.2 * fs) - width)
    i0 = max(i0, i0 + int(np.argmin(env[i0:kb])) - width) if kb > i0 else i0
    if kb - i0 < 0.3 * fs:
        return None
    tt = t[i0 : kb + 1]
    y = env[i0 : kb + 1] ** 2
    y = y - y.mean()
    onsets = np.arange(t[kb] - 1.0, t[kb] - 0.05, 0.01)
    quartic = np.clip(tt[None, :] - onsets[:, None], 0.0, None) ** 4
    # The moving mean of the quartic, as ``env`` is the moving mean of the power (centred, same width).
    csum = np.concatenate([np.zeros((onsets.size, 1)), np.cumsum(quartic, axis=1)], axis=1)
    half = width // 2
    lo = np.clip(np.arange(tt.size) - half, 0, tt.size)
    hi = np.clip(np.arange(tt.size) - half + width, 0, tt.size)
    model = (csum[:, hi] - csum[:, lo]) / np.maximum(hi - lo, 1)
    model = model - model.mean(axis=1, keepdims=True)
    num = model @ y
    den = np.sum(model * model, axis=1)
    coef = np.where(den > 0, num / np.maximum(den, 1e-300), 0.0)
    rss = np.sum((y[None, :] - coef[:, None] * model) ** 2, axis=1)
    rss[coef <= 0] = np.inf
    j = int(np.argmin(rss))
    return float(onsets[j]) if np.isfinite(rss[j]) else None


def _sway_drop(env: np.ndarray, two_leg: float, fs: float) -> int | None:
    """First index after which the sway drops to two-leg stance for good, or ``None``.

    Two-leg stance sways the shank a third as much as one-leg stance (0.5-1 against 2-4 deg/s RMS): the
    mean square of ``env`` 0.4-1.4 s later below a quarter of that over the second before (half the RMS)
    and below ``two_leg``. The index is the first at which this holds, i.e. at or just after the onset.
    """
    n_before, n_gap = round(1.0 * fs), round(0.1 * fs)
    n_after0, n_after1 = round(0.4 * fs), round(1.4 * fs)
    if env.size < n_before + n_after1 + 2:
        return None
    csum = np.concatenate([[0.0], np.cumsum(env * env)])
    k = np.arange(n_before, env.size - n_after1)
    before = (csum[k - n_gap] - csum[k - n_before]) / (n_before - n_gap)
    after = (csum[k + n_after1] - csum[k + n_after0]) / (n_after1 - n_after0)
    hit = np.flatnonzero((after < 0.25 * before) & (after < two_leg * two_leg))
    return int(k[hit[0]]) if hit.size else None


def _weight_shift_onset(
    t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None, t_near: float, *, t_min: float, fs: float
) -> tuple[float, float] | None:
    """Onset of the weight shift onto both feet near ``t_near`` and the share of variance the fit explains
    (the mean over the signals), or ``None`` if there is no clear one.

    Putting the other foot down moves the centre of mass away from the stance leg, whose shank tilts back
    by about 2 deg in the frontal plane: the direction of gravity in the sensor frame steps by about
    0.035 g, a change that many samples carry even when the touch-down spike falls between two of them.
    The specific force projected on the direction of that change is fitted, by least squares over onsets
    (every 20 ms, then a parabola) and durations (0.2-0.6 s), with a minimum-jerk step; the onset is not
    tied to a sample.
    With a gyroscope, the rate about the axis of that tilt (a bell-shaped bump whose integral is the tilt)
    is fitted at the same time: each signal's share of explained variance is added, so sway that tilts the
    shank without the matching rate, or the reverse, does not decide the onset.
    """
    # Nothing before ``t_min`` (the landing's absorption) may pose as one-leg stance.
    i0, i1 = np.searchsorted(t, [max(t_near - 1.2, t_min), t_near + 1.4])
    # The shift takes 0.2-0.6 s: block means at about 50 Hz carry it, at a fraction of the cost.
    step = max(1, round(fs / 50.0))
    i1 = i0 + (i1 - i0) // step * step
    tt = t[i0:i1].reshape(-1, step).mean(axis=1)
    x = acc[i0:i1].reshape(-1, step, 3).mean(axis=1)
    before = x[tt < t_near - 0.5]
    after = x[tt > t_near + 0.7]
    if before.shape[0] < 0.3 * fs / step or after.shape[0] < 0.3 * fs / step:
        return None
    mu0, mu1 = before.mean(axis=0), after.mean(axis=0)
    step_g = float(np.linalg.norm(mu1 - mu0))
    if step_g < 0.01:
        return None
    p = (x - mu0) @ (mu1 - mu0) / step_g**2
    d_onset = 0.02
    onsets = np.arange(max(t_near - 0.6, t_min), t_near + 0.3, d_onset)
    if onsets.size < 3:
        return None
    durations = np.array([0.2, 0.3, 0.4, 0.5, 0.6])
    u = np.clip((tt[None, None, :] - onsets[None, :, None]) / durations[:, None, None], 0.0, 1.0)
    inside = (u > 0.0) & (u < 1.0)
    r = u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)
    # The shank's tilt also accelerates the sensor about the ankle (lever arm unknown): the specific force
    # carries the tilt's second derivative too, which would pull a pure step's onset late by ~0.1 s.
    r2 = np.where(inside, 60.0 * u - 180.0 * u * u + 120.0 * u**3, 0.0) / durations[:, None, None] ** 2
    # p ~ alpha + beta r + gamma r'': closed form per (duration, onset) on centred columns.
    rc = r - r.mean(axis=2, keepdims=True)
    r2c = r2 - r2.mean(axis=2, keepdims=True)
    pc = p - p.mean()
    a11, a12, a22 = np.sum(rc * rc, 2), np.sum(rc * r2c, 2), np.sum(r2c * r2c, 2)
    b1, b2 = np.sum(rc * pc, 2), np.sum(r2c * pc, 2)
    det = a11 * a22 - a12 * a12
    ok = det > 1e-12 * np.maximum(a11 * a22, 1e-300)
    beta = np.where(ok, (a22 * b1 - a12 * b2) / np.where(ok, det, 1.0), 0.0)
    gamma = np.where(ok, (a11 * b2 - a12 * b1) / np.where(ok, det, 1.0), 0.0)
    explained = (beta * b1 + gamma * b2) / max(float(np.sum(pc * pc)), 1e-12)
    if gyr is not None:
        axis = np.cross(mu0, mu1)
        q = gyr[i0:i1].reshape(-1, step, 3).mean(axis=1) @ (axis / max(float(np.linalg.norm(axis)), 1e-12))
        qc = q - q.mean()
        r1 = np.where(inside, 30.0 * u * u * (1.0 - u) ** 2, 0.0) / durations[:, None, None]
        r1c = r1 - r1.mean(axis=2, keepdims=True)
        c1 = np.sum(r1c * qc, 2)
        explained = explained + c1 * c1 / np.maximum(np.sum(r1c * r1c, 2), 1e-12) / max(
            float(np.sum(qc * qc)), 1e-12
        )
    i, j = np.unravel_index(int(np.argmax(explained)), explained.shape)
    if not 0.5 < beta[i, j] < 1.5:
        return None
    # Between grid onsets: the vertex of the parabola through the best and its neighbours (maximum).
    offset = _vertex(-explained[i, max(j - 1, 0) : j + 2], j, onsets.size)
    return float(onsets[j]) + offset * d_onset, float(explained[i, j]) / (1 if gyr is None else 2)


def _other_foot(
    mag: np.ndarray, env: np.ndarray, two_leg: float, params: LandingParams, fs: float
) -> tuple[int, bool] | None:
    """Index of the other foot's touch-down in a stretch of the hold and whether its spike alone showed
    it (rather than the calm that followed), or ``None``.

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
            return int(k), True
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
            return int(k + np.argmax(nearby)), False
    return None


def _vertex(y: np.ndarray, i: int, n: int) -> float:
    """Offset (in grid steps, within +-0.5) of the vertex of a parabola through three neighbours."""
    if i == 0 or i == n - 1 or y.size < 3:
        return 0.0
    den = y[0] - 2.0 * y[1] + y[2]
    return float(np.clip(0.5 * (y[0] - y[2]) / den, -0.5, 0.5)) if den > 0 else 0.0


def _stabilise(t: np.ndarray, gyr: np.ndarray, holds: list[_Hold], *, params: LandingParams) -> None:
    """Set every hold's stabilisation by :func:`imu_app.core.stabilisation.time_to_stabilisation` on the
    bias-free angular rate, from touch-down to the end of its balance (before a hop's push-off)."""
    for h in holds:
        # Only the hold's own samples: the method needs nothing outside them.
        a, b = max(h.i0 - 1, 0), min(h.i1 + 1, t.size)
        tts = time_to_stabilisation(
            t[a:b],
            gyr[a:b],
            h.landing_s,
            balance_end_s(h.end_s, h.ended_by),
            window_s=params.window_s,
            absorption_s=params.settle_s,
        )
        h.stabilised_s = None if tts is None else h.landing_s + tts


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
        for ending in (HoldEnd.STUMBLE, HoldEnd.HOP, HoldEnd.OTHER_FOOT):
            early = [i + 1 for i, x in enumerate(members) if not x.hold_target_met and x.ended_by == ending]
            if early:
                notes.append(
                    f"ended early by {ending.replace('_', ' ')}: hold(s) {', '.join(map(str, early))}"
                )
        sets.append(
            SetSummary(
                index=index,
                kind=SetKind.LANDINGS,
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
