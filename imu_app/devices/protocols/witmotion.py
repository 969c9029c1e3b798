"""WitMotion BWT901BLE (WT901BLECL): the 0x55 0x61 data packet, the 0x55 0x71 register reply, commands.

Sources of the layouts
----------------------
- WitMotion, "WT901BLECL Datasheet" v20-0707, chapter 6 "Communication Protocol": the module notifies
  20-byte packets; the default one is ``0x55 0x61`` followed by nine int16 values, low byte first:
  acceleration x, y, z (``value / 32768 * 16`` g), angular velocity x, y, z (``value / 32768 * 2000``
  deg/s) and angle roll, pitch, yaw (``value / 32768 * 180`` degrees). A register read ``FF AA 27 <reg> 00``
  is answered by ``0x55 0x71``, the start register (2 bytes) and eight int16 registers (16 bytes); the
  datasheet's example ``55 71 3A 00 68 01 69 00 7A 00 ...`` is the magnetic field x = 360, y = 105, z = 122.
- WitMotion register protocol (same family, e.g. the WTVB01-BT50 manual, "Host computer to module"): a
  setting is ``FF AA <register> <value low> <value high>``; unlock ``FF AA 69 88 B5`` (valid 10 s), save
  ``FF AA 00 00 00``; register 0x03 RATE sets the output rate (0x06 = 10 Hz, 0x08 = 50 Hz, 0x09 = 100 Hz).
- GATT: service ``0000ffe5-...``, notify ``0000ffe4-...``, write ``0000ffe9-...`` (16-bit UUIDs on the
  Bluetooth base UUID).

Notes
-----
The packets carry no time stamp and no sequence number: the host times each one on arrival, so the
WitMotion stream cannot tell lost packets from a slower rate. That, and its ±16 g range, make it a sensor for
holds and calf raises rather than for contact times.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols._common import SampleBlock, as_bytes, hex_preview

__all__ = [
    "NOTIFY_UUID",
    "SERVICE_UUID",
    "WRITE_UUID",
    "WitCommand",
    "WitDataPacket",
    "WitRegister",
    "WitRegisterReply",
    "decode_notification",
]

SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

_HEADER = 0x55
_FLAG_DATA = 0x61
_FLAG_REGISTERS = 0x71
_ACC_G_PER_COUNT = 16.0 / 32768.0
_GYR_DPS_PER_COUNT = 2000.0 / 32768.0
_ANGLE_DEG_PER_COUNT = 180.0 / 32768.0


@dataclass(frozen=True)
class WitDataPacket:
    """The default notification: ``<BB9h``, 20 bytes.

    ==========  ======  ============================================================
    offset      format  field
    ==========  ======  ============================================================
    0           ``B``   0x55
    1           ``B``   0x61
    2           ``3h``  acceleration x, y, z, counts of 16 g / 32768
    8           ``3h``  angular velocity x, y, z, counts of 2000 deg/s / 32768
    14          ``3h``  angle roll, pitch, yaw, counts of 180 deg / 32768
    ==========  ======  ============================================================
    """

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<BB9h")

    acc_counts: tuple[int, int, int]
    gyr_counts: tuple[int, int, int]
    angle_counts: tuple[int, int, int]

    def __post_init__(self) -> None:
        for name in ("acc_counts", "gyr_counts", "angle_counts"):
            values = getattr(self, name)
            if len(values) != 3 or any(not -32768 <= v <= 32767 for v in values):
                raise ProtocolError(f"WitMotion data packet: {name} must be three int16 values")

    @property
    def acc_g(self) -> tuple[float, float, float]:
        return tuple(v * _ACC_G_PER_COUNT for v in self.acc_counts)  # type: ignore[return-value]

    @property
    def gyr_dps(self) -> tuple[float, float, float]:
        return tuple(v * _GYR_DPS_PER_COUNT for v in self.gyr_counts)  # type: ignore[return-value]

    @property
    def angle_deg(self) -> tuple[float, float, float]:
        """Roll, pitch, yaw from the module's own fusion (Z-Y-X Euler angles)."""
        return tuple(v * _ANGLE_DEG_PER_COUNT for v in self.angle_counts)  # type: ignore[return-value]

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> WitDataPacket:
        data = as_bytes(data, "WitMotion data packet")
        if len(data) != cls.STRUCT.size:
            raise ProtocolError(
                f"WitMotion data packet: {len(data)} bytes, the packet is {cls.STRUCT.size} "
                f"({hex_preview(data)})"
            )
        header, flag, *values = cls.STRUCT.unpack(data)
        if header != _HEADER or flag != _FLAG_DATA:
            raise ProtocolError(
                f"WitMotion data packet: starts with {header:02X} {flag:02X}, a data packet starts with 55 61"
            )
        return cls(tuple(values[0:3]), tuple(values[3:6]), tuple(values[6:9]))  # type: ignore[arg-type]

    def __bytes__(self) -> bytes:
        return self.STRUCT.pack(_HEADER, _FLAG_DATA, *self.acc_counts, *self.gyr_counts, *self.angle_counts)

    def to_samples(self, t_s: float) -> SampleBlock:
        """The one sample of this packet in g and deg/s, timed at ``t_s`` (the host's arrival time)."""
        return SampleBlock(
            t_s=np.array([t_s], dtype=np.float64),
            acc_g=np.array([self.acc_g], dtype=np.float64),
            gyr_dps=np.array([self.gyr_dps], dtype=np.float64),
        )


