"""Polar Verity Sense and OH1: the Polar Measurement Data (PMD) service, accelerometer and gyroscope.

Sources of the layouts
----------------------
- Polar BLE SDK, ``technical_documentation/Polar_Measurement_Data_Specification.pdf`` and its Android
  implementation (``BlePMDClient.kt``, ``PmdDataFrame.kt``, ``PmdSetting.kt``, ``PmdControlPointCommand.kt``,
  ``PmdControlPointResponse.kt``, ``PmdMeasurementType.kt``, ``model/AccData.kt``, ``model/GyrData.kt``,
  ``model/PmdTimeStampUtils.kt``) and the SDK's unit tests, whose byte sequences the tests here reuse.
- Time stamps: nanoseconds since 2000-01-01T00:00:00 (the SDK's ``TimeSystemExplained.md``); a data frame's
  stamp is the time of its *last* sample.

Control point (``...5c81``, write + indicate):

- request ``[op code, measurement type, settings...]``; op codes 1 get settings, 2 start, 3 stop;
  settings are ``[setting type, count, count values]`` with value sizes 2 (sample rate, resolution, range),
  4 (range in milli-units), 1 (channels), 4 (factor, float32);
- response ``[0xF0, op code, measurement type, status, more, parameters...]``; ``more`` and the parameters
  only follow a success. The start response's parameters carry the FACTOR that scales compressed samples.
- feature read ``[0x0F, bit field...]``: which measurement types the device offers.

Data (``...5c82``, notify): ``[measurement type, uint64 time stamp, frame type, content]``. Frame type bit 7
marks a delta-compressed frame: a reference sample (each channel in ``ceil(resolution / 8)`` bytes), then
blocks of ``[delta bit width, sample count, count x channels deltas packed LSB first]``; each sample is the
previous one plus its delta, two's complement in ``width`` bits.

Frames this module decodes (unit after the factor is applied):

==========  ==========  ==========  ===================  ============
type        frame type  resolution  values               unit
==========  ==========  ==========  ===================  ============
ACC         0x00        8 bit       int                  mG
ACC         0x01        16 bit      int                  mG
ACC         0x02        24 bit      int                  mG
ACC         0x80        16 bit      int x factor         G
ACC         0x81        16 bit      int x factor         mG
GYRO        0x80        16 bit      int x factor         deg/s
GYRO        0x81        32 bit      float32 x factor     deg/s
==========  ==========  ==========  ===================  ============
"""

from __future__ import annotations

import enum
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols._common import SampleBlock, as_bytes, hex_preview

__all__ = [
    "CONTROL_POINT_UUID",
    "DATA_UUID",
    "SERVICE_UUID",
    "PmdControlPointCommand",
    "PmdControlPointResponse",
    "PmdDataFrame",
    "PmdFeatures",
    "PmdMeasurementType",
    "PmdOpCode",
    "PmdSettings",
    "PmdStatus",
    "frames_to_samples",
]

SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_POINT_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

#: First byte of every control-point response.
RESPONSE_CODE = 0xF0
#: First byte of the control point's read value (the feature bit field).
FEATURE_CODE = 0x0F
_DELTA_FRAME_BIT = 0x80


