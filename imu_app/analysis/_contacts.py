"""Ground contacts of hops: landing and take-off of the instrumented foot, to a fraction of a sample.

The detector reads the magnitude of the specific force, which does not depend on how the sensor is strapped
on, so no axis and no orientation is needed. It is a handful of vectorised passes over the samples (cost
linear in the length of the recording) and every decision is local in time, which is what lets the
streaming wrapper (:class:`HopContactStream`) reproduce the offline events exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from imu_app.core import GAP_FACTOR, AnalysisError, Gap, ImuData, find_gaps

__all__ = [
    "MAX_LOOKAHEAD_S",
    "ContactParams",
    "HopContactStream",
    "HopContacts",
    "detect_hop_contacts",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContactParams:
    """Thresholds of :func:`detect_hop_contacts`. The defaults need no tuning for any sensor or rate.

    Attributes
    ----------
    flight_max_g
        A sample belongs to a candidate flight when the magnitude of its specific force is below this. In
        flight the whole body is in free fall, so an ideal sensor reads 0 g; a real shank adds 0.1-0.5 g of
        centripetal and tangential acceleration from the knee and ankle moving in the air. On the ground the
        foot carries the body and the shank reads 1 g or more (standing 1 g, hop contacts 2-10 g). 0.6 g
        lies between the two with margin on both sides.
    min_flight_s
        Shorter "flights" are not counted. 30 ms of free fall is a jump of 1 mm (h = g t^2 / 8), the
        smallest airborne stutter a person makes; anything shorter is a wobble of the strap or a dip of the
        signal while the foot rolls, not the foot leaving the ground.
    max_flight_s
        Longer low-force stretches are not flights of a person (a 1.2 s flight is a 1.8 m jump) but a sensor
        dropped or thrown; it also bounds the look-ahead of the streaming detector.
    merge_max_g
        Two candidate flights separated by an excursion that stays below this are one flight: in the air a
        swinging or tucking leg can lift the magnitude above ``flight_max_g`` for 100 ms or more (0.8-0.9 g
        at the ankle of a leap), while a foot on the ground carries the body and reads at least about 1 g,
        and every touch-down adds an impact well above it.
    landing_min_peak_g
        A landing must be followed within ``landing_window_s`` by a specific force of at least this much.
        Every landing on a foot decelerates the falling shank within milliseconds: hops, drop jumps and
        even soft landings show 3-10 g at the ankle. An unloading dip on the ground (a quick
        countermovement, stepping down) or the swing of walking can bring the magnitude below
        ``flight_max_g`` but returns to 1-1.5 g without an impact; 2 g separates the two.
    landing_window_s
        Where the impact of ``landing_min_peak_g`` is looked for after the landing. Shank impact peaks come
        5-30 ms after touch-down; 60 ms leaves margin for soft surfaces.
    edge_delta_g
        The edges (landing, take-off) are located where the signal leaves / regains the flight level by more
        than this. 0.1 g is well above sensor noise (a few mg) and smaller than the rise of any landing in
        the first sample at 52 Hz, so it finds the first sample on the edge at every rate.
    baseline_s
        The flight level is the mean magnitude over this much of the flight next to the edge: 20 ms is long
        enough to average noise, short enough to follow the slow change of the rotation-induced level.
    edge_fit_top_g, edge_fit_s
        The edge is fitted by a straight line over its foot: from ``edge_delta_g`` up to this far above
        the flight level, over at most ``edge_fit_s``. The foot of an edge is where it is straightest (an
        impact curves over into its peak, a push-off into its plateau); 0.5 g spans at least 0.4 g of it,
        which at 1 kHz is several samples even for a steep landing, and 20 ms bounds it on slow edges.
    acc_range_g
        Full-scale range of the accelerometer when known; samples at it are clipped and are not used to
        estimate the slope of an edge. Without it a clipped sample is recognised as an exact repeat of a
        value above 2 g on the same axis (a saturated converter repeats its largest code).
    """

    flight_max_g: float = 0.6
    min_flight_s: float = 0.03
    max_flight_s: float = 1.2
    merge_max_g: float = 1.0
    landing_min_peak_g: float = 2.0
    landing_window_s: float = 0.06
    edge_delta_g: float = 0.1
    baseline_s: float = 0.02
    edge_fit_top_g: float = 0.5
    edge_fit_s: float = 0.02
    acc_range_g: float | None = None


#: Every event of :func:`detect_hop_contacts` is final once the samples up to this long after it are known:
#: a take-off is confirmed by the landing that ends its flight (at most ``max_flight_s`` later, plus the
#: landing's impact window); a landing needs its impact window and baseline. With the
#: default parameters that is 1.2 + 0.06 s plus a few samples of edge; 1.5 s bounds it.
MAX_LOOKAHEAD_S = 1.5


@dataclass(frozen=True)
class HopContacts:
    """Contacts found by :func:`detect_hop_contacts`, as arrays of equal length (one entry per contact).

    Attributes
    ----------
    landing_s
        Touch-down (s from the first sample), sub-sample.
    takeoff_s
        Take-off ending the contact, NaN when a gap cut the contact. A final landing after which the foot
        stays down until the end of the recording is not a contact and is not listed.
    flight_before_ms
        Duration of the flight that ended at this landing, NaN when its take-off was not seen.
    flight_after_ms
        Duration of the flight this contact launched (NaN when its landing was not seen).
    complete
        False when a gap cut the contact, or when the landing itself was hidden by a gap (then
        ``landing_s`` is the first sample after the gap).
    landing_idx, takeoff_idx
        First sample on the ground after the landing / last sample on the ground before the take-off (-1
        when unknown).
    """

    landing_s: np.ndarray
    takeoff_s: np.ndarray
    flight_before_ms: np.ndarray
    flight_after_ms: np.ndarray
    complete: np.ndarray
    landing_idx: np.ndarray
    takeoff_idx: np.ndarray
    params: ContactParams = field(default_factory=ContactParams)

    def __len__(self) -> int:
        return int(self.landing_s.shape[0])

    @property
    def contact_time_ms(self) -> np.ndarray:
        return 1000.0 * (self.takeoff_s - self.landing_s)


def _segment_starts(n: int, gaps: tuple[Gap, ...] | list[Gap]) -> np.ndarray:
    is_start = np.zeros(n, dtype=bool)
    if n:
        is_start[0] = True
    for g in gaps:
        if 0 <= g.before_idx < n - 1:
            is_start[g.before_idx + 1] = True
    return is_start


def _clipped(acc: np.ndarray, acc_range_g: float | None) -> np.ndarray:
    """Samples where any axis is saturated (see ``ContactParams.acc_range_g``)."""
    a = np.abs(acc)
    if acc_range_g:
        return np.any(a >= 0.995 * acc_range_g, axis=1)
    same_prev = np.zeros_like(a, dtype=bool)
    same_prev[1:] = acc[1:] == acc[:-1]
    same_next = np.zeros_like(a, dtype=bool)
    same_next[:-1] = same_prev[1:]
    return np.any((same_prev | same_next) & (a > 2.0), axis=1)


def _window_reduce(ufunc: np.ufunc, x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``ufunc.reduce(x[lo[i]:hi[i]])`` for every i (requires ``lo < hi``), in one vectorised call."""
    if lo.size == 0:
        return np.empty(0, dtype=x.dtype)
    idx = np.empty(2 * lo.size, dtype=np.intp)
    idx[0::2] = lo
    idx[1::2] = np.minimum(hi, x.shape[0])
    # reduceat needs indices < len(x); a trailing window ending at len(x) reduces to the end by itself.
    last_open = idx[1::2] >= x.shape[0]
    idx[1::2][last_open] = x.shape[0] - 1
    out = ufunc.reduceat(x, idx)[0::2]
    # Windows whose end was clipped to the last index lost that last sample; add it back.
    if np.any(last_open):
        out[last_open] = ufunc(out[last_open], x[-1])
    return out


