"""``imu-app scan``, ``record`` and ``emulate``: sensors over Bluetooth LE, and an emulated one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import logging
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from imu_app.cli._live import printer
from imu_app.core import ImuAppError, Placement, RecordingMeta
from imu_app.devices.protocols.native import SampleRate
from imu_app.devices.transport import (
    BleakCentral,
    Central,
    DeviceError,
    LinkHealth,
    NativeSensor,
    SensorSource,
    StreamConfig,
    scan,
)
from imu_app.history import default_db_path, save_recorded_session
from imu_app.live import LinkHealth as LiveLinkHealth
from imu_app.live import Session, Subscriber, make_engine
from imu_app.recordings import load
from imu_app.sim import EXERCISES, run_emulator, samples_from_recording, samples_from_simulator

__all__ = ["RecordResult", "add_device_commands", "record_session"]

log = logging.getLogger(__name__)

#: A MAC address (Linux, Windows) or a CoreBluetooth UUID (macOS): connect without scanning by name.
_ADDRESS_RE = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}(/P)?$|^[0-9A-Fa-f-]{36}$")
_RATES = [int(r.hz) for r in SampleRate]


def add_device_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``scan``, ``record`` and ``emulate`` on the ``imu-app`` sub-command parser."""
    s = sub.add_parser(
        "scan",
        help="list supported sensors in range",
        description="Scan for Bluetooth LE sensors imu-app knows (by service and name), strongest first.",
    )
    s.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan for S seconds (default 5)")
    s.add_argument("--adapter", help="Bluetooth adapter to use, e.g. hci1 (Linux; default: the system's)")
    s.set_defaults(run=_cmd_scan)

    r = sub.add_parser(
        "record",
        help="stream a sensor to a native recording",
        description=(
            "Connect to a sensor speaking the Ankle IMU profile and stream it through the live pipeline: "
            "the native CSV is written as samples arrive (it survives a crash), the link is made again "
            "when it drops, and each event is printed in a coach's words as it is decided, with a line "
            "of link health every few seconds, as 'replay' does. Stop with Ctrl-C. With --athlete the "
            "recording is saved to the history as that athlete's session when it ends."
        ),
    )
    r.add_argument("--device", "-d", required=True, metavar="NAME|ADDRESS", help="sensor name or address")
    r.add_argument("--output", "-o", type=Path, required=True, help="native CSV to write")
    r.add_argument("--exercise", "-e", choices=EXERCISES, metavar="EXERCISE", help="exercise to note")
    r.add_argument("--leg", choices=["left", "right"], help="instrumented leg to note")
    r.add_argument(
        "--placement",
        choices=[p.value for p in Placement],
        help="where the sensor is worn, to note (left out of the recording when not given)",
    )
    r.add_argument(
        "--athlete", help="athlete to note in the metadata; the session is saved to the history as theirs"
    )
    r.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help=f"history database to save into (default: {default_db_path()}, or under $XDG_DATA_HOME)",
    )
    r.add_argument("--no-history", action="store_true", help="do not save the session to the history")
    r.add_argument("--rate", type=int, choices=_RATES, default=833, metavar="HZ", help="sample rate (833)")
    r.add_argument(
        "--duration", type=float, metavar="S", help="stop after recording S seconds (default: Ctrl-C)"
    )
    r.add_argument(
        "--scan-timeout", type=float, default=5.0, metavar="S", help="find a named sensor within S s"
    )
    r.add_argument("--adapter", help="Bluetooth adapter to use, e.g. hci1 (Linux)")
    r.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    r.set_defaults(run=_cmd_record)

    e = sub.add_parser(
        "emulate",
        help="run an emulated sensor on a Bluetooth controller (e.g. a USB dongle)",
        description=(
            "Turn a Bluetooth controller that bumble can drive into an ankle sensor speaking the Ankle IMU "
            "profile, streaming a recording or the simulator, so the app can be tried without a sensor. "
            "The controller must not be in use by the system (on Linux: 'sudo hciconfig hci1 down' for "
            "--transport hci-socket:1, or a USB dongle with --transport usb:0)."
        ),
    )
    src = e.add_mutually_exclusive_group()
    src.add_argument("--recording", type=Path, metavar="FILE", help="stream this recording (looped)")
    src.add_argument(
        "--exercise",
        "-e",
        choices=EXERCISES,
        metavar="EXERCISE",
        help="stream the simulator (default pogo_hops)",
    )
    e.add_argument("--seed", type=int, default=0, help="simulator seed")
    e.add_argument("--transport", default="usb:0", help="bumble transport of the controller (default usb:0)")
    e.add_argument("--address", default="C0:98:E5:49:A0:01", help="static random address to advertise")
    e.add_argument("--duration", type=float, metavar="S", help="stop after S seconds (default: Ctrl-C)")
    e.set_defaults(run=_cmd_emulate)


