"""Stance phases of walking and running: initial contact and toe-off of the instrumented foot.

The gyroscope is read along the leg's dominant rotation axis (found from the data, so any mounting works);
the swing of the leg is the large lobe of that signal between toe-off and the next initial contact. The
sensor may sit on the foot or on the shank (the ankle strap): which one is told from the signal.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import peak_prominences

from imu_app.analysis._conditioning import (
    Conditioned,
    Conditioner,
    ConditioningParams,
    ZeroPhaseLowPass,
    zero_phase_kernel,
)
from imu_app.analysis._gait_axis import FlexionAxis, flexion_axis, jerk_windows, project
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis._stream import chunks_of
from imu_app.analysis.report import Contact, SetSummary
from imu_app.core import AnalysisError, ContactKind, ImuData, SetKind

log = logging.getLogger(__name__)

__all__ = [
    "StrideParams",
    "StrideStream",
    "Strides",
    "concat_strides",
    "detect_strides",
    "stride_contact",
    "stride_report",
    "stride_set",
]


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
        The flexion rate that finds the axis, its sign and the swings (the conditioning's work-rate signal,
        block means at about 100 Hz) is low-passed here (zero phase, a filter that streams). The
        swing's rotation lies below 6 Hz; the ringing of a loosely strapped sensor after each impact (up to
        700 deg/s for one or two samples on gaitmap's second subject) does not, and it tilted the principal
        axis and made peaks of its own. The events themselves are timed on the unfiltered rate.
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
    settle_window_s, settle_moving_s, moving_min_dps
        The axis, its sign and the mounting are fitted on the first ``settle_window_s`` in which the leg
        has moved (low-passed rate above ``moving_min_dps``, half the slowest swing peak) for
        ``settle_moving_s`` in all, and held from then on: 5 s of movement is 4-6 strides of walking
        (its swing and the shank's stance rotation move, a foot flat does not), enough for the principal
        axis, the sign cues and the median stance; the first strides are reported once it has passed.
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
    settle_window_s: float = 20.0
    settle_moving_s: float = 5.0
    moving_min_dps: float = 50.0


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


_EMPTY = Strides(np.empty(0), np.empty(0), np.empty(0))

# Initial contact alone is decidable from the impact, but toe-off leaves no impact: without the leg's
# rotation, push-off and the start of swing overlap in the specific force, so a contact time would be a guess.
_NEEDS_GYRO = (
    "stride detection needs a gyroscope: toe-off (and so ground contact time) cannot be told from "
    "the accelerometer alone in walking or running; record with the gyroscope enabled, or analyse "
    "hops, whose take-offs the accelerometer does show"
)


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


def _parabola_peak(x: np.ndarray, centre: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Full-rate indices of the swing peaks at reduced indices ``p`` (each with a neighbour either side):
    the vertex of the parabola through the peak and its neighbours, mapped through the blocks' centres.
    The low-passed swing is smooth over a block, so this is the peak of the full rate's low-passed swing
    within a sample or two."""
    y0, y1, y2 = x[p - 1], x[p], x[p + 1]
    den = y0 - 2.0 * y1 + y2
    off = np.clip(np.divide(0.5 * (y0 - y2), den, out=np.zeros_like(den), where=den < 0), -0.5, 0.5)
    step = np.where(off >= 0, centre[p + 1] - centre[p], centre[p] - centre[p - 1])
    return np.rint(centre[p] + off * step).astype(np.int64)


@dataclass
class _Stretch:
    """Where a gap-free stretch begins (stream indices of samples and of blocks) and, once known, ends."""

    start: int
    rstart: int
    end: int | None = None
    rend: int | None = None


