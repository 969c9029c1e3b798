"""Physics of the simulator: what an ankle sensor must read, derived from the simulated motion."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from imu_app.core import STANDARD_GRAVITY_M_S2, SimulationError, balance_end_s, time_to_stabilisation
from imu_app.sim import EXERCISES, SensorParams, exercise_options, simulate
from imu_app.sim._motion import Track
from imu_app.sim._sensor import ideal_signals, pose_on_grid
from imu_app.sim._simulate import _build

G = STANDARD_GRAVITY_M_S2
QUIET = SensorParams(acc_noise_g=0.0, gyr_noise_dps=0.0, acc_bias_g=0.0, gyr_bias_dps=0.0)
SHORT_POGO = {"n_sets": 1, "reps": 6, "lead_in_s": 1.0, "lead_out_s": 1.0}


@pytest.fixture(scope="module")
def pogo():
    return simulate("pogo_hops", QUIET, seed=11, **SHORT_POGO)


def _window(data, t0_s, t1_s):
    t = data.t_s - data.t_s[0]
    return (t >= t0_s) & (t <= t1_s)


def test_a_limb_in_flight_is_not_in_free_fall(pogo):
    # The body flies ballistically but the leg moves on it (tuck, reach, foot pitch): the distal shank reads
    # well above free fall for most of each flight and dips towards it where the leg coasts with the body.
    data, truth = pogo.data, pogo.truth
    hops = [c for c in truth.contacts if c.role is None]
    assert len(hops) >= 4
    for a, b in itertools.pairwise(hops):
        w = _window(data, a.takeoff_s + 0.02, b.landing_s - 0.01)
        mag = np.linalg.norm(data.acc_g[w], axis=1)
        assert np.mean(mag > 0.4) > 0.5
        assert mag.min() < 1.0
        assert mag.max() < 6.0, "the leg's own motion stays within a few g"


def test_contact_has_impact_peak_and_push_off(pogo):
    data, truth = pogo.data, pogo.truth
    for c in truth.contacts[:4]:
        w = _window(data, c.landing_s, c.landing_s + 0.03)
        assert np.linalg.norm(data.acc_g[w], axis=1).max() > 3.0
        mid = _window(data, c.landing_s + 0.3 * (c.takeoff_s - c.landing_s), c.takeoff_s - 0.03)
        assert np.linalg.norm(data.acc_g[mid], axis=1).mean() > 1.5


@pytest.mark.parametrize("mounting", [(30.0, -50.0, 120.0), "random"])
def test_standing_reads_one_g_in_any_mounting(mounting):
    lateral = simulate("squat_drop", QUIET, seed=5, reps=1, lead_in_s=2.0)
    rotated = simulate(
        "squat_drop", SensorParams(**{**QUIET.__dict__, "mounting": mounting}), seed=5, reps=1, lead_in_s=2.0
    )
    w = _window(rotated.data, 0.2, 1.5)
    mag = np.linalg.norm(rotated.data.acc_g[w], axis=1)
    assert abs(mag.mean() - 1.0) < 0.01
    # The same gravity vector, seen along other axes: the lateral reading's x (shank axis) is not preserved.
    lat = lateral.data.acc_g[_window(lateral.data, 0.2, 1.5)].mean(axis=0)
    rot = rotated.data.acc_g[w].mean(axis=0)
    assert abs(np.linalg.norm(lat) - np.linalg.norm(rot)) < 0.01
    assert lat[0] > 0.99 and rot[0] < 0.95


def test_lateral_mounting_axes():
    sim = simulate("squat_drop", QUIET, seed=5, reps=1, lead_in_s=2.0)
    f = sim.data.acc_g[_window(sim.data, 0.2, 1.5)].mean(axis=0)
    # x up the shank reads +1 g standing; the shank leans forward 3 deg, which shows on y.
    assert f[0] > 0.99 and abs(f[2]) < 0.05


def test_integrated_gyro_matches_orientation_change():
    _, motion, leg = _build("leap_and_hop", 2, {"hops": 3, "lead_in_s": 1.0})
    dt = 1e-4
    t = np.arange(2.0, 4.0, dt)
    _, w_dps = ideal_signals(motion, t, dt, leg)
    _, rot = pose_on_grid(motion, t, leg)
    r = np.eye(3)
    for w in np.radians(w_dps[:-1] + w_dps[1:]) / 2.0:
        # Exponential map of one small body-frame rotation (Rodrigues).
        th = np.linalg.norm(w) * dt
        k = np.array([[0, -w[2], w[1]], [w[2], 0, -w[0]], [-w[1], w[0], 0]]) * dt
        if th > 0:
            r = r @ (np.eye(3) + math.sin(th) / th * k + (1 - math.cos(th)) / th**2 * (k @ k))
    expected = rot[0].T @ rot[-1]
    err_deg = math.degrees(np.arccos(np.clip((np.trace(r.T @ expected) - 1) / 2, -1, 1)))
    total_deg = math.degrees(np.arccos(np.clip((np.trace(expected) - 1) / 2, -1, 1)))
    assert total_deg > 2.0
    assert err_deg < 0.1


def test_flight_time_is_ballistic_time_of_jump_height():
    session, motion, _ = _build("pogo_hops", 4, SHORT_POGO)
    hops = [c for c in session.contacts]
    assert len(hops) >= 4
    for a, b in itertools.pairwise(hops):
        t = np.linspace(a.takeoff_s, b.landing_s, 2001)
        z = motion.body_z.evaluate(t)
        height = z.max() - z[0]
        flight = b.landing_s - a.takeoff_s
        assert flight == pytest.approx(math.sqrt(8 * height / G), abs=5e-4)


def test_ground_reaction_force_never_pulls():
    session, motion, _ = _build("pogo_hops", 4, SHORT_POGO)
    dt = 1e-4
    t = np.arange(0.5, motion.duration_s - 0.5, dt)
    z = motion.body_z.evaluate(t)
    acc = (z[2:] - 2 * z[1:-1] + z[:-2]) / dt**2
    assert acc.min() > -G - 0.05
    # ... and in flight the body falls freely.
    c0, c1 = session.contacts[0], session.contacts[1]
    inside = (t[1:-1] > c0.takeoff_s + 0.01) & (t[1:-1] < c1.landing_s - 0.01)
    assert np.allclose(acc[inside], -G, atol=0.05)


def test_track_is_smooth_at_knots():
    tr = Track(0.0, 1.0).to(0.5, 2.0, 1.0, -3.0).to(1.2, 0.0, 0.0, 0.0)
    h = 1e-4
    for knot in (0.5, 1.2):
        t = np.array([knot - 2 * h, knot - h, knot, knot + h, knot + 2 * h])
        p = tr.evaluate(t)
        v = np.diff(p) / h
        assert abs(v[1] - v[2]) < 1e-3
    assert tr.value_at(0.5) == pytest.approx(2.0)
    assert tr.value_at(5.0) == pytest.approx(0.0)


def _check_contacts(contacts):
    for c in contacts:
        assert c.landing_s < c.takeoff_s
    for a, b in itertools.pairwise(contacts):
        assert a.takeoff_s < b.landing_s


SHORT = {
    "pogo_hops": {"n_sets": 2, "reps": 4, "rest_s": 3.0},
    "lateral_hops": {"reps": 5},
    "forward_hop_hold": {"reps": 3, "hold_failure": ["hop", "stumble"]},
    "leap_and_hop": {},
    "step_hop": {"reps": 2},
    "drop_jump": {"reps": 2, "rest_s": 4.0},
    "squat_drop": {"reps": 2, "hold_failure": 1},
    "eccentric_calf_raise": {"reps": 6, "partial_reps": 2},
    "single_leg_calf_raise": {"n_sets": 2, "reps": 5, "rest_s": 3.0, "partial_reps": 1},
    "walking": {"duration_s": 8.0},
    "running": {"duration_s": 6.0},
}


@pytest.mark.parametrize("exercise", EXERCISES)
def test_truth_is_ordered_and_consistent(exercise):
    sim = simulate(
        exercise, SensorParams(sample_rate_hz=104.0), seed=3, lead_in_s=1.0, lead_out_s=1.0, **SHORT[exercise]
    )
    truth, data = sim.truth, sim.data
    assert truth.exercise == exercise == data.meta.exercise
    assert data.meta.device == "imu-app simulator"
    _check_contacts(truth.contacts)
    end = data.t_s[-1] - data.t_s[0]
    for item in (*truth.contacts, *truth.landings, *truth.calf_raises, *truth.sets):
        for name, value in item.__dict__.items():
            if (
                name.endswith("_s")
                and name not in ("hold_target_s", "ringing_settled_s")
                and value is not None
            ):
                assert 0.0 <= value <= end + 1e-9, (name, value)
    for landing in truth.landings:
        assert landing.landing_s < landing.hold_end_s
        if landing.stabilised_s is not None:
            assert landing.landing_s < landing.stabilised_s < landing.hold_end_s
    for a, b in zip(truth.sets, truth.sets[1:], strict=False):
        assert a.end_s <= b.start_s
    reps = truth.calf_raises
    for r in reps:
        assert r.start_s < r.top_s <= r.lower_s < r.bottom_s < r.end_s
        assert r.knee in ("straight", "bent")
    for a, b in itertools.pairwise(reps):
        assert a.end_s <= b.start_s + 1e-9
    if reps:
        full = max(r.range_deg for r in reps)
        assert [r.partial for r in reps] == [r.range_deg < 0.4 * full for r in reps]
        assert sum(r.partial for r in reps) == SHORT[exercise]["partial_reps"] * (
            SHORT[exercise].get("n_sets", 1)
        )
    kinds = {
        "eccentric_calf_raise": "calf_raises",
        "single_leg_calf_raise": "calf_raises",
        "walking": "strides",
        "running": "strides",
    }
    assert truth.sets and all(s.kind == kinds.get(exercise, s.kind) for s in truth.sets)


def test_exercise_structure():
    sim = simulate("leap_and_hop", SensorParams(sample_rate_hz=104.0), seed=1)
    roles = [c.role for c in sim.truth.contacts]
    assert roles[0] == "leap_landing" and roles.count("hop") == 7  # 8 hops: 7 rebounds + final landing
    assert sim.truth.landings[0].ended_by == "hop"
    assert sim.truth.landings[0].hold_end_s == pytest.approx(sim.truth.contacts[0].takeoff_s)
    hold = simulate(
        "forward_hop_hold", SensorParams(sample_rate_hz=104.0), seed=1, reps=3, hold_failure=["stumble"]
    )
    endings = sorted(x.ended_by for x in hold.truth.landings)
    assert endings == ["other_foot", "other_foot", "stumble"]
    for x in hold.truth.landings:
        if x.ended_by == "other_foot":
            assert x.hold_end_s - x.landing_s == pytest.approx(5.0, abs=1e-6)
        else:
            assert x.hold_end_s - x.landing_s < 4.0


def test_landing_transient_decays_to_sway():
    sensor = SensorParams(**{**QUIET.__dict__, "sample_rate_hz": 208.0})
    sim = simulate("forward_hop_hold", sensor, seed=8, reps=2)
    data = sim.data
    for x in sim.truth.landings:
        settle = x.landing_s + 0.3  # the landing is absorbed by then; the transient remains
        early = _window(data, settle, settle + 0.5 * (x.ringing_settled_s - settle))
        late = _window(data, x.ringing_settled_s + 0.3, x.hold_end_s - 0.3)
        rms = [np.sqrt(np.mean(np.sum(data.gyr_dps[w] ** 2, 1))) for w in (early, late)]
        assert rms[0] > 2.5 * rms[1]
        assert 0.5 < rms[1] < 10.0


def test_ringing_truth_is_against_the_sway_each_hold_realised():
    # sigma in tau ln(A / sigma) is the RMS sway rate of the hold itself (what a recording shows), not the
    # session's nominal level (which a few seconds of low-frequency sway miss by up to a quarter).
    session, motion, _ = _build("forward_hop_hold", 6, {"reps": 5})
    transients = {a.t0: a for a in motion.additives if a.kind == "transient" and a.channel == 3}
    others = {a.t0: a for a in motion.additives if a.kind == "transient" and a.channel == 4}
    off_nominal = []
    for x in session.landings:
        a3, a4 = transients[x.landing_s], others[x.landing_s]
        amp_dps = np.degrees(np.hypot(a3.amp, a4.amp))
        sigma_truth = amp_dps / np.exp((x.ringing_settled_s - x.landing_s) / a3.tau)
        t = np.arange(x.landing_s + 0.3, x.hold_end_s, 0.001)
        rate = np.degrees(np.diff(motion._sway(t, 0.005), axis=0)) / 0.001
        sigma_hold = np.sqrt(np.mean(np.sum(rate**2, axis=1)))
        assert sigma_truth == pytest.approx(sigma_hold, rel=0.01)
        off_nominal.append(abs(sigma_hold / session.sway_single - 1.0))
    assert max(off_nominal) > 0.05


def test_stabilisation_truth_is_the_method_on_the_true_rate():
    # The truth is time_to_stabilisation on the shank's kinematic angular rate over the hold's balance. A
    # noise-free, bias-free sensor at 1 kHz (its filter far above the sway) reads the same rate in another
    # frame: the method gives the same instant on it, whatever the mounting and leg.
    sim = simulate(
        "forward_hop_hold",
        SensorParams(**{**QUIET.__dict__, "sample_rate_hz": 1000.0, "mounting": "random"}),
        seed=12,
        reps=4,
        hold_failure=["hop", "stumble"],
        leg="left",
    )
    t = sim.data.t_s - sim.data.t_s[0]
    with_tts = 0
    for x in sim.truth.landings:
        tts = time_to_stabilisation(t, sim.data.gyr_dps, x.landing_s, balance_end_s(x.hold_end_s, x.ended_by))
        if x.stabilised_s is None:
            assert tts is None
        else:
            with_tts += 1
            assert tts == pytest.approx(x.stabilised_s - x.landing_s, abs=0.02)
    assert with_tts >= 3
    # The same motion sampled by another sensor has the same truth (up to the clock).
    other = simulate(
        "forward_hop_hold",
        SensorParams(sample_rate_hz=52.0),
        seed=12,
        reps=4,
        hold_failure=["hop", "stumble"],
        leg="left",
    )
    for a, b in zip(sim.truth.landings, other.truth.landings, strict=True):
        assert (a.stabilised_s is None) == (b.stabilised_s is None)
        if a.stabilised_s is not None:
            assert a.stabilised_s - a.landing_s == pytest.approx(b.stabilised_s - b.landing_s, abs=1e-3)


def test_calf_raise_lifts_the_ankle_and_tilts_the_shank():
    session, motion, leg = _build("eccentric_calf_raise", 2, {"reps": 2, "knee": "straight"})
    rep = session.reps[0]
    pos_top, rot_top = pose_on_grid(motion, np.array([rep.top_s]), leg)
    pos_bot, rot_bot = pose_on_grid(motion, np.array([rep.bottom_s]), leg)
    rise_cm = 100 * (pos_top[0, 2] - pos_bot[0, 2])
    assert 5.0 < rise_cm < 12.0
    tilt = math.degrees(math.acos(np.clip(rot_top[0][:, 0] @ rot_bot[0][:, 0], -1, 1)))
    assert 1.0 < tilt < 8.0


def test_a_heel_on_the_flat_never_goes_below_the_floor():
    # The foot angle comes back to the floor (0) or stops short of it; below a step it varies both ways.
    for exercise, below in (("single_leg_calf_raise", False), ("eccentric_calf_raise", True)):
        session, motion, _ = _build(exercise, 4, {"n_sets": 1, "reps": 20})
        t = np.concatenate([np.linspace(r.start_s, r.end_s, 50) for r in session.reps])
        beta = motion.evaluate(t)[:, 6]
        assert bool(beta.min() < -0.05) is below
        if not below:
            assert beta.min() >= -1e-9
            bottoms = motion.evaluate(np.array([r.bottom_s for r in session.reps]))[:, 6]
            assert np.any(bottoms == 0.0) and np.any(bottoms > 0.005)


def test_unknown_exercise_and_option_are_reported():
    with pytest.raises(SimulationError, match="pogo_hops"):
        simulate("pogo")
    with pytest.raises(SimulationError, match="rest_s"):
        simulate("pogo_hops", n_set=2)
    with pytest.raises(SimulationError, match="knee"):
        simulate("eccentric_calf_raise", knee="sideways")
    with pytest.raises(SimulationError, match="contact_time_ms"):
        simulate("pogo_hops", contact_time_ms=(300, 200))
    with pytest.raises(SimulationError, match="sample_rate_hz"):
        simulate("pogo_hops", SensorParams(sample_rate_hz=5000.0))
    assert "tempo" in exercise_options("eccentric_calf_raise")


def test_walking_and_running_strides():
    walk = simulate("walking", SensorParams(sample_rate_hz=104.0), seed=2, duration_s=10.0)
    run = simulate("running", SensorParams(sample_rate_hz=416.0), seed=2, duration_s=10.0)
    for sim, lo, hi in ((walk, 550, 800), (run, 190, 290)):
        ct = [c.contact_time_ms for c in sim.truth.contacts]
        assert all(c.kind == "stride" for c in sim.truth.contacts)
        assert lo < np.median(ct) < hi
    peak_walk = np.abs(walk.data.gyr_dps).max()
    peak_run = np.abs(run.data.gyr_dps).max()
    assert 250 < peak_walk < peak_run
