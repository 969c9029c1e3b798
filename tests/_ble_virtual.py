"""An emulated sensor and a central on bumble's in-process virtual link, for the tier-1 BLE tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np

from imu_app.core import ImuData
from imu_app.devices.protocols.native import DataPacket
from imu_app.devices.transport import BumbleCentral, NativeSensor
from imu_app.live import Chunk
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
    received: list[Chunk] = field(default_factory=list)

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


#: Packets a link may have on the air when it goes down or the recording stops: they may be lost with it.
IN_FLIGHT_PACKETS = 3


def assert_arrived_as_sent(
    packets: list[DataPacket], acc: np.ndarray, gyr: np.ndarray | None, seq: np.ndarray
) -> None:
    """What reached the host is what the sensor sent, sample by sample and in order.

    Only whole packets may be missing, and only those on the air when the link went down (just before the
    sensor's sequence restarts at 0 on the reconnection) or when the stream was stopped (at the end), at
    most :data:`IN_FLIGHT_PACKETS` at each place. ``acc`` is compared to 1e-6 g and ``gyr`` to 1e-4 deg/s
    (what a CSV recording keeps); ``seq`` exactly.
    """
    i, missing = 0, []
    for k, p in enumerate(packets):
        block, n = p.to_samples(), p.n_samples
        if (
            i + n <= len(seq)
            and np.all(seq[i : i + n] == p.seq)
            and np.allclose(acc[i : i + n], block.acc_g, rtol=0, atol=1e-6)
            and (gyr is None or np.allclose(gyr[i : i + n], block.gyr_dps, rtol=0, atol=1e-4))
        ):
            i += n
        else:
            missing.append(k)
    assert i == len(seq), (
        f"{len(seq) - i} samples reached the host that the sensor did not send in that order"
    )
    restarts = [k for k in range(1, len(packets)) if packets[k].seq == 0]
    for k in missing:
        place = next((r for r in restarts if r > k), len(packets))
        assert place - k <= IN_FLIGHT_PACKETS, f"packet {k} of {len(packets)} (seq {packets[k].seq}) was lost"


def joined(chunks: list[Chunk]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    t = np.concatenate([c.t_s for c in chunks])
    acc = np.concatenate([c.acc_g for c in chunks])
    gyr = np.concatenate([c.gyr_dps for c in chunks])
    seq = np.concatenate([c.seq for c in chunks])
    return t, acc, gyr, seq
