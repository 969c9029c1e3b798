"""Calf raises as a stream: the samples cut into pieces at rests, each piece analysed once it is over."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from imu_app.analysis._calf.params import TYPICAL_RISE_QUANTILE, CalfRaiseParams, CalfRaiseResult
from imu_app.analysis._calf.segmentation import FoundRep, segment_reps, velocity_lobes
from imu_app.analysis._calf.sets import assemble
from imu_app.analysis._calf.signals import prepare_signals
from imu_app.analysis._conditioning import Conditioned
from imu_app.analysis.report import CalfRaises
from imu_app.core import ImuData, RecordingMeta

__all__ = ["CalfRaiseStream", "CalfStreamParams", "find_reps"]


@dataclass(frozen=True)
class CalfStreamParams:
    """Where :class:`CalfRaiseStream` cuts the stream; the defaults need no tuning.

    Attributes
    ----------
    block_s
        Rest is judged on blocks of this many seconds (whole samples), counted from the first sample of
        each gap-free stretch, so that no chunking can move them.
    still_acc_g
        A block rests when the mean magnitude of its specific force differs from the previous block's by
        less than this (g). A rise of 1 s lifts the ankle with block means of about 15 mg one way, then the
        other; the mean of 0.5 s of a 4-mg noise varies by under 1 mg.
    still_tilt_g
        ... and the mean specific-force vector by less than this (g): the shank turning by about a degree
        (a rise tilts it by 2-8 deg, a knee bend by 12-20 deg) moves it by 17 mg.
    still_gyr_dps
        ... and, with a gyroscope, the mean angular rate by less than this (deg/s): a rise turns the shank
        by several deg/s, single-leg sway by up to 2 deg/s, standing still on two legs by a fraction.
    margin_s
        Rest kept on either side of a piece (s): the analysis fits the accelerometer's bias and the
        velocity's high-pass on it.
    max_piece_s
        Longest piece (s) before it is cut without a rest, at its quietest block within ``search_s`` after
        this, so that an hour without a rest (walking about between sets) keeps memory bounded. The longest
        set of the programme is 15 eccentric reps at 1-0-3-2 s (90 s), 15 bent-knee ones at 1-1-5-2 s
        (135 s) at worst: 180 s holds any set with room.
    search_s
        Where the quietest block is looked for past ``max_piece_s``.
    """

    block_s: float = 0.5
    still_acc_g: float = 0.004
    still_tilt_g: float = 0.02
    still_gyr_dps: float = 3.0
    margin_s: float = 10.0
    max_piece_s: float = 180.0
    search_s: float = 20.0


class _Rows:
    """Rows appended at the end and dropped at the start, in one array that grows by doubling (appending a
    chunk costs the chunk, not the rows held)."""

    def __init__(self, width: int) -> None:
        self._x = np.empty((1024, width))
        self._lo = 0
        self._hi = 0

    def __len__(self) -> int:
        return self._hi - self._lo

    def append(self, rows: np.ndarray) -> None:
        n = rows.shape[0]
        if self._hi + n > self._x.shape[0]:
            held = self._x[self._lo : self._hi]
            grown = np.empty((max(2 * (len(self) + n), 1024), self._x.shape[1]))
            grown[: len(self)] = held
            self._x, self._hi, self._lo = grown, len(self), 0
        self._x[self._hi : self._hi + n] = rows.reshape(n, -1)
        self._hi += n

    def drop(self, n: int) -> None:
        self._lo += min(n, len(self))

    def get(self, a: int, b: int) -> np.ndarray:
        return self._x[self._lo + a : self._lo + b]


class CalfRaiseStream:
    """Calf raises with explicit state: conditioned chunks in, the reps and sets now final out.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate of the stream.
    params
        See :class:`~imu_app.analysis._calf.params.CalfRaiseParams`.
    stream_params
        See :class:`CalfStreamParams`.

    Notes
    -----
    A set of calf raises is surrounded by rest. The stream cuts its samples into *pieces* at rests and
    analyses each piece as a whole (:func:`find_reps`: the typical rise,
    the filters, the accelerometer's bias are the piece's), so that a piece, and with it its reps, does
    not depend on how the stream was chunked: offline analysis is this stream fed the whole recording
    (:func:`~imu_app.analysis._calf.detect.detect_calf_raises`), and a live session gives the same reps.

    Rest is decided block by block (``block_s``, counted from each stretch's first sample; see
    :class:`CalfStreamParams`). Once ``max_rest_s`` of :class:`CalfRaiseParams` (20 s) of consecutive rest
    has passed, the piece ends ``margin_s`` (10 s) into the rest and is analysed; the next piece starts
    with the next movement, ``margin_s`` of rest before it (less if the rest was shorter than
    ``max_rest_s + margin_s``). Reps on either side of such a rest start more than ``max_rest_s`` apart,
    so they belong to different sets anyway: the sets of the pieces are the sets of the whole stream. A
    gap ends a piece too (reps are not sought across one), and a piece longer than ``max_piece_s``
    (180 s) is cut at its quietest block within ``search_s`` (20 s) after that; a set so long is then
    split in two.

    *Look-ahead.* A rep is final ``max_rest_s`` (20 s) plus a block after the movements that follow it
    have stopped; without any rest, up to ``max_piece_s + search_s`` (200 s), which is ``lookahead_s``.
    The samples held (``buffered``) are those of the current piece, at most ``max_piece_s + search_s +
    margin_s`` of sensor time.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        params: CalfRaiseParams | None = None,
        stream_params: CalfStreamParams | None = None,
    ) -> None:
        self.params = params or CalfRaiseParams()
        self.sp = stream_params or CalfStreamParams()
        self.rate = float(sample_rate_hz)
        self.meta = RecordingMeta(sample_rate_hz=self.rate)
        sp = self.sp
        self.block = max(1, round(sp.block_s * self.rate))
        blocks = lambda s: max(1, round(s / (self.block / self.rate)))  # noqa: E731
        self._rest_blocks = blocks(self.params.max_rest_s)
        self._margin_blocks = blocks(sp.margin_s)
        self._cap_blocks = blocks(sp.max_piece_s)
        self._search_blocks = blocks(sp.search_s)
        self.lookahead_s = sp.max_piece_s + sp.search_s
        self.typical_lookahead_s = self.params.max_rest_s + sp.block_s
        self._t0: float | None = None
        self._gyro = False
        self._stretch = -1
        self._n_sets = 0
        self._new_stretch(0)

    def _new_stretch(self, start_idx: int) -> None:
        self._start = start_idx  # stream index of the stretch's first sample
        self._buf_t = _Rows(1)  # samples from stream index self._buf0 on
        self._buf_a = _Rows(3)
        self._buf_g = _Rows(3)
        self._buf0 = start_idx
        self._n = start_idx  # stream index after the last sample taken
        self._blocks = 0  # complete blocks of the stretch
        self._prev: np.ndarray | None = None  # the last block's means
        self._run = 0  # consecutive resting blocks up to the last
        self._piece: int | None = None  # first block of the open piece
        self._cut = 0  # no piece starts before this block (the end of the last one)
        self._quiet: list[float] = []  # how much each block of the open piece moves

    @property
    def buffered(self) -> int:
        """Samples held: those of the open piece (and the rest that may lead the next one)."""
        return self._n - self._buf0

    # -- the stream
    def update(self, chunk: Conditioned) -> CalfRaiseResult:
        """Take the next conditioned chunk; the reps (and their sets) of the pieces it completed."""
        if self._t0 is None and chunk.t_s.size:
            self._t0 = float(chunk.t_s[0])
        found: list[list[FoundRep]] = []
        if chunk.stretch != self._stretch:
            self._stretch = chunk.stretch
            self._new_stretch(chunk.start_idx)
        if chunk.t_s.size:
            self._gyro = chunk.gyr_dps is not None
            self._buf_t.append(chunk.t_s[:, None])
            self._buf_a.append(chunk.acc_g)
            if chunk.gyr_dps is not None:
                self._buf_g.append(chunk.gyr_dps)
            self._n += chunk.t_s.size
            found += self._blocks_done()
        if chunk.closes and self._piece is not None:
            found.append(self._analyse(self._piece * self.block, self._n - self._start))
            self._piece = None
        if chunk.closes:
            self._new_stretch(self._n)
        return self._result(found)

    def finish(self) -> CalfRaiseResult:
        """The stream ended: the open piece, analysed as it is (a closing chunk normally did it)."""
        found = []
        if self._piece is not None:
            found.append(self._analyse(self._piece * self.block, self._n - self._start))
            self._piece = None
        return self._result(found)

    def reps_so_far(self, window_s: float) -> list[FoundRep]:
        """The reps the open piece's last ``window_s`` shows so far (times on the stream's time line): a live
        count while a set goes on, not a result (the piece is analysed whole once it is over, and decides).
        """
        if self._piece is None:
            return []
        hi = self._n - self._start
        return self._analyse(max(self._piece * self.block, hi - round(window_s * self.rate)), hi)

    # -- blocks and pieces
    def _samples(self, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Samples ``lo .. hi - 1`` of the stretch (relative to its first sample)."""
        a, b = lo + self._start - self._buf0, hi + self._start - self._buf0
        gyr = self._buf_g.get(a, b) if self._gyro else None
        return self._buf_t.get(a, b)[:, 0], self._buf_a.get(a, b), gyr

    def _drop_before(self, i: int) -> None:
        """Forget the samples of the stretch before its sample ``i``."""
        k = i + self._start - self._buf0
        if k <= 0:
            return
        for rows in (self._buf_t, self._buf_a, self._buf_g):
            rows.drop(k)
        self._buf0 = i + self._start

    def _blocks_done(self) -> list[list[FoundRep]]:
        found: list[list[FoundRep]] = []
        b = self.block
        while (self._blocks + 1) * b <= self._n - self._start:
            j = self._blocks
            _, acc, gyr = self._samples(j * b, (j + 1) * b)
            mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
            means = np.concatenate(
                [[mag.mean()], acc.mean(axis=0), gyr.mean(axis=0) if gyr is not None else []]
            )
            self._blocks += 1
            still = self._still(means)
            move = 0.0 if self._prev is None else float(np.sum(np.abs(means - self._prev)))
            self._prev = means
            self._run = self._run + 1 if still else 0
            if self._piece is None:
                if not still:  # the next movement: a piece starts, with rest before it
                    self._piece = max(self._cut, j - self._margin_blocks)
                    self._quiet = [np.inf] * (j - self._piece)
                    self._quiet.append(move)
                else:
                    self._drop_before(max(self._cut, j + 1 - self._margin_blocks) * b)
                continue
            self._quiet.append(move)
            if self._run >= self._rest_blocks:
                end = min(j + 1 - self._run + self._margin_blocks, j + 1)
                if end > self._piece:
                    found.append(self._analyse(self._piece * b, end * b))
                self._piece, self._cut = None, end
                self._drop_before(max(self._cut, j + 1 - self._margin_blocks) * b)
            elif len(self._quiet) >= self._cap_blocks + self._search_blocks:
                window = self._quiet[self._cap_blocks :]
                end = self._piece + self._cap_blocks + int(np.argmin(window))
                found.append(self._analyse(self._piece * b, end * b))
                self._quiet = self._quiet[end - self._piece :]
                self._piece = self._cut = end
                self._drop_before(end * b)
        return found

    def _still(self, means: np.ndarray) -> bool:
        p = self._prev
        if p is None:
            return False
        sp = self.sp
        d = np.abs(means - p)
        ok = d[0] < sp.still_acc_g and float(np.linalg.norm(means[1:4] - p[1:4])) < sp.still_tilt_g
        if means.size > 4:
            ok = ok and float(np.linalg.norm(means[4:7] - p[4:7])) < sp.still_gyr_dps
        return bool(ok)

    def _analyse(self, lo: int, hi: int) -> list[FoundRep]:
        """The reps of the stretch's samples ``lo .. hi - 1``, on the stream's time line."""
        t, acc, gyr = self._samples(lo, hi)
        if t.size < 10:
            return []
        data = ImuData(
            t_s=t.copy(), acc_g=acc.copy(), gyr_dps=None if gyr is None else gyr.copy(), meta=self.meta
        )
        assert self._t0 is not None
        shift = float(t[0]) - self._t0
        out = []
        for r in find_reps(data, self.params):
            out.append(
                dataclasses.replace(
                    r,
                    start_s=r.start_s + shift,
                    top_s=r.top_s + shift,
                    lower_s=r.lower_s + shift,
                    bottom_s=r.bottom_s + shift,
                    pause_end_s=None if r.pause_end_s is None else r.pause_end_s + shift,
                )
            )
        return out

    def _result(self, pieces: list[list[FoundRep]]) -> CalfRaiseResult:
        reps, sets = [], []
        for found in pieces:
            part = assemble(found, self.params, (), self.lookahead_s)
            for s in part.sets:
                sets.append(dataclasses.replace(s, index=s.index + self._n_sets))
            for r in part.calf_raises.reps:
                reps.append(
                    r if r.set_index is None else dataclasses.replace(r, set_index=r.set_index + self._n_sets)
                )
            self._n_sets += len(part.sets)
        count = sum(not r.partial for r in reps)
        return CalfRaiseResult(
            CalfRaises(count=count, partial_count=len(reps) - count, reps=tuple(reps)),
            tuple(sets),
            (),
            self.lookahead_s,
        )


def find_reps(data: ImuData, params: CalfRaiseParams) -> list[FoundRep]:
    """The reps of one piece of a stream (:class:`CalfRaiseStream`), time-ordered, before they are put in
    sets: steps 0-4 of :func:`detect_calf_raises` with the piece's own typical rise and filters; times
    from the piece's first sample."""
    if len(data) < 10:
        return []
    sigs = prepare_signals(data, None, params)
    areas = [
        np.array([lobe.area_m for lobe in velocity_lobes(s.t, s.vel, 1.0, params.min_rise_m)]) for s in sigs
    ]
    all_areas = np.concatenate(areas) if areas else np.array([])
    if all_areas.size == 0:
        return []
    typical = float(np.quantile(all_areas, TYPICAL_RISE_QUANTILE))
    min_prom = max(params.min_rise_m, params.noise_fraction * typical)
    found: list[FoundRep] = []
    for sig in sigs:
        found.extend(segment_reps(sig, min_prom, params))
    found.sort(key=lambda r: r.start_s)
    return found
