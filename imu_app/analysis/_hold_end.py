"""How a landing hold ends: the other foot's touch-down (its spike, the calm after it, the weight shift onto
both feet), a stumble (a burst of activity), or the next hop's push-off."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from imu_app.analysis._landing_params import LandingParams
from imu_app.core import HoldEnd

__all__ = ["ACTIVITY_WINDOW_S", "HoldEnding", "HoldSignals", "hold_end"]

#: Moving window (s) of the activity (RMS angular rate) that tells one-leg from two-leg stance at the end
#: of a hold: half a second spans at least one period of the balance oscillation (1-2.5 Hz).
ACTIVITY_WINDOW_S = 0.5
#: Two-leg stance is told from one-leg stance by the activity over this stretch after a touch-down (s):
#: it starts once the touch-down's own ringing is over and spans a second of balance.
_CALM_AFTER_S = (0.4, 1.4)
#: ... compared with the activity over this stretch before it (s before the touch-down).
_BEFORE_S = (1.0, 0.1)


def _calm_windows(fs: float) -> tuple[int, int, int, int]:
    """:data:`_BEFORE_S` and :data:`_CALM_AFTER_S` in samples at ``fs`` (Hz)."""
    return (
        round(_BEFORE_S[0] * fs),
        round(_BEFORE_S[1] * fs),
        round(_CALM_AFTER_S[0] * fs),
        round(_CALM_AFTER_S[1] * fs),
    )


@dataclass(frozen=True)
class HoldSignals:
    """What the hold-end detectors read, at the analysis' rate ``fs`` (Hz): times (s from the first
    sample), the specific force (g) and its magnitude, the bias-free angular rate (deg/s, ``None`` without a
    gyroscope), the activity over 0.1 s (``act``) and over :data:`ACTIVITY_WINDOW_S` (``env``), the
    activity below which the athlete stands on both feet (``two_leg``) and the least burst of a stumble
    (``burst_min``), both in the activity's units."""

    t: np.ndarray
    acc: np.ndarray
    mag: np.ndarray
    gyr: np.ndarray | None
    act: np.ndarray
    env: np.ndarray
    fs: float
    two_leg: float
    burst_min: float


@dataclass(frozen=True)
class HoldEnding:
    """When a hold ended (s), what ended it, and how far the end may be off (s) where the signs disagree."""

    end_s: float
    ended_by: HoldEnd
    doubt_s: float


@dataclass(frozen=True)
class _Foot:
    """The other foot's touch-down in a hold's stretch: sample index (from the stretch's start), whether a
    spike alone showed it, and whether there was a spike at all (rather than only a drop of sway)."""

    index: int
    strong: bool
    spike: bool


@dataclass(frozen=True)
class _Spike:
    """A touch-down spike: its sample index in the stretch searched and whether it stood out alone (rather
    than needing the calm after it)."""

    index: int
    alone: bool


@dataclass(frozen=True)
class _Shift:
    """A weight shift onto both feet: its onset (s) and the share of the signals' variance its fit
    explains (the mean over the signals)."""

    onset_s: float
    explained: float


def hold_end(
    sig: HoldSignals,
    *,
    land: float,
    limit: float,
    at_end: bool,
    params: LandingParams,
    capped: bool = False,
) -> HoldEnding:
    """How the hold that starts at ``land`` and cannot outlast ``limit`` (the next take-off, the end of
    the data when ``at_end``, or the longest hold followed when ``capped``) ends: the other foot's
    touch-down, a stumble, or else the hop, the end of the recording or (``capped``) the other foot at
    ``limit``."""
    ended_by = HoldEnd.END_OF_RECORDING if at_end else HoldEnd.OTHER_FOOT if capped else HoldEnd.HOP
    t, fs = sig.t, sig.fs
    a = int(np.searchsorted(t, land + params.impact_after_s))
    # The push-off of a hop (up to half a second) is not an event of the hold; after the longest hold
    # followed, one may be under way.
    b = int(np.searchsorted(t, limit - (0.0 if at_end else params.pushoff_s)))
    if b - a < 5:
        return HoldEnding(limit, ended_by, 0.0)
    found = _touch_down(sig, a, b, land=land, params=params)
    k_foot, strong = (found.index, found.strong) if found is not None else (None, False)
    spike = found is not None and found.spike
    k_foot = b if k_foot is None else k_foot + a
    foot = HoldEnding(float(t[min(k_foot, t.size - 1)]) - 0.5 / fs, HoldEnd.OTHER_FOOT, 0.0)
    if k_foot < b and not strong:
        foot = _by_weight_shift(sig, a, b, k_foot, foot.end_s, spike=spike, land=land, params=params)
    onset = _stumble(sig, a, b, k_foot, params=params)
    if onset is not None:
        return HoldEnding(max(onset, land + params.impact_after_s), HoldEnd.STUMBLE, 0.0)
    if k_foot >= b:
        return HoldEnding(limit, ended_by, 0.0)
    return foot


