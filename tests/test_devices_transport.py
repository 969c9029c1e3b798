"""The transport's pure parts: placing packets on the session time line, recognising sensors, plain errors."""

from __future__ import annotations

import numpy as np
import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError

from imu_app.devices.protocols.native import AccRange, DataFlags, DataPacket, GyroRange
from imu_app.devices.transport import (
    Advert,
    GapReason,
    PacketSequencer,
    ReconnectPolicy,
    SensorFamily,
    adapter_error,
    identify,
)

INTERVAL_NS = 1_200_480  # 833 Hz


NO_FLAGS = DataFlags(0)


def packet(seq: int, t_first_us: int, n: int = 2, flags: DataFlags = NO_FLAGS) -> DataPacket:
    counts = tuple(range(n * 6))
    return DataPacket(
        flags | DataFlags.GYRO, AccRange.G32, GyroRange.DPS2000, seq, t_first_us, INTERVAL_NS, counts
    )


def step_us(n: int) -> int:
    return n * INTERVAL_NS // 1000


def test_contiguous_packets_have_no_gap_and_keep_sensor_time():
    s = PacketSequencer()
    a = s.push(packet(0, 1000, flags=DataFlags.CLOCK_RESET), 10.0)
    b = s.push(packet(1, 1000 + step_us(2)), 10.01)
    assert a.chunk.gap_before is None and b.chunk.gap_before is None
    assert a.chunk.t_s[0] == pytest.approx(0.001)
    assert b.chunk.t_s[0] - a.chunk.t_s[-1] == pytest.approx(INTERVAL_NS * 1e-9, abs=1e-6)
    np.testing.assert_array_equal(b.chunk.seq, [1, 1])


def test_sequence_jump_is_a_lost_gap_also_across_the_16_bit_wrap():
    s = PacketSequencer()
    s.push(packet(65534, 0), 0.0)
    placed = s.push(packet(2, step_us(2 * 4)), 0.1)  # 65535, 0, 1 lost: 3 packets, 6 samples
    assert placed.lost_packets == 3
    assert placed.lost_samples == 6
    assert placed.chunk.gap_before.reason is GapReason.LOST
    assert placed.chunk.gap_before.n_missing == 6


def test_the_32_bit_microsecond_clock_unwraps():
    s = PacketSequencer()
    start = (1 << 32) - step_us(2)
    a = s.push(packet(0, start), 0.0)
    b = s.push(packet(1, (start + step_us(2)) % (1 << 32)), 0.01)
    assert b.chunk.gap_before is None
    assert b.chunk.t_s[0] > a.chunk.t_s[-1]
    assert b.chunk.t_s[0] == pytest.approx((1 << 32) * 1e-6, abs=2e-6)


def test_a_restart_continues_the_time_line_by_host_time():
    s = PacketSequencer()
    s.push(packet(0, 0, flags=DataFlags.CLOCK_RESET), 100.0)
    last = s.last_t_s
    placed = s.push(packet(0, 0, flags=DataFlags.CLOCK_RESET), 101.0)  # a reconnect 1 s of host time later
    gap = placed.chunk.gap_before
    assert gap.reason is GapReason.RESET
    assert placed.chunk.t_s[-1] == pytest.approx(last + 1.0)
    assert gap.n_missing == round((gap.end_s - gap.start_s) / (INTERVAL_NS * 1e-9)) - 1


def test_time_going_backwards_without_the_flag_never_goes_backwards_on_the_time_line():
    s = PacketSequencer()
    s.push(packet(5, 50_000), 1.0)
    placed = s.push(packet(6, 10), 1.0)
    assert placed.chunk.t_s[0] > s.last_t_s - 1 * INTERVAL_NS * 1e-9 - 1e-9
    assert placed.chunk.gap_before.reason is GapReason.RESET


def test_overrun_with_contiguous_seq_is_lost_samples():
    s = PacketSequencer()
    s.push(packet(0, 0), 0.0)
    placed = s.push(packet(1, step_us(2 + 10), flags=DataFlags.OVERRUN), 0.1)
    assert (placed.lost_packets, placed.lost_samples) == (0, 10)


@pytest.mark.parametrize(
    ("advert", "family"),
    [
        (Advert("a", "", -40, frozenset({"430a0001-d28d-44fb-9e2d-0cf52afc7167"})), SensorFamily.NATIVE),
        (Advert("a", "AnkleIMU-1A2B", -40, frozenset()), SensorFamily.NATIVE),
        (Advert("a", "Movesense 175030000111", None, frozenset()), SensorFamily.MOVESENSE),
        (Advert("a", "", None, frozenset({"fb005c80-02e7-f387-1cad-8acd2d8df0c8"})), SensorFamily.POLAR),
        (Advert("a", "WT901BLE68", None, frozenset()), SensorFamily.WITMOTION),
        (Advert("a", "Jabra Elite", -60, frozenset({"0000180f-0000-1000-8000-00805f9b34fb"})), None),
    ],
)
def test_identify_by_service_then_name(advert, family):
    assert identify(advert) is family


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (
            BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.NO_BLUETOOTH),
            "no Bluetooth adapter",
        ),
        (BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.POWERED_OFF), "switch it on"),
        (BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.DENIED_BY_USER), "allow it"),
        (BleakError("[org.bluez.Error.NotPermitted] Not Permitted"), "'bluetooth' group"),
        (FileNotFoundError(2, "No such file or directory"), "Bluetooth service is not running"),
        (BleakError("org.freedesktop.DBus.Error.ServiceUnknown: org.bluez was not provided"), "not running"),
        (BleakError("[org.bluez.Error.NotReady] Resource Not Ready"), "switched off"),
    ],
)
def test_adapter_problems_are_one_sentence_saying_what_to_do(exc, words):
    err = adapter_error(exc)
    assert err is not None and words in str(err)
    assert str(err).count(". ") == 0 and str(err).endswith(".")


def test_an_ordinary_error_is_not_an_adapter_problem():
    assert adapter_error(BleakError("characteristic 1234 not found")) is None


def test_backoff_grows_to_its_cap():
    p = ReconnectPolicy(first_delay_s=0.2, max_delay_s=1.0)
    assert [p.delay_s(i) for i in range(5)] == [0.2, 0.4, 0.8, 1.0, 1.0]
