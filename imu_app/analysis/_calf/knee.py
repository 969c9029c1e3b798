"""Knee bends between reps and bent-knee lowerings placed by the shank's angle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.analysis._calf.params import CalfRaiseParams
from imu_app.analysis._calf.signals import LEVEL_WINDOW_S, Signals, mean_angle, rise_tilt
from imu_app.analysis._calf.transitions import TILT_CORR_S, Fit, misfit, refine
from imu_app.analysis._signal import moving_mean

#: A knee bend needs at least this long (s) between the top and the next rise to be looked for.
_MIN_BEND_ROOM_S = 0.4
#: A bend's first guess spans the samples where the shank turns faster than this fraction of its peak
#: rate in the bend's direction, and lasts at least :data:`_MIN_BEND_GUESS_S`.
_BEND_RATE_FRACTION = 0.1
_MIN_BEND_GUESS_S = 0.1
#: Without a gyroscope a bend is not looked for where the vertical acceleration, averaged over
#: :data:`_MOVING_S`, exceeds :data:`_MOVING_M_S2` (see :func:`_bend_guess`).
_MOVING_S = 0.1
_MOVING_M_S2 = 0.3


@dataclass(frozen=True)
class KneeBends:
    """Onset and end (s) of a knee bend or straightening after each rep (NaN where there is none)."""

    onset_s: np.ndarray
    end_s: np.ndarray


@dataclass(frozen=True)
class _BendGuess:
    """A knee bend's first guess after rep ``rep``: onset and duration (s), its fitting window (s) and how
    far the shank's angle moved (deg, signed)."""

    rep: int
    onset_s: float
    duration_s: float
    lo_s: float
    hi_s: float
    amount_deg: float


def knee_bends(
    sig: Signals,
    base_s: np.ndarray,
    top_s: np.ndarray,
    next_s: np.ndarray,
    params: CalfRaiseParams,
) -> KneeBends:
    """Knee bends / straightenings between each rep's top and the next rise.

    The lowering brings the shank back to the angle it had before the rise (``base_s``, the rise's
    onset); a knee bend moves it elsewhere. If the angle before the next rise differs from that by at
    least ``posture_deg``, the bend is where the angle changes fastest in that direction (a bend of
    12-20 deg in under a second turns the shank ten times faster than a lowering or sway); its onset and
    duration are guessed from where that rate falls to a tenth of its peak and then fitted as a
    minimum-jerk change of the angle (:func:`refine`, angle only: a bend hardly moves the ankle). A
    change slower than ``posture_s`` is the stance drifting with sway and is no bend.
    """
    onset = np.full(top_s.size, np.nan)
    end = np.full(top_s.size, np.nan)
    if sig.tilt is None or top_s.size == 0:
        return KneeBends(onset, end)
    rate = np.gradient(sig.tilt, sig.t)
    moving = None if sig.gyro else moving_mean(np.abs(sig.acc_v), max(1, round(_MOVING_S * sig.rate_hz)))
    cands = []
    for i, (base, top, nxt_rise) in enumerate(zip(base_s, top_s, next_s, strict=True)):
        reach = top + params.max_transition_s + params.max_pause_s
        guess = _bend_guess(
            sig, rate, moving, rep=i, base=base, top=top, nxt=min(nxt_rise, reach), params=params
        )
        if guess is not None:
            cands.append(guess)
    if not cands:
        return KneeBends(onset, end)
    fit = refine(
        sig,
        sig.acc_v,
        np.array([c.onset_s for c in cands]),
        np.array([c.duration_s for c in cands]),
        lo_s=np.array([c.lo_s for c in cands]),
        hi_s=np.array([c.hi_s for c in cands]),
        lowering=np.zeros(len(cands), bool),
        use_acc=False,
        use_tilt=True,
    )
    for c, si, di in zip(cands, fit.onset_s, fit.duration_s, strict=True):
        # The fitted step itself must turn the shank by ``posture_deg``: the levels either side of a whole rep
        # differ by several degrees with the slow part of single-leg sway, the steps it mimics by 2 at most.
        after = mean_angle(sig, si + di, si + di + LEVEL_WINDOW_S)
        step = np.sign(c.amount_deg) * (after - mean_angle(sig, si - LEVEL_WINDOW_S, si))
        if params.posture_s[0] <= di <= params.posture_s[1] and step >= params.posture_deg:
            # A bend starts after the top (or bottom) it follows; its fitting window may start later, where
            # the shank last turned the other way (without a gyroscope the bend's own start can look so).
            onset[c.rep] = min(max(si, top_s[c.rep]), c.hi_s)
            end[c.rep] = min(si + di, c.hi_s)
    return KneeBends(onset, end)


