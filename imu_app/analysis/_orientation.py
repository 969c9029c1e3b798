"""Where is up? Gravity and attitude of an ankle sensor mounted any way round, estimated from its own data.

Nothing here assumes that any sensor axis points anywhere: a strap can put the sensor on the inside or the
outside of the ankle, upside down or tilted, and the direction of gravity is found from the samples.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from imu_app.core import AnalysisError, Gap

__all__ = [
    "Orientation",
    "OrientationParams",
    "estimate_gravity",
    "estimate_orientation",
    "horizontal_acc_g",
    "moving_mean",
    "segment_bounds",
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


def segment_bounds(n: int, gaps: tuple[Gap, ...] | list[Gap] = ()) -> list[tuple[int, int]]:
    """Index ranges ``[start, stop)`` of the runs of samples that no gap interrupts."""
    cuts = sorted({g.before_idx + 1 for g in gaps if 0 <= g.before_idx < n - 1})
    edges = [0, *cuts, n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean of ``width`` samples along axis 0 with shrinking windows at the ends.

    Implemented with a cumulative sum, so its cost does not depend on ``width``.
    """
    x = np.asarray(x)
    n = x.shape[0]
    width = max(1, min(int(width), n))
    half = width // 2
    csum = np.concatenate([np.zeros((1, *x.shape[1:]), dtype=x.dtype), np.cumsum(x, axis=0)], axis=0)
    idx = np.arange(n)
    lo = np.clip(idx - half, 0, n)
    hi = np.clip(idx - half + width, 0, n)
    count = (hi - lo).astype(np.float64)
    shape = (n,) + (1,) * (x.ndim - 1)
    return (csum[hi] - csum[lo]) / count.reshape(shape)


#: Gravity changes slowly, so the low-pass runs on block sums of about this rate and is interpolated back:
#: 50 Hz is ten times faster than any posture change the one-second window follows, and it makes the cost
#: at 1 kHz a few passes over the samples instead of several per window operation.
_BLOCK_RATE_HZ = 50.0


