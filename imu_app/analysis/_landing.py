"""Landing holds: time to stabilisation after a single-leg landing, the hold, how it ended, and its sway.

The hold's end is found by :mod:`imu_app.analysis._hold_end`; parameters and result are in
:mod:`imu_app.analysis._landing_params`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from imu_app.analysis._contacts import HopContacts, contacts_from_data
from imu_app.analysis._hold_end import ACTIVITY_WINDOW_S, HoldSignals, hold_end
from imu_app.analysis._landing_params import ENDINGS, LandingParams, LandingResult
from imu_app.analysis._sets import group_bouts, metric_stats
from imu_app.analysis._signal import moving_mean, segment_bounds
from imu_app.analysis.report import Landing, SetSummary
from imu_app.core import HoldEnd, ImuData, SetKind
from imu_app.core.stabilisation import balance_end_s, time_to_stabilisation

__all__ = ["ENDINGS", "LOOKAHEAD_S", "LandingParams", "LandingResult", "detect_landings"]

#: How long after a hold's end it is decided (s): the calm after the other foot's touch-down and the weight
#: shift onto both feet that confirm the end are read up to this far beyond it.
LOOKAHEAD_S = 1.5


@dataclass(frozen=True)
class _Hold:
    """A hold: touch-down and end (s), what ended it, its target (s), its first and last sample at the
    analysis' rate, and when it stabilised (s; ``None`` when it did not or without a gyroscope)."""

    landing_s: float
    end_s: float
    ended_by: HoldEnd
    target_s: float
    i0: int
    i1: int
    stabilised_s: float | None = None


@dataclass(frozen=True)
class _Blocks:
    """The recording averaged over blocks: times (s from the first sample), specific force (g), angular
    rate (deg/s, ``None`` without a gyroscope), and for each block the index of the last block of its
    gap-free run."""

    t: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray | None
    seg_end: np.ndarray


@dataclass(frozen=True)
class _Prepared:
    """The signals of the whole recording at the analysis' rate: what the hold-end detectors read, the
    last block of each block's gap-free run, the squared bias-free angular rate (``None`` without a
    gyroscope) and the specific force's deviation from its 1-s mean (g)."""

    sig: HoldSignals
    seg_end: np.ndarray
    rate2: np.ndarray | None
    dev_acc: np.ndarray


#: The hold's events are looked for at no more than this rate (Hz): the other foot's touch-down, the
#: sharpest of them, rises within 10 ms, so 250 Hz keeps its timing to 2 ms while a 1 kHz recording costs
#: a quarter as much.
_MAX_RATE_HZ = 250.0


#: Gaps shorter than this (a few lost packets) do not cut a hold. Nothing that ends a hold fits inside
#: one: the other foot's touch-down rings for about 40 ms and a stumble or a hop's push-off lasts far
#: longer; the hop contact detector bridges the same gaps (its ``min_flight_s``).
_BRIDGED_GAP_S = 0.03


#: Quiet samples (slower than this, deg/s) give the gyroscope's bias: the per-axis median of their rate.
_QUIET_RATE_DPS = 30.0
#: A landing within this long (s) after a hold that a hop ended is the corrective hop's: nothing is asked
#: of it.
_CORRECTIVE_WITHIN_S = 1.5
#: Without a gyroscope two-leg stance is told by the specific force about its mean, in the activity's
#: units (deg/s for 1 rad/s per g).
_TWO_LEG_WITHOUT_GYRO = 0.5


def _decimated(data: ImuData, step: int) -> _Blocks:
    """Block means of ``step`` samples (blocks never straddle a gap)."""
    t_full = data.t_s - data.t_s[0]
    parts: list[list[np.ndarray]] = [[], [], []]
    seg_end: list[np.ndarray] = []
    count = 0
    long_gaps = [g for g in data.gaps if g.duration_s >= _BRIDGED_GAP_S]
    for a, b in segment_bounds(len(data), long_gaps):
        # A block's time: midway between its first and last sample (the mean for a steady rate).
        n_full = (b - a) // step
        times = 0.5 * (t_full[a : a + n_full * step : step] + t_full[a + step - 1 : a + n_full * step : step])
        if (b - a) % step:
            times = np.r_[times, t_full[a + n_full * step : b].mean()]
        parts[0].append(times)
        for k, x in ((1, data.acc_g), (2, data.gyr_dps)):
            if x is None:
                continue
            seg = x[a:b]
            # Block means as a sum of the block's columns with the samples laid side by side: several
            # times cheaper than a mean over a reshaped axis.
            wide = np.ascontiguousarray(seg[: n_full * step]).reshape(n_full, step * 3)
            blocks = wide[:, :3] + wide[:, 3:6] if step > 1 else wide[:, :3].copy()
            for j in range(2, step):
                blocks += wide[:, 3 * j : 3 * j + 3]
            blocks /= step
            if (b - a) % step:
                blocks = np.concatenate([blocks, seg[n_full * step :].mean(axis=0, keepdims=True)])
            parts[k].append(blocks)
        m = parts[0][-1].size
        seg_end.append(np.full(m, count + m - 1, dtype=np.int64))
        count += m
    gyr = np.concatenate(parts[2]) if data.gyr_dps is not None else None
    return _Blocks(np.concatenate(parts[0]), np.concatenate(parts[1]), gyr, np.concatenate(seg_end))


