"""Realism of the simulator: real shoe-worn drop jumps beside simulated ones, as distributions of |a|.

Real data: ``../shared/data/jmu-dropjump/Accel1..5.csv`` (an MbientLab accelerometer on the shoe, about
400 Hz, +-16 g, no gyroscope; force-plate contact and flight time of each rebound in
``force_plate_reference.json``). The files are read here with pandas directly (columns ``elapsed (s)`` and
``x/y/z-axis (g)``), not through the app's importer.

Simulated data: ``drop_jump`` with the sensor on the shoe at 400 Hz, accelerometer only, +-16 g, box height,
contact and flight times drawn around the real athlete's; instants from the simulator's truth.

Reference instants on the real signal (nothing from the app's contact detector):

* **impact onset** (a landing): the first sample of the steep rise into an impact, i.e. the last sample
  before the first increase of at least ``STEEP_G`` g from one sample to the next that leads, rising all the
  way, to the first sample above ``IMPACT_G`` g. Resolution one sample (2.5 ms); it marks the instant by which
  the contact has begun.
* **rebound landing** = the onset of the second impact of the trial;
* **take-off** = rebound landing minus the force plate's flight time;
* **box landing** = take-off minus the force plate's contact time (the onset of the first impact is reported
  beside it as a check of the procedure: the two agree within a few samples).

Measures, real and simulated alike: |a| in flight against normalised flight time (median and 10-90 % band),
|a| from -100 to +100 ms around take-off, |a| from -20 to +150 ms around the rebound landing, impact peak
(largest |a| within 30 ms of the onset) and rise time (10-90 % of the first monotonic rise from the onset;
at 400 Hz a rise of one sample reads as about 2 ms). Run:
``PYTHONPATH=. .venv/bin/python benchmarks/bench_realism.py``; writes ``benchmarks/results/realism.md`` and
``benchmarks/results/realism.png``. matplotlib is needed (the ``bench`` extra).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from imu_app.sim import SensorParams, simulate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "jmu-dropjump"
OUT_MD = ROOT / "benchmarks" / "results" / "realism.md"
OUT_PNG = ROOT / "benchmarks" / "results" / "realism.png"
RATE_HZ = 400.0
IMPACT_G = 12.0
STEEP_G = 1.0
PEAK_WINDOW_S = 0.03
PHASE = np.linspace(0.0, 1.0, 61)
AROUND_TAKEOFF_S = np.arange(-0.100, 0.1001, 0.0025)
AFTER_LANDING_S = np.arange(-0.020, 0.1501, 0.0025)
SIM_SEEDS = (1, 2, 3)
SIM_OPTIONS = {
    "reps": 5,
    "box_height_m": 0.35,
    "contact_time_ms": (420.0, 540.0),
    "flight_time_ms": (305.0, 325.0),
    "rest_s": (4.0, 6.0),
    "lead_in_s": 2.0,
}


@dataclass(frozen=True)
class Trial:
    """One drop jump: |a| over time and its three instants (s, on the trial's own clock)."""

    name: str
    t_s: np.ndarray
    mag_g: np.ndarray
    box_landing_s: float
    takeoff_s: float
    landing_s: float


def impact_onsets(t_s: np.ndarray, mag_g: np.ndarray) -> list[float]:
    """Onset of every impact (see the module docstring), impacts at least 0.2 s apart."""
    onsets: list[float] = []
    above = np.flatnonzero(mag_g >= IMPACT_G)
    last = -np.inf
    for i in above:
        if t_s[i] - last < 0.2:
            continue
        j = i
        while j > 0 and mag_g[j] - mag_g[j - 1] >= STEEP_G:
            j -= 1
        onsets.append(float(t_s[j]))
        last = t_s[i]
    return onsets


def real_trials() -> tuple[list[Trial], list[float]]:
    ref = json.loads((DATA / "force_plate_reference.json").read_text())
    trials, checks = [], []
    for k in range(1, 6):
        df = pd.read_csv(DATA / f"Accel{k}.csv")
        t = df["elapsed (s)"].to_numpy(float)
        t = t - t[0]
        mag = np.linalg.norm(df[["x-axis (g)", "y-axis (g)", "z-axis (g)"]].to_numpy(float), axis=1)
        onsets = impact_onsets(t, mag)
        landing = onsets[1]
        takeoff = landing - ref[str(k)]["flight_time_s"]
        box = takeoff - ref[str(k)]["contact_time_s"]
        checks.append(1000.0 * (onsets[0] - box))
        trials.append(Trial(f"real {k}", t, mag, box, takeoff, landing))
    return trials, checks


def sim_trials() -> list[Trial]:
    sensor = SensorParams(sample_rate_hz=RATE_HZ, with_gyro=False, acc_range_g=16.0, placement="foot")
    trials = []
    for seed in SIM_SEEDS:
        sim = simulate("drop_jump", sensor, seed=seed, **SIM_OPTIONS)
        t = sim.data.t_s - sim.data.t_s[0]
        mag = np.linalg.norm(sim.data.acc_g, axis=1)
        contacts = sim.truth.contacts
        for i, c in enumerate(contacts[:-1]):
            if c.role == "rebound":
                trials.append(
                    Trial(f"sim {seed}.{i}", t, mag, c.landing_s, c.takeoff_s, contacts[i + 1].landing_s)
                )
    return trials


def resample(trial: Trial, at_s: np.ndarray) -> np.ndarray:
    return np.interp(at_s, trial.t_s, trial.mag_g)


def flight_profile(trial: Trial) -> np.ndarray:
    return resample(trial, trial.takeoff_s + PHASE * (trial.landing_s - trial.takeoff_s))


def impact(trial: Trial, onset_s: float) -> tuple[float, float]:
    """Peak |a| (g) within 30 ms of the onset and the 10-90 % rise time (ms) of the first rise."""
    i0 = int(np.searchsorted(trial.t_s, onset_s - 1e-9))
    m, t = trial.mag_g, trial.t_s
    window = (t >= onset_s) & (t <= onset_s + PEAK_WINDOW_S)
    peak = float(m[window].max())
    top = i0
    while top + 1 < m.size and m[top + 1] > m[top]:
        top += 1
    base, high = m[i0], m[top]
    rise = m[i0 : top + 1]
    tt = t[i0 : top + 1]
    lo_s = np.interp(base + 0.1 * (high - base), rise, tt)
    hi_s = np.interp(base + 0.9 * (high - base), rise, tt)
    return peak, 1000.0 * (hi_s - lo_s)


def band(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.median(rows, axis=0), np.percentile(rows, 10, axis=0), np.percentile(rows, 90, axis=0)


def summary(trials: list[Trial]) -> dict[str, object]:
    flights = np.array([flight_profile(x) for x in trials])
    takeoffs = np.array([resample(x, x.takeoff_s + AROUND_TAKEOFF_S) for x in trials])
    landings = np.array([resample(x, x.landing_s + AFTER_LANDING_S) for x in trials])
    box = [impact(x, x.box_landing_s) for x in trials]
    reb = [impact(x, x.landing_s) for x in trials]
    dense = [x.mag_g[(x.t_s > x.takeoff_s) & (x.t_s < x.landing_s)] for x in trials]
    return {
        "flight": band(flights),
        "takeoff": band(takeoffs),
        "landing": band(landings),
        "box_peak": np.array([p for p, _ in box]),
        "box_rise": np.array([r for _, r in box]),
        "peak": np.array([p for p, _ in reb]),
        "rise": np.array([r for _, r in reb]),
        "below_04": np.array([np.mean(d < 0.4) for d in dense]),
        "below_04_ms": np.array([1000.0 * np.sum(d < 0.4) / RATE_HZ for d in dense]),
        "flight_ms": np.array([1000.0 * (x.landing_s - x.takeoff_s) for x in trials]),
        "contact_ms": np.array([1000.0 * (x.takeoff_s - x.box_landing_s) for x in trials]),
        "n": len(trials),
    }


def _fmt(x: np.ndarray, digits: int = 1) -> str:
    return f"{np.median(x):.{digits}f} ({np.min(x):.{digits}f}-{np.max(x):.{digits}f})"


def table(real: dict, sim: dict, checks: list[float]) -> str:
    lines = [
        "# Realism: real shoe-worn drop jumps vs simulated (shoe, 400 Hz, accelerometer only)",
        "",
        "Written by `benchmarks/bench_realism.py` (reference instants on the real signal: its docstring).",
        f"Real: {real['n']} rebounds (5 trials); simulated: {sim['n']} rebounds (seeds {SIM_SEEDS}).",
        "Figures: median (min-max) over trials; |a| bands are median [10 %, 90 %] across trials.",
        "",
        "| measure | real | simulated |",
        "|---|---|---|",
        f"| rebound contact time (ms) | {_fmt(real['contact_ms'], 0)} | {_fmt(sim['contact_ms'], 0)} |",
        f"| flight time (ms) | {_fmt(real['flight_ms'], 0)} | {_fmt(sim['flight_ms'], 0)} |",
        f"| flight time below 0.4 g (ms) | {_fmt(real['below_04_ms'], 0)} | {_fmt(sim['below_04_ms'], 0)} |",
        f"| flight share below 0.4 g | {_fmt(real['below_04'], 2)} | {_fmt(sim['below_04'], 2)} |",
        f"| box-landing impact peak (g) | {_fmt(real['box_peak'])} | {_fmt(sim['box_peak'])} |",
        f"| box-landing rise time 10-90 % (ms) | {_fmt(real['box_rise'])} | {_fmt(sim['box_rise'])} |",
        f"| rebound-landing impact peak (g) | {_fmt(real['peak'])} | {_fmt(sim['peak'])} |",
        f"| rebound-landing rise time 10-90 % (ms) | {_fmt(real['rise'])} | {_fmt(sim['rise'])} |",
    ]
    for label, key, grid, scale in (
        ("flight, phase", "flight", PHASE, 1.0),
        ("take-off, ms", "takeoff", AROUND_TAKEOFF_S, 1000.0),
        ("rebound landing, ms", "landing", AFTER_LANDING_S, 1000.0),
    ):
        step = max(len(grid) // 8, 1)
        for i in range(0, len(grid), step):
            r_med, r_lo, r_hi = (v[i] for v in real[key])
            s_med, s_lo, s_hi = (v[i] for v in sim[key])
            at = f"{grid[i] * scale:.2f}" if scale == 1.0 else f"{grid[i] * scale:+.0f}"
            lines.append(
                f"| |a| (g), {label} {at} | {r_med:.2f} [{r_lo:.2f}, {r_hi:.2f}] | "
                f"{s_med:.2f} [{s_lo:.2f}, {s_hi:.2f}] |"
            )
    lines += [
        "",
        "Check of the reference procedure: onset of the first (box-landing) impact minus the box landing "
        "from "
        "the force plate's times, per trial (ms): " + ", ".join(f"{c:+.1f}" for c in checks) + ".",
        "",
    ]
    return "\n".join(lines)


def plot(real: dict, sim: dict, real_trials_: list[Trial], sim_trials_: list[Trial]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    panels = (
        (axes[0, 0], "flight", PHASE, "normalised flight time", "|a| in flight"),
        (axes[0, 1], "takeoff", AROUND_TAKEOFF_S * 1000, "ms from take-off", "around take-off"),
        (axes[0, 2], "landing", AFTER_LANDING_S * 1000, "ms from rebound landing", "after landing"),
    )
    for ax, key, x, xlabel, title in panels:
        for data, colour, name in ((real, "tab:blue", "real"), (sim, "tab:orange", "simulated")):
            med, lo, hi = data[key]
            ax.fill_between(x, lo, hi, color=colour, alpha=0.25)
            ax.plot(x, med, color=colour, label=f"{name} (n={data['n']})")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("|a| (g)")
        ax.set_title(title + ": median, 10-90 %")
        ax.grid(alpha=0.3)
        ax.legend()
    axes[0, 0].set_ylim(0, 4)
    axes[0, 1].set_ylim(0, 12)
    for ax, trials, name in (
        (axes[1, 0], real_trials_[:3], "real"),
        (axes[1, 1], sim_trials_[:3], "simulated"),
    ):
        for x in trials:
            w = (x.t_s > x.box_landing_s - 0.45) & (x.t_s < x.landing_s + 0.3)
            ax.plot(x.t_s[w] - x.landing_s, x.mag_g[w], lw=0.8, label=x.name)
        ax.set_title(f"{name}: whole drop jump, aligned on the rebound landing")
        ax.set_xlabel("s from rebound landing")
        ax.set_ylabel("|a| (g)")
        ax.set_ylim(0, 30)
        ax.grid(alpha=0.3)
        ax.legend()
    ax = axes[1, 2]
    for data, colour, name in ((real, "tab:blue", "real"), (sim, "tab:orange", "simulated")):
        ax.scatter(data["rise"], data["peak"], color=colour, label=f"{name}, rebound landing")
        ax.scatter(data["box_rise"], data["box_peak"], color=colour, marker="x", label=f"{name}, box landing")
    ax.set_xlabel("rise time 10-90 % (ms)")
    ax.set_ylabel("impact peak |a| (g)")
    ax.set_title("impact peak and rise time")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(OUT_PNG, dpi=80)


def main() -> None:
    if not DATA.is_dir():
        raise SystemExit(f"real drop jumps not found at {DATA}")
    reals, checks = real_trials()
    sims = sim_trials()
    real, sim = summary(reals), summary(sims)
    text = table(real, sim, checks)
    OUT_MD.write_text(text)
    plot(real, sim, reals, sims)
    print(text)


if __name__ == "__main__":
    main()
