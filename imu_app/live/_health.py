"""Link health: how well the samples reach the session, as a live status line."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from imu_app.live._chunk import Chunk, SourceStatus
from imu_app.live._clock import ClockMapping
from imu_app.live._events import Event, LinkNotice, NoticeKind
from imu_app.live._sequencer import SequencerCounts

__all__ = ["HealthParams", "LinkHealth", "LinkMonitor", "LinkReport"]


@dataclass(frozen=True)
class HealthParams:
    """Parameters of :class:`LinkMonitor`.

    Attributes
    ----------
    rate_window_s
        Host time over which the effective rate is counted (5 s: a steady figure that still shows a drop).
    latency_window
        Chunks whose arrival latency is kept for the median and the jitter.
    stall_s
        No chunk for this long is a stall: ten or more BLE connection intervals at the longest, far beyond
        any jitter of a working link.
    """

    rate_window_s: float = 5.0
    latency_window: int = 500
    stall_s: float = 1.0


@dataclass(frozen=True)
class LinkHealth:
    """The link at one moment.

    Attributes
    ----------
    effective_rate_hz
        Samples received per second of host time over the last ``rate_window_s``.
    nominal_rate_hz
        What the sensor should send.
    received, lost, duplicates, late_dropped
        Samples so far: arrived and kept, missing (from sequence numbers and time steps), dropped as
        repeats, arrived too late to be put back in order.
    loss_percent
        ``lost`` over ``received + lost``.
    latency_ms, jitter_ms
        Median arrival latency above the clock mapping's floor, and the spread (5th to 95th percentile) of
        arrivals, over the last chunks.
    queue_depth, max_queue_depth
        Chunks arrived but not yet processed, now and at most.
    clock_residual_ms, drift_ppm
        How well the sensor's clock maps onto the host's, and how fast it runs against it.
    reconnects, restarts, stalls
        Times the link was made again, the sensor's clock started again, the stream stopped for a while.
    stalled
        No chunk for ``stall_s`` now.
    source_state, battery_percent, rssi_dbm
        What a source with a connection says of it (:class:`~imu_app.live.SourceStatus`): its state in one
        word, the sensor's battery and the signal strength; ``""`` and ``None`` for a replay.
    """

    effective_rate_hz: float
    nominal_rate_hz: float
    received: int
    lost: int
    duplicates: int
    late_dropped: int
    loss_percent: float
    latency_ms: float
    jitter_ms: float
    queue_depth: int
    max_queue_depth: int
    clock_residual_ms: float
    drift_ppm: float
    reconnects: int
    restarts: int
    stalls: int
    stalled: bool
    source_state: str = ""
    battery_percent: int | None = None
    rssi_dbm: int | None = None

    def line(self, *, realtime: bool = True, clock: bool = True) -> str:
        """One line in words, for a terminal.

        ``realtime`` false leaves out what is measured against the host's clock (rate, arrivals, queue),
        ``clock`` false the clock mapping (a replay at N times speed has a sensor clock N times too fast).
        """
        parts = [f"{self.received} samples", f"lost {self.lost} ({self.loss_percent:.1f} %)"]
        if realtime and np.isfinite(self.effective_rate_hz):
            parts[0] = f"{self.effective_rate_hz:.0f} of {self.nominal_rate_hz:.0f} Hz"
        if realtime and np.isfinite(self.latency_ms):
            text = f"arrivals {max(self.latency_ms, 0.0):.0f} ms above the floor"
            if np.isfinite(self.jitter_ms):
                text += f", jitter {self.jitter_ms:.0f} ms"
            parts.append(text)
        if realtime:
            parts.append(f"queue {self.queue_depth} (max {self.max_queue_depth})")
        if realtime and clock and np.isfinite(self.clock_residual_ms):
            parts.append(f"clock residual {self.clock_residual_ms:.1f} ms, drift {self.drift_ppm:+.0f} ppm")
        for name, n in (
            ("duplicates", self.duplicates),
            ("late", self.late_dropped),
            ("restarts", self.restarts),
            ("stalls", self.stalls),
            ("reconnects", self.reconnects),
        ):
            if n:
                parts.append(f"{name} {n}")
        if self.stalled:
            parts.append("STALLED")
        if self.source_state and self.source_state != "streaming":
            parts.append(self.source_state.upper())
        if self.battery_percent is not None:
            parts.append(f"battery {self.battery_percent} %")
        return "link: " + ", ".join(parts)


@dataclass(frozen=True)
class LinkReport(Event):
    """The link's health, published every few seconds."""

    health: LinkHealth


