"""Ground contacts of hops: landing and take-off of the instrumented foot, to a fraction of a sample.

The detector reads the magnitude of the specific force, which does not depend on how the sensor is strapped
on, so no axis and no orientation is needed. It is a handful of vectorised passes over the samples (cost
linear in the length of the recording) and every decision is local in time, which is what lets the
streaming wrapper (:class:`HopContactStream`) reproduce the offline events exactly.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from imu_app.analysis._orientation import in_spans
from imu_app.core import GAP_FACTOR, AnalysisError, Gap, ImuData, find_gaps

if TYPE_CHECKING:
    from imu_app.analysis._conditioning import Conditioned

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
        and every touch-down adds an impact well above it. Excursions above it are merged too when they
        carry no impact (see ``landing_min_rate_g_s``) and no stance: the magnitude held above it for
        ``min_contact_s`` is a foot carrying the body through a push-off (a landing's ringing dips before it
        are no flight to join the next one to), while the leg's humps in the air last 30-80 ms.
    landing_min_peak_g
        A landing must be followed within ``landing_window_s`` by a specific force of at least this much.
        Every landing on a foot decelerates the falling shank within milliseconds: hops, drop jumps and
        even soft landings show 3-10 g at the ankle. An unloading dip on the ground (a quick
        countermovement, stepping down) or the swing of walking can bring the magnitude below
        ``flight_max_g`` but returns to 1-1.5 g without an impact; 2 g separates the two. From 200 Hz up
        (``impact_rise_s`` spans three samples or more) an impact must also rise this much above the sample
        its steep rise starts from: just before touch-down the leg's reach brakes the foot at up to about
        2 g (1.6-1.9 g on the real shoe-worn drop jumps), which on an ankle or shank in a short hop lifts
        the magnitude from near 0 g to 2 g within 10-15 ms, a rise an impact, adding several g, exceeds.
    landing_min_rate_g_s, landing_min_step_g
        ... and the magnitude must rise at least this fast somewhere in that window: by
        ``landing_min_rate_g_s`` (g/s), or by ``landing_min_step_g`` from one sample to the next when that
        is less (low rates). An impact stops the foot within a few milliseconds: on the simulator its rise
        exceeds 1000 g/s at 400 Hz and above and 200 g/s at 104 Hz, and at 52 Hz, where the sensor's
        anti-alias filter spreads it over a sample, at least 1.3 g per sample. The leg swinging and reaching
        in the air of a forward hop (1-2 g at the ankle) and a push-off from the ground rise over 30 ms or
        more: below 100 g/s and below 0.9 g per sample at 52 Hz. An excursion between two candidate
        flights without such an impact is the leg moving in the air, and the two are one flight.
    impact_rise_s
        An impact's rise reaches ``landing_min_peak_g`` within this long (at least two samples) after its
        first steep sample: a foot meeting the ground stops within milliseconds, while the leg's reach
        before it lifts the magnitude by 1-2 g over 50-100 ms and can rise as fast as an impact for one
        sample at low rates.
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
    takeoff_search_s
        The flight level after a take-off is looked for this far into the flight (the lowest 5 ms
        mean): a step-off, where the support fades over 0.1-0.15 s, reaches the free-fall
        level only this late after the magnitude fell below ``flight_max_g``.
    edge_fit_top_g, edge_fit_s
        The edge is fitted by a straight line over its foot: from ``edge_delta_g`` up to this far above
        the flight level, over at most ``edge_fit_s``. The foot of an edge is where it is straightest (an
        impact curves over into its peak, a push-off into its plateau); 0.5 g spans at least 0.4 g of it,
        which at 1 kHz is several samples even for a steep landing, and 20 ms bounds it on slow edges.
    landing_reach_s, takeoff_swing_s, reach_hump_g
        Just before touch-down the leg reaches for the ground and lifts the ankle's magnitude to 1-2 g for
        50-150 ms (100 ms on real shoe-worn drop jumps, up to 0.25 s after the dip of a long flight). The
        sensor's anti-alias filter at low rates (23 Hz at 52 Hz, 47 Hz at 104 Hz) smooths the short dip
        back towards free fall between that reach and the impact, so the flight's last sample below
        ``flight_max_g`` can come before the reach. A flight therefore ends at the first impact within
        ``landing_reach_s`` (0.3 s) after its last low sample; when the magnitude between them forms a hump
        (it rises at least ``reach_hump_g`` above the sample from which the impact rises, far above sensor
        noise) or when that sample lies ``min_flight_s`` or more after the last low one (at 52 Hz the
        filter leaves no hump between a slow reach and the impact), the impact rises from that sample, not
        from the flight level. The same holds, mirrored, after a take-off: the swing of a fast hop can lift
        the magnitude before it dips below ``flight_max_g``, and the take-off is then the end of the
        push-off's steep fall into the local minimum before that swing (below ``swing_bottom_max_g``: the
        leg moving after toe-off reads 0.5-1.4 g there, while a foot carrying the body reads more), at most
        ``takeoff_swing_s`` before the dip and not within ``min_contact_s`` of the landing.
        0.15 s covers the reach and the swing on the
        simulator at 52-1666 Hz except a few swings at 52 Hz (up to 175 ms), and is far shorter than the
        swing of a walking step; 0.2 s would take the decay of some landing impacts at 104 Hz for the end
        of a push-off.
    valley_prominence_g
        The valley of a take-off lies below the push-off's hump by at least this much: the support force
        above body weight lifts the magnitude 1-3 g above the valley, a foot's ripples while it carries the
        body (a landing's decay, sway) less. The leg's swing after the valley only has to rise
        ``reach_hump_g`` above it: its size is that of the leg's own motion in the air, which at the ankle
        and shank of a long flight can be 0.4-0.6 g, and a 10-ms mean over a V of such a hump takes another
        0.1 g off it.
    valley_search_s
        How far before a candidate flight the take-off's valley is looked for (never before the previous
        landing plus ``min_contact_s``). On a limb the magnitude dips below ``flight_max_g`` where the leg's
        motion relative to the body reverses, near mid-flight, up to some 0.25 s after a take-off on
        flights of 0.4-0.5 s (shank-worn drop jumps on the simulator; 0.1-0.15 s on the shorter real
        shoe-worn ones): 0.4 s covers flights up to about 0.8 s.
    valley_smooth_s
        Without a release, the take-off is the valley between the push-off and the leg's swing in the air
        (see :func:`_valley_takeoffs`), found on the magnitude smoothed over at most this long: it spans
        the mount's ringing (55-200 Hz) and keeps the valley's timing to a few milliseconds; at 104 Hz and
        below no smoothing (a 3-sample mean would spread a one-sample valley over 29 ms).
    antialias_cutoff_ratio
        Cut-off of the sensor's anti-alias low-pass as a fraction of the sample rate (MEMS accelerometers
        set their default bandwidth near half the output rate; the simulator uses a 2nd-order Butterworth at
        0.45 x rate). ``None`` when the data are not low-pass filtered. It delays every edge by the filter's
        group delay (4.8 ms at 104 Hz, 0.3 ms at 1666 Hz), which is removed from the event times, and it
        turns an impact faster than a sample into the filter's step response, from which the onset is read
        to a fraction of a sample (see :func:`detect_hop_contacts`).
    acc_range_g
        Full-scale range of the accelerometer when known; samples at it are clipped and are not used to
        estimate the slope of an edge. Without it a clipped sample is recognised as an exact repeat of a
        value above 2 g on the same axis (a saturated converter repeats its largest code).
    min_contact_s
        A take-off is not looked for within this long after the previous landing: the landing's impact
        rings for several tens of milliseconds, and the shortest reactive contacts of hops last about
        0.1 s.
    impact_foot_s
        An impact rises from the last local minimum before its first steep sample when that minimum lies at
        most this far before it; otherwise the sample its steep rise starts from is its foot. A limb
        reaching for the ground lifts the magnitude smoothly for 50-100 ms before touch-down (a real shoe
        sensor reads 1.2-2.5 g there): the bottom of that reach is not the touch-down, the start of the
        impact's steep rise is. 7.5 ms keeps the foot of an impact blurred over a few samples by the
        anti-alias filter.
    release_min_jerk_g_s, release_jerk_per_hz2, release_min_rate_hz
        A push-off that ends in a release transient: the support force vanishes within milliseconds as the
        toes leave the ground, the sole and the sensor's strap spring back, and a foot-worn sensor reads a
        spike of 3-9 g that rises several g within one 2.5-ms sample (real drop jumps, shoe sensor at
        400 Hz), followed by the smooth motion of the leg in the air. Such a spike has a vector jerk
        ``|a[k] - a[k-1]| / dt`` of at least ``release_min_jerk_g_s``, which the push-off itself (below
        600 g/s) and the leg's motion in flight (below 200 g/s) do not reach. Below about 300 Hz the
        sensor's anti-alias filter spreads the 2-3-ms spike over two samples, and its steepness falls with
        the square of the rate: the threshold is then ``release_jerk_per_hz2`` times the rate squared
        (110 g/s at 100 Hz, where a push-off stays below 60 g/s). Below ``release_min_rate_hz`` nothing of
        the spike is left to time and the take-off is read from the edge of the flight.
    release_search_s
        How far before a candidate flight (the magnitude's dip) the release is looked for: on the real
        recordings the dip starts 100-150 ms after the take-off.
    release_cluster_s
        Samples of the release and its ringing closer than this belong to one release: it spans a period of
        the mount's resonance (a shoe rings at 55-200 Hz after the release).
    release_delay_s
        The release follows the take-off: the force plate reads the take-off when the vertical force falls
        below its threshold, and the sole lets go of the ground and springs back a little later. On the five
        real drop jumps the spike's steep rise begins 6.5-11.3 ms (mean 10.0, SD 1.7) after the force
        plate's take-off (``benchmarks/bench_dropjump_real.py``); this delay is removed.
    """

    flight_max_g: float = 0.6
    min_flight_s: float = 0.03
    max_flight_s: float = 1.2
    merge_max_g: float = 1.0
    landing_min_peak_g: float = 2.0
    landing_min_rate_g_s: float = 200.0
    landing_min_step_g: float = 1.1
    landing_window_s: float = 0.06
    impact_rise_s: float = 0.01
    edge_delta_g: float = 0.1
    baseline_s: float = 0.02
    takeoff_search_s: float = 0.1
    edge_fit_top_g: float = 0.5
    edge_fit_s: float = 0.02
    step_min_period_s: float = 0.007
    landing_reach_s: float = 0.3
    takeoff_swing_s: float = 0.2
    swing_bottom_max_g: float = 1.5
    valley_smooth_s: float = 0.01
    valley_prominence_g: float = 0.5
    valley_search_s: float = 0.4
    reach_hump_g: float = 0.2
    min_contact_s: float = 0.08
    impact_foot_s: float = 0.0075
    release_min_jerk_g_s: float = 1000.0
    release_jerk_per_hz2: float = 0.011
    release_min_rate_hz: float = 80.0
    release_search_s: float = 0.25
    release_cluster_s: float = 0.025
    release_delay_s: float = 0.010
    antialias_cutoff_ratio: float | None = 0.45
    acc_range_g: float | None = None