def _by_weight_shift(
    sig: HoldSignals,
    a: int,
    b: int,
    k_foot: int,
    t_foot: float,
    *,
    spike: bool,
    land: float,
    params: LandingParams,
) -> HoldEnding:
    """The other foot's touch-down timed by the weight shift onto both feet, with how far it may be off.

    A spike that needed the calm after it to count (at low rates the touch-down's spike is a sample wide
    or falls between samples) or none at all: the weight shift onto both feet times it. The chosen spike
    can be the largest noise spike up to 0.6 s after the foot, so the drop of sway (at or up to 0.4 s
    before the onset) is a second place to look; the clearer weight shift wins. Where the spike and the
    weight shifts point to different instants, the end is only known to lie among them.
    """
    t, fs = sig.t, sig.fs
    near = [t_foot]
    k_drop = _sway_drop(sig.env[a:b], sig.two_leg, fs)
    if k_drop is not None and abs(float(t[a + k_drop]) + _DROP_TO_SHIFT_S - t_foot) > _APART_S:
        near.append(float(t[a + k_drop]) + _DROP_TO_SHIFT_S)
    t_min = land + params.impact_after_s
    fits = [_weight_shift_onset(sig, x, t_min=t_min) for x in near]
    fits = [f if f is not None and f.explained >= _SHIFT_EXPLAINS else None for f in fits]
    # A weight shift that starts at the spike is the touch-down; otherwise the clearer one.
    agree = spike and fits[0] is not None and abs(fits[0].onset_s - t_foot) < _AT_SPIKE_S
    best = (
        fits[0] if agree else max((f for f in fits if f is not None), key=lambda f: f.explained, default=None)
    )
    if best is not None:
        t_foot = max(best.onset_s, t_min)
    if agree:
        return HoldEnding(t_foot, HoldEnd.OTHER_FOOT, 0.0)
    times = [t_foot, *(f.onset_s for f in fits if f is not None)]
    if spike:
        times.append(float(t[k_foot]) - 0.5 / fs)
    return HoldEnding(t_foot, HoldEnd.OTHER_FOOT, max(abs(x - t_foot) for x in times))


def _stumble(sig: HoldSignals, a: int, b: int, k_foot: int, *, params: LandingParams) -> float | None:
    """The onset (s) of a stumble before sample ``k_foot`` (the other foot's touch-down, or ``b``), or
    ``None``.

    A stumble: the activity bursts far above the sway once the landing's ringing has died down, and the
    athlete ends on two feet (the foot that catches it, or the calm after).
    """
    t, env, fs = sig.t, sig.env, sig.fs
    base = float(np.median(env[a:b]))
    burst_level = max(sig.burst_min, params.burst_sigmas * base)
    calm = np.flatnonzero(env[a:k_foot] < burst_level)
    if not calm.size:
        return None
    burst = calm[0] + np.flatnonzero(env[a + calm[0] : k_foot] > burst_level)
    if not burst.size:
        return None
    kb = a + int(burst[0])
    after = env[kb + round(1.0 * fs) : kb + round(2.0 * fs)]
    if not (k_foot < b or (after.size > 0.3 * fs and float(np.median(after)) < min(sig.two_leg, base))):
        return None
    # At low rates the short RMS has few samples per swing and its crossings jitter by a sample or two;
    # the fit of the whole rise is steadier there (and no better at high rates).
    onset = None
    if fs < _LOW_RATE_HZ:
        onset = _burst_onset(t, env, kb, k_min=a, window_s=ACTIVITY_WINDOW_S, fs=fs)
    if onset is None:
        k2 = _crossing_back(t, sig.act, kb, burst_level, a) + 1
        k1 = _crossing_back(t, sig.act, k2, 0.25 * burst_level, a)
        # The rate grows quadratically: from L/4 to L takes as long as onset to L/4.
        onset = float(t[k1]) - (float(t[k2]) - float(t[k1]))
    return onset


#: A weight shift counts where the step explains at least this share of each signal's variance around it
#: (clear ones explain 70-95 %; what sway alone mimics stays below a third).
_SHIFT_EXPLAINS = 0.5

#: A touch-down that only the calm after it showed must have a weight shift onto both feet starting this
#: close to its spike (s).
_SHIFT_AGREES_S = 0.2

#: A drop of sway is looked at this long (s) after it for the weight shift that starts the two-leg stance.
_DROP_TO_SHIFT_S = 0.2
#: ... and is a second place to look when that lies this far (s) from the spike.
_APART_S = 0.2
#: A weight shift that starts this close to the spike (s) is the touch-down itself.
_AT_SPIKE_S = 0.1


