"""Entry point of ``imu-app``: parse the command line, run one command, turn errors into messages.

Errors a user can cause (a bad file, a bad option) are printed to stderr as one line, without a traceback,
and the exit status says what kind of failure it was.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import imu_app
from imu_app.analysis import AnalysisOptions, analyse
from imu_app.cli._devices import add_device_commands
from imu_app.cli._format import FORMATTERS
from imu_app.cli._history import add_history_commands
from imu_app.cli._live import parse_speed, run_live
from imu_app.core import EXERCISE_NAMES, ImuAppError, ImuData
from imu_app.recordings import load, write_native
from imu_app.sim import PLACEMENTS, SensorParams, exercise_options, simulate, write_truth

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_ERROR = 1  # the input or the options could not be used; the message says why
EXIT_USAGE = 2  # argparse's own status for a malformed command line

log = logging.getLogger(__name__)

#: The recordings that ship with the project (present in a source checkout).
BUNDLED_RECORDINGS = Path(__file__).resolve().parents[2] / "recordings"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="imu-app",
        description=(
            "Ankle IMU analysis for runners and coaches: ground-contact and flight times, jump height and "
            "reactive strength of every hop, landing holds, calf-raise reps and tempo."
        ),
        epilog="Run 'imu-app COMMAND --help' for the options of one command.",
    )
    p.add_argument("--version", action="version", version=f"imu-app {imu_app.__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log what is being done to stderr")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser(
        "analyse",
        aliases=["analyze"],
        help="analyse a recording and print its report",
        description=(
            "Analyse a recording (native CSV or another tool's export, detected from its header) and print "
            "the report: sets, then every contact, landing hold and calf raise. Several files are parts of "
            "one recording, e.g. MbientLab accelerometer and gyroscope exports."
        ),
    )
    a.add_argument("files", nargs="+", type=Path, metavar="FILE")
    a.add_argument("--format", "-f", choices=sorted(FORMATTERS), default="table", help="output format")
    a.add_argument(
        "--exercise",
        "-e",
        choices=EXERCISE_NAMES,
        metavar="EXERCISE",
        help="exercise performed, one of: "
        + ", ".join(EXERCISE_NAMES)
        + " (default: from the recording's metadata)",
    )
    a.add_argument("--leg", choices=["left", "right"], help="instrumented leg (default: from the metadata)")
    a.add_argument(
        "--hold-target",
        type=float,
        metavar="S",
        help="landing hold asked for, in s (default: the exercise's, 5 s for the hop and hold)",
    )
    a.add_argument(
        "--tempo",
        type=_tempo,
        metavar="RISE-TOP-LOWER-PAUSE",
        help=(
            "calf-raise tempo to judge reps against, in s (default: 1-0-3-2 for the eccentric raise, "
            "else each set's opening reps)"
        ),
    )
    a.add_argument("--output", "-o", type=Path, help="write the report to this file instead of stdout")
    a.set_defaults(run=_cmd_analyse)

    r = sub.add_parser(
        "replay",
        help="run a recording through the live pipeline, printing events as they happen",
        description=(
            "Replay a recording (any format 'analyse' reads) as a sensor would stream it, through the same "
            "pipeline as a live session: each contact, hold, rep and set is printed as soon as it is "
            "decided, with a line of link health every few seconds."
        ),
    )
    r.add_argument("files", nargs="+", type=Path, metavar="FILE")
    r.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        metavar="N|max",
        help="1 is real time (default), 10 ten times faster, 'max' as fast as possible",
    )
    r.add_argument("--record", type=Path, metavar="OUT.csv", help="record the stream as a native CSV")
    r.add_argument("--force", action="store_true", help="overwrite the --record file if it exists")
    _analysis_options(r)
    r.set_defaults(run=_cmd_replay)

    g = sub.add_parser(
        "gui",
        help="open the desktop app (also what 'imu-app' alone does)",
        description=(
            "Open the desktop app: connect a sensor, watch the live view, run guided sets, replay and "
            "analyse recordings. --demo streams a bundled recording as a sensor would, and --demo sensor "
            "connects to an emulated sensor, so it works without hardware."
        ),
    )
    g.add_argument("files", nargs="*", type=Path, metavar="FILE", help="a recording to open on Replay")
    g.add_argument(
        "--demo",
        nargs="?",
        const="recording",
        choices=["recording", "sensor"],
        help=(
            "stream the bundled pogo-hop recording in a loop (default), or 'sensor': connect to the emulated "
            "sensor over an in-process Bluetooth link, as to a real one"
        ),
    )
    g.add_argument("--snapshot", type=Path, metavar="OUT.png", help="render the window to a PNG and exit")
    g.add_argument(
        "--after", type=float, default=3.0, metavar="S", help="seconds of streaming before the snapshot"
    )
    g.add_argument(
        "--screen",
        choices=["connect", "live", "training", "replay", "results", "history", "settings"],
        help="screen to show (default: live with --demo, replay with a FILE, else connect)",
    )
    g.set_defaults(run=_cmd_gui)

    i = sub.add_parser(
        "import",
        help="convert other tools' exports into the native recording format",
        description=(
            "Read one recording (MbientLab MetaBase, Polar Sensor Logger, phyphox, or a generic CSV with "
            "units in its header; several files are parts of one recording) and write it as a native "
            "imu-app CSV."
        ),
    )
    i.add_argument("files", nargs="+", type=Path, metavar="FILE")
    i.add_argument("--output", "-o", type=Path, required=True, help="native CSV to write")
    i.add_argument(
        "--exercise",
        "-e",
        choices=EXERCISE_NAMES,
        metavar="EXERCISE",
        help="exercise to note in the metadata",
    )
    i.add_argument("--leg", choices=["left", "right"], help="instrumented leg to note in the metadata")
    i.add_argument("--athlete", help="athlete to note in the metadata")
    i.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    i.set_defaults(run=_cmd_import)

    s = sub.add_parser(
        "simulate",
        help="write a simulated recording with its ground truth",
        description=(
            "Simulate an ankle IMU during one exercise of the programme and write the native CSV and, "
            "beside it, NAME.truth.json with the exact event times."
        ),
        epilog=_exercise_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("exercise", metavar="EXERCISE", help="one of: " + ", ".join(EXERCISE_NAMES))
    s.add_argument(
        "--output", "-o", type=Path, help="native CSV to write (with --live: record the stream to it)"
    )
    s.add_argument(
        "--live",
        action="store_true",
        help="stream the simulated sensor through the live pipeline, printing events as they happen",
    )
    s.add_argument(
        "--speed",
        type=parse_speed,
        default=1.0,
        metavar="N|max",
        help="with --live: 1 is real time (default), 'max' as fast as possible",
    )
    s.add_argument("--seed", type=int, default=0, help="random seed (same seed, same recording)")
    s.add_argument("--rate", type=float, dest="sample_rate_hz", help="sample rate in Hz (52-1666)")
    s.add_argument("--acc-range", type=float, dest="acc_range_g", help="accelerometer range in g")
    s.add_argument("--gyr-range", type=float, dest="gyr_range_dps", help="gyroscope range in deg/s")
    s.add_argument(
        "--no-gyro", action="store_false", dest="with_gyro", default=None, help="accelerometer-only sensor"
    )
    s.add_argument("--mounting", help="'lateral', 'random', or ROLL,PITCH,YAW in degrees")
    s.add_argument(
        "--placement",
        choices=[p.value for p in PLACEMENTS],
        help="where the sensor is worn: foot (on the shoe), ankle or shank (default ankle)",
    )
    s.add_argument("--jitter", type=float, dest="timestamp_jitter_s", help="timestamp jitter std in s")
    s.add_argument("--drift", type=float, dest="clock_drift_ppm", help="sensor clock drift in ppm")
    s.add_argument("--packet-loss", type=float, dest="packet_loss", help="probability a packet is lost")
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="exercise option, e.g. --set reps=20 --set n_sets=3 --set tempo=[1,0,3,2] (repeatable)",
    )
    s.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    s.set_defaults(run=_cmd_simulate)

    add_history_commands(sub, EXERCISE_NAMES)
    add_device_commands(sub)
    return p


def _analysis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--exercise",
        "-e",
        choices=EXERCISE_NAMES,
        metavar="EXERCISE",
        help="exercise performed (default: from the recording's metadata)",
    )
    p.add_argument("--leg", choices=["left", "right"], help="instrumented leg (default: from the metadata)")
    p.add_argument("--hold-target", type=float, metavar="S", help="landing hold asked for, in s")
    p.add_argument("--tempo", type=_tempo, metavar="RISE-TOP-LOWER-PAUSE", help="calf-raise tempo, in s")


def _tempo(text: str) -> tuple[float, float, float, float]:
    """``1-0-3-2`` (seconds of rise, top hold, lowering, bottom pause) as a tuple."""
    try:
        phases = tuple(float(x) for x in text.split("-"))
    except ValueError:
        phases = ()
    if len(phases) != 4 or min(phases) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected four durations in s, e.g. 1-0-3-2")
    return phases  # type: ignore[return-value]


def _exercise_help() -> str:
    """Each exercise's --set options with their defaults (a pair is a range drawn from per rep)."""
    lines = ["exercise options (--set KEY=VALUE; a [min,max] pair is a range drawn from per rep):"]
    for name in EXERCISE_NAMES:
        opts = ", ".join(
            f"{k}={json.dumps(list(v) if isinstance(v, tuple) else v)}"
            for k, v in exercise_options(name).items()
        )
        lines.append(f"  {name}: {opts}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``imu-app`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        return _cmd_gui(parser.parse_args(["gui"]))
    try:
        return int(args.run(args) or EXIT_OK)
    except ImuAppError as exc:
        print(f"imu-app: error: {exc}", file=sys.stderr)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"imu-app: error: {exc.filename}: {exc.strerror}", file=sys.stderr)
    except KeyboardInterrupt:
        print("imu-app: interrupted", file=sys.stderr)
    except BrokenPipeError:
        pass  # the reader of our output went away (e.g. `| head`); nothing more to say
    return EXIT_ERROR