#: Every event of :func:`detect_hop_contacts` is final once the samples up to this long after it are known:
#: a take-off is confirmed by the landing that ends its flight (at most ``max_flight_s`` later, plus the
#: leg's reach and the landing's impact window); a landing needs its impact window and baseline. With the
#: default parameters that is 1.2 + 0.15 + 0.06 s plus a few samples of edge; 1.5 s bounds it.
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
    final_landing_s
        Touch-down of the final landing that the recording ends on (the foot still down at the last sample),
        NaN if there is none. It is no contact, but an analysis of what follows a landing (a hold) needs it.
    final_flight_before_ms
        Duration of the flight that ended at ``final_landing_s`` (NaN when there is none or its take-off was
        not seen).
    """

    landing_s: np.ndarray
    takeoff_s: np.ndarray
    flight_before_ms: np.ndarray
    flight_after_ms: np.ndarray
    complete: np.ndarray
    landing_idx: np.ndarray
    takeoff_idx: np.ndarray
    params: ContactParams = field(default_factory=ContactParams)
    final_landing_s: float = float("nan")
    final_flight_before_ms: float = float("nan")

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
    # Axis by axis: a reduction over the short axis of an (n, 3) array costs more than three column passes.
    n = acc.shape[0]
    out = np.zeros(n, dtype=bool)
    for j in range(acc.shape[1]):
        col = acc[:, j]
        if acc_range_g:
            out |= np.abs(col) >= 0.995 * acc_range_g
            continue
        big = np.abs(col) > 2.0
        if not big.any():
            continue
        same = np.zeros(n, dtype=bool)
        eq = col[1:] == col[:-1]
        same[1:] = eq
        same[:-1] |= eq
        out |= same & big
    return out


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
    if last_open.any():
        out[last_open] = ufunc(out[last_open], x[-1])
    return out


def _clip_idx(i: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``np.clip`` for index arrays, without its dispatch overhead (many calls on a few elements each)."""
    return np.minimum(np.maximum(i, lo), hi)


