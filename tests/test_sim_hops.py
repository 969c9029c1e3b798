"""Simulated hops are physical where the detector relies on it: a planted foot is never in free fall."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.sim import SensorParams, simulate


def _longest_run_s(low: np.ndarray, period_s: float) -> float:
    if not low.any():
        return 0.0
    edges = np.diff(np.r_[0, low.astype(np.int8), 0])
    return float((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max() * period_s)


@pytest.mark.parametrize(
    ("exercise", "options"),
    [
        ("forward_hop_hold", {"reps": 2}),
        ("step_hop", {"reps": 1}),
        ("pogo_hops", {"n_sets": 1, "reps": 4}),
        ("leap_and_hop", {"hops": 3}),
    ],
)
def test_no_free_fall_while_the_foot_is_down(exercise: str, options: dict) -> None:
    # A sensor on the distal shank of a planted foot carries the body's weight: through a countermovement
    # the shank turns about the ankle and reads about 1 g. Only as the force fades at take-off (the last
    # few milliseconds of a contact) may it approach free fall; a stretch below 0.5 g longer than 20 ms
    # while the truth says the foot is down would be an unloading the body cannot do.
    rate = 1000.0
    sim = simulate(exercise, SensorParams(sample_rate_hz=rate, acc_noise_g=0.0), seed=5, **options)
    t = sim.data.t_s - sim.data.t_s[0]
    mag = np.linalg.norm(sim.data.acc_g, axis=1)
    assert sim.truth.contacts
    for c in sim.truth.contacts:
        inside = (t >= c.landing_s) & (t <= c.takeoff_s)
        assert _longest_run_s(inside & (mag < 0.5), 1.0 / rate) <= 0.02, (exercise, c)
    # And the flights are flights of a limb: the foot tucks and reaches relative to the body, so |a| is well
    # above free fall for most of each (a real shoe-worn drop jump reads below 0.4 g for 4-29 % of its
    # flight), yet it dips below 1 g where the leg coasts with the body.
    takeoffs = np.array([c.takeoff_s for c in sim.truth.contacts])
    landings = np.array([c.landing_s for c in sim.truth.contacts])
    for to, la in zip(takeoffs[:-1], landings[1:], strict=True):
        if la > to and la - to < 1.2:
            air = (t > to + 0.02) & (t < la - 0.005)
            assert np.mean(mag[air] < 0.4) < 0.5
            assert 0.3 < np.median(mag[air]) < 3.0
            assert mag[air].min() < 1.0


def test_drop_jump_step_off_has_no_push() -> None:
    # Stepping off a box: the support fades from body weight to zero, never above it (no push-off), so the
    # magnitude before the drop's flight stays near 1 g and ramps down.
    sim = simulate("drop_jump", SensorParams(sample_rate_hz=1000.0, acc_noise_g=0.0), seed=2, reps=1)
    t = sim.data.t_s - sim.data.t_s[0]
    mag = np.linalg.norm(sim.data.acc_g, axis=1)
    landing = sim.truth.contacts[0].landing_s
    # The drop lasts about 0.2-0.3 s; the second before it is the stance on the box and the step.
    before = (t > landing - 1.3) & (t < landing - 0.35)
    assert mag[before].max() < 1.35
    assert mag[before].min() > 0.7
