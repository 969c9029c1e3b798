"""The leg's own motion in hops, seen from the three placements (shoe, ankle, mid shank)."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.core import SimulationError
from imu_app.sim import SensorParams, simulate
from imu_app.sim._sensor import ideal_signals, pose_on_grid
from imu_app.sim._simulate import _build

QUIET = {"acc_noise_g": 0.0, "gyr_noise_dps": 0.0, "acc_bias_g": 0.0, "gyr_bias_dps": 0.0}
DROP = {"reps": 2, "rest_s": 4.0, "contact_time_ms": (420.0, 540.0), "flight_time_ms": (300.0, 330.0)}


def _sim(placement: str, rate: float = 1000.0, seed: int = 3):
    sensor = SensorParams(sample_rate_hz=rate, placement=placement, **QUIET)
    return simulate("drop_jump", sensor, seed=seed, **DROP)


def _rebound_flights(sim):
    contacts = sim.truth.contacts
    return [
        (c.takeoff_s, contacts[i + 1].landing_s) for i, c in enumerate(contacts[:-1]) if c.role == "rebound"
    ]


def test_truth_is_the_same_whatever_the_placement():
    # The placement changes what the sensor reads, not what the athlete did.
    truths = [_sim(p, rate=104.0).truth for p in ("foot", "ankle", "shank")]
    ref = np.array([(c.landing_s, c.takeoff_s) for c in truths[0].contacts])
    for truth in truths[1:]:
        other = np.array([(c.landing_s, c.takeoff_s) for c in truth.contacts])
        np.testing.assert_allclose(other, ref, atol=1e-9)


def test_touch_down_and_toe_off_are_where_the_body_lands_and_leaves():
    # The body's ballistic flight ends exactly at the truth's landing: the ankle reaches the ground there.
    session, motion, leg = _build("pogo_hops", 4, {"n_sets": 1, "reps": 5})
    for a, b in zip(session.contacts[:-1], session.contacts[1:], strict=True):
        t = np.array([a.takeoff_s, b.landing_s])
        z_body = motion.body_z.evaluate(t)
        assert z_body[0] == pytest.approx(z_body[1], abs=1e-6)
        z_ankle = motion.evaluate(t)[:, 2]
        assert z_ankle == pytest.approx(z_body, abs=2e-3)
    del leg


@pytest.mark.parametrize("placement", ["foot", "ankle", "shank"])
def test_rebound_flight_is_not_free_fall(placement):
    sim = _sim(placement)
    t = sim.data.t_s - sim.data.t_s[0]
    mag = np.linalg.norm(sim.data.acc_g, axis=1)
    for to, la in _rebound_flights(sim):
        air = (t > to + 0.015) & (t < la - 0.005)
        assert np.mean(mag[air] < 0.4) < 0.5, placement
        assert mag[air].min() < 1.0, placement


def test_the_shoe_rings_hardest_and_the_mid_shank_least():
    # Impacts clip a shoe-worn sensor (real: above 25 g in magnitude at +-16 g per axis); the shank's soft
    # tissue filters and damps them.
    peaks = {}
    for placement in ("foot", "ankle", "shank"):
        sim = _sim(placement)
        t = sim.data.t_s - sim.data.t_s[0]
        mag = np.linalg.norm(sim.data.acc_g, axis=1)
        peaks[placement] = np.median(
            [mag[(t >= c.landing_s) & (t < c.landing_s + 0.03)].max() for c in sim.truth.contacts]
        )
    assert peaks["foot"] > 18.0
    assert peaks["foot"] > peaks["ankle"] > peaks["shank"]


def test_the_foot_turns_fast_in_push_off_and_flight():
    # Foot and shank rotate at several hundred deg/s through toe-off and flight.
    session, motion, leg = _build("drop_jump", 3, DROP)
    rebound = next(c for c in session.contacts if c.role == "rebound")
    dt = 1e-4
    t = np.arange(rebound.takeoff_s - 0.1, rebound.takeoff_s + 0.3, dt)
    _, w_foot = ideal_signals(motion, t, dt, leg, "foot")
    _, w_shank = ideal_signals(motion, t, dt, leg, "ankle")
    assert np.linalg.norm(w_foot, axis=1).max() > 400.0
    assert np.linalg.norm(w_shank, axis=1).max() > 150.0


def test_the_shoe_sensor_sits_on_the_foot():
    # Standing, the shoe sensor is in front of and below the ankle sensor, and both read 1 g along x.
    _, motion, leg = _build("squat_drop", 1, {"reps": 1})
    t = np.array([0.5])
    shoe, rot_shoe = pose_on_grid(motion, t, leg, "foot")
    ankle, _ = pose_on_grid(motion, t, leg, "ankle")
    assert shoe[0, 2] < ankle[0, 2] - 0.05
    assert shoe[0, 0] > ankle[0, 0]
    np.testing.assert_allclose(rot_shoe[0][:, 0], [0.0, 0.0, 1.0], atol=1e-9)


def test_unknown_placement_is_refused():
    with pytest.raises(SimulationError, match="placement"):
        simulate("pogo_hops", SensorParams(placement="wrist"))
