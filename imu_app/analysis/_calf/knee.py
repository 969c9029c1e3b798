"""Knee bends between reps, bent-knee lowerings placed by the shank's angle, and each rep's knee."""

from __future__ import annotations

import numpy as np

from imu_app.analysis._calf.params import CalfRaiseParams
from imu_app.analysis._calf.signals import Signals, mean_angle
from imu_app.analysis._calf.transitions import TILT_CORR_S, Fit, misfit, refine
from imu_app.core import Knee


def knee_bends(
    sig: Signals,
    base_s: np.ndarray,
    top_s: np.ndarray,
    next_s: np.ndarray,
    params: CalfRaiseParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Onset and end of a knee bend / straightening between each rep's top and the next rise (NaN where
    there is none).

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
        return onset, end
    rate = np.gradient(sig.tilt, sig.t)
    cands = []
    for i, (base, top, nxt_rise) in enumerate(zip(base_s, top_s, next_s, strict=True)):
        nxt = min(nxt_rise, top + params.max_transition_s + params.max_pause_s)
        if nxt - top < 0.4:
            continue
        amount = mean_angle(sig, nxt - 0.15, nxt) - mean_angle(sig, base - 0.15, base)
        if abs(amount) < params.posture_deg:
            continue
        k0, k1 = np.searchsorted(sig.t, (top, nxt))
        r = np.sign(amount) * rate[k0:k1]
        if r.size < 4:
            continue
        k = int(np.argmax(r))
        slow = r < 0.1 * r[k]
        before = np.flatnonzero(slow[:k])
        after = np.flatnonzero(slow[k:])
        a = int(before[-1]) if before.size else 0
        b = k + int(after[0]) if after.size else r.size - 1
        # The bend's window starts where the shank last turned the other way (a lowering, whose tilt
        # back may be opposite to the bend): a step fitted over both would start inside the lowering.
        back = np.flatnonzero(r[:k] < -0.1 * r[k])
        lo = float(sig.t[k0 + int(back[-1])]) if back.size else top
        cands.append(
            (i, float(sig.t[k0 + a]), max(float(sig.t[k0 + b] - sig.t[k0 + a]), 0.1), lo, nxt, amount)
        )
    if not cands:
        return onset, end
    c = np.array([x[1:] for x in cands])
    fit = refine(
        sig,
        sig.acc_v,
        c[:, 0],
        c[:, 1],
        lo_s=c[:, 2],
        hi_s=c[:, 3],
        lowering=np.zeros(len(c), bool),
        use_acc=False,
        use_tilt=True,
    )
    for (i, *_), si, di, nxt, amount in zip(
        cands, fit.onset_s, fit.duration_s, c[:, 3], c[:, 4], strict=True
    ):
        # The fitted step itself must turn the shank by ``posture_deg``: the levels either side of a whole rep
        # differ by several degrees with the slow part of single-leg sway, the steps it mimics by 2 at most.
        step = np.sign(amount) * (mean_angle(sig, si + di, si + di + 0.15) - mean_angle(sig, si - 0.15, si))
        if params.posture_s[0] <= di <= params.posture_s[1] and step >= params.posture_deg:
            # A bend starts after the top (or bottom) it follows; its fitting window may start later, where
            # the shank last turned the other way (without a gyroscope the bend's own start can look so).
            onset[i] = min(max(si, top_s[i]), nxt)
            end[i] = min(si + di, nxt)
    return onset, end


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
        [
            abs(
                mean_angle(sig, top[j] - 0.05, top[j] + 0.05)
                - mean_angle(sig, rise.onset_s[j] - 0.15, rise.onset_s[j])
            )
            >= params.bent_tilt_deg
            for j in range(top.size)
        ],
        dtype=bool,
    )
    k = np.flatnonzero(bent & (hi > top + 0.5))
    if not k.size:
        return low
    span = hi[k] - top[k]
    angle = refine(
        sig,
        falls,
        top[k] + 0.1 * span,
        0.5 * span,
        lo_s=top[k],
        hi_s=hi[k],
        lowering=low.lowering[k],
        use_acc=False,
        use_tilt=True,
    )
    d = np.maximum(angle.duration_s, low.duration_s[k])
    centre = angle.onset_s + 0.5 * angle.duration_s
    apart = np.abs(centre - (low.onset_s[k] + 0.5 * low.duration_s[k])) > 0.25 * d
    ratio = angle.duration_s / low.duration_s[k]
    elsewhere = apart | (ratio > 1.5) | (ratio < 1 / 1.5)
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
    old = Fit(low.onset_s[k], low.duration_s[k], low.family[k], low.acc_amp[k], low.lowering[k])
    acc_new, tilt_new = misfit(sig, falls, again, top[k], hi[k])
    acc_old, tilt_old = misfit(sig, falls, old, top[k], hi[k])
    # Each residual in units of its noise: the acceleration's white noise per sample, and the angle's
    # sway, taken from the better of the two fits and counted once per tenth of a second.
    work_hz = 1.0 / float(np.median(np.diff(sig.t)))
    n = np.maximum(np.searchsorted(sig.t, hi[k]) - np.searchsorted(sig.t, top[k]), 1)
    sway = np.minimum(tilt_new, tilt_old) / n * max(1.0, TILT_CORR_S * work_hz) + 1e-9
    gain = (acc_old - acc_new) / (sig.acc_noise**2 + 1e-12) + (tilt_old - tilt_new) / sway
    better = k[gain > 0.0]
    if not better.size:
        return low
    pick = np.isin(k, better)
    fields = [f.copy() for f in (low.onset_s, low.duration_s, low.family, low.acc_amp)]
    for field, new in zip(
        fields, (again.onset_s, again.duration_s, again.family, again.acc_amp), strict=True
    ):
        field[better] = new[pick]
    return Fit(*fields, low.lowering)


def set_knees(members: list[dict], partial: np.ndarray, params: CalfRaiseParams) -> dict[int, str]:
    """Straight or bent knee for each rep of a set (by ``id`` of its record); empty without a gyroscope.

    Bending the knee tilts the whole shank forward by 12-20 deg, so when the shank's angle before the rise
    falls into two clusters that far apart, the forward one is the bent knee ("forward" is opposite to the
    tilt back that every rise makes). When it does not, the set is one or the other, told by the shank's
    tilt during the full reps' rises (``bent_tilt_deg``).
    """
    if not members or members[0]["tilt_deg"] is None:
        return {}
    tilts = np.array([r["tilt_deg"] for r in members])
    back = np.sign(np.median(tilts)) or 1.0
    forward = -back * np.array([r["base_deg"] for r in members])
    lo, hi = float(forward.min()), float(forward.max())
    if hi - lo >= params.knee_split_deg:
        mid = 0.5 * (lo + hi)
        return {
            id(r): (Knee.BENT if f > mid else Knee.STRAIGHT) for r, f in zip(members, forward, strict=True)
        }
    full = np.abs(tilts[~partial]) if (~partial).any() else np.abs(tilts)
    knee = Knee.BENT if float(np.median(full)) > params.bent_tilt_deg else Knee.STRAIGHT
    return {id(r): knee for r in members}