def detect_landings(
    data: ImuData,
    params: LandingParams | None = None,
    *,
    contacts: HopContacts | None = None,
) -> LandingResult:
    """Find single-leg landing holds and measure time to stabilisation, hold, ending and sway.

    Parameters
    ----------
    data
        The recording (sensor on the distal shank, any mounting). Time to stabilisation and angular sway
        need a gyroscope; without one they are ``None`` and a warning says so.
    params
        See :class:`LandingParams`.
    contacts
        Ground contacts of ``data`` from the hop contact detector (with its ``final_landing_s``), if the
        caller has them; otherwise they are detected here.

    Returns
    -------
    LandingResult

    Notes
    -----
    *Holds.* Every landing after a flight (from the hop contact detector) whose foot stays down for at
    least ``min_hold_s`` is a hold. It ends at the first of: the other foot's touch-down (a sharp bump of
    the specific force), a stumble (a burst of angular rate; its onset, extrapolated back with the rate's
    quadratic growth, ends the hold), the push-off of a hop (the onset of the vertical acceleration before
    the next take-off, extrapolated back linearly from its crossings of one and two fifths of
    ``pushoff_level_g``), or the end of the recording.

    *Time to stabilisation* is defined by its method (:mod:`imu_app.core.stabilisation`, with its
    references; the simulator's truth comes from there as well): the moving RMS over ``window_s`` (0.5 s)
    of the shank's resultant angular rate (bias removed, so any mounting) settles below 2.5 times the RMS
    of the hold's last 1.5 s of balance, its own quiet single-leg stance (the published force-plate
    methods take their stable state from quiet stance or from the trial itself); TTS is the first instant
    from ``settle_s`` after touch-down after which it stays below until the balance ends (before a hop's
    push-off, 0.2 s before any other end). A balance shorter than 2.3 s has none. TTS values depend on
    the method and strongly on the trial length; ``window_s`` is reported with every landing.

    *Sway* is the RMS angular rate (gyroscope bias removed) and the RMS of the specific force about its
    1-s mean (gravity removed) from stabilisation to the end of the hold.

    *Low sample rates.* Below about 150 Hz the other foot's spike is a sample wide or falls between
    samples. A spike that needs the calm after it to count, or none at all (the sway dropping to two-leg
    stance for good), is then timed by the weight shift onto both feet: the frontal tilt of the stance
    shank (a step of gravity's direction in the specific force, with its lever-arm acceleration) and its
    rate, fitted together with a minimum-jerk step. Where the spike and the weight shift point to instants
    on either side of the target, the verdict is reported as undecided in a warning rather than guessed.

    A hold is decided when it has ended and :data:`LOOKAHEAD_S` more are known (the calm and the weight
    shift that confirm its end); stabilisation uses the hold's own samples only.
    """
    params = params or LandingParams()
    if len(data) < 10:
        return LandingResult((), (), (), None, LOOKAHEAD_S)
    contacts = contacts if contacts is not None else contacts_from_data(data)
    warnings: list[str] = []
    prepared = _prepare(data, params)
    if prepared.rate2 is None:
        warnings.append(
            "landings: no gyroscope; time to stabilisation and angular sway need one and are left empty"
        )
    holds = _holds(prepared, contacts, params, warnings)
    if prepared.sig.gyr is not None:
        holds = _stabilise(prepared.sig.t, prepared.sig.gyr, holds, params=params)
    landings = [_landing(h, prepared, params) for h in holds]
    landings_t, sets = _sets(landings, params)
    sways = [x.sway_gyr_rms_dps for x in landings if x.sway_gyr_rms_dps is not None]
    sway_reference = float(np.median(sways)) if sways else None
    return LandingResult(landings_t, sets, tuple(warnings), sway_reference, LOOKAHEAD_S)


