"""Our open ankle-sensor profile, version 1: the data packet, the control command and the control reply.

Every layout here is the one of ``firmware_notes/gatt-profile.md`` (sections "Data packet", "Control
commands" and "Control replies"), which is the specification a firmware engineer implements; the reference
firmware in ``firmware_notes/sketch/`` writes the same bytes. All multi-byte fields are little-endian.

Notes
-----
Samples travel as int16 counts whose size is fixed by the protocol, not by the part: one accelerometer count
is ``full_scale_g / 32768`` g and one gyroscope count is ``full_scale_dps / 32768`` deg/s for the range code
carried in every packet. A part whose native sensitivity differs (ST gyroscopes: 70 mdps per LSB at
±2000 deg/s, where the protocol count is 61.04 mdps) is rescaled in the firmware, so a packet is decodable on
its own and the app never needs a table of vendor sensitivities.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols._common import SampleBlock, as_bytes, hex_preview

__all__ = [
    "CONTROL_UUID",
    "DATA_UUID",
    "SERVICE_UUID",
    "AccRange",
    "ControlCommand",
    "ControlReply",
    "DataFlags",
    "DataPacket",
    "GyroRange",
    "Opcode",
    "SampleRate",
    "StateFlags",
    "Status",
]

#: The profile's service; all its UUIDs share one 128-bit base (``430axxxx-d28d-44fb-9e2d-0cf52afc7167``),
#: so a stack stores one base and three 16-bit parts.
SERVICE_UUID = "430a0001-d28d-44fb-9e2d-0cf52afc7167"
#: IMU Data characteristic (notify): one :class:`DataPacket` per notification.
DATA_UUID = "430a0002-d28d-44fb-9e2d-0cf52afc7167"
#: IMU Control characteristic (write with response, indicate): :class:`ControlCommand` in,
#: :class:`ControlReply` out.
CONTROL_UUID = "430a0003-d28d-44fb-9e2d-0cf52afc7167"

_COUNTS_PER_FULL_SCALE = 32768.0


class SampleRate(enum.IntEnum):
    """Rate codes (``firmware_notes/gatt-profile.md``, "Rates"); nominal LSM6DS-class output data rates."""

    HZ_52 = 1
    HZ_104 = 2
    HZ_208 = 3
    HZ_416 = 4
    HZ_833 = 5
    HZ_1666 = 6

    @property
    def hz(self) -> float:
        return _RATE_HZ[self]

    @classmethod
    def from_hz(cls, rate_hz: float) -> SampleRate:
        for code, hz in _RATE_HZ.items():
            if abs(hz - rate_hz) < 0.5:
                return code
        raise ProtocolError(
            f"sample rate {rate_hz:g} Hz is not one the profile offers "
            f"({', '.join(f'{hz:g}' for hz in _RATE_HZ.values())} Hz)"
        )


_RATE_HZ = {
    SampleRate.HZ_52: 52.0,
    SampleRate.HZ_104: 104.0,
    SampleRate.HZ_208: 208.0,
    SampleRate.HZ_416: 416.0,
    SampleRate.HZ_833: 833.0,
    SampleRate.HZ_1666: 1666.0,
}


class AccRange(enum.IntEnum):
    """Accelerometer range codes (low nibble of the packet's range byte): full scale ±2 ... ±256 g.

    Codes above ±32 g serve sensors that merge a high-g channel (ADXL372, LSM6DSV320X) into one stream.
    """

    G2 = 0
    G4 = 1
    G8 = 2
    G16 = 3
    G32 = 4
    G64 = 5
    G128 = 6
    G256 = 7

    @property
    def g(self) -> float:
        return float(2 << self.value)


class GyroRange(enum.IntEnum):
    """Gyroscope range codes (high nibble of the packet's range byte): ±125 ... ±4000 deg/s, or off."""

    DPS125 = 0
    DPS250 = 1
    DPS500 = 2
    DPS1000 = 3
    DPS2000 = 4
    DPS4000 = 5
    OFF = 15

    @property
    def dps(self) -> float:
        if self is GyroRange.OFF:
            raise ProtocolError("the gyroscope is off: it has no range in deg/s")
        return float(125 << self.value)


class DataFlags(enum.IntFlag):
    """Flags byte of the data packet. Bits 5-7 are reserved: sent as 0 by version 1, kept, not interpreted."""

    #: Samples carry gyroscope axes (12 bytes per sample instead of 6).
    GYRO = 0x01
    #: At least one accelerometer count in this packet is at full scale (-32768 or 32767).
    ACC_CLIPPED = 0x02
    #: At least one gyroscope count in this packet is at full scale.
    GYRO_CLIPPED = 0x04
    #: The sensor's FIFO overflowed before this packet: samples are missing although ``seq`` is contiguous;
    #: the time stamp of the first sample says how many.
    OVERRUN = 0x08
    #: First packet after power-up, a START, or a CLOCK_RESET command: ``seq`` and the sensor clock restarted,
    #: so this packet must not be compared with earlier ones.
    CLOCK_RESET = 0x10


@lru_cache(maxsize=512)
def _counts_struct(n_values: int) -> struct.Struct:
    return struct.Struct(f"<{n_values}h")


@dataclass(frozen=True)
class DataPacket:
    """One notification of the IMU Data characteristic.

    Layout (``firmware_notes/gatt-profile.md``, "Data packet"), format ``<BBBBHII`` then ``n`` samples:

    ==========  ========  ======================================================================
    offset      format    field
    ==========  ========  ======================================================================
    0           ``B``     format version, 1
    1           ``B``     flags (:class:`DataFlags`)
    2           ``B``     ranges: accelerometer code (bits 0-3), gyroscope code (bits 4-7, 15 = off)
    3           ``B``     number of samples ``n`` (1-255)
    4           ``H``     sequence number, +1 per packet produced, wraps at 65536
    6           ``I``     sensor time of the first sample, microseconds, wraps every 71.6 min
    10          ``I``     sample interval, nanoseconds (the measured one, not the nominal)
    14          ``nx6h``  samples ax, ay, az, gx, gy, gz (``nx3h`` without gyroscope), counts
    ==========  ========  ======================================================================

    Attributes
    ----------
    counts
        The samples as sent, flat and interleaved per sample (``ax, ay, az[, gx, gy, gz], ax, ...``).
    """

    FORMAT_VERSION: ClassVar[int] = 1
    HEADER: ClassVar[struct.Struct] = struct.Struct("<BBBBHII")

    flags: DataFlags
    acc_range: AccRange
    gyro_range: GyroRange
    seq: int
    t_first_us: int
    interval_ns: int
    counts: tuple[int, ...]

    def __post_init__(self) -> None:
        has_gyro = bool(self.flags & DataFlags.GYRO)
        if has_gyro == (self.gyro_range is GyroRange.OFF):
            raise ProtocolError(
                "IMU data packet: the GYRO flag and the gyroscope range disagree "
                f"(flag {'set' if has_gyro else 'clear'}, range {self.gyro_range.name})"
            )
        channels = 6 if has_gyro else 3
        n, rest = divmod(len(self.counts), channels)
        if rest or not 1 <= n <= 255:
            raise ProtocolError(
                f"IMU data packet: {len(self.counts)} counts do not make 1-255 samples of {channels} axes"
            )
        if not 0 <= self.seq <= 0xFFFF:
            raise ProtocolError(f"IMU data packet: sequence number {self.seq} is outside 0-65535")
        if not 0 <= self.t_first_us <= 0xFFFFFFFF:
            raise ProtocolError(f"IMU data packet: time stamp {self.t_first_us} us does not fit 32 bits")
        if not 1 <= self.interval_ns <= 0xFFFFFFFF:
            raise ProtocolError(f"IMU data packet: sample interval {self.interval_ns} ns is not 1 ns-4.3 s")

    @property
    def has_gyro(self) -> bool:
        return bool(self.flags & DataFlags.GYRO)

    @property
    def n_samples(self) -> int:
        return len(self.counts) // (6 if self.has_gyro else 3)

    @property
    def t_first_s(self) -> float:
        return self.t_first_us * 1e-6

    @property
    def interval_s(self) -> float:
        return self.interval_ns * 1e-9

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> DataPacket:
        """Decode one notification; :class:`ProtocolError` says what is wrong with a malformed one."""
        data = as_bytes(data, "IMU data packet")
        size = cls.HEADER.size
        if len(data) < size:
            raise ProtocolError(
                f"IMU data packet: {len(data)} bytes is too short, the header alone is {size} bytes "
                f"({hex_preview(data)})"
            )
        version, flags, ranges, n, seq, t_first_us, interval_ns = cls.HEADER.unpack_from(data)
        if version != cls.FORMAT_VERSION:
            raise ProtocolError(
                f"IMU data packet: format version {version} is not supported, this app reads version "
                f"{cls.FORMAT_VERSION}; update the app or the sensor's firmware"
            )
        if n == 0:
            raise ProtocolError("IMU data packet: the header declares 0 samples (byte 3)")
        channels = 6 if flags & DataFlags.GYRO else 3
        expected = size + 2 * channels * n
        if len(data) != expected:
            raise ProtocolError(
                f"IMU data packet: {len(data)} bytes, but {n} samples "
                f"{'with' if channels == 6 else 'without'} gyroscope take {expected} bytes"
            )
        acc_code, gyro_code = ranges & 0x0F, ranges >> 4
        try:
            acc_range = AccRange(acc_code)
        except ValueError:
            raise ProtocolError(
                f"IMU data packet: accelerometer range code {acc_code} (byte 2, bits 0-3) is not 0-7"
            ) from None
        try:
            gyro_range = GyroRange(gyro_code)
        except ValueError:
            raise ProtocolError(
                f"IMU data packet: gyroscope range code {gyro_code} (byte 2, bits 4-7) is not 0-5 or 15"
            ) from None
        if interval_ns == 0:
            raise ProtocolError("IMU data packet: the sample interval (bytes 10-13) is 0 ns")
        counts = _counts_struct(n * channels).unpack_from(data, size)
        return cls(DataFlags(flags), acc_range, gyro_range, seq, t_first_us, interval_ns, counts)

    def __bytes__(self) -> bytes:
        n = self.n_samples
        ranges = int(self.acc_range) | (int(self.gyro_range) << 4)
        header = self.HEADER.pack(
            self.FORMAT_VERSION, int(self.flags), ranges, n, self.seq, self.t_first_us, self.interval_ns
        )
        try:
            return header + _counts_struct(len(self.counts)).pack(*self.counts)
        except struct.error:
            raise ProtocolError("IMU data packet: a count is outside the int16 range -32768-32767") from None

    def to_samples(self) -> SampleBlock:
        """The samples in g and deg/s, timed on the sensor clock (seconds, not unwrapped)."""
        n = self.n_samples
        channels = 6 if self.has_gyro else 3
        counts = np.asarray(self.counts, dtype=np.float64).reshape(n, channels)
        t_s = self.t_first_us * 1e-6 + np.arange(n) * (self.interval_ns * 1e-9)
        acc_g = counts[:, :3] * (self.acc_range.g / _COUNTS_PER_FULL_SCALE)
        gyr_dps = None
        if self.has_gyro:
            gyr_dps = counts[:, 3:] * (self.gyro_range.dps / _COUNTS_PER_FULL_SCALE)
        return SampleBlock(t_s=t_s, acc_g=acc_g, gyr_dps=gyr_dps)


class Opcode(enum.IntEnum):
    """Control opcodes (``firmware_notes/gatt-profile.md``, "Control commands")."""

    #: Device to host only: an unsolicited reply (streaming stopped by the sensor; status says why).
    NOTICE = 0x00
    START = 0x01
    STOP = 0x02
    SET_RATE = 0x03
    SET_RANGES = 0x04
    CLOCK_RESET = 0x05
    GET_CONFIG = 0x06


class Status(enum.IntEnum):
    """Reply status codes (``firmware_notes/gatt-profile.md``, "Control replies")."""

    SUCCESS = 0x00
    UNKNOWN_OPCODE = 0x01
    INVALID_LENGTH = 0x02
    INVALID_PARAMETER = 0x03
    BUSY_STREAMING = 0x04
    MTU_TOO_SMALL = 0x05
    SENSOR_FAULT = 0x06
    BATTERY_LOW = 0x07


class StateFlags(enum.IntFlag):
    """State byte of a reply."""

    STREAMING = 0x01
    LOW_BATTERY = 0x02
    CHARGING = 0x04


@dataclass(frozen=True)
class ControlCommand:
    """A write to the IMU Control characteristic: always three bytes, ``<BBB`` opcode, arg0, arg1.

    ==========  ======  ====================================================================
    offset      format  field
    ==========  ======  ====================================================================
    0           ``B``   opcode (:class:`Opcode`, never NOTICE)
    1           ``B``   SET_RATE: rate code; SET_RANGES: accelerometer code; otherwise 0
    2           ``B``   SET_RANGES: gyroscope code (15 = off); otherwise 0
    ==========  ======  ====================================================================
    """

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<BBB")

    opcode: Opcode
    rate: SampleRate | None = None
    acc_range: AccRange | None = None
    gyro_range: GyroRange | None = None

    def __post_init__(self) -> None:
        if self.opcode is Opcode.NOTICE:
            raise ProtocolError("control command: NOTICE is sent by the sensor, never to it")
        wants_rate = self.opcode is Opcode.SET_RATE
        wants_ranges = self.opcode is Opcode.SET_RANGES
        if (self.rate is not None) != wants_rate:
            raise ProtocolError(
                f"control command: {self.opcode.name} {'needs' if wants_rate else 'takes no'} rate"
            )
        if (self.acc_range is not None) != wants_ranges or (self.gyro_range is not None) != wants_ranges:
            raise ProtocolError(
                f"control command: {self.opcode.name} {'needs both' if wants_ranges else 'takes no'} ranges"
            )

    @classmethod
    def start(cls) -> ControlCommand:
        return cls(Opcode.START)

    @classmethod
    def stop(cls) -> ControlCommand:
        return cls(Opcode.STOP)

    @classmethod
    def set_rate(cls, rate: SampleRate) -> ControlCommand:
        return cls(Opcode.SET_RATE, rate=rate)

    @classmethod
    def set_ranges(cls, acc_range: AccRange, gyro_range: GyroRange) -> ControlCommand:
        return cls(Opcode.SET_RANGES, acc_range=acc_range, gyro_range=gyro_range)

    @classmethod
    def clock_reset(cls) -> ControlCommand:
        return cls(Opcode.CLOCK_RESET)

    @classmethod
    def get_config(cls) -> ControlCommand:
        return cls(Opcode.GET_CONFIG)

    @classmethod
    def status_for(cls, data: bytes | bytearray | memoryview) -> Status:
        """The status a sensor must reply to this write (SUCCESS when it is a valid command).

        This is the firmware's validation, in the order the specification gives: length, opcode, arguments.
        The state checks (BUSY_STREAMING, MTU_TOO_SMALL, ...) depend on the sensor and are not made here.
        """
        data = as_bytes(data, "control command")
        if len(data) != cls.STRUCT.size:
            return Status.INVALID_LENGTH
        opcode, arg0, arg1 = data
        if opcode == Opcode.NOTICE or opcode not in Opcode._value2member_map_:
            return Status.UNKNOWN_OPCODE
        if opcode == Opcode.SET_RATE:
            ok = arg0 in SampleRate._value2member_map_ and arg1 == 0
        elif opcode == Opcode.SET_RANGES:
            ok = arg0 in AccRange._value2member_map_ and arg1 in GyroRange._value2member_map_
        else:
            ok = arg0 == 0 and arg1 == 0
        return Status.SUCCESS if ok else Status.INVALID_PARAMETER

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> ControlCommand:
        data = as_bytes(data, "control command")
        status = cls.status_for(data)
        if status is not Status.SUCCESS:
            raise ProtocolError(
                f"control command: {hex_preview(data)} is invalid ({status.name}); a command is 3 bytes: "
                "opcode 1-6 and two argument bytes"
            )
        opcode, arg0, arg1 = data
        op = Opcode(opcode)
        if op is Opcode.SET_RATE:
            return cls(op, rate=SampleRate(arg0))
        if op is Opcode.SET_RANGES:
            return cls(op, acc_range=AccRange(arg0), gyro_range=GyroRange(arg1))
        return cls(op)

    def __bytes__(self) -> bytes:
        if self.opcode is Opcode.SET_RATE:
            args = (int(self.rate), 0)  # type: ignore[arg-type]
        elif self.opcode is Opcode.SET_RANGES:
            args = (int(self.acc_range), int(self.gyro_range))  # type: ignore[arg-type]
        else:
            args = (0, 0)
        return self.STRUCT.pack(int(self.opcode), *args)


@dataclass(frozen=True)
class ControlReply:
    """An indication of the IMU Control characteristic: the answer to one command, or a NOTICE.

    Layout ``<BBBBBBI``, 10 bytes; every reply carries the whole configuration, so the host never has to
    remember what it asked for:

    ==========  ======  ====================================================================
    offset      format  field
    ==========  ======  ====================================================================
    0           ``B``   opcode answered (NOTICE = 0 for a reply nobody asked for)
    1           ``B``   status (:class:`Status`)
    2           ``B``   state (:class:`StateFlags`)
    3           ``B``   rate code in force
    4           ``B``   accelerometer range code in force
    5           ``B``   gyroscope range code in force (15 = off)
    6           ``I``   sensor clock when the reply was made, microseconds (same clock as the packets)
    ==========  ======  ====================================================================
    """

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<BBBBBBI")

    opcode: Opcode
    status: Status
    state: StateFlags
    rate: SampleRate
    acc_range: AccRange
    gyro_range: GyroRange
    sensor_time_us: int

    def __post_init__(self) -> None:
        if not 0 <= self.sensor_time_us <= 0xFFFFFFFF:
            raise ProtocolError(f"control reply: sensor time {self.sensor_time_us} us does not fit 32 bits")

    @property
    def ok(self) -> bool:
        return self.status is Status.SUCCESS

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> ControlReply:
        data = as_bytes(data, "control reply")
        if len(data) != cls.STRUCT.size:
            raise ProtocolError(
                f"control reply: {len(data)} bytes, a reply is {cls.STRUCT.size} ({hex_preview(data)})"
            )
        opcode, status, state, rate, acc, gyro, t_us = cls.STRUCT.unpack(data)
        fields = (
            (Opcode, opcode, "opcode", 0),
            (Status, status, "status", 1),
            (SampleRate, rate, "rate code", 3),
            (AccRange, acc, "accelerometer range code", 4),
            (GyroRange, gyro, "gyroscope range code", 5),
        )
        decoded = []
        for kind, value, name, offset in fields:
            try:
                decoded.append(kind(value))
            except ValueError:
                raise ProtocolError(f"control reply: unknown {name} {value} at byte {offset}") from None
        op, st, rt, ac, gy = decoded
        return cls(op, st, StateFlags(state), rt, ac, gy, t_us)

    def __bytes__(self) -> bytes:
        return self.STRUCT.pack(
            int(self.opcode),
            int(self.status),
            int(self.state),
            int(self.rate),
            int(self.acc_range),
            int(self.gyro_range),
            self.sensor_time_us,
        )
