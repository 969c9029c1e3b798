"""From the chunks a source delivers to one clean time line: unwrapped, restarts joined, in order, each
sample once, every gap marked."""

from __future__ import annotations

import bisect
import itertools
import logging
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from imu_app.core import GAP_FACTOR
from imu_app.live._chunk import Chunk, ChunkGap, GapReason, SourceInfo

__all__ = ["Sequencer", "SequencerCounts", "SequencerParams"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SequencerParams:
    """Parameters of :class:`Sequencer`.

    Attributes
    ----------
    reorder_s
        A chunk that does not follow the last one without a gap is held until this much later sensor time
        has arrived, in case the missing chunk comes late (BLE retransmits within a few connection
        intervals, 10-100 ms). It bounds the delay a loss adds; without loss nothing is held.
    restart_back_s
        A chunk this much earlier than the latest sample is no late packet but a sensor whose clock started
        again. Late packets come at most ``reorder_s`` late; a restarted counter starts near zero.
    recent_chunks
        How many released chunks are remembered to recognise a duplicate packet.
    """

    reorder_s: float = 0.1
    restart_back_s: float = 1.0
    recent_chunks: int = 512


@dataclass
class SequencerCounts:
    """What the sequencer met, for link health (samples unless said otherwise)."""

    released: int = 0
    lost: int = 0
    duplicates: int = 0
    late_dropped: int = 0
    out_of_order_chunks: int = 0
    restarts: int = 0
    wraps: int = 0
    gaps: list[ChunkGap] = field(default_factory=list)


class Sequencer:
    """Turns a source's chunks into the session's: one strictly increasing sensor time line.

    Parameters
    ----------
    info
        The source (nominal rate, clock wrap period, sequence modulus).
    params
        See :class:`SequencerParams`.

    Notes
    -----
    *Wrap-around.* A counter that wraps every ``clock_wrap_s`` jumps back by about that much; such a jump
    adds ``clock_wrap_s`` to every later time (a chunk that still carries times from before the wrap, late,
    gets them back without it).

    *Restart.* A jump back of more than ``restart_back_s`` that no wrap explains is a restarted sensor.
    The new times are shifted to continue the session's time line after the time that passed on the host
    since the last chunk, and the chunk carries a gap of reason ``RESET``: the samples in between were
    never measured, and the clock mapping starts afresh.

    *Order, duplicates, loss.* A chunk that follows the last released one without a gap (time step under
    ``GAP_FACTOR`` periods, sequence number +0 or +1) is released at once. Otherwise it is held, sorted by
    time, until ``reorder_s`` of later time has arrived, so that a packet overtaken by later ones takes its
    place. Samples already released (a duplicated packet) are dropped and counted; a packet later than
    ``reorder_s`` cannot go back into a time line that was already recorded and analysed, and is counted
    as ``late_dropped`` with a warning. Every gap that remains is marked on the chunk after it, the same
    way :func:`imu_app.core.find_gaps` marks it in a file.
    """

    def __init__(self, info: SourceInfo, params: SequencerParams | None = None) -> None:
        self.params = params or SequencerParams()
        self.period_s = 1.0 / info.sample_rate_hz
        self.wrap_s = info.clock_wrap_s
        self.seq_modulus = info.seq_modulus
        self.counts = SequencerCounts()
        self._wrap_offset = 0.0
        self._last_raw: float | None = None
        self._epoch_offset = 0.0
        self._last_t: float | None = None
        self._last_seq: int | None = None
        self._last_arrival: float | None = None
        self._held: list[tuple[float, int, Chunk]] = []
        self._n_pushed = 0
        self._recent: deque[float] = deque(maxlen=self.params.recent_chunks)
        self._recent_set: set[float] = set()

    @property
    def last_t_s(self) -> float | None:
        return self._last_t

    @property
    def held(self) -> int:
        return len(self._held)

    # ------------------------------------------------------------------------------------------------ input

    def _unwrapped(self, raw: np.ndarray) -> np.ndarray:
        if not self.wrap_s:
            return raw
        w = self.wrap_s
        if self._last_raw is not None:
            step = raw[0] - self._last_raw
            if step > w / 2:  # late, from before the last wrap
                return raw + self._wrap_offset - w
            if step < -w / 2:
                self._wrap_offset += w
                self.counts.wraps += 1
        inner = np.diff(raw) < -w / 2
        extra = np.concatenate(([0.0], np.cumsum(inner) * w))
        if inner.any():
            self.counts.wraps += int(inner.sum())
        out = raw + self._wrap_offset + extra
        self._wrap_offset += float(extra[-1])
        self._last_raw = float(raw[-1])
        return out

    def push(self, chunk: Chunk) -> list[Chunk]:
        """Take one chunk from the source; return the chunks now ready, in order, on the session time line."""
        if len(chunk) == 0:
            return []
        t = self._unwrapped(chunk.t_s) + self._epoch_offset
        # Inside a chunk, keep strictly increasing samples only (a sensor never repeats one within a packet).
        keep = np.concatenate(([True], np.diff(t) > 0))
        if not keep.all():
            self.counts.duplicates += int((~keep).sum())
        chunk = Chunk(
            t[keep],
            chunk.acc_g[keep],
            None if chunk.gyr_dps is None else chunk.gyr_dps[keep],
            None if chunk.seq is None else chunk.seq[keep],
            chunk.arrival_s,
            chunk.gap_before,
        )
        out: list[Chunk] = []
        newest = max([self._last_t or -np.inf, *(h[2].t_s[-1] for h in self._held)])
        if np.isfinite(newest) and chunk.t_s[0] < newest - self.params.restart_back_s:
            out += self._flush()
            chunk = self._restarted(chunk)
            out.append(self._release(chunk))
            self._last_arrival = chunk.arrival_s
            return out
        self._last_arrival = chunk.arrival_s
        chunk = self._without_released(chunk)
        if chunk is None:
            return out
        if self._held and chunk.t_s[0] < self._held[-1][0]:
            self.counts.out_of_order_chunks += 1
        self._n_pushed += 1
        bisect.insort(self._held, (float(chunk.t_s[0]), self._n_pushed, chunk))
        out += self._drain(flush=False)
        return out

    def finish(self) -> list[Chunk]:
        """The source has ended: release everything held."""
        return self._flush()

    # ------------------------------------------------------------------------------------------- internals

    def _restarted(self, chunk: Chunk) -> Chunk:
        assert self._last_t is not None
        elapsed = (chunk.arrival_s - self._last_arrival) if self._last_arrival is not None else 0.0
        span = float(chunk.t_s[-1] - chunk.t_s[0])
        # At least two periods, so that the recording shows the gap as a step of time (GAP_FACTOR 1.5).
        new_t0 = self._last_t + max(2.0 * self.period_s, elapsed - span)
        shift = new_t0 - float(chunk.t_s[0])
        self._epoch_offset += shift
        n_missing = max(round((new_t0 - self._last_t) / self.period_s) - 1, 0)
        gap = ChunkGap(self._last_t, new_t0, n_missing, GapReason.RESET)
        logger.warning(
            "the sensor's clock started again (time went back by %.3f s); the session continues after a gap",
            self._last_t - float(chunk.t_s[0]) + shift - (new_t0 - self._last_t),
        )
        self._last_seq = None
        return chunk.shifted(shift, gap_before=gap)

    def _without_released(self, chunk: Chunk) -> Chunk | None:
        t0 = round(float(chunk.t_s[0]), 6)
        if t0 in self._recent_set or any(round(h[0], 6) == t0 for h in self._held):
            self.counts.duplicates += len(chunk)
            return None
        if self._last_t is None or chunk.t_s[-1] > self._last_t:
            k = 0 if self._last_t is None else int(np.searchsorted(chunk.t_s, self._last_t, side="right"))
            if k:
                self.counts.duplicates += k
                chunk = chunk.take(k, len(chunk), gap_before=None)
            return chunk
        self.counts.late_dropped += len(chunk)
        logger.warning(
            "%d samples arrived after later ones had been recorded (%.0f ms late); they are left out",
            len(chunk),
            1000 * (self._last_t - float(chunk.t_s[0])),
        )
        return None

    def _follows(self, chunk: Chunk) -> bool:
        if self._last_t is None:
            return True
        if chunk.gap_before is not None:
            return True  # the source knows the gap; nothing will fill it
        if chunk.t_s[0] - self._last_t > GAP_FACTOR * self.period_s:
            return False
        if chunk.seq is not None and self._last_seq is not None:
            return (int(chunk.seq[0]) - self._last_seq) % self.seq_modulus <= 1
        return True

    def _drain(self, *, flush: bool) -> list[Chunk]:
        out = []
        while self._held:
            _, _, head = self._held[0]
            newest = max(h[2].t_s[-1] for h in self._held)
            if flush or self._follows(head) or newest - head.t_s[0] > self.params.reorder_s:
                self._held.pop(0)
                out += self._split(head)
            else:
                break
        return out

    def _flush(self) -> list[Chunk]:
        return self._drain(flush=True)

    def _split(self, chunk: Chunk) -> list[Chunk]:
        """Release a chunk, cut at any gap inside it or before it."""
        if chunk.gap_before is not None or self._last_t is None:
            gaps_at = self._inner_gaps(chunk, with_first=False)
            first_gap = chunk.gap_before
        else:
            gaps_at = self._inner_gaps(chunk, with_first=True)
            first_gap = None
        cuts = [0, *(i for i, _ in gaps_at if i > 0), len(chunk)]
        gap_of = dict(gaps_at)
        out = []
        for a, b in itertools.pairwise(cuts):
            gap = gap_of.get(a, first_gap if a == 0 else None)
            out.append(self._release(chunk.take(a, b, gap_before=gap)))
        return out

    def _inner_gaps(self, chunk: Chunk, *, with_first: bool) -> list[tuple[int, ChunkGap]]:
        t = chunk.t_s
        dt = np.diff(t, prepend=self._last_t) if with_first else np.concatenate(([0.0], np.diff(t)))
        is_gap = dt > GAP_FACTOR * self.period_s
        if chunk.seq is not None:
            prev = self._last_seq if (with_first and self._last_seq is not None) else int(chunk.seq[0])
            dseq = np.diff(np.r_[prev, chunk.seq]) % self.seq_modulus
            is_gap |= dseq > 1
        if not with_first:
            is_gap[0] = False
        out = []
        for i in np.flatnonzero(is_gap):
            before = self._last_t if i == 0 else float(t[i - 1])
            n_missing = max(round(dt[i] / self.period_s) - 1, 0)
            if chunk.seq is not None:
                prev_seq = self._last_seq if i == 0 else int(chunk.seq[i - 1])
                if prev_seq is not None:
                    n_missing = max(n_missing, (int(chunk.seq[i]) - prev_seq) % self.seq_modulus - 1)
            out.append((int(i), ChunkGap(float(before), float(t[i]), n_missing, GapReason.LOST)))  # type: ignore[arg-type]
        return out

    def _release(self, chunk: Chunk) -> Chunk:
        if chunk.gap_before is not None:
            self.counts.gaps.append(chunk.gap_before)
            self.counts.lost += chunk.gap_before.n_missing
            if chunk.gap_before.reason is GapReason.RESET:
                # A restart the sequencer found, or one the source placed on the time line itself.
                self.counts.restarts += 1
        self._last_t = float(chunk.t_s[-1])
        if chunk.seq is not None:
            self._last_seq = int(chunk.seq[-1])
        self.counts.released += len(chunk)
        t0 = round(float(chunk.t_s[0]), 6)
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(t0)
        self._recent_set.add(t0)
        return chunk
