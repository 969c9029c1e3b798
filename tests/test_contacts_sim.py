"""Contact detection on simulated sessions with exact truth (the simulator's own ground reaction force)."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.analysis import AnalysisOptions, analyse

sim = pytest.importorskip("imu_app.sim")


@pytest.mark.parametrize(("rate_hz", "p95_ms"), [(1000.0, 3.0), (100.0, 8.0)])
def test_pogo_hops_against_truth(rate_hz: float, p95_ms: float) -> None:
    s = sim.simulate(
        "pogo_hops",
        sim.SensorParams(sample_rate_hz=rate_hz, mounting="random", with_gyro=False, acc_range_g=16),
        seed=3,
    )
    rep = analyse(s.data, AnalysisOptions(exercise="pogo_hops"))
    det = [c for c in rep.contacts if c.contact_time_ms is not None]
    truth = s.truth.contacts
    assert len(det) == len(truth)
    ct_err = np.array([d.contact_time_ms - t.contact_time_ms for d, t in zip(det, truth, strict=True)])
    land_err = 1000 * np.array([d.landing_s - t.landing_s for d, t in zip(det, truth, strict=True)])
    assert np.percentile(np.abs(ct_err), 95) < p95_ms
    assert np.percentile(np.abs(land_err), 95) < p95_ms
    assert {st.kind for st in rep.sets} == {"hops"}
    assert sum(st.count for st in rep.sets) >= len(truth) - len(rep.sets)


def test_drop_jump_rebound_role() -> None:
    s = sim.simulate("drop_jump", sim.SensorParams(sample_rate_hz=500, mounting="random"), seed=1)
    rep = analyse(s.data, AnalysisOptions(exercise="drop_jump"))
    rebounds = [c for c in rep.contacts if c.role == "rebound"]
    truth = [c for c in s.truth.contacts if c.role == "rebound"]
    assert len(rebounds) == len(truth)
    for d, t in zip(rebounds, truth, strict=True):
        assert abs(d.contact_time_ms - t.contact_time_ms) < 5.0
        assert d.rsi is not None and d.rsi > 0
