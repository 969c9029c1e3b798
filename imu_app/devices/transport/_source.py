"""A sensor as a source of the live pipeline: its chunks as :class:`imu_app.live.Chunk`.

It imports the live package's interface module alone (``imu_app.live._chunk``): the package as a whole
brings the analysis, which devices do not use (import-linter checks it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator

from imu_app.core import RecordingMeta
from imu_app.devices.protocols.native import GyroRange
from imu_app.devices.transport._sensor import NativeSensor
from imu_app.devices.transport._types import DeviceChunk, DeviceError, DeviceInfo, LinkHealth, LinkState
from imu_app.live._chunk import Chunk, Source, SourceInfo, SourceStatus

__all__ = ["SensorSource", "to_live_chunk"]

log = logging.getLogger(__name__)


def to_live_chunk(chunk: DeviceChunk) -> Chunk:
    """The same samples as a live :class:`~imu_app.live.Chunk` (same field names, the same gap)."""
    return Chunk(
        t_s=chunk.t_s,
        acc_g=chunk.acc_g,
        gyr_dps=chunk.gyr_dps,
        seq=chunk.seq,
        arrival_s=chunk.arrival_s,
        gap_before=chunk.gap_before,
    )


class SensorSource(Source):
    """A sensor of our profile, streaming into a :class:`~imu_app.live.Session`.

    Parameters
    ----------
    sensor
        The connection manager (not started yet, or started: :meth:`start` is then a no-op).
    name
        For messages; the sensor's address by default.
    meta
        What the recording notes besides what the sensor says of itself (athlete, exercise, leg).

    Notes
    -----
    :class:`NativeSensor` already puts every packet on one session time line: its clock unwrapped, every
    restart (a reconnect, a clock reset) continued by the host time that passed, each gap marked with its
    reason. So :attr:`info` declares no clock wrap and the live sequencer meets strictly increasing times:
    a RESET gap arrives marked on its chunk and is not shifted again (it only restarts the clock mapping).
    Sequence numbers are the profile's 16-bit packet counter, repeated for each sample of a packet.

    Ending: :meth:`request_end` (what :meth:`Session.stop <imu_app.live.Session.stop>` calls) writes STOP
    and disconnects, and :meth:`chunks` ends after the last packet that reached the host, so the recording
    keeps everything the sensor delivered. The link's state, battery and signal are :meth:`status`; its
    reconnections :attr:`reconnects`.
    """

    def __init__(self, sensor: NativeSensor, *, name: str | None = None, meta: RecordingMeta | None = None):
        self.sensor = sensor
        config = sensor.config
        has_gyro = config.gyro_range is not GyroRange.OFF
        base = meta or RecordingMeta()
        self.info = SourceInfo(
            name=name or sensor.address,
            sample_rate_hz=config.rate.hz,
            has_gyro=has_gyro,
            meta=base.replace(
                sample_rate_hz=config.rate.hz,
                acc_range_g=config.acc_range.g,
                gyr_range_dps=config.gyro_range.dps if has_gyro else None,
            ),
            realtime=True,
            clock_wrap_s=None,
            seq_modulus=1 << 16,
        )
        self._started = False
        self._stopping: asyncio.Task[None] | None = None
        self._changes: list[SourceStatus] = []
        sensor.on_health(lambda _health: self._changes.append(self.status()))

    @property
    def reconnects(self) -> int:  # type: ignore[override]
        return self.sensor.health.reconnects

    @property
    def health(self) -> LinkHealth:
        """The transport's own view of the link (packets, bad packets, battery, MTU, state)."""
        return self.sensor.health

    async def start(self) -> DeviceInfo:
        """Connect and start streaming (once); raises :class:`DeviceError` when the sensor cannot be used."""
        if not self._started:
            info = await self.sensor.start()
            self._started = True
            device = " ".join(x for x in (info.model or "Ankle IMU sensor", info.name or self.info.name) if x)
            meta = self.info.meta.replace(device=device, firmware=info.firmware or None)
            self.info = dataclasses.replace(self.info, meta=meta)
        return self.sensor.info

    async def chunks(self) -> AsyncIterator[Chunk]:
        await self.start()
        if self._stopping is not None:  # asked to end while it was connecting
            await self.sensor.stop()
        async for chunk in self.sensor.chunks():
            yield to_live_chunk(chunk)
        health = self.sensor.health
        if health.state is LinkState.FAILED and self._stopping is None:
            raise DeviceError(f"{self.info.name}: {health.message or 'the link failed'}")

    def request_end(self) -> bool:
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        return True

    async def _stop(self) -> None:
        await self.sensor.stop()

    async def aclose(self) -> None:
        self.request_end()
        assert self._stopping is not None
        with contextlib.suppress(DeviceError):
            await self._stopping

    def status(self) -> SourceStatus:
        h = self.sensor.health
        message = h.message
        if h.state is LinkState.STREAMING and h.reconnects and not message:
            message = f"the sensor streams again (reconnected {h.reconnects}x); the gap is marked"
        return SourceStatus(h.state.value, message, h.battery_pct, h.rssi_dbm)

    def status_changes(self) -> list[SourceStatus]:
        changes, self._changes = self._changes, []
        return [*changes, self.status()]
