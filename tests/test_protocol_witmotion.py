"""WitMotion BWT901BLE, from bytes written out by hand from the WT901BLECL datasheet (chapter 6)."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols.witmotion import (
    WitCommand,
    WitDataPacket,
    WitRegisterReply,
    decode_notification,
)

# acc 2048, -2048, 0 (x 16/32768 g = 1, -1, 0 g); gyro 16384, -16384, 1 (x 2000/32768 = 1000, -1000,
# 0.06103515625 deg/s); angle 16384, -8192, 32767 (x 180/32768 = 90, -45, 179.99451 deg).
PACKET = bytes.fromhex("55 61 0008 00f8 0000 0040 00c0 0100 0040 00e0 ff7f")


def test_data_packet() -> None:
    packet = WitDataPacket.from_bytes(PACKET)
    assert packet.acc_counts == (2048, -2048, 0)
    assert packet.acc_g == (1.0, -1.0, 0.0)
    assert packet.gyr_dps == (1000.0, -1000.0, 0.06103515625)
    np.testing.assert_allclose(packet.angle_deg, (90.0, -45.0, 179.994506835937))
    samples = packet.to_samples(12.5)
    np.testing.assert_array_equal(samples.t_s, [12.5])
    np.testing.assert_allclose(samples.acc_g, [[1.0, -1.0, 0.0]])
    assert bytes(packet) == PACKET
    assert decode_notification(PACKET) == packet


def test_register_reply_from_the_datasheet() -> None:
    # Datasheet 6.1.2.1: reading the magnetic field returns 55 71 3A 00 68 01 69 00 7A 00 00 ... (20 bytes):
    # x = 360, y = 105, z = 122.
    data = bytes.fromhex("55 71 3a00 6801 6900 7a00") + bytes(10)
    reply = decode_notification(data)
    assert isinstance(reply, WitRegisterReply)
    assert reply.start_register == 0x3A
    assert reply.values[:3] == (360, 105, 122)
    assert bytes(reply) == data


def test_commands() -> None:
    assert bytes(WitCommand.unlock()).hex(" ") == "ff aa 69 88 b5"
    assert bytes(WitCommand.save()).hex(" ") == "ff aa 00 00 00"
    assert bytes(WitCommand.set_rate(10)).hex(" ") == "ff aa 03 06 00"
    assert bytes(WitCommand.set_rate(100)).hex(" ") == "ff aa 03 09 00"
    assert bytes(WitCommand.read_register(0x3A)).hex(" ") == "ff aa 27 3a 00"
    assert WitCommand.from_bytes(bytes.fromhex("ff aa 69 88 b5")) == WitCommand.unlock()
    with pytest.raises(ProtocolError, match="no documented code"):
        WitCommand.set_rate(200)
    with pytest.raises(ProtocolError, match="starts with FF AA"):
        WitCommand.from_bytes(bytes.fromhex("ff ab 69 88 b5"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PACKET[:19], "19 bytes"),
        (PACKET + b"\x00", "21 bytes"),
        (b"\x55\x51" + PACKET[2:], "starts with 55 51"),  # the serial acceleration packet, not a BLE one
        (b"", "0 bytes"),
    ],
)
def test_malformed_notifications(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_notification(data)