def _bend_guess(
    sig: Signals,
    rate: np.ndarray,
    moving: np.ndarray | None,
    *,
    rep: int,
    base: float,
    top: float,
    nxt: float,
    params: CalfRaiseParams,
) -> _BendGuess | None:
    """The first guess of a knee bend between ``top`` and ``nxt`` after a rise from ``base`` (s), or
    ``None`` where the shank's angle before ``nxt`` is within ``posture_deg`` of that before the rise.

    Without a gyroscope the angle is that of the specific force, which the ankle's own acceleration turns
    too: on its circle about the metatarsal heads the ankle accelerates forward about as much as upward,
    and in a fast lowering (1-2 m/s^2) that turns the force by 5-10 deg within a tenth of a second, as fast
    as a knee bend turns the shank. A bend hardly moves the ankle, so it is looked for only where the
    vertical acceleration (``moving``: its magnitude averaged over :data:`_MOVING_S`) stays below
    :data:`_MOVING_M_S2`, a fifth of a fast rep's; otherwise the straightening of the knee after a set's
    last rep is placed inside the lowering and cuts the lowering's window short.
    """
    if nxt - top < _MIN_BEND_ROOM_S:
        return None
    amount = mean_angle(sig, nxt - LEVEL_WINDOW_S, nxt) - mean_angle(sig, base - LEVEL_WINDOW_S, base)
    if abs(amount) < params.posture_deg:
        return None
    k0, k1 = np.searchsorted(sig.t, (top, nxt))
    r = np.sign(amount) * rate[k0:k1]
    if r.size < 4:
        return None
    still = None if moving is None else moving[k0:k1] < _MOVING_M_S2
    k = int(np.argmax(r if still is None or not still.any() else np.where(still, r, -np.inf)))
    slow = r < _BEND_RATE_FRACTION * r[k]
    before = np.flatnonzero(slow[:k])
    after = np.flatnonzero(slow[k:])
    a = int(before[-1]) if before.size else 0
    b = k + int(after[0]) if after.size else r.size - 1
    # The bend's window starts where the shank last turned the other way (a lowering, whose tilt
    # back may be opposite to the bend): a step fitted over both would start inside the lowering.
    back = np.flatnonzero(r[:k] < -_BEND_RATE_FRACTION * r[k])
    lo = float(sig.t[k0 + int(back[-1])]) if back.size else top
    duration = max(float(sig.t[k0 + b] - sig.t[k0 + a]), _MIN_BEND_GUESS_S)
    return _BendGuess(rep, float(sig.t[k0 + a]), duration, lo, nxt, amount)


#: A bent-knee lowering is placed again only where this long (s) or more lies between the top and the end
#: of its window.
_MIN_SECOND_GUESS_S = 0.5
#: The angle's change is first guessed to start a tenth of the way from the top to the window's end and
#: to last half of it.
_ANGLE_GUESS = (0.1, 0.5)
#: The angle places a lowering elsewhere when their centres lie more than this fraction of the longer
#: apart, or their durations differ by more than this factor.
_ELSEWHERE_SHIFT = 0.25
_ELSEWHERE_RATIO = 1.5