def _cumsum0(x: np.ndarray) -> np.ndarray:
    """Running sum of ``x`` with a leading 0, so that ``out[hi] - out[lo]`` is the sum of ``x[lo:hi]``."""
    out = np.empty(x.shape[0] + 1)
    out[0] = 0.0
    np.cumsum(x, out=out[1:])
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
    landed_at_idx: int | None = None,
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
    landed_at_idx
        Index (negative: before ``t_s[0]``) of a landing just before the samples given, or ``None``. A
        stream that restarts its buffer just after a landing passes it, so that a push-off's end is looked
        for no earlier than ``min_contact_s`` after that landing, as on the whole recording.

    Returns
    -------
    HopContacts
        One entry per landing, time-ordered.

    Notes
    -----
    1. *Flights.* In the air the body is in free fall and an accelerometer on it reads nearly 0 g whatever
       its orientation [1]_; on the ground the foot carries the body and the ankle reads 1 g or more.
       Runs of samples with ``|a| < flight_max_g`` are candidate flights; runs split by a brief excursion
       without impact are merged; a flight must last ``min_flight_s``-``max_flight_s`` and end in an impact
       (``landing_min_peak_g``), the signature of the foot meeting the ground.
    2. *Edges to a fraction of a sample.* The flight level ``b`` is the mean magnitude of the 20 ms of flight
       next to the edge (it is not 0 on a real shank); after a take-off, the bottom of the V the magnitude
       makes before the swinging leg lifts it again. The first sample ``k`` beyond ``b + edge_delta_g`` is
       the first one on the edge; a straight line fitted through the foot of the edge (or, for an edge
       faster than a sample, the steeper chord next to ``k``) meets ``b`` at the event. At low rates the
       leg's reach before touch-down and its swing after take-off can hide the dip to the flight level
       (``landing_reach_s``): the edge then rises from / falls into the local minimum next to the impact /
       the end of the push-off.
    3. *The sensor's anti-alias filter* (``antialias_cutoff_ratio``) delays every edge by its group delay,
       which is removed from the events, so that instants and not only durations are right. A landing
       faster than the filter (at 52-104 Hz the impact rises within a few milliseconds, the filter's step
       response takes a sample period) is read from the filter's step response instead: the first sample on
       the edge holds the fraction ``r(t_k - onset)`` of the step, which places the onset to about a
       millisecond where the sample grid alone leaves half a period (:func:`_filtered_step_onset`). Shank
       impacts need several hundred Hz to be resolved [4]_; this recovers their timing, not their peak.
    4. *Contacts.* A contact runs from a landing to the next take-off in the same gap-free stretch. Flight
       time is from the previous take-off to this landing, as a force plate or an optical system measures
       it [3]_. Contact and flight times from foot-worn inertial sensors have been validated against force
       plates in running [2]_.

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
       power in jumping. European Journal of Applied Physiology and Occupational Physiology, 50(2),
       273-282.
       https://doi.org/10.1007/BF00422166
    .. [4] Mitschke, C., Zaumseil, F., & Milani, T. L. (2017). The influence of inertial sensor sampling
       frequency on the accuracy of measurement parameters in rearfoot running. Computer Methods in
       Biomechanics and Biomedical Engineering, 20, 1502-1511. https://doi.org/10.1080/10255842.2017.1382482
    """
    return _detect(
        t_s, acc_g, gaps=gaps, sample_rate_hz=sample_rate_hz, params=params, landed_at_idx=landed_at_idx
    )[0]


@dataclass(frozen=True)
class _Runs:
    """The candidate flights of one call of :func:`_detect`, for :class:`HopContactStream` to tell which
    contacts later samples can still change: the runs after merging and before the duration filter
    (first and last sample), and the first sample of the last run before merging (-1 when none)."""

    starts: np.ndarray
    ends: np.ndarray
    last_start: int


def _detect(
    t_s: np.ndarray,
    acc_g: np.ndarray,
    *,
    gaps: tuple[Gap, ...] | list[Gap] = (),
    sample_rate_hz: float | None = None,
    params: ContactParams | None = None,
    landed_at_idx: int | None = None,
) -> tuple[HopContacts, _Runs]:
    """:func:`detect_hop_contacts`, and the candidate flights it worked on."""
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
    no_runs = _Runs(starts=np.empty(0, dtype=np.intp), ends=np.empty(0, dtype=np.intp), last_start=-1)
    if n < 4:
        return empty, no_runs
    t0 = t[0]
    period_s = 1.0 / sample_rate_hz if sample_rate_hz else float(np.median(np.diff(t)))
    s = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    clipped = _clipped(acc, p.acc_range_g)
    # A gap shorter than the shortest flight cannot hide a take-off and a landing: the samples either side
    # belong to one contact or one flight, and the edges next to it are fitted on the real sample times.
    # Only longer gaps cut the recording into stretches in which nothing is inferred across the gap.
    gaps = [g for g in gaps if g.end_s - g.start_s >= p.min_flight_s]
    seg_start = _segment_starts(n, gaps)
    seg_id = np.cumsum(seg_start) - 1
    seg_first = np.flatnonzero(seg_start)
    seg_last = np.concatenate((seg_first[1:] - 1, [n - 1]))

    # --- 1. candidate flights: runs of low magnitude, never across a gap --------------------------------
    low = s < p.flight_max_g
    prev_low = np.zeros(n, dtype=bool)
    prev_low[1:] = low[:-1] & ~seg_start[1:]
    next_low = np.zeros(n, dtype=bool)
    next_low[:-1] = low[1:] & ~seg_start[1:]
    starts = np.flatnonzero(low & ~prev_low)
    ends = np.flatnonzero(low & ~next_low)  # inclusive
    if starts.size == 0:
        return empty, no_runs
    last_start = int(starts[-1])

    # Rise rate of the magnitude from each sample to the next (none across a gap).
    rise = np.zeros(n)
    rise[:-1] = np.diff(s) / np.maximum(np.diff(t), 1e-9)
    rise[:-1][seg_start[1:]] = 0.0
    win = max(2, round(p.landing_window_s / period_s) + 1)
    min_rate = min(p.landing_min_rate_g_s, p.landing_min_step_g / period_s)

    def impact_after(last_low: np.ndarray, seg_end: np.ndarray) -> np.ndarray:
        """Whether an impact follows the last low sample before a rise (see ``landing_min_rate_g_s``)."""
        lo = np.minimum(last_low + 1, n - 1)
        hi = np.maximum(np.minimum(last_low + 1 + win, seg_end + 1), lo + 1)
        peak = _window_reduce(np.maximum, s, lo, hi)
        rate = _window_reduce(np.maximum, rise, last_low, np.maximum(hi - 1, last_low + 1))
        return (peak >= p.landing_min_peak_g) & (rate >= min_rate)

    # Impact starts: samples from which the magnitude rises at least min_rate to the next sample and reaches
    # landing_min_peak_g within the impact window (same segment).
    cand = np.flatnonzero(rise >= min_rate)
    cand_lo = np.minimum(cand + 1, n - 1)
    # The rise must carry on into the impact: a leg's reach lifts the magnitude by a sample's worth at low
    # rates too, but stops short of landing_min_peak_g.
    rise_win = max(2, round(p.impact_rise_s / period_s) + 1)
    cand_hi = np.maximum(np.minimum(cand + 1 + rise_win, seg_last[seg_id[cand]] + 1), cand_lo + 1)
    # Where the window resolves the rise (three samples or more), the impact must rise landing_min_peak_g
    # above the sample it starts from: the leg's reach brakes the foot at up to about 2 g before the
    # touch-down (1.6-1.9 g on the real shoe-worn drop jumps) and can lift the magnitude from the flight
    # level to 2 g within 10 ms, while an impact adds several g to whatever the reach read. At lower rates
    # the anti-alias filter blends the reach into the impact's first sample, and its peak must reach
    # landing_min_peak_g.
    rise_from = s[cand] if rise_win >= 3 else 0.0
    impacts = cand[_window_reduce(np.maximum, s, cand_lo, cand_hi) - rise_from >= p.landing_min_peak_g]
    impacts_end = np.concatenate((impacts, [n]))

    def first_impact(after: np.ndarray) -> np.ndarray:
        """Index of the first impact start at or after each index (n when there is none)."""
        j = np.searchsorted(impacts, after, side="left")
        return impacts_end[j]

    # Merge runs split by an excursion without impact (same segment only): the leg moving in the air. The
    # whole excursion is searched: after the leg's reach the impact can come later than landing_window_s
    # after the last low sample (see ``landing_reach_s``).
    if starts.size > 1:
        between_lo = ends[:-1] + 1
        between_hi = starts[1:]
        peak_between = _window_reduce(np.maximum, s, between_lo, between_hi)
        same_seg = (seg_id[between_lo] == seg_id[between_hi]) & (seg_id[between_lo - 1] == seg_id[between_lo])
        no_impact = first_impact(ends[:-1]) >= between_hi
        joined_span = t[ends[1:]] - t[starts[:-1]]
        # ... but not across a stance: the magnitude held above merge_max_g for min_contact_s or more is a
        # foot carrying the body (a push-off after a landing's ringing dips), not the leg moving in the air.
        above = s >= p.merge_max_g
        changes = np.empty(n, dtype=bool)
        changes[0] = True
        np.not_equal(above[1:], above[:-1], out=changes[1:])
        run_id = np.cumsum(changes)
        run_first = np.flatnonzero(changes)
        first_of = run_first[run_id - 1]
        held = np.where(above, t - t[first_of], 0.0)
        stance_between = _window_reduce(np.maximum, held, between_lo, np.maximum(between_hi, between_lo + 1))
        no_stance = stance_between < p.min_contact_s
        join = (
            (peak_between < p.merge_max_g) | (no_impact & no_stance & (joined_span <= p.max_flight_s))
        ) & same_seg
        keep_start = np.concatenate(([True], ~join))
        keep_end = np.concatenate((~join, [True]))
        starts, ends = starts[keep_start], ends[keep_end]

    runs = _Runs(starts=starts, ends=ends, last_start=last_start)

    # Coarse duration filter before the precise edges (edges move each end by at most one period). Runs
    # too short to be a flight are kept: the leg's swing and reach can hide all but a sample or two of a
    # short flight at low rates (see ``landing_reach_s``); the precise duration decides.
    span = t[ends] - t[starts]
    ok = span <= p.max_flight_s + 2 * period_s
    starts, ends = starts[ok], ends[ok]
    if starts.size == 0:
        return empty, runs

    # Is each edge observed? A run touching a segment boundary had its edge hidden in the gap (or before
    # the first / after the last sample).
    takeoff_seen = starts > seg_first[seg_id[starts]]
    landing_seen = ends < seg_last[seg_id[ends]]

    csum = _cumsum0(s)
    w = max(1, round(p.baseline_s / period_s))
    run_len = ends - starts + 1
    wb = np.minimum(w, run_len)

    run_of = np.full(n, -1, dtype=np.intp)
    in_run = in_spans(n, starts, ends + 1)
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
    # (The tolerance keeps a one-sample mean, as at 52 Hz, from missing its own sample by a rounding error.)
    l1 = last_at_or_below(b1 + 1e-9)
    b_land = _window_mean(csum, np.maximum(starts, l1 + 1 - w), l1 + 1)
    # First sample of the final rise: one past the last sample of the run at or below b + delta.
    k_land = np.minimum(last_at_or_below(b_land + p.edge_delta_g) + 1, n - 1)

    # Impact check and edge timing need the samples after the landing in the same segment.
    seg_end_land = seg_last[seg_id[ends]]
    real = impact_after(np.maximum(k_land - 1, 0), seg_end_land)
    # The leg's reach before touch-down (see ``landing_reach_s``): the first impact after the run, when a
    # hump lies between them, rises from the last local minimum before it.
    j_imp = first_impact(ends)
    j_ok = (j_imp < n) & (j_imp <= seg_end_land)
    j_imp = np.minimum(j_imp, n - 1)
    reach_ok = j_ok & (t[j_imp] - t[ends] <= p.landing_reach_s)
    # The impact rises from its own foot: the last local minimum just before the steep rise, or the sample
    # the steep rise starts from when the reach itself rises into the impact (a limb reaching for the ground).
    not_rising = np.zeros(n, dtype=bool)
    np.less_equal(s[1:], s[:-1], out=not_rising[1:])
    last_min = np.maximum.accumulate(np.where(not_rising, np.arange(n), -1))
    near = j_imp - last_min[j_imp] <= max(1, round(p.impact_foot_s / period_s))
    foot = np.maximum(np.where(near, last_min[j_imp], j_imp), ends)
    hump = _window_reduce(np.maximum, s, ends, foot + 1) - s[foot]
    # The impact rises from the reach, not from the flight level, when a hump lies between the flight and
    # the impact, when the impact comes min_flight_s or more after the flight, or when its foot lies above
    # merge_max_g (a leg reaching for the ground, not a body in the air).
    lifted = (hump >= p.reach_hump_g) | (t[foot] - t[ends] >= p.min_flight_s) | (s[foot] >= p.merge_max_g)
    reach = reach_ok & (foot > ends) & lifted
    b_land = np.where(reach, s[foot], b_land)
    k_land = np.where(reach, np.minimum(foot + 1, n - 1), k_land)
    real = (real | reach) & landing_seen | ~landing_seen
    landing_s = _edge_time(t, s, clipped, base=b_land, k=k_land, seg_bound=seg_end_land, rising=True, **fit)
    if p.antialias_cutoff_ratio:
        cutoff_hz = p.antialias_cutoff_ratio / period_s
        onset_s, fast = _filtered_step_onset(t, s, clipped, base=b_land, k=k_land, cutoff_hz=cutoff_hz)
        fast &= (k_land + 2 <= seg_end_land) & (period_s >= p.step_min_period_s)
        landing_s = np.where(fast, onset_s, landing_s - _group_delay_s(cutoff_hz))

    # --- 2b. take-offs ----------------------------------------------------------------------------------
    # The flight level after the take-off: the lowest 5 ms mean that starts in the first takeoff_search_s
    # of the run. A push-off ends within a few samples, but a step-off (the foot leaving a box without a
    # push) fades over 0.1 s or more, the run below flight_max_g starts on that ramp, and the swinging leg
    # may lift the magnitude again right after the take-off: the bottom of that V is the free-fall level.
    # A short mean keeps the bottom (a 20 ms mean would sit on both flanks of the V) and still halves the
    # noise at high rates.
    ws = max(1, round(0.005 / period_s))
    search = max(1, round(p.takeoff_search_s / period_s))
    m_hi = np.minimum(starts + search, np.maximum(ends + 1 - ws, starts)) + 1
    means = np.full(n, np.inf)
    means[: n - ws + 1] = (csum[ws:] - csum[:-ws]) / ws
    # The bottom of the V is the lowest mean before the magnitude rises again by edge_delta_g: the swing of
    # a fast hop lifts it to 1-1.5 g within 20-40 ms of the take-off and can dip once more later in the
    # search window (at 104 Hz the anti-alias filter leaves that first bottom a single sample).
    offs = np.arange(search + 1)
    w_idx = starts[:, None] + offs[None, :]
    valid = w_idx < m_hi[:, None]
    m_win = np.where(valid, means[np.minimum(w_idx, n - 1)], np.inf)
    m_low = np.minimum.accumulate(m_win, axis=1)
    risen = valid & (m_win > m_low + p.edge_delta_g)
    bottom_at = np.where(risen.any(axis=1), risen.argmax(axis=1) - 1, search)
    b_v = m_low[np.arange(starts.size), np.maximum(bottom_at, 0)]
    b_to = np.where(run_len >= ws, b_v, _window_mean(csum, starts, ends + 1))
    k_to = np.maximum(first_at_or_below(b_to + p.edge_delta_g) - 1, 0)
    seg_begin_to = seg_first[seg_id[starts]]
    # The mirror of the leg's reach: a fast hop swings the leg forward right after the push-off, and at low
    # rates the filtered dip between the push-off and that swing stays above flight_max_g, so the run starts
    # after the swing. The take-off is then the last steep fall (the push-off ending) before the run, into
    # the local minimum after it, when a hump of at least reach_hump_g follows that minimum.
    falls = np.flatnonzero(-rise >= min_rate)
    jf = np.searchsorted(falls, starts, side="left") - 1
    f_i = np.concatenate((falls, [0]))[np.maximum(jf, 0)] if falls.size else np.zeros_like(starts)
    rising_next = np.ones(n, dtype=bool)
    np.greater(s[1:], s[:-1], out=rising_next[:-1])
    next_min = np.minimum.accumulate(np.where(rising_next, np.arange(n), n)[::-1])[::-1]
    bottom = np.minimum(next_min[np.minimum(f_i + 1, n - 1)], n - 1)
    swing = (jf >= 0) & (bottom < starts) & (seg_id[f_i] == seg_id[starts])
    # The foot is off the ground at that minimum: below merge_max_g, which a foot carrying the body exceeds
    # (the decay of a landing impact into the contact, 1.5 g and more, is not a take-off).
    swing &= (t[starts] - t[bottom] <= p.takeoff_swing_s) & takeoff_seen & (s[bottom] < p.swing_bottom_max_g)
    # ... and the push-off's fall comes min_contact_s or more after the landing before it (the foot stays
    # down that long; a fall while that landing rings is no push-off ending). Before the first run, the
    # landing is the caller's (a stream that cut its buffer just after a landing says where it was).
    first_land = -(10**9) if landed_at_idx is None else int(landed_at_idx)
    prev_run_land = np.concatenate(([first_land], k_land[:-1]))
    run_seg = seg_id[starts]
    same_seg_as_prev = np.concatenate(([True], run_seg[1:] == run_seg[:-1]))
    prev_run_land = np.where(same_seg_as_prev, prev_run_land, -(10**9))
    swing &= f_i >= prev_run_land + round(p.min_contact_s / period_s)
    swing_hump = _window_reduce(np.maximum, s, bottom, np.maximum(starts, bottom + 1)) - s[bottom]
    swing &= swing_hump >= p.reach_hump_g
    b_to = np.where(swing, s[bottom], b_to)
    k_to = np.where(swing, np.maximum(bottom - 1, 0), k_to)
    edge_takeoff_s = _edge_time(t, s, clipped, base=b_to, k=k_to, seg_bound=seg_begin_to, rising=False, **fit)
    # A limb-worn sensor need not fall to the flight level at take-off: where the push-off ends in a release
    # transient, the take-off is read from it (see ``release_delay_s``), looked for after the previous
    # flight's landing and its ringing (``min_contact_s``).
    # The previous landing is that of the last candidate whose flight between its edges is plausible: a dip
    # of the magnitude while a release or a landing rings is no flight and ends in no landing.
    # A dip of the magnitude while a landing still rings is no flight either: the foot stays down for at
    # least min_contact_s after a landing (the shortest reactive contacts last about 0.1 s).
    plausible = (landing_s - edge_takeoff_s) >= p.min_flight_s
    ringing = _ringing_dips(
        t,
        starts,
        seg_id=seg_id,
        landing_s=landing_s + t0,
        plausible=plausible,
        min_contact_s=p.min_contact_s,
        landed_at_s=None if landed_at_idx is None else t0 + landed_at_idx * period_s,
    )
    plausible &= ~ringing
    prev = np.concatenate(([-1], np.maximum.accumulate(np.where(plausible, np.arange(starts.size), -1))[:-1]))
    same = (prev >= 0) & (seg_id[starts[np.maximum(prev, 0)]] == seg_id[starts])
    prev_land = np.where(same, k_land[np.maximum(prev, 0)], -1)
    not_before = np.maximum(seg_begin_to, prev_land + round(p.min_contact_s / period_s))
    release_s, release_k = _release_takeoffs(
        t, s, acc, not_before=not_before, run_starts=starts, p=p, period_s=period_s
    )
    valley_s, valley_k = _valley_takeoffs(
        t, s, not_before=not_before, run_starts=starts, p=p, period_s=period_s
    )
    released = takeoff_seen & (release_k >= 0)
    valleyed = takeoff_seen & ~released & (valley_k >= 0)
    takeoff_s = np.where(released, release_s, np.where(valleyed, valley_s, edge_takeoff_s))
    k_to = np.where(released, release_k, np.where(valleyed, valley_k, k_to))
    if p.antialias_cutoff_ratio:
        takeoff_s = takeoff_s - _group_delay_s(p.antialias_cutoff_ratio / period_s)
        edge_takeoff_s = edge_takeoff_s - _group_delay_s(p.antialias_cutoff_ratio / period_s)
    # A dip while a landing still rings is no flight: its flight between the edges is too short (step 3).
    edge_flight_ms = 1000.0 * (landing_s - edge_takeoff_s)

    # --- 3. keep real flights of plausible duration -----------------------------------------------------
    flight_ms = 1000.0 * (landing_s - takeoff_s)
    both = landing_seen & takeoff_seen
    shortest_ms = np.minimum(flight_ms, edge_flight_ms)
    dur_ok = ~both | ((shortest_ms >= 1000.0 * p.min_flight_s) & (flight_ms <= 1000.0 * p.max_flight_s))
    keep = real & dur_ok & (landing_seen | takeoff_seen) & ~ringing
    starts, ends = starts[keep], ends[keep]
    landing_s, takeoff_s = landing_s[keep], takeoff_s[keep]
    landing_seen, takeoff_seen = landing_seen[keep], takeoff_seen[keep]
    k_land, k_to = k_land[keep], k_to[keep]
    flight_ms = np.where(landing_seen & takeoff_seen, flight_ms[keep], np.nan)
    if starts.size == 0:
        return empty, runs

    # --- 4. contacts: from each landing to the take-off of the next flight ------------------------------
    fl_seg = seg_id[starts]
    nxt_seg = np.concatenate((fl_seg[1:], [-1]))
    nxt_to_seen = np.concatenate((takeoff_seen[1:], [False]))
    has_to = (nxt_seg == fl_seg) & nxt_to_seen
    c_takeoff = np.where(has_to, np.concatenate((takeoff_s[1:], [np.nan])), np.nan)
    c_k_to = np.where(has_to, np.concatenate((k_to[1:], [-1])), -1)
    c_flight_after = np.where(has_to, np.concatenate((flight_ms[1:], [np.nan])), np.nan)
    # Without a take-off in its own stretch, a contact is either cut by a gap (reported, incomplete) or
    # still going when the recording ends (a final landing: not a contact, as on a force plate).
    cut_by_gap = ~has_to & (fl_seg < seg_id[-1])
    use = landing_seen & (has_to | cut_by_gap)

    # A landing hidden in a gap: the foot is on the ground when data resume and the first take-off of that
    # stretch ends the contact, which is reported incomplete from the stretch's first sample.
    first_of_seg = np.concatenate(([True], fl_seg[1:] != fl_seg[:-1]))
    resumed = first_of_seg & takeoff_seen & (fl_seg > 0)
    resumed_landing = t[seg_first[fl_seg[resumed]]] - t0

    land_all = np.concatenate((landing_s[use], resumed_landing))
    order = np.argsort(land_all, kind="stable")
    final = landing_seen & ~has_to & ~cut_by_gap
    n_res = resumed_landing.size
    contacts = HopContacts(
        final_landing_s=float(landing_s[final][-1]) if final.any() else float("nan"),
        final_flight_before_ms=float(flight_ms[final][-1]) if final.any() else float("nan"),
        landing_s=land_all[order],
        takeoff_s=np.concatenate((c_takeoff[use], takeoff_s[resumed]))[order],
        flight_before_ms=np.concatenate((flight_ms[use], np.full(n_res, np.nan)))[order],
        flight_after_ms=np.concatenate((c_flight_after[use], flight_ms[resumed]))[order],
        complete=np.concatenate((has_to[use], np.zeros(n_res, dtype=bool)))[order],
        landing_idx=np.concatenate((k_land[use], np.full(n_res, -1))).astype(np.intp)[order],
        takeoff_idx=np.concatenate((c_k_to[use], k_to[resumed])).astype(np.intp)[order],
        params=p,
    )
    return contacts, runs


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
    k = _clip_idx(k, 0, n - 1)
    tk = t[k]
    k_air = _clip_idx(k - step, 0, n - 1)
    dt_air = np.abs(tk - t[k_air])

    # Gather the edge: from k into the ground side while below base + fit_top_g, and from k into the air
    # side while still clearly above the flight level (those samples lie on the foot of the edge too).
    m = fit_samples
    offs = step * np.arange(-m + 1, m)
    win = k[:, None] + offs[None, :]
    inside = (win <= seg_bound[:, None]) if rising else (win >= seg_bound[:, None])
    inside &= (win >= 0) & (win < n)
    win = _clip_idx(win, 0, n - 1)
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
    t_fit = tk + np.minimum(np.maximum(x0, lo), hi)

    # Fallback for edges faster than a sample.
    k_ground = _clip_idx(k + step, 0, n - 1)
    ground_ok = (k_ground <= seg_bound) if rising else (k_ground >= seg_bound)
    ground_ok &= (k_ground != k) & ~clipped[k_ground] & ~clipped[k]
    dt_ground = np.abs(t[k_ground] - tk)
    excess = np.maximum(s[k] - base, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        chord_air = (s[k] - s[k_air]) / dt_air
        chord_ground = np.where(ground_ok, (s[k_ground] - s[k]) / dt_ground, -np.inf)
        # A take-off ends a push-off whose force falls along a ramp into the flight level: the ground-side
        # chord extends that ramp. A landing rises from a flat flight level anywhere between k-1 and k.
        use_ground = (chord_ground > 0) if not rising else (chord_ground > chord_air)
        back = np.where(use_ground, excess / chord_ground, 0.5 * dt_air)
    back = np.minimum(np.maximum(np.where(np.isnan(back), 0.5 * dt_air, back), 0.0), dt_air)
    t_chord = tk - step * back
    return np.where(fit_ok, t_fit, t_chord) - t[0]


def _ringing_dips(
    t: np.ndarray,
    starts: np.ndarray,
    *,
    seg_id: np.ndarray,
    landing_s: np.ndarray,
    plausible: np.ndarray,
    min_contact_s: float,
    landed_at_s: float | None = None,
) -> np.ndarray:
    """Candidate flights that start within ``min_contact_s`` of the landing of the last plausible one
    (same gap-free stretch): dips of a landing's ringing, not flights. ``landing_s`` on the clock of
    ``t``; ``landed_at_s`` is a landing just before the samples (a stream that restarted its buffer there),
    which the first stretch's dips count from as they would on the whole recording."""
    out = np.zeros(starts.shape, dtype=bool)
    last_land, last_seg = (-np.inf, -1) if landed_at_s is None else (landed_at_s, 0)
    for i, st in enumerate(starts):
        if seg_id[st] == last_seg and t[st] - last_land < min_contact_s:
            out[i] = True
        elif plausible[i]:
            last_land, last_seg = landing_s[i], seg_id[st]
    return out