class _Buffer:
    """Rows of several arrays, numbered by their index in the stream, kept from ``first`` on."""

    def __init__(self, **widths: int) -> None:
        self.first = 0
        self.cols = {k: (np.empty(0) if w == 0 else np.empty((0, w))) for k, w in widths.items()}
        self.stretch = np.empty(0, dtype=np.int64)

    @property
    def end(self) -> int:
        return self.first + int(self.stretch.size)

    def push(self, idx0: int, stretch: int, **arrays: np.ndarray) -> None:
        n = next(iter(arrays.values())).shape[0]
        if n == 0:
            return
        if self.stretch.size == 0:
            # An empty buffer takes the arrays as they are (no copy: nothing writes into them).
            self.first = idx0
            self.cols = dict(arrays)
            self.stretch = np.full(n, stretch, dtype=np.int64)
            return
        assert idx0 == self.end, "rows must come in stream order"
        for k, v in arrays.items():
            self.cols[k] = np.concatenate([self.cols[k], v])
        self.stretch = np.concatenate([self.stretch, np.full(n, stretch, dtype=np.int64)])

    def drop_before(self, idx: int) -> None:
        k = min(max(idx - self.first, 0), self.stretch.size)
        if k:
            for name, v in self.cols.items():
                self.cols[name] = v[k:]
            self.stretch = self.stretch[k:]
            self.first += k

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]


