"""Rises and lowerings timed one at a time: a matched fit of minimum-jerk transitions on grids of
onsets and durations, all transitions and candidates at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.analysis._calf.shapes import (
    FAMILIES,
    FAMILY_RISE,
    lever_acceleration,
    mj,
    rise_shape,
)
from imu_app.analysis._calf.signals import Signals

# ------------------------------------------------------------------------------------------ timing
#: Window of a transition in its own normalised time (0 = onset, 1 = end of the first guess): half a
#: transition either side shows the plateaus that fix the range, sampled every 5 % of the duration. It is
#: symmetric about 0.5, so a lowering seen backwards in time is a rise.
WINDOW_U = np.linspace(-0.5, 1.5, 41)


#: Three grids of (shift of the transition's centre, duration factor), each seven by seven and centred on
#: the previous best: centres within 40 % of the duration and durations within a factor of two, then 3 %
#: and 7 %, then 0.8 % and 2 % steps. The last is 40 ms for a 5-s lowering, 3 ms for a 0.3-s rise.
_GRIDS = (
    (np.linspace(-0.4, 0.4, 7), np.geomspace(0.5, 2.0, 7)),
    (np.linspace(-0.09, 0.09, 7), np.geomspace(1 / 1.22, 1.22, 7)),
    (np.linspace(-0.025, 0.025, 7), np.geomspace(1 / 1.06, 1.06, 7)),
)


#: Shape families tried on each grid: the full-range ones first (a coarse grid cannot yet tell a partial
#: rep's shape), then all, then each transition's own.
_GRID_FAMILIES = ((0, 1), (0, 1, 2, 3), None)


def candidates(shift: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onset (in units of the guessed duration, from the guessed onset) and duration factor of every
    candidate, centre shift major."""
    cc, rr = np.meshgrid(shift, rho, indexing="ij")
    return (0.5 + cc - 0.5 * rr).ravel(), rr.ravel()