def _load(files: Sequence[Path]) -> ImuData:
    return load(files[0] if len(files) == 1 else list(files))


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise ImuAppError(f"{path} exists; pass --force to overwrite it")


def _cmd_analyse(args: argparse.Namespace) -> int:
    data = _load(args.files)
    path = ", ".join(str(f) for f in args.files)
    options = AnalysisOptions(
        exercise=args.exercise, leg=args.leg, hold_target_s=args.hold_target, calf_tempo_s=args.tempo
    )
    report = analyse(data, options, path=path)
    text = FORMATTERS[args.format](report)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _cmd_replay(args: argparse.Namespace) -> int:
    if args.record is not None:
        _refuse_overwrite(args.record, args.force)
    data = _load(args.files)
    changes = {k: getattr(args, k) for k in ("exercise", "leg") if getattr(args, k)}
    if changes:
        data = _with_meta(data, **changes)
    for w in data.warnings:
        print(f"warning: {w}", file=sys.stderr)
    summary = run_live(
        data,
        name=", ".join(str(f) for f in args.files),
        speed=args.speed,
        record=args.record,
        exercise=args.exercise,
        hold_target_s=args.hold_target,
        calf_tempo_s=args.tempo,
    )
    return EXIT_ERROR if summary.source_error else EXIT_OK


