"""Sources of samples behind one asynchronous interface: a replayed recording now, Bluetooth devices next.

A source is anything with :attr:`Source.info` and an asynchronous iterator :meth:`Source.chunks`. The
session consumes every source the same way, so a file being replayed, the simulator and a sensor on the
wrist are interchangeable (the app runs whole without hardware).
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import AsyncIterator, Sequence

import numpy as np

from imu_app.core import ImuAppError, ImuData
from imu_app.live._chunk import Chunk, ChunkGap, GapReason, Source, SourceInfo
from imu_app.live._clock import Clock, MonotonicClock
from imu_app.recordings import load

__all__ = ["ReplaySource", "Source"]

logger = logging.getLogger(__name__)


class ReplaySource(Source):
    """A recording replayed as a sensor would send it: in packets, in real time, N times faster, or at once.

    Parameters
    ----------
    data
        The recording.
    speed
        Real time is 1; 10 replays ten times faster; ``None`` as fast as the session takes the chunks (the
        source then waits for the session, unlike a real-time source).
    packet_s
        Sensor time per chunk. 20 ms is what a BLE sensor at 1 kHz sends per notification batch.
    name
        For messages.
    clock
        Host clock to pace by and stamp arrivals with.

    Notes
    -----
    Chunks never span a gap of the recording: the chunk after one carries it in ``gap_before``
    (``GapReason.SOURCE``), so the session marks exactly the gaps the file has.
    """

    def __init__(
        self,
        data: ImuData,
        *,
        speed: float | None = 1.0,
        packet_s: float = 0.02,
        name: str = "replay",
        clock: Clock | None = None,
    ) -> None:
        if len(data) < 2:
            raise ImuAppError(f"{name}: a replay needs at least two samples")
        if speed is not None and not (speed > 0 and np.isfinite(speed)):
            raise ImuAppError(f"replay speed must be a positive number or 'max', got {speed!r}")
        self.data = data
        self.speed = speed
        self.clock = clock or MonotonicClock()
        rate = data.sample_rate_hz
        self._per_chunk = max(1, round(packet_s * rate))
        self.info = SourceInfo(
            name=name,
            sample_rate_hz=rate,
            has_gyro=data.has_gyro,
            meta=data.meta,
            realtime=speed is not None,
        )

    @classmethod
    def from_files(
        cls,
        paths: Sequence[str | os.PathLike[str]],
        *,
        exercise: str | None = None,
        leg: str | None = None,
        **kwargs: object,
    ) -> ReplaySource:
        """Replay a recording in any format that ``imu_app.recordings.load`` reads (several files: one)."""
        data = load(paths[0] if len(paths) == 1 else list(paths))
        changes = {k: v for k, v in (("exercise", exercise), ("leg", leg)) if v}
        if changes:
            data = dataclasses.replace(data, meta=data.meta.replace(**changes))
        kwargs.setdefault("name", ", ".join(os.fspath(p) for p in paths))
        return cls(data, **kwargs)  # type: ignore[arg-type]

    def _bounds(self) -> list[tuple[int, int, bool]]:
        """(start, stop, after a gap) of each chunk: fixed size, cut at every gap of the recording."""
        n = len(self.data)
        cuts = sorted({g.before_idx + 1 for g in self.data.gaps if 0 <= g.before_idx < n - 1})
        out: list[tuple[int, int, bool]] = []
        for a, b in zip([0, *cuts], [*cuts, n], strict=True):
            starts = range(a, b, self._per_chunk)
            out += [(s, min(s + self._per_chunk, b), s == a and a > 0) for s in starts]
        return out

    async def chunks(self) -> AsyncIterator[Chunk]:
        d = self.data
        gaps = {g.before_idx + 1: g for g in d.gaps}
        t0 = float(d.t_s[0])
        start_host = self.clock.now()
        for a, b, after_gap in self._bounds():
            if self.speed is not None:
                due = start_host + (float(d.t_s[b - 1]) - t0) / self.speed
                wait = due - self.clock.now()
                if wait > 0:
                    await self.clock.sleep(wait)
            gap = None
            if after_gap:
                g = gaps[a]
                gap = ChunkGap(g.start_s, g.end_s, g.n_missing, GapReason.SOURCE)
            yield Chunk(
                t_s=d.t_s[a:b],
                acc_g=d.acc_g[a:b],
                gyr_dps=None if d.gyr_dps is None else d.gyr_dps[a:b],
                seq=None if d.seq is None else d.seq[a:b],
                arrival_s=self.clock.now(),
                gap_before=gap,
            )
        logger.debug("%s: replay ended after %d samples", self.info.name, len(d))
