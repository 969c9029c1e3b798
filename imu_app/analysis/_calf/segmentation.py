"""Reps of one gap-free stretch: rises found as velocity lobes, lowerings after them, both timed,
checked and ended by the next movement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.analysis._calf.joint_fit import from_top, joint_refine
from imu_app.analysis._calf.knee import knee_bends, second_guess
from imu_app.analysis._calf.lever import without_rotation
from imu_app.analysis._calf.params import CalfRaiseParams
from imu_app.analysis._calf.shapes import min_jerk_fraction_time
from imu_app.analysis._calf.signals import Signals, during, mean_angle
from imu_app.analysis._calf.transitions import Fit, refine, render


def _from_crossings(t: np.ndarray, disp: np.ndarray) -> tuple[float, float]:
    """Onset and duration of a minimum-jerk move from the times its cumulative displacement ``disp``
    (monotonic, from 0 to its total) crosses 10 % and 90 %: the move covers them at fixed fractions of its
    duration, so both follow in closed form."""
    total = float(disp[-1])
    t10 = float(np.interp(0.1 * total, disp, t))
    t90 = float(np.interp(0.9 * total, disp, t))
    tau10, tau90 = min_jerk_fraction_time(0.1), min_jerk_fraction_time(0.9)
    duration = max((t90 - t10) / (tau90 - tau10), 0.1)
    return t10 - tau10 * duration, duration


#: Width of a minimum-jerk move's speed profile ``30 x^2 (1 - x)^2`` at half its peak, in units of the
#: move's duration: ``x (1 - x) = sqrt(2) / 8`` at both crossings.
_HALF_WIDTH = float(np.sqrt(1.0 - np.sqrt(2.0) / 2.0))


def _from_half_width(t: np.ndarray, v: np.ndarray, k: int) -> tuple[float, float]:
    """Onset and duration of a minimum-jerk move from its velocity lobe ``v`` (peak at index ``k``): the
    centre is midway between the times the speed crosses half its peak, the duration that width over
    :data:`_HALF_WIDTH`.

    The high-pass gives a rise's velocity a long low tail where it follows a lowering (the lowering's
    negative velocity, filtered, turns positive before the rise); the tail stays below half the rise's
    peak, so unlike the lobe's area-based crossings the half-width ignores it. A partial rep after a
    pause would otherwise be guessed half a second early, onto the previous lowering's deceleration.
    """
    half = 0.5 * float(v[k])
    below = np.flatnonzero(v[: k + 1] < half)
    if below.size:
        i = int(below[-1])
        t0 = float(np.interp(half, v[i : i + 2], t[i : i + 2]))
    else:
        t0 = float(t[0])
    above = np.flatnonzero(v[k:] < half)
    if above.size:
        i = k + int(above[0])
        t1 = float(np.interp(half, v[i - 1 : i + 1][::-1], t[i - 1 : i + 1][::-1]))
    else:
        t1 = float(t[-1])
    duration = max((t1 - t0) / _HALF_WIDTH, 0.15)
    return 0.5 * (t0 + t1) - 0.5 * duration, duration


def velocity_lobes(
    t: np.ndarray, v: np.ndarray, sign: float, min_area_m: float
) -> list[tuple[int, int, int, float]]:
    """Lobes of ``sign * v`` above zero: (first index, peak index, last index, area in m), area >= min."""
    pos = sign * v > 0
    edges = np.flatnonzero(np.diff(pos.astype(np.int8)))
    starts = np.concatenate([[0], edges + 1])
    stops = np.concatenate([edges, [v.size - 1]])
    dt = np.gradient(t)
    area = np.add.reduceat(sign * v * dt, starts)
    keep = pos[starts] & (stops - starts >= 2) & (area >= min_area_m)
    out = []
    for a, b, ar in zip(starts[keep], stops[keep], area[keep], strict=True):
        out.append((int(a), int(a + np.argmax(sign * v[a : b + 1])), int(b), float(ar)))
    return out


def segment_reps(sig: Signals, min_area_m: float, params: CalfRaiseParams) -> list[dict]:
    """Reps of one gap-free stretch: rises (positive vertical-velocity lobes, timed by :func:`refine`)
    each followed by a lowering (negative velocity before the next rise) of at least a third of its height,
    then timed in turn; the rises are timed again once the lowerings' movements can be subtracted."""
    t, v = sig.t, sig.vel
    dt = np.gradient(t)
    lobes = velocity_lobes(t, v, 1.0, min_area_m)
    if not lobes:
        return []
    first = []
    for a, _, b, _ in lobes:
        disp = np.concatenate([[0.0], np.cumsum(np.maximum(v[a : b + 1], 0.0) * dt[a : b + 1])])
        first.append(_from_crossings(np.concatenate([[t[a] - dt[a]], t[a : b + 1]]), disp))
    g = np.array(first)
    n = g.shape[0]
    no = np.zeros(n, dtype=bool)
    # Rises first: they are fast and strong in the vertical acceleration. Each window stops a little
    # after the rise's velocity lobe ends (the top; the lowering follows) and before the previous top.
    # The shank's angle is left out of rises: a knee bend often ends right where the next rise starts,
    # and sway swamps the few degrees a straight-knee rise turns the shank.
    lobe_end = np.array([t[b] for _, _, b, _ in lobes])
    # Before a rise, the window starts where the ankle last fell fastest (the middle of the previous
    # lowering, if it came straight before).
    lo = np.full(n, -np.inf)
    for j in range(1, n):
        b0, a1 = lobes[j - 1][2], lobes[j][0]
        if a1 > b0 + 1:
            lo[j] = t[b0 + int(np.argmin(v[b0:a1]))]
    rise = refine(
        sig,
        sig.acc_v,
        g[:, 0],
        np.maximum(g[:, 1], 0.15),
        lo_s=lo,
        hi_s=lobe_end + 0.2 * g[:, 1],
        lowering=no,
    )
    # A rise's velocity peaks half-way up, so a fitted rise that ends before its lobe's peak has locked
    # onto something earlier: the deceleration that ends the previous lowering, which looks like the first
    # half of a rise and outweighs a partial rep's acceleration. The high-passed lowering's tail then drew
    # the lobe's area-based guess early; those rises are fitted again from the lobe's half-width.
    peak_s = np.array([t[pk] for _, pk, _, _ in lobes])
    early = np.flatnonzero(rise.onset_s + rise.duration_s < peak_s)
    if early.size:
        g2 = np.array(
            [
                _from_half_width(
                    t[lobes[j][0] : lobes[j][2] + 1],
                    v[lobes[j][0] : lobes[j][2] + 1],
                    lobes[j][1] - lobes[j][0],
                )
                for j in early
            ]
        )
        again = refine(
            sig,
            sig.acc_v,
            g2[:, 0],
            g2[:, 1],
            lo_s=lo[early],
            hi_s=lobe_end[early] + 0.2 * g[early, 1],
            lowering=no[early],
        )
        rise.onset_s[early] = again.onset_s
        rise.duration_s[early] = again.duration_s
        rise.family[early] = again.family
        rise.acc_amp[early] = again.acc_amp
    # Slow positive lobes in the middle of a slow lowering (the high-pass's echo, or sway) are no rises:
    # no rise-shaped acceleration lifts them, so the fit stretches over them (longer than any rise) and
    # reads a height many times the lobe's. (A fast rise straight after a lowering reads less than its
    # lobe here, the lowering's deceleration being in its window; it is timed again below.)
    ratio = rise.height_m / np.array([lobe[3] for lobe in lobes])
    # Likewise the slow positive lobe that the high-pass leaves in a bottom pause after a slow lowering: a
    # fit stretched over it and a knee bend that ends the pause reads a rise whose speed (a minimum-jerk
    # move peaks at 1.875 times its mean speed) is several times the lobe's peak. A rise's lobe peaks at
    # 0.7-3 times the speed its fit implies (more when the fit reads the height low); such lobes reach
    # 0.04-0.55, so 0.6 tells them apart.
    speed = 1.875 * rise.height_m / np.maximum(rise.duration_s, 1e-6)
    fast = np.array([v[pk] for _, pk, _, _ in lobes]) >= 0.6 * speed
    real = (rise.duration_s <= params.max_rise_s) & (ratio <= 4.0) & fast
    idx = np.flatnonzero(real)
    guesses = []
    max_gap = params.max_transition_s + params.max_pause_s
    rise_starts = dict(zip(idx.tolist(), rise.onset_s[real].tolist(), strict=True))
    for j, k in enumerate(idx):
        a, _, b, area = lobes[k]
        top = float(rise.onset_s[k] + rise.duration_s[k])
        # Up to where the next rise's velocity turns positive (its fitted onset may still be off here).
        nxt = float(t[lobes[idx[j + 1]][0]]) if j + 1 < idx.size else float(t[-1])
        end = min(nxt, top + max_gap, float(t[-1]))
        seg = slice(b, max(int(np.searchsorted(t, end)), b + 1))
        down = np.concatenate([[0.0], np.cumsum(np.maximum(-v[seg], 0.0) * dt[seg])])
        # A rep comes down again before the next rise (a slow lowering's small velocity may be split into
        # several lobes by noise, so the whole stretch counts).
        if down[-1] < 0.3 * area or end - top < 0.2:
            continue
        # The lowering peaks where the ankle falls fastest; a minimum-jerk move's peak speed is 1.875 times
        # its mean, which gives the duration from the distance. The high-pass spreads a slow lowering's
        # velocity, so this is a first guess for the fit, kept between the top and the next rise.
        k_peak = b + int(np.argmax(-v[seg]))
        d_l = float(np.clip(1.875 * down[-1] / max(-float(v[k_peak]), 1e-6), 0.3, max(end - top, 0.3)))
        s_l = float(np.clip(t[k_peak] - 0.5 * d_l, top, max(end - d_l, top)))
        bracketed = j + 1 < idx.size and nxt <= top + max_gap
        # The movements after this rep reach up to the next rise's fitted onset: its high-passed velocity
        # may turn positive well before (a knee straightening lifts a shank sensor by 5-15 mm, and the
        # high-pass's echo of a slow lowering adds to it).
        after = max(nxt, float(rise.onset_s[idx[j + 1]])) if bracketed else np.inf
        guesses.append((int(k), s_l, d_l, area, float(down[-1]), after))
    if not guesses:
        return []
    ks = np.array([x[0] for x in guesses])
    m = ks.size
    yes = np.ones(m, dtype=bool)
    rise = Fit(rise.onset_s[ks], rise.duration_s[ks], rise.family[ks], rise.acc_amp[ks], no[ks])
    low = Fit(
        np.array([x[1] for x in guesses]),
        np.array([x[2] for x in guesses]),
        np.zeros(m, np.int64),
        np.zeros(m),
        yes,
    )
    next_any = np.minimum(np.array([x[5] for x in guesses]), float(t[-1]))
    bracketed = np.array([np.isfinite(x[5]) for x in guesses])
    top = rise.onset_s + rise.duration_s
    # Knee bends bound the lowerings' windows (and end pauses, below).
    bend_on, bend_end = knee_bends(sig, rise.onset_s, top, next_any, params)
    # A lowering's window reaches no further than the next rise, a knee bend or the longest lowering and
    # pause (the look-ahead); the rises' fitted acceleration is subtracted from it. The shank's angle is
    # left out of the timing: in the benchmark it times lowerings worse than the acceleration alone (sway
    # turns the shank by about a degree at 0.1-2.5 Hz, as much as a straight-knee lowering does); it only
    # places bent-knee lowerings that the velocity's guess missed (second_guess).
    hi = np.fmin(np.minimum(next_any, top + params.max_transition_s + params.max_pause_s), bend_on)
    falls = sig.acc_v - render(sig.t, rise)
    low = refine(sig, falls, np.maximum(low.onset_s, top), low.duration_s, lo_s=top, hi_s=hi, lowering=yes)
    if sig.tilt is not None:
        low = second_guess(sig, falls=falls, rise=rise, low=low, top=top, hi=hi, params=params)
    bottom = low.onset_s + low.duration_s
    # The rises once more, now with the lowerings' acceleration subtracted and the windows cut where the
    # previous lowering or knee bend ends: a rise that follows a lowering without a pause (or runs straight
    # into one) is timed as cleanly as one between plateaus.
    prev_end = np.fmax(np.concatenate([[-np.inf], bottom[:-1]]), np.concatenate([[-np.inf], bend_end[:-1]]))
    rise = refine(
        sig,
        sig.acc_v - render(sig.t, low),
        rise.onset_s,
        rise.duration_s,
        lo_s=prev_end,
        hi_s=low.onset_s + 0.1 * low.duration_s,
        lowering=no[ks],
    )
    # Finally each rep's rise and lowering together: where they meet without a pause, fits of one at a
    # time pull each other's edge towards the junction.
    sig = without_rotation(
        sig, during(t, rise.onset_s, rise.duration_s) | during(t, low.onset_s, low.duration_s)
    )
    rise, low = joint_refine(sig, rise, low, prev_end=prev_end, next_s=np.fmin(next_any, bend_on))
    lower, lowering_s = from_top(rise.onset_s + rise.duration_s, low.onset_s, low.onset_s + low.duration_s)
    bottom = lower + np.minimum(lowering_s, params.max_transition_s)
    fits = [
        RepFit(
            float(rise.onset_s[j]),
            float(rise.onset_s[j] + rise.duration_s[j]),
            float(lower[j]),
            float(bottom[j]),
            area,
            down,
            float(rise.height_m[j]),
            float(low.height_m[j]),
            bool(bracketed[j]),
        )
        for j, (_k, *_rest, area, down, _) in enumerate(guesses)
    ]
    # A rep's lowering ends inside the recording: stepping back off the step after a set's last rep, with
    # the knee straightening, once fitted as a partial rep whose lowering ran 3 s past the data's end.
    kept = np.array([plausible(f, min_area_m, params.max_rise_s) and f.bottom_s <= t[-1] for f in fits])
    # What ends a bottom pause: the next rep's rise, or a rise after which no rep follows (stepping back
    # to the flat). Other rises are no movement of their own: the high-pass's echo of a slow lowering, or
    # the lift of a knee straightening before the next rep, which the shank's angle times (below).
    rise_starts.update(zip(ks.tolist(), rise.onset_s.tolist(), strict=True))
    reps_at = np.sort(rise.onset_s[kept])
    rep_lobes = set(ks[kept].tolist())
    others = np.array(sorted(v for k, v in rise_starts.items() if k not in rep_lobes))
    after = np.append(reps_at, np.inf)[np.searchsorted(reps_at, others, side="right")]
    ends = np.sort(np.concatenate([reps_at, others[after > others + max_gap]]))
    following = np.searchsorted(ends, bottom - 0.05, side="right")
    next_rise = np.append(ends, np.inf)[following]
    # A knee bend or straightening before the next rise ends the pause.
    bend_on, _ = knee_bends(sig, rise.onset_s, bottom, np.minimum(next_rise, float(t[-1])), params)
    pause_end = np.fmin(next_rise, bend_on)
    reps = []
    for j in np.flatnonzero(kept):
        f = fits[j]
        reps.append(
            {
                "start_s": f.start_s,
                "top_s": f.top_s,
                "lower_s": f.lower_s,
                "bottom_s": f.bottom_s,
                "rise_m": f.rise_m,
                "fit_rise_m": f.fit_rise_m,
                "base_deg": None if not sig.gyro else mean_angle(sig, f.start_s - 0.15, f.start_s),
                "tilt_deg": None
                if not sig.gyro
                else mean_angle(sig, f.top_s - 0.05, f.top_s + 0.05)
                - mean_angle(sig, f.start_s - 0.15, f.start_s),
                "pause_end_s": max(float(pause_end[j]), f.bottom_s)
                if pause_end[j] <= f.bottom_s + params.max_pause_s
                else None,
            }
        )
    return reps