def _cmd_gui(args: argparse.Namespace) -> int:
    from imu_app.gui import run  # Qt loads only for the desktop app

    if args.snapshot is not None and args.snapshot.suffix.lower() != ".png":
        raise ImuAppError(f"--snapshot {args.snapshot}: the snapshot is a PNG; name it OUT.png")
    return run(
        demo=args.demo, files=args.files, snapshot=args.snapshot, after_s=args.after, screen=args.screen
    )


def _cmd_import(args: argparse.Namespace) -> int:
    _refuse_overwrite(args.output, args.force)
    data = _load(args.files)
    changes = {k: getattr(args, k) for k in ("exercise", "leg", "athlete") if getattr(args, k)}
    if changes:
        data = _with_meta(data, **changes)
    write_native(args.output, data)
    rate = data.sample_rate_hz
    print(
        f"wrote {args.output}: {len(data)} samples, {data.duration_s:.1f} s at {rate:.4g} Hz, "
        f"{'acc + gyro' if data.has_gyro else 'accelerometer only'}, from {data.meta.source_format}",
        file=sys.stderr,
    )
    for w in data.warnings:
        print(f"  warning: {w}", file=sys.stderr)
    return EXIT_OK


def _with_meta(data: ImuData, **changes: str) -> ImuData:
    return dataclasses.replace(data, meta=data.meta.replace(**changes))


def _parse_value(text: str):
    """Read an option value as JSON (numbers, lists, true/false), else keep it as a string."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return tuple(value) if isinstance(value, list) else value


def _cmd_simulate(args: argparse.Namespace) -> int:
    if args.output is None and not args.live:
        raise ImuAppError("simulate needs --output FILE (or --live to stream the simulated sensor)")
    if args.output is not None:
        _refuse_overwrite(args.output, args.force)
    sensor_kw = {
        k: getattr(args, k)
        for k in (
            "sample_rate_hz",
            "acc_range_g",
            "gyr_range_dps",
            "with_gyro",
            "timestamp_jitter_s",
            "clock_drift_ppm",
            "packet_loss",
            "placement",
        )
        if getattr(args, k) is not None
    }
    if args.mounting:
        parts = args.mounting.split(",")
        if len(parts) == 3:
            try:
                sensor_kw["mounting"] = tuple(float(x) for x in parts)
            except ValueError:
                raise ImuAppError(f"--mounting {args.mounting!r}: ROLL,PITCH,YAW must be numbers") from None
        else:
            sensor_kw["mounting"] = args.mounting
    options = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ImuAppError(f"--set {item!r}: expected KEY=VALUE, e.g. --set reps=20")
        options[key.strip()] = _parse_value(value.strip())
    sim = simulate(args.exercise, SensorParams(**sensor_kw), seed=args.seed, **options)
    if args.live:
        summary = run_live(
            sim.data, name="simulator", speed=args.speed, record=args.output, exercise=args.exercise
        )
        return EXIT_ERROR if summary.source_error else EXIT_OK
    truth_path = args.output.with_name(args.output.stem + ".truth.json")
    write_native(args.output, sim.data)
    write_truth(truth_path, sim.truth)
    t = sim.truth
    print(
        f"wrote {args.output} ({len(sim.data)} samples, {sim.data.duration_s:.1f} s at "
        f"{sim.data.sample_rate_hz:.4g} Hz) and {truth_path} ({len(t.contacts)} contacts, "
        f"{len(t.landings)} landing holds, {len(t.calf_raises)} calf raises, {len(t.sets)} sets)",
        file=sys.stderr,
    )
    return EXIT_OK
