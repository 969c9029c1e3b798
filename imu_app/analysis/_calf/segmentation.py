"""Reps of one gap-free stretch: rises found as velocity lobes, lowerings after them, both timed,
checked and ended by the next movement."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.analysis._calf.joint_fit import from_top, joint_refine
from imu_app.analysis._calf.knee import knee_bends, second_guess
from imu_app.analysis._calf.lever import on_the_foot, without_rotation
from imu_app.analysis._calf.params import CalfRaiseParams
from imu_app.analysis._calf.shapes import MJ_PEAK_SPEED, min_jerk_fraction_time
from imu_app.analysis._calf.signals import Signals, base_angle, during, rise_tilt
from imu_app.analysis._calf.transitions import Fit, refine, render

#: Shortest rise a first guess proposes (s): rises take 0.3-2 s.
_MIN_RISE_GUESS_S = 0.15
#: Shortest lowering a first guess proposes (s).
_MIN_LOWERING_GUESS_S = 0.3
#: A rise's window reaches past its velocity lobe by this fraction of its guessed duration: the top,
#: which the lowering follows.
_PAST_LOBE = 0.2
#: A rise's second timing reaches into the lowering after it by this fraction of the lowering.
_INTO_LOWERING = 0.1
#: A lobe whose area-based duration exceeds its half-width one by this factor has merged a slower movement
#: (see :func:`_time_rises`).
_MERGED_LOBE = 1.5
#: A fitted rise that reads more than this many times its lobe's height is no rise (see :func:`_real`).
_MAX_HEIGHT_PER_LOBE = 4.0
#: A rise's lobe peaks at no less than this fraction of the speed its fit implies (see :func:`_real`).
_MIN_LOBE_SPEED = 0.6
#: A rise comes to rest at its top: by half its fitted duration after the top, its deceleration has taken
#: back at least this fraction of its lobe's peak speed (see :func:`_real`).
_MIN_DECELERATION = 0.5
#: A rep comes down again: the negative velocity before the next rise covers at least this fraction of the
#: rise's lobe, with at least :data:`_MIN_FALL_ROOM_S` between the top and the next rise.
_MIN_FALL = 0.3
_MIN_FALL_ROOM_S = 0.2
#: A fitted rise lifts the ankle by at least this fraction of its velocity lobe's height.
_MIN_FIT_PER_LOBE = 0.25
#: After a set's last rise the fitted lowering is this many times the fitted rise.
_LAST_LOWERING = (0.5, 2.5)
#: A pause is ended by a rise that starts later than this before its bottom (s): the fitted bottom and the
#: next rise's onset may overlap by a few samples.
_BOTTOM_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class Lobe:
    """A lobe of the high-passed vertical velocity above zero: its first, peak and last sample and its
    area (m)."""

    first: int
    peak: int
    last: int
    area_m: float


@dataclass(frozen=True)
class FoundRep:
    """A rep of one stretch, before it is put in a set: its four phase edges (s), its rise from the velocity
    lobe and from the fitted acceleration (m), the shank's angle before it and its tilt over the rise (deg,
    ``None`` without a gyroscope) and the end of its bottom pause (s; ``None`` when no movement ends it
    within ``max_pause_s``)."""

    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    rise_m: float
    fit_rise_m: float
    base_deg: float | None
    tilt_deg: float | None
    pause_end_s: float | None
    on_foot: bool = False


@dataclass(frozen=True)
class RepFit:
    """A timed rep before its checks (:func:`plausible`): its edges (s), the velocity lobes' rise and fall
    and the fitted accelerations' rise and fall (m), and whether another rise follows within the longest
    lowering and pause."""

    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    rise_m: float
    lower_m: float
    fit_rise_m: float
    fit_lower_m: float
    bracketed: bool


@dataclass(frozen=True)
class _Lowering:
    """The first guess of the lowering after the rise of lobe ``lobe``: onset and duration (s), the rise's
    and the fall's areas of the velocity (m), and where the movements after the rep begin (s; infinite when
    no rise follows within reach)."""

    lobe: int
    onset_s: float
    duration_s: float
    rise_m: float
    fall_m: float
    next_s: float


@dataclass(frozen=True)
class _Timed:
    """The reps' rises and lowerings after the joint fit, the lowerings' starts (at the top at the
    earliest) and bottoms (s), and the stretch's signals with the shank's turning removed."""

    rise: Fit
    low: Fit
    lower_s: np.ndarray
    bottom_s: np.ndarray
    sig: Signals
    on_foot: bool


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
    duration = max((t1 - t0) / _HALF_WIDTH, _MIN_RISE_GUESS_S)
    return 0.5 * (t0 + t1) - 0.5 * duration, duration


def velocity_lobes(t: np.ndarray, v: np.ndarray, sign: float, min_area_m: float) -> list[Lobe]:
    """Lobes of ``sign * v`` above zero whose area is at least ``min_area_m``."""
    pos = sign * v > 0
    edges = np.flatnonzero(np.diff(pos.astype(np.int8)))
    starts = np.concatenate([[0], edges + 1])
    stops = np.concatenate([edges, [v.size - 1]])
    dt = np.gradient(t)
    area = np.add.reduceat(sign * v * dt, starts)
    keep = pos[starts] & (stops - starts >= 2) & (area >= min_area_m)
    return [
        Lobe(int(a), int(a + np.argmax(sign * v[a : b + 1])), int(b), float(ar))
        for a, b, ar in zip(starts[keep], stops[keep], area[keep], strict=True)
    ]


def segment_reps(sig: Signals, min_area_m: float, params: CalfRaiseParams) -> list[FoundRep]:
    """Reps of one gap-free stretch: rises (positive vertical-velocity lobes, timed by :func:`refine`)
    each followed by a lowering (negative velocity before the next rise) of at least a third of its height,
    then timed in turn; the rises are timed again once the lowerings' movements can be subtracted, and
    last each rep's rise and lowering together (:func:`joint_refine`)."""
    lobes = velocity_lobes(sig.t, sig.vel, 1.0, min_area_m)
    if not lobes:
        return []
    rise = _time_rises(sig, lobes)
    real = _real(sig, lobes, rise, params)
    guesses = _lowerings(sig, lobes, rise, np.flatnonzero(real), params)
    if not guesses:
        return []
    ks = np.array([x.lobe for x in guesses])
    timed = _time_reps(sig, rise, guesses, params)
    fits = [
        RepFit(
            float(timed.rise.onset_s[j]),
            float(timed.rise.onset_s[j] + timed.rise.duration_s[j]),
            float(timed.lower_s[j]),
            float(timed.bottom_s[j]),
            x.rise_m,
            x.fall_m,
            float(timed.rise.height_m[j]),
            float(timed.low.height_m[j]),
            bool(np.isfinite(x.next_s)),
        )
        for j, x in enumerate(guesses)
    ]
    # A rep's lowering ends inside the recording: stepping back off the step after a set's last rep, with
    # the knee straightening, can fit as a partial rep whose lowering runs past the data's end.
    kept = np.array([plausible(f, min_area_m, params.max_rise_s) and f.bottom_s <= sig.t[-1] for f in fits])
    # Every real rise's onset, as last fitted.
    rise_starts = dict(zip(np.flatnonzero(real).tolist(), rise.onset_s[real].tolist(), strict=True))
    rise_starts.update(zip(ks.tolist(), timed.rise.onset_s.tolist(), strict=True))
    pause_end = _pause_ends(timed, rise_starts, ks, kept, params)
    return [_found(timed, fits[j], float(pause_end[j]), params) for j in np.flatnonzero(kept)]