def _smooth_weighted(x: np.ndarray, w: np.ndarray, width_s: float, period_s: float) -> np.ndarray:
    """Weighted low-pass (normalised convolution, moving mean applied twice) of ``x`` along axis 0.

    Runs on block sums of ``1 / _BLOCK_RATE_HZ`` and interpolates linearly back to every sample.
    """
    m = x.shape[0]
    k = max(1, int(1.0 / (_BLOCK_RATE_HZ * period_s)))
    nb = -(-m // k)
    pad = nb * k - m
    extra = x.shape[1:]
    wx = x * w.reshape((-1,) + (1,) * len(extra))
    if pad:
        wx = np.concatenate([wx, np.zeros((pad, *extra), dtype=wx.dtype)])
        w = np.concatenate([w, np.zeros(pad)])
    sums = wx.reshape(nb, k, *extra).sum(axis=1)
    wsum = w.reshape(nb, k).sum(axis=1)
    width = max(1, round(width_s / (k * period_s)))
    num = moving_mean(moving_mean(sums, width), width)
    den = moving_mean(moving_mean(wsum, width), width)
    smooth = num / den.reshape((-1,) + (1,) * len(extra))
    if k == 1:
        return smooth
    centre = (np.arange(nb) * k + 0.5 * (k - 1)).astype(np.float64)
    centre[-1] = 0.5 * ((nb - 1) * k + m - 1)
    idx = np.arange(m, dtype=np.float64)
    flat = smooth.reshape(nb, -1)
    out = np.empty((m, flat.shape[1]), dtype=smooth.dtype)
    for j in range(flat.shape[1]):
        out[:, j] = np.interp(idx, centre, flat[:, j])
    return out.reshape((m, *extra))


def _normalise(v: np.ndarray) -> np.ndarray:
    norm = np.sqrt(np.einsum("ij,ij->i", v, v))
    return v / np.maximum(norm, 1e-12)[:, None]


def _basis(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing ``axis`` to a right-handed orthonormal basis."""
    helper = np.eye(3)[int(np.argmin(np.abs(axis)))]
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    return e1, e2


def _principal_axis(gyr_dps: np.ndarray) -> np.ndarray:
    """Dominant rotation axis: eigenvector of the largest eigenvalue of the gyro's second-moment matrix."""
    m = gyr_dps.T @ gyr_dps
    _, vecs = np.linalg.eigh(m)
    return vecs[:, -1]


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
    are slow for an ankle sensor and are followed by the low-pass alone. Everything is vectorised (cumulative
    sums), so the cost is linear in the length of the recording.

    References
    ----------
    .. [1] Mathie, M. J., Coster, A. C., Lovell, N. H., & Celler, B. G. (2004). Accelerometry: providing an
       integrated, practical method for long-term, ambulatory monitoring of human movement. Physiological
       Measurement, 25(2), R1-R20. https://doi.org/10.1088/0967-3334/25/2/R01
    .. [2] Mahony, R., Hamel, T., & Pflimlin, J.-M. (2008). Nonlinear complementary filters on the special
       orthogonal group. IEEE Transactions on Automatic Control, 53(5), 1203-1218.
       https://doi.org/10.1109/TAC.2008.923738
    """
    params = params or OrientationParams()
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64)
    n = t.shape[0]
    if acc.shape != (n, 3):
        raise AnalysisError(f"acc_g must have shape ({n}, 3), got {acc.shape}")
    if n < 2:
        raise AnalysisError("orientation needs at least two samples")
    gyr = None if gyr_dps is None else np.asarray(gyr_dps, dtype=np.float64)
    if gyr is not None and gyr.shape != (n, 3):
        raise AnalysisError(f"gyr_dps must have shape ({n}, 3), got {gyr.shape}")
    period_s = float(np.median(np.diff(t)))

    mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    z = ((mag - 1.0) / params.quiet_tolerance_g) ** 2
    if gyr is not None:
        z += np.einsum("ij,ij->i", gyr, gyr) / params.quiet_gyr_dps**2
    w = np.exp(-z)
    # A floor keeps the weighted mean defined through long bouts without a quiet sample (it then falls back
    # to the plain mean of the specific force, still the best gravity estimate available).
    w += 1e-6

    up = np.empty_like(acc)
    if gyr is None:
        for a, b in segment_bounds(n, gaps):
            up[a:b] = _normalise(_smooth_weighted(acc[a:b], w[a:b], params.window_s, period_s))
        return Orientation(up=up)

    axis = _principal_axis(gyr)
    e1, e2 = _basis(axis)
    rate_rad_s = np.deg2rad(gyr @ axis)
    angle_deg = np.empty(n)
    for a, b in segment_bounds(n, gaps):
        dt = np.diff(t[a:b])
        theta = np.concatenate([[0.0], np.cumsum(0.5 * (rate_rad_s[a + 1 : b] + rate_rad_s[a : b - 1]) * dt)])
        # A vector fixed in the world turns by -theta in a frame that turns by +theta; rotating by +theta
        # undoes that, so gravity is (nearly) constant in the de-rotated frame.
        cos, sin = np.cos(theta), np.sin(theta)
        proj = acc[a:b] @ np.column_stack([axis, e1, e2])
        derot = np.column_stack(
            [proj[:, 0], proj[:, 1] * cos - proj[:, 2] * sin, proj[:, 1] * sin + proj[:, 2] * cos]
        )
        sm = _smooth_weighted(derot, w[a:b], params.window_s, period_s)
        back = np.column_stack([sm[:, 0], sm[:, 1] * cos + sm[:, 2] * sin, sm[:, 2] * cos - sm[:, 1] * sin])
        up[a:b] = _normalise(back @ np.vstack([axis, e1, e2]))
        phi = np.unwrap(np.arctan2(back[:, 2], back[:, 1]))
        # The up vector turns opposite to the sensor, so the sensor's angle is minus the up vector's.
        angle_deg[a:b] = -np.rad2deg(phi - np.median(phi))
    return Orientation(up=up, axis=axis, angle_deg=angle_deg)


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
    return estimate_orientation(t_s, acc_g, gyr_dps, params, gaps=gaps).up


def vertical_acc_g(acc_g: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Vertical acceleration in g, up positive: the specific force along ``up`` minus 1 g.

    It is 0 at rest and -1 in free fall, so that its double integral is the vertical displacement.
    """
    return np.einsum("ij,ij->i", np.asarray(acc_g, dtype=np.float64), up) - 1.0


def horizontal_acc_g(acc_g: np.ndarray, up: np.ndarray) -> np.ndarray:
    """``(n, 3)`` part of the specific force perpendicular to ``up`` (sensor frame, g)."""
    acc = np.asarray(acc_g, dtype=np.float64)
    return acc - np.einsum("ij,ij->i", acc, up)[:, None] * up
