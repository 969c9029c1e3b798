"""The minimum-jerk profile and the shapes of the ankle's vertical acceleration on its circle about
the metatarsal heads."""

from __future__ import annotations

import numpy as np


def mj(tau: np.ndarray) -> np.ndarray:
    """Minimum-jerk position profile (0 before, 1 after the movement)."""
    x = np.clip(tau, 0.0, 1.0)
    return x * x * x * (10.0 + x * (-15.0 + 6.0 * x))


def mj_d(tau: np.ndarray) -> np.ndarray:
    """First derivative of :func:`mj` with respect to normalised time (0 outside the movement)."""
    inside = (tau > 0.0) & (tau < 1.0)
    x = np.where(inside, tau, 0.0)
    return np.where(inside, 30.0 * x * x * (1.0 - x) ** 2, 0.0)


def mj_dd(tau: np.ndarray) -> np.ndarray:
    """Second derivative of :func:`mj` with respect to normalised time (0 outside the movement)."""
    inside = (tau > 0.0) & (tau < 1.0)
    x = np.where(inside, tau, 0.0)
    return np.where(inside, x * (60.0 + x * (-180.0 + 120.0 * x)), 0.0)


def mj_derivatives(tau: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mj` and its first three derivatives with respect to normalised time (0 outside the
    movement)."""
    x = np.clip(tau, 0.0, 1.0)
    inside = (tau > 0.0) & (tau < 1.0)
    xi = np.where(inside, x, 0.0)
    return (
        x * x * x * (10.0 + x * (-15.0 + 6.0 * x)),
        30.0 * xi * xi * (1.0 - xi) ** 2,
        xi * (60.0 + xi * (-180.0 + 120.0 * xi)),
        np.where(inside, 60.0 + xi * (-360.0 + 360.0 * xi), 0.0),
    )


#: Peak speed of a minimum-jerk move in units of its mean speed: ``30 x^2 (1 - x)^2`` at ``x = 1/2``.
MJ_PEAK_SPEED = 30.0 / 16.0

_TAU = np.linspace(0.0, 1.0, 4001)


_MJ = mj(_TAU)


def min_jerk_fraction_time(fraction: float) -> float:
    """Normalised time at which a minimum-jerk transition has covered ``fraction`` of its range."""
    return float(np.interp(fraction, _MJ, _TAU))


GAMMA_FLAT = float(np.arctan2(0.08, 0.13))


#: Shapes of a rise's vertical acceleration: (angle of the foot's lever at the start, plantarflexion), rad.
#: A full raise from the flat foot (30-40 deg), one from below the step (the heel 10-18 deg lower, 45 deg
#: in all) and partial reps of either. The shape of the acceleration changes with them because the ankle
#: rises on a circle, half as fast near the top as near the bottom for the same angular speed.
FAMILIES = (
    (GAMMA_FLAT, np.radians(33.0)),
    (GAMMA_FLAT - np.radians(14.0), np.radians(45.0)),
    (GAMMA_FLAT, np.radians(10.0)),
    (GAMMA_FLAT - np.radians(14.0), np.radians(12.0)),
)


#: How far each family's rise lifts the ankle per unit lever: ``sin(gamma_a + D) - sin(gamma_a)``.
FAMILY_RISE = np.array([np.sin(g + a) - np.sin(g) for g, a in FAMILIES])

#: The families' start angles, highest (the flat foot) first.
FAMILY_STARTS = tuple(sorted({g for g, _ in FAMILIES}, reverse=True))


def lever_acceleration(
    v: np.ndarray, start_rad: np.ndarray | float, span_rad: np.ndarray | float
) -> np.ndarray:
    """Vertical acceleration (per unit lever, normalised time) of an ankle whose lever about the
    metatarsal heads turns from ``start_rad`` by ``span_rad`` in a minimum-jerk move:
    ``cos(gamma) gamma'' - sin(gamma) gamma'^2`` with ``gamma = start + span mj(v)``."""
    gam = start_rad + span_rad * mj(v)
    return np.cos(gam) * span_rad * mj_dd(v) - np.sin(gam) * span_rad**2 * mj_d(v) ** 2


def rise_shape(v: np.ndarray, family: int) -> np.ndarray:
    """Vertical acceleration (per unit lever, normalised time) of a minimum-jerk rise of shape ``family``
    (:data:`FAMILIES`), as :func:`lever_acceleration` gives it for a whole array of families."""
    g_a, span = FAMILIES[family]
    gam = g_a + span * mj(v)
    return np.cos(gam) * span * mj_dd(v) - np.sin(gam) * span * span * mj_d(v) ** 2
