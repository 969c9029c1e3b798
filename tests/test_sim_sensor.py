"""The simulated sensor: saturation, packet loss, clock drift, jitter, determinism, truth files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imu_app.core import SimulationError
from imu_app.sim import SensorParams, Truth, TruthContact, TruthLanding, read_truth, simulate, write_truth

POGO = {"n_sets": 1, "reps": 5, "lead_in_s": 1.0, "lead_out_s": 1.0}


def test_drop_jump_clips_at_8g_range():
    sim = simulate(
        "drop_jump", SensorParams(sample_rate_hz=833.0, acc_range_g=8.0), seed=1, reps=1, box_height_m=0.4
    )
    acc = sim.data.acc_g
    lsb = 8.0 / 32768
    assert acc.max() <= 8.0 - lsb + 1e-12 and acc.min() >= -8.0
    assert np.sum(np.abs(acc) >= 8.0 - lsb - 1e-9) > 0, "a 40 cm drop exceeds 8 g at the ankle"
    wide = simulate(
        "drop_jump", SensorParams(sample_rate_hz=833.0, acc_range_g=32.0), seed=1, reps=1, box_height_m=0.4
    )
    assert np.abs(wide.data.acc_g).max() > 8.5


def test_readings_are_16_bit():
    sim = simulate("pogo_hops", SensorParams(sample_rate_hz=208.0), seed=2, **POGO)
    counts = sim.data.acc_g / (16.0 / 32768)
    assert np.allclose(counts, np.round(counts))
    gcounts = sim.data.gyr_dps / (2000.0 / 32768)
    assert np.allclose(gcounts, np.round(gcounts))


def test_packet_loss_makes_gaps_where_packets_are_missing():
    base = SensorParams(sample_rate_hz=416.0, samples_per_packet=4)
    full = simulate("pogo_hops", base, seed=6, **POGO).data
    lossy = simulate("pogo_hops", SensorParams(**{**base.__dict__, "packet_loss": 0.05}), seed=6, **POGO).data
    assert len(lossy) < len(full) and len(lossy) % 1 == 0
    # Surviving samples are the same samples, untouched.
    idx = np.searchsorted(full.t_s, lossy.t_s)
    assert np.array_equal(full.t_s[idx], lossy.t_s)
    assert np.array_equal(full.acc_g[idx], lossy.acc_g[idx * 0 + np.arange(len(idx))]) or np.array_equal(
        full.acc_g[idx], lossy.acc_g
    )
    lost_packets = np.setdiff1d(full.seq, lossy.seq)
    assert lost_packets.size > 0
    assert len(lossy) == len(full) - 4 * lost_packets.size or lossy.seq[-1] != full.seq[-1]
    # One gap per run of consecutive lost packets, each after the last sample before the run.
    runs = np.split(lost_packets, np.flatnonzero(np.diff(lost_packets) > 1) + 1)
    runs = [r for r in runs if r[-1] < lossy.seq[-1]]
    assert len(lossy.gaps) == len(runs)
    for gap, run in zip(lossy.gaps, runs, strict=True):
        assert lossy.seq[gap.before_idx] == run[0] - 1
        assert lossy.seq[gap.before_idx + 1] == run[-1] + 1
        assert gap.n_missing == 4 * len(run)
    assert simulate("pogo_hops", base, seed=6, **POGO).data.gaps == ()


def test_clock_drift_stretches_sensor_time():
    ppm = 250.0
    ref = simulate("pogo_hops", SensorParams(sample_rate_hz=208.0), seed=9, **POGO)
    fast = simulate("pogo_hops", SensorParams(sample_rate_hz=208.0, clock_drift_ppm=ppm), seed=9, **POGO)
    a0, a1 = ref.truth.contacts[0].landing_s, ref.truth.contacts[-1].takeoff_s
    b0, b1 = fast.truth.contacts[0].landing_s, fast.truth.contacts[-1].takeoff_s
    assert (b1 - b0) / (a1 - a0) == pytest.approx(1 + ppm * 1e-6, abs=1e-9)
    # Samples stay one nominal period apart on the sensor clock.
    assert np.allclose(np.diff(fast.data.t_s), 1 / 208.0)


def test_timestamp_jitter_keeps_order_and_no_false_gaps():
    sim = simulate("pogo_hops", SensorParams(sample_rate_hz=833.0, timestamp_jitter_s=0.0002), seed=4, **POGO)
    dt = np.diff(sim.data.t_s)
    assert np.all(dt > 0)
    assert np.std(dt - 1 / 833.0) > 1e-4
    assert sim.data.gaps == ()


def test_accelerometer_only_and_metadata():
    sim = simulate(
        "eccentric_calf_raise", SensorParams(sample_rate_hz=52.0, with_gyro=False), seed=1, reps=3, leg="left"
    )
    assert sim.data.gyr_dps is None and not sim.data.has_gyro
    meta = sim.data.meta
    assert meta.sample_rate_hz == 52.0 and meta.leg == "left" and meta.exercise == "eccentric_calf_raise"
    assert meta.acc_range_g == 16.0 and meta.placement == "ankle"
    assert sim.data.t_s[0] > 50.0, "sensor clock starts at an arbitrary offset"


def test_same_seed_same_data_other_seed_other_data():
    a = simulate("lateral_hops", SensorParams(sample_rate_hz=416.0), seed=21)
    b = simulate("lateral_hops", SensorParams(sample_rate_hz=416.0), seed=21)
    c = simulate("lateral_hops", SensorParams(sample_rate_hz=416.0), seed=22)
    assert np.array_equal(a.data.t_s, b.data.t_s) and np.array_equal(a.data.acc_g, b.data.acc_g)
    assert np.array_equal(a.data.gyr_dps, b.data.gyr_dps) and a.truth == b.truth
    assert a.truth != c.truth


def test_motion_does_not_depend_on_sensor():
    lo = simulate("pogo_hops", SensorParams(sample_rate_hz=104.0), seed=3, **POGO).truth
    hi = simulate("pogo_hops", SensorParams(sample_rate_hz=1000.0), seed=3, **POGO).truth
    d_lo = [c.takeoff_s - c.landing_s for c in lo.contacts]
    d_hi = [c.takeoff_s - c.landing_s for c in hi.contacts]
    assert np.allclose(d_lo, d_hi)


def test_invalid_sensor_parameters():
    for bad in ({"packet_loss": 1.5}, {"samples_per_packet": 0}, {"mounting": "medial"}, {"acc_noise_g": -1}):
        with pytest.raises(SimulationError):
            simulate("pogo_hops", SensorParams(**bad), **POGO)


def test_truth_round_trip(tmp_path):
    sim = simulate("forward_hop_hold", SensorParams(sample_rate_hz=104.0), seed=1, reps=2)
    path = tmp_path / "x.truth.json"
    write_truth(path, sim.truth)
    doc = json.loads(path.read_text())
    assert doc["schema"] == "imu-app.truth/2"
    assert read_truth(path) == sim.truth
    hand = Truth(
        exercise="pogo_hops",
        contacts=(TruthContact(1.0, 1.2), TruthContact(1.5, 1.7, kind="hop", role="rebound")),
        landings=(TruthLanding(2.0, 2.5, 7.0, 5.0, "other_foot"),),
    )
    assert Truth.from_dict(hand.to_dict()) == hand


def test_truth_reader_rejects_foreign_files(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"schema": "other/1", "exercise": "x"}))
    with pytest.raises(SimulationError, match="schema"):
        read_truth(p)
    p.write_text(json.dumps({"schema": "imu-app.truth/2", "exercise": "x", "contacts": [{"landing_s": 1}]}))
    with pytest.raises(SimulationError, match="contacts"):
        read_truth(p)
    with pytest.raises(SimulationError, match="no such"):
        read_truth(tmp_path / "missing.json")
