"""An emulated sensor and a central on bumble's in-process virtual link, for the tier-1 BLE tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np

from imu_app.core import ImuData
from imu_app.devices.protocols.native import DataPacket
from imu_app.devices.transport import BumbleCentral, DeviceChunk, NativeSensor
from imu_app.sim import EmulatedSensor, VirtualLink, virtual_device

SENSOR_ADDRESS = "C0:98:E5:49:00:01"
CENTRAL_ADDRESS = "C0:98:E5:49:00:02"
#: Generous: the emulation shares two cores with other work; a timeout only turns a hang into a failure.
TIMEOUT_S = 60.0


def ramp_samples(rate_hz: float, duration_s: float = 3.0) -> ImuData:
    """Distinct, deterministic samples that exercise every axis and both signs (and a clipped value)."""
    n = int(rate_hz * duration_s)
    t = np.arange(n) / rate_hz
    acc = np.stack([4 * np.sin(2 * np.pi * t), -3 * np.cos(2 * np.pi * 1.3 * t), np.linspace(-40, 40, n)], 1)
    gyr = np.stack([900 * np.sin(3 * t), -1500 * np.cos(t), np.linspace(-2500, 2500, n)], 1)
    return ImuData(t_s=t, acc_g=acc, gyr_dps=gyr)


@dataclass
class Bench:
    link: VirtualLink
    sensor: EmulatedSensor
    central: BumbleCentral
    received: list[DeviceChunk] = field(default_factory=list)

    async def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        async with asyncio.timeout(TIMEOUT_S):
            while not predicate():
                await asyncio.sleep(0.02)

    async def wait_packets_built(self, n: int) -> None:
        target = self.sensor.packets_built + n
        await self.wait_for(lambda: self.sensor.packets_built >= target, f"{n} packets")


@contextlib.asynccontextmanager
async def bench(samples_at: Callable[[float], ImuData] = ramp_samples, **sensor_kw) -> AsyncIterator[Bench]:
    link = VirtualLink()
    sensor = EmulatedSensor(
        virtual_device("sensor", link, SENSOR_ADDRESS), samples_at, record_sent=True, **sensor_kw
    )
    await sensor.start()
    central = await BumbleCentral.open(virtual_device("central", link, CENTRAL_ADDRESS))
    try:
        yield Bench(link, sensor, central)
    finally:
        await central.close()


@contextlib.asynccontextmanager
async def streaming(b: Bench, source: NativeSensor) -> AsyncIterator[NativeSensor]:
    """Start ``source`` and collect its chunks into ``b.received`` until the block ends and it stops."""
    await source.start()

    async def consume() -> None:
        async for chunk in source.chunks():
            b.received.append(chunk)

    task = asyncio.create_task(consume())
    try:
        yield source
    finally:
        await source.stop()
        async with asyncio.timeout(TIMEOUT_S):
            await task


def expected_samples(packets: list[DataPacket]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """acc_g, gyr_dps and seq per sample of the packets the sensor sent, decoded as the app decodes."""
    blocks = [p.to_samples() for p in packets]
    acc = np.concatenate([b.acc_g for b in blocks])
    gyr = np.concatenate([b.gyr_dps for b in blocks])
    seq = np.concatenate([np.full(p.n_samples, p.seq) for p in packets])
    return acc, gyr, seq


def joined(chunks: list[DeviceChunk]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = np.concatenate([c.t_s for c in chunks])
    acc = np.concatenate([c.acc_g for c in chunks])
    gyr = np.concatenate([c.gyr_dps for c in chunks])
    seq = np.concatenate([c.seq for c in chunks])
    return t, acc, gyr, seq