def second_guess(
    sig: Signals,
    *,
    falls: np.ndarray,
    rise: Fit,
    low: Fit,
    top: np.ndarray,
    hi: np.ndarray,
    params: CalfRaiseParams,
) -> Fit:
    """``low`` with bent-knee lowerings fitted again from a first guess fitted to the shank's angle where
    that guess lies elsewhere, each kept if it explains the vertical acceleration ``falls`` (the rises'
    fitted acceleration removed) from the top to ``hi`` better.

    The velocity's guess of a 3-5-s lowering can be seconds off, beyond what the fit's grids reach from
    it, and the fit then times a few mg of sway or bias. With the knee bent the shank tilts by 5-8 deg in
    a rise (more than ``bent_tilt_deg``) and back in the lowering on the same profile as the foot, more
    than single-leg sway turns it: a minimum-jerk change of the angle fitted over the whole stretch from
    the top to ``hi`` finds the lowering's place, if not its edges. The two fits are compared on the same
    samples by the residuals of the acceleration (each with its own offset) and of the angle (each with
    the best change on its timing, :func:`misfit`): a short lowering at the end of a pause fits a bias
    step as well as the true one fits the lowering, so the acceleration alone did not tell them apart.
    """
    bent = np.array(
        [abs(rise_tilt(sig, rise.onset_s[j], top[j])) >= params.bent_tilt_deg for j in range(top.size)],
        dtype=bool,
    )
    k = np.flatnonzero(bent & (hi > top + _MIN_SECOND_GUESS_S))
    if not k.size:
        return low
    span = hi[k] - top[k]
    angle = refine(
        sig,
        falls,
        top[k] + _ANGLE_GUESS[0] * span,
        _ANGLE_GUESS[1] * span,
        lo_s=top[k],
        hi_s=hi[k],
        lowering=low.lowering[k],
        use_acc=False,
        use_tilt=True,
    )
    d = np.maximum(angle.duration_s, low.duration_s[k])
    centre = angle.onset_s + 0.5 * angle.duration_s
    apart = np.abs(centre - (low.onset_s[k] + 0.5 * low.duration_s[k])) > _ELSEWHERE_SHIFT * d
    ratio = angle.duration_s / low.duration_s[k]
    elsewhere = apart | (ratio > _ELSEWHERE_RATIO) | (ratio < 1 / _ELSEWHERE_RATIO)
    k = k[elsewhere]
    if not k.size:
        return low
    again = refine(
        sig,
        falls,
        angle.onset_s[elsewhere],
        angle.duration_s[elsewhere],
        lo_s=top[k],
        hi_s=hi[k],
        lowering=low.lowering[k],
    )
    better = k[_explains_better(sig, falls, again, low, k=k, top=top, hi=hi)]
    if not better.size:
        return low
    pick = np.isin(k, better)
    fields = [f.copy() for f in (low.onset_s, low.duration_s, low.family, low.acc_amp)]
    for field, new in zip(
        fields, (again.onset_s, again.duration_s, again.family, again.acc_amp), strict=True
    ):
        field[better] = new[pick]
    return Fit(*fields, low.lowering)


def _explains_better(
    sig: Signals, falls: np.ndarray, again: Fit, low: Fit, *, k: np.ndarray, top: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Whether each refitted lowering ``again`` (of the reps ``k``) explains the stretch from its top to
    ``hi`` better than the lowering it would replace, judged on both the acceleration ``falls`` and the
    shank's angle (:func:`misfit`), each residual in units of its noise: the acceleration's white noise
    per sample, and the angle's sway, taken from the better of the two fits and counted once per
    :data:`TILT_CORR_S`."""
    old = Fit(low.onset_s[k], low.duration_s[k], low.family[k], low.acc_amp[k], low.lowering[k])
    acc_new, tilt_new = misfit(sig, falls, again, top[k], hi[k])
    acc_old, tilt_old = misfit(sig, falls, old, top[k], hi[k])
    work_hz = 1.0 / sig.period_s
    n = np.maximum(np.searchsorted(sig.t, hi[k]) - np.searchsorted(sig.t, top[k]), 1)
    sway = np.minimum(tilt_new, tilt_old) / n * max(1.0, TILT_CORR_S * work_hz) + 1e-9
    gain = (acc_old - acc_new) / (sig.acc_noise**2 + 1e-12) + (tilt_old - tilt_new) / sway
    return gain > 0.0
