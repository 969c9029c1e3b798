"""The streaming engine's contract: what a detector with state is, and how a recording becomes a stream.

Offline analysis is the stream fed the whole recording: a detector sees the same samples in one chunk or in
many, and gives the same events (see ``tests/test_engine_stream.py``). Every detector here

- takes the conditioned samples of one chunk (:class:`~imu_app.analysis._conditioning.Conditioned`) and
  returns the events that became final with them (``update``), and those still held back once the stream
  ends (``finish``);
- never takes an event back: what ``update`` returned is part of every later answer;
- needs at most ``lookahead_s`` of sensor time after an event before it returns it, a figure derived from
  its parameters, and holds no more samples than that look-ahead asks (``buffered``), however long the
  stream.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np

from imu_app.core import ImuData

if TYPE_CHECKING:
    from imu_app.analysis._conditioning import Conditioned

__all__ = ["Detector", "Samples", "chunks_of"]

E_co = TypeVar("E_co", covariant=True)


class Detector(Protocol[E_co]):
    """A detector with explicit state: conditioned chunks in, final events out (a batch of type ``E_co``).

    Attributes
    ----------
    lookahead_s
        The longest sensor time after an event (its last instant) that the detector may need before it
        returns that event, derived from its parameters.
    """

    lookahead_s: float

    def update(self, chunk: Conditioned) -> E_co:
        """Take the next conditioned chunk; return the events that became final with it."""
        ...

    def finish(self) -> E_co:
        """No more samples will come: return every event still held back."""
        ...

    @property
    def buffered(self) -> int:
        """Samples held (bounded by the look-ahead, not by the length of the stream)."""
        ...


@dataclass(frozen=True, eq=False)
class Samples:
    """Consecutive samples given to the engine together.

    Attributes
    ----------
    t_s, acc_g, gyr_dps
        Sensor time (s), specific force (g, ``(n, 3)``) and angular rate (deg/s, ``(n, 3)``, or ``None``).
    gap_before
        Samples are missing just before the first one.
    gaps_after_idx
        Indices ``i`` of this chunk with samples missing between ``i`` and ``i + 1``.
    """

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None = None
    gap_before: bool = False
    gaps_after_idx: tuple[int, ...] = ()

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def chunks_of(data: ImuData, sizes: Sequence[int] | None = None) -> Iterator[Samples]:
    """A recording as the chunks of a stream: one chunk (``sizes=None``) or chunks of the given sizes in
    turn (the last one takes what is left), with the recording's gaps where they fall."""
    n = len(data)
    gap_after = np.array(
        sorted({g.before_idx for g in data.gaps if 0 <= g.before_idx < n - 1}), dtype=np.intp
    )
    edges = [0, n] if sizes is None else [0, *np.minimum(np.cumsum(sizes), n).tolist(), n]
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        inside = gap_after[(gap_after >= a) & (gap_after < b - 1)] - a
        yield Samples(
            t_s=data.t_s[a:b],
            acc_g=data.acc_g[a:b],
            gyr_dps=None if data.gyr_dps is None else data.gyr_dps[a:b],
            gap_before=bool(a > 0 and np.any(gap_after == a - 1)),
            gaps_after_idx=tuple(int(i) for i in inside),
        )
