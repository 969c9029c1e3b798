"""Our profile's packets, decoded from bytes written out by hand from ``firmware_notes/gatt-profile.md``."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols.native import (
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

# Two samples with gyroscope, +-16 g (code 3), +-2000 deg/s (code 4), seq 0x1234, first sample at 1 s,
# interval 600,240 ns (1666 Hz). Counts: 2048 -> 1 g, 16384 -> 1000 deg/s, -32768 -> -2000 deg/s.
PACKET = bytes.fromhex(
    "01 "  # version
    "01 "  # flags: GYRO
    "43 "  # ranges: acc code 3 (low nibble), gyro code 4 (high nibble)
    "02 "  # two samples
    "3412 "  # seq 0x1234
    "40420f00 "  # 1,000,000 us
    "b0280900 "  # 600,240 ns
    "0008 00f8 0000 0040 0080 0100 "  # sample 0: ax ay az gx gy gz
    "ff7f 0100 ffff 0000 0000 0000"  # sample 1
)


def test_data_packet_decodes_to_documented_values() -> None:
    packet = DataPacket.from_bytes(PACKET)
    assert packet.flags == DataFlags.GYRO
    assert packet.acc_range is AccRange.G16 and packet.gyro_range is GyroRange.DPS2000
    assert (packet.seq, packet.t_first_us, packet.interval_ns, packet.n_samples) == (
        0x1234,
        1_000_000,
        600_240,
        2,
    )
    samples = packet.to_samples()
    np.testing.assert_allclose(samples.t_s, [1.0, 1.00060024], rtol=0, atol=1e-12)
    np.testing.assert_allclose(samples.acc_g, [[1.0, -1.0, 0.0], [32767 / 2048, 1 / 2048, -1 / 2048]])
    np.testing.assert_allclose(samples.gyr_dps, [[1000.0, -2000.0, 0.06103515625], [0.0, 0.0, 0.0]])


def test_data_packet_without_gyro() -> None:
    # +-32 g (code 4), gyro off (code 15), one sample of 1024 counts = 1 g, seq 65535, interval 20 ms.
    data = bytes.fromhex("01 00 f4 01 ffff ffffffff 002d3101 0004 0000 00fc")
    packet = DataPacket.from_bytes(data)
    assert not packet.has_gyro and packet.gyro_range is GyroRange.OFF and packet.acc_range is AccRange.G32
    assert packet.interval_ns == 20_000_000 and packet.seq == 65535 and packet.t_first_us == 2**32 - 1
    samples = packet.to_samples()
    assert samples.gyr_dps is None
    np.testing.assert_allclose(samples.acc_g, [[1.0, 0.0, -1.0]])
    assert bytes(packet) == data


def test_data_packet_round_trip_and_flags() -> None:
    packet = DataPacket(
        flags=DataFlags.GYRO | DataFlags.ACC_CLIPPED | DataFlags.CLOCK_RESET,
        acc_range=AccRange.G64,
        gyro_range=GyroRange.DPS4000,
        seq=7,
        t_first_us=123,
        interval_ns=1_200_480,
        counts=tuple(range(-57, 57)),
    )
    data = bytes(packet)
    assert len(data) == 14 + 19 * 12 == 242  # 19 samples fill a 244-byte notification
    assert data[1] == 0x13
    assert DataPacket.from_bytes(data) == packet
    assert DataPacket.from_bytes(bytearray(data)) == packet


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PACKET[:13], "too short"),
        (b"\x02" + PACKET[1:], "format version 2"),
        (PACKET[:3] + b"\x00" + PACKET[4:14], "0 samples"),
        (PACKET[:-1], "take 38 bytes"),
        (PACKET + b"\x00\x00", "take 38 bytes"),
        (PACKET[:2] + b"\x48" + PACKET[3:], "accelerometer range code 8"),
        (PACKET[:2] + b"\x63" + PACKET[3:], "gyroscope range code 6"),
        (PACKET[:2] + b"\xf3" + PACKET[3:], "GYRO flag and the gyroscope range disagree"),
        (PACKET[:10] + b"\x00\x00\x00\x00" + PACKET[14:], "interval"),
    ],
)
def test_malformed_data_packets(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        DataPacket.from_bytes(data)


def test_encoding_an_impossible_packet_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="int16"):
        bytes(DataPacket(DataFlags(0), AccRange.G2, GyroRange.OFF, 0, 0, 1, (40000, 0, 0)))
    with pytest.raises(ProtocolError, match="sequence number"):
        DataPacket(DataFlags(0), AccRange.G2, GyroRange.OFF, 65536, 0, 1, (0, 0, 0))


@pytest.mark.parametrize(
    ("command", "data"),
    [
        (ControlCommand.start(), "010000"),
        (ControlCommand.stop(), "020000"),
        (ControlCommand.set_rate(SampleRate.HZ_1666), "030600"),
        (ControlCommand.set_ranges(AccRange.G32, GyroRange.DPS4000), "040405"),
        (ControlCommand.set_ranges(AccRange.G16, GyroRange.OFF), "04030f"),
        (ControlCommand.clock_reset(), "050000"),
        (ControlCommand.get_config(), "060000"),
    ],
)
def test_control_commands(command: ControlCommand, data: str) -> None:
    assert bytes(command).hex() == data
    assert ControlCommand.from_bytes(bytes.fromhex(data)) == command
    assert ControlCommand.status_for(bytes.fromhex(data)) is Status.SUCCESS


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ("0100", Status.INVALID_LENGTH),
        ("01000000", Status.INVALID_LENGTH),
        ("070000", Status.UNKNOWN_OPCODE),
        ("000000", Status.UNKNOWN_OPCODE),
        ("030700", Status.INVALID_PARAMETER),
        ("030000", Status.INVALID_PARAMETER),
        ("040806", Status.INVALID_PARAMETER),
        ("010100", Status.INVALID_PARAMETER),
    ],
)
def test_invalid_commands_get_the_status_the_firmware_must_reply(data: str, status: Status) -> None:
    assert ControlCommand.status_for(bytes.fromhex(data)) is status
    with pytest.raises(ProtocolError, match=status.name):
        ControlCommand.from_bytes(bytes.fromhex(data))


def test_control_reply() -> None:
    # START answered with success; streaming at 1666 Hz, +-16 g, +-2000 deg/s; sensor clock at 1 s.
    data = bytes.fromhex("01 00 01 06 03 04 40420f00")
    reply = ControlReply.from_bytes(data)
    assert reply == ControlReply(
        Opcode.START,
        Status.SUCCESS,
        StateFlags.STREAMING,
        SampleRate.HZ_1666,
        AccRange.G16,
        GyroRange.DPS2000,
        1_000_000,
    )
    assert reply.ok and bytes(reply) == data
    notice = ControlReply.from_bytes(bytes.fromhex("00 07 02 06 03 04 00000000"))
    assert notice.opcode is Opcode.NOTICE and notice.status is Status.BATTERY_LOW and not notice.ok
    with pytest.raises(ProtocolError, match="unknown status 9"):
        ControlReply.from_bytes(bytes.fromhex("01 09 01 06 03 04 00000000"))
    with pytest.raises(ProtocolError, match="a reply is 10"):
        ControlReply.from_bytes(data[:9])


def test_rate_and_range_tables() -> None:
    assert [r.hz for r in SampleRate] == [52, 104, 208, 416, 833, 1666]
    assert [r.g for r in AccRange] == [2, 4, 8, 16, 32, 64, 128, 256]
    assert [r.dps for r in GyroRange if r is not GyroRange.OFF] == [125, 250, 500, 1000, 2000, 4000]
    assert SampleRate.from_hz(833) is SampleRate.HZ_833
    with pytest.raises(ProtocolError, match="100 Hz"):
        SampleRate.from_hz(100)