@dataclass(frozen=True)
class RepFit:
    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    rise_m: float
    lower_m: float
    fit_rise_m: float
    fit_lower_m: float
    bracketed: bool  # another rise follows within the longest lowering and pause


def plausible(f: RepFit, min_rise_m: float, max_rise_s: float = 3.0) -> bool:
    """A rep rises at least ``min_rise_m`` within ``max_rise_s``, its fitted acceleration lifts the ankle
    by at least a quarter of its velocity lobe's height (a lobe that no rise-shaped acceleration explains
    is drift or an echo), and it comes down again.

    When another rise follows, the ankle must have come down in between; the high-passed velocity's
    negative area (at least a third of the rise's; a slow lowering's loses part of it, and the echo of the
    next rise may add to it) only confirms it. After a set's last rise that area proves nothing: the
    high-pass turns every rise into a rise followed by a fall. There the fitted accelerations must show a
    lowering of half to two and a half times the rise (the first rep of an eccentric set starts from the
    step, the others from below it), which tells the set's last rep from stepping back to the flat.
    """
    if f.rise_m < min_rise_m or f.top_s - f.start_s > max_rise_s or f.fit_rise_m < 0.25 * f.rise_m:
        return False
    if f.bracketed:
        return f.lower_m >= 0.3 * f.rise_m
    return 0.5 * f.fit_rise_m <= f.fit_lower_m <= 2.5 * f.fit_rise_m
