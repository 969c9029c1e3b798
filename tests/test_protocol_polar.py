"""Polar PMD (Verity Sense, OH1), from the bytes of Polar's documents and SDK test vectors.

The data frames are the Polar BLE SDK's own unit-test frames (``AccDataTest.kt``, ``GyrDataTest.kt``); the
expected numbers are worked out by hand from the layout in ``Polar_Measurement_Data_Specification.pdf``:
a 10-byte header (type, time stamp of the last sample in ns since 2000-01-01, frame type), then raw samples or
a reference sample and blocks of ``[width, count, deltas packed LSB first]``.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols.polar import (
    PmdControlPointCommand,
    PmdControlPointResponse,
    PmdDataFrame,
    PmdFeatures,
    PmdMeasurementType,
    PmdOpCode,
    PmdSettings,
    PmdStatus,
    frames_to_samples,
)

T_2E9 = "0094357700000000"  # 2,000,000,000 ns, little-endian uint64


def _f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_raw_acc_frame_type_1() -> None:
    # AccDataTest "process acc raw data frame type 1": int16 x, y, z in mG; first two samples of the vector.
    frame = PmdDataFrame.from_bytes(bytes.fromhex(f"02 {T_2E9} 01 f7ff ffff e703 f8ff feff e503"))
    assert frame.measurement_type is PmdMeasurementType.ACC and not frame.compressed
    assert frame.values == ((-9, -1, 999), (-8, -2, 997))
    samples = frame.to_samples(sample_rate_hz=52)
    np.testing.assert_allclose(samples.t_s, [2.0 - 1 / 52, 2.0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(samples.acc_g, [[-0.009, -0.001, 0.999], [-0.008, -0.002, 0.997]])
    assert samples.gyr_dps is None


def test_compressed_gyro_frame_type_0() -> None:
    # GyrDataTest "type 0": reference -22, 8, 13; one 3-bit delta sample, DF 00 -> bits 111 011 011
    # -> -1, 3, 3.
    frame = PmdDataFrame.from_bytes(bytes.fromhex("05 ffffffffffffff7f 80 eaff 0800 0d00 03 01 df00"))
    assert frame.compressed and frame.timestamp_ns == 2**63 - 1
    assert frame.values == ((-22, 8, 13), (-23, 11, 16))
    samples = frame.to_samples(factor=0.5, previous_timestamp_ns=2**63 - 1 - 20_000_000)
    np.testing.assert_allclose(samples.gyr_dps, [[-11.0, 4.0, 6.5], [-11.5, 5.5, 8.0]])
    assert samples.acc_g is None


GYRO_FLOAT = bytes.fromhex(
    f"05 {T_2E9} 81 "
    "0000803f 00002041 0000a041 "  # reference: 1.0, 10.0, 20.0 as float32 bit patterns
    "1c 01 "  # 28-bit deltas, one sample
    "0000a001000008cdccec0d"  # +0x01A00000, +0x00800000, +0xFDECCCCD (wraps in 32 bits)
)


def test_compressed_float_gyro_frame_type_1() -> None:
    # GyrDataTest "type 1": the deltas are added to the float32 bit patterns: 1.0 -> 10.0, 10.0 -> 20.0,
    # 20.0 -> 0x3F8CCCCD = 1.1 (float32).
    frame = PmdDataFrame.from_bytes(GYRO_FLOAT)
    assert frame.values[0] == (0x3F800000, 0x41200000, 0x41A00000)
    assert frame.values[1] == (0x41200000, 0x41A00000, 0x3F8CCCCD)
    samples = frame.to_samples(sample_rate_hz=52)
    np.testing.assert_allclose(samples.gyr_dps, [[1.0, 10.0, 20.0], [10.0, 20.0, _f32(1.1)]])
    half = frame.to_samples(factor=0.5, sample_rate_hz=52)
    np.testing.assert_allclose(half.gyr_dps, [[0.5, 5.0, 10.0], [5.0, 10.0, _f32(1.1) / 2]])


ACC_TYPE_1 = bytes.fromhex("02 6500000000000000 81 f1ff 1400 f003 06 01 7b0f08")


def test_compressed_acc_frame_type_1() -> None:
    # AccDataTest "compressed data type 1": reference -15, 20, 1008 mG; 6-bit deltas 7B 0F 08 -> -5, -3, 0.
    frame = PmdDataFrame.from_bytes(ACC_TYPE_1)
    assert frame.values == ((-15, 20, 1008), (-20, 17, 1008))
    samples = frame.to_samples(previous_timestamp_ns=99)
    np.testing.assert_allclose(samples.acc_g, [[-0.015, 0.020, 1.008], [-0.020, 0.017, 1.008]])
    np.testing.assert_allclose(samples.t_s * 1e9, [100.0, 101.0], atol=1e-6)


def test_compressed_acc_frame_type_0_in_g() -> None:
    # AccDataTest "compressed data type 0", first delta sample only: reference 1905, 27376, -29282; 10-bit
    # deltas BE 5C BE BA -> 190, -105, -85. Values times the factor (2.44e-4) are in G for this frame type.
    frame = PmdDataFrame.from_bytes(bytes.fromhex(f"02 {T_2E9} 80 7107 f06a 9e8d 0a 01 be5cbeba"))
    assert frame.values == ((1905, 27376, -29282), (2095, 27271, -29367))
    samples = frame.to_samples(factor=2.44e-4, sample_rate_hz=52)
    np.testing.assert_allclose(samples.acc_g[1], [2095 * 2.44e-4, 27271 * 2.44e-4, -29367 * 2.44e-4])


def test_encoded_frames_decode_to_the_same_values() -> None:
    for data in (GYRO_FLOAT, ACC_TYPE_1):
        frame = PmdDataFrame.from_bytes(data)
        assert PmdDataFrame.from_bytes(bytes(frame)) == frame
    values = tuple((i * 37 % 500 - 250, -i, 3 * i) for i in range(300))  # two delta blocks (255 + 44)
    frame = PmdDataFrame(PmdMeasurementType.ACC, 5, 0x81, values)
    assert PmdDataFrame.from_bytes(bytes(frame)) == frame
    raw = PmdDataFrame(PmdMeasurementType.ACC, 5, 0x02, ((-8_000_000, 0, 8_000_000),))
    assert bytes(raw)[10:] == bytes.fromhex("00ee85 000000 00127a")  # int24, little-endian
    assert PmdDataFrame.from_bytes(bytes(raw)) == raw


def test_frames_are_timed_after_the_previous_frame() -> None:
    a = PmdDataFrame(PmdMeasurementType.ACC, 1_000_000_000, 0x01, ((0, 0, 1000),) * 4)
    b = PmdDataFrame(PmdMeasurementType.ACC, 1_100_000_000, 0x01, ((0, 0, 1000),) * 5)
    first, second = frames_to_samples([a, b], sample_rate_hz=50)
    np.testing.assert_allclose(first.t_s, [0.94, 0.96, 0.98, 1.0])
    np.testing.assert_allclose(second.t_s, [1.02, 1.04, 1.06, 1.08, 1.1])
    with pytest.raises(ProtocolError, match="cannot time"):
        a.to_samples()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("02" + T_2E9, "header alone is 10"),
        ("04" + T_2E9 + "01" + "000000000000", "unknown measurement type 4"),
        ("00" + T_2E9 + "00" + "000000000000", "ECG frame type 0x00 is not decoded"),
        ("02" + T_2E9 + "01" + "f7ffffffe7", "not whole samples"),
        ("02" + T_2E9 + "01", "not whole samples"),
        ("05" + T_2E9 + "80" + "eaff0800", "reference sample alone is 6"),
        ("05" + T_2E9 + "80" + "eaff08000d00" + "03", "cut short"),
        ("05" + T_2E9 + "80" + "eaff08000d00" + "0302" + "df", "only 1 bytes follow"),
        ("05" + T_2E9 + "80" + "eaff08000d00" + "2101" + "00" * 13, "width 33"),
        ("05" + T_2E9 + "80" + "eaff08000d00" + "0001", "width 0"),
        ("05" + T_2E9 + "80" + "ff7f08000d00" + "0201" + "01", "outside the 16-bit range"),
        ("05" + T_2E9 + "81" + "0000c07f00002041" + "0000a041", "not a finite number"),
    ],
)
def test_malformed_frames(data: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        PmdDataFrame.from_bytes(bytes.fromhex(data))


def test_start_request_and_response() -> None:
    # Start ACC at 52 Hz (00 01 34 00), 16 bit (01 01 10 00), +-8 g (02 01 08 00), 3 channels (04 01 03).
    start = PmdControlPointCommand.start(
        PmdMeasurementType.ACC,
        PmdSettings.selected(sample_rate_hz=52, resolution_bits=16, range_=8, channels=3),
    )
    expected = "02 02 00 01 3400 01 01 1000 02 01 0800 04 01 03"
    assert bytes(start) == bytes.fromhex(expected)
    assert PmdControlPointCommand.from_bytes(bytes.fromhex(expected)) == start
    assert bytes(PmdControlPointCommand.stop(PmdMeasurementType.GYRO)).hex() == "0305"
    assert bytes(PmdControlPointCommand.get_settings(PmdMeasurementType.ACC)).hex() == "0102"
    # The response: F0, op 2, ACC, success, no more, FACTOR (type 5) = 2**-12 as float32 (00 00 80 39).
    response = PmdControlPointResponse.from_bytes(bytes.fromhex("f0 02 02 00 00 05 01 00008039"))
    assert response.status is PmdStatus.SUCCESS and response.op_code is PmdOpCode.REQUEST_MEASUREMENT_START
    assert response.settings.factor == 2**-12


def test_settings_response() -> None:
    # GET settings for ACC: 52 Hz; 16 bit; ranges 2, 4, 8 g; 3 channels.
    data = bytes.fromhex("f0 01 02 00 00 00 01 3400 01 01 1000 02 03 0200 0400 0800 04 01 03")
    response = PmdControlPointResponse.from_bytes(data)
    settings = response.settings
    assert settings.sample_rates_hz == (52,) and settings.resolutions_bits == (16,)
    assert settings.ranges == (2, 4, 8) and settings.channels == (3,) and settings.factor is None
    assert bytes(response) == data
    with pytest.raises(ProtocolError, match="unknown setting type 9"):
        PmdSettings.from_bytes(bytes.fromhex("0901"))
    with pytest.raises(ProtocolError, match="only 1 bytes follow"):
        PmdSettings.from_bytes(bytes.fromhex("000134"))


def test_error_response_and_features() -> None:
    error = PmdControlPointResponse.from_bytes(bytes.fromhex("f002050d"))
    assert error.status is PmdStatus.ERROR_DEVICE_IN_CHARGER and error.parameters == b""
    assert error.measurement_type is PmdMeasurementType.GYRO
    with pytest.raises(ProtocolError, match="at least 4"):
        PmdControlPointResponse.from_bytes(bytes.fromhex("010205"))
    with pytest.raises(ProtocolError, match="starts with 0x01"):
        PmdControlPointResponse.from_bytes(bytes.fromhex("01020500"))
    features = PmdFeatures.from_bytes(bytes.fromhex("0f2400"))
    assert features.measurement_types == {PmdMeasurementType.ACC, PmdMeasurementType.GYRO}
    assert bytes(features).hex() == "0f2400"