def _found(timed: _Timed, f: RepFit, pause_end_s: float, params: CalfRaiseParams) -> FoundRep:
    """The rep ``f``, its pause ended at ``pause_end_s`` if that lies within ``max_pause_s`` of its bottom."""
    sig = timed.sig
    return FoundRep(
        start_s=f.start_s,
        top_s=f.top_s,
        lower_s=f.lower_s,
        bottom_s=f.bottom_s,
        rise_m=f.rise_m,
        fit_rise_m=f.fit_rise_m,
        base_deg=None if not sig.gyro else base_angle(sig, f.start_s),
        tilt_deg=None if not sig.gyro else rise_tilt(sig, f.start_s, f.top_s),
        pause_end_s=max(pause_end_s, f.bottom_s) if pause_end_s <= f.bottom_s + params.max_pause_s else None,
        on_foot=timed.on_foot,
    )


def _time_rises(sig: Signals, lobes: list[Lobe]) -> Fit:
    """Every lobe's rise, timed by :func:`refine` from the times its displacement crosses 10 and 90 %.

    A lobe may merge a slower movement with its rise: in fast sets with a knee bend or straightening
    between reps (the next rise follows it within a few tenths of a second), the bend's few millimetres
    of lift, or what is left of the accelerometer's bias in the new attitude, keep the velocity above zero
    from the bend to the rise. The area-based crossings then place the rise early and long (a 0.45-s rise
    guessed at 1 s, 30 cm high), and the fits that follow start from a guess they cannot leave. Where they
    give a duration more than :data:`_MERGED_LOBE` times the lobe's half-width one, the half-width guess
    (:func:`_from_half_width`), which ignores the slow part below half the rise's peak speed, is taken.

    Rises are timed first: they are fast and strong in the vertical acceleration. Each window stops a
    little after the rise's velocity lobe ends (the top; the lowering follows) and before the previous
    top. The shank's angle is left out of rises: a knee bend often ends right where the next rise starts,
    and sway swamps the few degrees a straight-knee rise turns the shank.
    """
    t, v = sig.t, sig.vel
    dt = np.gradient(t)
    first = []
    for lobe in lobes:
        a, b = lobe.first, lobe.last
        disp = np.concatenate([[0.0], np.cumsum(np.maximum(v[a : b + 1], 0.0) * dt[a : b + 1])])
        guess = _from_crossings(np.concatenate([[t[a] - dt[a]], t[a : b + 1]]), disp)
        narrow = _from_half_width(t[a : b + 1], v[a : b + 1], lobe.peak - a)
        if guess[1] > _MERGED_LOBE * narrow[1]:
            guess = narrow
        first.append(guess)
    g = np.array(first)
    n = g.shape[0]
    no = np.zeros(n, dtype=bool)
    lobe_end = np.array([t[lobe.last] for lobe in lobes])
    # Before a rise, the window starts where the ankle last fell fastest (the middle of the previous
    # lowering, if it came straight before).
    lo = np.full(n, -np.inf)
    for j in range(1, n):
        b0, a1 = lobes[j - 1].last, lobes[j].first
        if a1 > b0 + 1:
            lo[j] = t[b0 + int(np.argmin(v[b0:a1]))]
    hi = lobe_end + _PAST_LOBE * g[:, 1]
    rise = refine(
        sig, sig.acc_v, g[:, 0], np.maximum(g[:, 1], _MIN_RISE_GUESS_S), lo_s=lo, hi_s=hi, lowering=no
    )
    # A rise's velocity peaks half-way up, so a fitted rise that ends before its lobe's peak has locked
    # onto something earlier: the deceleration that ends the previous lowering, which looks like the first
    # half of a rise and outweighs a partial rep's acceleration. The high-passed lowering's tail then drew
    # the lobe's area-based guess early; those rises are fitted again from the lobe's half-width.
    peak_s = np.array([t[lobe.peak] for lobe in lobes])
    early = np.flatnonzero(rise.onset_s + rise.duration_s < peak_s)
    if early.size:
        g2 = np.array(
            [
                _from_half_width(
                    t[lobes[j].first : lobes[j].last + 1],
                    v[lobes[j].first : lobes[j].last + 1],
                    lobes[j].peak - lobes[j].first,
                )
                for j in early
            ]
        )
        again = refine(sig, sig.acc_v, g2[:, 0], g2[:, 1], lo_s=lo[early], hi_s=hi[early], lowering=no[early])
        rise.onset_s[early] = again.onset_s
        rise.duration_s[early] = again.duration_s
        rise.family[early] = again.family
        rise.acc_amp[early] = again.acc_amp
    return rise


