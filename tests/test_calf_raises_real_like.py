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


@pytest.mark.parametrize(
    ("placement", "tempo", "seed"),
    [
        # The velocity a fast rep's integral leaves over, high-passed, makes a rise-sized lobe after the
        # last rep: it must not be taken for a rise (it cut the last rep's lowering short).
        ("foot", FAST, 2),
        # Without a gyroscope the knee's straightening after the set must not be placed inside the last
        # lowering (the specific force turns with the accelerating ankle as fast as with a knee bend).
        ("ankle", (0.45, 0.0, 0.45, 0.25), 1),
    ],
)
def test_the_last_rep_of_a_fast_bent_knee_set_is_counted(placement, tempo, seed):
    sim = simulate(
        "single_leg_calf_raise",
        SensorParams(sample_rate_hz=100.0, mounting="random", placement=placement),
        seed=seed,
        n_sets=1,
        reps=10,
        knee="bent",
        tempo=tempo,
        lead_in_s=2.0,
        lead_out_s=2.0,
    )
    assert len(sim.truth.calf_raises) == 10
    last = sim.truth.calf_raises[-1]
    for data in (sim.data, dataclasses.replace(sim.data, gyr_dps=None)):
        found = detect_calf_raises(data).calf_raises
        assert found.count == 10
        assert abs(found.reps[-1].top_s - last.top_s) < 0.1
