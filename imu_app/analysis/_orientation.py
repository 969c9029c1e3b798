"""Where is up? Gravity and attitude of an ankle sensor mounted any way round, estimated from its own data.

Nothing here assumes that any sensor axis points anywhere: a strap can put the sensor on the inside or the
outside of the ankle, upside down or tilted, and the direction of gravity is found from the samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.analysis._signal import (
    CHUNK_SAMPLES,
    block_sums,
    cross,
    from_blocks,
    in_spans,
    moving_mean,
    normalise_rows,
    segment_bounds,
    weighted_block_sums,
)
from imu_app.core import AnalysisError, Gap

__all__ = [
    "Orientation",
    "OrientationParams",
    "body_to_start",
    "estimate_gravity",
    "estimate_orientation",
    "horizontal_acc_g",
    "in_spans",  # re-exported: the contact detector still imports it from here
    "rotate",
    "vertical_acc_g",
]


@dataclass(frozen=True)
class OrientationParams:
    """Parameters of :func:`estimate_orientation`; the defaults need no tuning.

    Attributes
    ----------
    window_s
        Length of the low-pass (a moving mean applied twice, i.e. a triangular window of twice this length)
        that separates gravity from motion. One second spans a whole hop or stride cycle, over which the
        motion's own acceleration averages to nearly zero (the ankle comes back to where it was), while a
        change of posture (lying the leg down, turning the sensor over) is followed within about a second.
    quiet_tolerance_g
        How far the magnitude of the specific force may stray from 1 g before a sample counts as "moving":
        samples are weighted by ``exp(-((|a| - 1) / quiet_tolerance_g) ** 2)``. 0.2 g keeps standing and slow
        movements (whose accelerations rarely exceed 0.1 g) at full weight and gives impacts (several g) and
        flight (near 0 g) practically none, so gravity comes from the quiet parts of the window.
    quiet_gyr_dps
        Angular rate scale of the same weighting when a gyroscope is present
        (``exp(-(|w| / quiet_gyr_dps) ** 2)``): a shank swinging faster than about 100 deg/s has
        centripetal and tangential accelerations of the order of 0.1 g at the sensor, so such samples say
        little about gravity.
    """

    window_s: float = 1.0
    quiet_tolerance_g: float = 0.2
    quiet_gyr_dps: float = 100.0


@dataclass(frozen=True)
class Orientation:
    """The estimated attitude.

    Attributes
    ----------
    up
        ``(n, 3)`` unit vectors in the sensor frame along which an accelerometer at rest reads +1 g, i.e. the
        direction opposite to gravity ("up").
    axis
        Unit vector (sensor frame) of the dominant rotation axis of the gyroscope, the ankle's
        flexion/extension axis for a sensor on the leg; ``None`` without a gyroscope.
    angle_deg
        Rotation of the sensor about ``axis`` relative to its median attitude in the recording (segment by
        segment where gaps split it), drift-free because it is referenced to gravity; ``None`` without a
        gyroscope. Its sign follows the right-hand rule about ``axis``.
    """

    up: np.ndarray
    axis: np.ndarray | None = None
    angle_deg: np.ndarray | None = None


#: Gravity changes slowly, so the whole estimate runs on block sums at about this rate and only the result
#: is interpolated back to every sample: 50 Hz is ten times faster than any posture change the one-second
#: window follows, and the cost at 1 kHz becomes a few passes over the samples instead of one per step.
_BLOCK_RATE_HZ = 50.0
#: With a gyroscope the de-rotation angle changes within a block (a swinging shank turns at up to about
#: 500 deg/s); at 200 Hz a block spans at most 2.5 deg, whose effect on a block mean is below 0.1 % (1 - cos)
#: and on the linear interpolation of the up vector between block centres about 0.02 %.
_BLOCK_RATE_GYRO_HZ = 200.0


def _block_size(period_s: float, block_rate_hz: float) -> int:
    return max(1, int(1.0 / (block_rate_hz * period_s)))


def _low_pass_blocks(sums: np.ndarray, wsum: np.ndarray, width: int) -> np.ndarray:
    """Weighted low-pass on block sums: normalised convolution with a moving mean applied twice."""
    num = moving_mean(moving_mean(sums, width), width)
    den = moving_mean(moving_mean(wsum, width), width)
    return num / den.reshape((-1,) + (1,) * (sums.ndim - 1))


def _basis(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing ``axis`` to a right-handed orthonormal basis."""
    helper = np.eye(3)[int(np.argmin(np.abs(axis)))]
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    return e1, e2


