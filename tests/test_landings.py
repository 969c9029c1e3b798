"""Landing holds: found, their end and ending, the target verdict, stabilisation and sway, sets."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.analysis import AnalysisOptions, LandingParams, analyse, detect_landings
from imu_app.analysis._contacts import contacts_from_data
from imu_app.core import AnalysisError, ImuData
from imu_app.core.stabilisation import (
    TTS_ABSORPTION_S,
    TTS_FACTOR,
    TTS_PUSHOFF_S,
    TTS_WINDOW_S,
    balance_end_s,
    time_to_stabilisation,
)
from imu_app.recordings import load
from imu_app.sim import SensorParams, read_truth, simulate

from .paths import RECORDINGS

TOLERANCE_S = LandingParams().target_tolerance_s


def _pairs(found, truth):
    """Each true landing with the found one nearest to it (all must be within 40 ms).

    40 ms, not 20: on the realistic leg at the ankle the hop detector takes some landings up to 36 ms off
    (the leg's reach before the impact; docs/contact-detection.md, "The realistic simulator").
    """
    out = []
    for t in truth:
        f = min(found, key=lambda x: abs(x.landing_s - t.landing_s))
        assert abs(f.landing_s - t.landing_s) < 0.04, (f, t)
        out.append((f, t))
    return out


def _met(t) -> bool:
    return (t.hold_end_s - t.landing_s) >= t.hold_target_s - TOLERANCE_S


@pytest.fixture(scope="module")
def failing_holds():
    return simulate(
        "forward_hop_hold",
        SensorParams(sample_rate_hz=416, mounting="random"),
        seed=4,
        reps=4,
        hold_failure=["stumble", "other_foot", "hop"],
    )


def test_every_hold_its_end_and_ending_are_found(failing_holds):
    res = detect_landings(failing_holds.data)
    truth = failing_holds.truth.landings
    assert len(res.landings) == len(truth)
    for f, t in _pairs(res.landings, truth):
        assert f.ended_by == t.ended_by
        assert f.hold_s == pytest.approx(t.hold_end_s - t.landing_s, abs=0.05)
        if t.hold_target_s > 0:
            assert f.hold_target_met == _met(t)


def test_holds_end_on_time_at_a_low_rate():
    # At 52 Hz the other foot's spike is a sample wide or falls between samples; the weight shift onto
    # both feet (tilt of gravity and its rate) times the end instead.
    errors = []
    for seed in range(20, 26):
        sim = simulate(
            "forward_hop_hold",
            SensorParams(sample_rate_hz=52.0, mounting="random"),
            seed=seed,
            reps=4,
            hold_failure=["other_foot"],
        )
        res = detect_landings(sim.data)
        undecided = [w for w in res.warnings if "undecided" in w]
        for f, t in _pairs(res.landings, sim.truth.landings):
            assert f.ended_by == t.ended_by
            errors.append(f.hold_s - (t.hold_end_s - t.landing_s))
            if not any(f"{f.landing_s:.2f} s" in w for w in undecided):
                assert f.hold_target_met == _met(t)
    errors = np.abs(errors)
    assert np.max(errors) < 0.1
    assert np.mean(errors <= 0.05) >= 0.85


@pytest.mark.parametrize(("rate_hz", "seed"), [(416.0, 2008), (104.0, 2006), (52.0, 2020)])
def test_a_full_hold_is_not_ended_by_a_quiet_moment_of_its_sway(rate_hz, seed):
    # The landing's ringing dies away, then single-leg sway has a quiet moment: the same calm as both feet
    # down, after a small spike (416 and 104 Hz) or none (52 Hz). Without a weight shift to confirm it,
    # these full 5-s holds ended 4.1, 2.5 and 2.9 s early.
    sim = simulate(
        "forward_hop_hold",
        SensorParams(sample_rate_hz=rate_hz, mounting="random"),
        seed=seed,
        reps=5,
        hold_failure=0,
    )
    res = detect_landings(sim.data)
    for f, t in _pairs(res.landings, sim.truth.landings):
        assert f.hold_s == pytest.approx(t.hold_end_s - t.landing_s, abs=0.05)
        assert f.hold_target_met


@pytest.mark.xfail(
    strict=True, reason="the realistic leg's landing before the stumble is not found as a contact"
)
def test_a_stumble_soon_after_the_landing_is_timed_from_its_own_growth():
    # A stumble 1.6 s after a squat drop's landing at 52 Hz: the landing's ringing is still dying away when
    # the burst begins, and fitting the burst from the hold's typical sway put its onset 0.5 s early.
    sim = simulate(
        "squat_drop",
        SensorParams(sample_rate_hz=52.0, mounting="random"),
        seed=2005,
        reps=5,
        hold_failure=["other_foot", "stumble"],
    )
    res = detect_landings(sim.data, LandingParams(hold_target_s=3.0))
    stumbles = [(f, t) for f, t in _pairs(res.landings, sim.truth.landings) if t.ended_by == "stumble"]
    assert stumbles
    for f, t in stumbles:
        assert t.hold_end_s - t.landing_s < 2.0  # the short hold this test is about
        assert f.ended_by == "stumble"
        assert f.hold_s == pytest.approx(t.hold_end_s - t.landing_s, abs=0.05)


def _tts_agrees(found, truth, tol_s: float = 0.1) -> bool:
    """Both without a TTS, or both with one within ``tol_s``."""
    if truth.stabilised_s is None or found.stabilised_s is None:
        return truth.stabilised_s is None and found.stabilised_s is None
    return abs(found.stabilised_s - truth.stabilised_s) <= tol_s


def test_stabilisation_is_the_method_applied_to_the_measured_rate(failing_holds):
    # The truth is the same method on the shank's true angular rate: the measured rate (noise, bias,
    # filter, random mounting) must give the same instant.
    res = detect_landings(failing_holds.data)
    pairs = _pairs(res.landings, failing_holds.truth.landings)
    assert sum(t.stabilised_s is not None for _, t in pairs) >= 3
    for f, t in pairs:
        assert _tts_agrees(f, t), (f, t)
        assert f.window_s == TTS_WINDOW_S == LandingParams().window_s
        if f.stabilised_s is not None:
            assert f.time_to_stabilisation_s == pytest.approx(f.stabilised_s - f.landing_s)
            assert f.sway_gyr_rms_dps is not None and 0.5 < f.sway_gyr_rms_dps < 10.0
    # The median of the holds' own sway after stabilisation (single-leg sway and the ringing's tail).
    assert res.sway_reference_dps is not None and 1.0 < res.sway_reference_dps < 10.0


@pytest.mark.parametrize("rate_hz", [52.0, 1000.0])
def test_stabilisation_matches_its_truth_on_simulated_holds(rate_hz):
    agree, total = 0, 0
    for seed in (31, 32):
        sim = simulate(
            "forward_hop_hold",
            SensorParams(sample_rate_hz=rate_hz, mounting="random"),
            seed=seed,
            reps=4,
            hold_failure=["other_foot"],
        )
        res = detect_landings(sim.data)
        for f, t in _pairs(res.landings, sim.truth.landings):
            total += 1
            agree += _tts_agrees(f, t)
    assert agree >= total - 1


def _decay_plus_sway(fs: float, *, amp: float = 40.0, tau: float = 0.4, sigma: float = 3.0, length_s=5.0):
    """A decaying rotation rate ``amp exp(-t/tau)`` about one axis and sway of constant RMS ``sigma``
    (a 20-Hz sinusoid, whole periods in every window) about another, from touch-down at t = 0."""
    t = np.arange(0.0, length_s, 1.0 / fs)
    rate = np.zeros((t.size, 3))
    rate[:, 0] = amp * np.exp(-t / tau)
    rate[:, 1] = sigma * np.sqrt(2.0) * np.sin(2.0 * np.pi * 20.0 * t)
    return t, rate


@pytest.mark.parametrize("fs", [52.0, 208.0, 1000.0])
def test_time_to_stabilisation_of_a_known_decay(fs):
    amp, tau, sigma, w, k = 40.0, 0.4, 3.0, TTS_WINDOW_S, TTS_FACTOR
    t, rate = _decay_plus_sway(fs, amp=amp, tau=tau, sigma=sigma)
    # The window's mean of amp^2 exp(-2t/tau) is amp^2 (tau/w) sinh(w/tau) exp(-2c/tau) at its centre c;
    # the last 1.5 s hold only the sway, so the threshold is (k sigma)^2.
    expected = 0.5 * tau * np.log(amp**2 * tau * np.sinh(w / tau) / (w * (k * k - 1.0) * sigma**2))
    assert 0.6 < expected < 1.0
    got = time_to_stabilisation(t, rate, 0.0, 5.0)
    assert got == pytest.approx(expected, abs=0.01 if fs > 100 else 0.02)
    # The resultant is all the method sees: the same rate as one column gives the same answer.
    assert time_to_stabilisation(t, np.linalg.norm(rate, axis=1), 0.0, 5.0) == pytest.approx(got, abs=1e-9)


def test_time_to_stabilisation_of_a_ringing_landing():
    # A ringing about a fixed axis (1.6 Hz, as after a landing) decays like its envelope: the instant lies
    # within a swing of that of the envelope alone.
    fs = 500.0
    t, rate = _decay_plus_sway(fs, amp=45.0, tau=0.5)
    envelope_only = time_to_stabilisation(t, rate, 0.0, 5.0)
    ringing = rate.copy()
    ringing[:, 0] = np.sqrt(2.0) * 45.0 * np.exp(-t / 0.5) * np.sin(2.0 * np.pi * 1.6 * t)
    got = time_to_stabilisation(t, ringing, 0.0, 5.0)
    assert got is not None and abs(got - envelope_only) < 0.15


def test_time_to_stabilisation_edge_cases():
    t, rate = _decay_plus_sway(208.0)
    # Too short to have a quiet stance of its own after the absorption and the first window.
    short = TTS_ABSORPTION_S + TTS_WINDOW_S + 1.5
    assert time_to_stabilisation(t, rate, 0.0, short - 0.01) is None
    assert time_to_stabilisation(t, rate, 0.0, short + 0.01) is not None
    assert time_to_stabilisation(t[:3], rate[:3], 0.0, 0.4) is None
    # Quiet from the start: stable as soon as the absorption is over.
    quiet = rate.copy()
    quiet[:, 0] = 0.0
    assert time_to_stabilisation(t, quiet, 0.0, 5.0) == pytest.approx(TTS_ABSORPTION_S)
    # A burst at the end raises the reference with it: the last window lies inside the reference span, so
    # its mean square is at most reference_s / window_s = 3 times the reference's, below 2.5^2. With a
    # threshold below that the hold can end above it, and it never stabilised.
    late = quiet.copy()
    late[t > 4.7, 0] = 60.0
    assert time_to_stabilisation(t, late, 0.0, 5.0) == pytest.approx(TTS_ABSORPTION_S)
    assert time_to_stabilisation(t, late, 0.0, 5.0, factor=1.5) is None
    # Samples missing (NaN) or a hold starting after the data: no crash.
    holes = rate.copy()
    holes[::7] = np.nan
    assert time_to_stabilisation(t, holes, 0.0, 5.0) == pytest.approx(
        time_to_stabilisation(t, rate, 0.0, 5.0), abs=0.02
    )
    assert time_to_stabilisation(t, rate, 10.0, 20.0) is None
    with pytest.raises(ValueError):
        time_to_stabilisation(t, rate[:-1], 0.0, 5.0)


def test_balance_ends_before_a_hops_push_off():
    assert balance_end_s(5.0, "hop") == pytest.approx(5.0 - TTS_PUSHOFF_S)
    assert balance_end_s(5.0, "other_foot") == balance_end_s(5.0, "stumble") < 5.0


# The bundled recordings come from the realistic simulator (hop drills on the shoe); their holds do not
# yet replay to the truth where the hop detector misplaces or misses a contact (test_recordings_truth's
# HOLDS_NOT_YET_RIGHT). Strict: a recording that replays right again fails here and must be unmarked.
@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=why))
        for n, why in [
            ("forward_hop_hold", "one hold of three found with its duration within 50 ms"),
            ("squat_drop", "a hold missed"),
            ("leap_and_hop", "an extra hold found"),
        ]
    ],
)
def test_committed_recordings_replay_to_their_truth(name):
    data = load(RECORDINGS / f"{name}.csv")
    truth = read_truth(RECORDINGS / f"{name}.truth.json").landings
    report = analyse(data)
    assert len(report.landings) == len(truth)
    for f, t in _pairs(report.landings, truth):
        assert f.ended_by == t.ended_by
        assert f.hold_s == pytest.approx(t.hold_end_s - t.landing_s, abs=0.05)
    if name != "leap_and_hop":  # its "find balance" target is drawn at random by the simulator
        assert [f.hold_target_met for f, _ in _pairs(report.landings, truth)] == [_met(t) for t in truth]
    for f, t in _pairs(report.landings, truth):
        assert _tts_agrees(f, t), (f, t)
    landing_sets = [s for s in report.sets if s.kind == "landings"]
    assert sum(s.count for s in landing_sets) == len(truth)
    assert all(
        x.set_index is not None and report.sets[x.set_index].kind == "landings" for x in report.landings
    )


def test_accelerometer_only_keeps_holds_and_leaves_stabilisation_empty():
    sim = simulate(
        "squat_drop",
        SensorParams(sample_rate_hz=208, mounting="random", with_gyro=False),
        seed=9,
        reps=3,
        hold_failure=["other_foot"],
    )
    res = detect_landings(sim.data, LandingParams(hold_target_s=3.0))
    assert any("no gyroscope" in w for w in res.warnings)
    assert len(res.landings) == len(sim.truth.landings)
    for f, t in _pairs(res.landings, sim.truth.landings):
        assert f.stabilised_s is None and f.time_to_stabilisation_s is None and f.sway_gyr_rms_dps is None
        assert f.sway_acc_rms_g is not None
        assert f.hold_s == pytest.approx(t.hold_end_s - t.landing_s, abs=0.05)
        assert f.hold_target_met == _met(t)


def test_a_hold_cut_by_the_end_of_the_recording_ends_there(failing_holds):
    data = failing_holds.data
    t0 = data.t_s[0]
    last = failing_holds.truth.landings[-1]
    stop = int(np.searchsorted(data.t_s - t0, last.landing_s + 2.0))
    cut = data.slice(0, stop)
    # The contact detector reports the landing the recording ends on apart from its contacts.
    assert contacts_from_data(cut).final_landing_s == pytest.approx(last.landing_s, abs=0.02)
    res = detect_landings(cut)
    final = res.landings[-1]
    assert final.landing_s == pytest.approx(last.landing_s, abs=0.02)
    assert final.ended_by == "end_of_recording"
    assert final.hold_s == pytest.approx((data.t_s[stop - 1] - t0) - last.landing_s, abs=0.02)
    assert not final.hold_target_met


def test_sets_count_holds_and_say_which_fell_short(failing_holds):
    res = detect_landings(failing_holds.data)
    assert [s.kind for s in res.sets] == ["landings"]
    s = res.sets[0]
    assert s.count == len(res.landings)
    asked = [x for x in res.landings if x.hold_target_s > 0]
    met = sum(x.hold_target_met for x in asked)
    assert f"{met} of {len(asked)} holds met the 5 s target" in s.notes
    assert set(s.stats) >= {"time_to_stabilisation_s", "hold_s", "sway_gyr_rms_dps", "sway_acc_rms_g"}


def test_hops_without_holds_give_no_landings_and_options_reach_the_analysis():
    # The set's last landing of the realistic pogo_hops recording is taken for a hold (one landing, where
    # there should be none); no more than that.
    assert len(detect_landings(load(RECORDINGS / "pogo_hops.csv")).landings) <= 1
    report = analyse(load(RECORDINGS / "squat_drop.csv"), AnalysisOptions(hold_target_s=1.0))
    assert report.algorithm.parameters["landings.hold_target_s"] == 1.0
    assert all(x.hold_target_met for x in report.landings if x.hold_s >= 0.8)


def test_quiet_standing_has_no_landing():
    t = np.arange(0, 20, 0.01)
    acc = np.tile([0.0, 0.0, 1.0], (t.size, 1))
    assert detect_landings(ImuData(t_s=t, acc_g=acc)).landings == ()


def test_bad_parameters_are_rejected():
    with pytest.raises(AnalysisError):
        LandingParams(hold_target_s=-1.0)
    with pytest.raises(AnalysisError):
        LandingParams(window_s=0.0)
