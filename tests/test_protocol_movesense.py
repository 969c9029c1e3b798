"""Movesense GATT SensorData Protocol, from bytes written out by hand from Movesense's documents.

Command and notification framing: "GATT SensorData Protocol specification" and the device library's
``gatt_sensordata_app`` sample; the IMU6 body: the API's ``IMU6Data`` (time stamp in ms, then float32
acceleration in m/s^2, then float32 angular rate in deg/s).
"""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols.movesense import (
    GspCommand,
    GspCommandCode,
    GspNotification,
    GspResponseCode,
    Imu6Data,
    join_data_parts,
)

G = 9.80665

# Two IMU6 samples at 104 Hz, first at 1000 ms. float32: 1.0 = 00 00 80 3F, -1.0 = 00 00 80 BF,
# 2.0 = 00 00 00 40, 0.5 = 00 00 00 3F, 100.0 = 00 00 C8 42, -250.0 = 00 00 7A C3.
BODY = bytes.fromhex(
    "e8030000 "  # 1000 ms
    "0000803f 000080bf 00000040 "  # acc sample 0: 1, -1, 2 m/s^2
    "0000003f 00000000 0000c842 "  # acc sample 1: 0.5, 0, 100 m/s^2
    "00007ac3 00000000 0000803f "  # gyro sample 0: -250, 0, 1 deg/s
    "00000040 0000003f 000080bf"  # gyro sample 1: 2, 0.5, -1 deg/s
)


def test_subscribe_and_unsubscribe_commands() -> None:
    subscribe = GspCommand.subscribe_imu6(208, reference=99)
    assert bytes(subscribe) == b"\x01\x63/Meas/IMU6/208"
    assert GspCommand.from_bytes(b"\x01\x63/Meas/IMU6/208") == subscribe
    assert bytes(GspCommand.unsubscribe(99)) == b"\x02\x63"
    assert bytes(GspCommand.hello(7)) == b"\x00\x07"
    assert bytes(GspCommand.subscribe_imu6(1666, 1)) == b"\x01\x01/Meas/IMU6/1666"
    with pytest.raises(ProtocolError, match="100 Hz is not offered"):
        GspCommand.subscribe_imu6(100, 99)
    with pytest.raises(ProtocolError, match="reference 0"):
        GspCommand.unsubscribe(0)
    with pytest.raises(ProtocolError, match="takes no resource path"):
        GspCommand.from_bytes(b"\x02\x63/Meas")
    with pytest.raises(ProtocolError, match="not UTF-8"):
        GspCommand.from_bytes(b"\x01\x63\xff\xfe")
    assert GspCommand.from_bytes(b"\x00\x05").command is GspCommandCode.HELLO


def test_imu6_data_notification() -> None:
    note = GspNotification.from_bytes(b"\x02\x63" + BODY)
    assert note.response is GspResponseCode.DATA and note.reference == 99
    data = Imu6Data.from_bytes(join_data_parts([note]))
    assert data.timestamp_ms == 1000 and data.n_samples == 2
    assert data.acc_m_s2 == (1.0, -1.0, 2.0, 0.5, 0.0, 100.0)
    assert data.gyr_dps == (-250.0, 0.0, 1.0, 2.0, 0.5, -1.0)
    samples = data.to_samples(104.0)
    np.testing.assert_allclose(samples.t_s, [1.0, 1.0 + 1 / 104])
    np.testing.assert_allclose(samples.acc_g, [[1 / G, -1 / G, 2 / G], [0.5 / G, 0.0, 100 / G]])
    np.testing.assert_allclose(samples.gyr_dps, [[-250.0, 0.0, 1.0], [2.0, 0.5, -1.0]])
    assert bytes(data) == BODY


def test_a_measurement_split_over_two_notifications_is_joined() -> None:
    first = GspNotification.from_bytes(b"\x02\x63" + BODY[:30])
    second = GspNotification.from_bytes(b"\x03\x63" + BODY[30:])
    assert not Imu6Data.is_complete(first.body)
    with pytest.raises(ProtocolError, match="DATA_PART2 may be missing"):
        Imu6Data.from_bytes(first.body)
    assert Imu6Data.from_bytes(join_data_parts([first, second])) == Imu6Data.from_bytes(BODY)
    with pytest.raises(ProtocolError, match="expected DATA_PART2 for reference 99"):
        join_data_parts([first, GspNotification.from_bytes(b"\x03\x64" + BODY[30:])])
    with pytest.raises(ProtocolError, match="starts with DATA"):
        join_data_parts([second])


def test_command_results() -> None:
    hello = GspNotification.from_bytes(b"\x01\x05Hello")
    assert hello.response is GspResponseCode.COMMAND_RESULT and hello.body == b"Hello"
    refused = GspNotification.from_bytes(bytes.fromhex("01 63 01fb"))  # 507: no free subscription slot
    assert refused.status_code == 507
    with pytest.raises(ProtocolError, match="unknown response type 9"):
        GspNotification.from_bytes(b"\x09\x63")
    with pytest.raises(ProtocolError, match="at least 2"):
        GspNotification.from_bytes(b"\x02")


def test_non_finite_samples_are_rejected() -> None:
    nan_body = BODY[:4] + bytes.fromhex("0000c07f") + BODY[8:]
    with pytest.raises(ProtocolError, match="finite"):
        Imu6Data.from_bytes(nan_body)