@dataclass(frozen=True)
class WitRegisterReply:
    """The answer to a register read: ``<BBH8h``, 20 bytes: 0x55 0x71, start register, eight registers."""

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<BBH8h")

    start_register: int
    values: tuple[int, ...]

    def __post_init__(self) -> None:
        if not 0 <= self.start_register <= 0xFFFF:
            raise ProtocolError(
                f"WitMotion register reply: start register {self.start_register} is not 16-bit"
            )
        if len(self.values) != 8 or any(not -32768 <= v <= 32767 for v in self.values):
            raise ProtocolError("WitMotion register reply: carries exactly eight int16 registers")

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> WitRegisterReply:
        data = as_bytes(data, "WitMotion register reply")
        if len(data) != cls.STRUCT.size:
            raise ProtocolError(
                f"WitMotion register reply: {len(data)} bytes, the reply is {cls.STRUCT.size} "
                f"({hex_preview(data)})"
            )
        header, flag, start, *values = cls.STRUCT.unpack(data)
        if header != _HEADER or flag != _FLAG_REGISTERS:
            raise ProtocolError(
                f"WitMotion register reply: starts with {header:02X} {flag:02X}, a reply starts with 55 71"
            )
        return cls(start, tuple(values))

    def __bytes__(self) -> bytes:
        return self.STRUCT.pack(_HEADER, _FLAG_REGISTERS, self.start_register, *self.values)


def decode_notification(data: bytes | bytearray | memoryview) -> WitDataPacket | WitRegisterReply:
    """Decode a notification of the WitMotion notify characteristic, whichever of the two kinds it is."""
    data = as_bytes(data, "WitMotion notification")
    if len(data) >= 2 and data[0] == _HEADER and data[1] == _FLAG_REGISTERS:
        return WitRegisterReply.from_bytes(data)
    return WitDataPacket.from_bytes(data)


class WitRegister(enum.IntEnum):
    SAVE = 0x00
    RATE = 0x03
    READ = 0x27
    UNLOCK = 0x69


#: Output-rate register values documented for this family.
RATE_CODES = {10: 0x06, 50: 0x08, 100: 0x09}


@dataclass(frozen=True)
class WitCommand:
    """A write to the WitMotion write characteristic: ``<BBBH``, ``FF AA <register> <value, low first>``."""

    STRUCT: ClassVar[struct.Struct] = struct.Struct("<BBBH")

    register: int
    value: int

    def __post_init__(self) -> None:
        if not 0 <= self.register <= 0xFF or not 0 <= self.value <= 0xFFFF:
            raise ProtocolError(
                f"WitMotion command: register {self.register} must be 0-255 and value {self.value} 0-65535"
            )

    @classmethod
    def unlock(cls) -> WitCommand:
        """``FF AA 69 88 B5``: settings written in the next 10 s are accepted."""
        return cls(WitRegister.UNLOCK, 0xB588)

    @classmethod
    def save(cls) -> WitCommand:
        return cls(WitRegister.SAVE, 0x0000)

    @classmethod
    def set_rate(cls, rate_hz: int) -> WitCommand:
        if rate_hz not in RATE_CODES:
            raise ProtocolError(
                f"WitMotion rate {rate_hz} Hz has no documented code; choose one of "
                f"{', '.join(map(str, RATE_CODES))} Hz"
            )
        return cls(WitRegister.RATE, RATE_CODES[rate_hz])

    @classmethod
    def read_register(cls, register: int) -> WitCommand:
        """``FF AA 27 <register> 00``; answered by a :class:`WitRegisterReply`."""
        return cls(WitRegister.READ, register)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> WitCommand:
        data = as_bytes(data, "WitMotion command")
        if len(data) != cls.STRUCT.size:
            raise ProtocolError(f"WitMotion command: {len(data)} bytes, a command is {cls.STRUCT.size}")
        a, b, register, value = cls.STRUCT.unpack(data)
        if (a, b) != (0xFF, 0xAA):
            raise ProtocolError(
                f"WitMotion command: starts with {a:02X} {b:02X}, a command starts with FF AA"
            )
        return cls(register, value)

    def __bytes__(self) -> bytes:
        return self.STRUCT.pack(0xFF, 0xAA, int(self.register), self.value)
