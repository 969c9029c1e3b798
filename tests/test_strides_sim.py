"""Stride detection on the simulator (shank-mounted, exact truth), the simulator's shank gait itself, and
accelerometer-only recordings."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.analysis._strides import StrideParams, detect_strides
from imu_app.core import AnalysisError, Gap, ImuData
from imu_app.sim import SensorParams, simulate


def _matched(
    exercise: str, rate_hz: float, mounting: str | tuple[float, float, float], seed: int, leg: str = "right"
):
    sim = simulate(
        exercise, SensorParams(sample_rate_hz=rate_hz, mounting=mounting), seed=seed, duration_s=12.0, leg=leg
    )
    st = detect_strides(sim.data)
    ref_ic = np.array([c.landing_s for c in sim.truth.contacts])
    ref_to = np.array([c.takeoff_s for c in sim.truth.contacts])
    d = np.abs(st.initial_contact_s[:, None] - ref_ic[None, :])
    j = d.argmin(axis=1)
    hit = d[np.arange(j.size), j] < 0.1
    ct_err_ms = 1000 * ((st.toe_off_s - st.initial_contact_s)[hit] - (ref_to - ref_ic)[j[hit]])
    return st, ref_ic, hit, j, ct_err_ms


@pytest.mark.parametrize(
    ("exercise", "rate_hz", "mounting", "seed", "leg"),
    [
        ("walking", 100.0, "lateral", 1, "left"),
        ("walking", 150.0, (180.0, 0.0, 90.0), 7, "right"),
        ("walking", 200.0, "random", 8, "left"),
        ("walking", 416.0, "random", 2, "right"),
        ("walking", 1000.0, (0.0, 30.0, 180.0), 3, "right"),
        ("running", 100.0, (180.0, 0.0, 90.0), 9, "left"),
        ("running", 104.0, "random", 4, "right"),
        ("running", 200.0, "random", 10, "left"),
        ("running", 208.0, "lateral", 5, "right"),
        ("running", 1000.0, "random", 6, "right"),
    ],
)
def test_contact_time_on_the_shank(exercise: str, rate_hz: float, mounting, seed: int, leg: str) -> None:
    """Either leg, the sensor on the side, upside down facing forward, or turned at random, 100-1000 Hz."""
    _, ref_ic, hit, j, err = _matched(exercise, rate_hz, mounting, seed, leg)
    assert np.unique(j[hit]).size == ref_ic.size, "every stance found"
    assert hit.all(), "no stance invented"
    assert abs(np.median(err)) < 8.0, f"contact time biased by {np.median(err):.1f} ms"
    assert np.percentile(np.abs(err), 95) < 15.0


def test_shank_swing_ends_before_contact_and_turns_fastest_at_toe_off() -> None:
    """Terminal-swing retraction and the toe-off minimum (Aminian et al. 2002, Salarian et al. 2004)."""
    for exercise, min_peak in (("walking", 300.0), ("running", 450.0)):
        sim = simulate(exercise, SensorParams(sample_rate_hz=1000.0), seed=7, duration_s=8.0)
        t = sim.data.t_s - sim.data.t_s[0]
        # Lateral mounting: z points out of the lateral side; the swing is positive for this leg.
        w = sim.data.gyr_dps[:, 2]
        w = w if np.percentile(w, 99) > -np.percentile(w, 1) or exercise == "running" else -w
        for c in sim.truth.contacts[1:-1]:
            i_ic = int(np.searchsorted(t, c.landing_s))
            i_to = int(np.searchsorted(t, c.takeoff_s))
            before = w[i_ic - 300 : i_ic]
            assert before.max() > min_peak
            down = np.flatnonzero((before[:-1] > 0) & (before[1:] <= 0))
            assert down.size and 15 <= 300 - down[-1] <= 70, "rate crosses zero 20-60 ms before contact"
            assert w[i_ic] < 0
            near = w[i_to - 100 : i_to + 100]
            assert abs(int(np.argmin(near)) - 100) <= 20, "fastest forward rotation at toe-off"


def test_accelerometer_only_strides_raise_a_clear_error() -> None:
    sim = simulate("walking", SensorParams(sample_rate_hz=104.0, with_gyro=False), seed=1, duration_s=6.0)
    with pytest.raises(AnalysisError, match="toe-off"):
        detect_strides(sim.data)


def test_short_running_stances_still_turn_fastest_at_toe_off() -> None:
    """Contacts of 200-215 ms: the stance's last knots once asked for more angle than their rates covered,
    and the rate peaked up to 36 ms before toe-off, then slowed into it."""
    sim = simulate(
        "running",
        SensorParams(sample_rate_hz=1000.0),
        seed=11,
        duration_s=10.0,
        contact_time_ms=(200.0, 215.0),
    )
    t = sim.data.t_s - sim.data.t_s[0]
    w = sim.data.gyr_dps[:, 2]
    lags_ms = []
    for c in sim.truth.contacts[1:-1]:
        i_to = int(np.searchsorted(t, c.takeoff_s))
        lags_ms.append(int(np.argmin(w[i_to - 60 : i_to + 60])) - 60)
    assert len(lags_ms) >= 10
    assert max(abs(x) for x in lags_ms) <= 3, f"rate minimum off toe-off by {lags_ms} ms"


def _with_gaps(data: ImuData, cuts: list[tuple[int, int]]) -> ImuData:
    """``data`` without the samples ``[a, b)`` of each cut, each marked as a gap."""
    keep = np.ones(len(data), dtype=bool)
    for a, b in cuts:
        keep[a:b] = False
    idx = np.flatnonzero(keep)
    gaps = tuple(
        Gap(
            before_idx=int(np.searchsorted(idx, a)) - 1,
            start_s=float(data.t_s[a - 1]),
            end_s=float(data.t_s[b]),
            n_missing=b - a,
        )
        for a, b in cuts
    )
    return ImuData(
        t_s=data.t_s[keep], acc_g=data.acc_g[keep], gyr_dps=data.gyr_dps[keep], gaps=gaps, meta=data.meta
    )


@pytest.mark.parametrize("exercise", ["walking", "running"])
def test_swings_found_on_the_reduced_rate_give_the_full_rate_events(exercise: str) -> None:
    """At 1 kHz the swings are looked for on 100 Hz block means; the events, timed on the full rate, are
    those found when everything runs at 1 kHz, across gaps too (one leaves a 5-sample stretch, shorter
    than a block, between two others)."""
    sim = simulate(exercise, SensorParams(sample_rate_hz=1000.0, mounting="random"), seed=3, duration_s=15.0)
    data = _with_gaps(sim.data, [(4000, 4700), (8000, 8003), (8008, 8011)])
    reduced = detect_strides(data)
    full = detect_strides(data, StrideParams(swing_rate_hz=1000.0))
    assert len(reduced) == len(full) >= 10
    np.testing.assert_allclose(reduced.initial_contact_s, full.initial_contact_s, atol=1e-4)
    np.testing.assert_allclose(reduced.toe_off_s, full.toe_off_s, atol=1e-4)
