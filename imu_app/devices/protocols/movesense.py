"""Movesense sensors over the GATT SensorData Protocol ("GSP"), IMU6 (accelerometer + gyroscope) streams.

Sources of the layouts
----------------------
- Movesense, "GATT SensorData Protocol specification" (revised from Movesense document GD-77 v1.0,
  movesense.com/docs/esw/gatt_sensordata_protocol): the service and its two characteristics, a write
  characteristic for commands and a notify characteristic for command results and data; commands are
  ``[command, client reference (not 0), command data]``, notifications ``[response type, reference, data]``.
- Movesense device library, sample ``gatt_sensordata_app`` (``GATTSensorDataClient.cpp`` and its Python
  client): command codes HELLO 0, SUBSCRIBE 1 (data: the resource path as text), UNSUBSCRIBE 2 (no data);
  response types COMMAND_RESULT 1, DATA 2, DATA_PART2 3 (and DATA_PART3 4): a data notification longer than
  the 158 bytes the sensor sends at once continues in the next notification(s), whose bodies are appended.
- Movesense API ``meas/imu.yaml``, ``IMU6Data``: ``Timestamp`` (uint32, milliseconds, local time of the
  first measurement), ``ArrayAcc`` (m/s^2) and ``ArrayGyro`` (deg/s) as float32 3-vectors; the binary body
  of a DATA notification is the timestamp followed by all acceleration vectors, then all angular-rate
  vectors. Subscribable rates for ``/Meas/IMU6/<rate>``: 13, 26, 52, 104, 208, 416, 833 and 1666 Hz.
"""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np

from imu_app.core.errors import ProtocolError
from imu_app.core.units import STANDARD_GRAVITY_M_S2
from imu_app.devices.protocols._common import SampleBlock, as_bytes, hex_preview

__all__ = [
    "IMU6_RATES_HZ",
    "NOTIFY_UUID",
    "SERVICE_UUID",
    "WRITE_UUID",
    "GspCommand",
    "GspCommandCode",
    "GspNotification",
    "GspResponseCode",
    "Imu6Data",
    "join_data_parts",
]

SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
#: Client to sensor (write).
WRITE_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
#: Sensor to client (notify): command results and data.
NOTIFY_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"

IMU6_RATES_HZ = (13, 26, 52, 104, 208, 416, 833, 1666)

#: Longest resource path the sample firmware copies (its buffer is 160 bytes with the terminating zero).
_MAX_PATH_BYTES = 159


class GspCommandCode(enum.IntEnum):
    HELLO = 0
    SUBSCRIBE = 1
    UNSUBSCRIBE = 2


class GspResponseCode(enum.IntEnum):
    COMMAND_RESULT = 1
    DATA = 2
    DATA_PART2 = 3
    DATA_PART3 = 4


