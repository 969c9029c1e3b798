"""An emulated ankle sensor: a bumble peripheral that speaks our profile and streams samples in real time.

It implements ``firmware_notes/gatt-profile.md`` as the reference firmware does (advertising, the Ankle
IMU service with its data and control characteristics, Device Information, Battery, the command
validation order, packets of ``n_max`` samples flushed within 50 ms, ``seq`` advancing for every packet
built) and adds the faults of a real sensor on demand: a dropped link, a stall, lost packets and a clock
reset. The samples come from a recording or from the simulator, so the whole app runs without hardware.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from bumble import core, gatt
from bumble.device import Connection, Device
from bumble.profiles.battery_service import BatteryService
from bumble.profiles.device_information_service import DeviceInformationService

from imu_app.core import ImuData, SimulationError
from imu_app.devices.protocols.native import (
    CONTROL_UUID,
    DATA_UUID,
    SERVICE_UUID,
    AccRange,
    ControlCommand,
    ControlReply,
    DataFlags,
    DataPacket,
    GyroRange,
    Opcode,
    SampleRate,
    StateFlags,
    Status,
)

__all__ = [
    "EmulatedSensor",
    "SensorFaults",
    "advertised_name",
    "run_emulator",
    "samples_from_recording",
    "samples_from_simulator",
]

log = logging.getLogger(__name__)

#: The largest ATT MTU the emulated firmware accepts, as the reference firmware (the profile sizes its
#: packets for 247: 19 samples with gyroscope in one 251-byte link-layer packet).
MAX_MTU = 247
_HEADER_BYTES = DataPacket.HEADER.size
_FLUSH_S = 0.05  # a packet leaves at most 50 ms after its first sample (the profile, section 2)


def advertised_name(address: str) -> str:
    """``AnkleIMU-XXXX`` with the last four hex digits of the address (the profile, section 1)."""
    digits = address.split("/", maxsplit=1)[0].replace(":", "")
    return f"AnkleIMU-{digits[-4:].upper()}"


def samples_from_recording(data: ImuData) -> Callable[[float], ImuData]:
    """Stream ``data`` at its own rate; the emulated sensor refuses other rates (INVALID_PARAMETER)."""
    rate_hz = data.sample_rate_hz

    def samples_at(requested_hz: float) -> ImuData:
        if rate_hz is None or abs(requested_hz - rate_hz) > 0.01 * rate_hz:
            raise ValueError(f"the recording is at {rate_hz} Hz, not {requested_hz:g} Hz")
        return data

    return samples_at


def samples_from_simulator(exercise: str, seed: int = 0, **options: object) -> Callable[[float], ImuData]:
    """Simulate ``exercise`` at whatever rate the central asks for (cached per rate)."""
    from imu_app.sim._sensor import SensorParams
    from imu_app.sim._simulate import simulate

    cache: dict[float, ImuData] = {}

    def samples_at(rate_hz: float) -> ImuData:
        if rate_hz not in cache:
            sensor = SensorParams(sample_rate_hz=rate_hz, acc_range_g=32.0, gyr_range_dps=2000.0)
            cache[rate_hz] = simulate(exercise, sensor, seed=seed, **options).data
        return cache[rate_hz]

    return samples_at


@dataclass
class SensorFaults:
    """Counters of the faults injected so far (for a test's bookkeeping)."""

    drops: int = 0
    stalls: int = 0
    lost_packets: int = 0
    clock_resets: int = 0
    garbage: int = 0


def _to_counts(values: np.ndarray, full_scale: float) -> tuple[np.ndarray, bool]:
    counts = np.rint(values * (32768.0 / full_scale))
    clipped = bool(np.any(counts >= 32767) or np.any(counts <= -32768))
    return np.clip(counts, -32768, 32767).astype(np.int64), clipped


class EmulatedSensor:
    """A bumble peripheral that streams samples in our profile.

    Parameters
    ----------
    device
        The bumble device to serve on (any transport: a USB dongle, a virtual controller).
    samples_at
        ``samples_at(rate_hz)`` gives the samples to stream at that rate (they repeat when they run out);
        a rate it refuses (raises :class:`SimulationError` or ``ValueError``) makes SET_RATE reply
        INVALID_PARAMETER, as a sensor that does not support it would.
    rate, acc_range, gyro_range
        Configuration at power-up.
    battery_pct
        Battery level reported.
    record_sent
        Keep every packet sent in :attr:`sent` (for tests that check the recording sample by sample).
    """

    def __init__(
        self,
        device: Device,
        samples_at: Callable[[float], ImuData],
        *,
        rate: SampleRate = SampleRate.HZ_833,
        acc_range: AccRange = AccRange.G32,
        gyro_range: GyroRange = GyroRange.DPS2000,
        battery_pct: int = 87,
        record_sent: bool = False,
    ) -> None:
        self.device = device
        self.samples_at = samples_at
        self.rate = rate
        self.acc_range = acc_range
        self.gyro_range = gyro_range
        self.battery_pct = int(battery_pct)
        self.record_sent = record_sent
        self.sent: list[DataPacket] = []
        self.faults = SensorFaults()
        self.packets_built = 0
        self.connection: Connection | None = None
        self.name = ""
        self._samples: tuple[np.ndarray, np.ndarray] | None = None
        self._stream_task: asyncio.Task[None] | None = None
        self._seq = 0
        self._clock_k0 = 0  # sample index at which the sensor clock was last restarted
        self._k = 0  # samples produced since START
        self._flags_next = DataFlags(0)
        self._stall_until: float | None = None
        self._lose_next = 0
        self._t0: float = 0.0
        self._connected = asyncio.Event()
        self._build_gatt()

    # ------------------------------------------------------------------------------------------ GATT setup
    def _build_gatt(self) -> None:
        self._data_char = gatt.Characteristic(
            DATA_UUID, gatt.Characteristic.Properties.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        self._control_char = gatt.Characteristic(
            CONTROL_UUID,
            gatt.Characteristic.Properties.WRITE | gatt.Characteristic.Properties.INDICATE,
            gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_control_write),
        )
        self.device.add_service(gatt.Service(SERVICE_UUID, [self._data_char, self._control_char]))
        self.device.add_service(
            DeviceInformationService(
                manufacturer_name="Open Ankle IMU",
                model_number="AnkleIMU-emulated",
                serial_number="00000000",
                hardware_revision="1.0",
                firmware_revision="1.0.0+p1",
            )
        )
        self._battery = BatteryService(read_battery_level=lambda _connection: self.battery_pct)
        self.device.add_service(self._battery)
        self.device.on(Device.EVENT_CONNECTION, self._on_connection)

    async def start(self) -> None:
        """Power on (if needed) and advertise: flags and the service UUID, the name in the scan response."""
        if not self.device.powered_on:
            await self.device.power_on()
        address = self.device.random_address.to_string(with_type_qualifier=False)
        self.name = advertised_name(address)
        self.device.name = self.name
        adv = bytes([2, 0x01, 0x06]) + bytes([17, 0x07]) + core.UUID(SERVICE_UUID).to_bytes()
        name = self.name.encode()
        scan_response = bytes([len(name) + 1, 0x09]) + name
        await self.device.start_advertising(
            auto_restart=True,
            advertising_data=adv,
            scan_response_data=scan_response,
            advertising_interval_min=20,
            advertising_interval_max=30,
        )
        log.info("%s advertising as %s", address, self.name)

    @property
    def address(self) -> str:
        return self.device.random_address.to_string(with_type_qualifier=False)

    @property
    def streaming(self) -> bool:
        return self._stream_task is not None and not self._stream_task.done()

    async def wait_connected(self) -> Connection:
        await self._connected.wait()
        assert self.connection is not None
        return self.connection

    def _on_connection(self, connection: Connection) -> None:
        self.connection = connection
        self._connected.set()
        connection.on(Connection.EVENT_DISCONNECTION, lambda _reason: self._on_disconnection(connection))
        log.info("%s: central %s connected", self.name, connection.peer_address)

    def _on_disconnection(self, connection: Connection) -> None:
        if self.connection is connection:
            self.connection = None
            self._connected.clear()
        self._stop_stream()  # the profile (section 3): stop on a disconnection, keep the configuration
        log.info("%s: disconnected", self.name)

    # ------------------------------------------------------------------------------------------- commands
    def _state(self) -> StateFlags:
        state = StateFlags.STREAMING if self.streaming else StateFlags(0)
        if self.battery_pct < 15:
            state |= StateFlags.LOW_BATTERY
        return state

    def _clock_us(self) -> int:
        loop_t = asyncio.get_running_loop().time()
        if not self.streaming:
            return 0
        return int((loop_t - self._t0 - self._clock_k0 / self.rate.hz) * 1e6) & 0xFFFFFFFF

    def _on_control_write(self, connection: Connection, value: bytes) -> None:
        asyncio.get_running_loop().create_task(self._handle(connection, bytes(value)))

    async def _handle(self, connection: Connection, value: bytes) -> None:
        status = ControlCommand.status_for(value)
        opcode = Opcode(value[0]) if status is not Status.UNKNOWN_OPCODE and value else Opcode.NOTICE
        if status is Status.SUCCESS:
            status = self._apply(ControlCommand.from_bytes(value))
        reply = ControlReply(
            opcode, status, self._state(), self.rate, self.acc_range, self.gyro_range, self._clock_us()
        )
        with contextlib.suppress(Exception):
            await self.device.indicate_subscriber(connection, self._control_char, bytes(reply))

    def _apply(self, command: ControlCommand) -> Status:
        op = command.opcode
        if op in (Opcode.SET_RATE, Opcode.SET_RANGES) and self.streaming:
            return Status.BUSY_STREAMING
        if op is Opcode.SET_RATE:
            try:
                self.samples_at(command.rate.hz)  # type: ignore[union-attr]
            except (SimulationError, ValueError):
                return Status.INVALID_PARAMETER
            if command.rate != self.rate:
                self._samples = None
            self.rate = command.rate  # type: ignore[assignment]
        elif op is Opcode.SET_RANGES:
            self.acc_range, self.gyro_range = command.acc_range, command.gyro_range  # type: ignore[assignment]
        elif op is Opcode.START:
            if not self.streaming:
                if self.connection is None or self._n_max() < 1:
                    return Status.MTU_TOO_SMALL
                if self.battery_pct < 5:
                    return Status.BATTERY_LOW
                self._start_stream()
        elif op is Opcode.STOP:
            self._stop_stream()
        elif op is Opcode.CLOCK_RESET:
            self.clock_reset()
        return Status.SUCCESS

    # ------------------------------------------------------------------------------------------ streaming
    def _n_max(self) -> int:
        mtu = min(MAX_MTU, int(self.connection.att_mtu)) if self.connection is not None else 23
        per_sample = 12 if self.gyro_range is not GyroRange.OFF else 6
        fit = (mtu - 3 - _HEADER_BYTES) // per_sample
        return max(0, min(255, fit, math.floor(_FLUSH_S * self.rate.hz) + 1))

    def _start_stream(self) -> None:
        if self._samples is None:
            data = self.samples_at(self.rate.hz)
            gyr = data.gyr_dps if data.gyr_dps is not None else np.zeros_like(data.acc_g)
            self._samples = (data.acc_g, gyr)
        self._seq = 0
        self._k = 0
        self._clock_k0 = 0
        self._flags_next = DataFlags.CLOCK_RESET
        self._t0 = asyncio.get_running_loop().time()
        self._stream_task = asyncio.get_running_loop().create_task(self._stream())

    def _stop_stream(self) -> None:
        task, self._stream_task = self._stream_task, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    def _build(self, n: int) -> DataPacket:
        acc, gyr = self._samples  # type: ignore[misc]
        idx = (self._k + np.arange(n)) % acc.shape[0]
        acc_counts, acc_clipped = _to_counts(acc[idx], self.acc_range.g)
        flags = self._flags_next
        self._flags_next = DataFlags(0)
        if acc_clipped:
            flags |= DataFlags.ACC_CLIPPED
        if self.gyro_range is GyroRange.OFF:
            counts = acc_counts
        else:
            gyr_counts, gyr_clipped = _to_counts(gyr[idx], self.gyro_range.dps)
            counts = np.concatenate([acc_counts, gyr_counts], axis=1)
            flags |= DataFlags.GYRO
            if gyr_clipped:
                flags |= DataFlags.GYRO_CLIPPED
        interval_ns = round(1e9 / self.rate.hz)
        t_first_us = ((self._k - self._clock_k0) * interval_ns // 1000) & 0xFFFFFFFF
        packet = DataPacket(
            flags,
            self.acc_range,
            self.gyro_range,
            self._seq,
            t_first_us,
            interval_ns,
            tuple(int(c) for c in counts.reshape(-1)),
        )
        self._seq = (self._seq + 1) & 0xFFFF
        self._k += n
        self.packets_built += 1
        return packet

    async def _stream(self) -> None:
        loop = asyncio.get_running_loop()
        period_s = 1.0 / self.rate.hz
        try:
            while True:
                connection = self.connection
                if connection is None:
                    return
                n = self._n_max()
                due = self._t0 + (self._k + n) * period_s  # when the packet's last sample is taken
                await asyncio.sleep(max(0.0, due - loop.time()))
                if self._stall_until is not None:
                    await asyncio.sleep(max(0.0, self._stall_until - loop.time()))
                    self._stall_until = None
                    # The hung firmware's FIFO overflowed: the samples of the stall are gone.
                    skip_to = int((loop.time() - self._t0) / period_s) - n
                    if skip_to > self._k:
                        self._k = skip_to
                        self._flags_next |= DataFlags.OVERRUN
                    continue
                packet = self._build(n)
                if self._lose_next > 0:
                    self._lose_next -= 1
                    self.faults.lost_packets += 1
                    continue
                await self.device.notify_subscriber(connection, self._data_char, bytes(packet))
                if self.record_sent:
                    self.sent.append(packet)
        except asyncio.CancelledError:
            pass
        except Exception:  # a link torn down under a send: the disconnection handler stops the stream
            log.debug("%s: stream ended", self.name, exc_info=True)

    # ---------------------------------------------------------------------------------------------- faults
    async def drop_link(self) -> None:
        """Disconnect the central, as a sensor walking out of range does (it advertises again at once)."""
        connection = self.connection
        if connection is not None:
            self.faults.drops += 1
            with contextlib.suppress(Exception):
                await connection.disconnect()

    def stall(self, duration_s: float) -> None:
        """Send nothing for ``duration_s`` (hung firmware); the samples of that time are lost (OVERRUN)."""
        self.faults.stalls += 1
        self._stall_until = asyncio.get_running_loop().time() + float(duration_s)

    def lose_packets(self, n: int) -> None:
        """Build the next ``n`` packets (``seq`` advances) but do not send them (radio queue full)."""
        self._lose_next += int(n)

    def clock_reset(self) -> None:
        """Restart ``seq`` and the sensor clock at 0 now; the next packet carries CLOCK_RESET."""
        self.faults.clock_resets += 1
        self._seq = 0
        self._clock_k0 = self._k
        self._flags_next |= DataFlags.CLOCK_RESET

    async def send_raw(self, data: bytes) -> None:
        """Notify ``data`` on IMU Data as it is: garbage, or a packet cut short."""
        if self.connection is not None:
            self.faults.garbage += 1
            await self.device.notify_subscriber(self.connection, self._data_char, bytes(data))

    async def set_battery(self, pct: int) -> None:
        """Change the battery level and notify it."""
        self.battery_pct = int(pct)
        with contextlib.suppress(Exception):
            await self.device.notify_subscribers(self._battery.battery_level_characteristic)


async def run_emulator(
    transport: str,
    samples_at: Callable[[float], ImuData],
    *,
    address: str = "C0:98:E5:49:A0:01",
    stop: asyncio.Event | None = None,
    on_ready: Callable[[EmulatedSensor], None] | None = None,
    **sensor_kw: object,
) -> None:
    """Serve an emulated sensor on a controller bumble opens, until ``stop`` is set or the transport closes.

    Parameters
    ----------
    transport
        A bumble transport name: ``usb:0`` (a USB dongle bumble may claim), ``hci-socket:0`` (a Linux HCI
        device taken down from BlueZ), ``serial:/dev/ttyACM0``, ``tcp-client:HOST:PORT``, ...
    samples_at
        See :class:`EmulatedSensor`.
    address
        Static random address the sensor advertises with.
    """
    from bumble import hci
    from bumble.transport import open_transport

    try:
        hci_transport = await open_transport(transport)
    except Exception as exc:
        raise SimulationError(
            f"cannot open the Bluetooth controller {transport!r} ({exc}); plug in a Bluetooth dongle that "
            "bumble can drive (e.g. --transport usb:0) and make sure nothing else uses it"
        ) from None
    async with hci_transport:
        device = Device.with_hci("AnkleIMU", hci.Address(address), hci_transport.source, hci_transport.sink)
        sensor = EmulatedSensor(device, samples_at, **sensor_kw)  # type: ignore[arg-type]
        await sensor.start()
        if on_ready is not None:
            on_ready(sensor)
        waiters = [asyncio.ensure_future(hci_transport.source.wait_for_termination())]
        if stop is not None:
            waiters.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