def _quiet_weights(acc: np.ndarray, gyr: np.ndarray | None, params: OrientationParams) -> np.ndarray:
    """Per-sample weight of the gravity low-pass (see :class:`OrientationParams`)."""
    z = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    z -= 1.0
    z /= params.quiet_tolerance_g
    z *= z
    if gyr is not None:
        g2 = np.einsum("ij,ij->i", gyr, gyr)
        g2 *= 1.0 / params.quiet_gyr_dps**2
        z += g2
    np.negative(z, out=z)
    w = np.exp(z, out=z)
    # A floor keeps the weighted mean defined through long bouts without a quiet sample (it then falls back
    # to the plain mean of the specific force, still the best gravity estimate available).
    w += 1e-6
    return w


@dataclass(frozen=True)
class _GyroBlockStats:
    """What the gyroscope path needs from the samples of one gap-free segment, per block of ``k`` samples.

    Attributes
    ----------
    weight_sums
        Sum of the weights.
    force_sums
        ``(blocks, 3)`` weighted sum of the specific force (sensor frame).
    gyr_sums
        ``(blocks, 3)`` sum of the angular rate (deg/s).
    t_sums
        Sum of the sample times (s, from the segment's first sample).
    """

    weight_sums: np.ndarray
    force_sums: np.ndarray
    gyr_sums: np.ndarray
    t_sums: np.ndarray


