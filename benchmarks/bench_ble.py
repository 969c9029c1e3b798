"""Bluetooth LE: throughput, loss and reconnection against the emulated sensor, on both test tiers.

Usage::

    python benchmarks/bench_ble.py [--stream-s 10] [--vm-runs 2] [--out benchmarks/results/ble.md]

1. Tier 1, bumble's in-process virtual link: the app's transport (:class:`NativeSensor` on bumble) streams
   ``--stream-s`` seconds at 833 and at 1666 Hz from the emulated sensor (a distinct ramp in every sample);
   samples per second received, packets lost, and whether every sample sent arrived unchanged and in order;
   then a link dropped by the sensor: time until the app sees it, and until samples flow again.
2. Tier 2, the real stack: ``scripts/ble_stack_vm.sh`` (unmodified bleak on BlueZ in a QEMU guest running
   Debian's stock kernel, against the same emulated sensor), ``--vm-runs`` times; the guest's own figures
   (``results.json``) and the run's wall time. Skipped, saying why, without its Debian packages.

Everything streams in real time on the host's clock, so figures vary with the machine's load; the file says
what it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from imu_app.devices.protocols.native import SampleRate  # noqa: E402
from imu_app.devices.transport import BumbleCentral  # noqa: E402
from imu_app.sim import EmulatedSensor, VirtualLink, virtual_device  # noqa: E402
from tests._ble_virtual import CENTRAL_ADDRESS, SENSOR_ADDRESS, ramp_samples  # noqa: E402
from tests.ble_stack.runner import stream_phase  # noqa: E402


async def _tier1(stream_s: float) -> list[dict]:
    """The tier-2 runner's streaming phases, on bumble's in-process virtual link."""
    link = VirtualLink()
    sensor = EmulatedSensor(virtual_device("sensor", link, SENSOR_ADDRESS), ramp_samples, record_sent=True)
    await sensor.start()
    central = await BumbleCentral.open(virtual_device("central", link, CENTRAL_ADDRESS))
    phases = [(SampleRate.HZ_833, False), (SampleRate.HZ_1666, False), (SampleRate.HZ_1666, True)]
    try:
        return [await stream_phase(central, sensor, rate, drop, stream_s) for rate, drop in phases]
    finally:
        await central.close()


def tier1(stream_s: float) -> list[dict]:
    return asyncio.run(_tier1(stream_s))


def tier2(runs: int) -> tuple[list[dict], str]:
    """The guest's results of ``runs`` VM runs, or why the tier could not run."""
    results = []
    for _ in range(runs):
        out = tempfile.mkdtemp(prefix="bench_ble_")
        start = time.monotonic()
        env = dict(os.environ, PYTHON=sys.executable)
        script = str(REPO / "scripts" / "ble_stack_vm.sh")
        proc = subprocess.run(["bash", script, out], check=False, env=env, capture_output=True, text=True)
        if proc.returncode == 3:
            return results, proc.stderr.strip()
        path = Path(out) / "results.json"
        if not path.exists():
            return results, f"the guest wrote no results (its logs are kept in {out})"
        r = json.loads(path.read_text())
        r["wall_s"] = time.monotonic() - start
        results.append(r)
        shutil.rmtree(out, ignore_errors=True)
    return results, ""


def _med(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    return (
        f"{statistics.median(got):.2f} ({min(got):.2f}-{max(got):.2f})" if len(got) > 1 else f"{got[0]:.2f}"
    )


def report(t1: list[dict], stream_s: float, t2: list[dict], t2_skip: str) -> str:
    lines = [
        "# Bluetooth LE against the emulated sensor",
        "",
        f"Command: `python benchmarks/bench_ble.py` ({platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}). Real time on the host's clock: figures vary with its load.",
        "",
        f"## Tier 1: bumble's in-process virtual link, {stream_s:.0f} s per phase",
        "",
        "| phase | samples/s received | packets | lost | every sample as sent | drop seen (s) "
        "| drop to resume (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in t1:
        dropped = "drop_to_resume_s" in f
        phase = f"{f['rate_hz']:.0f} Hz" + (", link dropped" if dropped else "")
        rate = "-" if dropped else f"{f['samples_per_s']:.0f}"
        as_sent = f["identical"] or f["missing_before_restart"]
        lines.append(
            f"| {phase} | {rate} | {f['packets']} | {f['lost_packets']} | {'yes' if as_sent else 'NO'} | "
            f"{_med([f.get('drop_seen_s')])} | {_med([f.get('drop_to_resume_s')])} |"
        )
    lines += ["", "## Tier 2: unmodified bleak on BlueZ in a QEMU guest (Debian's stock kernel)", ""]
    if not t2:
        return "\n".join([*lines, f"Not run: {t2_skip or '--vm-runs 0'}", ""])
    lines += [f"{len(t2)} VM run(s); median (min-max).", "", "| measure | value |", "|---|---|"]
    rows = [
        ("whole VM run, s", [r["wall_s"] for r in t2]),
        ("boot to a powered adapter, s", [r.get("boot_to_adapter_s") for r in t2]),
        ("scan, s", [r.get("scan", {}).get("s") for r in t2]),
    ]
    for key in ("833", "1666"):
        rows.append((f"{key} Hz: connect, s", [r.get(key, {}).get("connect_s") for r in t2]))
        rows.append((f"{key} Hz: samples/s received", [r.get(key, {}).get("samples_per_s") for r in t2]))
        rows.append((f"{key} Hz: packets lost", [r.get(key, {}).get("lost_packets") for r in t2]))
    rows.append(("drop seen by the app, s", [r.get("drop", {}).get("drop_seen_s") for r in t2]))
    rows.append(("drop to resumed stream, s", [r.get("drop", {}).get("drop_to_resume_s") for r in t2]))
    lines += [f"| {name} | {_med(values)} |" for name, values in rows]
    same = [r.get(k, {}).get("identical") for r in t2 for k in ("833", "1666")]
    lines += [
        "",
        f"Every sample sent arrived unchanged and in order in {sum(map(bool, same))} of {len(same)}",
    ]
    lines[-1] += " streaming phases. The emulated sensor shares the guest's emulated CPU: at 1666 Hz it"
    lines[-1] += (
        " produces fewer samples per second than the rate, so the figure is the guest's, not the link's."
    )
    return "\n".join([*lines, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stream-s", type=float, default=10.0)
    parser.add_argument("--vm-runs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "ble.md")
    args = parser.parse_args()
    np.seterr(all="ignore")
    t1 = tier1(args.stream_s)
    t2, skip = tier2(args.vm_runs)
    text = report(t1, args.stream_s, t2, skip)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