class _SwingTracker:
    """The swings of the flexion rate and the stance events around them, as the rate streams in.

    Fed the flexion rate at the reduced rate (block means, low-passed here stretch by stretch) and at the
    full rate, from the stream indices ``floor`` / ``rfloor`` on (earlier samples count as missing);
    :meth:`advance` returns, for each swing in order, its initial contact, the toe-off before it (s from
    the stream's first sample) and its stretch.

    Swing peaks are local maxima of the low-passed rate at least ``swing_min_dps`` high, with a prominence
    of ``swing_min_dps`` within ``2 search_s`` either side (a bounded window, so that a peak is decided once
    that window has arrived), at least ``min_stride_s`` apart: of two closer ones the later replaces the
    earlier when it is higher, else it is dropped. Decided in order, a kept peak is final once
    ``min_stride_s`` has passed without a higher one.
    """

    def __init__(
        self,
        p: StrideParams,
        fs: float,
        block: int,
        kernel: np.ndarray,
        *,
        foot: bool | None,
        floor: int,
        rfloor: int,
    ) -> None:
        self.p, self.fs, self.block, self.kernel = p, fs, block, kernel
        fs_r = fs / block
        self.foot = foot
        self.floor, self.rfloor = floor, rfloor
        self.search = max(2, int(p.search_s * fs))
        self.distance = max(1, int(p.min_stride_s * fs_r))
        self.prom_half = max(1, round(2 * p.search_s * fs_r))
        self.before = 2 * self.search + math.ceil(p.release_before_s * fs) + 3
        self.after = self.search + math.ceil(p.impact_after_s * fs) + 3
        self.full = _Buffer(t=0, acc=3, w=0)
        self.cen = _Buffer(centre=0)
        self.x = _Buffer(x=0)
        self.stretches: dict[int, _Stretch] = {}
        self._lp: ZeroPhaseLowPass | None = None
        self._lp_stretch = -1
        self._xnext = rfloor
        self._scan = rfloor  # next block to look at as a candidate peak
        self._kept: tuple[int, float, int] | None = None  # (block, height, stretch) of the last peak kept
        self._final: list[tuple[int, int]] = []  # (full-rate index, stretch) of final peaks to time

    # -- input
    def _stretch(self, s: int, start: int, rstart: int) -> _Stretch:
        if s not in self.stretches:
            self.stretches[s] = _Stretch(start=max(start, self.floor), rstart=max(rstart, self.rfloor))
        return self.stretches[s]

    def push_full(
        self, idx0: int, s: int, *, start: int, rstart: int, t: np.ndarray, acc: np.ndarray, w: np.ndarray
    ) -> None:
        self._stretch(s, start, rstart)
        self.full.push(idx0, s, t=t, acc=acc, w=w)

    def push_rate(
        self,
        ridx0: int,
        s: int,
        *,
        start: int,
        rstart: int,
        xr: np.ndarray,
        centre: np.ndarray,
        closes: bool,
        end: int | None = None,
    ) -> None:
        """Blocks ``ridx0 ..`` of the projected work-rate signal; ``closes``: the stretch ends after them
        (its last sample is ``end - 1``)."""
        st = self._stretch(s, start, rstart)
        self.cen.push(ridx0, s, centre=centre)
        if s != self._lp_stretch:
            self._lp, self._lp_stretch = ZeroPhaseLowPass(self.kernel, 1), s
            self._xnext = max(ridx0, st.rstart)
        assert self._lp is not None
        y = self._lp.update(xr, closes=closes)[:, 0]
        self.x.push(self._xnext, s, x=y)
        self._xnext += y.size
        if closes:
            st.end, st.rend = end, ridx0 + xr.shape[0]

    # -- work
    def advance(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._find_peaks()
        out = self._time_peaks()
        self._trim()
        return out

    def _find_peaks(self) -> None:
        p, xb = self.p, self.x
        while self._scan < xb.end:
            s = int(xb.stretch[max(self._scan - xb.first, 0)])
            st = self.stretches[s]
            closed = st.rend is not None and xb.end >= st.rend
            last = (st.rend if closed else xb.end) - 1  # last block of the stretch with a rate
            upto = last if closed else last - self.prom_half + 1
            lo = max(self._scan, st.rstart + 1)
            if upto > lo:
                a = max(st.rstart, xb.first)
                x = xb["x"][a - xb.first : last + 1 - xb.first]
                i = np.arange(lo, upto) - a
                c = i[(x[i - 1] < x[i]) & (x[i] >= x[i + 1]) & (x[i] >= p.swing_min_dps)]
                if c.size:
                    prom = peak_prominences(x, c, wlen=2 * self.prom_half + 1)[0]
                    for k in (c[prom >= p.swing_min_dps] + a).tolist():
                        self._keep(k, float(x[k - a]), s)
            self._scan = max(self._scan, upto)
            if self._kept is not None and (closed or self._kept[0] + self.distance <= self._scan):
                self._finalise()
            if not closed:
                break
            self._scan = max(self._scan, st.rend)

    def _keep(self, k: int, h: float, s: int) -> None:
        if self._kept is not None and k - self._kept[0] >= self.distance:
            self._finalise()
        if self._kept is None or h > self._kept[1]:
            self._kept = (k, h, s)

    def _finalise(self) -> None:
        assert self._kept is not None
        k, _, s = self._kept
        self._kept = None
        self._final.append((k, s))

    def _place(self, ks: np.ndarray, s: int) -> np.ndarray:
        """Full-rate indices of the final peaks at blocks ``ks`` of stretch ``s``."""
        c0 = self.x.first - self.cen.first
        cs = self.cen["centre"][c0:]
        if self.block > 1:
            at = _parabola_peak(self.x["x"], cs, ks - self.x.first)
        else:
            at = cs[ks - self.x.first].astype(np.int64)
        return np.maximum(at, self.stretches[s].start)

    def _time_peaks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ics, tos, segs = [], [], []
        full = self.full
        while self._final:
            s = self._final[0][1]
            st = self.stretches[s]
            closed = st.end is not None and full.end >= st.end
            stop = st.end if closed and st.end is not None else full.end
            n_s = 0
            while n_s < len(self._final) and self._final[n_s][1] == s:
                n_s += 1
            at = self._place(np.array([k for k, _ in self._final[:n_s]], dtype=np.int64), s)
            if not closed:
                at = at[: int(np.searchsorted(at + self.after, stop))]
            if at.size == 0:
                break
            ic, to = self._events(at, st, stop)
            ics.append(ic)
            tos.append(to)
            segs.append(np.full(ic.size, s, dtype=np.int64))
            self._final = self._final[at.size :]
        if not ics:
            e = np.empty(0)
            return e, e, np.empty(0, dtype=np.int64)
        return np.concatenate(ics), np.concatenate(tos), np.concatenate(segs)

    def _events(self, peaks: np.ndarray, st: _Stretch, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Initial contact after, and toe-off before, each swing peak (stream indices) of the stretch
        ``st``, from its samples up to ``stop``."""
        p, full = self.p, self.full
        a = max(st.start, full.first)
        sl = slice(a - full.first, stop - full.first)
        ts, ws, acc = full["t"][sl], full["w"][sl], full["acc"][sl]
        n = ts.size
        pk = np.clip(peaks - a, 0, n - 1)
        search = self.search
        ic = _zero_cross_down(ts, ws, pk, np.minimum(pk + search, n - 1))
        start = _zero_cross_up_before(ws, pk, np.maximum(pk - search, 0))
        to = _pre_swing_minimum(ts, ws, start, search)
        start_s = ts[np.clip(start + 1, 0, n - 1)]
        to = _release_onset(ts, acc, to, start_s, p)
        if self.foot is False:
            # On the shank the swing ends before contact; the heel-strike impact marks the contact itself.
            ic = _impact_onset(ts, acc, ic, p)
        return ic, to

    def _trim(self) -> None:
        keep_r = self._scan - self.prom_half - 2
        if self._kept is not None:
            keep_r = min(keep_r, self._kept[0] - 1)
        if self._final:
            keep_r = min(keep_r, self._final[0][0] - 1)
        keep_f = self.full.end
        if self.cen.first <= keep_r < self.cen.end:
            keep_f = min(keep_f, int(self.cen["centre"][keep_r - self.cen.first]) - self.block - self.before)
        self.x.drop_before(keep_r)
        self.cen.drop_before(keep_r)
        self.full.drop_before(keep_f)

    @property
    def buffered(self) -> int:
        return int(self.full.stretch.size)


class StrideStream:
    """Initial contact and toe-off of every stride, as the samples stream in (see :func:`detect_strides`).

    Parameters
    ----------
    sample_rate_hz
        Nominal rate.
    block
        Samples per block of the conditioning's work-rate signal (:attr:`Conditioner.block`).
    params
        See :class:`StrideParams`.

    Notes
    -----
    Until it has seen ``settle_moving_s`` of movement within ``settle_window_s``, the stream holds that
    window; then it fits the flexion axis, its sign and the mounting (foot or shank) on the window, holds
    them for the rest of the stream, and times the strides from the window's start on. A stream that ends
    first is fitted on its last ``settle_window_s``. Gait that ends more than ``settle_window_s`` before
    the first settling is not timed (a few isolated steps within a long rest).
    """

    def __init__(self, sample_rate_hz: float, block: int, params: StrideParams | None = None) -> None:
        self.p = params or StrideParams()
        self.fs = float(sample_rate_hz)
        self.block = int(block)
        fs_r = self.fs / self.block
        self.kernel = zero_phase_kernel(fs_r, self.p.swing_cutoff_hz)
        self._half = (self.kernel.size - 1) // 2
        self._window = max(1, round(self.p.settle_window_s * fs_r))
        self._need = max(1, round(self.p.settle_moving_s * fs_r))
        self._lp3 = ZeroPhaseLowPass(self.kernel, 3)
        self._lp3_stretch = -1
        self._n_lp = 0  # stream index of the next block the 3-axis low-pass will give
        self._t_origin: float | None = None
        self.full = _Buffer(t=0, acc=3, gyr=3)
        self.red = _Buffer(g=3, centre=0, bstart=0, lp=3, moving=0)
        self.stretches: dict[int, _Stretch] = {}
        self.axis: FlexionAxis | None = None
        self.foot: bool | None = None
        self._tracker: _SwingTracker | None = None
        self._prev: tuple[float, float, int] | None = (
            None  # initial contact, toe-off, stretch of the last swing
        )

    @property
    def lookahead_s(self) -> float:
        """Sensor time after a stride's toe-off that may pass before it is returned, once settled.

        The toe-off ending stance ``j`` lies within ``2 search_s`` before the peak of swing ``j + 1``,
        which is decided once its prominence window (``2 search_s``) and then ``min_stride_s`` have passed,
        and timed once ``search_s`` and the impact window have; the low-pass and a block add their delay.
        """
        p = self.p
        peak_s = 2 * p.search_s + max(p.min_stride_s + 2 * p.search_s, p.search_s + p.impact_after_s)
        return peak_s + (self._half + 2) * self.block / self.fs

    @property
    def settle_s(self) -> float:
        """The longest sensor time the first strides wait for the axis (the settling window)."""
        return self.p.settle_window_s + self.lookahead_s

    @property
    def settled(self) -> bool:
        return self._tracker is not None

    @property
    def buffered(self) -> int:
        """Samples held at the full rate."""
        if self._tracker is None:
            return int(self.full.stretch.size)
        return self._tracker.buffered

    def update(self, c: Conditioned) -> Strides:
        """Take one conditioned piece; return the strides that became final."""
        if c.gyr_dps is None:
            raise AnalysisError(_NEEDS_GYRO)
        if self._t_origin is None and c.t_s.size:
            self._t_origin = float(c.t_s[0])
        st = self.stretches.setdefault(c.stretch, _Stretch(start=c.start_idx, rstart=c.rstart))
        if c.closes:
            st.end, st.rend = c.idx0 + c.t_s.size, c.ridx0 + c.gyr_r_dps.shape[0]
        if self._tracker is None:
            return self._calibrate(c)
        return self._feed(c)

    def finish(self) -> Strides:
        """The stream ended (its last piece closed its stretch): the strides still held back."""
        if self._tracker is None and self._n_lp > self.red.first:
            return self._settle(self._n_lp - 1)
        return _EMPTY

    # -- before the axis is known
    def _calibrate(self, c: Conditioned) -> Strides:
        t_rel = c.t_s - self._t_origin if c.t_s.size else c.t_s
        self.full.push(c.idx0, c.stretch, t=t_rel, acc=c.acc_g, gyr=c.gyr_dps)
        k = c.gyr_r_dps.shape[0]
        self.red.push(
            c.ridx0,
            c.stretch,
            g=c.gyr_r_dps,
            centre=c.block_start + 0.5 * (c.block_len - 1),
            bstart=c.block_start.astype(np.float64),
            lp=np.full((k, 3), np.nan),
            moving=np.zeros(k),
        )
        if c.stretch != self._lp3_stretch:
            self._lp3, self._lp3_stretch = ZeroPhaseLowPass(self.kernel, 3), c.stretch
            self._n_lp = c.rstart
        # In slices, so that a long chunk is low-passed only up to where the axis settles.
        k_all = c.gyr_r_dps.shape[0]
        step = max(self._window, 1024)
        for a in range(0, max(k_all, 1), step):
            last = a + step >= k_all
            lp = self._lp3.update(c.gyr_r_dps[a : a + step], closes=c.closes and last)
            if lp.shape[0] == 0:
                continue
            i0 = self._n_lp - self.red.first
            self.red["lp"][i0 : i0 + lp.shape[0]] = lp
            moving = np.einsum("ij,ij->i", lp, lp) >= self.p.moving_min_dps**2
            self.red["moving"][i0 : i0 + lp.shape[0]] = moving
            self._n_lp += lp.shape[0]
            # The first block at which the last ``settle_window_s`` holds ``settle_moving_s`` of movement.
            lo = max(i0 - self._window, 0)
            m = self.red["moving"][lo : self._n_lp - self.red.first]
            csum = np.concatenate(([0.0], np.cumsum(m)))
            j = np.arange(i0 - lo, m.size)
            counts = csum[j + 1] - csum[np.maximum(j - self._window + 1, 0)]
            ok = np.flatnonzero(counts >= self._need)
            if ok.size:
                return self._settle(int(j[ok[0]]) + lo + self.red.first)
        keep = self._n_lp - self._window
        if keep > self.red.first:
            self.red.drop_before(keep)
            self.full.drop_before(int(self.red["bstart"][0]))
        return _EMPTY

    def _settle(self, j: int) -> Strides:
        """Fit the axis, its sign and the mounting on the blocks ``j - window + 1 .. j``, then time the
        strides from the window's start on with them held."""
        red, full = self.red, self.full
        j0 = max(j - self._window + 1, red.first)
        r = slice(j0 - red.first, j + 1 - red.first)
        f0 = int(red["bstart"][r.start])
        f1 = min(int(red["bstart"][r.stop - 1]) + self.block, full.end)
        fsl = slice(f0 - full.first, f1 - full.first)
        axis = flexion_axis(
            red["lp"][r],
            red["moving"][r].astype(bool),
            red["centre"][r] - f0,
            full["t"][fsl],
            full["acc"][fsl],
            sample_rate_hz=self.fs,
        )
        self.axis = axis
        # The mounting, from the stances within the window (each timed with what the window holds).
        r_end = min(j + 1 + self._half, red.end)
        f_end = min(int(red["bstart"][r_end - 1 - red.first]) + self.block, full.end)
        probe = self._new_tracker(foot=None, floor=f0, rfloor=j0)
        ic, to, seg = self._run(probe, r_end, f_end)
        nxt = np.r_[to[1:], np.nan]
        same = np.r_[seg[1:] == seg[:-1], False]
        ok = same & np.isfinite(ic) & np.isfinite(nxt) & (nxt > ic) & (nxt - ic <= self.p.max_stance_s)
        t_w, gyr_w = full["t"][fsl], full["gyr"][fsl]
        self.foot = _foot_mounted(
            gyr_w,
            project(gyr_w, axis.axis),
            np.searchsorted(t_w, ic[ok]),
            np.searchsorted(t_w, nxt[ok]),
            fs=self.fs,
            p=self.p,
        )
        log.debug("strides: axis settled at block %d, %s-mounted", j, "foot" if self.foot else "shank")
        self._tracker = self._new_tracker(foot=self.foot, floor=f0, rfloor=j0)
        found = self._pair(*self._run(self._tracker, red.end, full.end))
        self.full = _Buffer(t=0, acc=3, gyr=3)
        self.red = _Buffer(g=3, centre=0, bstart=0, lp=3, moving=0)
        return found

    def _new_tracker(self, *, foot: bool | None, floor: int, rfloor: int) -> _SwingTracker:
        return _SwingTracker(self.p, self.fs, self.block, self.kernel, foot=foot, floor=floor, rfloor=rfloor)

    def _run(self, tr: _SwingTracker, r_end: int, f_end: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feed ``tr`` the held samples from its floor up to block ``r_end`` and sample ``f_end``."""
        assert self.axis is not None
        red, full = self.red, self.full
        ax = self.axis.axis
        for s in sorted(self.stretches):
            st = self.stretches[s]
            r0, r1 = (
                max(st.rstart, tr.rfloor, red.first),
                min(st.rend if st.rend is not None else r_end, r_end),
            )
            f0, f1 = max(st.start, tr.floor, full.first), min(st.end if st.end is not None else f_end, f_end)
            if f1 > f0:
                rows = slice(f0 - full.first, f1 - full.first)
                t, acc, w = full["t"][rows], full["acc"][rows], project(full["gyr"][rows], ax)
                tr.push_full(f0, s, start=st.start, rstart=st.rstart, t=t, acc=acc, w=w)
            if r1 > r0:
                rows = slice(r0 - red.first, r1 - red.first)
                closes = st.rend is not None and r1 == st.rend and f1 == st.end
                xr = project(red["g"][rows], ax)[:, None]
                tr.push_rate(
                    r0,
                    s,
                    start=st.start,
                    rstart=st.rstart,
                    xr=xr,
                    centre=red["centre"][rows],
                    closes=closes,
                    end=st.end,
                )
        return tr.advance()

    # -- once the axis is known
    def _feed(self, c: Conditioned) -> Strides:
        tr, axis = self._tracker, self.axis
        assert tr is not None and axis is not None and self._t_origin is not None
        ax = axis.axis
        if c.t_s.size:
            w = project(c.gyr_dps, ax)
            tr.push_full(
                c.idx0,
                c.stretch,
                start=c.start_idx,
                rstart=c.rstart,
                t=c.t_s - self._t_origin,
                acc=c.acc_g,
                w=w,
            )
        if c.gyr_r_dps.shape[0] or c.closes:
            tr.push_rate(
                c.ridx0,
                c.stretch,
                start=c.start_idx,
                rstart=c.rstart,
                xr=project(c.gyr_r_dps, ax)[:, None],
                centre=c.block_start + 0.5 * (c.block_len - 1),
                closes=c.closes,
                end=c.idx0 + c.t_s.size,
            )
        return self._pair(*tr.advance())

    def _pair(self, ic: np.ndarray, to: np.ndarray, seg: np.ndarray) -> Strides:
        """Stances from the swings in order: stance ``j`` runs from the initial contact ending swing ``j``
        to the toe-off starting swing ``j + 1`` of the same stretch."""
        if ic.size == 0:
            return _EMPTY
        p = self.p
        if self._prev is not None:
            ic = np.r_[self._prev[0], ic]
            to = np.r_[self._prev[1], to]
            seg = np.r_[self._prev[2], seg]
        self._prev = (float(ic[-1]), float(to[-1]), int(seg[-1]))
        nxt_to, ic, seg_j, to_j = to[1:], ic[:-1], seg[:-1], to[:-1]
        same = seg[1:] == seg_j
        stance_s = nxt_to - ic
        ok = (
            same
            & np.isfinite(ic)
            & np.isfinite(nxt_to)
            & (stance_s >= p.min_stance_s)
            & (stance_s <= p.max_stance_s)
        )
        swing_ms = 1000.0 * (ic - to_j)
        swing_ms = np.where(np.isfinite(swing_ms) & (swing_ms > 0), swing_ms, np.nan)
        return Strides(initial_contact_s=ic[ok], toe_off_s=nxt_to[ok], swing_before_ms=swing_ms[ok])


def detect_strides(
    data: ImuData, params: StrideParams | None = None, conditioning: ConditioningParams | None = None
) -> Strides:
    """Initial contact and toe-off of every stride of the instrumented leg.

    Parameters
    ----------
    data
        A walking or running recording with a gyroscope on the foot, ankle or shank, any mounting.
    params
        See :class:`StrideParams`.
    conditioning
        See :class:`~imu_app.analysis._conditioning.ConditioningParams` (the work-rate signal's rate).

    Returns
    -------
    Strides
        One entry per stance that begins and ends in the same gap-free stretch.

    Notes
    -----
    The recording is the stream of :class:`StrideStream` fed in one chunk, so that a live session gives the
    same strides (see :mod:`imu_app.analysis._stream`). The leg rotates mostly about one axis
    (flexion/extension), which the principal axis of the low-passed angular rate (the conditioning's
    work-rate signal, block means at about 100 Hz) over the first ``settle_window_s`` of gait finds
    whatever the mounting; its sign
    makes the forward swing positive, from two cues that hold for any frame, mirror images included (see
    :func:`imu_app.analysis._gait_axis.flexion_axis`).
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
    if data.gyr_dps is None:
        raise AnalysisError(_NEEDS_GYRO)
    if len(data) < 10:
        return _EMPTY
    cond = Conditioner(data.sample_rate_hz, conditioning)
    stream = StrideStream(data.sample_rate_hz, cond.block, params)
    parts = [stream.update(c) for s in chunks_of(data) for c in cond.update(s)]
    parts += [stream.update(c) for c in cond.finish()]
    parts.append(stream.finish())
    return concat_strides(parts)


def concat_strides(parts: list[Strides]) -> Strides:
    """Strides of several batches as one."""
    if not parts:
        return _EMPTY
    return Strides(
        initial_contact_s=np.concatenate([s.initial_contact_s for s in parts]),
        toe_off_s=np.concatenate([s.toe_off_s for s in parts]),
        swing_before_ms=np.concatenate([s.swing_before_ms for s in parts]),
    )


def stride_contact(
    initial_contact_s: float, toe_off_s: float, swing_before_ms: float, set_index: int
) -> Contact:
    """One stride as the report's contact (``kind`` stride): the stance and the swing that ended at it."""
    return Contact(
        landing_s=float(initial_contact_s),
        takeoff_s=float(toe_off_s),
        contact_time_ms=float(1000.0 * (toe_off_s - initial_contact_s)),
        flight_time_ms=None,
        kind=ContactKind.STRIDE,
        swing_time_ms=float(swing_before_ms) if np.isfinite(swing_before_ms) else None,
        set_index=int(set_index),
    )


def stride_set(index: int, strides: Strides) -> SetSummary:
    """The set (``kind`` strides) of one bout of gait: its span, count and contact and swing statistics."""
    ct = 1000.0 * (strides.toe_off_s - strides.initial_contact_s)
    return SetSummary(
        index=index,
        kind=SetKind.STRIDES,
        start_s=float(strides.initial_contact_s[0]),
        end_s=float(strides.toe_off_s[-1]),
        count=len(strides),
        stats={
            "contact_time_ms": metric_stats(ct.tolist(), lower_is_better=True),
            "swing_time_ms": metric_stats(strides.swing_before_ms.tolist(), lower_is_better=False),
        },
    )


def stride_report(
    strides: Strides, max_rest_s: float = DEFAULT_MAX_REST_S
) -> tuple[tuple[Contact, ...], tuple[SetSummary, ...]]:
    """Report contacts (``kind="stride"``) and one ``SetSummary(kind="strides")`` per bout of gait."""
    if len(strides) == 0:
        return (), ()
    contacts: list[Contact] = []
    sets: list[SetSummary] = []
    for i, b in enumerate(group_bouts(strides.initial_contact_s, max_rest_s)):
        bout = Strides(strides.initial_contact_s[b], strides.toe_off_s[b], strides.swing_before_ms[b])
        contacts += [
            stride_contact(bout.initial_contact_s[k], bout.toe_off_s[k], bout.swing_before_ms[k], i)
            for k in range(len(bout))
        ]
        sets.append(stride_set(i, bout))
    return tuple(contacts), tuple(sets)