def _gyro_block_stats(
    t: np.ndarray, acc: np.ndarray, gyr: np.ndarray, k: int, params: OrientationParams
) -> _GyroBlockStats:
    """One pass over a segment in cache-sized chunks of whole blocks (see :class:`_GyroBlockStats`)."""
    m = t.shape[0]
    nb = -(-m // k)
    weight_sums = np.empty(nb)
    force_sums = np.empty((nb, 3))
    step = k * max(1, CHUNK_SAMPLES // k)
    for c0 in range(0, m, step):
        c1 = min(c0 + step, m)
        b0, b1 = c0 // k, -(-c1 // k)
        a = acc[c0:c1]
        w = _quiet_weights(a, gyr[c0:c1], params)
        weight_sums[b0:b1] = block_sums(w, k)
        force_sums[b0:b1] = weighted_block_sums(a, w, k)
    return _GyroBlockStats(weight_sums, force_sums, block_sums(gyr, k), block_sums(t - t[0], k))


def _principal_axis(moment: np.ndarray) -> np.ndarray:
    """Dominant rotation axis: eigenvector of the largest eigenvalue of the gyro's second-moment matrix."""
    _, vecs = np.linalg.eigh(moment)
    return vecs[:, -1]


def _estimate(
    t_s: np.ndarray,
    acc_g: np.ndarray,
    gyr_dps: np.ndarray | None,
    params: OrientationParams | None,
    *,
    gaps: tuple[Gap, ...],
    with_angle: bool,
) -> Orientation:
    """:func:`estimate_orientation`; ``with_angle=False`` skips the flexion angle (for gravity alone)."""
    params = params or OrientationParams()
    t = np.asarray(t_s, dtype=np.float64)
    # Row-major copies where needed: the block sums below reshape rows in place, which a column-major
    # array (as a CSV reader returns) would silently turn into copies.
    acc = np.ascontiguousarray(acc_g, dtype=np.float64)
    n = t.shape[0]
    if acc.shape != (n, 3):
        raise AnalysisError(f"acc_g must have shape ({n}, 3), got {acc.shape}")
    if n < 2:
        raise AnalysisError("orientation needs at least two samples")
    gyr = None if gyr_dps is None else np.ascontiguousarray(gyr_dps, dtype=np.float64)
    if gyr is not None and gyr.shape != (n, 3):
        raise AnalysisError(f"gyr_dps must have shape ({n}, 3), got {gyr.shape}")
    # The period only sizes the blocks: the median of up to about 100 000 evenly spread sample intervals is
    # the same number as that of all of them, without a pass over an hour of timestamps.
    stride = max(1, (n - 1) // 100_000)
    period_s = float(np.median(t[1::stride] - t[:-1:stride]))

    up = np.empty_like(acc)
    if gyr is None:
        w = _quiet_weights(acc, None, params)
        k = _block_size(period_s, _BLOCK_RATE_HZ)
        width = max(1, round(params.window_s / (k * period_s)))
        for a, b in segment_bounds(n, gaps):
            wb = w[a:b]
            sm = _low_pass_blocks(weighted_block_sums(acc[a:b], wb, k), block_sums(wb, k), width)
            from_blocks(normalise_rows(sm), k, b - a, out=up[a:b], normalise=True)
        return Orientation(up=up)

    k = _block_size(period_s, _BLOCK_RATE_GYRO_HZ)
    width = max(1, round(params.window_s / (k * period_s)))
    segments = segment_bounds(n, gaps)
    stats = [_gyro_block_stats(t[a:b], acc[a:b], gyr[a:b], k, params) for a, b in segments]
    counts = []
    for a, b in segments:
        nb = -(-(b - a) // k)
        c = np.full(nb, float(k))
        c[-1] = (b - a) - k * (nb - 1)
        counts.append(c)
    # The principal axis from the block means of the rate: the leg's rotation lies far below the 100 Hz
    # that 200 Hz blocks keep, so it is the axis of the samples.
    axis = _principal_axis(
        sum(
            np.einsum("bi,bj->ij", st.gyr_sums, st.gyr_sums / c[:, None])
            for st, c in zip(stats, counts, strict=True)
        )
    )
    e1, e2 = _basis(axis)
    basis = np.column_stack([axis, e1, e2])
    angle_deg = np.empty(n) if with_angle else None
    for (a, b), st, count in zip(segments, stats, counts, strict=True):
        m = b - a
        # Block sums of the weighted specific force in the (axis, e1, e2) frame.
        proj = np.einsum("bi,ij->bj", st.force_sums, basis)
        nb = proj.shape[0]
        # Rotation angle about the axis at each block's mean time: the trapezoidal integral of the block
        # means of the rate. Within a block the rate changes little, so this is the block's mean angle to
        # far better than the 0.1 deg that matter here.
        rate = np.deg2rad(np.einsum("bi,i->b", st.gyr_sums, axis)) / count
        tc = st.t_sums / count
        th = np.empty(nb)
        th[0] = 0.0
        np.cumsum(0.5 * (rate[1:] + rate[:-1]) * np.diff(tc), out=th[1:])
        # A vector fixed in the world turns by -theta in a frame that turns by +theta; rotating by +theta
        # undoes that, so gravity is (nearly) constant in the de-rotated frame.
        cos, sin = np.cos(th), np.sin(th)
        derot = np.empty((nb, 3))
        derot[:, 0] = proj[:, 0]
        derot[:, 1] = proj[:, 1] * cos - proj[:, 2] * sin
        derot[:, 2] = proj[:, 1] * sin + proj[:, 2] * cos
        sm = _low_pass_blocks(derot, st.weight_sums, width)
        back = np.empty((nb, 3))
        back[:, 0] = sm[:, 0]
        back[:, 1] = sm[:, 1] * cos + sm[:, 2] * sin
        back[:, 2] = sm[:, 2] * cos - sm[:, 1] * sin
        from_blocks(normalise_rows(np.einsum("bj,ij->bi", back, basis)), k, m, out=up[a:b], normalise=True)
        if angle_deg is None:
            continue
        rb = np.deg2rad(np.einsum("bi,i->b", gyr[a:b], axis))
        theta = np.concatenate([[0.0], np.cumsum(0.5 * (rb[1:] + rb[:-1]) * np.diff(t[a:b]))])
        # The up vector's angle about the axis is the smooth angle of the de-rotated estimate minus theta;
        # the smooth part is interpolated from the blocks, theta is known at every sample.
        phi = from_blocks(np.unwrap(np.arctan2(sm[:, 2], sm[:, 1])), k, m) - theta
        # The up vector turns opposite to the sensor, so the sensor's angle is minus the up vector's.
        angle_deg[a:b] = -np.rad2deg(phi - np.median(phi))
    return Orientation(up=up, axis=axis, angle_deg=angle_deg)


def estimate_orientation(
    t_s: np.ndarray,
    acc_g: np.ndarray,
    gyr_dps: np.ndarray | None = None,
    params: OrientationParams | None = None,
    *,
    gaps: tuple[Gap, ...] = (),
) -> Orientation:
    """Estimate the up direction (and, with a gyroscope, the flexion angle) in the sensor frame.

    Parameters
    ----------
    t_s
        Sample times (s), strictly increasing, possibly irregular.
    acc_g
        ``(n, 3)`` specific force in g, any mounting.
    gyr_dps
        ``(n, 3)`` angular rate in deg/s, or ``None``.
    params
        Window and weighting; see :class:`OrientationParams`.
    gaps
        Gaps of the recording: the estimate restarts after each, because the attitude across a gap is unknown.

    Returns
    -------
    Orientation
        ``up`` for every sample; ``axis`` and ``angle_deg`` when a gyroscope is present.

    Notes
    -----
    *Without a gyroscope* the up direction is a weighted low-pass of the specific force: over a window that
    spans a movement cycle the kinematic acceleration averages out and gravity remains (the same reasoning as
    the gravity/body separation of [1]_), and weighting samples by how close their magnitude is to 1 g keeps
    impacts and flight out of the estimate.

    *With a gyroscope* the leg's motion is dominated by rotation about one axis (ankle/knee flexion), which
    the principal axis of the angular rate finds whatever the mounting. The specific force is first
    de-rotated about that axis by the integrated angular rate, which makes gravity constant in the de-rotated
    frame even while the shank swings; there the same weighted low-pass removes the motion, and the result is
    rotated back. This is a complementary filter [2]_ in closed form: the gyroscope supplies the fast
    changes of attitude, the accelerometer the slow, drift-free reference. Rotations about the other two axes
    are slow for an ankle sensor and are followed by the low-pass alone.

    *Cost.* Gravity is a low-frequency quantity, so after the per-sample weights everything runs on block
    sums at 50 Hz (200 Hz with a gyroscope, whose de-rotation angle changes faster; the angle is integrated
    from the block means of the rate) and only the unit result is interpolated back to the samples: one
    pass in, one pass out, about 0.2 s (0.4 s with the gyroscope) per hour at 1 kHz
    (``benchmarks/results/analysis_speed.md``). The per-sample flexion angle of :func:`estimate_orientation`
    adds a pass.

    References
    ----------
    .. [1] Mathie, M. J., Coster, A. C., Lovell, N. H., & Celler, B. G. (2004). Accelerometry: providing an
       integrated, practical method for long-term, ambulatory monitoring of human movement. Physiological
       Measurement, 25(2), R1-R20. https://doi.org/10.1088/0967-3334/25/2/R01
    .. [2] Mahony, R., Hamel, T., & Pflimlin, J.-M. (2008). Nonlinear complementary filters on the special
       orthogonal group. IEEE Transactions on Automatic Control, 53(5), 1203-1218.
       https://doi.org/10.1109/TAC.2008.923738
    """
    return _estimate(t_s, acc_g, gyr_dps, params, gaps=gaps, with_angle=True)


def estimate_gravity(
    t_s: np.ndarray,
    acc_g: np.ndarray,
    gyr_dps: np.ndarray | None = None,
    params: OrientationParams | None = None,
    *,
    gaps: tuple[Gap, ...] = (),
) -> np.ndarray:
    """``(n, 3)`` unit "up" vectors in the sensor frame (where an accelerometer at rest reads +1 g).

    Gravity itself points along ``-up``. See :func:`estimate_orientation` for the method.
    """
    return _estimate(t_s, acc_g, gyr_dps, params, gaps=gaps, with_angle=False).up


def vertical_acc_g(acc_g: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Vertical acceleration in g, up positive: the specific force along ``up`` minus 1 g.

    It is 0 at rest and -1 in free fall, so that its double integral is the vertical displacement.
    """
    return np.einsum("ij,ij->i", np.asarray(acc_g, dtype=np.float64), up) - 1.0


def horizontal_acc_g(acc_g: np.ndarray, up: np.ndarray) -> np.ndarray:
    """``(n, 3)`` part of the specific force perpendicular to ``up`` (sensor frame, g)."""
    acc = np.asarray(acc_g, dtype=np.float64)
    return acc - np.einsum("ij,ij->i", acc, up)[:, None] * up


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton products ``a b`` of quaternions ``(..., 4)`` stored as ``(w, x, y, z)``."""
    aw, ax, ay, az = np.moveaxis(a, -1, 0)
    bw, bx, by, bz = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


_SCAN_BLOCK = 64


def _cumulative_product(q: np.ndarray) -> np.ndarray:
    """Running products ``q[0] q[1] ... q[k]`` of quaternions ``(n, 4)``, in order.

    Blocked scan: the products within blocks of :data:`_SCAN_BLOCK` are formed for all blocks at once
    (one vectorised step per place in a block), the blocks' totals are scanned the same way, and each
    block is then carried by the product of the blocks before it: a few passes over the data where a loop
    over the samples would cost a Python step each.
    """
    n = q.shape[0]
    if n <= _SCAN_BLOCK:
        out = q.copy()
        for k in range(1, n):
            out[k] = _quat_mul(out[k - 1], q[k])
        return out
    m = -(-n // _SCAN_BLOCK)
    padded = np.zeros((m * _SCAN_BLOCK, 4))
    padded[:, 0] = 1.0
    padded[:n] = q
    local = padded.reshape(m, _SCAN_BLOCK, 4)
    for j in range(1, _SCAN_BLOCK):
        local[:, j] = _quat_mul(local[:, j - 1], local[:, j])
    carried = _cumulative_product(local[:, -1])
    local[1:] = _quat_mul(carried[:-1, None, :], local[1:])
    return local.reshape(-1, 4)[:n]


def body_to_start(t_s: np.ndarray, gyr_rad_s: np.ndarray) -> np.ndarray:
    """``(n, 4)`` unit quaternions ``(w, x, y, z)`` of the rotations taking vectors in the sensor frame at
    each sample to the sensor frame at the first sample (strapdown integration of the angular rate, bias
    already removed); :func:`rotate` applies them.

    The rate is taken constant between samples at the mean of its two ends; a rotation by ``w dt`` about
    ``w`` then follows each step exactly. Over a few seconds the integration drifts by the residual bias
    times the time (0.05 deg/s leaves 0.25 deg after 5 s).
    """
    w = 0.5 * (gyr_rad_s[1:] + gyr_rad_s[:-1]) * np.diff(t_s)[:, None]
    angle = np.linalg.norm(w, axis=1)
    half = 0.5 * angle
    # sin(x/2)/x, exact near 0 as well.
    scale = np.where(angle > 1e-9, np.sin(half) / np.maximum(angle, 1e-300), 0.5)
    steps = np.concatenate([[[1.0, 0.0, 0.0, 0.0]], np.column_stack([np.cos(half), w * scale[:, None]])])
    q = _cumulative_product(steps)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vectors ``v`` (``(n, 3)`` or ``(3,)``) turned by the unit quaternions ``q`` ``(n, 4)``."""
    qv = q[:, 1:]
    twice = 2.0 * cross(qv, v)
    return v + q[:, :1] * twice + cross(qv, twice)