def _real(sig: Signals, lobes: list[Lobe], rise: Fit, params: CalfRaiseParams) -> np.ndarray:
    """Which fitted rises are rises.

    Slow positive lobes in the middle of a slow lowering (the high-pass's echo, or sway) are no rises: no
    rise-shaped acceleration lifts them, so the fit stretches over them (longer than any rise) and reads a
    height many times the lobe's. (A fast rise straight after a lowering reads less than its lobe here,
    the lowering's deceleration being in its window; it is timed again later.)

    Likewise the slow positive lobe that the high-pass leaves in a bottom pause after a slow lowering: a
    fit stretched over it and a knee bend that ends the pause reads a rise whose speed is several times
    the lobe's peak. A rise's lobe peaks at 0.7-3 times the speed its fit implies (more when the fit reads
    the height low); such lobes reach 0.04-0.55, so :data:`_MIN_LOBE_SPEED` tells them apart.
    """
    ratio = rise.height_m / np.array([lobe.area_m for lobe in lobes])
    speed = MJ_PEAK_SPEED * rise.height_m / np.maximum(rise.duration_s, 1e-6)
    peak = np.array([sig.vel[lobe.peak] for lobe in lobes])
    fast = peak >= _MIN_LOBE_SPEED * speed
    return (
        (rise.duration_s <= params.max_rise_s)
        & (ratio <= _MAX_HEIGHT_PER_LOBE)
        & fast
        & _stops(sig, lobes, rise, peak)
    )