@dataclass(frozen=True)
class GspCommand:
    """A write to the GSP command characteristic: ``<BB`` command, reference, then the UTF-8 path.

    ==========  ======  ==========================================================
    offset      format  field
    ==========  ======  ==========================================================
    0           ``B``   command (:class:`GspCommandCode`)
    1           ``B``   client reference, 1-255, echoed in every notification
    2           text    SUBSCRIBE only: resource path, e.g. ``/Meas/IMU6/208``
    ==========  ======  ==========================================================
    """

    HEADER: ClassVar[struct.Struct] = struct.Struct("<BB")

    command: GspCommandCode
    reference: int
    path: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.reference <= 255:
            raise ProtocolError(f"Movesense command: reference {self.reference} is not 1-255 (0 is reserved)")
        if self.command is GspCommandCode.SUBSCRIBE:
            encoded = self.path.encode("utf-8")
            if not 1 <= len(encoded) <= _MAX_PATH_BYTES or "\x00" in self.path:
                raise ProtocolError(
                    f"Movesense command: resource path {self.path!r} must be 1-{_MAX_PATH_BYTES} bytes "
                    "without NUL"
                )
        elif self.path:
            raise ProtocolError(f"Movesense command: {self.command.name} takes no resource path")

    @classmethod
    def subscribe_imu6(cls, rate_hz: int, reference: int) -> GspCommand:
        """SUBSCRIBE to ``/Meas/IMU6/<rate_hz>``; data notifications will carry ``reference``."""
        if rate_hz not in IMU6_RATES_HZ:
            raise ProtocolError(
                f"Movesense IMU6 rate {rate_hz} Hz is not offered; choose one of "
                f"{', '.join(map(str, IMU6_RATES_HZ))} Hz"
            )
        return cls(GspCommandCode.SUBSCRIBE, reference, f"/Meas/IMU6/{rate_hz}")

    @classmethod
    def unsubscribe(cls, reference: int) -> GspCommand:
        return cls(GspCommandCode.UNSUBSCRIBE, reference)

    @classmethod
    def hello(cls, reference: int) -> GspCommand:
        return cls(GspCommandCode.HELLO, reference)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> GspCommand:
        data = as_bytes(data, "Movesense command")
        if len(data) < cls.HEADER.size:
            raise ProtocolError(f"Movesense command: {len(data)} bytes, at least 2 are needed")
        code, reference = cls.HEADER.unpack_from(data)
        try:
            command = GspCommandCode(code)
        except ValueError:
            raise ProtocolError(f"Movesense command: unknown command code {code} at byte 0") from None
        try:
            path = data[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(
                "Movesense command: the resource path (from byte 2) is not UTF-8 text"
            ) from None
        return cls(command, reference, path)

    def __bytes__(self) -> bytes:
        return self.HEADER.pack(int(self.command), self.reference) + self.path.encode("utf-8")


@dataclass(frozen=True)
class GspNotification:
    """A notification of the GSP data characteristic: ``<BB`` response type, reference, then the body.

    For COMMAND_RESULT the body is the result of the command (the sample firmware answers HELLO with the text
    ``Hello`` and a refused SUBSCRIBE with a 2-byte HTTP-style status, 507 sent as ``01 FB``); for DATA and
    its continuations it is (part of) the binary measurement, see :class:`Imu6Data` and
    :func:`join_data_parts`.
    """

    HEADER: ClassVar[struct.Struct] = struct.Struct("<BB")

    response: GspResponseCode
    reference: int
    body: bytes = b""

    @property
    def status_code(self) -> int | None:
        """The HTTP-style status of a 2-byte COMMAND_RESULT body (high byte first, as the firmware sends)."""
        if self.response is GspResponseCode.COMMAND_RESULT and len(self.body) == 2:
            return int.from_bytes(self.body, "big")
        return None

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> GspNotification:
        data = as_bytes(data, "Movesense notification")
        if len(data) < cls.HEADER.size:
            raise ProtocolError(
                f"Movesense notification: {len(data)} bytes, at least 2 are needed ({hex_preview(data)})"
            )
        code, reference = cls.HEADER.unpack_from(data)
        try:
            response = GspResponseCode(code)
        except ValueError:
            raise ProtocolError(f"Movesense notification: unknown response type {code} at byte 0") from None
        return cls(response, reference, data[2:])

    def __bytes__(self) -> bytes:
        if not 0 <= self.reference <= 255:
            raise ProtocolError(f"Movesense notification: reference {self.reference} is not 0-255")
        return self.HEADER.pack(int(self.response), self.reference) + bytes(self.body)


def join_data_parts(parts: Sequence[GspNotification]) -> bytes:
    """The body of one measurement sent as DATA followed by DATA_PART2 (and DATA_PART3) notifications.

    The parts must share one reference and come in order; the continuation bodies are appended to the first.
    """
    if not parts:
        raise ProtocolError("Movesense data: no notification to join")
    first = parts[0]
    if first.response is not GspResponseCode.DATA:
        raise ProtocolError(f"Movesense data: a measurement starts with DATA, not {first.response.name}")
    expected = (GspResponseCode.DATA_PART2, GspResponseCode.DATA_PART3)
    if len(parts) > 1 + len(expected):
        raise ProtocolError(f"Movesense data: {len(parts)} parts, a measurement has at most 3")
    for i, part in enumerate(parts[1:]):
        if part.response is not expected[i] or part.reference != first.reference:
            raise ProtocolError(
                f"Movesense data: part {i + 2} is {part.response.name} for reference {part.reference}, "
                f"expected {expected[i].name} for reference {first.reference}"
            )
    return b"".join(part.body for part in parts)


@lru_cache(maxsize=256)
def _floats_struct(n_values: int) -> struct.Struct:
    return struct.Struct(f"<{n_values}f")


@dataclass(frozen=True)
class Imu6Data:
    """The body of one IMU6 data notification (after joining its parts).

    Layout (Movesense API ``IMU6Data`` serialised by the GSP sample firmware), ``<I`` then float32 arrays:

    ==============  ============  ===============================================
    offset          format        field
    ==============  ============  ===============================================
    0               ``I``         time stamp of the first sample, milliseconds
    4               ``n x 3f``    acceleration x, y, z per sample, m/s^2
    4 + 12 n        ``n x 3f``    angular rate x, y, z per sample, deg/s
    ==============  ============  ===============================================

    ``n`` follows from the length: ``(len - 4) / 24``.
    """

    TIMESTAMP: ClassVar[struct.Struct] = struct.Struct("<I")

    timestamp_ms: int
    acc_m_s2: tuple[float, ...]
    gyr_dps: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.acc_m_s2) // 3
        if n == 0 or len(self.acc_m_s2) != 3 * n or len(self.gyr_dps) != 3 * n:
            raise ProtocolError(
                f"Movesense IMU6 data: {len(self.acc_m_s2)} acceleration and {len(self.gyr_dps)} "
                "angular-rate values do not make whole 3-axis samples of both"
            )
        if not 0 <= self.timestamp_ms <= 0xFFFFFFFF:
            raise ProtocolError(
                f"Movesense IMU6 data: time stamp {self.timestamp_ms} ms does not fit 32 bits"
            )

    @property
    def n_samples(self) -> int:
        return len(self.acc_m_s2) // 3

    @staticmethod
    def is_complete(body: bytes) -> bool:
        """Whether ``body`` has the length of a whole IMU6 measurement (else a continuation is due)."""
        return len(body) >= 28 and (len(body) - 4) % 24 == 0

    @classmethod
    def from_bytes(cls, body: bytes | bytearray | memoryview) -> Imu6Data:
        body = as_bytes(body, "Movesense IMU6 data")
        if not cls.is_complete(body):
            raise ProtocolError(
                f"Movesense IMU6 data: {len(body)} bytes is not 4 + 24 n (a time stamp and n samples of six "
                "float32); a DATA_PART2 may be missing"
            )
        n = (len(body) - 4) // 24
        (timestamp_ms,) = cls.TIMESTAMP.unpack_from(body)
        values = _floats_struct(6 * n).unpack_from(body, 4)
        if not all(map(math.isfinite, values)):
            raise ProtocolError("Movesense IMU6 data: a sample is not a finite number (NaN or infinity)")
        return cls(timestamp_ms, values[: 3 * n], values[3 * n :])

    def __bytes__(self) -> bytes:
        values = self.acc_m_s2 + self.gyr_dps
        try:
            return self.TIMESTAMP.pack(self.timestamp_ms) + _floats_struct(len(values)).pack(*values)
        except (struct.error, OverflowError):
            raise ProtocolError("Movesense IMU6 data: a value does not fit a float32") from None

    def to_samples(self, sample_rate_hz: float) -> SampleBlock:
        """Samples in g and deg/s; times from the first sample's time stamp and the subscribed rate."""
        if not sample_rate_hz > 0:
            raise ProtocolError(f"Movesense IMU6 data: sample rate {sample_rate_hz} Hz must be positive")
        n = self.n_samples
        t_s = self.timestamp_ms * 1e-3 + np.arange(n) / float(sample_rate_hz)
        acc_g = np.asarray(self.acc_m_s2, dtype=np.float64).reshape(n, 3) / STANDARD_GRAVITY_M_S2
        gyr_dps = np.asarray(self.gyr_dps, dtype=np.float64).reshape(n, 3)
        return SampleBlock(t_s=t_s, acc_g=acc_g, gyr_dps=gyr_dps)