class PmdMeasurementType(enum.IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAGNETOMETER = 6
    SKIN_TEMP = 7
    SDK_MODE = 9
    LOCATION = 10
    PRESSURE = 11
    TEMPERATURE = 12
    OFFLINE_RECORDING = 13
    OFFLINE_HR = 14


#: Bit of each type in the feature read: (byte index, mask), from ``PmdMeasurementType.fromByteArray``.
_FEATURE_BITS = {
    PmdMeasurementType.ECG: (1, 0x01),
    PmdMeasurementType.PPG: (1, 0x02),
    PmdMeasurementType.ACC: (1, 0x04),
    PmdMeasurementType.PPI: (1, 0x08),
    PmdMeasurementType.GYRO: (1, 0x20),
    PmdMeasurementType.MAGNETOMETER: (1, 0x40),
    PmdMeasurementType.SKIN_TEMP: (1, 0x80),
    PmdMeasurementType.SDK_MODE: (2, 0x02),
    PmdMeasurementType.LOCATION: (2, 0x04),
    PmdMeasurementType.PRESSURE: (2, 0x08),
    PmdMeasurementType.TEMPERATURE: (2, 0x10),
    PmdMeasurementType.OFFLINE_RECORDING: (2, 0x20),
    PmdMeasurementType.OFFLINE_HR: (2, 0x40),
}


class PmdOpCode(enum.IntEnum):
    GET_MEASUREMENT_SETTINGS = 1
    REQUEST_MEASUREMENT_START = 2
    STOP_MEASUREMENT = 3
    GET_SDK_MODE_MEASUREMENT_SETTINGS = 4


class PmdStatus(enum.IntEnum):
    SUCCESS = 0
    ERROR_INVALID_OP_CODE = 1
    ERROR_INVALID_MEASUREMENT_TYPE = 2
    ERROR_NOT_SUPPORTED = 3
    ERROR_INVALID_LENGTH = 4
    ERROR_INVALID_PARAMETER = 5
    ERROR_ALREADY_IN_STATE = 6
    ERROR_INVALID_RESOLUTION = 7
    ERROR_INVALID_SAMPLE_RATE = 8
    ERROR_INVALID_RANGE = 9
    ERROR_INVALID_MTU = 10
    ERROR_INVALID_NUMBER_OF_CHANNELS = 11
    ERROR_INVALID_STATE = 12
    ERROR_DEVICE_IN_CHARGER = 13
    ERROR_DISK_FULL = 14


def _measurement_type(value: int, where: str) -> PmdMeasurementType:
    try:
        return PmdMeasurementType(value)
    except ValueError:
        raise ProtocolError(f"{where}: unknown measurement type {value}") from None


# --- settings ----------------------------------------------------------------------------------------------

#: Setting types in their wire order, with the value size in bytes and the attribute that holds them.
_SETTING_FIELDS = (
    (0, 2, "sample_rates_hz"),
    (1, 2, "resolutions_bits"),
    (2, 2, "ranges"),
    (3, 4, "ranges_milliunit"),
    (4, 1, "channels"),
    (5, 4, "factors"),
)
_SETTING_BY_TYPE = {code: (size, name) for code, size, name in _SETTING_FIELDS}
_FLOAT32 = struct.Struct("<f")


@dataclass(frozen=True)
class PmdSettings:
    """Measurement settings: offered ones (a GET response) or selected ones (a start request, one each).

    Wire format: repeated ``[type u8, count u8, count x value]``; values are little-endian unsigned integers
    of the size given by the type, except FACTOR (type 5), a float32. Ranges are in the measurement's unit
    (g for ACC, deg/s for GYRO).
    """

    sample_rates_hz: tuple[int, ...] = ()
    resolutions_bits: tuple[int, ...] = ()
    ranges: tuple[int, ...] = ()
    ranges_milliunit: tuple[int, ...] = ()
    channels: tuple[int, ...] = ()
    factors: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for _, size, name in _SETTING_FIELDS:
            values = getattr(self, name)
            if len(values) > 255:
                raise ProtocolError(f"PMD settings: {len(values)} values of {name}, at most 255 fit")
            if name != "factors" and any(not 0 <= v < 1 << (8 * size) for v in values):
                raise ProtocolError(f"PMD settings: a value of {name} does not fit {size} unsigned bytes")

    @classmethod
    def selected(
        cls, *, sample_rate_hz: int, resolution_bits: int, range_: int, channels: int | None = None
    ) -> PmdSettings:
        """One value per setting, as a start request sends them (Verity Sense wants channels = 3)."""
        return cls(
            sample_rates_hz=(sample_rate_hz,),
            resolutions_bits=(resolution_bits,),
            ranges=(range_,),
            channels=() if channels is None else (channels,),
        )

    @property
    def factor(self) -> float | None:
        """The scale of compressed samples (first FACTOR value), or ``None`` when none was sent."""
        return self.factors[0] if self.factors else None

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> PmdSettings:
        data = as_bytes(data, "PMD settings")
        found: dict[str, tuple] = {}
        offset = 0
        while offset < len(data):
            if offset + 2 > len(data):
                raise ProtocolError(f"PMD settings: a setting header at byte {offset} is cut short")
            code, count = data[offset], data[offset + 1]
            if code not in _SETTING_BY_TYPE:
                raise ProtocolError(f"PMD settings: unknown setting type {code} at byte {offset}")
            size, name = _SETTING_BY_TYPE[code]
            if count == 0:
                raise ProtocolError(f"PMD settings: {name} at byte {offset} declares no values")
            end = offset + 2 + count * size
            if end > len(data):
                raise ProtocolError(
                    f"PMD settings: {name} at byte {offset} declares {count} values of {size} bytes, "
                    f"only {len(data) - offset - 2} bytes follow"
                )
            if name in found:
                raise ProtocolError(f"PMD settings: {name} appears twice (second at byte {offset})")
            raw = data[offset + 2 : end]
            if name == "factors":
                values: tuple = tuple(v for (v,) in _FLOAT32.iter_unpack(raw))
            else:
                values = tuple(int.from_bytes(raw[i : i + size], "little") for i in range(0, len(raw), size))
            found[name] = values
            offset = end
        return cls(**found)

    def __bytes__(self) -> bytes:
        out = bytearray()
        for code, size, name in _SETTING_FIELDS:
            values = getattr(self, name)
            if not values:
                continue
            out += bytes((code, len(values)))
            for v in values:
                if name == "factors":
                    try:
                        out += _FLOAT32.pack(v)
                    except (struct.error, OverflowError):
                        raise ProtocolError(f"PMD settings: factor {v} does not fit a float32") from None
                else:
                    out += int(v).to_bytes(size, "little")
        return bytes(out)


# --- control point -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PmdControlPointCommand:
    """A write to the PMD control point: ``<BB`` op code, measurement type, then settings (start only).

    Bit 7 of the type byte selects offline recording in newer devices; online streaming (this app) leaves it
    clear.
    """

    HEADER: ClassVar[struct.Struct] = struct.Struct("<BB")

    op_code: PmdOpCode
    measurement_type: PmdMeasurementType
    settings: PmdSettings = field(default_factory=PmdSettings)

    def __post_init__(self) -> None:
        if self.op_code is not PmdOpCode.REQUEST_MEASUREMENT_START and self.settings != PmdSettings():
            raise ProtocolError(f"PMD command: {self.op_code.name} takes no settings")

    @classmethod
    def start(cls, measurement_type: PmdMeasurementType, settings: PmdSettings) -> PmdControlPointCommand:
        return cls(PmdOpCode.REQUEST_MEASUREMENT_START, measurement_type, settings)

    @classmethod
    def stop(cls, measurement_type: PmdMeasurementType) -> PmdControlPointCommand:
        return cls(PmdOpCode.STOP_MEASUREMENT, measurement_type)

    @classmethod
    def get_settings(cls, measurement_type: PmdMeasurementType) -> PmdControlPointCommand:
        return cls(PmdOpCode.GET_MEASUREMENT_SETTINGS, measurement_type)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> PmdControlPointCommand:
        data = as_bytes(data, "PMD command")
        if len(data) < cls.HEADER.size:
            raise ProtocolError(f"PMD command: {len(data)} bytes, at least 2 are needed")
        op, kind = cls.HEADER.unpack_from(data)
        try:
            op_code = PmdOpCode(op)
        except ValueError:
            raise ProtocolError(f"PMD command: unknown op code {op} at byte 0") from None
        return cls(op_code, _measurement_type(kind, "PMD command"), PmdSettings.from_bytes(data[2:]))

    def __bytes__(self) -> bytes:
        return self.HEADER.pack(int(self.op_code), int(self.measurement_type)) + bytes(self.settings)


@dataclass(frozen=True)
class PmdControlPointResponse:
    """An indication of the PMD control point answering a command.

    ==========  ======  ================================================================
    offset      format  field
    ==========  ======  ================================================================
    0           ``B``   0xF0
    1           ``B``   op code answered
    2           ``B``   measurement type
    3           ``B``   status (:class:`PmdStatus`)
    4           ``B``   success only: more (non-zero: parameters continue in the next one)
    5           bytes   success only: parameters (settings for GET and start)
    ==========  ======  ================================================================
    """

    HEADER: ClassVar[struct.Struct] = struct.Struct("<BBBB")

    op_code: PmdOpCode
    measurement_type: PmdMeasurementType
    status: PmdStatus
    more: bool = False
    parameters: bytes = b""

    def __post_init__(self) -> None:
        if self.status is not PmdStatus.SUCCESS and (self.more or self.parameters):
            raise ProtocolError("PMD response: only a successful response carries parameters")

    @property
    def settings(self) -> PmdSettings:
        """The parameters read as settings (GET response: offered values; start response: the factor)."""
        return PmdSettings.from_bytes(self.parameters)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> PmdControlPointResponse:
        data = as_bytes(data, "PMD response")
        if len(data) < cls.HEADER.size:
            raise ProtocolError(
                f"PMD response: {len(data)} bytes, at least 4 are needed ({hex_preview(data)})"
            )
        code, op, kind, status = cls.HEADER.unpack_from(data)
        if code != RESPONSE_CODE:
            raise ProtocolError(f"PMD response: starts with 0x{code:02X}, a response starts with 0xF0")
        try:
            op_code = PmdOpCode(op)
        except ValueError:
            raise ProtocolError(f"PMD response: unknown op code {op} at byte 1") from None
        try:
            st = PmdStatus(status)
        except ValueError:
            raise ProtocolError(f"PMD response: unknown status {status} at byte 3") from None
        measurement_type = _measurement_type(kind, "PMD response")
        if st is not PmdStatus.SUCCESS:
            return cls(op_code, measurement_type, st)
        more = len(data) > 4 and data[4] != 0
        return cls(op_code, measurement_type, st, more, data[5:])

    def __bytes__(self) -> bytes:
        head = self.HEADER.pack(
            RESPONSE_CODE, int(self.op_code), int(self.measurement_type), int(self.status)
        )
        if self.status is not PmdStatus.SUCCESS:
            return head
        return head + bytes((1 if self.more else 0,)) + bytes(self.parameters)


@dataclass(frozen=True)
class PmdFeatures:
    """The control point's read value: ``0x0F`` then a bit field of the measurement types offered."""

    measurement_types: frozenset[PmdMeasurementType]

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> PmdFeatures:
        data = as_bytes(data, "PMD features")
        if len(data) < 3 or data[0] != FEATURE_CODE:
            raise ProtocolError(
                f"PMD features: expected 0x0F and at least two bit-field bytes, got {hex_preview(data)}"
            )
        found = frozenset(t for t, (i, mask) in _FEATURE_BITS.items() if data[i] & mask)
        return cls(found)

    def __bytes__(self) -> bytes:
        out = bytearray((FEATURE_CODE, 0, 0))
        for t in self.measurement_types:
            i, mask = _FEATURE_BITS[t]
            out[i] |= mask
        return bytes(out)


# --- data frames -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    bits: int
    is_float: bool
    unit_to_app: float  # multiply (value x factor) by this to reach g or deg/s
    uses_factor: bool


_LAYOUTS = {
    (PmdMeasurementType.ACC, 0x00): _Layout(8, False, 1e-3, False),
    (PmdMeasurementType.ACC, 0x01): _Layout(16, False, 1e-3, False),
    (PmdMeasurementType.ACC, 0x02): _Layout(24, False, 1e-3, False),
    (PmdMeasurementType.ACC, 0x80): _Layout(16, False, 1.0, True),
    (PmdMeasurementType.ACC, 0x81): _Layout(16, False, 1e-3, True),
    (PmdMeasurementType.GYRO, 0x80): _Layout(16, False, 1.0, True),
    (PmdMeasurementType.GYRO, 0x81): _Layout(32, True, 1.0, True),
}
_CHANNELS = 3
_HEADER = struct.Struct("<BQB")


def _sign_extend(values: np.ndarray, bits: int) -> np.ndarray:
    half = np.int64(1) << (bits - 1)
    return np.where(values >= half, values - (np.int64(1) << bits), values)


def _wrap_int32(values: np.ndarray) -> np.ndarray:
    return (values + (1 << 31)) % (1 << 32) - (1 << 31)


def _decode_raw(content: bytes, bits: int) -> np.ndarray:
    width = bits // 8
    stride = width * _CHANNELS
    if len(content) == 0 or len(content) % stride:
        raise ProtocolError(
            f"PMD data frame: {len(content)} content bytes are not whole samples of 3 x {width} bytes"
        )
    if width == 3:
        raw = np.frombuffer(content, dtype=np.uint8).reshape(-1, 3).astype(np.int64)
        values = _sign_extend(raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16), 24)
    else:
        values = np.frombuffer(content, dtype=f"<i{width}").astype(np.int64)
    return values.reshape(-1, _CHANNELS)


