"""Activity recognition: cut a recording into bouts of hops, landing holds, calf raises, walking, running,
rest and other movement, from the physics each activity shows at the ankle.

The method is a few explainable features over short windows, a rule per activity, and bouts grown from runs
of windows; it needs no training data and runs in well under a second per hour of recording.

1. *Bins*: the samples are summarised in bins of ``bin_s`` = 10 ms (any sample rate, gaps allowed): the
   largest, smallest and mean ``|a|``, the mean ``|omega|`` and the mean acceleration vector.
2. *Window features* over ``window_s`` = 2 s centred on each step of ``step_s`` = 0.25 s: the number of
   *impacts* (peaks of ``|a|`` above ``impact_g`` at least ``impact_gap_s`` apart: a landing or a foot strike
   loads the shank with several g, a calf raise's heel strike with 1.3-1.5 g), the share of time in *flight
   dips* (``|a|`` below ``flight_g``: a hopping shank is close to free fall between take-off and landing,
   a walking or running one is not, its swing pushes it round), the standard deviation of ``|a|`` (how
   hard the movement is), the RMS of ``|omega|`` (a walking shank swings at 300-400 deg/s, a running one at
   500 deg/s and more, a calf-raising one at 5-25 deg/s, a standing one at 1-3 deg/s) and the tilt
   variance ``1 - R`` of the gravity direction (``R`` the length of the mean unit vector over the window;
   a calf raise tilts the shank a few degrees each rep while ``|a|`` stays near 1 g).
3. *Window rules*, first match wins: *hops* (two impacts or more and flight dips, or, with a gyroscope,
   ``hop_min_impacts`` hard impacts without a stride's swing: a limb-worn sensor need not fall freely in
   flight, its leg tucks and reaches, while a running shank or foot swings at 160 deg/s RMS and more, as the
   real foot-worn walking of the gaitmap example does); *gait* (an impact and the
   shank swinging, or regular impacts without flight dips when there is no gyroscope), *running* when the
   swing or the impacts are those of running; a *landing* (an impact of at least ``landing_g`` alone);
   *quiet* (``|a|`` steady, the shank still); *slow movement* (no impact, ``|a|`` within a calf raise's
   swing, the shank turning or tilting slowly); anything else is *other*.
4. *Bouts*: runs of one label, with quiet stretches shorter than the activity's own pauses absorbed
   (a calf raise's bottom pause, the rest between the reps of a hop and hold); a landing followed by a
   quiet hold starts a bout of landing holds that lasts through its reps (a hold lasts up to ``hold_max_s``
   and, with a gyroscope, while the shank sways as on one leg: above ``hold_sway_dps``, where two-leg
   standing sways at about 1 deg/s and single-leg stance several times more [3]_); slow movement is calf
   raises; remaining quiet is rest. A bout's edges are then moved to where the movement starts and stops, to a
   bin. The *confidence* of a bout is the share of its windows whose own label agrees with the bout's.

References
----------
.. [1] Bao, L., & Intille, S. S. (2004). Activity recognition from user-annotated acceleration data.
   Pervasive Computing, LNCS 3001, 1-17. https://doi.org/10.1007/978-3-540-24646-6_1 (window features of
   acceleration magnitude and variance).
.. [2] Mannini, A., & Sabatini, A. M. (2010). Machine learning methods for classifying human physical
   activity from on-body accelerometers. Sensors, 10(2), 1154-1175. https://doi.org/10.3390/s100201154
.. [3] Prieto, T. E., Myklebust, J. B., Hoffmann, R. G., Lovett, E. G., & Myklebust, B. M. (1996). Measures
   of postural steadiness: differences between healthy young and elderly adults. IEEE Transactions on
   Biomedical Engineering, 43(9), 956-966. https://doi.org/10.1109/10.532130 (sway velocity of standing).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from imu_app.analysis.report import Bout
from imu_app.core import Activity, ImuData

__all__ = ["ActivityParams", "Bout", "recognise_activities"]


@dataclass(frozen=True)
class ActivityParams:
    """Parameters of :func:`recognise_activities` (see the module's documentation for each)."""

    bin_s: float = 0.01
    window_s: float = 2.0
    step_s: float = 0.25
    impact_g: float = 2.0
    impact_gap_s: float = 0.2
    landing_g: float = 3.0
    flight_g: float = 0.45
    hop_flight_share: float = 0.06
    hop_min_impacts: int = 3
    hop_max_gyr_rms_dps: float = 150.0
    walk_gyr_rms_dps: float = 80.0
    run_gyr_rms_dps: float = 240.0
    run_peak_g: float = 6.0
    quiet_acc_std_g: float = 0.04
    quiet_gyr_rms_dps: float = 4.0
    calf_acc_std_g: float = 0.3
    calf_max_gyr_rms_dps: float = 60.0
    calf_tilt_var: float = 2e-4
    calf_tilt_var_rep: float = 1.5e-3
    calf_min_gyr_rms_dps: float = 8.0
    calf_min_acc_std_g: float = 0.015
    hold_quiet_s: float = 1.0
    hold_max_s: float = 6.0
    hold_sway_dps: float = 1.5
    hold_max_rest_s: float = 15.0
    calf_max_pause_s: float = 6.0
    calf_min_s: float = 4.0
    walk_min_cycle_s: float = 0.87
    gait_max_pause_s: float = 2.0
    hop_max_pause_s: float = 2.5
    min_bout_s: float = 1.0
    settle_s: float = 1.0
    edge_margin_s: float = 0.2


# Window labels (finer than activities): a lone landing and slow movement become activities in context.
_QUIET, _SLOW, _LANDING, _OTHER = "quiet", "slow", "landing", "other"


def recognise_activities(data: ImuData, params: ActivityParams | None = None) -> tuple[Bout, ...]:
    """Bouts of activity of a recording, time-ordered and covering it from first to last sample.

    Parameters
    ----------
    data
        The recording (a gyroscope helps; without one, gait and calf raises are told from the
        accelerometer alone).
    params
        Thresholds; the defaults need no tuning.

    Returns
    -------
    tuple of Bout
        Consecutive bouts; quiet stretches are ``Activity.REST``.
    """
    p = params or ActivityParams()
    n = len(data)
    if n < 2:
        return ()
    t = data.t_s - data.t_s[0]
    duration = float(t[-1])
    nb = int(duration / p.bin_s) + 1
    acc = data.acc_g
    a = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    start = np.searchsorted(t, np.arange(nb) * p.bin_s)
    count = np.diff(np.r_[start, n])
    filled = count > 0
    # reduceat needs valid indices: empty bins borrow their neighbour's sample and are masked below.
    idx = np.minimum(start, n - 1)
    amax = np.maximum.reduceat(a, idx)
    amin = np.minimum.reduceat(a, idx)
    cnt = np.maximum(count, 1)
    amean = np.add.reduceat(a, idx) / cnt
    vec = np.add.reduceat(acc, idx, axis=0) / cnt[:, None]
    if data.gyr_dps is not None:
        g = data.gyr_dps
        g2 = np.add.reduceat(np.einsum("ij,ij->i", g, g), idx) / cnt
    else:
        g2 = None

    half = max(round(0.5 * p.window_s / p.bin_s), 1)
    step = max(round(p.step_s / p.bin_s), 1)
    centres = np.arange(0, nb, step)
    lo = np.clip(centres - half, 0, nb)
    hi = np.clip(centres + half, 0, nb)

    def wsum(x: np.ndarray) -> np.ndarray:
        c = np.concatenate([[0.0], np.cumsum(np.where(filled, x, 0.0))])
        return c[hi] - c[lo]

    nfill = np.maximum(wsum(np.ones(nb)), 1.0)
    mean_a = wsum(amean) / nfill
    std_a = np.sqrt(np.maximum(wsum(amean * amean) / nfill - mean_a * mean_a, 0.0))
    flight = wsum((amin < p.flight_g).astype(float)) / nfill
    peak = maximum_filter1d(np.where(filled, amax, 0.0), size=2 * half + 1, mode="nearest")[centres]
    impacts = _impacts(amax, filled, p)
    # Counts are whole numbers; the difference of two running sums is not, to the last bit.
    n_imp = np.rint(wsum(impacts.astype(float)))
    unit = vec / np.maximum(np.linalg.norm(vec, axis=1), 1e-9)[:, None]
    r = np.sqrt(sum((wsum(unit[:, k]) / nfill) ** 2 for k in range(3)))
    tilt_var = 1.0 - np.minimum(r, 1.0)
    g_rms = np.sqrt(wsum(g2) / nfill) if g2 is not None else None

    labels = _window_labels(n_imp, flight, std_a, peak, tilt_var, g_rms=g_rms, p=p)
    activity_bins = _activity_bins(amean, amax, g2, filled, p)
    # Hard landings: impacts of at least ``landing_g`` with a flight dip in the 0.3 s before them (a
    # push-off loads the shank too, but from stance).
    w = max(round(0.3 / p.bin_s), 1)
    dip = minimum_filter1d(np.where(filled, amin, 1.0), size=w, mode="nearest")
    before = np.r_[np.ones(w // 2 + 1), dip[: -(w // 2 + 1)]] if dip.size > w else dip
    big = impacts & (amax >= p.landing_g) & (before < p.flight_g)
    bouts = _bouts(
        labels,
        centres * p.bin_s,
        duration,
        moving=activity_bins,
        g2=g2,
        g_rms=g_rms,
        amean=amean,
        big=big,
        p=p,
    )
    return bouts


def _impacts(amax: np.ndarray, filled: np.ndarray, p: ActivityParams) -> np.ndarray:
    """Bins holding an impact: a peak of ``|a|`` above ``impact_g``, the highest within ``impact_gap_s``."""
    x = np.where(filled, amax, 0.0)
    gap = max(round(p.impact_gap_s / p.bin_s), 1)
    local = maximum_filter1d(x, size=2 * gap + 1, mode="nearest")
    cand = (x >= p.impact_g) & (x == local)
    # Equal neighbours (a clipped peak) count once.
    cand[1:] &= ~(cand[:-1] & (x[1:] == x[:-1]))
    return cand


def _window_labels(n_imp, flight, std_a, peak, tilt_var, *, g_rms, p: ActivityParams) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One label per window, first rule that matches (see the module's documentation)."""
    labels = np.full(n_imp.shape, _OTHER, dtype=object)
    has_g = g_rms is not None
    g = g_rms if has_g else np.zeros_like(n_imp)
    hops = (n_imp >= 2) & (flight >= p.hop_flight_share)
    if has_g:
        # A limb-worn sensor need not fall freely in a hop's flight (the leg tucks and reaches): hops are
        # also hard, frequent landings on the shank without a running stride's swing.
        hops |= (n_imp >= p.hop_min_impacts) & (peak >= p.run_peak_g) & (g < p.hop_max_gyr_rms_dps)
    if has_g:
        gait = (n_imp >= 1) & (g >= p.walk_gyr_rms_dps) & ~hops
        running = gait & ((g >= p.run_gyr_rms_dps) | (peak >= p.run_peak_g))
    else:
        gait = (n_imp >= 2) & (n_imp <= 4) & (std_a >= 0.25) & ~hops & (peak < 3 * p.run_peak_g)
        running = gait & (peak >= p.run_peak_g)
    landing = (n_imp >= 1) & (peak >= p.landing_g) & ~hops & ~gait
    quiet = (n_imp == 0) & (std_a < p.quiet_acc_std_g) & (g < p.quiet_gyr_rms_dps)
    quiet &= tilt_var < p.calf_tilt_var
    slow = (n_imp == 0) & (std_a < p.calf_acc_std_g) & ~quiet
    if has_g:
        slow &= g < p.calf_max_gyr_rms_dps
    # Below a calf raise's turning and tilting the leg only sways (standing, a single-leg hold): quiet.
    sway = (
        slow
        & (tilt_var < p.calf_tilt_var_rep)
        & (g < p.calf_min_gyr_rms_dps)
        & (std_a < p.calf_min_acc_std_g)
    )
    quiet |= sway
    slow &= ~sway
    labels[slow] = _SLOW
    labels[quiet] = _QUIET
    labels[landing] = _LANDING
    labels[gait & ~running] = Activity.WALKING
    labels[running] = Activity.RUNNING
    labels[hops] = Activity.HOPS
    return labels


def _activity_bins(amean, amax, g2, filled, p: ActivityParams) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Bins where the leg moves (to place a bout's edges to a bin): ``|a|`` off 1 g or the shank turning."""
    moving = (np.abs(amax - 1.0) > 0.15) | (np.abs(amean - 1.0) > 0.06)
    if g2 is not None:
        moving |= g2 > 15.0**2
    return moving & filled


def _runs(labels: np.ndarray) -> list[tuple[int, int, object]]:
    edges = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.r_[0, edges]
    stops = np.r_[edges, labels.size]
    return [(int(a), int(b), labels[a]) for a, b in zip(starts, stops, strict=True)]


def _bouts(labels, t_c, duration, *, moving, g2, g_rms, amean, big, p: ActivityParams) -> tuple[Bout, ...]:  # type: ignore[no-untyped-def]
    step = float(t_c[1] - t_c[0]) if t_c.size > 1 else p.step_s
    lab = labels.copy()
    # A landing followed by a quiet or slowly swaying hold is a landing hold. A short run of hop windows
    # with a single hard landing in it is such a landing too (the push-off and the flight of a hop and
    # hold look like a hop); a drop jump's has two (the drop's and the rebound's).
    hold_n = max(round(p.hold_quiet_s / step), 1)
    max_hold_n = max(round(p.hold_max_s / step), 1)
    hard = np.concatenate([[0], np.cumsum(big)])
    runs = _runs(lab)
    for k, (a, b, x) in enumerate(runs):
        if x != Activity.HOPS or (b - a) * step > p.window_s or k + 1 >= len(runs):
            continue
        b0 = round((t_c[a] - 0.5 * p.window_s) / p.bin_s)
        b1 = round((t_c[b - 1] + 0.5 * p.window_s) / p.bin_s)
        n_hard = hard[min(max(b1, 0), big.size)] - hard[min(max(b0, 0), big.size)]
        if n_hard <= 1:
            lab[a:b] = _LANDING
    # A landing next to hops, walking or running is their first or last landing (a drop jump's drop, the
    # end of a set or of a run), not a hold; a short slow movement next to them is the leg settling.
    runs = _runs(lab)
    moving_kinds = (Activity.HOPS, Activity.WALKING, Activity.RUNNING)
    for k, (a, b, x) in enumerate(runs):
        near = [runs[j][2] for j in (k - 1, k + 1) if 0 <= j < len(runs) and runs[j][2] in moving_kinds]
        if x in (_LANDING, _OTHER) and near and (b - a) * step <= 2 * p.window_s:
            lab[a:b] = near[0]
    # The leg settling after the last landing or stride, or stepping into the first.
    runs = _runs(lab)
    for k, (a, b, x) in enumerate(runs):
        near = [runs[j][2] for j in (k - 1, k + 1) if 0 <= j < len(runs) and runs[j][2] in moving_kinds]
        if x == _SLOW and near and (b - a) * step <= p.settle_s:
            lab[a:b] = near[0]
    runs = _runs(lab)
    for a, b, x in runs:
        if x != _LANDING:
            continue
        held = lab[b : b + hold_n]
        if (
            held.size == hold_n
            and np.isin(held, [_QUIET, _SLOW]).mean() >= 0.5
            and not np.isin(held, moving_kinds).any()
        ):
            # The hold lasts while the leg stays quiet or sways slowly, and with a gyroscope while it sways
            # as on one leg: the other foot down, the shank settles to two-leg sway.
            e, last = b, min(b + max_hold_n, lab.size)
            while e < last and lab[e] in (_QUIET, _SLOW):
                if g_rms is not None and e >= b + hold_n and g_rms[e] < p.hold_sway_dps:
                    break
                e += 1
            lab[a:e] = Activity.LANDING_HOLDS
        else:
            lab[a:b] = _OTHER
    # Pauses within an activity's set: a quiet or slow stretch between two runs of one activity, shorter
    # than that activity's pauses, belongs to it; so does a lone window of another label.
    pauses = {
        Activity.LANDING_HOLDS: p.hold_max_rest_s,
        Activity.CALF_RAISES: p.calf_max_pause_s,
        Activity.WALKING: p.gait_max_pause_s,
        Activity.RUNNING: p.gait_max_pause_s,
        Activity.HOPS: p.hop_max_pause_s,
    }
    # Slow movement is calf raises when it lasts for reps (two at least); a shorter one is a shift of
    # weight or posture within a rest.
    runs = _runs(lab)
    for k in range(1, len(runs) - 1):
        a, b, x = runs[k]
        if (
            x == _QUIET
            and runs[k - 1][2] == _SLOW
            and runs[k + 1][2] == _SLOW
            and (b - a) * step <= p.calf_max_pause_s
        ):
            lab[a:b] = _SLOW
    min_calf = max(round(p.calf_min_s / step), 1)
    for a, b, x in _runs(lab):
        if x == _SLOW:
            lab[a:b] = Activity.CALF_RAISES if b - a >= min_calf else _QUIET
    # Two runs of one activity with only quiet, slow or other movement between them, for no longer than
    # the activity's pauses, are one bout; so are two runs split by a lone window of another label.
    runs = _runs(lab)
    quiet_kinds = (_QUIET, _OTHER, Activity.CALF_RAISES)
    last: dict[object, int] = {}
    for k, (a, _b, x) in enumerate(runs):
        if x in pauses and x in last:
            j = last[x]
            between = runs[j + 1 : k]
            gap = (a - runs[j][1]) * step
            calm = all(r[2] in quiet_kinds and r[2] != x for r in between)
            lone = len(between) == 1 and between[0][1] - between[0][0] <= 1
            if (calm and gap <= pauses[x]) or lone:
                lab[runs[j][1] : a] = x
        if x in pauses:
            last = {x: k}
        elif x not in quiet_kinds:
            last = {}
    # Walking and running in one bout: the majority decides (a jog to walk transition splits at its runs).
    lab[lab == _QUIET] = Activity.REST
    lab[lab == _OTHER] = Activity.OTHER
    # Walking or running is decided per bout, by its cadence (below): runs of the two join.
    gait_run = np.isin(lab, [Activity.WALKING, Activity.RUNNING])
    for a, b, x in _runs(gait_run):
        if x:
            vals, counts = np.unique(lab[a:b].astype(str), return_counts=True)
            lab[a:b] = Activity(str(vals[int(np.argmax(counts))]))
    runs = _runs(lab)
    # Too short a bout joins its longer neighbour.
    min_n = max(round(p.min_bout_s / step), 1)
    merged: list[list] = []
    for a, b, x in runs:
        if merged and (b - a < min_n) and x != Activity.REST:
            merged[-1][1] = b
            continue
        if merged and merged[-1][2] == x:
            merged[-1][1] = b
            continue
        merged.append([a, b, x])
    gait_signal = np.sqrt(g2) if g2 is not None else amean
    for m in merged:
        if m[2] in (Activity.WALKING, Activity.RUNNING):
            b0 = round((t_c[m[0]] - 0.5 * step) / p.bin_s)
            b1 = round((t_c[m[1] - 1] + 0.5 * step) / p.bin_s)
            cycle = _cycle_s(gait_signal[max(b0, 0) : b1], p.bin_s)
            if cycle is not None:
                m[2] = Activity.WALKING if cycle >= p.walk_min_cycle_s else Activity.RUNNING
    out: list[Bout] = []
    bin_s = p.bin_s
    for i, (a, b, x) in enumerate(merged):
        s = 0.0 if i == 0 else float(t_c[a] - 0.5 * step)
        e = duration if i == len(merged) - 1 else float(t_c[b - 1] + 0.5 * step)
        agree = (
            float(np.mean(labels[a:b] == x))
            if x != Activity.LANDING_HOLDS
            else float(np.mean(np.isin(labels[a:b], [_LANDING, _QUIET, _SLOW])))
        )
        if x == Activity.CALF_RAISES:
            agree = float(np.mean(np.isin(labels[a:b], [_SLOW, _QUIET])))
        elif x == Activity.REST:
            agree = float(np.mean(labels[a:b] == _QUIET))
        elif x == Activity.OTHER:
            agree = float(np.mean(labels[a:b] == _OTHER))
        out.append(Bout(start_s=s, end_s=e, activity=Activity(x), confidence=round(agree, 3)))
    refined = _refine_edges(tuple(out), moving, bin_s, p)
    # Bin resolution: milliseconds are all the edges carry.
    return tuple(
        dataclasses.replace(b, start_s=round(b.start_s, 3), end_s=round(b.end_s, 3)) for b in refined
    )


def _refine_edges(
    bouts: tuple[Bout, ...], moving: np.ndarray, bin_s: float, p: ActivityParams
) -> tuple[Bout, ...]:
    """Move the edge between a bout of rest and an active bout to where the movement starts or stops, less
    or plus ``edge_margin_s``: a movement starts before its signal crosses a threshold (a countermovement,
    a weight shift) and settles after it falls below."""
    if len(bouts) < 2:
        return bouts
    out = list(bouts)
    reach = round(0.5 * p.window_s / bin_s) + 1
    nb = moving.size
    for i in range(len(out) - 1):
        left, right = out[i], out[i + 1]
        edge = round(left.end_s / bin_s)
        a, b = max(edge - reach, 0), min(edge + reach, nb)
        seg = moving[a:b]
        if left.activity == Activity.REST and right.activity != Activity.REST:
            hits = np.flatnonzero(seg)
            new = (a + int(hits[0])) * bin_s - p.edge_margin_s if hits.size else None
        elif right.activity == Activity.REST and left.activity != Activity.REST:
            hits = np.flatnonzero(seg)
            new = (a + int(hits[-1]) + 1) * bin_s + p.edge_margin_s if hits.size else None
        else:
            new = None
        if new is not None and left.start_s < new < right.end_s:
            out[i] = dataclasses.replace(left, end_s=new)
            out[i + 1] = dataclasses.replace(right, start_s=new)
    return tuple(out)


def _cycle_s(x: np.ndarray, bin_s: float) -> float | None:
    """The gait cycle (s) of a bout: the lag of the highest autocorrelation of the swing signal between
    0.5 and 2 s (a running cycle lasts 0.6-0.8 s, a walking one 0.9-1.4 s)."""
    n = x.size
    lo, hi = int(0.5 / bin_s), int(2.0 / bin_s)
    if n < 2 * hi:
        return None
    y = x - x.mean()
    f = np.fft.rfft(y, 2 * n)
    ac = np.fft.irfft(f * np.conj(f))[: hi + 1]
    if ac[0] <= 0:
        return None
    seg = ac[lo : hi + 1] / ac[0]
    # The first strong peak: half-cycle echoes are weaker than the full cycle's.
    k = int(np.argmax(seg))
    return (lo + k) * bin_s
