"""Real drop jumps (shoe-worn accelerometer) against the force plate's rebound contact and flight times."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "jmu-dropjump"

pytestmark = pytest.mark.skipif(
    not DATA.is_dir(),
    reason=f"real drop-jump recordings not found at {DATA} (../shared/data beside the project)",
)


@pytest.fixture(scope="module")
def results():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_dropjump_real import run_trials
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return run_trials(DATA)


def test_every_rebound_is_found_once(results) -> None:
    assert len(results) == 5
    assert [r.rebounds for r in results] == [1] * 5


def test_rebound_contact_and_flight_times_match_the_force_plate(results) -> None:
    contact = np.array([r.contact_err_ms for r in results])
    flight = np.array([r.flight_err_ms for r in results])
    assert np.mean(np.abs(contact)) <= 5.0, contact
    assert np.mean(np.abs(flight)) <= 5.0, flight
    assert np.max(np.abs(np.r_[contact, flight])) <= 10.0


def test_the_rebound_row_reads_as_a_coach_expects() -> None:
    from imu_app.analysis import AnalysisOptions, analyse
    from imu_app.recordings import load

    report = analyse(load(DATA / "Accel1.csv"), AnalysisOptions(exercise="drop_jump"))
    (rebound,) = report.contacts
    assert rebound.role == "rebound"
    # The drop from the box is no jump: no height from it; the height and RSI are the rebound's.
    assert rebound.jump_height_cm is None
    assert rebound.next_jump_height_cm == pytest.approx(
        981 * (rebound.next_flight_time_ms / 1000) ** 2 / 8, 0.01
    )
    assert rebound.rsi == pytest.approx(rebound.next_jump_height_cm / 100 / (rebound.contact_time_ms / 1000))
    (hops,) = report.sets
    assert hops.count == 1
    assert hops.stats["flight_time_ms"].mean == pytest.approx(rebound.next_flight_time_ms)


def test_replay_prints_the_rebound_in_a_coachs_words(capsys) -> None:
    from imu_app.cli import main

    assert main(["replay", str(DATA / "Accel2.csv"), "-e", "drop_jump", "--speed", "max"]) == 0
    out = capsys.readouterr().out
    assert "rebound 1: contact 508 ms, flight 316 ms" in out
    assert "set 1 done: 1 hop in" in out
