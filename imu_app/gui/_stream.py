"""What the window streams from, free of Qt: device lists, source factories, a pausable clock, the stream.

The window never builds a source itself. A :class:`DeviceProvider` lists sensors and turns one into a
:class:`~imu_app.live.Source` (the Bluetooth package brings one; without it the app says there is no
adapter); replays and the demo come from :func:`replay_source` and :class:`DemoSource`. A
:class:`Stream` runs one :class:`~imu_app.live.Session` on the event loop with a :class:`LiveModel` and a
:class:`LiveLog` subscribed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from imu_app.analysis import Contact, SetSummary
from imu_app.core import ImuAppError, ImuData
from imu_app.live import (
    Chunk,
    Clock,
    ContactDone,
    LiveModel,
    MonotonicClock,
    Published,
    ReplaySource,
    Session,
    SessionSummary,
    SetDone,
    Source,
    make_engine,
)
from imu_app.recordings import load

__all__ = [
    "BUNDLED_RECORDINGS",
    "DEMO_RECORDING",
    "DemoSource",
    "DeviceEntry",
    "DeviceProvider",
    "LiveLog",
    "MediaClock",
    "NoAdapter",
    "Stream",
    "replay_source",
    "spawn",
]

logger = logging.getLogger(__name__)

#: The recordings that ship with the project (present in a source checkout).
BUNDLED_RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"
DEMO_RECORDING = BUNDLED_RECORDINGS / "pogo_hops.csv"


# ------------------------------------------------------------------------------------------------ devices


@dataclass(frozen=True)
class DeviceEntry:
    """A sensor found by a scan."""

    address: str
    name: str
    kind: str
    rssi_dbm: int | None = None
    battery_percent: int | None = None


class DeviceProvider(Protocol):
    """Lists sensors and connects to one; the Bluetooth package implements it.

    ``scan`` raises :class:`~imu_app.core.ImuAppError` with a sentence a user can act on when scanning is
    impossible (no adapter, adapter off, no permission).
    """

    async def scan(self, timeout_s: float) -> list[DeviceEntry]: ...

    def source(self, entry: DeviceEntry) -> Source: ...


class NoAdapter:
    """The provider where no Bluetooth support is installed or no adapter is present."""

    def __init__(self, reason: str = "No Bluetooth adapter was found on this computer.") -> None:
        self.reason = reason

    async def scan(self, timeout_s: float) -> list[DeviceEntry]:
        raise ImuAppError(self.reason)

    def source(self, entry: DeviceEntry) -> Source:
        raise ImuAppError(self.reason)


# ------------------------------------------------------------------------------------------------ sources


def replay_source(paths: list[Path], *, speed: float | None, clock: Clock) -> tuple[Source, ImuData]:
    """A replay of a recording in any supported format (several files: parts of one recording)."""
    data = load(paths[0] if len(paths) == 1 else list(paths))
    name = ", ".join(os.fspath(p) for p in paths)
    return ReplaySource(data, speed=speed, clock=clock, name=name), data


class DemoSource(Source):
    """A bundled recording replayed in real time over and over, as a sensor that never stops.

    Each pass follows the previous one after ``pause_s`` of sensor time, with the times and the packet
    counter carried on, so the session sees one continuous stream with a rest between passes.
    """

    def __init__(
        self, data: ImuData, *, clock: Clock | None = None, speed: float = 1.0, pause_s: float = 2.0
    ) -> None:
        self.data = data
        self.clock = clock or MonotonicClock()
        self.speed = speed
        self.pause_s = pause_s
        self.info = replace(ReplaySource(data, speed=speed, clock=self.clock, name="demo").info, name="demo")

    async def chunks(self) -> AsyncIterator[Chunk]:
        d = self.data
        period = d.duration_s + self.pause_s + 1.0 / d.sample_rate_hz
        n_seq = len(d)
        k = 0
        while True:
            src = ReplaySource(d, speed=self.speed, clock=self.clock, name="demo")
            if k:
                await self.clock.sleep(self.pause_s / self.speed)
            async for c in src.chunks():
                yield replace(
                    c,
                    t_s=c.t_s + k * period,
                    seq=None if c.seq is None else c.seq + k * n_seq,
                    gap_before=None,
                )
            k += 1


# -------------------------------------------------------------------------------------------------- clock


class MediaClock:
    """A host clock that a player can pause and speed up: replay pacing, link health and latency all read
    it, so a paused replay is no stalled link and a 10x replay looks like a healthy sensor to the session.
    """

    def __init__(self, rate: float = 1.0, base: Clock | None = None) -> None:
        self.base = base or MonotonicClock()
        self._rate = float(rate)
        self._anchor_base = self.base.now()
        self._anchor = 0.0
        self.paused = False

    def now(self) -> float:
        if self.paused:
            return self._anchor
        return self._anchor + (self.base.now() - self._anchor_base) * self._rate

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        self._reanchor()
        self._rate = float(rate)

    def pause(self) -> None:
        if not self.paused:
            self._reanchor()
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self._anchor_base = self.base.now()
            self.paused = False

    def _reanchor(self) -> None:
        self._anchor = self.now()
        self._anchor_base = self.base.now()

    async def sleep(self, seconds: float) -> None:
        target = self.now() + max(0.0, seconds)
        while True:
            if self.paused:
                await self.base.sleep(0.05)
                continue
            left = target - self.now()
            if left <= 0:
                await asyncio.sleep(0)
                return
            await self.base.sleep(min(left / self._rate, 0.05))


# ------------------------------------------------------------------------------------------------- stream


class LiveLog:
    """The session's contacts and sets as the live view shows them: a strip of contact times per set."""

    def __init__(self) -> None:
        self.contacts: list[Contact] = []
        self.set_contact_ms: list[list[float]] = [[]]
        self.sets: list[SetSummary] = []
        self.previous: Contact | None = None

    def __call__(self, pub: Published) -> None:
        ev = pub.event
        if isinstance(ev, ContactDone):
            if self.contacts:
                self.previous = self.contacts[-1]
            self.contacts = [*self.contacts[-499:], ev.contact]
            if ev.contact.contact_time_ms is not None:
                self.set_contact_ms[-1].append(ev.contact.contact_time_ms)
        elif isinstance(ev, SetDone):
            self.sets.append(ev.summary)
            if self.set_contact_ms[-1]:
                self.set_contact_ms = [*self.set_contact_ms[-9:], []]

    @property
    def last_rsi(self) -> float | None:
        """Reactive strength of the last contact whose jump has landed: the flight that ended at the latest
        landing over the contact before it (height in m over contact time in s)."""
        last, prev = (self.contacts[-1] if self.contacts else None), self.previous
        if last is None or prev is None or last.jump_height_cm is None or not prev.contact_time_ms:
            return None
        if prev.rsi is not None:
            return prev.rsi
        return (last.jump_height_cm / 100.0) / (prev.contact_time_ms / 1000.0)