def templates(onset: np.ndarray, rho: np.ndarray, families: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bases of the vertical acceleration and of the shank angle for every candidate, on the window
    ``WINDOW_U``: shapes (families x candidates, samples, 3) and (candidates, samples, 3).

    Acceleration: an offset and a step shaped like the transition (the accelerometer's bias, whose
    projection on gravity changes as the shank tilts) and the rise's own acceleration on the ankle's
    circle. Angle: offset, a linear drift (gyroscope drift and slow sway over the window) and the step.
    """
    v = (WINDOW_U[None, :] - onset[:, None]) / rho[:, None]
    p = mj(v)
    one = np.ones_like(v)
    acc = np.concatenate([np.stack([one, p, rise_shape(v, f)], axis=-1) for f in families])
    tilt = np.stack([one, np.broadcast_to(WINDOW_U, v.shape), p], axis=-1)
    return acc, tilt


def window_means(t: np.ndarray, y_int: np.ndarray, s0: np.ndarray, d0: np.ndarray) -> np.ndarray:
    """Box means of a signal (given as its running integral ``y_int``) on each transition's window
    (:data:`WINDOW_U` from onsets ``s0`` in durations ``d0``): the box spans one window step, so slow
    transitions are averaged as much as they allow."""
    tq = s0[:, None] + d0[:, None] * WINDOW_U[None, :]
    h = np.maximum(d0 * (WINDOW_U[1] - WINDOW_U[0]), 1e-6)[:, None]
    hi = np.interp(tq + 0.5 * h, t, y_int)
    lo = np.interp(tq - 0.5 * h, t, y_int)
    return (hi - lo) / h


def rss_and_coefficients(w: np.ndarray, y: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted residual sums of squares (transitions x candidates) and coefficients of the linear
    least-squares fit of ``y`` (transitions x samples) on every candidate's ``basis`` (candidates x samples
    x 3, the first column a constant).

    The normal equations of all transitions and candidates come from two matrix products (their six
    distinct entries) and are solved by the adjugate (Cramer's rule): a few elementwise products instead
    of a LAPACK call for each of some 10^5 tiny systems.
    """
    n_c = basis.shape[0]
    b1, b2 = basis[:, :, 1].T, basis[:, :, 2].T  # samples x candidates
    # einsum, not matmul: these products are thin (tens of samples), where a multithreaded BLAS gains
    # nothing and stalls when the cores are busy.
    prods = np.einsum("tm,mk->tk", w, np.concatenate([b1, b2, b1 * b1, b1 * b2, b2 * b2], axis=1))
    a01, a02, a11, a12, a22 = (prods[:, k * n_c : (k + 1) * n_c] for k in range(5))
    a00 = np.broadcast_to(w.sum(axis=1)[:, None], a01.shape)
    wy = w * y
    r12 = np.einsum("tm,mk->tk", wy, np.concatenate([b1, b2], axis=1))
    r0 = wy.sum(axis=1)[:, None]
    r1, r2 = r12[:, :n_c], r12[:, n_c:]
    # A tiny ridge keeps windows that see only part of a transition solvable.
    ridge = 1e-9 * (a00 + a11 + a22) / 3.0 + 1e-12
    a00, a11, a22 = a00 + ridge, a11 + ridge, a22 + ridge
    c00 = a11 * a22 - a12 * a12
    c01 = a02 * a12 - a01 * a22
    c02 = a01 * a12 - a02 * a11
    c11 = a00 * a22 - a02 * a02
    c12 = a01 * a02 - a00 * a12
    c22 = a00 * a11 - a01 * a01
    det = a00 * c00 + a01 * c01 + a02 * c02
    # A candidate whose shape barely reaches into the samples its window keeps has (nearly) collinear
    # columns: its residual would be rounding noise, so it is no candidate.
    singular = det <= 1e-8 * a00 * a11 * a22
    det = np.where(singular, 1.0, det)
    coef = np.empty((*a01.shape, 3))
    coef[..., 0] = (c00 * r0 + c01 * r1 + c02 * r2) / det
    coef[..., 1] = (c01 * r0 + c11 * r1 + c12 * r2) / det
    coef[..., 2] = (c02 * r0 + c12 * r1 + c22 * r2) / det
    rss = np.einsum("tm,tm->t", wy, y)[:, None] - (coef[..., 0] * r0 + coef[..., 1] * r1 + coef[..., 2] * r2)
    return np.where(singular, np.inf, np.maximum(rss, 0.0)), coef


@dataclass(frozen=True)
class Fit:
    """Transitions timed by :func:`refine`: onsets and durations (s), the shape family of each and the
    amplitude of its acceleration (for :func:`render`)."""

    onset_s: np.ndarray
    duration_s: np.ndarray
    family: np.ndarray
    acc_amp: np.ndarray
    lowering: np.ndarray

    @property
    def height_m(self) -> np.ndarray:
        """How far the ankle rose (or fell), from the fitted acceleration: the family's shape is the
        acceleration of a unit lever over a unit time, so amplitude times duration squared times the
        family's rise per unit lever is the distance."""
        return self.acc_amp * self.duration_s**2 * FAMILY_RISE[self.family]


def render(t: np.ndarray, fit: Fit) -> np.ndarray:
    """The vertical acceleration that the fitted transitions make, on the times ``t``."""
    idx, owner = spans(t, fit.onset_s, fit.onset_s + fit.duration_s)
    return np.bincount(idx, weights=shape_at(t[idx], owner, fit), minlength=t.size)


def spans(t: np.ndarray, lo_s: np.ndarray, hi_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``t`` of the samples from each ``lo_s`` to its ``hi_s``, all spans one after the
    other, and the span each belongs to."""
    i0 = np.searchsorted(t, lo_s)
    count = np.maximum(np.searchsorted(t, hi_s) - i0, 0)
    owner = np.repeat(np.arange(count.size), count)
    return np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + i0[owner], owner


def shape_at(t: np.ndarray, owner: np.ndarray, fit: Fit) -> np.ndarray:
    """The fitted acceleration of transition ``owner`` at each time ``t`` (nil outside it)."""
    v = (t - fit.onset_s[owner]) / fit.duration_s[owner]
    v = np.where(fit.lowering[owner], 1.0 - v, v)
    fam = np.array(FAMILIES)[fit.family[owner]]
    return fit.acc_amp[owner] * lever_acceleration(v, fam[:, 0], fam[:, 1])


@dataclass(frozen=True)
class _Grid:
    """One grid's candidates (:func:`candidates`): onset in guessed durations from the guessed onset and
    duration factor, the shape families tried (the candidates of each family one after the other), for
    every candidate that of its mirror image (centre shift negated: what a reversed window's fit means),
    and the bases of the acceleration and of the angle (:func:`templates`)."""

    onset: np.ndarray
    factor: np.ndarray
    families: tuple[int, ...]
    mirror: np.ndarray
    acc_basis: np.ndarray
    tilt_basis: np.ndarray


def _grid(shift: np.ndarray, rho: np.ndarray, families: tuple[int, ...]) -> _Grid:
    onset, factor = candidates(shift, rho)
    n_c = onset.size
    mirror = ((shift.size - 1 - np.arange(shift.size))[:, None] * rho.size + np.arange(rho.size)).ravel()
    perm = np.concatenate([k * n_c + mirror for k in range(len(families))])
    return _Grid(onset, factor, families, perm, *templates(onset, factor, families))


@dataclass(frozen=True)
class _Windows:
    """Each transition's window on a grid: the current onset and duration (s), the weight of each of the
    window's samples (reversed for a lowering) and which transitions are lowerings."""

    onset_s: np.ndarray
    duration_s: np.ndarray
    weights: np.ndarray
    lowering: np.ndarray


@dataclass(frozen=True)
class _Series:
    """What a refinement fits: the running integrals (leading 0) of the vertical acceleration and, if it
    is fitted too, of the shank's angle, the acceleration's noise variance per sample, and the work rate
    (Hz)."""

    t: np.ndarray
    acc_int: np.ndarray
    tilt_int: np.ndarray | None
    acc_var: float
    rate_hz: float


def refine(
    sig: Signals,
    acc_v: np.ndarray,
    onset_s: np.ndarray,
    duration_s: np.ndarray,
    *,
    lo_s: np.ndarray,
    hi_s: np.ndarray,
    lowering: np.ndarray,
    use_acc: bool = True,
    use_tilt: bool = False,
) -> Fit:
    """Onsets and durations of minimum-jerk transitions, all at once, by a matched fit to the vertical
    acceleration ``acc_v`` and (if there is one and ``use_tilt``) the shank angle, from first guesses.

    Each transition is seen on its own window, cut at ``lo_s``/``hi_s`` (where the neighbouring movements
    end and begin), and every candidate onset and duration of a grid is fitted in closed form: the
    amplitudes enter linearly, so the residual of each candidate is a small linear least-squares problem
    whose normal equations are formed for all transitions and candidates by one matrix product. A
    lowering is a rise backwards in time, so its window is reversed and it shares the rises' templates.
    The candidate (and shape of the acceleration, :data:`FAMILIES`) that minimises the residuals of both
    signals, each divided by its noise level, wins; two finer grids follow.
    """
    s, d = onset_s.astype(np.float64).copy(), duration_s.astype(np.float64).copy()
    n = s.size
    family = np.zeros(n, dtype=np.int64)
    amp = np.zeros(n)
    if n == 0:
        return Fit(s, d, family, amp, lowering)
    t = sig.t
    dt = np.diff(t)
    series = _Series(
        t=t,
        acc_int=np.concatenate([[0.0], np.cumsum(0.5 * (acc_v[1:] + acc_v[:-1]) * dt)]),
        tilt_int=np.concatenate([[0.0], np.cumsum(0.5 * (sig.tilt[1:] + sig.tilt[:-1]) * dt)])
        if use_tilt and sig.tilt is not None
        else None,
        acc_var=sig.acc_noise**2 + 1e-12,
        rate_hz=1.0 / sig.period_s,
    )
    tilt_var = None
    rows = np.arange(n)
    for (shift, rho), fams in zip(_GRIDS, _GRID_FAMILIES, strict=True):
        grid = _grid(shift, rho, (0,) if not use_acc else fams or tuple(int(f) for f in np.unique(family)))
        n_c = grid.onset.size
        tq = s[:, None] + d[:, None] * WINDOW_U[None, :]
        inside = (tq >= t[0]) & (tq <= t[-1]) & (tq >= lo_s[:, None]) & (tq <= hi_s[:, None])
        w = inside.astype(np.float64)
        w[lowering] = w[lowering, ::-1]
        windows = _Windows(s, d, w, lowering)
        cost = np.zeros((n, len(grid.families) * n_c))
        coef_acc = None
        if use_acc:
            # Each transition keeps its own family on the last grid.
            cost_acc, coef_acc = _acc_cost(series, windows, grid, None if fams else family)
            cost += cost_acc
        if series.tilt_int is not None:
            cost_tilt, tilt_var = _tilt_cost(series, windows, grid, tilt_var)
            cost += cost_tilt
        # A transition stays between its neighbours (within a tenth of its duration): masking their
        # samples alone would let a candidate stretch over them unseen.
        c_on = s[:, None] + grid.onset[None, :] * d[:, None]
        c_end = c_on + grid.factor[None, :] * d[:, None]
        tol = 0.1 * d[:, None]
        outside = (c_on < lo_s[:, None] - tol) | (c_end > hi_s[:, None] + tol)
        cost += np.tile(np.where(outside, np.inf, 0.0), (1, len(grid.families)))
        best = np.argmin(cost, axis=1)
        family = np.array(grid.families)[best // n_c]
        if coef_acc is not None:
            amp = coef_acc[rows, best, 2]
        cand = best % n_c
        s = s + grid.onset[cand] * d
        d = d * grid.factor[cand]
    return Fit(s, d, family, amp, lowering)


def _acc_cost(
    series: _Series, windows: _Windows, grid: _Grid, own_family: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Cost of every candidate on the vertical acceleration (transitions x candidates: residual in units
    of the noise) and its coefficients; with ``own_family`` each transition tries its own family only."""
    s, d, w, lowering = windows.onset_s, windows.duration_s, windows.weights, windows.lowering
    n_c = grid.onset.size
    acc_b = grid.acc_basis
    y = window_means(series.t, series.acc_int, s, d)
    y[lowering] = y[lowering, ::-1]
    if own_family is None:
        rss, coef = rss_and_coefficients(w, y, acc_b)
    else:
        rss = np.full((s.size, len(grid.families) * n_c), np.inf)
        coef = np.zeros((s.size, len(grid.families) * n_c, 3))
        for k, f in enumerate(grid.families):
            sel = own_family == f
            cols = slice(k * n_c, (k + 1) * n_c)
            rss[sel, cols], coef[sel, cols] = rss_and_coefficients(w[sel], y[sel], acc_b[cols])
    # A box mean over the window step averages the white noise of this many samples.
    n_box = np.maximum(d * (WINDOW_U[1] - WINDOW_U[0]) * series.rate_hz, 1.0)[:, None]
    cost = rss * n_box / series.acc_var
    # A rise lifts the ankle: the same shape upside down is a lowering (or its echo), not a rise.
    cost[coef[..., 2] <= 0.0] = np.inf
    cost[lowering] = cost[lowering][:, grid.mirror]
    coef[lowering] = coef[lowering][:, grid.mirror]
    return cost, coef


def _tilt_cost(
    series: _Series, windows: _Windows, grid: _Grid, tilt_var: float | None
) -> tuple[np.ndarray, float]:
    """Cost of every candidate on the shank's angle (transitions x candidates, the same for every family)
    and the angle's noise variance (``tilt_var``, or found on this grid's best fits when ``None``)."""
    s, d, w, lowering = windows.onset_s, windows.duration_s, windows.weights, windows.lowering
    assert series.tilt_int is not None
    y = window_means(series.t, series.tilt_int, s, d)
    y[lowering] = y[lowering, ::-1]
    rss, _ = rss_and_coefficients(w, y, grid.tilt_basis)
    if tilt_var is None:
        # The angle's "noise" is sway, coloured and far from white: its level is the typical
        # residual of the best fits, counted once per tenth of a second.
        per = rss.min(axis=1) / np.maximum(w.sum(axis=1), 1.0)
        tilt_var = float(np.median(per)) + 1e-9
    corr = np.maximum(TILT_CORR_S / (d * (WINDOW_U[1] - WINDOW_U[0])), 1.0)[:, None]
    cost = np.tile(rss / (tilt_var * corr), (1, len(grid.families)))
    cost[lowering] = cost[lowering][:, grid.mirror]
    return cost, tilt_var


#: Sway makes the angle's residuals coloured: they count once per this many seconds.
TILT_CORR_S = 0.1


def misfit(
    sig: Signals, y: np.ndarray, fit: Fit, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each transition's residual sums of squares from ``lo`` to ``hi`` (s): of ``y`` after its fitted
    acceleration and the mean of the rest are removed, and of the shank's angle after the best
    minimum-jerk change on the transition's timing."""
    assert sig.tilt is not None
    idx, owner = spans(sig.t, lo, hi)
    t = sig.t[idx]

    def sums(x: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=x, minlength=lo.size)

    n = np.maximum(sums(np.ones(idx.size)), 1.0)
    r = y[idx] - shape_at(t, owner, fit)
    acc = sums(r * r) - sums(r) ** 2 / n
    # Least squares of the angle on a constant and the transition's progress, in closed form.
    p = mj((t - fit.onset_s[owner]) / fit.duration_s[owner])
    a = sig.tilt[idx]
    sp, sa = sums(p), sums(a)
    spp = sums(p * p) - sp * sp / n
    spa = sums(p * a) - sp * sa / n
    tilt = sums(a * a) - sa * sa / n - spa * spa / np.maximum(spp, 1e-12)
    few = n < 3
    return np.where(few, np.inf, acc), np.where(few, np.inf, tilt)
