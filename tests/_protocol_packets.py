"""Valid packets of every protocol from a seeded ``random.Random``, byte mutations, and the decode paths.

Shared by the fuzz tests (``test_protocol_fuzz.py``, through hypothesis) and the fuzz benchmark
(``benchmarks/fuzz_decoders.py``, through plain loops), so both fuzz the same decoders from the same seeds.
The valid packets are built with the encoders: they are starting points for mutation, not expected values
(the per-protocol tests write those by hand from the vendors' documents).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from imu_app.devices.protocols import movesense, native, polar, witmotion

# --- valid packets -----------------------------------------------------------------------------------------


def _int16s(rng: random.Random, n: int, spread: int = 32768) -> tuple[int, ...]:
    return tuple(max(-32768, min(32767, int(rng.gauss(0, spread / 3)))) for _ in range(n))


def native_data(rng: random.Random) -> bytes:
    gyro = rng.random() < 0.8
    n = rng.choice((1, 2, 14, 19, rng.randint(1, 40)))
    flags = native.DataFlags(rng.getrandbits(5) & ~1) | (native.DataFlags.GYRO if gyro else 0)
    packet = native.DataPacket(
        flags=flags,
        acc_range=rng.choice(list(native.AccRange)),
        gyro_range=rng.choice([r for r in native.GyroRange if r is not native.GyroRange.OFF])
        if gyro
        else native.GyroRange.OFF,
        seq=rng.randrange(65536),
        t_first_us=rng.randrange(1 << 32),
        interval_ns=rng.choice((600_240, 1_200_480, 19_230_769, rng.randrange(1, 1 << 32))),
        counts=_int16s(rng, n * (6 if gyro else 3)),
    )
    return bytes(packet)


def native_command(rng: random.Random) -> bytes:
    choices = [
        native.ControlCommand.start(),
        native.ControlCommand.stop(),
        native.ControlCommand.clock_reset(),
        native.ControlCommand.get_config(),
        native.ControlCommand.set_rate(rng.choice(list(native.SampleRate))),
        native.ControlCommand.set_ranges(
            rng.choice(list(native.AccRange)), rng.choice(list(native.GyroRange))
        ),
    ]
    return bytes(rng.choice(choices))


def native_reply(rng: random.Random) -> bytes:
    reply = native.ControlReply(
        opcode=rng.choice(list(native.Opcode)),
        status=rng.choice(list(native.Status)),
        state=native.StateFlags(rng.getrandbits(3)),
        rate=rng.choice(list(native.SampleRate)),
        acc_range=rng.choice(list(native.AccRange)),
        gyro_range=rng.choice(list(native.GyroRange)),
        sensor_time_us=rng.randrange(1 << 32),
    )
    return bytes(reply)


def movesense_command(rng: random.Random) -> bytes:
    ref = rng.randint(1, 255)
    choices = [
        movesense.GspCommand.subscribe_imu6(rng.choice(movesense.IMU6_RATES_HZ), ref),
        movesense.GspCommand.unsubscribe(ref),
        movesense.GspCommand.hello(ref),
    ]
    return bytes(rng.choice(choices))


def movesense_imu6(rng: random.Random) -> bytes:
    n = rng.randint(1, 8)
    data = movesense.Imu6Data(
        timestamp_ms=rng.randrange(1 << 32),
        acc_m_s2=tuple(rng.uniform(-160, 160) for _ in range(3 * n)),
        gyr_dps=tuple(rng.uniform(-2000, 2000) for _ in range(3 * n)),
    )
    return bytes(data)


def movesense_notification(rng: random.Random) -> bytes:
    kind = rng.choice(list(movesense.GspResponseCode))
    body = (
        movesense_imu6(rng) if kind is movesense.GspResponseCode.DATA else rng.randbytes(rng.randint(0, 20))
    )
    return bytes(movesense.GspNotification(kind, rng.randrange(256), body))


def movesense_imu6_notification(rng: random.Random) -> bytes:
    body = movesense_imu6(rng)
    return bytes(movesense.GspNotification(movesense.GspResponseCode.DATA, rng.randint(1, 255), body))


_POLAR_FRAMES = [
    (polar.PmdMeasurementType.ACC, 0x01, 16),
    (polar.PmdMeasurementType.ACC, 0x00, 8),
    (polar.PmdMeasurementType.ACC, 0x02, 24),
    (polar.PmdMeasurementType.ACC, 0x80, 16),
    (polar.PmdMeasurementType.ACC, 0x81, 16),
    (polar.PmdMeasurementType.GYRO, 0x80, 16),
    (polar.PmdMeasurementType.GYRO, 0x81, 32),
]


def polar_data(rng: random.Random) -> bytes:
    kind, frame_type, bits = rng.choice(_POLAR_FRAMES)
    n = rng.randint(1, 80)
    if bits == 32:  # float32 bit patterns of plausible angular rates
        import struct

        floats = [rng.uniform(-500, 500) for _ in range(3 * n)]
        ints = struct.unpack(f"<{3 * n}i", struct.pack(f"<{3 * n}f", *floats))
        values = tuple(tuple(ints[3 * i : 3 * i + 3]) for i in range(n))
    else:
        limit = (1 << (bits - 1)) - 1
        step = rng.choice((1, 8, 200))
        x = [rng.randint(-limit // 2, limit // 2) for _ in range(3)]
        rows = []
        for _ in range(n):
            x = [max(-limit, min(limit, v + rng.randint(-step, step))) for v in x]
            rows.append(tuple(x))
        values = tuple(rows)
    frame = polar.PmdDataFrame(kind, rng.randrange(1 << 63), frame_type, values)  # type: ignore[arg-type]
    return bytes(frame)


def polar_settings(rng: random.Random) -> polar.PmdSettings:
    return polar.PmdSettings(
        sample_rates_hz=tuple(rng.sample((26, 52, 104, 208, 416), rng.randint(0, 3))),
        resolutions_bits=(16,) if rng.random() < 0.7 else (),
        ranges=tuple(rng.sample((2, 4, 8, 16, 250, 500, 1000, 2000), rng.randint(0, 4))),
        channels=(3,) if rng.random() < 0.5 else (),
        factors=(rng.choice((0.000244140625, 0.06103515625, 1.0)),) if rng.random() < 0.5 else (),
    )


def polar_command(rng: random.Random) -> bytes:
    kind = rng.choice((polar.PmdMeasurementType.ACC, polar.PmdMeasurementType.GYRO))
    choices = [
        polar.PmdControlPointCommand.get_settings(kind),
        polar.PmdControlPointCommand.stop(kind),
        polar.PmdControlPointCommand.start(
            kind, polar.PmdSettings.selected(sample_rate_hz=52, resolution_bits=16, range_=8, channels=3)
        ),
    ]
    return bytes(rng.choice(choices))


def polar_response(rng: random.Random) -> bytes:
    status = polar.PmdStatus.SUCCESS if rng.random() < 0.7 else rng.choice(list(polar.PmdStatus))
    ok = status is polar.PmdStatus.SUCCESS
    response = polar.PmdControlPointResponse(
        op_code=rng.choice(list(polar.PmdOpCode)),
        measurement_type=rng.choice(list(polar.PmdMeasurementType)),
        status=status,
        more=ok and rng.random() < 0.2,
        parameters=bytes(polar_settings(rng)) if ok else b"",
    )
    return bytes(response)


def polar_features(rng: random.Random) -> bytes:
    types = frozenset(t for t in polar.PmdMeasurementType if rng.random() < 0.4)
    return bytes(polar.PmdFeatures(types))


def wit_data(rng: random.Random) -> bytes:
    return bytes(witmotion.WitDataPacket(_int16s(rng, 3), _int16s(rng, 3), _int16s(rng, 3)))  # type: ignore[arg-type]


def wit_reply(rng: random.Random) -> bytes:
    return bytes(witmotion.WitRegisterReply(rng.choice((0x3A, 0x40, 0x51)), _int16s(rng, 8)))


def wit_command(rng: random.Random) -> bytes:
    choices = [
        witmotion.WitCommand.unlock(),
        witmotion.WitCommand.save(),
        witmotion.WitCommand.set_rate(rng.choice(list(witmotion.RATE_CODES))),
        witmotion.WitCommand.read_register(rng.randrange(256)),
    ]
    return bytes(rng.choice(choices))


# --- mutations ---------------------------------------------------------------------------------------------


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits of ``data``: bit flips, byte overwrites, cuts, insertions, duplications."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(8)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            i = rng.randrange(len(buf))
            buf[i] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:
            buf[rng.randrange(len(buf))] = rng.choice((0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif op == 2:
            del buf[pos:]
        elif op == 3:
            buf[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif op == 4 and buf:
            end = min(len(buf), pos + rng.randint(1, 16))
            buf[pos:pos] = buf[pos:end]
        elif op == 5 and buf:
            del buf[pos : pos + rng.randint(1, 8)]
        elif op == 6:
            buf += rng.randbytes(rng.randint(1, 64))
        elif op == 7 and buf:
            i = rng.randrange(len(buf))
            buf[i] = (buf[i] + rng.choice((-1, 1))) & 0xFF
    return bytes(buf)


# --- decode paths ------------------------------------------------------------------------------------------


def _decode_native_data(data: bytes) -> object:
    packet = native.DataPacket.from_bytes(data)
    packet.to_samples()
    return packet


def _decode_movesense_data(data: bytes) -> object:
    body = movesense.join_data_parts([movesense.GspNotification.from_bytes(data)])
    imu = movesense.Imu6Data.from_bytes(body)
    imu.to_samples(208.0)
    return imu


def _decode_polar_data(data: bytes) -> object:
    frame = polar.PmdDataFrame.from_bytes(data)
    frame.to_samples(factor=0.06103515625, sample_rate_hz=52.0)
    return frame


def _decode_polar_response(data: bytes) -> object:
    response = polar.PmdControlPointResponse.from_bytes(data)
    if response.status is polar.PmdStatus.SUCCESS and not response.more:
        response.settings  # noqa: B018 - a start response's parameters are read as settings
    return response


def _decode_wit(data: bytes) -> object:
    decoded = witmotion.decode_notification(data)
    if isinstance(decoded, witmotion.WitDataPacket):
        decoded.to_samples(0.0)
    return decoded


@dataclass(frozen=True)
class DecoderCase:
    """One decoder under fuzz: how to make a valid packet, and the decode path a connection would run."""

    name: str
    make_valid: Callable[[random.Random], bytes]
    decode: Callable[[bytes], object]
    #: Whether re-encoding a decoded packet gives the same bytes (false where the wire has free choices,
    #: such as the delta widths of a Polar frame).
    canonical: bool = True


CASES = (
    DecoderCase("native data packet", native_data, _decode_native_data),
    DecoderCase("native control command", native_command, native.ControlCommand.from_bytes),
    DecoderCase("native control reply", native_reply, native.ControlReply.from_bytes),
    DecoderCase("Movesense command", movesense_command, movesense.GspCommand.from_bytes),
    DecoderCase("Movesense notification", movesense_notification, movesense.GspNotification.from_bytes),
    DecoderCase("Movesense IMU6 data", movesense_imu6_notification, _decode_movesense_data, canonical=False),
    DecoderCase("Polar data frame", polar_data, _decode_polar_data, canonical=False),
    DecoderCase("Polar control-point command", polar_command, polar.PmdControlPointCommand.from_bytes),
    DecoderCase("Polar control-point response", polar_response, _decode_polar_response, canonical=False),
    DecoderCase("Polar features", polar_features, polar.PmdFeatures.from_bytes, canonical=False),
    DecoderCase("WitMotion notification", wit_data, _decode_wit),
    DecoderCase("WitMotion register reply", wit_reply, witmotion.WitRegisterReply.from_bytes),
    DecoderCase("WitMotion command", wit_command, witmotion.WitCommand.from_bytes),
)