class Stream:
    """One live session on the running event loop: the source, the analysis, a model and a log.

    Parameters
    ----------
    source
        Where samples come from.
    clock
        The session's host clock (a :class:`MediaClock` for a replay the user can pause).
    exercise, hold_target_s
        What the analysis looks for.
    record_to
        Native CSV to record into, or ``None``.
    seconds
        Signal the live plot keeps.
    """

    def __init__(
        self,
        source: Source,
        *,
        clock: Clock | None = None,
        exercise: str | None = None,
        hold_target_s: float | None = None,
        record_to: Path | None = None,
        seconds: float = 8.0,
        duration_s: float | None = None,
    ) -> None:
        info = source.info
        self.source = source
        self.clock = clock or MonotonicClock()
        engine = make_engine(info.sample_rate_hz, info.meta, exercise=exercise, hold_target_s=hold_target_s)
        self.session = Session(source, engine, clock=self.clock)
        self.model = LiveModel(info.sample_rate_hz, seconds=seconds)
        self.log = LiveLog()
        self.session.subscribe(self.model)
        self.session.subscribe(self.log)
        self.session.on_samples(self.model.on_samples)
        self.duration_s = duration_s
        self.exercise = exercise or info.meta.exercise
        if record_to is not None:
            self.session.start_recording(record_to)
        self.summary: SessionSummary | None = None
        self.error: str | None = None
        self._task: asyncio.Task | None = None
        self._done_callbacks: list[Callable[[Stream], None]] = []

    def subscribe(self, subscriber: Callable[[Published], None]) -> None:
        self.session.subscribe(subscriber)

    def on_done(self, callback: Callable[[Stream], None]) -> None:
        self._done_callbacks.append(callback)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def progress(self) -> float | None:
        """Share of a replay played, 0-1 (``None`` for a stream without end)."""
        if not self.duration_s:
            return None
        return min(1.0, self.model.now_s / self.duration_s)

    async def _run(self) -> None:
        try:
            self.summary = await self.session.run()
            if self.summary.source_error:
                self.error = self.summary.source_error
        except Exception as exc:
            logger.exception("the stream failed")
            self.error = f"the stream stopped: {exc}"
        for cb in self._done_callbacks:
            cb(self)

    async def stop(self) -> None:
        """Stop streaming and wait until the recording is finished."""
        if isinstance(self.clock, MediaClock):
            self.clock.resume()
        self.session.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


_TASKS: set[asyncio.Future] = set()


def spawn(coro) -> asyncio.Future:
    """Run ``coro`` on the event loop from a slot, keeping a reference until it is done."""
    task = asyncio.ensure_future(coro)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return task


def magnitude(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time, |acc| (g) and |gyro| (deg/s) of live-model rows (``t, ax, ay, az, gx, gy, gz``)."""
    if rows.size == 0:
        e = np.empty(0)
        return e, e, e
    return rows[:, 0], np.linalg.norm(rows[:, 1:4], axis=1), np.linalg.norm(rows[:, 4:7], axis=1)


def finite_or_none(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else x
