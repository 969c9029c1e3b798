"""Fuzz every BLE packet decoder with random and mutated packets, and measure decoding speed.

Usage::

    python benchmarks/fuzz_decoders.py [--count 100000] [--seed 0] [--repeats 5] \
        [--out benchmarks/results/decoders.md]

For each decoder (the decode paths of ``tests/_protocol_packets.py``: the packet and, for data, its
conversion to samples) it feeds ``--count`` random byte strings (0-300 bytes) and ``--count`` mutated valid
packets (one to four bit flips, overwrites, cuts, insertions, duplications). Every input must either decode
(and then encode and decode back to the same packet) or raise ``ProtocolError``; anything else is a failure,
printed with the input, and the script exits non-zero. The slowest single input is reported so that a decoder
that loops on some input would show (nothing here is timed in pass/fail: the tests do not depend on timing).

Speed: each decoder decodes the same 2,000 valid packets ``--repeats`` times; the table gives the median
packets per second (min-max over the repeats). A 1666 Hz stream of our profile is 88 packets per second.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imu_app.core.errors import ProtocolError  # noqa: E402
from imu_app.devices.protocols import native  # noqa: E402
from tests._protocol_packets import CASES, DecoderCase, mutate  # noqa: E402


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fuzz(case: DecoderCase, count: int, seed: int) -> dict:
    rng = random.Random(f"{case.name}/{seed}")
    stats = {"random_ok": 0, "mutated_ok": 0, "failures": [], "slowest_s": 0.0, "slowest_len": 0}
    for kind in ("random", "mutated"):
        for _ in range(count):
            if kind == "random":
                data = rng.randbytes(rng.randint(0, 300))
            else:
                data = mutate(case.make_valid(rng), rng)
            t0 = time.perf_counter()
            try:
                decoded = case.decode(data)
                again = type(decoded).from_bytes(bytes(decoded))  # type: ignore[attr-defined,call-overload]
                if again != decoded:
                    raise AssertionError("decode(encode(packet)) differs from packet")
                stats[f"{kind}_ok"] += 1
            except ProtocolError:
                pass
            except Exception:  # every other exception is what this script looks for
                if len(stats["failures"]) < 5:
                    stats["failures"].append((kind, data.hex(), traceback.format_exc(limit=3)))
            elapsed = time.perf_counter() - t0
            if elapsed > stats["slowest_s"]:
                stats["slowest_s"], stats["slowest_len"] = elapsed, len(data)
    return stats


def speed(decode, packets: list[bytes], repeats: int) -> tuple[float, float, float]:
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for data in packets:
            decode(data)
        rates.append(len(packets) / (time.perf_counter() - t0))
    return statistics.median(rates), min(rates), max(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="random and mutated inputs, each")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "decoders.md")
    args = parser.parse_args()

    rows, speed_rows, failures = [], [], []
    total_t0 = time.perf_counter()
    for case in CASES:
        t0 = time.perf_counter()
        stats = fuzz(case, args.count, args.seed)
        fuzz_s = time.perf_counter() - t0
        failures += [(case.name, *f) for f in stats["failures"]]
        rows.append(
            f"| {case.name} | {args.count:,} | {stats['random_ok']:,} | {args.count:,} "
            f"| {stats['mutated_ok']:,} | {len(stats['failures'])} "
            f"| {stats['slowest_s'] * 1e3:.2f} ms ({stats['slowest_len']} B) "
            f"| {fuzz_s:.0f} s |"
        )
        rng = random.Random(f"speed/{case.name}/{args.seed}")
        packets = [case.make_valid(rng) for _ in range(2000)]
        med, lo, hi = speed(case.decode, packets, args.repeats)
        mean_len = np.mean([len(p) for p in packets])
        speed_rows.append(
            f"| {case.name} | {mean_len:.0f} B | {med:,.0f} ({lo:,.0f}-{hi:,.0f}) | {1e6 / med:.1f} |"
        )
        print(f"{case.name}: fuzz {fuzz_s:.0f} s, {len(stats['failures'])} failures; {med:,.0f} packets/s")

    # The packet alone, without the conversion to samples, for the stream that matters most.
    rng = random.Random(f"speed/native-bare/{args.seed}")
    packets = [_full_native(rng) for _ in range(2000)]
    med, lo, hi = speed(native.DataPacket.from_bytes, packets, args.repeats)
    speed_rows.append(
        f"| native data packet, `from_bytes` only, 19 samples | 242 B | {med:,.0f} ({lo:,.0f}-{hi:,.0f}) "
        f"| {1e6 / med:.1f} |"
    )
    med, lo, hi = speed(lambda d: native.DataPacket.from_bytes(d).to_samples(), packets, args.repeats)
    speed_rows.append(
        f"| native data packet + samples, 19 samples | 242 B | {med:,.0f} ({lo:,.0f}-{hi:,.0f}) "
        f"| {1e6 / med:.1f} |"
    )
    total_s = time.perf_counter() - total_t0

    command = (
        f"python benchmarks/fuzz_decoders.py --count {args.count} --seed {args.seed} --repeats {args.repeats}"
    )
    lines = [
        "# BLE packet decoders: fuzzing and speed",
        "",
        f"Command: `{command}`",
        f"Machine: {_cpu()}; Python {platform.python_version()}, numpy {np.__version__}. "
        f"Whole run {total_s / 60:.1f} min.",
        "",
        "## Fuzzing",
        "",
        "Every input either decodes (and re-encodes to a packet that decodes back to itself) or raises "
        "`ProtocolError`; a failure is any other exception. Random inputs are 0-300 random bytes; mutated "
        "ones are valid packets with one to four bit flips, overwrites, cuts, insertions or duplications. "
        "'Slowest' is the longest single decode (a decoder that looped would show here); a few "
        "milliseconds there are the shared machine's scheduling, as the inputs are at most 300 bytes.",
        "",
        "| decoder | random | decoded | mutated | decoded | failures | slowest input | time |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "## Speed",
        "",
        f"Median packets per second over {args.repeats} passes of 2,000 valid packets (min-max); the decode "
        "path includes the conversion to samples in g and deg/s for data packets. A 1666 Hz stream of our "
        "profile is 88 packets per second.",
        "",
        "| decoder | mean size | packets/s | us/packet |",
        "|---|---|---|---|",
        *speed_rows,
        "",
    ]
    if failures:
        lines += ["## Failures", ""]
        for name, kind, data_hex, tb in failures:
            lines += [f"- {name}, {kind} input `{data_hex}`:", "", "```", tb.rstrip(), "```", ""]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")
    return 1 if failures else 0


def _full_native(rng: random.Random) -> bytes:
    packet = native.DataPacket(
        flags=native.DataFlags.GYRO,
        acc_range=native.AccRange.G32,
        gyro_range=native.GyroRange.DPS2000,
        seq=rng.randrange(65536),
        t_first_us=rng.randrange(1 << 32),
        interval_ns=600_240,
        counts=tuple(rng.randint(-32768, 32767) for _ in range(19 * 6)),
    )
    return bytes(packet)


if __name__ == "__main__":
    sys.exit(main())
