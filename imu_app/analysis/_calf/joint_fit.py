"""Each rep's rise and lowering timed together: Levenberg-Marquardt on the timings, the amplitudes
in closed form (variable projection)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.analysis._calf.shapes import (
    FAMILIES,
    FAMILY_RISE,
    lever_acceleration,
    mj_derivatives,
)
from imu_app.analysis._calf.signals import Signals
from imu_app.analysis._calf.transitions import Fit, render, spans


@dataclass(frozen=True)
class RepTerms:
    """One rep's movement on its times (reps x samples): the rise's and the lowering's progress, the foot
    lever's angle and its first two time derivatives, and with ``sensitivities`` the derivatives of the
    progresses with respect to their own onset and duration (reps x samples x 2) and of the vertical and
    the forward acceleration per metre of lever with respect to the seven timings (reps x samples x 7)."""

    p_r: np.ndarray
    p_l: np.ndarray
    vertical: np.ndarray
    forward: np.ndarray
    sensitivities: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None


def rep_terms(u: np.ndarray, theta: np.ndarray, *, sensitivities: bool = False) -> RepTerms:
    """The terms of :func:`rep_model` (see :class:`RepTerms`).

    The ankle moves on a circle about the metatarsal heads: its height is ``L sin(g)`` and its forward
    place ``-L cos(g)``, the lever's angle ``g`` turning from ``g_a`` by ``D_r`` in a minimum-jerk rise and
    back by ``D_l`` in the lowering, so its vertical acceleration is ``L (cos(g) g'' - sin(g) g'^2)`` and
    its forward one ``L (sin(g) g'' + cos(g) g'^2)`` (the forward axis's sign is the fit's). Their
    derivatives with respect to ``g`` are minus the forward and the vertical one.
    """
    s_r, d_r, s_l, d_l, g_a, span_r, span_l = (theta[:, k : k + 1] for k in range(7))
    v_r = (u - s_r) / d_r
    v_l = (u - s_l) / d_l
    p_r, a_r, b_r, c_r = mj_derivatives(v_r)
    p_l, a_l, b_l, c_l = mj_derivatives(v_l)
    gam = g_a + span_r * p_r - span_l * p_l
    g1 = span_r * a_r / d_r - span_l * a_l / d_l
    g2 = span_r * b_r / d_r**2 - span_l * b_l / d_l**2
    cos, sin = np.cos(gam), np.sin(gam)
    vertical = cos * g2 - sin * g1 * g1
    forward = sin * g2 + cos * g1 * g1
    if not sensitivities:
        return RepTerms(p_r, p_l, vertical, forward, None)
    # The derivatives of g, g' and g'' with respect to each timing (columns in the order of ``theta``):
    # the onsets shift the normalised time by -1/d, the durations by -v/d and scale the derivatives.
    zero = np.zeros_like(u)
    d_gam = np.stack(
        [
            -span_r * a_r / d_r,
            -span_r * a_r * v_r / d_r,
            span_l * a_l / d_l,
            span_l * a_l * v_l / d_l,
            np.ones_like(u),
            p_r,
            -p_l,
        ],
        axis=-1,
    )
    d_g1 = np.stack(
        [
            -span_r * b_r / d_r**2,
            -span_r * (b_r * v_r + a_r) / d_r**2,
            span_l * b_l / d_l**2,
            span_l * (b_l * v_l + a_l) / d_l**2,
            zero,
            a_r / d_r,
            -a_l / d_l,
        ],
        axis=-1,
    )
    d_g2 = np.stack(
        [
            -span_r * c_r / d_r**3,
            -span_r * (c_r * v_r + 2.0 * b_r) / d_r**3,
            span_l * c_l / d_l**3,
            span_l * (c_l * v_l + 2.0 * b_l) / d_l**3,
            zero,
            b_r / d_r**2,
            -b_l / d_l**2,
        ],
        axis=-1,
    )
    d_p_r = np.stack([-a_r / d_r, -a_r * v_r / d_r], axis=-1)
    d_p_l = np.stack([-a_l / d_l, -a_l * v_l / d_l], axis=-1)
    d_vertical = -forward[..., None] * d_gam + cos[..., None] * d_g2 - 2.0 * (sin * g1)[..., None] * d_g1
    d_forward = vertical[..., None] * d_gam + sin[..., None] * d_g2 + 2.0 * (cos * g1)[..., None] * d_g1
    return RepTerms(p_r, p_l, vertical, forward, (d_p_r, d_p_l, d_vertical, d_forward))


def rep_model(u: np.ndarray, theta: np.ndarray, terms: RepTerms | None = None) -> np.ndarray:
    """Columns of one rep's vertical and forward acceleration on the times ``u`` (reps x samples) for the
    parameters ``theta`` (reps x 7: rise onset and duration, lowering onset and duration, the foot lever's
    angle at the start, the rise's and the lowering's rotation, rad), shape reps x samples x 9
    (:func:`rep_terms`).

    Vertical (columns 0-3): an offset, the bias steps of the rise and of the lowering (the accelerometer's
    bias projected on the tilting shank) and the ankle's acceleration per metre of lever. Forward (4-8):
    an offset and a drift (the strapdown frame's slow error, :func:`strapdown_frame`), the two bias steps
    and the ankle's forward acceleration per metre of lever.
    """
    m = rep_terms(u, theta) if terms is None else terms
    one = np.ones_like(u)
    return np.stack([one, m.p_r, m.p_l, m.vertical, one, u - u[:, :1], m.p_r, m.p_l, m.forward], axis=-1)


@dataclass(frozen=True)
class Channel:
    """One signal as the reps' fit sees it: box means on each rep's grid and their weights (the inverse of
    each box mean's noise variance), reps x samples."""

    y: np.ndarray
    w: np.ndarray


@dataclass(frozen=True)
class RepResiduals:
    """:func:`rep_fit`'s answer: the weighted residuals (reps x samples), their sum of squares per rep,
    the linear coefficients (reps x 4, or 9 with the forward channel) and the residuals' derivatives with
    respect to the timings (reps x samples x 7; ``None`` unless asked for)."""

    residuals: np.ndarray
    cost: np.ndarray
    coef: np.ndarray
    jacobian: np.ndarray | None


def rep_fit(
    u: np.ndarray,
    vertical: Channel,
    theta: np.ndarray,
    ridge: np.ndarray,
    *,
    forward: Channel | None = None,
    jacobian: bool = False,
) -> RepResiduals:
    """The model :func:`rep_model` fitted to the ``vertical`` channel for the timings ``theta``; with
    ``forward`` (the forward acceleration's channel) also its forward columns, their residuals and
    coefficients after the vertical ones.

    With ``jacobian`` also the residuals' derivatives with respect to the timings: exact, the
    coefficients re-solved at every timing (Golub and Pereyra's variable projection), from the model's
    analytic sensitivities (:func:`rep_terms`). They replace seven forward differences, each a fit of the
    model, at every Levenberg-Marquardt step.
    """
    terms = rep_terms(u, theta, sensitivities=jacobian)
    x = rep_model(u, theta, terms)
    parts = [(vertical, x[..., :4], (1, 2))]
    if forward is not None:
        parts.append((forward, x[..., 4:], (2, 3)))
    residuals, coefs, jacobians = [], [], []
    for channel, (ch, xc, steps) in enumerate(parts):
        xt = np.swapaxes(xc * ch.w[..., None], 1, 2)
        # Batched matrix products: einsum's generic loops are several times slower for these shapes.
        a = xt @ xc + 1e-9 * np.eye(xc.shape[-1])
        for k in steps:
            a[:, k, k] += ridge
        coef = np.linalg.solve(a, xt @ ch.y[..., None])[..., 0]
        error = ch.y - (xc @ coef[..., None])[..., 0]
        residuals.append(error * np.sqrt(ch.w))
        coefs.append(coef)
        if terms.sensitivities is not None:
            jacobians.append(
                _jacobian(terms, ch, xc, channel=channel, xt=xt, a=a, coef=coef, error=error, k=steps[0])
            )
    res = np.concatenate(residuals, axis=1)
    jac = np.concatenate(jacobians, axis=1) if jacobians else None
    return RepResiduals(res, (res * res).sum(axis=1), np.concatenate(coefs, axis=1), jac)


def _jacobian(
    terms: RepTerms,
    ch: Channel,
    x: np.ndarray,
    *,
    channel: int,
    xt: np.ndarray,
    a: np.ndarray,
    coef: np.ndarray,
    error: np.ndarray,
    k: int,
) -> np.ndarray:
    """Derivatives of one channel's weighted residuals with respect to the timings: its model ``x`` (reps
    x samples x columns; ``xt`` its weighted transpose, ``a`` its normal matrix), coefficients ``coef``,
    unweighted residual ``error`` and the column ``k`` of its rise's bias step (the lowering's follows)."""
    assert terms.sensitivities is not None
    d_p_r, d_p_l, d_vertical, d_forward = terms.sensitivities
    d_move = d_vertical if channel == 0 else d_forward
    d_model = coef[:, -1, None, None] * d_move
    d_model[..., :2] += coef[:, k, None, None] * d_p_r
    d_model[..., 2:4] += coef[:, k + 1, None, None] * d_p_l
    # The coefficients' change: A dc = dX' W e - X' W dX c, e the unweighted residual.
    e_w = (error * ch.w)[:, None, :]
    d_xt_e = np.zeros((x.shape[0], x.shape[-1], 7))
    d_xt_e[:, k, :2] = (e_w @ d_p_r)[:, 0]
    d_xt_e[:, k + 1, 2:4] = (e_w @ d_p_l)[:, 0]
    d_xt_e[:, -1] = (e_w @ d_move)[:, 0]
    d_coef = np.linalg.solve(a, d_xt_e - xt @ d_model)
    return -np.sqrt(ch.w)[..., None] * (d_model + x @ d_coef)


def render_on(u: np.ndarray, fit: Fit) -> np.ndarray:
    """Each transition's fitted acceleration on its own row of times ``u`` (transitions x samples)."""
    v = (u - fit.onset_s[:, None]) / fit.duration_s[:, None]
    v = np.where(fit.lowering[:, None], 1.0 - v, v)
    fam = np.array(FAMILIES)[fit.family]
    return fit.acc_amp[:, None] * lever_acceleration(v, fam[:, :1], fam[:, 1:])


#: Size of the bias steps (m/s^2): a 0.01-g bias, less what ``acc_bias_g`` removes, on a shank that turns
#: by a few degrees.
_BIAS_PRIOR_M_S2 = 0.005


#: Box means per transition on a rep's grid.
_REP_STEPS = 10


def rep_grid(lo: np.ndarray, hi: np.ndarray, theta: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Times and box widths (reps x samples, width 0 where a rep has fewer samples than the longest) of
    each rep's window ``lo``-``hi``: :data:`_REP_STEPS` boxes per rise up to the middle of the top hold,
    as many per lowering after it, so a slow lowering costs no more samples than a fast one."""
    mid = np.clip(0.5 * (theta[:, 0] + theta[:, 1] + theta[:, 2]), lo, hi)
    parts = []
    for a, b, d in ((lo, mid, theta[:, 1]), (mid, hi, theta[:, 3])):
        step = np.maximum(d / _REP_STEPS, dt)
        n = np.ceil(np.maximum(b - a, 0.0) / step).astype(np.int64)
        parts.append((a, (b - a) / np.maximum(n, 1), n))
    size = int(max(1, np.max(parts[0][2] + parts[1][2])))
    k = np.arange(size)[None, :]
    (a0, h0, n0), (a1, h1, n1) = parts
    first = k < n0[:, None]
    second = ~first & (k < (n0 + n1)[:, None])
    u = np.where(
        first, a0[:, None] + (k + 0.5) * h0[:, None], a1[:, None] + (k - n0[:, None] + 0.5) * h1[:, None]
    )
    h = np.where(first, h0[:, None], np.where(second, h1[:, None], 0.0))
    return np.where(first | second, u, lo[:, None]), h


def render_reps(
    t: np.ndarray, theta: np.ndarray, coef: np.ndarray, until: np.ndarray, forward: bool = False
) -> np.ndarray:
    """The vertical (or ``forward``) acceleration of the reps' fitted movements (:func:`rep_model`,
    without offsets, drifts and bias steps) on the times ``t``, each up to the last time its fit saw
    (``until``): past it nothing held the fit, which may have moved a short lowering there, to land on
    the next rep's rise."""
    idx, owner = spans(t, theta[:, 0], np.minimum(theta[:, 2] + theta[:, 3], until))
    k = 8 if forward else 3
    cols = rep_model(t[idx][:, None], theta[owner])[:, 0, k] * coef[owner, k]
    return np.bincount(idx, weights=cols, minlength=t.size)


@dataclass(frozen=True)
class _Pass:
    """One pass of the joint fit: each rep's grid of times (reps x samples), its vertical and (with the
    strapdown frame) forward channels, and where each rep's window ends (s)."""

    u: np.ndarray
    vertical: Channel
    forward: Channel | None
    hi: np.ndarray


def joint_refine(
    sig: Signals,
    rise: Fit,
    low: Fit,
    *,
    prev_end: np.ndarray,
    next_s: np.ndarray,
    passes: int = 2,
    iterations: int = 4,
    settle: int = 6,
) -> tuple[Fit, Fit]:
    """Rise and lowering of every rep timed together by Levenberg-Marquardt on the four onsets and
    durations (the amplitudes in closed form at every step: variable projection), starting from the
    transitions' separate fits.

    Each rep is seen from half a rise before its onset to half a lowering after its bottom, on a grid of
    box means a tenth of its rise or lowering wide, with its neighbours' fitted movements
    subtracted (so the window may reach into them, up to the middle of the previous lowering and of the
    next rise, but not past a knee bend, ``prev_end`` and ``next_s``); all reps are fitted at once, and
    again (``passes``) with the neighbours' new fits. The lowering may not start before the top.

    ``iterations`` a pass leave the fit short of its minimum: from the separate fits the steps alternate
    between accepted and rejected. ``settle`` more iterations, damped more from the start, retime the
    edges; the heights stay those of the passes (``docs/landings-and-calf-raises.md`` gives the figures).
    """
    n = rise.onset_s.size
    if n == 0:
        return rise, low
    theta = _timings(rise, low)
    coef = None
    seen_until = np.full(n, np.inf)
    # The bias steps are at most a few mg: a prior of that size keeps them from taking over part of a
    # movement (they are shaped like its height) when transitions meet without a pause.
    ridge = np.full(n, 1.0 / _BIAS_PRIOR_M_S2**2)
    for _ in range(passes):
        fit = _pass(sig, theta, coef, seen_until, rise=rise, low=low, prev_end=prev_end, next_s=next_s)
        theta, coef = levenberg_marquardt(
            fit.u, fit.vertical, theta, ridge, iterations=iterations, forward=fit.forward
        )
        seen_until = fit.hi
    assert coef is not None
    top = theta[:, 4] + theta[:, 5]
    h_r = coef[:, 3] * (np.sin(top) - np.sin(theta[:, 4]))
    h_l = coef[:, 3] * (np.sin(top) - np.sin(top - theta[:, 6]))
    if settle:
        theta = _settled(fit, theta, ridge, settle)
    amp_r = h_r / (theta[:, 1] ** 2 * FAMILY_RISE[rise.family])
    amp_l = h_l / (theta[:, 3] ** 2 * FAMILY_RISE[low.family])
    return (
        Fit(theta[:, 0], theta[:, 1], rise.family, amp_r, rise.lowering),
        Fit(theta[:, 2], theta[:, 3], low.family, amp_l, low.lowering),
    )


def _timings(rise: Fit, low: Fit) -> np.ndarray:
    """The joint fit's parameters (reps x 7) from the separate fits: rise onset and duration, lowering
    onset and duration (s), the foot lever's angle at the start and the rise's and the lowering's rotation
    (rad, both the rise's family's to start with)."""
    fam = np.array(FAMILIES)
    return np.stack(
        [
            rise.onset_s,
            rise.duration_s,
            low.onset_s,
            low.duration_s,
            fam[rise.family, 0],
            fam[rise.family, 1],
            fam[rise.family, 1],
        ],
        axis=1,
    )


def _settled(fit: _Pass, theta: np.ndarray, ridge: np.ndarray, iterations: int) -> np.ndarray:
    """The timings retimed on the last pass's channels from ``theta`` (the lowering from the top at the
    earliest), within a quarter of each transition of where they were, by ``iterations`` more damped
    steps.

    The heights of the passes decide which reps count and are kept: the foot's lever and rotation trade off
    against each other as the fit goes on, which moves a height more than an edge.
    """
    start = theta.copy()
    start[:, 2], start[:, 3] = from_top(theta[:, 0] + theta[:, 1], theta[:, 2], theta[:, 2] + theta[:, 3])
    settled, _ = levenberg_marquardt(
        fit.u,
        fit.vertical,
        start,
        ridge,
        iterations=iterations,
        forward=fit.forward,
        damping=0.1,
        relax=0.5,
        box=0.25,
    )
    return settled


def _pass(
    sig: Signals,
    theta: np.ndarray,
    coef: np.ndarray | None,
    seen_until: np.ndarray,
    *,
    rise: Fit,
    low: Fit,
    prev_end: np.ndarray,
    next_s: np.ndarray,
) -> _Pass:
    """The reps' windows, grids and channels for a pass: on the first (``coef`` None) with the separate
    fits ``rise`` and ``low`` of the neighbours subtracted, then with the previous pass's fits."""
    t = sig.t
    if coef is None:
        others = sig.acc_v - render(t, rise) - render(t, low)
    else:
        others = sig.acc_v - render_reps(t, theta, coef, seen_until)
    prev_mid = np.concatenate([[-np.inf], theta[:-1, 2] + 0.5 * theta[:-1, 3]])
    next_mid = np.concatenate([theta[1:, 0] + 0.5 * theta[1:, 1], [np.inf]])
    lo = np.fmax(np.fmax(theta[:, 0] - 0.5 * theta[:, 1], prev_mid), np.nan_to_num(prev_end, nan=-np.inf))
    hi = np.fmin(np.fmin(theta[:, 2] + 1.5 * theta[:, 3], next_mid), np.nan_to_num(next_s, nan=np.inf))
    lo, hi = np.maximum(lo, t[0]), np.minimum(hi, t[-1])
    u, h = rep_grid(lo, hi, theta, sig.period_s)
    uq = np.clip(u, t[0], t[-1])
    y = _box_means(t, others, uq, h)
    model = None if coef is None else rep_model(u, theta)
    # Each rep's own fitted movement is added back to what its neighbours leave.
    y = (y + render_on(u, rise) + render_on(u, low)) if model is None else (y + model[..., 3] * coef[:, 3:4])
    # A box mean over ``h`` averages the white noise of ``h / period`` samples: weights in units of its
    # variance.
    vertical = Channel(y, h / sig.period_s / (sig.acc_noise**2 + 1e-12))
    forward = None
    if sig.acc_f is not None:
        # The forward acceleration likewise, its neighbours' fitted movements subtracted once known.
        others_f = (
            sig.acc_f if coef is None else sig.acc_f - render_reps(t, theta, coef, seen_until, forward=True)
        )
        y_f = _box_means(t, others_f, uq, h)
        if coef is not None:
            y_f = y_f + model[..., 8] * coef[:, 8:9]
        forward = Channel(y_f, h / sig.period_s / (sig.acc_f_noise**2 + 1e-12))
    return _Pass(u, vertical, forward, hi)


def _box_means(t: np.ndarray, x: np.ndarray, u: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Means of ``x`` (on the times ``t``) over boxes of width ``h`` centred on ``u``, from its running
    trapezoidal integral."""
    x_int = np.concatenate([[0.0], np.cumsum(0.5 * (x[1:] + x[:-1]) * np.diff(t))])
    return (np.interp(u + 0.5 * h, t, x_int) - np.interp(u - 0.5 * h, t, x_int)) / np.maximum(h, 1e-9)


def from_top(top_s: np.ndarray, onset_s: np.ndarray, end_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Onsets and durations (at least 0.1 s) of lowerings that begin at or after the top, their ends kept.

    Where a fit starts a lowering inside the rise, only its onset moves: the end (the ankle decelerating
    low on its circle, where it moves mostly vertically) is timed two to three times better than the onset
    high on the circle (``benchmarks/bench_calf_ceiling.py``), so it is not moved with the onset.
    """
    lower = np.maximum(onset_s, top_s)
    return lower, np.maximum(end_s - lower, _MIN_TRANSITION_S)


def levenberg_marquardt(
    u: np.ndarray,
    vertical: Channel,
    theta: np.ndarray,
    ridge: np.ndarray,
    *,
    iterations: int,
    forward: Channel | None = None,
    damping: float = 1e-3,
    relax: float = 0.3,
    box: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Timings (reps x 7) that minimise each rep's residual of :func:`rep_fit`, from ``theta``, and the
    linear coefficients there; a step per rep, with the exact Jacobian.

    The damping starts at ``damping`` and is multiplied by ``relax`` after an accepted step, by ten after a
    rejected one. With ``box`` no edge leaves the start's by more than that fraction of its transition.

    Reps are fitted in groups of similar grid length (:func:`_by_grid_length`), each group on its own
    longest grid: a few reps with long windows would otherwise make every rep's arrays as long as theirs.
    """
    theta_out = np.empty_like(theta)
    coef_out = None
    for rows, size in _by_grid_length(vertical.w):
        part_theta, part_coef = _lm_group(
            u[rows, :size],
            _rows(vertical, rows, size),
            theta[rows],
            ridge[rows],
            iterations=iterations,
            forward=None if forward is None else _rows(forward, rows, size),
            damping=damping,
            relax=relax,
            box=box,
        )
        if coef_out is None:
            coef_out = np.empty((theta.shape[0], part_coef.shape[1]))
        theta_out[rows], coef_out[rows] = part_theta, part_coef
    assert coef_out is not None
    return theta_out, coef_out


#: Longest grid a group of reps may have, relative to its shortest (plus a few boxes).
_GROUP_GROWTH = 1.3
_GROUP_SLACK = 4


def _by_grid_length(w: np.ndarray) -> list[tuple[np.ndarray, int]]:
    """The reps (rows of the weights ``w``, reps x samples, zero past a rep's last box) in groups of
    similar box counts, shortest first: each group's rows and the box count of its longest rep."""
    n = np.maximum((w > 0).sum(axis=1), 1)
    order = np.argsort(n, kind="stable")
    sorted_n = n[order]
    groups, begin = [], 0
    while begin < order.size:
        limit = _GROUP_GROWTH * sorted_n[begin] + _GROUP_SLACK
        end = int(np.searchsorted(sorted_n, limit, side="right"))
        groups.append((np.sort(order[begin:end]), int(sorted_n[end - 1])))
        begin = end
    return groups


def _rows(channel: Channel, rows: np.ndarray, size: int) -> Channel:
    """The channel of the reps ``rows`` on their first ``size`` boxes."""
    return Channel(channel.y[rows, :size], channel.w[rows, :size])


def _lm_group(
    u: np.ndarray,
    vertical: Channel,
    theta: np.ndarray,
    ridge: np.ndarray,
    *,
    iterations: int,
    forward: Channel | None,
    damping: float,
    relax: float,
    box: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`levenberg_marquardt` on one group of reps."""
    start = theta
    theta = theta.copy()
    now = rep_fit(u, vertical, theta, ridge, forward=forward, jacobian=True)
    res, cost, coef, jac = now.residuals, now.cost, now.coef, now.jacobian
    assert jac is not None
    lam = np.full(theta.shape[0], damping)
    for _ in range(iterations):
        jt = np.swapaxes(jac, 1, 2)
        jtj = jt @ jac
        jtr = (jt @ res[..., None])[..., 0]
        diag = np.diagonal(jtj, axis1=1, axis2=2)
        eye = np.eye(theta.shape[1])
        damped = jtj + lam[:, None, None] * (eye * diag[:, None, :] + 1e-12 * eye)
        delta = -np.linalg.solve(damped, jtr[..., None])[..., 0]
        trial = _bounded_step(theta, delta, start, box)
        tried = rep_fit(u, vertical, trial, ridge, forward=forward, jacobian=True)
        assert tried.jacobian is not None
        better = tried.cost < cost
        theta[better], res[better], cost[better], coef[better], jac[better] = (
            trial[better],
            tried.residuals[better],
            tried.cost[better],
            tried.coef[better],
            tried.jacobian[better],
        )
        lam = np.where(better, lam * relax, lam * 10.0)
    return theta, coef


#: Bounds of the foot lever's start angle and of its rotations (rad): below the flat to near vertical, and
#: from a sliver of a partial rep to beyond the highest raise.
_START_RAD = (-0.3, 1.2)
_ROTATION_RAD = (0.05, 1.3)
#: Shortest rise or lowering a step may make (s).
_MIN_TRANSITION_S = 0.1


def _bounded_step(theta: np.ndarray, delta: np.ndarray, start: np.ndarray, box: float | None) -> np.ndarray:
    """``theta + delta`` with no edge moved by more than a quarter of its transition (angles by at most
    0.2 rad), within ``box`` of ``start`` if given, transitions at least :data:`_MIN_TRANSITION_S` long,
    the lowering not before the top, and the angles within their bounds."""
    limit = np.concatenate([0.25 * theta[:, [1, 1, 3, 3]], np.full((theta.shape[0], 3), 0.2)], axis=1)
    trial = theta + np.clip(delta, -limit, limit)
    if box is not None:
        reach = box * start[:, [1, 1, 3, 3]]
        trial[:, :4] = np.clip(trial[:, :4], start[:, :4] - reach, start[:, :4] + reach)
    trial[:, 1] = np.maximum(trial[:, 1], _MIN_TRANSITION_S)
    trial[:, 3] = np.maximum(trial[:, 3], _MIN_TRANSITION_S)
    trial[:, 2] = np.maximum(trial[:, 2], trial[:, 0] + trial[:, 1])
    trial[:, 4] = np.clip(trial[:, 4], *_START_RAD)
    trial[:, 5:] = np.clip(trial[:, 5:], *_ROTATION_RAD)
    return trial
