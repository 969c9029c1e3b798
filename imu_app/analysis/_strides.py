"""Stance phases of walking and running: initial contact and toe-off of the instrumented foot.

The gyroscope is read along the leg's dominant rotation axis (found from the data, so any mounting works);
the swing of the leg is the large lobe of that signal between toe-off and the next initial contact. The
sensor may sit on the foot or on the shank (the ankle strap): which one is told from the signal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from imu_app.analysis._gait_axis import FlexionRate, flexion_rate, jerk_windows
from imu_app.analysis._orientation import segment_bounds
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis.report import Contact, SetSummary
from imu_app.core import AnalysisError, ContactKind, ImuData, SetKind

log = logging.getLogger(__name__)

__all__ = ["StrideParams", "Strides", "detect_strides", "stride_report"]


@dataclass(frozen=True)
class StrideParams:
    """Parameters of :func:`detect_strides`; the defaults need no tuning.

    Attributes
    ----------
    swing_min_dps
        A swing peaks above this angular rate, and by this much above the lower of its neighbouring
        minima (prominence). The foot and shank swing forward at 250-600 deg/s in walking and faster in
        running, while weight shifts and turns on the spot stay below 100 deg/s.
    swing_cutoff_hz
        The flexion rate that finds the axis, its sign and the swings is low-passed here (zero phase). The
        swing's rotation lies below 6 Hz; the ringing of a loosely strapped sensor after each impact (up to
        700 deg/s for one or two samples on gaitmap's second subject) does not, and it tilted the principal
        axis and made peaks of its own. The events themselves are timed on the unfiltered rate.
    swing_rate_hz
        The axis, its sign and the swings are found on the angular rate averaged over blocks of whole
        samples down to no less than this rate (10 samples at 1 kHz, 2 at 204.8 Hz, none at 100-199 Hz),
        then the swing peaks are placed back on the full rate, where the events are timed. Below
        ``swing_cutoff_hz`` a block mean changes nothing that matters (0.6 % at 6 Hz for blocks of 10
        samples at 1 kHz), and at 100 Hz the low-pass and the peak search cost a tenth of what they cost
        at 1 kHz, which an hour of walking at that rate needs to be analysed within a second.
    min_stride_s
        Two swings of the same leg are at least this far apart: the shortest strides of sprinting last about
        0.5 s, so 0.4 s never merges two strides and never splits one.
    min_stance_s
        Shorter "stances" are two swings' lobes that a turn on the spot put back to back; the shortest
        ground contacts of sprinting last about 80 ms.
    search_s
        Initial contact and toe-off are looked for within this time of the swing peak: swing lasts 0.25-0.5 s
        in walking, so its ends are within 0.35 s of its peak.
    max_stance_s
        Longer "stances" are standing, not gait; walking stance lasts 0.5-0.9 s, slow walking up to 1.2 s.
    still_window_s, foot_still_ratio
        Foot or shank: the quietest 40 ms of each stance, as a fraction of the swing peak. A foot lies flat
        in mid-stance (measured 0.011-0.013 on the gaitmap foot sensors), a shank keeps rotating (0.08-0.09
        in the simulator's walking, more in running); 0.04 lies between.
    impact_before_s, impact_after_s
        The heel-strike impact is looked for this long before and after the end of the swing lobe (the
        downward zero crossing of the angular rate). On the foot the lobe ends at contact; on the shank it
        ends 0-60 ms before contact (terminal-swing retraction), so the window covers both.
    impact_min_g_per_s
        The jerk of an impact: the arrest of the foot builds 1.5-10 g within 5-20 ms (a bone-mounted tibial
        accelerometer read resultant peaks of 2.7-3.7 g in walking, up to 10.6 g in running, Lafortune
        1991), well above 100 g/s, while the smooth accelerations of swing change at 10-40 g/s. Where no
        sample step of the specific force is this steep, the zero crossing stands for the initial contact.
        The same floor tells the release of the push-off force at toe-off (below).
    release_before_s
        The release of the push-off force is looked for from this long before the push-off's extreme rate
        to the start of the swing lobe: the toe may leave at the extreme itself (gaitmap's first subject:
        the mocap toe-off lies within 1-3 samples of it).
    impact_rise_frac
        The impact's onset is the first sample step reaching this fraction of the steepest one in the window.
        The jerk of the arrest rises from swing level to its peak within 5-20 ms: half the peak is reached
        at its start, above the 10-40 g/s of swing, and within one sample of it at 104 Hz.
    """

    swing_min_dps: float = 100.0
    swing_cutoff_hz: float = 6.0
    swing_rate_hz: float = 100.0
    min_stride_s: float = 0.4
    min_stance_s: float = 0.08
    search_s: float = 0.35
    max_stance_s: float = 2.0
    still_window_s: float = 0.04
    foot_still_ratio: float = 0.04
    impact_before_s: float = 0.08
    impact_rise_frac: float = 0.5
    impact_after_s: float = 0.1
    impact_min_g_per_s: float = 100.0
    release_before_s: float = 0.02


@dataclass(frozen=True)
class Strides:
    """Stances found by :func:`detect_strides` (arrays of equal length, one entry per stance).

    ``initial_contact_s`` and ``toe_off_s`` (s from the first sample) bound each stance; ``swing_before_ms``
    is the swing that ended at the initial contact (NaN when not seen).
    """

    initial_contact_s: np.ndarray
    toe_off_s: np.ndarray
    swing_before_ms: np.ndarray

    def __len__(self) -> int:
        return int(self.initial_contact_s.shape[0])


def _steep_onset(
    t: np.ndarray, acc_g: np.ndarray, lo: np.ndarray, hi: np.ndarray, p: StrideParams
) -> tuple[np.ndarray, np.ndarray]:
    """For each window of sample steps ``[lo, hi)`` (at least one step each): whether its steepest step of
    the specific force reaches ``impact_min_g_per_s``, and the first step reaching ``impact_rise_frac`` of
    that steepest one (the onset of an impact or of the release of a force)."""
    steep = np.zeros(lo.size, dtype=bool)
    onset = lo.copy()
    for sl, jerk in jerk_windows(t, acc_g, lo, hi):
        top = jerk.max(axis=1)
        steep[sl] = top >= p.impact_min_g_per_s
        onset[sl] += np.argmax(jerk >= p.impact_rise_frac * top[:, None], axis=1)
    return steep, onset


def _swing_peaks(flex: FlexionRate, stretch: int, full: tuple[int, int], p: StrideParams) -> np.ndarray:
    """Swing peaks of the gap-free stretch number ``stretch`` (samples ``full = [a, b)`` of the recording),
    as sample indices counted from ``a``.

    They are found on the stretch's part of ``flex.rate_dps`` (reduced rate, low-passed). Where that
    rate is reduced, each peak is placed at the vertex of the parabola through it and its two neighbours,
    mapped through ``flex.at_idx`` (the full-rate index of each block's centre): the low-passed swing is
    smooth over a block, so this is the peak of the full rate's low-passed swing within a sample or two.
    """
    ar, br = flex.bounds[stretch]
    x, at_idx = flex.rate_dps[ar:br], flex.at_idx[ar:br]
    a, b = full
    peaks, _ = find_peaks(
        x,
        height=p.swing_min_dps,
        prominence=p.swing_min_dps,
        distance=max(1, int(p.min_stride_s * flex.sample_rate_hz)),
    )
    if peaks.size == 0 or flex.block == 1:
        return (at_idx[peaks] - a).astype(np.intp)
    y0, y1, y2 = x[peaks - 1], x[peaks], x[peaks + 1]
    den = y0 - 2.0 * y1 + y2
    off = np.clip(np.divide(0.5 * (y0 - y2), den, out=np.zeros_like(den), where=den < 0), -0.5, 0.5)
    step = np.where(off >= 0, at_idx[peaks + 1] - at_idx[peaks], at_idx[peaks] - at_idx[peaks - 1])
    return np.clip(np.rint(at_idx[peaks] + off * step - a), 0, b - a - 1).astype(np.intp)


def _zero_cross_down(t: np.ndarray, w: np.ndarray, start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """First downward zero crossing of ``w`` in ``[start, stop)``, linearly interpolated (NaN if none)."""
    out = np.full(start.shape, np.nan)
    down = np.flatnonzero((w[:-1] > 0) & (w[1:] <= 0))
    pos = np.searchsorted(down, start)
    ok = pos < down.size
    j = np.where(ok, down[np.minimum(pos, down.size - 1)] if down.size else 0, 0)
    ok &= j < stop
    i = j[ok]
    frac = w[i] / (w[i] - w[i + 1])
    out[ok] = t[i] + frac * (t[i + 1] - t[i])
    return out


def _zero_cross_up_before(w: np.ndarray, at: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Index of the last sample ``<= 0`` before ``at`` that is followed by a positive one (or ``first``)."""
    up = np.flatnonzero((w[:-1] <= 0) & (w[1:] > 0))
    pos = np.searchsorted(up, at) - 1
    j = np.where(pos >= 0, up[np.maximum(pos, 0)] if up.size else first, first)
    return np.maximum(j, first)


def _pre_swing_minimum(t: np.ndarray, w: np.ndarray, start: np.ndarray, search: int) -> np.ndarray:
    """Toe-off: the minimum of ``w`` within ``search`` samples before each swing start, parabolic vertex."""
    n = w.size
    lo = np.maximum(start - search, 0)
    win = np.clip(lo[:, None] + np.arange(search + 1)[None, :], 0, n - 1)
    vals = np.where(win <= start[:, None], w[win], np.inf)
    j = win[np.arange(win.shape[0]), np.argmin(vals, axis=1)]
    has_to = (j > 0) & (j < n - 1) & (j > lo)
    jj = np.clip(j, 1, n - 2)
    y0, y1, y2 = w[jj - 1], w[jj], w[jj + 1]
    den = y0 - 2 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(den > 0, 0.5 * (y0 - y2) / den, 0.0)
    off = np.clip(off, -0.5, 0.5)
    return np.where(has_to, t[jj] + off * np.where(off >= 0, t[jj + 1] - t[jj], t[jj] - t[jj - 1]), np.nan)


def _release_onset(
    t: np.ndarray, acc_g: np.ndarray, to_s: np.ndarray, start_s: np.ndarray, p: StrideParams
) -> np.ndarray:
    """Move each toe-off to the release of the push-off force, where one is seen before the swing starts.

    Between the push-off's extreme rate (``to_s``) and the start of the swing lobe (``start_s``) the toe
    leaves the ground; the force it carried drops within a sample or two, a step of the specific force as
    steep as an impact. Where the steepest step there reaches ``impact_min_g_per_s``, its onset (the first
    step reaching ``impact_rise_frac`` of it) is the toe-off; elsewhere the extreme rate stays.
    """
    out = to_s.copy()
    if t.size < 3:
        return out
    k = np.flatnonzero(np.isfinite(to_s) & np.isfinite(start_s) & (start_s > to_s))
    lo = np.searchsorted(t, to_s[k] - p.release_before_s)
    hi = np.minimum(np.searchsorted(t, start_s[k]) + 1, t.size - 1)
    has = hi > lo
    k, lo, hi = k[has], lo[has], hi[has]
    steep, onset = _steep_onset(t, acc_g, lo, hi, p)
    out[k[steep]] = np.maximum(to_s[k[steep]], t[onset[steep]])
    return out


def _impact_onset(t: np.ndarray, acc_g: np.ndarray, ic_s: np.ndarray, p: StrideParams) -> np.ndarray:
    """Move each initial contact to the onset of its heel-strike impact, where one is seen.

    The onset is the start of the steepest sample step of the specific force (vector difference, so that
    the mounting does not matter) near the end of the swing: the arrest of the foot has its largest jerk as
    the force starts to rise. Where no step reaches ``impact_min_g_per_s`` the estimate is left as it was.
    """
    out = ic_s.copy()
    if t.size < 3:
        return out
    k = np.flatnonzero(np.isfinite(ic_s))
    lo = np.searchsorted(t, ic_s[k] - p.impact_before_s)
    hi = np.minimum(np.searchsorted(t, ic_s[k] + p.impact_after_s), t.size - 1)
    has = hi > lo
    k, lo, hi = k[has], lo[has], hi[has]
    steep, onset = _steep_onset(t, acc_g, lo, hi, p)
    out[k[steep]] = t[onset[steep]]
    return out


def _foot_mounted(
    gyr: np.ndarray, w: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, fs: float, p: StrideParams
) -> bool:
    """Whether the sensor is on the foot: its stances hold still, a shank's never do.

    In mid-stance the foot lies flat and its angular rate falls close to sensor noise (the zero-velocity
    phase of foot-mounted navigation), while the shank rotates forward over the planted foot throughout
    stance (40-100 deg/s in walking, more in running). The quietest ``still_window_s`` of each stance
    (indices ``[lo, hi)``) is compared with the swing peak of the recording.
    """
    k = max(1, round(p.still_window_s * fs))
    norm = np.sqrt(np.einsum("ij,ij->i", gyr, gyr))
    if norm.size < k + 2 or lo.size == 0:
        return False
    csum = np.concatenate(([0.0], np.cumsum(norm)))
    quiet = (csum[k:] - csum[:-k]) / k
    lows = [
        float(quiet[i : max(i + 1, min(j - k, quiet.size))].min())
        for i, j in zip(lo, hi, strict=True)
        if i < quiet.size
    ]
    swing = float(np.percentile(w, 99.0))
    ratio = float(np.median(lows)) / max(swing, 1e-9)
    log.debug("stride mounting: stance stillness %.3f of the swing peak", ratio)
    return ratio < p.foot_still_ratio


def detect_strides(data: ImuData, params: StrideParams | None = None) -> Strides:
    """Initial contact and toe-off of every stride of the instrumented leg.

    Parameters
    ----------
    data
        A walking or running recording with a gyroscope on the foot, ankle or shank, any mounting.
    params
        See :class:`StrideParams`.

    Returns
    -------
    Strides
        One entry per stance that begins and ends in the same gap-free stretch.

    Notes
    -----
    The leg rotates mostly about one axis (flexion/extension), which the principal axis of the low-passed
    angular rate (averaged down to about ``swing_rate_hz`` first) finds whatever the mounting; its sign
    makes the forward swing positive, from two cues that hold for any frame, mirror images included (see
    :func:`imu_app.analysis._gait_axis.flexion_rate`).
    Swing peaks are the maxima of this signal [1]_, [2]_, at least ``min_stride_s`` apart.
    Toe-off is the minimum of the angular rate before the swing: the fastest plantarflexion of push-off
    on the foot [3]_, the fastest forward rotation of the shank as the knee flexes for swing [1]_, [2]_
    (Aminian et al. found no significant toe-off error against foot switches with this rule on the shank).
    Where the push-off force is released with a step of the specific force as steep as an impact between
    that minimum and the start of the swing, the toe leaves there: on a foot sensor whose rotation slows
    before the toe lets go (gaitmap's second subject: the minimum came about 100 ms before the release,
    and stances took 52-56 % of the stride instead of the healthy ~60 %), the release is the toe-off.

    Initial contact differs between foot and shank, so the recording is first classified: a foot lies still
    in mid-stance, a shank never does (``foot_still_ratio``). On the foot the swing ends as the heel meets
    the ground: initial contact is the downward zero crossing after the swing peak [3]_ (the impact's
    largest jerk comes about 20 ms later, when the forefoot slaps down). On the shank the forward swing
    ends 20-60 ms before contact (terminal-swing retraction; the minimum after it lags contact by about
    10 ms [2]_), so initial contact is the onset of the heel-strike impact in the specific force near the
    end of the swing lobe [4]_. Both are interpolated between samples (linear crossing, parabolic vertex)
    or placed on the sample where the impact starts.

    References
    ----------
    .. [1] Salarian, A., Russmann, H., Vingerhoets, F. J. G., et al. (2004). Gait assessment in Parkinson's
       disease: toward an ambulatory system for long-term monitoring. IEEE Transactions on Biomedical
       Engineering, 51(8), 1434-1443. https://doi.org/10.1109/TBME.2004.827933
    .. [2] Aminian, K., Najafi, B., Büla, C., Leyvraz, P.-F., & Robert, P. (2002). Spatio-temporal
       parameters of gait measured by an ambulatory system using miniature gyroscopes. Journal of
       Biomechanics, 35(5), 689-699. https://doi.org/10.1016/S0021-9290(02)00008-8
    .. [3] Rampp, A., Barth, J., Schülein, S., Gaßmann, K.-G., Klucken, J., & Eskofier, B. M. (2015).
       Inertial sensor-based stride parameter calculation from gait sequences in geriatric patients. IEEE
       Transactions on Biomedical Engineering, 62(4), 1089-1097. https://doi.org/10.1109/TBME.2014.2368211
    .. [4] Lafortune, M. A. (1991). Three-dimensional acceleration of the tibia during walking and running.
       Journal of Biomechanics, 24(10), 877-886. https://doi.org/10.1016/0021-9290(91)90166-K
    """
    p = params or StrideParams()
    if data.gyr_dps is None:
        # Initial contact alone is decidable from the impact, but toe-off leaves no impact: without the
        # leg's rotation, push-off and the start of swing overlap in the specific force, so a contact time
        # would be a guess. Say so rather than report one.
        raise AnalysisError(
            "stride detection needs a gyroscope: toe-off (and so ground contact time) cannot be told from "
            "the accelerometer alone in walking or running; record with the gyroscope enabled, or analyse "
            "hops, whose take-offs the accelerometer does show"
        )
    t = data.t_s
    n = t.size
    empty = Strides(np.empty(0), np.empty(0), np.empty(0))
    if n < 10:
        return empty
    fs = data.sample_rate_hz
    bounds = segment_bounds(n, data.gaps)
    flex = flexion_rate(
        data.gyr_dps,
        data.acc_g,
        t,
        bounds,
        sample_rate_hz=fs,
        cutoff_hz=p.swing_cutoff_hz,
        reduced_rate_hz=p.swing_rate_hz,
    )
    # Events are timed on the unfiltered rate about the same axis: a low-pass would round off the sharp
    # reversal at toe-off (20 Hz put toe-off 8-10 ms earlier on the gaitmap example).
    gyr = data.gyr_dps
    w = gyr @ flex.axis

    ic_all: list[np.ndarray] = []
    to_all: list[np.ndarray] = []
    seg_all: list[np.ndarray] = []
    search = max(2, int(p.search_s * fs))
    t0 = t - t[0]
    for sid, (a, b) in enumerate(bounds):
        if b - a < 10:
            continue
        ws = w[a:b]
        ts = t0[a:b]
        peaks = _swing_peaks(flex, sid, (a, b), p)
        if peaks.size == 0:
            continue
        ic = _zero_cross_down(ts, ws, peaks, np.minimum(peaks + search, b - a - 1))
        start = _zero_cross_up_before(ws, peaks, np.maximum(peaks - search, 0))
        to = _pre_swing_minimum(ts, ws, start, search)
        start_s = ts[np.clip(start + 1, 0, b - a - 1)]
        to = _release_onset(ts, data.acc_g[a:b], to, start_s, p)
        ic_all.append(ic)
        to_all.append(to)
        seg_all.append(np.full(ic.size, sid))
    if not ic_all:
        return empty
    ic = np.concatenate(ic_all)
    to = np.concatenate(to_all)
    seg = np.concatenate(seg_all)
    nxt = np.r_[to[1:], np.nan]
    st = np.isfinite(ic) & np.isfinite(nxt) & (nxt > ic) & (nxt - ic <= p.max_stance_s)
    foot = _foot_mounted(gyr, w, np.searchsorted(t0, ic[st]), np.searchsorted(t0, nxt[st]), fs=fs, p=p)
    if not foot:
        # On the shank the swing ends before contact; the heel-strike impact marks the contact itself.
        for sid, (a, b) in enumerate(bounds):
            m = seg == sid
            ic[m] = _impact_onset(t0[a:b], data.acc_g[a:b], ic[m], p)
    # Stance j: from the initial contact ending swing j to the toe-off starting swing j + 1.
    nxt_to = np.r_[to[1:], np.nan]
    same = np.r_[seg[1:] == seg[:-1], False]
    stance_s = nxt_to - ic
    ok = (
        same
        & np.isfinite(ic)
        & np.isfinite(nxt_to)
        & (stance_s >= p.min_stance_s)
        & (stance_s <= p.max_stance_s)
    )
    swing_ms = 1000.0 * (ic - to)
    swing_ms = np.where(np.isfinite(swing_ms) & (swing_ms > 0), swing_ms, np.nan)
    return Strides(initial_contact_s=ic[ok], toe_off_s=nxt_to[ok], swing_before_ms=swing_ms[ok])


def stride_report(
    strides: Strides, max_rest_s: float = DEFAULT_MAX_REST_S
) -> tuple[tuple[Contact, ...], tuple[SetSummary, ...]]:
    """Report contacts (``kind="stride"``) and one ``SetSummary(kind="strides")`` per bout of gait."""
    n = len(strides)
    if n == 0:
        return (), ()
    ct = 1000.0 * (strides.toe_off_s - strides.initial_contact_s)
    bouts = group_bouts(strides.initial_contact_s, max_rest_s)
    set_of = np.empty(n, dtype=np.intp)
    for i, b in enumerate(bouts):
        set_of[b] = i
    contacts = tuple(
        Contact(
            landing_s=float(strides.initial_contact_s[i]),
            takeoff_s=float(strides.toe_off_s[i]),
            contact_time_ms=float(ct[i]),
            flight_time_ms=None,
            kind=ContactKind.STRIDE,
            swing_time_ms=float(strides.swing_before_ms[i])
            if np.isfinite(strides.swing_before_ms[i])
            else None,
            set_index=int(set_of[i]),
        )
        for i in range(n)
    )
    sets = tuple(
        SetSummary(
            index=i,
            kind=SetKind.STRIDES,
            start_s=float(strides.initial_contact_s[b.start]),
            end_s=float(strides.toe_off_s[b.stop - 1]),
            count=b.stop - b.start,
            stats={
                "contact_time_ms": metric_stats(ct[b].tolist(), lower_is_better=True),
                "swing_time_ms": metric_stats(strides.swing_before_ms[b].tolist(), lower_is_better=False),
            },
        )
        for i, b in enumerate(bouts)
    )
    return contacts, sets
