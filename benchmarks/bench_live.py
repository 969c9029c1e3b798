"""The live pipeline: replay equals offline, event latency, CPU share, memory, clock mapping.

Usage::

    python benchmarks/bench_live.py [--latency-s 60] [--cpu-s 60] [--memory-min 60] [--clock-h 1]
                                    [--out benchmarks/results/live.md]

1. ``replay --speed max`` of every bundled recording against ``analyse``: contacts (count, and every field
   to the microsecond), and the counts of holds (streamed, equal to offline by construction; every field is
   checked to the microsecond in ``tests/test_live.py``) and of calf raises (streamed too, likewise).
2. Event latency at 1 kHz paced in real time on the host's clock (simulated pogo hops): from the arrival of
   the chunk whose samples decided an event to its publication (p50, p99, max).
3. CPU share: 1666 Hz, 6 axes, paced in real time, recording to a temporary file and analysis on (process
   CPU time over wall time).
4. Memory: a replay of ``--memory-min`` minutes of hops (the bundled pogo hops tiled, 1 kHz) as fast as
   possible with recording and analysis on; resident set (VmRSS) at the start, halfway and the end.
5. Clock mapping: a simulated sensor 50 ppm fast, with arrivals 5 ms + uniform 0-20 ms after measurement,
   20-ms packets at 1 kHz, and a 16-bit millisecond counter (wraps every 65.5 s), through the session's
   sequencer and clock mapper: error of mapped time against the true measurement time (plus the constant
   5-ms floor, which no receiver can observe) over the whole run after the first two minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from imu_app.analysis import analyse  # noqa: E402
from imu_app.core import ImuData  # noqa: E402
from imu_app.live import (  # noqa: E402
    Chunk,
    ClockMapper,
    ContactDone,
    HoldEnded,
    Published,
    RepDone,
    ReplaySource,
    Sequencer,
    Session,
    SourceInfo,
    make_engine,
)
from imu_app.recordings import load  # noqa: E402
from imu_app.sim import SensorParams, simulate  # noqa: E402


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def _session(data: ImuData, speed: float | None, record: Path | None, on=None):
    source = ReplaySource(data, speed=speed)
    session = Session(source, make_engine(source.info.sample_rate_hz, data.meta))
    events: list[Published] = []
    session.subscribe(events.append)
    if on is not None:
        session.subscribe(on)
    if record is not None:
        session.start_recording(record)
    return session, events


def equality() -> list[str]:
    lines = [
        "| recording | contacts live / offline | identical (us) | holds live / offline "
        "| reps live / offline |",
        "|---|---|---|---|---|",
    ]
    for path in sorted((ROOT / "recordings").glob("*.csv")):
        data = load(path)
        session, events = _session(data, None, None)
        asyncio.run(session.run())
        live = [p.event.contact for p in events if isinstance(p.event, ContactDone)]
        report = analyse(data)
        off = report.contacts
        same = len(live) == len(off)
        for a, b in zip(live, off, strict=False):
            da, db = dataclasses.asdict(a), dataclasses.asdict(b)
            da.pop("set_index"), db.pop("set_index")
            for k, x in da.items():
                y = db[k]
                if isinstance(x, float) and isinstance(y, float):
                    same &= abs(x - y) <= 1e-6
                else:
                    same &= x == y
        holds = sum(isinstance(p.event, HoldEnded) for p in events)
        reps = sum(isinstance(p.event, RepDone) for p in events)
        lines.append(
            f"| {path.name} | {len(live)} / {len(off)} | {'yes' if same else 'NO'} | {holds} / "
            f"{len(report.landings)} | {reps} / {len(report.calf_raises.reps)} |"
        )
    return lines


def latency(seconds: float) -> list[str]:
    sim = simulate("pogo_hops", SensorParams(sample_rate_hz=1000.0), seed=1)
    data = sim.data
    n = min(len(data), int(seconds * 1000))
    data = data.slice(0, n)
    session, events = _session(data, 1.0, None)
    asyncio.run(session.run())
    lat = np.array([p.latency_s for p in events if isinstance(p.event, ContactDone)]) * 1000
    return [
        f"1 kHz pogo hops (simulated, seed 1), {data.duration_s:.0f} s paced in real time on the host's "
        "clock, "
        f"{lat.size} contacts: latency from the deciding chunk's arrival to publication p50 "
        f"{np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms, max {lat.max():.2f} ms."
    ]


def cpu(seconds: float) -> list[str]:
    sim = simulate("pogo_hops", SensorParams(sample_rate_hz=1666.0), seed=2)
    data = sim.data.slice(0, min(len(sim.data), int(seconds * 1666)))
    with tempfile.TemporaryDirectory() as tmp:
        session, _ = _session(data, 1.0, Path(tmp) / "rec.csv")
        wall0, cpu0 = time.perf_counter(), time.process_time()
        asyncio.run(session.run())
        wall, cpu_s = time.perf_counter() - wall0, time.process_time() - cpu0
    return [
        f"1666 Hz, 6 axes, simulated pogo hops, {data.duration_s:.0f} s paced in real time, 20-ms chunks, "
        f"recording and analysis on: {100 * cpu_s / wall:.1f} % of one core ({cpu_s:.1f} s CPU in "
        f"{wall:.1f} s)."
    ]


def engine_cpu(seconds: float) -> list[str]:
    """CPU time of the analysis engine alone per 20-ms chunk of 1666 Hz walking and running (simulated,
    fed as fast as possible), and the longest a stride waited after its toe-off (sensor time)."""
    lines = [
        "| gait | chunks | engine CPU per chunk mean / p99 / max ms | share of one core at real time "
        "| strides | wait after toe-off median / max s |",
        "|---|---|---|---|---|---|",
    ]
    rate = 1666.0
    n = int(0.02 * rate)
    for gait in ("walking", "running"):
        sim = simulate(gait, SensorParams(sample_rate_hz=rate, mounting="random"), seed=3, duration_s=seconds)
        d = sim.data
        engine = make_engine(rate, d.meta.replace(exercise=gait))
        per_chunk, waits, strides = [], [], 0
        for i in range(0, len(d), n):
            chunk = Chunk(
                t_s=d.t_s[i : i + n],
                acc_g=d.acc_g[i : i + n],
                gyr_dps=d.gyr_dps[i : i + n],
                seq=None,
                arrival_s=0.0,
            )
            c0 = time.process_time()
            events = engine.feed(chunk)
            per_chunk.append(time.process_time() - c0)
            for ev in events:
                if isinstance(ev, ContactDone) and ev.contact.takeoff_s is not None:
                    strides += 1
                    waits.append(float(chunk.t_s[-1] - d.t_s[0]) - ev.contact.takeoff_s)
        ms = 1000 * np.array(per_chunk)
        lines.append(
            f"| {gait} | {ms.size} | {ms.mean():.3f} / {np.percentile(ms, 99):.3f} / {ms.max():.2f} | "
            f"{100 * ms.sum() / 1000 / d.duration_s:.2f} % | {strides} | "
            f"{np.median(waits):.2f} / {max(waits):.2f} |"
        )
    return [
        f"The analysis engine alone (`make_engine` for the gait, chunks fed directly), {seconds:.0f} s of "
        "simulated gait at 1666 Hz with gyroscope in 20-ms chunks, process CPU time per chunk. The first "
        "strides wait for the stream to settle its axis on the first gait, hence the largest wait.",
        "",
        *lines,
    ]


def memory(minutes: float) -> list[str]:
    base = load(ROOT / "recordings" / "pogo_hops.csv")
    reps = math.ceil(minutes * 60 / base.duration_s)
    period = base.duration_s + 1.0 / base.sample_rate_hz
    t = np.concatenate([base.t_s + i * period for i in range(reps)])
    data = ImuData(
        t_s=t,
        acc_g=np.tile(base.acc_g, (reps, 1)),
        gyr_dps=np.tile(base.gyr_dps, (reps, 1)),
        meta=base.meta,
    )
    marks: dict[str, float] = {}
    total = data.duration_s

    def on(p: Published) -> None:
        for frac, name in ((0.0, "start"), (0.5, "half"), (1.0 - 1e-3, "end")):
            if name not in marks and p.event.t_s >= frac * total:
                marks[name] = _rss_mb()

    with tempfile.TemporaryDirectory() as tmp:
        session, events = _session(data, None, Path(tmp) / "rec.csv", on=on)
        events_list = events
        wall0 = time.perf_counter()
        asyncio.run(session.run())
        wall = time.perf_counter() - wall0
    n_contacts = sum(isinstance(p.event, ContactDone) for p in events_list)
    del events_list
    return [
        f"{total / 60:.0f} min at 1 kHz (bundled pogo hops tiled, {n_contacts} contacts), as fast as "
        "possible "
        f"({wall:.0f} s), recording and analysis on; the input array itself is "
        f"{(data.t_s.nbytes + data.acc_g.nbytes + data.gyr_dps.nbytes) / 2**20:.0f} MB. "
        f"RSS at the start {marks.get('start', math.nan):.0f} MB, "
        f"halfway {marks.get('half', math.nan):.0f} MB, "
        f"at the end {marks.get('end', math.nan):.0f} MB (the subscriber keeps every event)."
    ]


def clock(hours: float) -> list[str]:
    rng = np.random.default_rng(7)
    rate, per, wrap = 1000.0, 20, 65.536
    info = SourceInfo(name="sim", sample_rate_hz=rate, clock_wrap_s=wrap)
    seq, mapper = Sequencer(info), ClockMapper()
    n_packets = int(hours * 3600 * rate / per)
    errs = np.empty(n_packets)
    k = 0
    host0 = 5000.0
    for i in range(n_packets):
        true_host = host0 + (i + 1) * per / rate
        t_sensor = ((i * per + np.arange(per) + 1) / rate) * (1 + 50e-6)
        arrival = true_host + 0.005 + rng.uniform(0.0, 0.020)
        for c in seq.push(Chunk(np.mod(t_sensor, wrap), np.zeros((per, 3)), None, None, arrival)):
            mapper.update(float(c.t_s[-1]), c.arrival_s)
            if (i + 1) * per / rate > 120.0:
                errs[k] = float(mapper.mapping.to_host(c.t_s[-1])) - (true_host + 0.005)
                k += 1
    errs = np.abs(errs[:k]) * 1000
    return [
        f"{hours:g} h simulated, 50 ppm fast, arrivals 5 ms + U(0, 20 ms), 16-bit ms counter "
        f"({seq.counts.wraps} "
        f"wraps): error of mapped time after the first 2 min: median {np.median(errs):.2f} ms, p99 "
        f"{np.percentile(errs, 99):.2f} ms, max {errs.max():.2f} ms; drift estimated "
        f"{mapper.mapping.drift_ppm:+.1f} ppm (true: the sensor runs 50 ppm fast, host per sensor second "
        f"{1 / (1 + 50e-6) - 1:+.2e}); residual {mapper.mapping.residual_ms:.2f} ms."
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency-s", type=float, default=60.0)
    ap.add_argument("--cpu-s", type=float, default=60.0)
    ap.add_argument("--memory-min", type=float, default=60.0)
    ap.add_argument("--clock-h", type=float, default=1.0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "live.md")
    args = ap.parse_args()
    out = [
        "# Live pipeline",
        "",
        f"`python benchmarks/bench_live.py --latency-s {args.latency_s:g} --cpu-s {args.cpu_s:g} "
        f"--memory-min {args.memory_min:g} --clock-h {args.clock_h:g}` on {platform.machine()}, Python "
        f"{platform.python_version()}, a 2-core machine shared with other work.",
        "",
    ]
    for title, fn in (
        ("Replay at max speed against analyse()", equality),
        ("Event latency", lambda: latency(args.latency_s)),
        ("CPU share", lambda: cpu(args.cpu_s)),
        ("Engine CPU per chunk: walking and running", lambda: engine_cpu(args.cpu_s)),
        ("Memory", lambda: memory(args.memory_min)),
        ("Clock mapping", lambda: clock(args.clock_h)),
    ):
        print(f"{title} ...", file=sys.stderr, flush=True)
        out += [f"## {title}", "", *fn(), ""]
        args.out.write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
