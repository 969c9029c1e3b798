"""Calf-raise counts on simulated sessions of three sets with rests, where the stream cuts its pieces.

Run from the project root (about 5 minutes on two cores)::

    .venv/bin/python benchmarks/bench_calf_sessions.py

Eccentric and single-leg sessions (seeds 200-203, 6-10 reps a set, rests of 40-70 s), at 100 and 416 Hz,
with and without gyroscope, random mounting. A set's truth is the full reps of a run of true reps less
than 20 s apart; a found full rep belongs to it when it starts from 5 s before its first rep to 15 s after
its last. Writes the share of sets counted exactly to ``benchmarks/results/calf_sessions.md``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from imu_app.analysis import detect_calf_raises
from imu_app.sim import SensorParams, simulate

RESULTS = Path(__file__).resolve().parent / "results" / "calf_sessions.md"


def main() -> None:
    errors = []
    cases = itertools.product(
        ["eccentric_calf_raise", "single_leg_calf_raise"], range(4), [100.0, 416.0], [True, False]
    )
    for exercise, seed, rate, gyro in cases:
        sim = simulate(
            exercise,
            SensorParams(sample_rate_hz=rate, mounting="random", with_gyro=gyro),
            seed=200 + seed,
            n_sets=3,
            reps=(6, 10),
            rest_s=40.0 + 10 * seed,
        )
        truth = sim.truth.calf_raises
        found = detect_calf_raises(sim.data).calf_raises.reps
        starts = np.array([t.start_s for t in truth])
        partial = np.array([t.partial for t in truth])
        edges = [0, *(np.flatnonzero(np.diff(starts) > 20.0) + 1).tolist(), starts.size]
        for a, b in itertools.pairwise(edges):
            lo, hi = starts[a] - 5.0, starts[b - 1] + 15.0
            n_found = sum(not r.partial and lo <= r.start_s <= hi for r in found)
            errors.append(n_found - int(np.sum(~partial[a:b])))
    e = np.array(errors)
    line = f"sets: {e.size}; exact count: {100 * np.mean(e == 0):.1f} %; errors: {e[e != 0].tolist()}"
    print(line)
    RESULTS.write_text(
        "# Calf raises: sessions of three sets with rests\n\n"
        "`.venv/bin/python benchmarks/bench_calf_sessions.py`: eccentric and single-leg sessions (seeds "
        "200-203, 6-10 reps a set, rests of 40-70 s), 100 and 416 Hz, with and without gyroscope, random "
        "mounting, analysed by the calf-raise stream fed the whole recording.\n\n"
        f"- {line}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
