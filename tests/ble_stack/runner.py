"""Runs inside the QEMU guest of ``scripts/ble_stack_vm.sh``: unmodified bleak on BlueZ against the
emulated sensor, through the kernel's virtual HCI driver; writes ``results.json`` for ``test_ble_stack.py``.

The kernel's adapter (hci0) is a bumble controller attached to ``/dev/vhci``; the sensor runs on a second
bumble controller on the same in-process virtual link. Between them: the kernel's HCI, L2CAP and
management code, bluetoothd, D-Bus and bleak, as on a Linux laptop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import subprocess
import time
import traceback
from pathlib import Path

import numpy as np

from imu_app.cli import main as cli_main
from imu_app.devices.protocols.native import SampleRate
from imu_app.devices.transport import BleakCentral, NativeSensor, ReconnectPolicy, StreamConfig, scan
from imu_app.recordings import load
from imu_app.sim import EmulatedSensor, VirtualLink, virtual_controller, virtual_device
from tests._ble_virtual import expected_samples, joined, ramp_samples

SENSOR_ADDRESS = "C0:98:E5:49:00:01"
ADAPTER_ADDRESS = "F0:F1:F2:F3:F4:F5"  # BlueZ leaves an adapter with address 00:00:00:00:00:00 unconfigured
STREAM_S = 3.0

log = logging.getLogger("ble_stack")


async def wait_adapter(central: BleakCentral, timeout_s: float = 90.0) -> float:
    """Seconds until BlueZ has a powered adapter that scans."""
    start = time.monotonic()
    while True:
        try:
            await central.scan(0.2)
            return time.monotonic() - start
        except Exception:
            if time.monotonic() - start > timeout_s:
                raise
            await asyncio.sleep(0.5)


def kernel_crypto() -> dict:
    """What the guest kernel said about the crypto the Bluetooth core needs (ECDH, CMAC for SMP)."""
    text = subprocess.run(["dmesg"], capture_output=True, text=True, check=False).stdout
    problems = [
        line.split("] ", 1)[-1]
        for line in text.splitlines()
        if ("alg:" in line and "failed" in line) or "Unable to create" in line or "ECDH test failed" in line
    ]
    return {"problems": sorted(set(problems)), "dmesg_read": bool(text)}


def compare(sensor: EmulatedSensor, chunks: list) -> dict:
    """Sample by sample: what the sensor sent against what reached the recording.

    ``identical``: every sample sent is in the recording, in order. Otherwise ``missing_before_restart``
    says whether the recording is what was sent except for one run of samples that ends where the sensor
    restarted its sequence after a reconnection: packets the sensor had handed to its stack when the link
    went down, lost with the link (a real link loses those too, and the app marks the gap).
    """
    acc, gyr, seq = expected_samples(sensor.sent)
    t, racc, rgyr, rseq = joined(chunks)
    sent = np.column_stack([acc, gyr, seq])
    got = np.column_stack([racc, rgyr, rseq])
    n_missing = len(sent) - len(got)
    differs = np.flatnonzero(np.any(sent[: len(got)] != got[: len(sent)], axis=1))
    prefix = int(differs[0]) if len(differs) else min(len(sent), len(got))
    restart = prefix + n_missing
    before_restart = bool(
        n_missing > 0
        and np.array_equal(got[prefix:], sent[restart:])
        and 0 < restart < len(seq)
        and seq[restart] == 0
    )
    return {
        "sent_samples": len(acc),
        "received_samples": len(racc),
        "identical": n_missing == 0 and len(differs) == 0,
        "missing_samples": n_missing,
        "missing_before_restart": before_restart,
        "increasing": bool(np.all(np.diff(t) > 0)),
    }


async def stream_phase(central, sensor, rate: SampleRate, drop: bool, stream_s: float = STREAM_S) -> dict:
    await asyncio.sleep(0.5)  # let the stack finish tearing down the previous link
    sensor.sent.clear()
    chunks: list = []
    source = NativeSensor(
        central, SENSOR_ADDRESS, StreamConfig(rate=rate), reconnect=ReconnectPolicy(first_delay_s=0.1)
    )
    t0 = time.monotonic()
    await source.start()
    connect_s = time.monotonic() - t0

    async def consume():
        async for c in source.chunks():
            chunks.append(c)

    task = asyncio.create_task(consume())
    await asyncio.sleep(stream_s)
    result: dict = {"rate_hz": rate.hz, "connect_s": connect_s}
    if drop:
        n_before = len(chunks)
        t_drop = time.monotonic()
        await sensor.drop_link()
        async with asyncio.timeout(60):
            while not any(c.gap_before is not None for c in chunks[n_before:]):
                await asyncio.sleep(0.02)
        first_after = next(c for c in chunks[n_before:] if c.gap_before is not None)
        result["drop_seen_s"] = source.dropped_at_s[0] - t_drop if source.dropped_at_s else None
        result["drop_to_resume_s"] = first_after.arrival_s - t_drop
        await asyncio.sleep(1.0)
    await source.stop()
    await task
    arrivals = [c.arrival_s for c in chunks]
    n = sum(len(c) for c in chunks)
    h = source.health
    result.update(
        samples=n,
        packets=h.packets,
        lost_packets=h.lost_packets,
        lost_samples=h.lost_samples,
        bad_packets=h.bad_packets,
        reconnects=h.reconnects,
        mtu=h.mtu,
        samples_per_s=n / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 and not drop else None,
        packets_per_s=h.packets / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 and not drop else None,
        gaps=[c.gap_before.reason.value for c in chunks if c.gap_before is not None],
        **compare(sensor, chunks),
    )
    return result


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    return code, out.getvalue(), err.getvalue()


async def main(out: Path) -> dict:
    from bumble.transport import open_transport

    results: dict = {"uptime_at_start_s": float(Path("/proc/uptime").read_text().split()[0])}
    link = VirtualLink()
    sensor = EmulatedSensor(virtual_device("sensor", link, SENSOR_ADDRESS), ramp_samples, record_sent=True)
    await sensor.start()
    central = BleakCentral()
    # The kernel gives a controller 2 s per HCI command while it brings the adapter up; under software
    # emulation on a busy machine an answer can come later, and the adapter is then abandoned. Attach a
    # fresh controller (the kernel's next hciN) until one comes up.
    for attempt in range(4):
        vhci = await open_transport("vhci")
        controller = virtual_controller(
            f"vhci{attempt}", link, ADAPTER_ADDRESS, host_source=vhci.source, host_sink=vhci.sink
        )
        try:
            results["adapter_ready_s"] = await wait_adapter(central, timeout_s=30.0)
            results["adapter_attempts"] = attempt + 1
            break
        except Exception:
            link.remove_controller(controller)
            await vhci.close()
    else:
        raise RuntimeError("BlueZ brought up no adapter on /dev/vhci in 4 attempts")
    results["boot_to_adapter_s"] = results["uptime_at_start_s"] + results["adapter_ready_s"]
    results["kernel_crypto"] = kernel_crypto()

    t0 = time.monotonic()
    found = await scan(central, 3.0)
    results["scan"] = {"found": [[d.address, d.name, d.rssi_dbm] for d in found], "s": time.monotonic() - t0}

    phases = [
        ("833", SampleRate.HZ_833, False),
        ("1666", SampleRate.HZ_1666, False),
        ("drop", SampleRate.HZ_1666, True),
    ]
    for key, rate, drop in phases:
        try:
            results[key] = await stream_phase(central, sensor, rate, drop)
        except Exception as exc:
            results[key] = {"error": f"{type(exc).__name__}: {exc}"}
        (out / "results.json").write_text(json.dumps(results, indent=1, default=str))

    code, text, err = await asyncio.to_thread(run_cli, ["scan", "--timeout", "3"])
    results["cli_scan"] = {"code": code, "stdout": text, "stderr": err}
    csv = out / "record.csv"
    sensor.sent.clear()
    argv = [
        "record",
        "--device",
        "AnkleIMU-0001",
        "-o",
        str(csv),
        "--duration",
        "3",
        "--force",
        "-e",
        "pogo_hops",
    ]
    code, text, err = await asyncio.to_thread(run_cli, argv)
    rec: dict = {"code": code, "stderr": err[-2000:]}
    if csv.exists():
        data = load(csv)
        acc, _, seq = expected_samples(sensor.sent)
        n = len(data)
        # The sensor streams on until STOP reaches it, after the recording ended: the recording is what it
        # sent from its first sample on, without a gap or a changed value, for the duration asked.
        rec.update(
            samples=n,
            sent_samples=len(acc),
            duration_s=float(data.duration_s),
            same_as_sent_from_start=0 < n <= len(acc)
            and bool(np.allclose(data.acc_g, acc[:n], atol=1e-6) and np.array_equal(data.seq, seq[:n])),
        )
    results["cli_record"] = rec
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(relativeCreated)8.0f ms %(name)s %(message)s")
    logging.getLogger("imu_app").setLevel(logging.INFO)
    try:
        res = asyncio.run(main(args.out))
    except Exception:
        res = {"error": traceback.format_exc()}
    (args.out / "results.json").write_text(json.dumps(res, indent=1, default=str))