def _touch_down(sig: HoldSignals, a: int, b: int, *, land: float, params: LandingParams) -> _Foot | None:
    """The other foot's touch-down between samples ``a`` and ``b``: a spike as :func:`_other_foot` gives
    it, or without any spike where the sway drops to two-leg stance for good (:func:`_sway_drop`); or
    ``None``.

    The landing's ringing dying away, then single-leg sway at a quiet moment, make the same calm as both
    feet on the ground. So a spike after the first ``early_s`` that only the calm after it confirmed must
    also start a weight shift onto both feet (:func:`_weight_shift_onset`, explaining :data:`_SHIFT_EXPLAINS`,
    within :data:`_SHIFT_AGREES_S` of the spike), and a drop of sway must have one
    :data:`_DROP_TO_SHIFT_S` after it;
    otherwise the search goes on after it, and only if none that follows has one is the last spike or
    the first drop kept (``docs/landings-and-calf-raises.md`` gives the holds this keeps from ending
    early).
    """

    t, env, fs = sig.t, sig.env, sig.fs

    def shift_at(t_near: float) -> float | None:
        found = _weight_shift_onset(sig, t_near, t_min=land + params.impact_after_s)
        return found.onset_s if found is not None and found.explained >= _SHIFT_EXPLAINS else None

    start, kept = a, None
    while (spike := _other_foot(sig.mag[start:b], env[start:b], sig.two_leg, params, fs)) is not None:
        k = spike.index + start - a
        # In the first ``early_s`` the calm must be deeper already (:func:`_other_foot`), and a foot that
        # joins at once after the last landing of a bout shifts no weight apart from the landing's.
        if spike.alone or k < round(params.early_s * fs):
            return _Foot(k, spike.alone, True)
        t_spike = float(t[start + spike.index]) - 0.5 / fs
        onset = shift_at(t_spike)
        if onset is not None and abs(onset - t_spike) < _SHIFT_AGREES_S:
            return _Foot(k, False, True)
        start, kept = start + spike.index + 1, _Foot(k, False, True)
    if kept is not None:
        return kept
    start, first = a, None
    while (drop := _sway_drop(env[start:b], sig.two_leg, fs)) is not None:
        k = drop + start - a
        first = k if first is None else first
        if shift_at(float(t[a + k]) + _DROP_TO_SHIFT_S) is not None:
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
    n_before, n_gap, n_after0, n_after1 = _calm_windows(fs)
    if env.size < n_before + n_after1 + 2:
        return None
    csum = np.concatenate([[0.0], np.cumsum(env * env)])
    k = np.arange(n_before, env.size - n_after1)
    before = (csum[k - n_gap] - csum[k - n_before]) / (n_before - n_gap)
    after = (csum[k + n_after1] - csum[k + n_after0]) / (n_after1 - n_after0)
    hit = np.flatnonzero((after < 0.25 * before) & (after < two_leg * two_leg))
    return int(k[hit[0]]) if hit.size else None


def _weight_shift_onset(sig: HoldSignals, t_near: float, *, t_min: float) -> _Shift | None:
    """The weight shift onto both feet near ``t_near`` (no earlier than ``t_min``), or ``None`` if there is
    no clear one.

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
    t, acc, gyr, fs = sig.t, sig.acc, sig.gyr, sig.fs
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
    return _Shift(float(onsets[j]) + offset * d_onset, float(explained[i, j]) / (1 if gyr is None else 2))


def _other_foot(
    mag: np.ndarray, env: np.ndarray, two_leg: float, params: LandingParams, fs: float
) -> _Spike | None:
    """The other foot's touch-down in a stretch of the hold (see :class:`_Spike`), or ``None``.

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
    n_before, n_gap, n_after0, n_after1 = _calm_windows(fs)
    n_early = round(params.early_s * fs)
    for k in np.flatnonzero(spike > low):
        if spike[k] > high and k >= n_early:
            return _Spike(int(k), True)
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
            return _Spike(int(k + np.argmax(nearby)), False)
    return None


def _vertex(y: np.ndarray, i: int, n: int) -> float:
    """Offset (in grid steps, within +-0.5) of the vertex of a parabola through three neighbours."""
    if i == 0 or i == n - 1 or y.size < 3:
        return 0.0
    den = y[0] - 2.0 * y[1] + y[2]
    return float(np.clip(0.5 * (y[0] - y[2]) / den, -0.5, 0.5)) if den > 0 else 0.0


def _crossing_back(t: np.ndarray, x: np.ndarray, k: int, level: float, k_min: int) -> int:
    """Largest index ``j`` in ``[k_min, k]`` with ``x[j] < level`` (``k_min`` if there is none)."""
    below = np.flatnonzero(x[k_min : k + 1] < level)
    return k_min + int(below[-1]) if below.size else k_min
