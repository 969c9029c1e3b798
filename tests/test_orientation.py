"""Gravity and attitude: the block-wise fast paths against their plain definitions and the simulator."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.analysis import estimate_gravity, estimate_orientation
from imu_app.analysis._signal import from_blocks, moving_mean


@pytest.mark.parametrize("k", [1, 2, 5, 20])
@pytest.mark.parametrize("m", [1, 4, 5, 19, 20, 21, 1003])
def test_block_interpolation_is_linear_interpolation_between_block_centres(k: int, m: int) -> None:
    rng = np.random.default_rng(k * 1000 + m)
    nb = -(-m // k)
    yb = rng.normal(size=(nb, 3))
    centre = np.arange(nb) * k + 0.5 * (k - 1)
    centre[-1] = 0.5 * ((nb - 1) * k + m - 1)
    want = np.column_stack([np.interp(np.arange(m, dtype=float), centre, yb[:, j]) for j in range(3)])
    np.testing.assert_allclose(from_blocks(yb, k, m), want, atol=1e-12)
    got = from_blocks(yb, k, m, normalise=True)
    np.testing.assert_allclose(got, want / np.linalg.norm(want, axis=1, keepdims=True), atol=1e-12)


@pytest.mark.parametrize("width", [1, 2, 3, 10, 60])
def test_moving_mean_is_a_centred_mean_with_shrinking_ends(width: int) -> None:
    x = np.random.default_rng(width).normal(size=(50, 2))
    w = min(width, 50)  # a window longer than the data is the whole of it
    half = w // 2
    want = np.array([x[max(0, i - half) : max(0, i - half + w)].mean(axis=0) for i in range(50)])
    np.testing.assert_allclose(moving_mean(x, width), want, atol=1e-12)


def test_gyro_gravity_matches_the_quiet_samples_and_the_flexion_angle() -> None:
    sim = pytest.importorskip("imu_app.sim")
    d = sim.simulate("forward_hop_hold", sim.SensorParams(sample_rate_hz=416, mounting="random"), seed=2).data
    up = estimate_gravity(d.t_s, d.acc_g, d.gyr_dps, gaps=d.gaps)
    np.testing.assert_allclose(np.linalg.norm(up, axis=1), 1.0, atol=1e-12)
    # Standing still (holds): the specific force is gravity itself.
    quiet = (np.abs(np.linalg.norm(d.acc_g, axis=1) - 1.0) < 0.02) & (np.linalg.norm(d.gyr_dps, axis=1) < 5.0)
    assert quiet.sum() > 1000
    a = d.acc_g[quiet] / np.linalg.norm(d.acc_g[quiet], axis=1, keepdims=True)
    err_deg = np.degrees(np.arccos(np.clip(np.einsum("ij,ij->i", a, up[quiet]), -1.0, 1.0)))
    assert np.percentile(err_deg, 95) < 3.0
    # The flexion angle follows the integrated rate about the axis over a short stretch (drift-free part).
    o = estimate_orientation(d.t_s, d.acc_g, d.gyr_dps, gaps=d.gaps)
    rate = d.gyr_dps @ o.axis
    i0, i1 = 2000, 2400
    integ = np.cumsum(rate[i0:i1]) / 416.0
    ang = o.angle_deg[i0:i1] - o.angle_deg[i0]
    assert np.max(np.abs(ang - (integ - integ[0]))) < 3.0


def test_memory_order_of_the_input_does_not_matter():
    from imu_app.sim import SensorParams, simulate

    sim = simulate("eccentric_calf_raise", SensorParams(sample_rate_hz=416, mounting="random"), seed=1)
    acc = np.ascontiguousarray(sim.data.acc_g)
    gyr = np.ascontiguousarray(sim.data.gyr_dps)
    for g in (None, gyr):
        up_c = estimate_gravity(sim.data.t_s, acc, g)
        up_f = estimate_gravity(
            sim.data.t_s, np.asfortranarray(acc), None if g is None else np.asfortranarray(g)
        )
        np.testing.assert_allclose(up_f, up_c, atol=1e-12)


def test_strapdown_rotations_compose_the_steps_exactly() -> None:
    from scipy.spatial.transform import Rotation

    from imu_app.analysis._orientation import body_to_start, rotate
    from imu_app.analysis._signal import cross

    rng = np.random.default_rng(7)
    n = 300  # more than the scan's block, so the blocks' carry is exercised
    t = np.cumsum(rng.uniform(0.005, 0.02, n))
    rate = rng.normal(scale=3.0, size=(n, 3))
    q = body_to_start(t, rate)
    # Each step turns by the mean of its ends' rates times the step, about that rate.
    steps = Rotation.from_rotvec(0.5 * (rate[1:] + rate[:-1]) * np.diff(t)[:, None])
    want = [Rotation.identity()]
    for step in steps:
        want.append(want[-1] * step)
    v = rng.normal(size=(n, 3))
    got = rotate(q, v)
    np.testing.assert_allclose(got, np.array([r.apply(x) for r, x in zip(want, v, strict=True)]), atol=1e-10)
    np.testing.assert_allclose(cross(v, got), np.cross(v, got), atol=1e-12)