def _prepare(data: ImuData, params: LandingParams) -> _Prepared:
    """The recording at no more than :data:`_MAX_RATE_HZ`: specific force and its magnitude, the angular
    rate less its bias, and the activity (angular rate, or without a gyroscope the specific force about
    its mean, scaled so that 1 g ~ 57 deg/s, the rate of a 1-rad swing per second) over 0.1 s and over the
    RMS window."""
    step = max(1, int(data.sample_rate_hz // _MAX_RATE_HZ))
    blocks = _decimated(data, step)
    fs = data.sample_rate_hz / step
    acc = blocks.acc
    mag = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    gyr = None
    if blocks.gyr is not None:
        # Bias: the per-axis median of the quiet samples (sway averages out over a session); every tenth
        # sample is plenty for a median and keeps its cost small.
        sub = blocks.gyr[:: max(1, round(fs / 25.0))]
        quiet = np.einsum("ij,ij->i", sub, sub) < _QUIET_RATE_DPS**2
        bias = np.median(sub[quiet], axis=0) if quiet.sum() > 10 else np.zeros(3)
        gyr = blocks.gyr - bias
    rate2 = None if gyr is None else np.einsum("ij,ij->i", gyr, gyr)
    # The specific force about its one-second mean: gravity (and slow tilts) removed.
    dev = acc - moving_mean(acc, max(1, round(fs)))
    dev_acc = np.sqrt(np.einsum("ij,ij->i", dev, dev))
    power = rate2 if rate2 is not None else np.degrees(dev_acc) ** 2
    sig = HoldSignals(
        t=blocks.t,
        acc=acc,
        mag=mag,
        gyr=gyr,
        act=np.sqrt(moving_mean(power, max(1, round(0.1 * fs)))),
        env=np.sqrt(moving_mean(power, max(1, round(ACTIVITY_WINDOW_S * fs)))),
        fs=fs,
        two_leg=params.single_leg_sway_dps if rate2 is not None else _TWO_LEG_WITHOUT_GYRO,
        burst_min=params.burst_min_dps if rate2 is not None else math.degrees(params.burst_min_g),
    )
    return _Prepared(sig, blocks.seg_end, rate2, dev_acc)


def _holds(
    prepared: _Prepared, contacts: HopContacts, params: LandingParams, warnings: list[str]
) -> list[_Hold]:
    """The holds: every landing after a flight (each with the take-off that ends its contact; NaN: a gap
    or the end of the recording) and the final landing the recording may end on (its hold lasts to the
    last sample), each ended by :func:`hold_end`. A verdict on the target that the end's doubt leaves
    open is added to ``warnings``."""
    sig, seg_end = prepared.sig, prepared.seg_end
    t, fs, n = sig.t, sig.fs, sig.t.size
    holds: list[_Hold] = []
    prev_end_by: str | None = None
    prev_end_s = -np.inf
    after_flight = np.isfinite(contacts.flight_before_ms)
    starts = contacts.landing_s[after_flight]
    ends = contacts.takeoff_s[after_flight]
    if np.isfinite(contacts.final_landing_s):
        starts, ends = np.r_[starts, contacts.final_landing_s], np.r_[ends, np.nan]
    for land, takeoff in zip(starts.tolist(), ends.tolist(), strict=True):
        i0 = int(np.searchsorted(t, land))
        if i0 >= n:
            continue
        last = int(seg_end[i0])
        limit = takeoff if math.isfinite(takeoff) else float(t[last])
        limit = min(limit, float(t[last]))
        at_end = limit >= float(t[last]) - 2.0 / fs
        if limit - land < params.min_hold_s:
            continue
        ending = hold_end(sig, land=land, limit=limit, at_end=at_end, params=params)
        end_s, doubt_s = ending.end_s, ending.doubt_s
        if end_s - land < params.min_hold_s:
            continue
        corrective = prev_end_by == HoldEnd.HOP and land - prev_end_s < _CORRECTIVE_WITHIN_S
        target = 0.0 if corrective else params.hold_target_s
        needed = target - params.target_tolerance_s
        if target > 0 and abs(end_s - land - needed) < doubt_s:
            warnings.append(
                f"landings: the hold from {land:.2f} s ends between {end_s - doubt_s:.2f} and "
                f"{end_s + doubt_s:.2f} s (the other foot's spike and the weight shift disagree), so whether "
                f"it met the {target:g} s target is undecided"
            )
        holds.append(_Hold(land, end_s, ending.ended_by, target, i0, int(np.searchsorted(t, end_s))))
        prev_end_by, prev_end_s = ending.ended_by, end_s
    return holds


def _landing(h: _Hold, prepared: _Prepared, params: LandingParams) -> Landing:
    """The report's landing of a hold, with its sway from stabilisation (or a second after touch-down) to
    its end, not into a hop's push-off; a hold that stabilised late (or never): its last half second."""
    t, fs, rate2 = prepared.sig.t, prepared.sig.fs, prepared.rate2
    w0 = int(np.searchsorted(t, h.stabilised_s if h.stabilised_s is not None else h.landing_s + 1.0))
    w1 = int(np.searchsorted(t, h.end_s - (params.pushoff_s if h.ended_by == HoldEnd.HOP else 0.0)))
    w0 = min(w0, w1 - max(1, round(0.5 * fs)))
    w1 = max(w1, w0 + 1)
    sway_gyr = None if rate2 is None else float(np.sqrt(np.mean(rate2[w0:w1])))
    sway_acc = float(np.sqrt(np.mean(prepared.dev_acc[w0:w1] ** 2)))
    hold_s = h.end_s - h.landing_s
    return Landing(
        landing_s=h.landing_s,
        stabilised_s=h.stabilised_s,
        time_to_stabilisation_s=None if h.stabilised_s is None else h.stabilised_s - h.landing_s,
        hold_s=hold_s,
        hold_target_s=h.target_s,
        hold_target_met=bool(hold_s >= h.target_s - params.target_tolerance_s),
        ended_by=h.ended_by,
        sway_gyr_rms_dps=sway_gyr,
        sway_acc_rms_g=sway_acc,
        window_s=None if rate2 is None else params.window_s,
    )


def _stabilise(t: np.ndarray, gyr: np.ndarray, holds: list[_Hold], *, params: LandingParams) -> list[_Hold]:
    """Every hold with its stabilisation by :func:`imu_app.core.stabilisation.time_to_stabilisation` on the
    bias-free angular rate, from touch-down to the end of its balance (before a hop's push-off)."""
    out = []
    for h in holds:
        # Only the hold's own samples: the method needs nothing outside them.
        a, b = max(h.i0 - 1, 0), min(h.i1 + 1, t.size)
        tts = time_to_stabilisation(
            t[a:b],
            gyr[a:b],
            h.landing_s,
            balance_end_s(h.end_s, h.ended_by),
            window_s=params.window_s,
            absorption_s=params.settle_s,
        )
        out.append(dataclasses.replace(h, stabilised_s=None if tts is None else h.landing_s + tts))
    return out


def _sets(
    landings: list[Landing], params: LandingParams
) -> tuple[tuple[Landing, ...], tuple[SetSummary, ...]]:
    if not landings:
        return (), ()
    bouts = group_bouts([x.landing_s for x in landings], params.max_rest_s)
    out: list[Landing] = []
    sets: list[SetSummary] = []
    for index, bout in enumerate(bouts):
        members = [dataclasses.replace(x, set_index=index) for x in landings[bout]]
        out.extend(members)
        asked = [x for x in members if x.hold_target_s > 0]
        met = sum(x.hold_target_met for x in asked)
        notes = []
        if asked:
            notes.append(f"{met} of {len(asked)} holds met the {asked[0].hold_target_s:g} s target")
        for ending in (HoldEnd.STUMBLE, HoldEnd.HOP, HoldEnd.OTHER_FOOT):
            early = [i + 1 for i, x in enumerate(members) if not x.hold_target_met and x.ended_by == ending]
            if early:
                notes.append(
                    f"ended early by {ending.replace('_', ' ')}: hold(s) {', '.join(map(str, early))}"
                )
        sets.append(
            SetSummary(
                index=index,
                kind=SetKind.LANDINGS,
                start_s=members[0].landing_s,
                end_s=members[-1].landing_s + members[-1].hold_s,
                count=len(members),
                stats={
                    "time_to_stabilisation_s": metric_stats(
                        [x.time_to_stabilisation_s for x in members], lower_is_better=True
                    ),
                    "hold_s": metric_stats([x.hold_s for x in members], lower_is_better=False),
                    "sway_gyr_rms_dps": metric_stats(
                        [x.sway_gyr_rms_dps for x in members], lower_is_better=True
                    ),
                    "sway_acc_rms_g": metric_stats([x.sway_acc_rms_g for x in members], lower_is_better=True),
                },
                notes=tuple(notes),
            )
        )
    return tuple(out), tuple(sets)