def _decode_delta(content: bytes, bits: int) -> np.ndarray:
    ref_width = (bits + 7) // 8
    ref_len = ref_width * _CHANNELS
    if len(content) < ref_len:
        raise ProtocolError(
            f"PMD data frame: {len(content)} content bytes, the reference sample alone is {ref_len}"
        )
    ref = np.array(
        [int.from_bytes(content[i : i + ref_width], "little") for i in range(0, ref_len, ref_width)],
        dtype=np.int64,
    )
    ref = _sign_extend(ref & ((1 << bits) - 1), bits)
    blocks = [ref.reshape(1, _CHANNELS)]
    offset = ref_len
    buf = np.frombuffer(content, dtype=np.uint8)
    while offset < len(content):
        if offset + 2 > len(content):
            raise ProtocolError(f"PMD data frame: the delta block header at byte {offset + 10} is cut short")
        width, count = content[offset], content[offset + 1]
        if not 1 <= width <= 32:
            raise ProtocolError(f"PMD data frame: delta width {width} bits at byte {offset + 10} is not 1-32")
        n_bits = width * count * _CHANNELS
        n_bytes = (n_bits + 7) // 8
        start = offset + 2
        if start + n_bytes > len(content):
            raise ProtocolError(
                f"PMD data frame: the delta block at byte {offset + 10} declares {count} samples of "
                f"{width} bits ({n_bytes} bytes) but only {len(content) - start} bytes follow"
            )
        if count:
            packed = np.unpackbits(buf[start : start + n_bytes], bitorder="little")[:n_bits]
            weights = np.left_shift(np.int64(1), np.arange(width, dtype=np.int64))
            deltas = packed.reshape(-1, width).astype(np.int64) @ weights
            blocks.append(_sign_extend(deltas, width).reshape(count, _CHANNELS))
        offset = start + n_bytes
    return np.cumsum(np.concatenate(blocks), axis=0)


