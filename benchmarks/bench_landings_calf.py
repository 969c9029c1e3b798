"""Accuracy and speed of the landing-hold and calf-raise analyses on simulated sessions with exact truth.

Run from the project root (about 4 minutes on two cores)::

    .venv/bin/python benchmarks/bench_landings_calf.py            # writes benchmarks/results/landings_calf.md
    .venv/bin/python benchmarks/bench_landings_calf.py --quick    # a third of the sessions, no file

Sessions vary sample rate (52-1000 Hz), mounting (random rotation per session), gyroscope on/off, tempo,
knee position, partial reps and the way holds end; each is simulated from its own seed, so the figures
are reproducible. Truth comes from ``imu_app.sim``; the analysis under test never sees it. The full run
ends with the same cases on held-out seeds (calf raises 6-17, holds 6-23), a check on sessions the
analysis was mostly not tuned on.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_calf_ceiling import best_share_within

from imu_app.analysis import LandingParams, detect_calf_raises, detect_landings
from imu_app.analysis._contacts import contacts_from_data
from imu_app.core import ImuData
from imu_app.sim import SensorParams, simulate

RESULTS = Path(__file__).resolve().parent / "results" / "landings_calf.md"
PHASES = ("start_s", "top_s", "lower_s", "bottom_s", "end_s")
DURATIONS = ("concentric_s", "top_hold_s", "eccentric_s", "bottom_pause_s")

CALF_CASES = [
    ("eccentric_calf_raise", {"knee": "alternate", "tempo": (1.0, 0.0, 3.0, 2.0)}),
    ("eccentric_calf_raise", {"knee": "straight", "tempo": (1.0, 0.0, 3.0, 2.0), "partial_reps": 1}),
    ("eccentric_calf_raise", {"knee": "bent", "tempo": (1.0, 1.0, 5.0, 2.0)}),
    ("single_leg_calf_raise", {"knee": "bent", "tempo": (0.8, 0.2, 0.8, 0.3)}),
    ("single_leg_calf_raise", {"knee": "straight", "tempo": (0.5, 0.0, 0.5, 0.0), "partial_reps": 1}),
    ("single_leg_calf_raise", {"knee": "alternate", "tempo": (1.0, 0.0, 2.0, 1.0)}),
]
HOLD_CASES = [
    ("forward_hop_hold", {"reps": 5, "hold_failure": 0}, 5.0),
    ("forward_hop_hold", {"reps": 5, "hold_failure": ["stumble", "other_foot", "hop"]}, 5.0),
    ("squat_drop", {"reps": 5, "hold_failure": ["other_foot", "stumble"]}, 3.0),
]
RATES = (52.0, 104.0, 208.0, 416.0, 1000.0)


def _duration(rep, name):
    return {
        "concentric_s": rep.top_s - rep.start_s,
        "top_hold_s": rep.lower_s - rep.top_s,
        "eccentric_s": rep.bottom_s - rep.lower_s,
        "bottom_pause_s": rep.end_s - rep.bottom_s,
    }[name]


def _sensor_of(seed: int) -> tuple[float, bool]:
    """Sample rate and whether there is a gyroscope in a benchmark session: the rates in turn, every fourth
    session without gyroscope."""
    return RATES[seed % len(RATES)], seed % 4 != 3


def bench_calf(seeds: range) -> dict:
    sets = []
    phase_err: dict[str, list[float]] = {p: [] for p in PHASES + DURATIONS}
    knee = [0, 0]
    partial = [0, 0]
    # Reps reported where none was done (not the nearest found rep of any true rep), and how many of them
    # are partial.
    spurious = [0, 0]
    # Per matched rep: prescribed lowering (s), rate, errors of the lowering's onset, end and duration, and
    # the best chance of each within 50 ms by the Cramer-Rao bound (bench_calf_ceiling.py).
    lowerings = []
    for (exercise, options), seed in itertools.product(CALF_CASES, seeds):
        rate, gyro = _sensor_of(seed)
        sim = simulate(
            exercise,
            SensorParams(sample_rate_hz=rate, mounting="random", with_gyro=gyro),
            seed=1000 + seed,
            n_sets=1,
            **options,
        )
        res = detect_calf_raises(sim.data)
        truth = sim.truth.calf_raises
        n_true = sum(not t.partial for t in truth)
        sets.append((exercise, options.get("tempo"), rate, gyro, res.calf_raises.count - n_true))
        reps = res.calf_raises.reps
        nearest = {id(min(reps, key=lambda r, t=t: abs(r.top_s - t.top_s))) for t in truth} if reps else set()
        for f in reps:
            if id(f) not in nearest:
                spurious[0] += 1
                spurious[1] += f.partial
        for t in truth:
            if not reps:
                break
            f = min(reps, key=lambda r: abs(r.top_s - t.top_s))
            if abs(f.top_s - t.top_s) > 1.0:
                continue
            for p in PHASES:
                phase_err[p].append(getattr(f, p) - getattr(t, p))
            for d in DURATIONS:
                phase_err[d].append(getattr(f, d) - _duration(t, d))
            best = best_share_within(exercise, t.bottom_s - t.lower_s, rate, t.knee, gyro)
            errs = (
                f.lower_s - t.lower_s,
                f.bottom_s - t.bottom_s,
                f.eccentric_s - _duration(t, "eccentric_s"),
            )
            lowerings.append((options["tempo"][2], rate, errs, best))
            partial[0] += f.partial == t.partial
            partial[1] += 1
            if f.knee is not None:
                knee[0] += f.knee == t.knee
                knee[1] += 1
    return {
        "sets": sets,
        "phase_err": phase_err,
        "knee": knee,
        "partial": partial,
        "spurious": spurious,
        "lowerings": lowerings,
    }


def bench_landings(seeds: range) -> dict:
    rows = []
    tol = LandingParams().target_tolerance_s
    for (exercise, options, target), seed in itertools.product(HOLD_CASES, seeds):
        rate, gyro = _sensor_of(seed)
        sim = simulate(
            exercise,
            SensorParams(sample_rate_hz=rate, mounting="random", with_gyro=gyro),
            seed=2000 + seed,
            **options,
        )
        res = detect_landings(sim.data, LandingParams(hold_target_s=target))
        undecided = [w for w in res.warnings if "undecided" in w]
        for t in sim.truth.landings:
            f = min(res.landings, key=lambda x: abs(x.landing_s - t.landing_s)) if res.landings else None
            if f is None or abs(f.landing_s - t.landing_s) > 0.05:
                rows.append((exercise, rate, gyro, None, None, None, None, t.ended_by, None, False, None))
                continue
            hold_true = t.hold_end_s - t.landing_s
            # Against the method's truth (the same method on the true angular rate): the error, or for a
            # hold without a true TTS whether the analysis reported none either.
            tts_err: float | bool | None = None
            if gyro and t.stabilised_s is not None:
                tts_err = np.inf if f.stabilised_s is None else f.stabilised_s - t.stabilised_s
            elif gyro:
                tts_err = f.stabilised_s is None
            # Against the envelope model (the hidden transient falls to the realised sway), as before.
            env_err = None
            if gyro and t.ringing_settled_s is not None and t.ringing_settled_s < t.hold_end_s - 0.3:
                env_err = np.inf if f.stabilised_s is None else f.stabilised_s - t.ringing_settled_s
            met_true = hold_true >= t.hold_target_s - tol
            met_ok = None if t.hold_target_s == 0 else f.hold_target_met == met_true
            rows.append(
                (
                    exercise,
                    rate,
                    gyro,
                    tts_err,
                    f.hold_s - hold_true,
                    met_ok,
                    f.ended_by,
                    t.ended_by,
                    f.hold_target_s,
                    any(f"{f.landing_s:.2f} s" in w for w in undecided),
                    env_err,
                )
            )
    return {"rows": rows}


def _tile(data: ImuData, times: int) -> ImuData:
    """``times`` copies of a recording one after the other (a long session for timing)."""
    span = data.t_s[-1] - data.t_s[0] + 1.0 / data.sample_rate_hz
    t = np.concatenate([data.t_s + k * span for k in range(times)])
    return ImuData(
        t_s=t,
        acc_g=np.tile(data.acc_g, (times, 1)),
        gyr_dps=None if data.gyr_dps is None else np.tile(data.gyr_dps, (times, 1)),
        meta=data.meta,
    )


def _seconds(fn: Callable[[ImuData], object]) -> Callable[[ImuData], float]:
    """``fn(data)`` timed: returns its wall-clock seconds."""

    def run(data: ImuData) -> float:
        t0 = time.perf_counter()
        fn(data)
        return time.perf_counter() - t0

    return run


def _landings_given_contacts(data: ImuData) -> float:
    """Seconds of the landing analysis alone, as the pipeline could run it with the contacts it has."""
    contacts = contacts_from_data(data)
    t0 = time.perf_counter()
    detect_landings(data, contacts=contacts)
    return time.perf_counter() - t0


def bench_speed() -> dict:
    out = {}
    for name, exercise, options, timed, repeats in (
        ("calf raises (median of 5)", "eccentric_calf_raise", {"reps": 12}, _seconds(detect_calf_raises), 5),
        (
            "landings (median of 5)",
            "forward_hop_hold",
            {"reps": 8, "hold_failure": 2},
            _seconds(detect_landings),
            5,
        ),
        (
            "landings, contacts given (median of 5)",
            "forward_hop_hold",
            {"reps": 8, "hold_failure": 2},
            _landings_given_contacts,
            5,
        ),
    ):
        sim = simulate(exercise, SensorParams(sample_rate_hz=1000.0, mounting="random"), seed=5, **options)
        times = int(np.ceil(3600.0 / sim.data.duration_s))
        long = _tile(dataclasses.replace(sim.data, gaps=()), times)
        long = long.slice(0, 3600 * 1000)
        out[name] = (float(np.median([timed(long) for _ in range(repeats)])), len(long))
    return out


def _pct(x) -> str:
    return f"{100.0 * x:.1f} %"


def report(calf: dict, land: dict, speed: dict | None, n_seeds: int) -> str:
    lines = ["# Landing holds and calf raises: accuracy on simulated sessions", ""]
    lines.append(
        f"Generated by `benchmarks/bench_landings_calf.py` ({n_seeds} seeds per case; rates cycle through "
        f"{', '.join(f'{r:g}' for r in RATES)} Hz, every fourth session without gyroscope, random mounting)."
    )
    lines += ["", "## Calf raises", ""]
    sets = calf["sets"]
    errs = np.array([s[4] for s in sets])
    lines.append(
        f"- sets: {len(sets)}; exact count: {_pct(np.mean(errs == 0))}; off by one at most: "
        f"{_pct(np.mean(np.abs(errs) <= 1))}; largest error {int(np.max(np.abs(errs)))} rep(s)"
    )
    for gyro in (True, False):
        sel = np.array([s[3] == gyro for s in sets])
        if sel.any():
            lines.append(
                f"  - {'with' if gyro else 'without'} gyroscope: exact count {_pct(np.mean(errs[sel] == 0))}"
                f" of {int(sel.sum())} sets"
            )
    by_case: dict[str, list[int]] = {}
    for s in sets:
        by_case.setdefault(f"{s[0]} tempo {s[1]}", []).append(s[4])
    lines += ["", "| case | sets | exact count | count errors |", "|---|---|---|---|"]
    for k, v in by_case.items():
        lines.append(f"| {k} | {len(v)} | {_pct(np.mean(np.array(v) == 0))} | {sorted(set(v))} |")
    lines += ["", "| phase | reps | within 50 ms | 95th pct abs error (s) |", "|---|---|---|---|"]
    for p, v in calf["phase_err"].items():
        a = np.abs(np.array(v))
        if a.size:
            lines.append(f"| {p} | {a.size} | {_pct(np.mean(a <= 0.05))} | {np.quantile(a, 0.95):.3f} |")
    lines += [
        "",
        "Lowerings against the Cramér-Rao bound (`bench_calf_ceiling.py`): measured share within 50 ms, and "
        "in brackets the largest share any unbiased estimator could reach on the same reps (the bound is "
        "optimistic: it grants the estimator the orientation, the sway's lever-arm effect and the shape).",
        "",
        "| lowering | rate (Hz) | reps | onset (lower_s) | end (bottom_s) | duration (eccentric_s) |",
        "|---|---|---|---|---|---|",
    ]
    low = calf["lowerings"]
    groups = [*sorted({(x[0], x[1]) for x in low}), (None, None)]
    for lowering, rate in groups:
        sel = [x for x in low if lowering is None or (x[0], x[1]) == (lowering, rate)]
        cells = []
        for k in range(3):
            got = np.mean([abs(x[2][k]) <= 0.05 for x in sel])
            cells.append(f"{_pct(got)} ({_pct(np.mean([x[3][k] for x in sel]))})")
        label = "all" if lowering is None else f"{lowering:g} s"
        lines.append(
            f"| {label} | {'' if rate is None else f'{rate:g}'} | {len(sel)} | " + " | ".join(cells) + " |"
        )
    k, p = calf["knee"], calf["partial"]
    lines.append("")
    lines.append(
        f"- knee (straight/bent) right: {k[0]} of {k[1]} reps with gyroscope ({_pct(k[0] / max(k[1], 1))})"
    )
    lines.append(f"- partial flag right: {p[0]} of {p[1]} matched reps ({_pct(p[0] / max(p[1], 1))})")
    extra = calf["spurious"]
    lines.append(
        f"- reps reported where none was done: {extra[0]} ({extra[1]} of them partial, not counted) against"
        f" {p[1]} matched reps"
    )
    lines += ["", "## Landing holds", ""]
    rows = land["rows"]
    found = [r for r in rows if r[4] is not None]
    lines.append(f"- holds: {len(rows)}; found: {len(found)}")
    hold = np.abs(np.array([r[4] for r in found]))
    lines.append(
        f"- hold duration within 0.05 s: {_pct(np.mean(hold <= 0.05))} (95th pct abs error "
        f"{np.quantile(hold, 0.95):.3f} s)"
    )
    met = [r[5] for r in found if r[5] is not None and not r[9]]
    flagged = [r[5] for r in found if r[5] is not None and r[9]]
    lines.append(
        f"- target met / not met right: {sum(met)} of {len(met)} decided ({_pct(np.mean(met))}); "
        f"{len(flagged)} reported undecided by a warning (would have been right: {sum(flagged)})"
    )
    ending = [r[6] == r[7] for r in found]
    lines.append(f"- ending (other foot, hop, stumble, end of recording) right: {_pct(np.mean(ending))}")
    tts = np.array([r[3] for r in found if isinstance(r[3], float)], dtype=float)
    if tts.size:
        fin = np.isfinite(tts)
        lines.append(
            "- time to stabilisation against its truth (the same method on the true angular rate; gyroscope "
            f"sessions, holds with a true TTS): {tts.size} holds, reported for {_pct(np.mean(fin))}, "
            f"within 0.1 s: {_pct(np.mean(np.abs(tts) <= 0.1))}, within 0.2 s: "
            f"{_pct(np.mean(np.abs(tts) <= 0.2))}, median abs error {np.median(np.abs(tts[fin])):.3f} s, "
            f"95th pct {np.quantile(np.abs(tts), 0.95):.3f} s, bias {np.mean(tts[fin]):+.3f} s"
        )
    none = [r[3] for r in found if isinstance(r[3], bool)]
    if none:
        lines.append(
            f"  - holds whose balance is too short for a TTS (under 2.3 s): {len(none)}, reported without "
            f"one: {sum(none)}"
        )
    env = np.array([r[10] for r in found if r[10] is not None], dtype=float)
    if env.size:
        lines.append(
            "  - for comparison only, against the envelope model (the hidden transient's envelope falls to "
            f"the realised sway; not measurable, see docs): {env.size} holds, within 0.1 s: "
            f"{_pct(np.mean(np.abs(env) <= 0.1))}, within 0.2 s: {_pct(np.mean(np.abs(env) <= 0.2))}, "
            f"median abs error {np.median(np.abs(env[np.isfinite(env)])):.3f} s"
        )
    for rate in RATES:
        sel = [r for r in found if r[1] == rate]
        if sel:
            h = np.abs(np.array([r[4] for r in sel]))
            e = np.array([r[3] for r in sel if isinstance(r[3], float)], dtype=float)
            tts_rate = f", TTS within 0.1 s {_pct(np.mean(np.abs(e) <= 0.1))} of {e.size}" if e.size else ""
            lines.append(
                f"  - {rate:g} Hz: {len(sel)} holds, hold within 0.05 s {_pct(np.mean(h <= 0.05))}, "
                f"ending right {_pct(np.mean([r[6] == r[7] for r in sel]))}{tts_rate}"
            )
    if speed:
        lines += ["", "## Speed (one hour at 1 kHz, this machine)", ""]
        for name, (sec, n) in speed.items():
            lines.append(f"- {name}: {sec:.2f} s for {n} samples")
    return "\n".join(lines) + "\n"


def held_out_report(calf: dict, land: dict, calf_seeds: range, hold_seeds: range) -> str:
    """A short account of seeds the analysis was not tuned on: the same cases, other sessions."""
    lines = [
        "",
        f"## Held-out seeds (calf raises {calf_seeds.start}-{calf_seeds.stop - 1}, holds "
        f"{hold_seeds.start}-{hold_seeds.stop - 1})",
        "",
        "A check on sessions the analysis was mostly not tuned on: it was developed against the seeds above,",
        "except the two hold-end rules for quiet spells of sway, which came from failures on seeds 6, 8, 18",
        "and 20 here.",
        "",
    ]
    errs = np.array([s[4] for s in calf["sets"]])
    lines.append(
        f"- calf-raise sets: {errs.size}; exact count: {_pct(np.mean(errs == 0))}; largest error "
        f"{int(np.max(np.abs(errs)))} rep(s); reps reported where none was done: {calf['spurious'][0]} "
        f"({calf['spurious'][1]} partial)"
    )
    cells = []
    for p, v in calf["phase_err"].items():
        a = np.abs(np.array(v))
        if a.size:
            cells.append(f"{p} {_pct(np.mean(a <= 0.05))}")
    lines.append(f"- within 50 ms: {', '.join(cells)}")
    found = [r for r in land["rows"] if r[4] is not None]
    hold = np.abs(np.array([r[4] for r in found]))
    met = [r[5] for r in found if r[5] is not None and not r[9]]
    flagged = [r[5] for r in found if r[5] is not None and r[9]]
    lines.append(
        f"- holds: {len(land['rows'])}, found {len(found)}; duration within 0.05 s "
        f"{_pct(np.mean(hold <= 0.05))}, off by more than 0.3 s: {int(np.sum(hold > 0.3))}; ending right "
        f"{_pct(np.mean([r[6] == r[7] for r in found]))}; target met / not met right: {sum(met)} of "
        f"{len(met)} decided, {len(flagged)} undecided"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer sessions, print only")
    args = parser.parse_args()
    n_seeds = 2 if args.quick else 6
    calf = bench_calf(range(n_seeds))
    land = bench_landings(range(n_seeds))
    speed = None if args.quick else bench_speed()
    text = report(calf, land, speed, n_seeds)
    if not args.quick:
        calf_seeds, hold_seeds = range(6, 18), range(6, 24)
        text += held_out_report(bench_calf(calf_seeds), bench_landings(hold_seeds), calf_seeds, hold_seeds)
    print(text)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
