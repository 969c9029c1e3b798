"""The session runtime: source, sequencer, clock mapping, recorder and analysis on one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from imu_app.core import RecordingMeta
from imu_app.live._chunk import Chunk, GapReason
from imu_app.live._clock import Clock, ClockMapper, ClockMapperParams, MonotonicClock
from imu_app.live._engine import Engine
from imu_app.live._events import (
    EngineEvent,
    Event,
    GapMarked,
    LinkNotice,
    NoticeKind,
    Published,
    RecordingNotice,
)
from imu_app.live._health import HealthParams, LinkHealth, LinkMonitor, LinkReport
from imu_app.live._recorder import Recorder, RecorderError, RecordingSummary
from imu_app.live._sequencer import Sequencer, SequencerParams
from imu_app.live._sources import Source

__all__ = ["Session", "SessionParams", "SessionSummary", "Subscriber"]

logger = logging.getLogger(__name__)

#: Receives every published event. It runs on the event loop and must return quickly (a GUI model stores
#: the event and redraws on its own timer).
Subscriber = Callable[[Published], None]


@dataclass(frozen=True)
class SessionParams:
    """Parameters of :class:`Session`.

    Attributes
    ----------
    health_every_s
        Host seconds between link-health reports.
    tick_s
        Longest wait for a chunk before the session checks for a stall (and reports health).
    max_queue
        Chunks a source that is not real-time (a replay as fast as possible) may be ahead of the session
        before it waits. A real-time source never waits: its queue grows and the depth is shown.
    behind_s
        Sensor time queued that counts as falling behind (reported once each time it happens).
    """

    health_every_s: float = 5.0
    tick_s: float = 0.25
    max_queue: int = 64
    behind_s: float = 1.0
    sequencer: SequencerParams = field(default_factory=SequencerParams)
    clock: ClockMapperParams = field(default_factory=ClockMapperParams)
    health: HealthParams = field(default_factory=HealthParams)


@dataclass(frozen=True)
class SessionSummary:
    """What a session did, once it has ended."""

    n_samples: int
    n_events: int
    health: LinkHealth
    recordings: tuple[RecordingSummary, ...]
    subscriber_errors: int
    source_error: str | None


_END = object()


class Session:
    """Runs one live session: every chunk is sequenced, mapped to host time, recorded and analysed.

    Parameters
    ----------
    source
        Where the samples come from (a device, a replay, the simulator).
    engine
        The streaming analysis; ``None`` records and reports link health only.
    clock
        Host clock (a fake one in tests).
    recorder
        Writes recordings; a default one is made.
    params
        See :class:`SessionParams`.

    Notes
    -----
    One event loop carries everything (the project's rule: Qt and asyncio share the main thread). The
    source runs as its own task and only enqueues; the session takes whatever has queued up in one go, so
    when the analysis falls behind it catches up in larger chunks rather than dropping any. Subscribers get
    :class:`~imu_app.live._events.Published` events synchronously, in order; one that raises is logged,
    counted and told about once, and the others go on receiving.
    """

    def __init__(
        self,
        source: Source,
        engine: Engine | None = None,
        *,
        clock: Clock | None = None,
        recorder: Recorder | None = None,
        params: SessionParams | None = None,
    ) -> None:
        self.source = source
        self.info = source.info
        self.engine = engine
        self.clock = clock or MonotonicClock()
        self.recorder = recorder or Recorder()
        self.params = params or SessionParams()
        self.sequencer = Sequencer(self.info, self.params.sequencer)
        self.mapper = ClockMapper(self.params.clock)
        self.monitor = LinkMonitor(self.info.sample_rate_hz, self.params.health)
        self._subscribers: list[Subscriber] = []
        self._sample_listeners: list[Callable[[Chunk], None]] = []
        self._failed: set[int] = set()
        self.subscriber_errors = 0
        self.n_events = 0
        self._t0: float | None = None
        self._stop = asyncio.Event()
        self._last_health = -math.inf
        self._behind = False
        self._source_error: str | None = None
        self._last_arrival = math.nan
        self._pending_record: tuple[str | os.PathLike[str], RecordingMeta | None] | None = None
        self._ending = False  # the source agreed to end after what has arrived
        before = source.status_changes()  # what happened before the session (connecting) is not news
        self._status = before[-1] if before else None

    # ----------------------------------------------------------------------------------- subscriptions

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Receive every event from now on; returns a function that unsubscribes."""
        self._subscribers.append(subscriber)
        return lambda: self.unsubscribe(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop sending events to ``subscriber`` (also from inside its own call)."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    def on_samples(self, listener: Callable[[Chunk], None]) -> None:
        """Receive every sequenced chunk (for a plot's ring buffer)."""
        self._sample_listeners.append(listener)

    def _publish(self, event: Event, arrival_s: float) -> None:
        self.n_events += 1
        host = math.nan
        if self.mapper.mapping.n_points and self._t0 is not None:
            host = float(self.mapper.mapping.to_host(self._t0 + event.t_s))
        pub = Published(event=event, host_s=host, published_s=self.clock.now(), arrival_s=arrival_s)
        for sub in list(self._subscribers):
            try:
                sub(pub)
            except Exception:
                self.subscriber_errors += 1
                if id(sub) in self._failed:
                    logger.debug("a subscriber failed again on %s", type(event).__name__, exc_info=True)
                else:
                    logger.exception("a subscriber failed on %s; it stays subscribed", type(event).__name__)
                    self._failed.add(id(sub))
                    note = LinkNotice(
                        t_s=event.t_s,
                        kind=NoticeKind.SUBSCRIBER_FAILED,
                        message=f"a display or logger failed on an event ({getattr(sub, '__name__', sub)})",
                    )
                    for other in list(self._subscribers):
                        if other is not sub:
                            try:
                                other(Published(note, host, pub.published_s, arrival_s))
                            except Exception:
                                self.subscriber_errors += 1
                                logger.exception("a subscriber failed")

    def _rel(self, t_abs: float) -> float:
        return t_abs - self._t0 if self._t0 is not None else 0.0

    def _now_rel(self) -> float:
        last = self.sequencer.last_t_s
        return self._rel(last) if last is not None else 0.0

    # ------------------------------------------------------------------------------------------ control

    def start_recording(self, path: str | os.PathLike[str], meta: RecordingMeta | None = None) -> None:
        """Record from the next chunk on (also before :meth:`run`, to record from the first sample).

        A file that cannot be opened is reported as a :class:`RecordingNotice` with its error; the session
        goes on.
        """
        self._pending_record = (path, meta)

    def _open_recording(self) -> None:
        assert self._pending_record is not None
        path, meta = self._pending_record
        self._pending_record = None
        # The source's info as it is now: a sensor fills in its model and firmware once connected.
        meta = meta or self.source.info.meta.replace(sample_rate_hz=self.info.sample_rate_hz)
        try:
            self.recorder.start(path, meta, has_gyro=self.info.has_gyro, has_seq=None)
        except RecorderError as exc:
            self._publish(
                RecordingNotice(t_s=self._now_rel(), path=str(path), started=False, error=str(exc)),
                self._last_arrival,
            )
            return
        self._publish(RecordingNotice(t_s=self._now_rel(), path=str(path), started=True), self._last_arrival)

    def stop_recording(self) -> RecordingSummary | None:
        """Close the recording now; the stream goes on."""
        self._pending_record = None
        was_recording = self.recorder.recording
        summary = self.recorder.stop()
        if summary is not None and was_recording:
            self._publish(
                RecordingNotice(
                    t_s=self._now_rel(),
                    path=str(summary.path),
                    started=False,
                    n_samples=summary.n_samples,
                    error=summary.error,
                ),
                self._last_arrival,
            )
        return summary

    def stop(self) -> None:
        """End the session after the chunks already arrived.

        A source with a connection (:meth:`Source.request_end`) stops streaming first, and everything that
        reached the host until then is still recorded and analysed; any other source is cancelled.
        """
        self._stop.set()

    def health(self) -> LinkHealth:
        return self.monitor.health(
            self.clock.now(),
            self.sequencer.counts,
            self.mapper.mapping,
            self.source.reconnects,
            self.source.status(),
        )

    # --------------------------------------------------------------------------------------------- run

    async def _produce(self, queue: asyncio.Queue) -> None:
        realtime = self.info.realtime
        try:
            async for chunk in self.source.chunks():
                for kind, msg in self.monitor.on_arrival(chunk, queue.qsize() + 1):
                    self._publish(LinkNotice(self._now_rel(), kind, msg), chunk.arrival_s)
                if realtime:
                    queue.put_nowait(chunk)
                else:
                    await queue.put(chunk)
                if self._stop.is_set() and not self._ending:
                    break
        except Exception as exc:  # a source that fails ends the stream, not the session's bookkeeping
            logger.exception("the source failed")
            self._source_error = f"{self.info.name}: the source failed: {exc}"
        finally:
            await queue.put(_END)

    async def run(self) -> SessionSummary:
        """Run until the source ends or :meth:`stop` is called; returns what happened."""
        queue: asyncio.Queue = asyncio.Queue(maxsize=0 if self.info.realtime else self.params.max_queue)
        producer = asyncio.create_task(self._produce(queue))
        ended = False
        try:
            while not ended:
                try:
                    first = await asyncio.wait_for(queue.get(), timeout=self.params.tick_s)
                except TimeoutError:
                    self._tick()
                    if self._stop.is_set() and not self._ending:
                        self._ending = self.source.request_end()
                        if not self._ending:
                            producer.cancel()
                    continue
                batch = [first]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                if _END in batch:
                    ended = True
                    batch = [c for c in batch if c is not _END]
                self.monitor.set_queue_depth(len(batch))
                if batch:
                    self._process(batch)
                self._tick()
                if self._stop.is_set() and not ended and not self._ending:
                    self._ending = self.source.request_end()
                    if not self._ending:
                        producer.cancel()
        finally:
            if not producer.done():
                producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await producer
            await self.source.aclose()
        self._finish()
        return SessionSummary(
            n_samples=self.sequencer.counts.released,
            n_events=self.n_events,
            health=self.health(),
            recordings=tuple(self.recorder.summaries),
            subscriber_errors=self.subscriber_errors,
            source_error=self._source_error,
        )

    def _check_status(self) -> None:
        """Tell the subscribers when the source's connection changed state (lost, reconnecting, back)."""
        for status in self.source.status_changes():
            old, self._status = self._status, status
            if old is not None and (status.state, status.message) == (old.state, old.message):
                continue
            text = status.message or f"the sensor is {status.state}"
            self._publish(LinkNotice(self._now_rel(), NoticeKind.CONNECTION, text), self._last_arrival)

    def _tick(self) -> None:
        now = self.clock.now()
        self._check_status()
        for kind, msg in self.monitor.tick(now):
            self._publish(LinkNotice(self._now_rel(), kind, msg), self._last_arrival)
        if now - self._last_health >= self.params.health_every_s and self._t0 is not None:
            self._last_health = now
            self._publish(LinkReport(t_s=self._now_rel(), health=self.health()), self._last_arrival)

    def _process(self, batch: list[Chunk]) -> None:
        self._check_status()  # a reconnection is told before the gap it left
        queued_s = sum(len(c) for c in batch) / self.info.sample_rate_hz
        if queued_s > self.params.behind_s and self.info.realtime and not self._behind:
            self._behind = True
            self._publish(
                LinkNotice(
                    self._now_rel(),
                    NoticeKind.BEHIND,
                    f"the analysis fell {queued_s:.1f} s behind the sensor; it catches up, nothing is lost",
                ),
                batch[0].arrival_s,
            )
        elif queued_s <= self.params.behind_s:
            self._behind = False
        counts = self.sequencer.counts
        before = (counts.duplicates, counts.late_dropped)
        ready: list[Chunk] = []
        for raw in batch:
            self._last_arrival = raw.arrival_s
            ready += self.sequencer.push(raw)
        self._report_drops(before, batch[-1].arrival_s)
        self._handle(ready)

    def _report_drops(self, before: tuple[int, int], arrival_s: float) -> None:
        c = self.sequencer.counts
        if c.duplicates > before[0]:
            self._publish(
                LinkNotice(
                    self._now_rel(),
                    NoticeKind.DUPLICATES,
                    f"{c.duplicates - before[0]} repeated samples dropped (already recorded)",
                ),
                arrival_s,
            )
        if c.late_dropped > before[1]:
            self._publish(
                LinkNotice(
                    self._now_rel(),
                    NoticeKind.LATE,
                    f"{c.late_dropped - before[1]} samples came too late to be put back in order",
                ),
                arrival_s,
            )

    def _handle(self, ready: list[Chunk]) -> None:
        """Record, map and analyse sequenced chunks; contiguous ones go to the analysis as one."""
        run: list[Chunk] = []
        for chunk in ready:
            if self._t0 is None:
                self._t0 = float(chunk.t_s[0])
            if self._pending_record is not None:
                self._open_recording()
            gap = chunk.gap_before
            if gap is not None:
                self._analyse(run)
                run = []
                if gap.reason is GapReason.RESET:
                    self.mapper.restart()
                    self._publish(
                        LinkNotice(
                            self._rel(gap.end_s),
                            NoticeKind.RESTART,
                            "the sensor's clock started again; the session goes on after a gap",
                        ),
                        chunk.arrival_s,
                    )
                self._publish(
                    GapMarked(
                        t_s=self._rel(gap.end_s),
                        n_missing=gap.n_missing,
                        duration_s=gap.end_s - gap.start_s,
                        reason=gap.reason,
                    ),
                    chunk.arrival_s,
                )
            error = self.recorder.write(chunk)
            if error is not None:
                path = self.recorder.path
                self._publish(
                    RecordingNotice(
                        t_s=self._rel(float(chunk.t_s[0])),
                        path=str(path),
                        started=False,
                        n_samples=self.recorder.summaries[-1].n_samples,
                        error=error,
                    ),
                    chunk.arrival_s,
                )
            self.mapper.update(float(chunk.t_s[-1]), chunk.arrival_s)
            self.monitor.on_mapped(chunk, self.mapper.mapping)
            for listener in self._sample_listeners:
                try:
                    listener(chunk)
                except Exception:
                    self.subscriber_errors += 1
                    logger.exception("a sample listener failed")
            run.append(chunk)
        self._analyse(run)

    def _analyse(self, run: list[Chunk]) -> None:
        if not run or self.engine is None:
            return
        if len(run) == 1:
            merged = run[0]
        else:
            import numpy as np

            merged = Chunk(
                t_s=np.concatenate([c.t_s for c in run]),
                acc_g=np.concatenate([c.acc_g for c in run]),
                gyr_dps=None if run[0].gyr_dps is None else np.concatenate([c.gyr_dps for c in run]),  # type: ignore[misc]
                seq=None,
                arrival_s=run[-1].arrival_s,
                gap_before=run[0].gap_before,
            )
        events = self.engine.feed(merged)
        self._emit(events, run[0].arrival_s)

    def _emit(self, events: list[EngineEvent], arrival_s: float) -> None:
        for ev in events:
            self._publish(ev, arrival_s)

    def _finish(self) -> None:
        self._handle(self.sequencer.finish())
        if self.engine is not None:
            self._emit(self.engine.finish(), self._last_arrival)
        if self._source_error:
            self._publish(
                LinkNotice(self._now_rel(), NoticeKind.ENDED, self._source_error), self._last_arrival
            )
        if self.recorder.recording or self.recorder.error:
            self.stop_recording()
        self._check_status()
        self._publish(LinkReport(t_s=self._now_rel(), health=self.health()), self._last_arrival)