def _min_width(deltas: np.ndarray) -> int:
    lo, hi = int(deltas.min(initial=0)), int(deltas.max(initial=0))
    width = 1
    while not -(1 << (width - 1)) <= lo <= hi <= (1 << (width - 1)) - 1:
        width += 1
    return width


def _encode_delta(values: np.ndarray, bits: int) -> bytes:
    ref_width = (bits + 7) // 8
    out = bytearray()
    for v in values[0]:
        out += (int(v) & ((1 << (8 * ref_width)) - 1)).to_bytes(ref_width, "little")
    deltas = np.diff(values, axis=0)
    if bits == 32:
        deltas = _wrap_int32(deltas)
    for start in range(0, deltas.shape[0], 255):
        block = deltas[start : start + 255]
        width = _min_width(block)
        if width > 32:
            raise ProtocolError("PMD data frame: a delta needs more than 32 bits")
        unsigned = block.reshape(-1) & ((1 << width) - 1)
        bits_le = ((unsigned[:, None] >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
        out += bytes((width, block.shape[0]))
        out += np.packbits(bits_le, bitorder="little").tobytes()
    return bytes(out)


@dataclass(frozen=True)
class PmdDataFrame:
    """One notification of the PMD data characteristic, ACC or GYRO.

    ==========  ======  ===============================================================
    offset      format  field
    ==========  ======  ===============================================================
    0           ``B``   measurement type (2 ACC, 5 GYRO)
    1           ``Q``   time stamp of the last sample, ns since 2000-01-01T00:00:00
    9           ``B``   frame type (bits 0-6) and delta-compressed flag (bit 7)
    10          bytes   samples: raw channels, or reference sample and delta blocks
    ==========  ======  ===============================================================

    Attributes
    ----------
    values
        The samples as decoded, before the factor: one ``(x, y, z)`` per sample, integers (for the float
        gyroscope frame 0x81, the float32 bit patterns as signed 32-bit integers, as the SDK accumulates
        them).
    """

    HEADER: ClassVar[struct.Struct] = _HEADER

    measurement_type: PmdMeasurementType
    timestamp_ns: int
    frame_type: int
    values: tuple[tuple[int, int, int], ...]

    def __post_init__(self) -> None:
        if (self.measurement_type, self.frame_type) not in _LAYOUTS:
            raise ProtocolError(
                f"PMD data frame: {self.measurement_type.name} frame type 0x{self.frame_type:02X} is not "
                "decoded by this app (supported: ACC 0x00-0x02, 0x80, 0x81; GYRO 0x80, 0x81)"
            )
        if not self.values:
            raise ProtocolError("PMD data frame: no samples")
        if not 0 <= self.timestamp_ns < 1 << 64:
            raise ProtocolError(f"PMD data frame: time stamp {self.timestamp_ns} ns does not fit 64 bits")

    @property
    def compressed(self) -> bool:
        return bool(self.frame_type & _DELTA_FRAME_BIT)

    @property
    def n_samples(self) -> int:
        return len(self.values)

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> PmdDataFrame:
        data = as_bytes(data, "PMD data frame")
        if len(data) < _HEADER.size:
            raise ProtocolError(
                f"PMD data frame: {len(data)} bytes, the header alone is {_HEADER.size} ({hex_preview(data)})"
            )
        kind, timestamp_ns, frame_type = _HEADER.unpack_from(data)
        measurement_type = _measurement_type(kind, "PMD data frame")
        layout = _LAYOUTS.get((measurement_type, frame_type))
        if layout is None:
            raise ProtocolError(
                f"PMD data frame: {measurement_type.name} frame type 0x{frame_type:02X} is not decoded by "
                "this app (supported: ACC 0x00-0x02, 0x80, 0x81; GYRO 0x80, 0x81)"
            )
        content = data[_HEADER.size :]
        if frame_type & _DELTA_FRAME_BIT:
            samples = _decode_delta(content, layout.bits)
            if layout.bits == 32:
                samples = _wrap_int32(samples)
            else:
                limit = 1 << (layout.bits - 1)
                if samples.min() < -limit or samples.max() >= limit:
                    raise ProtocolError(
                        f"PMD data frame: the deltas add up to values outside the {layout.bits}-bit range of "
                        "the samples; the frame is corrupt"
                    )
        else:
            samples = _decode_raw(content, layout.bits)
        if layout.is_float and not np.all(np.isfinite(samples.astype("<i4").view("<f4"))):
            raise ProtocolError("PMD data frame: a float32 sample is not a finite number (NaN or infinity)")
        values = tuple(map(tuple, samples.tolist()))
        return cls(measurement_type, timestamp_ns, frame_type, values)  # type: ignore[arg-type]

    def __bytes__(self) -> bytes:
        layout = _LAYOUTS[(self.measurement_type, self.frame_type)]
        values = np.asarray(self.values, dtype=np.int64).reshape(-1, _CHANNELS)
        lo, hi = -(1 << (layout.bits - 1)), (1 << (layout.bits - 1)) - 1
        if values.min() < lo or values.max() > hi:
            raise ProtocolError(f"PMD data frame: a value does not fit {layout.bits} signed bits")
        head = _HEADER.pack(int(self.measurement_type), self.timestamp_ns, self.frame_type)
        if self.compressed:
            return head + _encode_delta(values, layout.bits)
        width = layout.bits // 8
        flat = values.reshape(-1) & ((1 << layout.bits) - 1)
        return head + b"".join(int(v).to_bytes(width, "little") for v in flat)

    def to_samples(
        self,
        *,
        factor: float = 1.0,
        sample_rate_hz: float | None = None,
        previous_timestamp_ns: int | None = None,
    ) -> SampleBlock:
        """The samples in g (ACC) or deg/s (GYRO), timed in seconds since 2000-01-01.

        Parameters
        ----------
        factor
            The FACTOR of the start response; used by compressed frames only (raw frames are in mG).
        sample_rate_hz
            The rate that was started; spaces the samples when no previous frame is known.
        previous_timestamp_ns
            The time stamp of the previous frame of the same stream. When given (and earlier), the samples
            are spread evenly after it, as the SDK does, which follows the sensor's real rate.

        Notes
        -----
        The frame's time stamp is its last sample's, so sample ``k`` of ``n`` is at
        ``t_last - (n - 1 - k) * dt``.
        """
        layout = _LAYOUTS[(self.measurement_type, self.frame_type)]
        n = self.n_samples
        if previous_timestamp_ns is not None and 0 <= previous_timestamp_ns < self.timestamp_ns:
            dt_ns = (self.timestamp_ns - previous_timestamp_ns) / n
        elif sample_rate_hz is not None and sample_rate_hz > 0:
            dt_ns = 1e9 / sample_rate_hz
        else:
            raise ProtocolError(
                "PMD data frame: cannot time the samples without the sample rate or the previous frame's "
                "time stamp"
            )
        t_s = (self.timestamp_ns - (n - 1 - np.arange(n)) * dt_ns) * 1e-9
        raw = np.asarray(self.values, dtype=np.int64).reshape(n, _CHANNELS)
        if layout.is_float:
            values = raw.astype("<i4").view("<f4").astype(np.float64)
        else:
            values = raw.astype(np.float64)
        if layout.uses_factor:
            if not math.isfinite(factor):
                raise ProtocolError(f"PMD data frame: factor {factor} is not a finite number")
            values = values * float(factor)
        values = values * layout.unit_to_app
        if self.measurement_type is PmdMeasurementType.ACC:
            return SampleBlock(t_s=t_s, acc_g=values)
        return SampleBlock(t_s=t_s, gyr_dps=values)


def frames_to_samples(
    frames: Sequence[PmdDataFrame], *, factor: float = 1.0, sample_rate_hz: float | None = None
) -> list[SampleBlock]:
    """Time a run of frames of one stream, each after the previous one's time stamp (the SDK's method)."""
    out = []
    previous: int | None = None
    for frame in frames:
        out.append(
            frame.to_samples(factor=factor, sample_rate_hz=sample_rate_hz, previous_timestamp_ns=previous)
        )
        previous = frame.timestamp_ns
    return out
