"""The statistics that tell a change from noise, on numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from imu_app.history import (
    Noise,
    SwcBasis,
    Verdict,
    day_to_day_sd,
    judge_change,
    limb_symmetry_index,
    noise_limit,
    pooled_typical_error,
    smallest_worthwhile_change,
)


def test_typical_error_pools_within_session_variance():
    rng = np.random.default_rng(1)
    sessions = [rng.normal(200 + 10 * k, 8.0, size=n) for k, n in enumerate((10, 15, 1, 20))]
    n = np.array([s.size for s in sessions])
    m2 = np.array([((s - s.mean()) ** 2).sum() for s in sessions])
    te, used, df = pooled_typical_error(n, m2)
    # By hand: the one-trial session adds nothing; the session means' spread (10 ms steps) is not noise.
    expected = math.sqrt(sum(m2[[0, 1, 3]]) / (9 + 14 + 19))
    assert te == pytest.approx(expected)
    assert (used, df) == (3, 42)
    assert 6.0 < te < 10.0


def test_typical_error_unknown_without_repeated_trials():
    assert pooled_typical_error(np.array([1, 1]), np.array([0.0, 0.0])) == (None, 0, 0)


def test_swc_prefers_the_squad_and_falls_back_to_the_athlete():
    squad = np.array([180.0, 200.0, 190.0, 210.0, 220.0])
    swc, basis, n = smallest_worthwhile_change(squad, np.array([1.0, 2.0, 3.0]))
    assert basis is SwcBasis.SQUAD and n == 5
    assert swc == pytest.approx(0.2 * np.std(squad, ddof=1))
    swc, basis, n = smallest_worthwhile_change(squad[:2], np.array([190.0, 194.0, 198.0]))
    assert basis is SwcBasis.ATHLETE and n == 3 and swc == pytest.approx(0.2 * 4.0)
    assert smallest_worthwhile_change(squad[:2], np.array([1.0, 2.0])) == (None, SwcBasis.NONE, 0)


def test_change_must_exceed_noise_and_swc():
    noise = Noise(typical_error=10.0, te_sessions=5, te_df=50, swc=3.0, swc_basis=SwcBasis.ATHLETE, swc_n=5)
    limit = noise_limit(10.0, 20, 20)
    assert limit == pytest.approx(1.645 * 10 * math.sqrt(0.1))  # 5.20
    assert judge_change(5.0, 20, 20, noise) == (Verdict.NO_CHANGE, pytest.approx(limit))
    assert judge_change(-5.3, 20, 20, noise)[0] is Verdict.CHANGE
    big_n = judge_change(3.5, 2000, 2000, noise)  # noise tiny: the SWC decides
    assert big_n[0] is Verdict.CHANGE
    assert judge_change(2.9, 2000, 2000, noise)[0] is Verdict.NO_CHANGE
    unknown = Noise(None, 0, 0, 3.0, SwcBasis.ATHLETE, 5)
    assert judge_change(50.0, 20, 20, unknown) == (Verdict.UNKNOWN, None)


def test_limb_symmetry_index_is_weaker_over_stronger():
    assert limb_symmetry_index(180.0, 200.0) == pytest.approx(90.0)
    assert limb_symmetry_index(200.0, 180.0) == pytest.approx(90.0)
    assert limb_symmetry_index(0.0, 0.0) is None
    assert limb_symmetry_index(float("nan"), 1.0) is None


def test_day_to_day_sd_ignores_one_real_step():
    rng = np.random.default_rng(3)
    means = 200 + rng.normal(0, 5.0, size=40)
    means[20:] -= 40  # one real change between sessions 19 and 20
    day = day_to_day_sd(means, np.full(40, 1000), typical_error=1.0)
    assert 3.5 < day < 7.0  # about the 5 ms drawn, the 40 ms step does not count
    assert day_to_day_sd(means[:2], np.array([10, 10]), 1.0) == 0.0
    # When the trials explain the sessions' wandering, there is no day-to-day variation left.
    assert day_to_day_sd(np.array([200.0, 201.0, 200.0, 201.0]), np.array([1, 1, 1, 1]), 10.0) == 0.0


def test_noise_limit_with_days():
    assert noise_limit(10.0, 20, 20, day_sd=5.0, k1=1, k2=2) == pytest.approx(
        1.645 * math.sqrt(100 * 0.1 + 25 * 1.5)
    )
