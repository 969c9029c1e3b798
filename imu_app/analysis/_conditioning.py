"""Conditioning: what every detector of the stream reads, computed once per chunk.

One :class:`Conditioner` turns the chunks of a stream into :class:`Conditioned` pieces, each within one
gap-free stretch of samples:

- one gap policy: a stretch ends where the source marks missing samples or where a time step exceeds
  ``GAP_FACTOR`` nominal periods, within a chunk or between two;
- the work-rate signal: the angular rate averaged over blocks of whole samples down to no less than
  ``reduced_rate_hz`` (blocks aligned on the stretch's first sample), on which the slow signals of the
  detectors are looked at;
- a running estimate of the gyroscope bias from the still moments, which settles within seconds.

:class:`ZeroPhaseLowPass` is the low-pass the detectors apply to the work-rate signal: a zero-phase
filter that streams, so that it gives the same samples whatever the chunks.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from imu_app.analysis._stream import Samples
from imu_app.core import GAP_FACTOR, AnalysisError

__all__ = ["Conditioned", "Conditioner", "ConditioningParams", "ZeroPhaseLowPass", "zero_phase_kernel"]


@dataclass(frozen=True)
class ConditioningParams:
    """Parameters of :class:`Conditioner`; the defaults need no tuning.

    Attributes
    ----------
    reduced_rate_hz
        The work-rate signal is the angular rate averaged over blocks of ``floor(rate / reduced_rate_hz)``
        samples (10 at 1 kHz, 2 at 204.8 Hz, none at 100-199 Hz). The swing of the leg lies below 6 Hz,
        where a block mean changes nothing that matters (0.6 % at 6 Hz for blocks of 10 samples at 1 kHz),
        and the detectors' slow signals then cost a tenth of what they cost at 1 kHz.
    still_gyr_dps, still_acc_g
        A block is still when its mean angular rate stays below ``still_gyr_dps`` (above the bias of any
        MEMS gyroscope in use, a few deg/s, below every movement of the leg) and the specific force in its
        middle is within ``still_acc_g`` of 1 g (no impact, no acceleration of the leg).
    bias_time_constant_s
        The bias is the exponential moving average of the angular rate over still blocks, with this time
        constant counted in still time: a sensor put down settles it within a few seconds, and the
        bias's drift with temperature takes minutes.
    """

    reduced_rate_hz: float = 100.0
    still_gyr_dps: float = 10.0
    still_acc_g: float = 0.05
    bias_time_constant_s: float = 2.0


@dataclass(frozen=True, eq=False)
class Conditioned:
    """The conditioned samples of one chunk within one gap-free stretch.

    Attributes
    ----------
    stretch
        Number of the gap-free stretch (0, 1, ... in the stream's order).
    start_idx
        Stream index of the stretch's first sample.
    closes
        The stretch ends with this piece (a gap follows, or the stream ended).
    idx0
        Stream index of ``t_s[0]`` (the samples of the stream are numbered from 0).
    t_s, acc_g, gyr_dps
        The new samples as they came (``gyr_dps`` ``None`` without a gyroscope); may be empty.
    rstart, ridx0
        Index of the stretch's first block and of ``gyr_r_dps[0]``, counted over the stream's blocks.
    gyr_r_dps
        The work-rate signal: mean angular rate of each new complete block (and of the stretch's last,
        shorter block when it closes), ``(k, 3)``; empty without a gyroscope.
    block_start, block_len
        Stream index of each block's first sample, and its number of samples.
    gyr_bias_dps
        Running gyroscope bias at each new block, ``(k, 3)`` (zero until the first still block).
    """

    stretch: int
    start_idx: int
    closes: bool
    idx0: int
    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    rstart: int
    ridx0: int
    gyr_r_dps: np.ndarray
    block_start: np.ndarray
    block_len: np.ndarray
    gyr_bias_dps: np.ndarray

    @property
    def gap_before(self) -> bool:
        """Samples are missing just before ``t_s[0]``."""
        return self.stretch > 0 and self.idx0 == self.start_idx and self.t_s.size > 0


def _block_sums(x: np.ndarray, block: int) -> np.ndarray:
    """Sums over consecutive blocks of ``block`` rows (``x`` holds whole blocks), added in row order so
    that a block's sum does not depend on what else is in ``x`` nor on its memory layout."""
    out = np.empty((x.shape[0] // block, x.shape[1]))
    for j in range(x.shape[1]):
        c = x[:, j].reshape(-1, block)
        s = c[:, 0].copy()
        for k in range(1, block):
            s += c[:, k]
        out[:, j] = s
    return out


class Conditioner:
    """Chunks of a stream in, :class:`Conditioned` pieces out (see the module).

    Parameters
    ----------
    sample_rate_hz
        Nominal rate of the stream.
    params
        See :class:`ConditioningParams`.
    """

    def __init__(self, sample_rate_hz: float, params: ConditioningParams | None = None) -> None:
        if not sample_rate_hz or sample_rate_hz <= 0:
            raise AnalysisError("the analysis needs the nominal sample rate (Hz) of the sensor")
        self.params = params or ConditioningParams()
        self.sample_rate_hz = float(sample_rate_hz)
        self.block = max(1, int(self.sample_rate_hz // self.params.reduced_rate_hz))
        self.reduced_rate_hz = self.sample_rate_hz / self.block
        self._alpha = 1.0 - math.exp(-1.0 / (self.params.bias_time_constant_s * self.reduced_rate_hz))
        self._n = 0  # samples seen
        self._nr = 0  # blocks emitted
        self._stretch = -1
        self._start = 0
        self._rstart = 0
        self._last_t: float | None = None
        self._pend_gyr = np.empty((0, 3))  # rows of the current, incomplete block
        self._pend_acc = np.empty((0, 3))
        self._has_gyro: bool | None = None
        self._bias = np.zeros(3)
        self._bias_zi: np.ndarray | None = None  # filter state of the bias average, once a block was still

    def update(self, samples: Samples) -> list[Conditioned]:
        """Condition the next chunk; pieces in stream order, each within one stretch."""
        n = len(samples)
        if n == 0:
            return []
        t = np.asarray(samples.t_s, dtype=np.float64)
        acc = np.asarray(samples.acc_g, dtype=np.float64).reshape(-1, 3)
        gyr = (
            None if samples.gyr_dps is None else np.asarray(samples.gyr_dps, dtype=np.float64).reshape(-1, 3)
        )
        if self._has_gyro is None:
            self._has_gyro = gyr is not None
        elif self._has_gyro != (gyr is not None):
            raise AnalysisError("the stream changed between samples with and without a gyroscope")
        period = 1.0 / self.sample_rate_hz
        cut = np.zeros(n, dtype=bool)  # a stretch starts at this sample
        cut[1:] = np.diff(t) > GAP_FACTOR * period
        cut[[i + 1 for i in samples.gaps_after_idx if 0 <= i < n - 1]] = True
        cut[0] = self._last_t is None or samples.gap_before or t[0] - self._last_t > GAP_FACTOR * period
        starts = [*np.flatnonzero(cut).tolist(), n]
        out: list[Conditioned] = []
        if starts[0] > 0:
            out.append(
                self._piece(t[: starts[0]], acc[: starts[0]], None if gyr is None else gyr[: starts[0]])
            )
        for a, b in itertools.pairwise(starts):
            if self._stretch >= 0:
                out.append(self._close())
            self._stretch += 1
            self._start = self._n
            self._rstart = self._nr
            out.append(self._piece(t[a:b], acc[a:b], None if gyr is None else gyr[a:b]))
        self._last_t = float(t[-1])
        return out

    def finish(self) -> list[Conditioned]:
        """The stream ended: close its last stretch."""
        return [self._close()] if self._stretch >= 0 else []

    def _piece(self, t: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None) -> Conditioned:
        idx0 = self._n
        self._n += t.size
        e3 = np.empty((0, 3))
        if gyr is None:
            return self._make(idx0, t, acc, None, e3, (e3, e3), np.empty(0, np.int64), False)
        if self._pend_gyr.shape[0]:
            g = np.concatenate([self._pend_gyr, gyr])
            a = np.concatenate([self._pend_acc, acc])
        else:
            g, a = gyr, acc
        whole = (g.shape[0] // self.block) * self.block
        self._pend_gyr, self._pend_acc = g[whole:].copy(), a[whole:].copy()
        k = whole // self.block
        gm = _block_sums(g[:whole], self.block) / self.block
        first = self._n - g.shape[0]  # stream index of the first row of g
        starts = first + self.block * np.arange(k, dtype=np.int64)
        return self._make(idx0, t, acc, gyr, gm, (a, g), starts, False)

    def _close(self) -> Conditioned:
        g, a = self._pend_gyr, self._pend_acc
        self._pend_gyr, self._pend_acc = np.empty((0, 3)), np.empty((0, 3))
        e3 = np.empty((0, 3))
        if g.shape[0] == 0:
            return self._make(
                self._n,
                np.empty(0),
                e3,
                e3 if self._has_gyro else None,
                e3,
                (e3, e3),
                np.empty(0, np.int64),
                True,
            )
        gm = _block_sums(g, g.shape[0]) / g.shape[0]
        starts = np.array([self._n - g.shape[0]], dtype=np.int64)
        return self._make(self._n, np.empty(0), e3, e3 if self._has_gyro else None, gm, (a, g), starts, True)

    def _make(  # noqa: PLR0917 (one private call site per kind of piece)
        self,
        idx0: int,
        t: np.ndarray,
        acc: np.ndarray,
        gyr: np.ndarray | None,
        gm: np.ndarray,
        rows: tuple[np.ndarray, np.ndarray],
        starts: np.ndarray,
        closes: bool,
    ) -> Conditioned:
        k = gm.shape[0]
        lens = np.full(k, self.block, dtype=np.int64)
        if closes and k:
            lens[-1] = self._n - int(starts[-1])
        ridx0 = self._nr
        self._nr += k
        return Conditioned(
            stretch=self._stretch,
            start_idx=self._start,
            closes=closes,
            idx0=idx0,
            t_s=t,
            acc_g=acc,
            gyr_dps=gyr,
            rstart=self._rstart,
            ridx0=ridx0,
            gyr_r_dps=gm,
            block_start=starts,
            block_len=lens,
            gyr_bias_dps=self._bias_of(gm, lens, rows[0]),
        )

    def _bias_of(self, gm: np.ndarray, lens: np.ndarray, acc_rows: np.ndarray) -> np.ndarray:
        """The running bias after each block: an exponential moving average over the still ones.

        ``acc_rows`` are the specific-force samples of the blocks ``gm`` (in order, ``lens`` each); the
        sample in the middle of a block whose angular rate is low enough tells whether it also bears 1 g.
        """
        out = np.repeat(self._bias[None, :], gm.shape[0], axis=0)
        if gm.shape[0] == 0:
            return out
        p = self.params
        cand = np.flatnonzero(np.einsum("ij,ij->i", gm, gm) < p.still_gyr_dps**2)
        if cand.size == 0:
            return out
        mid = (np.concatenate(([0], np.cumsum(lens)[:-1])) + lens // 2)[cand]
        am = acc_rows[mid]
        still = cand[np.abs(np.sqrt(np.einsum("ij,ij->i", am, am)) - 1.0) < p.still_acc_g]
        if still.size == 0:
            return out
        x = gm[still]
        if self._bias_zi is None:
            self._bias_zi = (1.0 - self._alpha) * x[0]
        y, zf = lfilter([self._alpha], [1.0, -(1.0 - self._alpha)], x, axis=0, zi=self._bias_zi[None, :])
        self._bias_zi = zf[0]
        # Each block carries the bias as of its own end: the last still block's value, carried forward.
        mark = np.full(gm.shape[0], -1)
        mark[still] = np.arange(still.size)
        last = np.maximum.accumulate(mark)
        has = last >= 0
        out[has] = y[last[has]]
        self._bias = y[-1].copy()
        return out


@functools.lru_cache(maxsize=32)
def zero_phase_kernel(sample_rate_hz: float, cutoff_hz: float, tol: float = 1e-4) -> np.ndarray:
    """The impulse response of a second-order Butterworth low-pass run forwards and backwards (its
    autocorrelation), cut where it falls below ``tol`` of its peak and scaled to a gain of one at 0 Hz.

    A cutoff at or above 0.45 of the rate gives ``[1.0]`` (no filtering).
    """
    if cutoff_hz >= 0.45 * sample_rate_hz:
        return np.ones(1)
    sos = butter(2, cutoff_hz, fs=sample_rate_hz, output="sos")
    n = int(20 * sample_rate_hz / cutoff_hz) + 16
    imp = np.zeros(n)
    imp[0] = 1.0
    h1 = sosfilt(sos, imp)
    h = np.convolve(h1, h1[::-1])
    c = int(np.argmax(h))
    big = np.flatnonzero(np.abs(h) > tol * h[c])
    half = int(max(c - big[0], big[-1] - c))
    k = h[c - half : c + half + 1]
    k = 0.5 * (k + k[::-1])
    k = k / k.sum()
    k.flags.writeable = False  # shared by every caller (cached)
    return k


class ZeroPhaseLowPass:
    """A zero-phase low-pass of a stream of samples within gap-free stretches, the same whatever the chunks.

    The kernel is that of the second-order Butterworth filter run forwards and backwards
    (:func:`zero_phase_kernel`), applied as a symmetric FIR filter: each output needs ``half`` samples on
    either side, and is computed tap by tap, so that it does not depend on how the stream was cut. At a
    stretch's ends the signal is extended by odd reflection about its end sample (as ``filtfilt`` pads);
    a stretch of ``half`` samples or fewer is passed through unfiltered.

    Parameters
    ----------
    kernel
        Symmetric kernel of odd length ``2 half + 1``.
    width
        Columns of the signal.
    """

    def __init__(self, kernel: np.ndarray, width: int) -> None:
        self.kernel = np.asarray(kernel, dtype=np.float64)
        self.half = (self.kernel.size - 1) // 2
        self.width = int(width)
        self._x = np.empty((0, self.width))  # samples from index self._x0 of the stretch
        self._x0 = 0
        self._m = 0  # samples of the stretch so far
        self._done = 0  # outputs given for the stretch
        self._head = np.empty((0, self.width))

    @property
    def lag(self) -> int:
        """Samples an output waits for after its own (within a stretch)."""
        return self.half

    def update(self, x: np.ndarray, *, closes: bool = False) -> np.ndarray:
        """Add samples of the current stretch; the outputs now decided, in order. ``closes``: the stretch
        ends after them (the next call starts a new one)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1, self.width)
        self._x = np.concatenate([self._x, x])
        self._m += x.shape[0]
        if self._head.shape[0] <= self.half:
            self._head = np.concatenate([self._head, x])[: self.half + 1]
        h = self.half
        stop = self._m if closes else self._m - h
        out = np.empty((0, self.width))
        if stop > self._done:
            if self._m <= h:
                out = self._get(self._done, stop)
            else:
                xe = self._get(self._done - h, stop + h, closed=closes)
                out = self._fir(xe, stop - self._done)
            self._done = stop
        if closes:
            self._x, self._x0, self._m, self._done = np.empty((0, self.width)), 0, 0, 0
            self._head = np.empty((0, self.width))
        else:
            keep_from = max(self._done - h, 0)
            if keep_from > self._x0:
                self._x = self._x[keep_from - self._x0 :]
                self._x0 = keep_from
        return out

    def _get(self, lo: int, hi: int, *, closed: bool = False) -> np.ndarray:
        """Samples ``lo .. hi - 1`` of the stretch, odd-reflected beyond its first and (closed) last."""
        m = self._m
        parts = []
        if lo < 0:
            i = np.arange(-lo, 0, -1)  # reflected indices 1.. -lo, nearest last
            parts.append(2.0 * self._head[0] - self._head[i])
        a, b = max(lo, 0), min(hi, m)
        parts.append(self._x[a - self._x0 : b - self._x0])
        if closed and hi > m:
            i = 2 * (m - 1) - np.arange(m, hi)
            parts.append(2.0 * self._x[m - 1 - self._x0] - self._x[i - self._x0])
        return np.concatenate(parts)

    def _fir(self, xe: np.ndarray, k: int) -> np.ndarray:
        h, c = self.kernel, self.half
        y = h[c] * xe[c : c + k]
        for j in range(c):
            y += h[j] * (xe[j : j + k] + xe[2 * c - j : 2 * c - j + k])
        return y
