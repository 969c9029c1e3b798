"""Speed of the whole analysis (``analyse``) on 1, 10 and 60 min at 1 kHz, tiling a simulated session.

Run: ``.venv/bin/python benchmarks/bench_analysis_speed.py``; writes ``benchmarks/results/analysis_speed.md``.
Reports the median of repeated runs for ``analyse`` (all analyses), the contact detector alone, and
``estimate_gravity`` with and without the gyroscope (used by the landing and calf-raise analyses); then
``analyse`` on an hour of each kind of exercise, since the exercise decides which analyses run.

Shared machines run at different speeds from one hour to the next (the same code has measured 1.6 times
slower on this one). So each hour's timing sits beside that of a fixed reference workload measured just
before each run (:func:`reference_workload`), and the median ratio of the pairs is what compares across
runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from imu_app.analysis import AnalysisOptions, analyse, estimate_gravity
from imu_app.analysis._contacts import contacts_from_data
from imu_app.core import ImuData, RecordingMeta
from imu_app.sim import SensorParams, simulate

OUT = Path(__file__).resolve().parent / "results" / "analysis_speed.md"
PER_EXERCISE = (
    "pogo_hops",
    "forward_hop_hold",
    "squat_drop",
    "eccentric_calf_raise",
    "single_leg_calf_raise",
    "walking",
    "running",
)


def tiled(base: ImuData, minutes: float) -> ImuData:
    n_target = int(minutes * 60 * 1000)
    reps = -(-n_target // len(base))
    acc = np.tile(base.acc_g, (reps, 1))[:n_target]
    gyr = None if base.gyr_dps is None else np.tile(base.gyr_dps, (reps, 1))[:n_target]
    t = np.arange(n_target) / 1000.0
    return ImuData(t_s=t, acc_g=acc, gyr_dps=gyr, meta=RecordingMeta(sample_rate_hz=1000.0))


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def reference_workload(x: np.ndarray) -> None:
    """A fixed numpy workload of the kind the analyses do, on one hour of 1 kHz samples: a sort, a
    running sum and a real FFT."""
    np.sort(x)
    np.cumsum(x)
    np.fft.rfft(x)


def paired(fn, repeats: int, x: np.ndarray) -> tuple[float, float, float]:
    """Medians of ``fn``'s time, of the reference workload's time measured just before each run, and of
    the ratios of the pairs (s, s, -)."""
    runs, refs = [], []
    for _ in range(repeats):
        refs.append(median_time(lambda: reference_workload(x), 1))
        runs.append(median_time(fn, 1))
    ratios = np.array(runs) / np.array(refs)
    return float(np.median(runs)), float(np.median(refs)), float(np.median(ratios))


def events_found(report) -> int:
    """Contacts (hops' and strides'), landing holds and calf raises in a report."""
    return len(report.contacts) + len(report.landings) + len(report.calf_raises.reps)


def main() -> None:
    base = simulate(
        "pogo_hops", SensorParams(sample_rate_hz=1000, mounting="random", with_gyro=True), seed=0
    ).data
    lines = [
        "# Analysis speed (1 kHz pogo hops with gyro, tiled; median of repeats; 2-core machine)",
        "",
        "| duration | samples | analyse() s | contact detector s | estimate_gravity s (gyro) | (acc only) |",
        "|---|---|---|---|---|---|",
    ]
    for minutes in (1, 10, 60):
        data = tiled(base, minutes)
        rep = 5 if minutes < 60 else 3
        opts = AnalysisOptions(exercise="pogo_hops")
        t_all = median_time(lambda d=data, o=opts: analyse(d, o), rep)
        t_c = median_time(lambda d=data: contacts_from_data(d), rep)
        t_g = median_time(lambda d=data: estimate_gravity(d.t_s, d.acc_g, d.gyr_dps), rep)
        t_a = median_time(lambda d=data: estimate_gravity(d.t_s, d.acc_g), rep)
        lines.append(f"| {minutes} min | {len(data)} | {t_all:.3f} | {t_c:.3f} | {t_g:.3f} | {t_a:.3f} |")
        print(lines[-1])
    lines += [
        "",
        "## All analyses together, per exercise (60 min at 1 kHz with gyro, tiled; median of 5)",
        "",
        "Given: the exercise is in the options, and decides which analyses run. Recognised: no exercise",
        "given, so activity recognition cuts the hour into bouts and each bout gets its analysis (the case",
        "of a file without metadata).",
        "",
        "Reference: `reference_workload` on 3.6 million random samples, measured just before each run of",
        "the analysis; the ratio columns are the median of the runs' times in units of it.",
        "",
        "| exercise | samples | given s | events | recognised s | events | reference s "
        "| given / reference | recognised / reference |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    noise = np.random.default_rng(0).normal(size=3_600_000)
    for exercise in PER_EXERCISE:
        base = simulate(exercise, SensorParams(sample_rate_hz=1000, mounting="random"), seed=5).data
        data = tiled(base, 60)
        cells = []
        for opts in (AnalysisOptions(exercise=exercise), AnalysisOptions()):
            t_all, t_ref, ratio = paired(lambda d=data, o=opts: analyse(d, o), 5, noise)
            cells.append((t_all, events_found(analyse(data, opts)), t_ref, ratio))
        (t_g, n_g, ref_g, r_g), (t_r, n_r, ref_r, r_r) = cells
        lines.append(
            f"| {exercise} | {len(data)} | {t_g:.3f} | {n_g} | {t_r:.3f} | {n_r} | "
            f"{np.median([ref_g, ref_r]):.3f} | {r_g:.1f} | {r_r:.1f} |"
        )
        print(lines[-1])
    text = "\n".join(lines)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
