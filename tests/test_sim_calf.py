"""Calf raises as real legs do them: the heel strike, the shank's turning, fast reps, a sensor on the foot."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.core import Placement, SimulationError
from imu_app.sim import SensorParams, simulate

#: Fast heel raises of about 1.2 s a rep, as a heel-rise test to a quick beat is done.
FAST = (0.35, 0.05, 0.4, 0.35)


def _per_rep(sim, fn):
    t = sim.data.t_s - sim.data.t_s[0]
    return [fn(sim.data, (t >= r.start_s) & (t <= r.end_s), t, r) for r in sim.truth.calf_raises]


@pytest.fixture(scope="module")
def fast_shank():
    return simulate(
        "single_leg_calf_raise",
        SensorParams(sample_rate_hz=100.0, mounting="random"),
        seed=3,
        n_sets=1,
        reps=10,
        knee="straight",
        tempo=FAST,
    )


def test_fast_reps_swing_the_acceleration_and_end_in_a_heel_strike(fast_shank):
    def figures(data, w, t, rep):
        mag = np.linalg.norm(data.acc_g, axis=1)
        near_bottom = (t >= rep.bottom_s - 0.08) & (t <= rep.bottom_s + 0.05)
        return mag[w].min(), mag[near_bottom].max(), rep.end_s - rep.start_s

    low, strike, duration = np.array(_per_rep(fast_shank, figures)).T
    # Real shank sensors: |a| between about 0.6 and 1.5 g within each rep, a 1.3-1.4 g heel strike.
    assert np.all(low < 0.85) and np.all(low > 0.55)
    assert np.all(strike > 1.15) and np.all(strike < 1.8)
    assert 1.2 < np.median(strike) < 1.5
    assert np.all((duration > 0.9) & (duration < 1.4))


def test_the_shank_turns_at_real_rates(fast_shank):
    gyr = fast_shank.data.gyr_dps
    bias = np.median(gyr, axis=0)

    def peak(data, w, t, rep):
        return np.linalg.norm(gyr[w] - bias, axis=1).max()

    rates = np.array(_per_rep(fast_shank, peak))
    # Up to about 25 deg/s with the knee straight (sagittal tilt, rotation with the rise and sway).
    assert np.all(rates > 8.0) and np.all(rates < 40.0)


def test_a_slow_lowering_lands_softly_and_a_heel_below_a_step_never_strikes():
    slow = simulate("single_leg_calf_raise", seed=4, n_sets=1, reps=8, tempo=(1.0, 0.0, 2.0, 1.0))
    ecc = simulate("eccentric_calf_raise", seed=4, reps=6)
    for sim, limit in ((slow, 1.2), (ecc, 1.12)):
        mag = np.linalg.norm(sim.data.acc_g, axis=1)
        t = sim.data.t_s - sim.data.t_s[0]
        for rep in sim.truth.calf_raises:
            w = (t >= rep.lower_s) & (t <= rep.bottom_s + 0.1)
            assert mag[w].max() < limit


def test_a_sensor_on_the_foot_turns_with_the_foot():
    opts = {"n_sets": 1, "reps": 6, "knee": "straight", "tempo": FAST}
    foot = simulate("single_leg_calf_raise", SensorParams(placement="foot"), seed=5, **opts)
    ankle = simulate("single_leg_calf_raise", SensorParams(), seed=5, **opts)
    assert foot.data.meta.placement == Placement.FOOT
    assert ankle.data.meta.placement == Placement.ANKLE
    for rep in foot.truth.calf_raises:
        t = foot.data.t_s - foot.data.t_s[0]
        w = (t >= rep.start_s) & (t <= rep.top_s)
        dt = np.diff(t[w])
        # The foot's angle covers the whole plantarflexion; its rate integrates to the range less the
        # shank's small tilt.
        turned = float(np.sum(np.linalg.norm(foot.data.gyr_dps[w], axis=1)[1:] * dt))
        assert 0.8 * rep.range_deg - 5.0 < turned < rep.range_deg + 5.0
    peak_foot = np.abs(foot.data.gyr_dps).max()
    peak_ankle = np.abs(ankle.data.gyr_dps).max()
    assert peak_foot > 4 * peak_ankle


def test_an_unknown_placement_is_reported():
    with pytest.raises(SimulationError, match="placement"):
        simulate("single_leg_calf_raise", SensorParams(placement="wrist"))