def _release_takeoffs(
    t: np.ndarray,
    s: np.ndarray,
    acc: np.ndarray,
    *,
    not_before: np.ndarray,
    run_starts: np.ndarray,
    p: ContactParams,
    period_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Take-offs read from the release transient that ends a push-off, where there is one.

    Before each candidate flight (a run starting at ``run_starts``) the last ``release_search_s``, and
    nothing before ``not_before``, are searched for a release: samples whose vector jerk
    ``|a[k] - a[k-1]| / dt`` reaches ``release_min_jerk_g_s`` (less at low rates, see
    :class:`ContactParams`), grouped while less than ``release_cluster_s`` apart; the last group before the
    flight is the release when the magnitude itself rises that steeply within it (a spike: a push-off
    falling into the flight does not). The take-off is ``release_delay_s`` before the onset of that first
    steep rise, the onset being midway between the samples either side of it (the spike rises within one
    sample).

    Returns the take-off times (s from ``t[0]``) and the index of the last sample before the onset, -1
    where no release was found (the flight's take-off is then read from its edge).
    """
    n = t.shape[0]
    out_s = np.full(run_starts.shape, np.nan)
    out_k = np.full(run_starts.shape, -1, dtype=np.intp)
    if n < 3 or period_s > 1.0 / p.release_min_rate_hz:
        return out_s, out_k
    dt = np.maximum(np.diff(t), 1e-9)
    # |a[k] - a[k-1]| axis by axis, in the order np.linalg.norm sums them.
    d = np.diff(acc, axis=0)
    d *= d
    jerk = np.empty(n)
    jerk[0] = 0.0
    np.sqrt(d[:, 0] + d[:, 1] + d[:, 2], out=jerk[1:])
    jerk[1:] /= dt
    rise = np.empty(n)
    rise[0] = 0.0
    np.divide(np.diff(s), dt, out=rise[1:])
    min_jerk = min(p.release_min_jerk_g_s, p.release_jerk_per_hz2 / period_s**2)
    high = np.flatnonzero(jerk >= min_jerk)
    search = max(1, round(p.release_search_s / period_s))
    cluster = max(1, round(p.release_cluster_s / period_s))
    for i, st in enumerate(run_starts):
        lo = max(int(not_before[i]) + 1, int(st) - search)
        j_hi = np.searchsorted(high, st, side="right")
        j = j_hi - 1
        if j < 0 or high[j] < lo:
            continue
        while j > 0 and high[j - 1] >= lo and high[j] - high[j - 1] <= cluster:
            j -= 1
        steep = np.flatnonzero(rise[high[j] : high[j_hi - 1] + 1] >= min_jerk)
        if steep.size == 0:
            continue
        k = int(high[j] + steep[0])  # first sample of the steep rise
        onset_s = 0.5 * (t[k - 1] + t[k])
        out_s[i] = onset_s - p.release_delay_s - t[0]
        out_k[i] = k - 1
    return out_s, out_k


def _valley_takeoffs(
    t: np.ndarray,
    s: np.ndarray,
    *,
    not_before: np.ndarray,
    run_starts: np.ndarray,
    p: ContactParams,
    period_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Take-offs where the push-off falls into a valley and the leg's own motion in the air lifts the
    magnitude again before it dips towards the flight level.

    In the ``valley_search_s`` before each candidate flight (not before ``not_before``) the magnitude,
    smoothed over at most ``valley_smooth_s`` (whole samples either side; none at 104 Hz and below, where
    a valley is one sample), is searched for local minima below ``swing_bottom_max_g`` that lie at least
    ``valley_prominence_g`` below the push-off before them and ``reach_hump_g`` below the leg's swing after
    them; the first is the take-off, to a fraction of a sample by a parabola.

    Returns the take-off times (s from ``t[0]``) and the sample of the valley, -1 where there is none.

    Notes
    -----
    On the shank the support force's signature is the push-off's hump of ``|a|`` (the ground reaction force
    above body weight, 2-4 g at the ankle); when the forefoot leaves the ground that force is gone and the
    magnitude falls through about 1 g into a valley, the end of push-off. The leg then tucks and swings in
    the air and lifts the magnitude again, and may dip lower later in the flight (on the realistic
    simulator the swing's later valleys are often deeper than the take-off's), so the first valley after
    the push-off is the take-off, not the lowest. Gait studies also place toe-off on a shank-worn sensor at
    the end of push-off, from the shank's angular rate (its local minimum before the swing; Aminian et al.
    2002, Salarian et al. 2004); this detector reads the accelerometer alone.

    References
    ----------
    Aminian K, Najafi B, Büla C, Leyvraz PF, Robert P (2002). Spatio-temporal parameters of gait measured
    by an ambulatory system using miniature gyroscopes. J Biomech 35(5):689-699.
    doi:10.1016/S0021-9290(02)00008-8
    Salarian A, Russmann H, Vingerhoets FJG, et al. (2004). Gait assessment in Parkinson's disease: toward
    an ambulatory system for long-term monitoring. IEEE Trans Biomed Eng 51(8):1434-1443.
    doi:10.1109/TBME.2004.827933
    """
    n = t.shape[0]
    out_s = np.full(run_starts.shape, np.nan)
    out_k = np.full(run_starts.shape, -1, dtype=np.intp)
    half = max(0, int(0.5 * p.valley_smooth_s / period_s))
    search = max(3, round(p.valley_search_s / period_s))
    csum = _cumsum0(s)
    for i, st in enumerate(run_starts):
        lo = max(int(not_before[i]) + 1, int(st) - search, half + 1)
        if st - lo < 3:
            continue
        idx = np.arange(lo, int(st) + 1)
        sm = (csum[np.minimum(idx + half + 1, n)] - csum[idx - half]) / (
            np.minimum(idx + half + 1, n) - idx + half
        )
        is_min = np.zeros(sm.size, dtype=bool)
        is_min[1:-1] = (sm[1:-1] < sm[:-2]) & (sm[1:-1] <= sm[2:])
        later_max = np.maximum.accumulate(sm[::-1])[::-1]
        earlier_max = np.maximum.accumulate(sm)
        ok = (
            is_min
            & (sm < p.swing_bottom_max_g)
            & (earlier_max - sm >= p.valley_prominence_g)
            & (later_max - sm >= p.reach_hump_g)
        )
        if not ok.any():
            continue
        m = int(np.flatnonzero(ok)[0])
        y0, y1, y2 = sm[m - 1], sm[m], sm[m + 1]
        curv = y0 - 2.0 * y1 + y2
        frac = min(max(float(0.5 * (y0 - y2) / curv), -0.5), 0.5) if curv > 0 else 0.0
        k = int(idx[m])
        out_s[i] = t[k] + frac * (t[min(k + 1, n - 1)] - t[k] if frac >= 0 else t[k] - t[k - 1]) - t[0]
        out_k[i] = k
    return out_s, out_k


@functools.lru_cache(maxsize=16)
def _step_table(span_s: float, cutoff_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_butterworth2_step` on 512 points over ``[0, span_s]``: the same for every call of a stream."""
    grid = np.linspace(0.0, span_s, 512)
    r = _butterworth2_step(grid, cutoff_hz)
    grid.flags.writeable = False
    r.flags.writeable = False
    return grid, r


def _group_delay_s(cutoff_hz: float) -> float:
    """Low-frequency group delay of a 2nd-order Butterworth low-pass: ``sqrt(2) / omega_c``."""
    return float(np.sqrt(2.0) / (2.0 * np.pi * cutoff_hz))


def _butterworth2_step(t_s: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Unit step response of a 2nd-order Butterworth low-pass (``zeta = 1/sqrt(2)``), zero before 0.

    ``1 - exp(-a t) (cos(a t) + sin(a t))`` with ``a = omega_c / sqrt(2)``: it starts flat, reaches 0.93 one
    period of a sensor sampling at ``cutoff / 0.45`` after the step, and first peaks (1.04) at ``pi / a``.
    """
    a = 2.0 * np.pi * cutoff_hz / np.sqrt(2.0)
    x = a * np.maximum(t_s, 0.0)
    return 1.0 - np.exp(-x) * (np.cos(x) + np.sin(x))


def _filtered_step_onset(
    t: np.ndarray, s: np.ndarray, clipped: np.ndarray, *, base: np.ndarray, k: np.ndarray, cutoff_hz: float
) -> tuple[np.ndarray, np.ndarray]:
    """Onset (s from ``t[0]``) of a landing faster than the anti-alias filter, read from its step response.

    A touch-down raises the specific force by several g within a few milliseconds; when that is faster than
    the sensor's low-pass (at 104 Hz its step response takes about a sample period), the samples on the
    edge are ``base + H r(t - onset)`` with ``r`` the filter's step response. Sample ``k`` is the first
    above the flight level, so the onset lies within one period before it, and ``r(t[k] - onset)`` is the
    fraction its excess is of the plateau ``H``: inverting ``r`` gives the onset to a fraction of a sample
    instead of the half-period uncertainty of the sample grid. ``H`` is the larger of the next two
    excesses (the step response is within 0.93-1.04 of ``H`` there).

    Returns the onsets and where the model applies: the edge must have reached 80 % of ``H`` by sample
    ``k + 1`` (a physical rise slower than the filter, as at 208 Hz and above, does not, and is left to the
    straight-line fit of the edge's foot), ``H`` must be at least 1 g, and sample ``k`` must not be clipped.
    """
    n = t.shape[0]
    k0 = _clip_idx(k, 1, n - 3)
    e0 = s[k0] - base
    e1 = s[k0 + 1] - base
    h = np.maximum(e1, s[k0 + 2] - base)
    period = t[k0] - t[k0 - 1]
    fast = (k == k0) & (e1 >= 0.8 * h) & (h >= 1.0) & (e0 < h)
    # A clipped plateau only makes H look smaller, which moves the onset by at most the lag that the
    # clipped H implies; the first sample itself must be a true reading.
    fast &= ~clipped[k0]
    # r is increasing up to its first peak, well beyond one sample period at the rates where this applies.
    grid, r = _step_table(1.5 * float(period.max(initial=0.0)) + 1e-9, cutoff_hz)
    q = np.maximum(e0 / np.where(h > 0, h, 1.0), 0.0)
    lag = np.minimum(np.interp(q, r, grid), period)
    return t[k0] - lag - t[0], fast


class HopContactStream:
    """Incremental :func:`detect_hop_contacts`: feed chunks, get each contact once it is final.

    The contacts returned are exactly those of the offline detector on the concatenated samples: the
    detector runs on a buffer that starts inside an already reported contact, and a contact is released
    only once :data:`MAX_LOOKAHEAD_S` of samples follow its take-off (or its landing, when it has none),
    beyond which no later sample can change it.

    The buffer stays bounded when no contact comes (a long rest after a set's last landing, whose contact
    ends only at the next take-off): once it spans more than ``max_buffer_s``, the stance in its middle is
    left out. What is kept is its *head*, up to :data:`MAX_LOOKAHEAD_S` past the last flight sample
    (``|a| < flight_max_g``) and so past every decision about the pending landing, and its *tail*, the last
    ``2 MAX_LOOKAHEAD_S``, whose first :data:`MAX_LOOKAHEAD_S` hold no flight sample either, so that any
    later take-off finds all it looks back at. The detector works in samples and reads times only at
    events, so the head joined to the tail gives it the same events, with their true times, as the whole
    stance would. A gap counts as a flight sample here: a contact may start where samples resume.

    The detector is not rerun on a chunk that provably releases nothing (see :meth:`_quiet_until`): one
    that starts no candidate flight (no sample falls below ``flight_max_g`` after one above it) and no gap,
    while the horizon stays before the earliest event that samples after the last run can still make or
    change. Every call then returns what a rerun on every chunk would, at the same chunk. What the skipped
    chunks do not refresh is the bookkeeping of landings not released yet (``pending_landing_s``,
    ``unreleased_landing_s``): a reader of those (the landing holds' stream) asks for ``every_chunk``.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate, to recognise gaps between chunks (``GAP_FACTOR`` periods).
    params
        As for :func:`detect_hop_contacts`.
    max_buffer_s
        Length of the buffer beyond which the stance in its middle is left out (at least
        ``4 MAX_LOOKAHEAD_S``).
    every_chunk
        Run the detector on every chunk, so that the landings not released yet are known after each.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        params: ContactParams | None = None,
        *,
        max_buffer_s: float = 4 * MAX_LOOKAHEAD_S,
        every_chunk: bool = False,
    ) -> None:
        if not sample_rate_hz or sample_rate_hz <= 0:
            raise AnalysisError("HopContactStream needs the nominal sample rate (Hz) of the sensor")
        self.sample_rate_hz = float(sample_rate_hz)
        self.params = params or ContactParams()
        self.max_buffer_s = max(float(max_buffer_s), 4 * MAX_LOOKAHEAD_S)
        self.every_chunk = bool(every_chunk)
        self._t = np.empty(0)
        self._acc = np.empty((0, 3))
        self._index = np.empty(0, dtype=np.int64)  # index of each buffered sample in the whole stream
        self._gap_after: list[int] = []  # buffer indices i with a gap between i and i + 1
        self._t_origin: float | None = None
        self._last_landing_s = -np.inf
        self._landed_at_idx: int | None = None  # the last released landing, as a buffer index (< 0)
        self._n_fed = 0
        #: The latest landing that no take-off has followed yet, once it is final (s from the stream's
        #: first sample; NaN: none), and the flight before it (ms, NaN when its take-off was not seen).
        #: Its contact comes once its take-off does; an analysis of what follows a landing (a hold) need
        #: not wait for that. At the end of the stream it is the final landing the stream ends on.
        self.pending_landing_s = float("nan")
        self.pending_flight_before_ms = float("nan")
        #: The earliest landing of a contact found but not released yet (s from the stream's first sample;
        #: NaN: none): no contact released later lands before it or before the pending landing.
        self.unreleased_landing_s = float("nan")
        # What the last run of the detector found, and the horizon (buffer time) below which chunks that
        # start no flight cannot change what is releasable; None when the buffer changed since.
        self._quiet: tuple[HopContacts, float] | None = None
        self._last_low = False  # the last sample fed is certainly below flight_max_g

    def feed(self, t_s: np.ndarray, acc_g: np.ndarray, gaps: tuple[Gap, ...] = ()) -> HopContacts:
        """Add samples (times on the same clock as before) and return the contacts that became final."""
        t = np.asarray(t_s, dtype=np.float64)
        acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3)
        if t.size == 0:
            return self._release(final=False)
        if self._t_origin is None:
            self._t_origin = float(t[0])
        offset = self._t.size
        starts_flight = bool(gaps) or self._starts_flight(acc)
        if offset and t[0] - self._t[-1] > GAP_FACTOR / self.sample_rate_hz:
            self._gap_after.append(offset - 1)
            starts_flight = True
        self._gap_after.extend(offset + g.before_idx for g in gaps)
        self._t = np.concatenate([self._t, t])
        self._acc = np.concatenate([self._acc, acc])
        self._index = np.concatenate([self._index, self._n_fed + np.arange(t.size, dtype=np.int64)])
        self._n_fed += t.size
        quiet = self._quiet
        if (
            not starts_flight
            and not self.every_chunk
            and quiet is not None
            and float(self._t[-1] - self._t[0]) - MAX_LOOKAHEAD_S < quiet[1]
        ):
            out = self._in_stream_indices(_take(quiet[0], np.zeros(len(quiet[0]), dtype=bool)))
        else:
            out = self._release(final=False)
        self._bound()
        return out

    def finish(self) -> HopContacts:
        """Return the contacts still held back once no more samples will come."""
        return self._release(final=True)

    #: The detector protocol's look-ahead (:class:`~imu_app.analysis._stream.Detector`).
    lookahead_s: float = MAX_LOOKAHEAD_S

    def update(self, chunk: Conditioned) -> HopContacts:
        """:meth:`feed` for the streaming engine: one conditioned piece (the detector protocol)."""
        gaps: tuple[Gap, ...] = ()
        if chunk.gap_before and self._t.size:
            gaps = (Gap(before_idx=-1, start_s=float(self._t[-1]), end_s=float(chunk.t_s[0]), n_missing=0),)
        return self.feed(chunk.t_s, chunk.acc_g, gaps)

    @property
    def buffered(self) -> int:
        """Samples held: about ``max_buffer_s`` at most, plus a chunk and a flight's look-ahead."""
        return int(self._t.size)

    def _release(self, *, final: bool) -> HopContacts:
        p = self.params
        if self._t.size < 4 or self._t_origin is None:
            return _take(detect_hop_contacts(np.zeros(0), np.zeros((0, 3)), params=p), np.zeros(0, bool))

        gaps = tuple(
            Gap(before_idx=i, start_s=float(self._t[i]), end_s=float(self._t[i + 1]), n_missing=0)
            for i in self._gap_after
            if i + 1 < self._t.size
        )
        found, runs = _detect(
            self._t,
            self._acc,
            gaps=gaps,
            sample_rate_hz=self.sample_rate_hz,
            params=p,
            landed_at_idx=self._landed_at_idx,
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
        out = self._in_stream_indices(_take(found, ready, shift=shift))
        pending = found.final_landing_s <= horizon or (final and np.isfinite(found.final_landing_s))
        self.pending_landing_s = found.final_landing_s + shift if pending else float("nan")
        self.pending_flight_before_ms = found.final_flight_before_ms if pending else float("nan")
        waiting = found.landing_s[new & ~ready]
        self.unreleased_landing_s = float(waiting[0] + shift) if waiting.size else float("nan")
        until = self._quiet_until(runs, last_event[new & ~ready])
        t_first = float(self._t[0])
        if ready.any():
            self._last_landing_s = float(out.landing_s[-1])
            # Restart the buffer inside the last released contact: just after its landing edge, where no
            # flight run and no edge neighbourhood of a later event can begin, and past the landing's dip
            # (at low rates the sample two after the edge can still read below flight_max_g, where the
            # restarted detector would find a flight at its first sample).
            i_last = int(np.flatnonzero(ready)[-1])
            k = int(found.landing_idx[i_last])
            cut = self._past_dip(k + 2) if k >= 0 else 0
            if not final and 0 < cut < self._t.size:
                self._keep(np.arange(cut, self._t.size))
                self._landed_at_idx = k - cut
        # After a cut the detector runs again on the next chunk, as it would without skipping.
        self._quiet = None if until is None or float(self._t[0]) != t_first else (found, until)
        return out

    def _past_dip(self, i: int) -> int:
        """The first buffer index from ``i`` whose magnitude is not below ``flight_max_g`` (the buffer's size
        when there is none)."""
        mag = np.linalg.norm(self._acc[i:], axis=1)
        low = mag < self.params.flight_max_g
        return i + (int(np.argmin(low)) if not low.all() else low.size)

    def _starts_flight(self, acc: np.ndarray) -> bool:
        """Whether the new samples may start a candidate flight of the detector: a sample below
        ``flight_max_g`` after one above it. Magnitudes within 1e-9 g of the threshold count as both (the
        detector computes them on the whole buffer, which may differ in the last bit)."""
        s = np.sqrt(np.einsum("ij,ij->i", acc, acc))
        f = self.params.flight_max_g
        low = s < f - 1e-9
        high = s >= f + 1e-9
        was_low = self._last_low
        self._last_low = bool(low[-1])
        if not (low | high).all():
            return True
        n_low = int(np.argmin(low)) if not low.all() else low.size
        return (n_low > 0 and not was_low) or bool(low[n_low:].any())

    def _quiet_until(self, runs: _Runs, pending_s: np.ndarray) -> float | None:
        """Horizon (s from the buffer's first sample) up to which chunks that start no flight and no gap
        cannot release a contact, or None when the next chunk must rerun the detector.

        Appending samples that start no candidate flight (``_starts_flight``) and no gap leaves the
        detector's runs, and their merging, as they are, except for the last run, which may grow, and
        the merging of the last two runs, which depends on impacts starting before the last run and on
        its length (it can only stop joining them). The samples the detector reads after a run's last
        sample ``e`` all lie within ``landing_reach_s`` after it (the first impact after the run, from
        whose foot the landing may rise), plus at most ``K`` samples: the impact's rise
        (``impact_rise_s``), the impact window (``landing_window_s``), the edge fit (``edge_fit_s``), the
        step onset and the clipping test. Before its first sample ``st``, the take-off is looked for at
        most ``release_search_s`` back (the release), ``valley_search_s`` back (the valley),
        ``takeoff_swing_s`` back (the push-off's fall before a swing), each within one stretch of samples
        whose steps are below ``min_flight_s``, and the edge's foot is ``edge_fit_s`` long;
        ``release_delay_s`` and the filter's group delay are subtracted.

        So the runs whose last sample lies ``landing_reach_s`` or more before the buffer's ``K``-th last
        sample keep their landing, take-off and whether they are kept, and nothing else decides a contact
        ending at or before their take-off (the chains from one run to the next, the ringing dips and the
        previous landings, run forward in time). Every contact that later samples can make or change
        therefore ends (take-off or, cut by a gap, landing) no earlier than the bound below computed from
        the first of the other runs, and the contacts found now end as found. Until the horizon reaches
        the earlier of that bound and the end of the first contact not yet released, nothing can be
        released, and the detector need not run.
        """
        p = self.params
        t = self._t
        n = t.size
        period_s = 1.0 / self.sample_rate_hz
        rise_win = max(2, round(p.impact_rise_s / period_s) + 1)
        win = max(2, round(p.landing_window_s / period_s) + 1)
        fit = max(2, round(p.edge_fit_s / period_s) + 1)
        k = max(fit + 2, win + 1, rise_win + 1, 4) + 2
        if n - 1 - k < 0 or (runs.last_start >= 0 and runs.last_start + rise_win + 2 > n - 1):
            return None
        until = float(pending_s.min()) if pending_s.size else np.inf
        open_runs = t[runs.ends] + p.landing_reach_s >= t[n - 1 - k]
        if open_runs.any():
            st = runs.starts[open_runs]
            reach_back_s = max(p.release_search_s, p.takeoff_swing_s, p.valley_search_s)
            back = max(1, round(reach_back_s / period_s), 3) + 2
            delay = p.release_delay_s + p.edge_fit_s + period_s
            if p.antialias_cutoff_ratio:
                delay += _group_delay_s(p.antialias_cutoff_ratio / period_s)
            first = np.minimum(t[np.maximum(st - back, 0)], t[st] - reach_back_s - p.min_flight_s)
            until = min(until, float(first.min() - delay - t[0]))
        return until

    def _in_stream_indices(self, found: HopContacts) -> HopContacts:
        """Sample indices of the buffer as indices in the whole stream."""

        def whole(idx: np.ndarray) -> np.ndarray:
            return np.where(idx >= 0, self._index[np.clip(idx, 0, max(self._index.size - 1, 0))], -1)

        return HopContacts(
            landing_s=found.landing_s,
            takeoff_s=found.takeoff_s,
            flight_before_ms=found.flight_before_ms,
            flight_after_ms=found.flight_after_ms,
            complete=found.complete,
            landing_idx=whole(found.landing_idx),
            takeoff_idx=whole(found.takeoff_idx),
            params=found.params,
        )

    def _bound(self) -> None:
        """Leave out the stance in the middle of a buffer longer than ``max_buffer_s`` (see the class)."""
        t = self._t
        if t.size < 4 or t[-1] - t[0] <= self.max_buffer_s:
            return
        # Flight samples, and the first sample after each gap (a contact may start there), are where
        # decisions are made; the stance after them for MAX_LOOKAHEAD_S belongs to them.
        marks = np.linalg.norm(self._acc, axis=1) < self.params.flight_max_g
        marks[[g + 1 for g in self._gap_after if g + 1 < t.size]] = True
        flight = np.flatnonzero(marks)
        tail_start = int(np.searchsorted(t, t[-1] - 2 * MAX_LOOKAHEAD_S))
        guard_end = int(np.searchsorted(t, t[tail_start] + MAX_LOOKAHEAD_S, side="right"))
        before_tail = flight[flight < guard_end]
        last_flight_t = float(t[before_tail[-1]]) if before_tail.size else float(t[0])
        head_end = int(np.searchsorted(t, last_flight_t + MAX_LOOKAHEAD_S, side="right"))
        if before_tail.size and before_tail[-1] >= tail_start:
            return  # a flight begins too close to the tail's start: wait for it to settle
        if head_end + 1 >= tail_start:
            return
        self._keep(np.r_[np.arange(head_end), np.arange(tail_start, t.size)])

    def _keep(self, rows: np.ndarray) -> None:
        # The quiet horizon stays valid through the cut of a long stance, which keeps the first sample and
        # leaves the events as they are (see the class); the cut of a release drops it (``_release``).
        position = np.full(self._t.size, -1, dtype=np.int64)
        position[rows] = np.arange(rows.size)
        self._t = self._t[rows]
        self._acc = self._acc[rows]
        self._index = self._index[rows]
        self._gap_after = [int(position[i]) for i in self._gap_after if position[i] >= 0]


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