def _stops(sig: Signals, lobes: list[Lobe], rise: Fit, peak: np.ndarray) -> np.ndarray:
    """Which lobes' rises come to rest: from the lobe's peak to half the fitted duration past the top, the
    velocity integrated from the acceleration itself (not high-passed) falls by at least
    :data:`_MIN_DECELERATION` of the lobe's peak speed.

    A minimum-jerk rise accelerates for its first half and decelerates for its second, by the same
    impulse: the ankle is at rest at the top. The velocity that a rep's integral leaves over (the
    magnitude of the force is not exactly the vertical acceleration, and a heel strike of a few tens of
    milliseconds is not integrated exactly) is a step at the rep's end, which the high-pass turns into a
    positive lobe lasting a second or more and as large as a rise's: after a set's last rep, with the leg
    still, nothing masks it. That lobe starts with the lowering's deceleration and heel strike (which a
    fit takes for a rise's acceleration), but no deceleration follows: the acceleration is flat. Over a
    few tenths of a second the raw integral drifts by millimetres per second, far less than a rise's
    speed.
    """
    t = sig.t
    dt = np.diff(t)
    raw = np.concatenate([[0.0], np.cumsum(0.5 * (sig.acc_v[1:] + sig.acc_v[:-1]) * dt)])
    end = np.searchsorted(t, rise.onset_s + 1.5 * rise.duration_s, side="right")
    out = np.ones(len(lobes), dtype=bool)
    for j, lobe in enumerate(lobes):
        b = max(int(end[j]), lobe.peak + 1)
        out[j] = raw[lobe.peak] - float(np.min(raw[lobe.peak : b])) >= _MIN_DECELERATION * peak[j]
    return out


def _lowerings(
    sig: Signals, lobes: list[Lobe], rise: Fit, idx: np.ndarray, params: CalfRaiseParams
) -> list[_Lowering]:
    """The first guess of the lowering after each real rise ``idx`` that comes down again before the next
    rise (a slow lowering's small velocity may be split into several lobes by noise, so the whole stretch
    counts).

    The lowering peaks where the ankle falls fastest; a minimum-jerk move's peak speed is
    :data:`MJ_PEAK_SPEED` times its mean, which gives the duration from the distance. The high-pass
    spreads a slow lowering's velocity, so this is a first guess for the fit, kept between the top and the
    next rise.
    """
    t, v = sig.t, sig.vel
    dt = np.gradient(t)
    reach = params.reach_s
    out = []
    for j, k in enumerate(idx):
        lobe = lobes[k]
        b = lobe.last
        top = float(rise.onset_s[k] + rise.duration_s[k])
        # Up to where the next rise's velocity turns positive (its fitted onset may still be off here).
        nxt = float(t[lobes[idx[j + 1]].first]) if j + 1 < idx.size else float(t[-1])
        end = min(nxt, top + reach, float(t[-1]))
        seg = slice(b, max(int(np.searchsorted(t, end)), b + 1))
        down = np.concatenate([[0.0], np.cumsum(np.maximum(-v[seg], 0.0) * dt[seg])])
        if down[-1] < _MIN_FALL * lobe.area_m or end - top < _MIN_FALL_ROOM_S:
            continue
        k_peak = b + int(np.argmax(-v[seg]))
        longest = max(end - top, _MIN_LOWERING_GUESS_S)
        d_l = float(
            np.clip(MJ_PEAK_SPEED * down[-1] / max(-float(v[k_peak]), 1e-6), _MIN_LOWERING_GUESS_S, longest)
        )
        s_l = float(np.clip(t[k_peak] - 0.5 * d_l, top, max(end - d_l, top)))
        bracketed = j + 1 < idx.size and nxt <= top + reach
        # The movements after this rep reach up to the next rise's fitted onset: its high-passed velocity
        # may turn positive well before (a knee straightening lifts a shank sensor by 5-15 mm, and the
        # high-pass's echo of a slow lowering adds to it).
        after = max(nxt, float(rise.onset_s[idx[j + 1]])) if bracketed else np.inf
        out.append(_Lowering(int(k), s_l, d_l, lobe.area_m, float(down[-1]), after))
    return out


