"""Hop contact detection: timing against exact synthetic truth, robustness, streaming, metrics, report."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from imu_app.analysis import AnalysisOptions, analyse
from imu_app.analysis._contacts import (
    ContactParams,
    HopContactStream,
    contacts_from_data,
    detect_hop_contacts,
)
from imu_app.analysis._hop_metrics import hop_report, jump_height_cm
from imu_app.core import Gap, ImuData

from ._hop_signals import synth_hops

#: The synthetic signals are sampled without a sensor's anti-alias filter, so the detector must not remove
#: that filter's delay from them (the simulator's recordings, which are filtered, test the default).
UNFILTERED = ContactParams(antialias_cutoff_ratio=None)


def _errors_ms(found, truth) -> tuple[np.ndarray, np.ndarray]:
    assert len(found) == truth.landing_s.size
    return 1000 * (found.landing_s - truth.landing_s), 1000 * (found.takeoff_s - truth.takeoff_s)


@pytest.mark.parametrize(
    ("rate_hz", "p95_ms", "max_ms"),
    [(1000.0, 1.0, 1.0), (416.0, 1.5, 1.5), (200.0, 3.0, 3.0), (100.0, 5.0, 8.0)],
)
def test_sub_sample_timing_at_every_rate(rate_hz: float, p95_ms: float, max_ms: float) -> None:
    errs = []
    for seed in range(3):
        truth = synth_hops(rate_hz=rate_hz, seed=seed)
        land, takeoff = _errors_ms(contacts_from_data(truth.data, UNFILTERED), truth)
        errs.append(np.abs(np.r_[land, takeoff]))
    e = np.concatenate(errs)
    assert np.percentile(e, 95) < p95_ms
    assert e.max() < max_ms


def test_timing_beats_the_sample_grid_at_low_rate() -> None:
    # Quantising to samples at 104 Hz gives errors up to 9.6 ms; interpolation must do clearly better.
    errs = []
    for seed in range(6):
        truth = synth_hops(rate_hz=104.0, seed=seed, rise_s=0.02)
        land, takeoff = _errors_ms(contacts_from_data(truth.data, UNFILTERED), truth)
        errs.append(np.r_[land, takeoff])
    assert np.percentile(np.abs(np.concatenate(errs)), 95) < 4.0


def test_any_mounting_gives_the_same_events() -> None:
    a = synth_hops(seed=1)
    rot, _ = np.linalg.qr(np.random.default_rng(9).normal(size=(3, 3)))
    b = dataclasses.replace(a.data, acc_g=a.data.acc_g @ rot.T)
    fa, fb = contacts_from_data(a.data), contacts_from_data(b)
    np.testing.assert_allclose(fa.landing_s, fb.landing_s, atol=1e-9)
    np.testing.assert_allclose(fa.takeoff_s, fb.takeoff_s, atol=1e-9)


def test_saturated_landings_keep_their_timing() -> None:
    truth = synth_hops(seed=2, acc_range_g=4.0, impact_g=9.0)
    assert np.any(np.abs(truth.data.acc_g) >= 4.0)
    land, takeoff = _errors_ms(contacts_from_data(truth.data), truth)
    assert np.abs(land).max() < 1.0
    assert np.abs(takeoff).max() < 1.0


def test_irregular_timestamps_and_no_gyro() -> None:
    truth = synth_hops(seed=4, jitter_s=0.0002)
    assert truth.data.gyr_dps is None
    land, takeoff = _errors_ms(contacts_from_data(truth.data), truth)
    assert np.abs(land).max() < 1.0
    assert np.abs(takeoff).max() < 1.5


def test_standing_and_unloading_dips_are_not_hops() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(0, 10, 0.001)
    s = np.ones_like(t)
    s[(t > 3) & (t < 3.08)] = 0.1  # a quick unloading dip on the ground, no impact after it
    s[(t > 3.08) & (t < 3.2)] = 1.4
    acc = s[:, None] * np.array([0.0, 0.6, 0.8]) + rng.normal(scale=0.005, size=(t.size, 3))
    assert len(detect_hop_contacts(t, acc)) == 0


def test_gap_inside_a_contact_cuts_it_and_invents_nothing() -> None:
    truth = synth_hops(seed=5, n_hops=8)
    d = truth.data
    mid = 0.5 * (truth.landing_s[3] + truth.takeoff_s[3]) + d.t_s[0]
    lo, hi = np.searchsorted(d.t_s, [mid - 0.03, mid + 0.03])
    keep = np.r_[0:lo, hi : len(d)]
    t = d.t_s[keep]
    gap = Gap(before_idx=lo - 1, start_s=float(t[lo - 1]), end_s=float(t[lo]), n_missing=int(hi - lo))
    cut = ImuData(t_s=t, acc_g=d.acc_g[keep], gaps=(gap,), meta=d.meta)
    found = contacts_from_data(cut)
    land = found.landing_s
    # The contact with the gap: landing seen, take-off unknown, incomplete; after the gap a contact resumes.
    i = int(np.argmin(np.abs(land - truth.landing_s[3])))
    assert abs(land[i] - truth.landing_s[3]) < 0.001
    assert not found.complete[i] and np.isnan(found.takeoff_s[i])
    resumed = found.landing_s[i + 1]
    assert not found.complete[i + 1] and resumed == pytest.approx(t[lo] - t[0])
    assert abs(found.takeoff_s[i + 1] - truth.takeoff_s[3]) < 0.001
    others = np.r_[0:i, i + 2 : len(found)]
    assert found.complete[others].all()
    assert len(found) == truth.landing_s.size + 1


def test_gap_inside_a_flight_hides_the_flight_time() -> None:
    truth = synth_hops(seed=6, n_hops=6)
    d = truth.data
    mid = 0.5 * (truth.takeoff_s[1] + truth.landing_s[2]) + d.t_s[0]
    lo, hi = np.searchsorted(d.t_s, [mid - 0.02, mid + 0.02])
    keep = np.r_[0:lo, hi : len(d)]
    t = d.t_s[keep]
    gap = Gap(before_idx=lo - 1, start_s=float(t[lo - 1]), end_s=float(t[lo]), n_missing=int(hi - lo))
    found = contacts_from_data(ImuData(t_s=t, acc_g=d.acc_g[keep], gaps=(gap,), meta=d.meta))
    i = int(np.argmin(np.abs(found.landing_s - truth.landing_s[2])))
    assert np.isnan(found.flight_before_ms[i])
    assert np.isfinite(found.flight_before_ms[i + 1])


def test_streaming_in_random_chunks_equals_offline() -> None:
    truth = synth_hops(seed=7, n_hops=10, rate_hz=500.0)
    d = truth.data
    offline = contacts_from_data(d)
    rng = np.random.default_rng(1)
    stream = HopContactStream(d.sample_rate_hz, ContactParams())
    parts = []
    i = 0
    while i < len(d):
        j = min(len(d), i + int(rng.integers(1, 400)))
        parts.append(stream.feed(d.t_s[i:j], d.acc_g[i:j]))
        i = j
    parts.append(stream.finish())
    landing = np.concatenate([p.landing_s for p in parts])
    takeoff = np.concatenate([p.takeoff_s for p in parts])
    # Same events; times agree to rounding (the stream re-bases its buffer's clock).
    assert landing.size == len(offline)
    np.testing.assert_allclose(landing, offline.landing_s, rtol=0, atol=1e-9)
    np.testing.assert_allclose(takeoff, offline.takeoff_s, rtol=0, atol=1e-9)
    # Events come out no later than MAX_LOOKAHEAD_S after they happen (contacts before the last).
    assert sum(len(p) for p in parts[:-1]) >= len(offline) - 1


def test_metrics_jump_height_rsi_and_sets() -> None:
    assert jump_height_cm(500.0) == pytest.approx(100 * 9.80665 * 0.25 / 8)
    truth = synth_hops(seed=8, n_hops=6, contact_s=0.2, flight_s=0.4)
    found = contacts_from_data(truth.data)
    contacts, sets = hop_report(found, "pogo_hops")
    assert len(sets) == 1 and sets[0].count == len(contacts)
    c0, c1 = contacts[0], contacts[1]
    assert c0.flight_time_ms == pytest.approx(1000 * (truth.landing_s[0] - 1.0), abs=30)
    flight_after_c0 = c1.flight_time_ms
    expected_rsi = jump_height_cm(flight_after_c0) / 100 / (c0.contact_time_ms / 1000)
    assert c0.rsi == pytest.approx(float(expected_rsi))
    assert c0.flight_contact_ratio == pytest.approx(flight_after_c0 / c0.contact_time_ms)
    ct = sets[0].stats["contact_time_ms"]
    assert ct.mean == pytest.approx(np.mean([c.contact_time_ms for c in contacts]))
    assert ct.best == pytest.approx(min(c.contact_time_ms for c in contacts))


def test_analyse_fills_contacts_sets_and_parameters() -> None:
    truth = synth_hops(seed=9, n_hops=5)
    rep = analyse(truth.data, AnalysisOptions(exercise="pogo_hops"))
    assert len(rep.contacts) == truth.landing_s.size == 4  # the fifth landing is final: not a contact
    assert rep.sets and rep.sets[0].kind == "hops"
    assert rep.algorithm.parameters["contacts"]["flight_max_g"] == ContactParams().flight_max_g
    d = rep.to_dict()
    assert d["contacts"][0]["kind"] == "hop"