# ----------------------------------------------------------------------------------------------------- scan
def _cmd_scan(args: argparse.Namespace) -> int:
    found = asyncio.run(scan(BleakCentral(args.adapter), args.timeout))
    if not found:
        print(
            f"no supported sensor found in {args.timeout:g} s; is it switched on and near?", file=sys.stderr
        )
        return 0
    print(f"{'address':<20} {'name':<24} {'RSSI':>8}  family")
    for d in found:
        rssi = f"{d.rssi_dbm} dBm" if d.rssi_dbm is not None else "-"
        note = "" if d.family.recordable else "  (not recordable yet)"
        print(f"{d.address:<20} {d.name or '(no name)':<24} {rssi:>8}  {d.family.value}{note}")
    return 0


# --------------------------------------------------------------------------------------------------- record
@dataclass(frozen=True)
class RecordResult:
    """What a recording session ended with."""

    path: Path
    n_samples: int
    duration_s: float
    health: LinkHealth
    session_health: LiveLinkHealth


async def resolve_device(central: Central, device: str, timeout_s: float) -> tuple[str, str, int | None]:
    """The address, name and RSSI of ``device`` (an address, or a name or the unique start of one)."""
    found = await scan(central, timeout_s)
    if _ADDRESS_RE.match(device):
        for d in found:
            if d.address.upper() == device.upper():
                return d.address, d.name, d.rssi_dbm
        return device, "", None
    exact = [d for d in found if d.name == device]
    matches = exact or [d for d in found if d.name.lower().startswith(device.lower())]
    if len(matches) == 1:
        return matches[0].address, matches[0].name, matches[0].rssi_dbm
    if not matches:
        seen = ", ".join(d.name or d.address for d in found) or "none"
        raise DeviceError(f"no sensor named {device!r} found in {timeout_s:g} s (sensors seen: {seen})")
    raise DeviceError(f"{device!r} matches several sensors ({', '.join(d.name for d in matches)}): give more")


async def record_session(
    central: Central,
    device: str,
    path: Path,
    *,
    config: StreamConfig,
    meta: RecordingMeta,
    stop: asyncio.Event,
    scan_timeout_s: float = 5.0,
    duration_s: float | None = None,
    on_health: Callable[[LinkHealth], None] | None = None,
    on_event: Subscriber | None = None,
    out: TextIO | None = None,
    sensor_kw: dict | None = None,
) -> RecordResult:
    """Stream ``device`` through a live session into the native recording ``path`` until ``stop`` is set.

    The session records every sample that reaches the host (across reconnections), analyses the stream
    for ``meta.exercise`` and publishes its events and link health to ``on_event`` as they happen, and
    prints them on ``out`` in a coach's words as ``replay`` does; ``on_health`` gets the transport's state
    on every change. ``duration_s`` also sets ``stop`` that long after the recording began, so that
    scanning and connecting (seconds on a busy machine) do not shorten it.
    """
    address, name, rssi = await resolve_device(central, device, scan_timeout_s)
    sensor = NativeSensor(central, address, config, rssi_dbm=rssi, on_health=on_health, **(sensor_kw or {}))
    sensor.info = replace(sensor.info, name=name)
    start_time = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    source = SensorSource(sensor, name=name or address, meta=meta.replace(start_time=start_time))
    await source.start()
    engine = make_engine(source.info.sample_rate_hz, source.info.meta, exercise=meta.exercise)
    session = Session(source, engine)
    if on_event is not None:
        session.subscribe(on_event)
    if out is not None:
        session.subscribe(printer(session, out))
    session.start_recording(path)
    if duration_s is not None:
        asyncio.get_running_loop().call_later(duration_s, stop.set)
    running = asyncio.ensure_future(session.run())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
        session.stop()
        summary = await running
    finally:
        stopping.cancel()
        if not running.done():
            running.cancel()
    recorded = summary.recordings[-1] if summary.recordings else None
    if recorded is not None and recorded.error:
        raise ImuAppError(f"the recording stopped: {recorded.error}")
    if summary.source_error:
        log.warning("%s", summary.source_error)
    return RecordResult(
        path, summary.n_samples, summary.n_samples / config.rate.hz, source.health, summary.health
    )


