"""Recordings and histories for the history tests: bundled recordings made distinct, simulated weeks."""

from __future__ import annotations

import re
from pathlib import Path

from imu_app.recordings import write_native
from imu_app.sim import SensorParams, simulate

from .paths import RECORDINGS


def distinct_copy(name: str, folder: Path, tag: str, *, start_time: str | None = None) -> Path:
    """A bundled recording with one metadata line added (so its content hash differs) and optionally a
    start time; the samples are untouched."""
    text = (RECORDINGS / name).read_text(encoding="utf-8")
    text = text.replace("# seed: ", f"# copy: {tag}\n# seed: ", 1)
    if start_time is not None:
        text = re.sub(r"^# start_time:.*$", f"# start_time: {start_time}", text, count=1, flags=re.M)
    out = folder / f"{Path(name).stem}_{tag}.csv"
    out.write_text(text, encoding="utf-8")
    return out


def simulated_pogo(
    folder: Path, tag: str, *, seed: int, contact_ms: tuple[float, float], leg: str = "right"
) -> Path:
    """Twelve pogo hops at 208 Hz with contact times drawn from ``contact_ms``."""
    sim = simulate(
        "pogo_hops",
        SensorParams(sample_rate_hz=208),
        seed=seed,
        n_sets=1,
        reps=(12, 12),
        contact_time_ms=contact_ms,
        leg=leg,
    )
    out = folder / f"pogo_{tag}.csv"
    write_native(out, sim.data)
    return out
