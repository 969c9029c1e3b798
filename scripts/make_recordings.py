"""Regenerate the example recordings in ``recordings/`` from the simulator, deterministically.

Run from the project root: ``python scripts/make_recordings.py [--out recordings]``. Each exercise gets
``NAME.csv`` (native format) and ``NAME.truth.json`` beside it. Rates, mountings and link conditions vary
across the files so that the set exercises the loaders and analyses the way real sensors would.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imu_app.recordings import write_native
from imu_app.sim import EXERCISES, SensorParams, simulate, write_truth

log = logging.getLogger("make_recordings")


@dataclass(frozen=True)
class Example:
    name: str
    exercise: str
    sensor: SensorParams
    seed: int
    options: dict[str, Any] = field(default_factory=dict)
    purpose: str = ""


EXAMPLES = (
    Example(
        "pogo_hops",
        "pogo_hops",
        SensorParams(sample_rate_hz=1000.0, placement="foot"),
        101,
        {"n_sets": 1, "reps": 16},
        "one set of 16 pogo hops at 1 kHz, sensor on the shoe: contact/flight times, RSI",
    ),
    Example(
        "lateral_hops",
        "lateral_hops",
        SensorParams(sample_rate_hz=833.0, mounting=(0.0, 0.0, 180.0), placement="foot"),
        102,
        {"reps": 5},
        "5 lateral hops, sensor mounted upside down (yaw 180 deg)",
    ),
    Example(
        "forward_hop_hold",
        "forward_hop_hold",
        SensorParams(sample_rate_hz=208.0, timestamp_jitter_s=0.0005),
        103,
        {"reps": 3, "hold_failure": ["stumble"]},
        "3 hop-and-hold landings, one ends in a stumble; jittered timestamps",
    ),
    Example(
        "leap_and_hop",
        "leap_and_hop",
        SensorParams(sample_rate_hz=416.0, mounting="random", placement="foot"),
        104,
        {},
        "leap landing + hold, then 8 hops; random mounting",
    ),
    Example(
        "step_hop",
        "step_hop",
        SensorParams(sample_rate_hz=833.0, packet_loss=0.002, samples_per_packet=4, placement="foot"),
        105,
        {"reps": 2},
        "platform landing, hop off, 3 fast hops; a few lost BLE packets (gaps)",
    ),
    Example(
        "drop_jump",
        "drop_jump",
        SensorParams(sample_rate_hz=1000.0, acc_range_g=8.0, placement="foot"),
        106,
        {"reps": 2, "box_height_m": 0.4, "rest_s": (8.0, 10.0)},
        "2 drop jumps from 40 cm with a +-8 g accelerometer: landings clip",
    ),
    Example(
        "squat_drop",
        "squat_drop",
        SensorParams(sample_rate_hz=104.0, mounting=(10.0, -15.0, 20.0)),
        107,
        {"reps": 3, "hold_failure": ["other_foot"]},
        "3 squat drops with holds, one cut short; tilted mount",
    ),
    Example(
        "eccentric_calf_raise",
        "eccentric_calf_raise",
        SensorParams(sample_rate_hz=104.0),
        108,
        {"reps": 10, "partial_reps": 1},
        "10 eccentric calf raises (1-0-3-2), straight/bent alternating, 1 partial",
    ),
    Example(
        "single_leg_calf_raise",
        "single_leg_calf_raise",
        SensorParams(sample_rate_hz=52.0, with_gyro=False),
        109,
        {"n_sets": 1, "reps": 15},
        "15 single-leg calf raises, accelerometer only at 52 Hz",
    ),
    Example(
        "walking",
        "walking",
        SensorParams(sample_rate_hz=104.0, clock_drift_ppm=150.0),
        110,
        {"duration_s": 40.0, "leg": "left"},
        "40 s walking, left leg, sensor clock 150 ppm fast",
    ),
    Example(
        "running",
        "running",
        SensorParams(sample_rate_hz=416.0),
        111,
        {"duration_s": 40.0},
        "40 s running at about 3 m/s",
    ),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "recordings")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    missing = set(EXERCISES) - {e.exercise for e in EXAMPLES}
    if missing:
        raise SystemExit(f"no example for {sorted(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for ex in EXAMPLES:
        sim = simulate(ex.exercise, ex.sensor, seed=ex.seed, **ex.options)
        csv = args.out / f"{ex.name}.csv"
        write_native(csv, sim.data)
        write_truth(args.out / f"{ex.name}.truth.json", sim.truth)
        log.info(
            "%s: %d samples at %g Hz, %.0f s, %d kB",
            csv.name,
            len(sim.data),
            ex.sensor.sample_rate_hz,
            sim.data.duration_s,
            csv.stat().st_size // 1024,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