def _time_reps(sig: Signals, rise: Fit, guesses: list[_Lowering], params: CalfRaiseParams) -> _Timed:
    """The reps' lowerings timed after their rises, the rises again, then both together.

    A lowering's window reaches no further than the next rise, a knee bend or the longest lowering and
    pause (the look-ahead); the rises' fitted acceleration is subtracted from it. The shank's angle is
    left out of the timing: it times lowerings worse than the acceleration alone (sway turns the shank by
    about a degree at 0.1-2.5 Hz, as much as a straight-knee lowering does); it only places bent-knee
    lowerings that the velocity's guess missed (:func:`second_guess`). The rises are then timed once
    more with the lowerings' acceleration subtracted and their windows cut where the previous lowering or
    knee bend ends, so that a rise that follows a lowering without a pause (or runs straight into one) is
    timed as cleanly as one between plateaus. Last, where rise and lowering meet without a pause, fits of
    one at a time pull each other's edge towards the junction: :func:`joint_refine` fits them together.
    """
    ks = np.array([x.lobe for x in guesses])
    m = ks.size
    no, yes = np.zeros(m, dtype=bool), np.ones(m, dtype=bool)
    rise = Fit(rise.onset_s[ks], rise.duration_s[ks], rise.family[ks], rise.acc_amp[ks], no)
    low_s = np.array([x.onset_s for x in guesses])
    low_d = np.array([x.duration_s for x in guesses])
    next_any = np.minimum(np.array([x.next_s for x in guesses]), float(sig.t[-1]))
    top = rise.onset_s + rise.duration_s
    # Knee bends bound the lowerings' windows (and end pauses).
    bends = knee_bends(sig, rise.onset_s, top, next_any, params)
    hi = np.fmin(np.minimum(next_any, top + params.max_transition_s + params.max_pause_s), bends.onset_s)
    falls = sig.acc_v - render(sig.t, rise)
    low = refine(sig, falls, np.maximum(low_s, top), low_d, lo_s=top, hi_s=hi, lowering=yes)
    if sig.tilt is not None:
        low = second_guess(sig, falls=falls, rise=rise, low=low, top=top, hi=hi, params=params)
    bottom = low.onset_s + low.duration_s
    prev_end = np.fmax(
        np.concatenate([[-np.inf], bottom[:-1]]), np.concatenate([[-np.inf], bends.end_s[:-1]])
    )
    rise = refine(
        sig,
        sig.acc_v - render(sig.t, low),
        rise.onset_s,
        rise.duration_s,
        lo_s=prev_end,
        hi_s=low.onset_s + _INTO_LOWERING * low.duration_s,
        lowering=no,
    )
    on_foot = on_the_foot(sig, rise.onset_s, rise.onset_s + rise.duration_s)
    if not on_foot:
        moving = during(sig.t, rise.onset_s, rise.duration_s) | during(sig.t, low.onset_s, low.duration_s)
        sig = without_rotation(sig, moving)
    rise, low = joint_refine(sig, rise, low, prev_end=prev_end, next_s=np.fmin(next_any, bends.onset_s))
    lower, lowering_s = from_top(rise.onset_s + rise.duration_s, low.onset_s, low.onset_s + low.duration_s)
    return _Timed(rise, low, lower, lower + np.minimum(lowering_s, params.max_transition_s), sig, on_foot)


def _pause_ends(
    timed: _Timed, rise_starts: dict[int, float], ks: np.ndarray, kept: np.ndarray, params: CalfRaiseParams
) -> np.ndarray:
    """When each rep's bottom pause ends (s; infinite if nothing ends it).

    What ends a bottom pause: the next rep's rise, or a rise after which no rep follows (stepping back to
    the flat), or a knee bend or straightening before the next rise. Other rises (``rise_starts``, by lobe)
    are no movement of their own: the high-pass's echo of a slow lowering, or the lift of a knee
    straightening before the next rep, which the shank's angle times.
    """
    sig, rise = timed.sig, timed.rise
    reach = params.reach_s
    reps_at = np.sort(rise.onset_s[kept])
    rep_lobes = set(ks[kept].tolist())
    others = np.array(sorted(v for k, v in rise_starts.items() if k not in rep_lobes))
    after = np.append(reps_at, np.inf)[np.searchsorted(reps_at, others, side="right")]
    ends = np.sort(np.concatenate([reps_at, others[after > others + reach]]))
    following = np.searchsorted(ends, timed.bottom_s - _BOTTOM_TOLERANCE_S, side="right")
    next_rise = np.append(ends, np.inf)[following]
    bends = knee_bends(sig, rise.onset_s, timed.bottom_s, np.minimum(next_rise, float(sig.t[-1])), params)
    return np.fmin(next_rise, bends.onset_s)


def plausible(f: RepFit, min_rise_m: float, max_rise_s: float) -> bool:
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
    if (
        f.rise_m < min_rise_m
        or f.top_s - f.start_s > max_rise_s
        or f.fit_rise_m < _MIN_FIT_PER_LOBE * f.rise_m
    ):
        return False
    if f.bracketed:
        return f.lower_m >= _MIN_FALL * f.rise_m
    low, high = _LAST_LOWERING
    return low * f.fit_rise_m <= f.fit_lower_m <= high * f.fit_rise_m