def _stop_event(duration_s: float | None) -> asyncio.Event:
    """An event set by Ctrl-C (SIGINT/SIGTERM) or after ``duration_s``."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
            loop.add_signal_handler(sig, stop.set)
    if duration_s is not None:
        loop.call_later(duration_s, stop.set)
    return stop


@contextlib.asynccontextmanager
async def open_central(adapter: str | None) -> AsyncIterator[Central]:
    """The Bluetooth central ``record`` connects through (the tests put a virtual link here)."""
    yield BleakCentral(adapter)


def _cmd_record(args: argparse.Namespace) -> int:
    if args.output.exists() and not args.force:
        raise ImuAppError(f"{args.output} exists; pass --force to overwrite it")
    config = StreamConfig(rate=SampleRate.from_hz(args.rate))
    meta = RecordingMeta(leg=args.leg, exercise=args.exercise, athlete=args.athlete, placement=args.placement)

    async def run() -> RecordResult:
        stop = _stop_event(None)
        print(f"connecting to {args.device} ...", file=sys.stderr, flush=True)
        async with open_central(args.adapter) as central:
            return await record_session(
                central,
                args.device,
                args.output,
                config=config,
                meta=meta,
                stop=stop,
                scan_timeout_s=args.scan_timeout,
                duration_s=args.duration,
                out=sys.stdout,
            )

    started = time.monotonic()
    result = asyncio.run(run())
    h = result.health
    print(
        f"wrote {result.path}: {result.n_samples} samples, {result.duration_s:.1f} s at {args.rate} Hz in "
        f"{time.monotonic() - started:.0f} s; lost {h.lost_packets} packets ({h.lost_samples} samples), "
        f"{h.bad_packets} bad packets, {h.reconnects} reconnects",
        file=sys.stderr,
    )
    if args.athlete and not args.no_history and result.n_samples:
        _save_to_history(args, result.path)
    return 0


def _save_to_history(args: argparse.Namespace, path: Path) -> None:
    """Save the recording as a session of ``--athlete``; say where, or why not (the file is kept)."""
    db = args.db or default_db_path()
    try:
        item = save_recorded_session(db, path, athlete=args.athlete, exercise=args.exercise, leg=args.leg)
    except ImuAppError as exc:
        raise ImuAppError(f"{path} is kept but was not saved to the history at {db}: {exc}") from exc
    if item.status == "failed":
        raise ImuAppError(f"{path} is kept but was not saved to the history at {db}: {item.message}")
    print(f"saved to the history at {db}: {item.message}", file=sys.stderr)


# -------------------------------------------------------------------------------------------------- emulate
def _cmd_emulate(args: argparse.Namespace) -> int:
    if args.recording is not None:
        data = load(args.recording)
        samples_at = samples_from_recording(data)
        rate = SampleRate.from_hz(data.sample_rate_hz)
        what = f"{args.recording} at {data.sample_rate_hz:g} Hz"
    else:
        exercise = args.exercise or "pogo_hops"
        samples_at = samples_from_simulator(exercise, seed=args.seed)
        rate = SampleRate.HZ_833
        what = f"the simulator's {exercise} (seed {args.seed}) at the rate the app asks for"

    def ready(sensor) -> None:
        print(
            f"{sensor.name} ({sensor.address}) advertising on {args.transport}, streaming {what}", flush=True
        )
        print("stop with Ctrl-C", file=sys.stderr, flush=True)

    async def run() -> None:
        await run_emulator(
            args.transport,
            samples_at,
            address=args.address,
            stop=_stop_event(args.duration),
            on_ready=ready,
            rate=rate,
        )

    asyncio.run(run())
    return 0