def _window_mean(csum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)


def detect_hop_contacts(
    t_s: np.ndarray,
    acc_g: np.ndarray,
    *,
    gaps: tuple[Gap, ...] | list[Gap] = (),
    sample_rate_hz: float | None = None,
    params: ContactParams | None = None,
) -> HopContacts:
    """Find every ground contact between flights of the instrumented foot, with sub-sample timing.

    Parameters
    ----------
    t_s
        Sample times (s), strictly increasing, possibly irregular; event times are returned relative to
        ``t_s[0]``.
    acc_g
        ``(n, 3)`` specific force in g, any mounting (only its magnitude is used).
    gaps
        Missing data: no flight, landing or take-off is inferred across a gap.
    sample_rate_hz
        Nominal rate, which converts the durations of the parameters into samples; by default the median
        sample period. Give it when results must not depend on which part of a recording is analysed
        (streaming).
    params
        Thresholds; see :class:`ContactParams` for why each is what it is.

    Returns
    -------
    HopContacts
        One entry per landing, time-ordered.

    Notes
    -----
    1. *Flights.* In the air the body is in free fall and an accelerometer on it reads nearly 0 g whatever
       its orientation [1]_, [2]_; on the ground the foot carries the body and the ankle reads 1 g or more.
       Runs of samples with ``|a| < flight_max_g`` are candidate flights; runs split by a brief excursion
       without impact are merged; a flight must last ``min_flight_s``-``max_flight_s`` and end in an impact
       (``landing_min_peak_g``), the signature of the foot meeting the ground.
    2. *Edges to a fraction of a sample.* The flight level ``b`` is the mean magnitude of the 20 ms of flight
       next to the edge (it is not 0 on a real shank). The first sample ``k`` beyond ``b + edge_delta_g`` is
       the first one on the edge; the edge is taken as a straight line through it whose slope is the
       steeper of the two chords next to it (``k-1..k`` and ``k..k+1``), and the event is where that line
       meets ``b``, kept between samples ``k-1`` and ``k``. The chord ``k-1..k`` alone would always put the
       event at sample ``k-1`` (the signal rises from ``b`` at the onset, anywhere between the two samples);
       the steeper chord is the better slope estimate because a rising impact is steepest near its start and
       clipping only flattens chords. At 1 kHz this places events within a fraction of a millisecond of the
       onset; at 100 Hz it removes most of the half-sample quantisation error of threshold methods.
    3. *Contacts.* A contact runs from a landing to the next take-off in the same gap-free stretch. Flight
       time is from the previous take-off to this landing, as a force plate or an optical system measures
       it [3]_.

    Every decision uses samples at most :data:`MAX_LOOKAHEAD_S` after the event, so a live pipeline
    fed in chunks gets the same events (:class:`HopContactStream`).

    References
    ----------
    .. [1] Picerno, P., Camomilla, V., & Capranica, L. (2011). Countermovement jump performance assessment
       using a wearable 3D inertial measurement unit. Journal of Sports Sciences, 29(2), 139-146.
       https://doi.org/10.1080/02640414.2010.523089
    .. [2] Falbriard, M., Meyer, F., Mariani, B., Millet, G. P., & Aminian, K. (2018). Accurate estimation of
       running temporal parameters using foot-worn inertial sensors. Frontiers in Physiology, 9, 610.
       https://doi.org/10.3389/fphys.2018.00610
    .. [3] Bosco, C., Luhtanen, P., & Komi, P. V. (1983). A simple method for measurement of mechanical
       power in jumping. European Journal of Applied Physiology, 50(2), 273-282.
       https://doi.org/10.1007/BF00422166
    """
    p = params or ContactParams()
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64)
    n = t.shape[0]
    if acc.shape != (n, 3):
        raise AnalysisError(f"acc_g must have shape ({n}, 3), got {acc.shape}")
    empty = HopContacts(
        landing_s=np.empty(0),
        takeoff_s=np.empty(0),
        flight_before_ms=np.empty(0),
        flight_after_ms=np.empty(0),
        complete=np.empty(0, dtype=bool),
        landing_idx=np.empty(0, dtype=np.intp),
        takeoff_idx=np.empty(0, dtype=np.intp),
        params=p,
    )
    if n < 4:
        return empty
    t0 = t[0]
    period_s = 1.0 / sample_rate_hz if sample_rate_hz else float(np.median(np.diff(t)))
    s = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    clipped = _clipped(acc, p.acc_range_g)
    seg_start = _segment_starts(n, gaps)
    seg_id = np.cumsum(seg_start) - 1
    seg_first = np.flatnonzero(seg_start)
    seg_last = np.r_[seg_first[1:] - 1, n - 1]

    # --- 1. candidate flights: runs of low magnitude, never across a gap --------------------------------
    low = s < p.flight_max_g
    prev_low = np.r_[False, low[:-1]] & ~seg_start
    next_low = np.r_[low[1:], False] & ~np.r_[seg_start[1:], True]
    starts = np.flatnonzero(low & ~prev_low)
    ends = np.flatnonzero(low & ~next_low)  # inclusive
    if starts.size == 0:
        return empty

    # Merge runs split by a short excursion without impact (same segment only).
    if starts.size > 1:
        between_lo = ends[:-1] + 1
        between_hi = starts[1:]
        peak_between = _window_reduce(np.maximum, s, between_lo, between_hi)
        join = (
            (peak_between < p.merge_max_g)
            & (seg_id[between_lo] == seg_id[between_hi])
            & (seg_id[between_lo - 1] == seg_id[between_lo])
        )
        keep_start = np.r_[True, ~join]
        keep_end = np.r_[~join, True]
        starts, ends = starts[keep_start], ends[keep_end]

    # Coarse duration filter before the precise edges (edges move each end by at most one period).
    span = t[ends] - t[starts]
    ok = (span + 2 * period_s >= p.min_flight_s) & (span <= p.max_flight_s + 2 * period_s)
    starts, ends = starts[ok], ends[ok]
    if starts.size == 0:
        return empty

    # Is each edge observed? A run touching a segment boundary had its edge hidden in the gap (or before
    # the first / after the last sample).
    takeoff_seen = starts > seg_first[seg_id[starts]]
    landing_seen = ends < seg_last[seg_id[ends]]

    csum = np.r_[0.0, np.cumsum(s)]
    w = max(1, round(p.baseline_s / period_s))
    run_len = ends - starts + 1
    wb = np.minimum(w, run_len)

    run_of = np.full(n, -1, dtype=np.intp)
    marks = np.zeros(n + 1, dtype=np.intp)
    np.add.at(marks, starts, 1)
    np.add.at(marks, ends + 1, -1)
    in_run = np.cumsum(marks[:-1]) > 0
    run_of[in_run] = (np.searchsorted(starts, np.arange(n), side="right") - 1)[in_run]
    idx = np.arange(n)

    def last_at_or_below(level: np.ndarray) -> np.ndarray:
        below = np.zeros(n, dtype=bool)
        below[in_run] = s[in_run] <= level[run_of[in_run]]
        return _window_reduce(np.maximum, np.where(below, idx, -1), starts, ends + 1)

    def first_at_or_below(level: np.ndarray) -> np.ndarray:
        below = np.zeros(n, dtype=bool)
        below[in_run] = s[in_run] <= level[run_of[in_run]]
        return _window_reduce(np.minimum, np.where(below, idx, n), starts, ends + 1)

    fit = {
        "fit_top_g": p.edge_fit_top_g,
        "fit_samples": max(2, round(p.edge_fit_s / period_s) + 1),
        "air_floor_g": 0.3 * p.edge_delta_g,
    }

    # --- 2a. landings -----------------------------------------------------------------------------------
    # The flight level next to the edge, in two passes: the mean of the last baseline_s of the run still
    # contains the foot of the rise (the run lasts until 0.6 g); the second pass averages the baseline_s
    # before the last sample at or below that first mean, which lies before the rise.
    b1 = _window_mean(csum, ends + 1 - wb, ends + 1)
    l1 = last_at_or_below(b1)
    b_land = _window_mean(csum, np.maximum(starts, l1 + 1 - w), l1 + 1)
    # First sample of the final rise: one past the last sample of the run at or below b + delta.
    k_land = np.minimum(last_at_or_below(b_land + p.edge_delta_g) + 1, n - 1)

    # Impact check and edge timing need the samples after the landing in the same segment.
    win = max(2, round(p.landing_window_s / period_s) + 1)
    seg_end_land = seg_last[seg_id[ends]]
    hi = np.minimum(k_land + win, seg_end_land + 1)
    impact = np.where(
        landing_seen, _window_reduce(np.maximum, s, k_land, np.maximum(hi, k_land + 1)), -np.inf
    )
    real = (impact >= p.landing_min_peak_g) | ~landing_seen
    landing_s = _edge_time(t, s, clipped, base=b_land, k=k_land, seg_bound=seg_end_land, rising=True, **fit)

    # --- 2b. take-offs ----------------------------------------------------------------------------------
    b1 = _window_mean(csum, starts, starts + wb)
    f1 = first_at_or_below(b1)
    b_to = _window_mean(csum, f1, np.minimum(ends + 1, f1 + w))
    k_to = np.maximum(first_at_or_below(b_to + p.edge_delta_g) - 1, 0)
    seg_begin_to = seg_first[seg_id[starts]]
    takeoff_s = _edge_time(t, s, clipped, base=b_to, k=k_to, seg_bound=seg_begin_to, rising=False, **fit)

    # --- 3. keep real flights of plausible duration -----------------------------------------------------
    flight_ms = 1000.0 * (landing_s - takeoff_s)
    both = landing_seen & takeoff_seen
    dur_ok = ~both | ((flight_ms >= 1000.0 * p.min_flight_s) & (flight_ms <= 1000.0 * p.max_flight_s))
    keep = real & dur_ok & (landing_seen | takeoff_seen)
    starts, ends = starts[keep], ends[keep]
    landing_s, takeoff_s = landing_s[keep], takeoff_s[keep]
    landing_seen, takeoff_seen = landing_seen[keep], takeoff_seen[keep]
    k_land, k_to = k_land[keep], k_to[keep]
    flight_ms = np.where(landing_seen & takeoff_seen, flight_ms[keep], np.nan)
    if starts.size == 0:
        return empty

    # --- 4. contacts: from each landing to the take-off of the next flight ------------------------------
    fl_seg = seg_id[starts]
    nxt_seg = np.r_[fl_seg[1:], -1]
    nxt_to_seen = np.r_[takeoff_seen[1:], False]
    has_to = (nxt_seg == fl_seg) & nxt_to_seen
    c_takeoff = np.where(has_to, np.r_[takeoff_s[1:], np.nan], np.nan)
    c_k_to = np.where(has_to, np.r_[k_to[1:], -1], -1)
    c_flight_after = np.where(has_to, np.r_[flight_ms[1:], np.nan], np.nan)
    # Without a take-off in its own stretch, a contact is either cut by a gap (reported, incomplete) or
    # still going when the recording ends (a final landing: not a contact, as on a force plate).
    cut_by_gap = ~has_to & (fl_seg < seg_id[-1])
    use = landing_seen & (has_to | cut_by_gap)

    # A landing hidden in a gap: the foot is on the ground when data resume and the first take-off of that
    # stretch ends the contact, which is reported incomplete from the stretch's first sample.
    first_of_seg = np.r_[True, fl_seg[1:] != fl_seg[:-1]]
    resumed = first_of_seg & takeoff_seen & (fl_seg > 0)
    resumed_landing = t[seg_first[fl_seg[resumed]]] - t0

    land_all = np.r_[landing_s[use], resumed_landing]
    order = np.argsort(land_all, kind="stable")
    return HopContacts(
        landing_s=land_all[order],
        takeoff_s=np.r_[c_takeoff[use], takeoff_s[resumed]][order],
        flight_before_ms=np.r_[flight_ms[use], np.full(resumed_landing.size, np.nan)][order],
        flight_after_ms=np.r_[c_flight_after[use], flight_ms[resumed]][order],
        complete=np.r_[has_to[use], np.zeros(resumed_landing.size, dtype=bool)][order],
        landing_idx=np.r_[k_land[use], np.full(resumed_landing.size, -1)].astype(np.intp)[order],
        takeoff_idx=np.r_[c_k_to[use], k_to[resumed]].astype(np.intp)[order],
        params=p,
    )