class LinkMonitor:
    """Collects what link health is computed from; :meth:`health` gives the current figures."""

    def __init__(self, nominal_rate_hz: float, params: HealthParams | None = None) -> None:
        self.params = params or HealthParams()
        self.nominal_rate_hz = float(nominal_rate_hz)
        self._arrivals: deque[tuple[float, int]] = deque()
        self._latency: deque[float] = deque(maxlen=self.params.latency_window)
        self._last_arrival: float | None = None
        self.queue_depth = 0
        self.max_queue_depth = 0
        self.stalls = 0
        self.stalled = False

    def on_arrival(self, chunk: Chunk, queue_depth: int) -> list[tuple[NoticeKind, str]]:
        """A chunk arrived from the source (before sequencing); returns what to tell the user."""
        notices = []
        now = chunk.arrival_s
        if self.stalled and self._last_arrival is not None:
            notices.append((NoticeKind.RESUMED, f"samples flow again after {now - self._last_arrival:.1f} s"))
        self.stalled = False
        self._last_arrival = now
        self._arrivals.append((now, len(chunk)))
        while self._arrivals and self._arrivals[0][0] < now - self.params.rate_window_s:
            self._arrivals.popleft()
        self.set_queue_depth(queue_depth)
        return notices

    def set_queue_depth(self, depth: int) -> None:
        self.queue_depth = depth
        self.max_queue_depth = max(self.max_queue_depth, depth)

    def on_mapped(self, chunk: Chunk, mapping: ClockMapping) -> None:
        """A sequenced chunk and the clock mapping after it: its arrival latency above the floor."""
        if mapping.n_points:
            self._latency.append(chunk.arrival_s - float(mapping.to_host(float(chunk.t_s[-1]))))

    def tick(self, now_s: float) -> list[tuple[NoticeKind, str]]:
        """Check for a stall at host time ``now_s``."""
        if self._last_arrival is None or self.stalled:
            return []
        if now_s - self._last_arrival >= self.params.stall_s:
            self.stalled = True
            self.stalls += 1
            return [(NoticeKind.STALLED, f"no samples for {now_s - self._last_arrival:.1f} s")]
        return []

    def health(
        self,
        now_s: float,
        counts: SequencerCounts,
        mapping: ClockMapping,
        reconnects: int,
        status: SourceStatus | None = None,
    ) -> LinkHealth:
        if self._arrivals:
            span = max(now_s - self._arrivals[0][0], 1e-9)
            n = sum(k for _, k in self._arrivals)
            # The first chunk of the window arrived at its start; count the samples after it.
            rate = (n - self._arrivals[0][1]) / span if len(self._arrivals) > 1 else float("nan")
        else:
            rate = float("nan")
        lat = np.array(self._latency)
        latency_ms = float(np.median(lat) * 1000) if lat.size else float("nan")
        jitter_ms = float(np.subtract(*np.percentile(lat, [95, 5])) * 1000) if lat.size > 2 else float("nan")
        total = counts.released + counts.lost
        return LinkHealth(
            effective_rate_hz=rate,
            nominal_rate_hz=self.nominal_rate_hz,
            received=counts.released,
            lost=counts.lost,
            duplicates=counts.duplicates,
            late_dropped=counts.late_dropped,
            loss_percent=100.0 * counts.lost / total if total else 0.0,
            latency_ms=latency_ms,
            jitter_ms=jitter_ms,
            queue_depth=self.queue_depth,
            max_queue_depth=self.max_queue_depth,
            clock_residual_ms=mapping.residual_ms,
            drift_ppm=mapping.drift_ppm if mapping.n_points >= 3 else float("nan"),
            reconnects=reconnects,
            restarts=counts.restarts,
            stalls=self.stalls,
            stalled=self.stalled,
            source_state="" if status is None else status.state,
            battery_percent=None if status is None else status.battery_percent,
            rssi_dbm=None if status is None else status.rssi_dbm,
        )


def notice(t_s: float, kind: NoticeKind, message: str) -> LinkNotice:
    return LinkNotice(t_s=t_s, kind=kind, message=message)
