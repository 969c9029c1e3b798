"""Calf-raise counting on reps as real legs do them: heel strikes, fast reps, a sensor on the foot."""

from __future__ import annotations

import dataclasses

import pytest

from imu_app.analysis import detect_calf_raises
from imu_app.sim import SensorParams, simulate

#: Fast heel raises of about 1.2 s a rep (real ones from another lab: 10 reps of about 1.2 s).
FAST = (0.35, 0.05, 0.4, 0.35)


@pytest.mark.parametrize(
    ("placement", "rate_hz", "tempo", "knee"),
    [
        ("ankle", 100.0, FAST, "straight"),
        ("foot", 100.0, FAST, "bent"),
        ("foot", 416.0, (0.8, 0.2, 0.8, 0.3), "straight"),
    ],
)
def test_every_rep_is_counted_on_the_shank_and_on_the_foot(placement, rate_hz, tempo, knee):
    sim = simulate(
        "single_leg_calf_raise",
        SensorParams(sample_rate_hz=rate_hz, mounting="random", placement=placement),
        seed=21,
        n_sets=1,
        reps=10,
        knee=knee,
        tempo=tempo,
    )
    assert len(sim.truth.calf_raises) == 10
    for data in (sim.data, dataclasses.replace(sim.data, gyr_dps=None)):
        found = detect_calf_raises(data).calf_raises
        assert found.count == 10
        assert found.partial_count == 0
        for rep in sim.truth.calf_raises:
            assert min(abs(f.top_s - rep.top_s) for f in found.reps) < 0.1