def _edge_time(
    t: np.ndarray,
    s: np.ndarray,
    clipped: np.ndarray,
    *,
    base: np.ndarray,
    k: np.ndarray,
    seg_bound: np.ndarray,
    rising: bool,
    fit_top_g: float,
    fit_samples: int,
    air_floor_g: float,
) -> np.ndarray:
    """Sub-sample time (relative to ``t[0]``) where the edge through sample ``k`` meets the level ``base``.

    For a rising edge (landing) the flight side of ``k`` is ``k-1`` and the ground side ``k+1``; for a
    falling edge (take-off) they are ``k+1`` and ``k-1``. ``seg_bound`` is the last (rising) / first
    (falling) sample of the gap-free stretch, beyond which no neighbour is used.

    The edge is a least-squares line through the samples from ``k`` into the ground side while they stay
    below ``base + fit_top_g`` (at most ``fit_samples``): the foot of the edge, where it is straightest.
    With only sample ``k`` there (an edge faster than a sample), the slope is the steeper of the chords
    next to ``k`` when the ground-side chord is the steeper (the signal still rises after ``k``); otherwise
    the onset lies anywhere between ``k-1`` and ``k`` and the midpoint is the estimate of least error.
    """
    n = t.shape[0]
    step = 1 if rising else -1
    k = np.clip(k, 0, n - 1)
    tk = t[k]
    k_air = np.clip(k - step, 0, n - 1)
    dt_air = np.abs(tk - t[k_air])

    # Gather the edge: from k into the ground side while below base + fit_top_g, and from k into the air
    # side while still clearly above the flight level (those samples lie on the foot of the edge too).
    m = fit_samples
    offs = step * np.arange(-m + 1, m)
    win = k[:, None] + offs[None, :]
    inside = (win <= seg_bound[:, None]) if rising else (win >= seg_bound[:, None])
    inside &= (win >= 0) & (win < n)
    win = np.clip(win, 0, n - 1)
    ex = s[win] - base[:, None]
    ok_ground = inside[:, m - 1 :] & ~clipped[win[:, m - 1 :]] & (ex[:, m - 1 :] < fit_top_g)
    ok_ground[:, 0] = True
    ok_ground = np.cumprod(ok_ground, axis=1).astype(bool)
    ok_air = inside[:, : m - 1][:, ::-1] & (ex[:, : m - 1][:, ::-1] > air_floor_g)
    ok_air = np.cumprod(ok_air, axis=1).astype(bool)[:, ::-1]
    ok = np.concatenate([ok_air, ok_ground], axis=1)
    cnt = ok.sum(axis=1)
    x = np.where(ok, t[win] - tk[:, None], 0.0)
    y = np.where(ok, ex, 0.0)
    c = np.maximum(cnt, 1)
    xm = x.sum(axis=1) / c
    ym = y.sum(axis=1) / c
    sxx = np.where(ok, (x - xm[:, None]) ** 2, 0.0).sum(axis=1)
    sxy = np.where(ok, (x - xm[:, None]) * (y - ym[:, None]), 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope_fit = sxy / sxx  # g/s, positive for a rising edge, negative for a falling one
        # Time (relative to t[k]) where the fitted line reaches the flight level.
        x0 = xm - ym / slope_fit
    fit_ok = (cnt >= 2) & np.isfinite(x0) & (slope_fit * step > 0)
    # The flight level is reached on the air side of the fitted samples, within the fit window.
    reach = (m - 1) * dt_air + dt_air
    lo = -reach if rising else 0.0
    hi = 0.0 if rising else reach
    t_fit = tk + np.clip(x0, lo, hi)

    # Fallback for edges faster than a sample.
    k_ground = np.clip(k + step, 0, n - 1)
    ground_ok = (k_ground <= seg_bound) if rising else (k_ground >= seg_bound)
    ground_ok &= (k_ground != k) & ~clipped[k_ground] & ~clipped[k]
    dt_ground = np.abs(t[k_ground] - tk)
    excess = np.maximum(s[k] - base, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        chord_air = (s[k] - s[k_air]) / dt_air
        chord_ground = np.where(ground_ok, (s[k_ground] - s[k]) / dt_ground, -np.inf)
        back = np.where(chord_ground > chord_air, excess / chord_ground, 0.5 * dt_air)
    back = np.clip(np.nan_to_num(back, nan=0.5 * dt_air), 0.0, dt_air)
    t_chord = tk - step * back
    return np.where(fit_ok, t_fit, t_chord) - t[0]


class HopContactStream:
    """Incremental :func:`detect_hop_contacts`: feed chunks, get each contact once it is final.

    The contacts returned are exactly those of the offline detector on the concatenated samples: the
    detector runs on a buffer that starts inside an already reported contact, and a contact is released
    only once :data:`MAX_LOOKAHEAD_S` of samples follow its take-off (or its landing, when it has none),
    beyond which no later sample can change it.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate, to recognise gaps between chunks (``GAP_FACTOR`` periods).
    params
        As for :func:`detect_hop_contacts`.
    """

    def __init__(self, sample_rate_hz: float, params: ContactParams | None = None) -> None:
        if not sample_rate_hz or sample_rate_hz <= 0:
            raise AnalysisError("HopContactStream needs the nominal sample rate (Hz) of the sensor")
        self.sample_rate_hz = float(sample_rate_hz)
        self.params = params or ContactParams()
        self._t = np.empty(0)
        self._acc = np.empty((0, 3))
        self._gap_after: list[int] = []  # buffer indices i with a gap between i and i + 1
        self._t_origin: float | None = None
        self._last_landing_s = -np.inf
        self._dropped = 0

    def feed(self, t_s: np.ndarray, acc_g: np.ndarray, gaps: tuple[Gap, ...] = ()) -> HopContacts:
        """Add samples (times on the same clock as before) and return the contacts that became final."""
        t = np.asarray(t_s, dtype=np.float64)
        acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3)
        if t.size == 0:
            return self._release(final=False)
        if self._t_origin is None:
            self._t_origin = float(t[0])
        offset = self._t.size
        if offset and t[0] - self._t[-1] > GAP_FACTOR / self.sample_rate_hz:
            self._gap_after.append(offset - 1)
        self._gap_after.extend(offset + g.before_idx for g in gaps)
        self._t = np.concatenate([self._t, t])
        self._acc = np.concatenate([self._acc, acc])
        return self._release(final=False)

    def finish(self) -> HopContacts:
        """Return the contacts still held back once no more samples will come."""
        return self._release(final=True)

    def _release(self, *, final: bool) -> HopContacts:
        p = self.params
        if self._t.size < 4 or self._t_origin is None:
            return _take(detect_hop_contacts(np.zeros(0), np.zeros((0, 3)), params=p), np.zeros(0, bool))

        gaps = tuple(
            Gap(before_idx=i, start_s=float(self._t[i]), end_s=float(self._t[i + 1]), n_missing=0)
            for i in self._gap_after
            if i + 1 < self._t.size
        )
        found = detect_hop_contacts(
            self._t, self._acc, gaps=gaps, sample_rate_hz=self.sample_rate_hz, params=p
        )
        shift = float(self._t[0] - self._t_origin)
        horizon = float(self._t[-1] - self._t[0]) - MAX_LOOKAHEAD_S
        # A contact is listed only once its take-off (or the gap cutting it) is known; it is final once the
        # look-ahead after its last event has arrived.
        last_event = np.where(np.isfinite(found.takeoff_s), found.takeoff_s, found.landing_s)
        settled = last_event <= horizon
        new = found.landing_s + shift > self._last_landing_s + 1e-9
        ready = new & (final | settled)
        # Release in order only: a contact waits for every earlier one.
        ready &= np.cumprod(ready | ~new).astype(bool)
        out = _take(found, ready, shift=shift, index_shift=self._dropped)
        if np.any(ready):
            self._last_landing_s = float(out.landing_s[-1])
            # Restart the buffer inside the last released contact: just after its landing edge, where no
            # flight run and no edge neighbourhood of a later event can begin.
            i_last = int(np.flatnonzero(ready)[-1])
            k = int(found.landing_idx[i_last])
            cut = k + 2 if k >= 0 else 0
            if not final and 0 < cut < self._t.size:
                self._t = self._t[cut:]
                self._acc = self._acc[cut:]
                self._gap_after = [i - cut for i in self._gap_after if i - cut >= 0]
                self._dropped += cut
        return out


def _take(found: HopContacts, mask: np.ndarray, shift: float = 0.0, index_shift: int = 0) -> HopContacts:
    return HopContacts(
        landing_s=found.landing_s[mask] + shift,
        takeoff_s=found.takeoff_s[mask] + shift,
        flight_before_ms=found.flight_before_ms[mask],
        flight_after_ms=found.flight_after_ms[mask],
        complete=found.complete[mask],
        landing_idx=np.where(found.landing_idx[mask] >= 0, found.landing_idx[mask] + index_shift, -1),
        takeoff_idx=np.where(found.takeoff_idx[mask] >= 0, found.takeoff_idx[mask] + index_shift, -1),
        params=found.params,
    )


def contacts_from_data(data: ImuData, params: ContactParams | None = None) -> HopContacts:
    """:func:`detect_hop_contacts` on an :class:`~imu_app.core.ImuData`, using its range and gaps."""
    p = params or ContactParams()
    if p.acc_range_g is None and data.meta.acc_range_g:
        p = ContactParams(**{**p.__dict__, "acc_range_g": float(data.meta.acc_range_g)})
    gaps = data.gaps if data.gaps else find_gaps(data.t_s, data.sample_rate_hz, data.seq)
    return detect_hop_contacts(data.t_s, data.acc_g, gaps=gaps, sample_rate_hz=data.sample_rate_hz, params=p)
