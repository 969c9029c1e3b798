"""Calf-raise sets: reps grouped, their plantarflexion range, partial reps, knee and tempo statistics."""

from __future__ import annotations

import numpy as np

from imu_app.analysis._calf.params import FULL_QUANTILE, CalfRaiseParams, CalfRaiseResult
from imu_app.analysis._calf.segmentation import FoundRep
from imu_app.analysis._calf.shapes import FAMILY_STARTS
from imu_app.analysis._sets import group_bouts, metric_stats
from imu_app.analysis.report import CalfRaiseRep, CalfRaises, SetSummary
from imu_app.core import Knee, SetKind

#: A rise tilts the shank by at most this fraction of the foot's rotation: the ankle moves forward along
#: its arc by ``L (cos g_a - cos g_top)`` while the knee stays, which turns a 40-cm shank by a quarter to
#: 0.3 times the foot's rotation for full and partial rises from the flat or below a step; the rest of the
#: allowance is sway and a rise that reads low.
_MAX_TILT_PER_DEG = 0.5


def _range_deg(foot_deg: float, tilt_deg: float | None) -> float:
    """Plantarflexion range (deg) of a rep: the foot's rotation plus the shank's tilt over the rise.

    The tilt counts only up to :data:`_MAX_TILT_PER_DEG` times the foot's rotation. More than that is no
    rise's tilt but a knee bend inside the rise's window: the slow positive lobe that the high-pass leaves
    in a bottom pause, fitted as a rise of about a centimetre that ends in the knee bend before the next
    rep, would otherwise add the bend's 12-20 deg to its range and be counted as a full rep.
    """
    tilt = abs(tilt_deg or 0.0)
    return foot_deg + min(tilt, _MAX_TILT_PER_DEG * max(foot_deg, 0.0))


#: Largest plantarflexion from the flat foot that a set's rises are taken to reach: full raises from the
#: flat reach 30-40 deg; a set whose full rises lift the ankle further started below a step.
_MAX_FROM_FLAT_RAD = np.radians(45.0)


def _set_start(heights_m: np.ndarray, lever_m: float) -> float:
    """The foot lever's angle at the start of a set's rises: the flat foot, unless the set's full rises
    (75th percentile of the fitted heights) lift the ankle further than :data:`_MAX_FROM_FLAT_RAD` from
    the flat can, then from below the step.

    All reps of a set start from the same place, so one start angle turns every height into degrees
    alike and the ranges rank as the heights do. A rep's own fitted shape tells the two starts apart
    poorly (``docs/landings-and-calf-raises.md``).
    """
    full = float(np.quantile(heights_m, FULL_QUANTILE)) / lever_m
    for g in FAMILY_STARTS:
        if np.sin(g) + full <= np.sin(g + _MAX_FROM_FLAT_RAD):
            return g
    return FAMILY_STARTS[-1]


def _arc_deg(rise_m: float, lever_m: float, start_rad: float) -> float:
    """Plantarflexion (deg) that lifts the ankle by ``rise_m`` on its circle about the metatarsal heads,
    from the lever's angle ``start_rad`` (the set's start, :func:`_set_start`: the flat foot, or the heel
    below a step).

    From the flat foot the ankle can rise by at most ``lever_m * (1 - sin(start_rad))`` (7 cm with the
    defaults), less than a raise from below a step lifts it (8-9 cm). A rise read higher than its set's
    start allows therefore began lower, below the step: it is measured from the highest start angle of
    :data:`FAMILIES` that admits it. Clipping at the top of the circle instead would read every such rise
    as 58 deg whatever its height, inflating the set's full range against which partial reps are judged.
    """
    rise = max(rise_m, 0.0) / lever_m
    if np.sin(start_rad) + rise > 1.0:
        lower = [g for g in FAMILY_STARTS if g < start_rad]
        fits = [g for g in lower if np.sin(g) + rise <= 1.0]
        start_rad = fits[0] if fits else (lower[-1] if lower else start_rad)
    top = np.arcsin(np.clip(np.sin(start_rad) + rise, -1.0, 1.0))
    return float(np.degrees(top - start_rad))


def assemble(
    found: list[FoundRep], params: CalfRaiseParams, warnings: tuple[str, ...], lookahead_s: float
) -> CalfRaiseResult:
    """The result from the time-ordered reps of every stretch: reps further apart than ``max_rest_s`` in
    different sets, each rep's range, partial flag and knee judged within its set, each set summarised."""
    if not found:
        return CalfRaiseResult(CalfRaises(), (), warnings, lookahead_s)
    bouts = group_bouts(np.array([r.start_s for r in found]), params.max_rest_s)
    reps: list[CalfRaiseRep] = []
    sets: list[SetSummary] = []
    for set_index, bout in enumerate(bouts):
        set_reps = _set_reps(found[bout], set_index, params)
        reps.extend(set_reps)
        sets.append(set_summary(set_index, set_reps, params))
    count = sum(not r.partial for r in reps)
    return CalfRaiseResult(
        CalfRaises(count=count, partial_count=len(reps) - count, reps=tuple(reps)),
        tuple(sets),
        warnings,
        lookahead_s,
    )


def _set_reps(members: list[FoundRep], set_index: int, params: CalfRaiseParams) -> list[CalfRaiseRep]:
    """The reps of one set, with their ranges from the set's start, partial flags and knees; a rep whose
    pause no movement ended is given the set's typical pause."""
    lever = params.foot_lever_m
    start = _set_start(np.array([r.fit_rise_m for r in members]), lever)
    # Partial or not from the smaller of the velocity lobe's and the fitted acceleration's rise, in
    # case either reads a partial rep high.
    ranges = np.array(
        [_range_deg(_arc_deg(min(r.rise_m, r.fit_rise_m), lever, start), r.tilt_deg) for r in members]
    )
    # A sensor on the foot turns with the whole plantarflexion and rises on a shorter lever than the ankle:
    # its turn is the range, and it tells nothing of the knee.
    on_foot = all(r.on_foot for r in members)
    if on_foot:
        ranges = np.abs(np.array([r.tilt_deg for r in members]))
    full = float(np.quantile(ranges, FULL_QUANTILE))
    partial = ranges < params.partial_fraction * full
    pauses = [r.pause_end_s - r.bottom_s for r in members if r.pause_end_s is not None]
    typical_pause = float(np.median(pauses)) if pauses else 0.0
    knees = (None,) * len(members) if on_foot else set_knees(members, partial, params)
    out = []
    for r, is_partial, knee in zip(members, partial, knees, strict=True):
        end = r.pause_end_s if r.pause_end_s is not None else r.bottom_s + typical_pause
        out.append(
            CalfRaiseRep(
                start_s=r.start_s,
                top_s=r.top_s,
                lower_s=r.lower_s,
                bottom_s=r.bottom_s,
                end_s=end,
                concentric_s=r.top_s - r.start_s,
                top_hold_s=r.lower_s - r.top_s,
                eccentric_s=r.bottom_s - r.lower_s,
                bottom_pause_s=end - r.bottom_s,
                range_deg=abs(r.tilt_deg or 0.0)
                if on_foot
                else _range_deg(_arc_deg(r.fit_rise_m, lever, start), r.tilt_deg),
                partial=bool(is_partial),
                knee=knee,
                set_index=set_index,
            )
        )
    return out


def set_knees(
    members: list[FoundRep], partial: np.ndarray, params: CalfRaiseParams
) -> tuple[Knee | None, ...]:
    """Straight or bent knee for each rep of a set; ``None`` without a gyroscope.

    Bending the knee tilts the whole shank forward by 12-20 deg, so when the shank's angle before the rise
    falls into two clusters that far apart, the forward one is the bent knee ("forward" is opposite to the
    tilt back that every rise makes). When it does not, the set is one or the other, told by the shank's
    tilt during the full reps' rises (``bent_tilt_deg``).
    """
    if not members or members[0].tilt_deg is None:
        return (None,) * len(members)
    tilts = np.array([r.tilt_deg for r in members])
    back = np.sign(np.median(tilts)) or 1.0
    forward = -back * np.array([r.base_deg for r in members])
    lo, hi = float(forward.min()), float(forward.max())
    if hi - lo >= params.knee_split_deg:
        mid = 0.5 * (lo + hi)
        return tuple(Knee.BENT if f > mid else Knee.STRAIGHT for f in forward)
    full = np.abs(tilts[~partial]) if (~partial).any() else np.abs(tilts)
    knee = Knee.BENT if float(np.median(full)) > params.bent_tilt_deg else Knee.STRAIGHT
    return (knee,) * len(members)


_PHASES = ("concentric_s", "top_hold_s", "eccentric_s", "bottom_pause_s")


#: Full reps whose median tempo a set is judged against when no target tempo is given.
OPENING_REPS = 3


def set_summary(index: int, reps: list[CalfRaiseRep], params: CalfRaiseParams) -> SetSummary:
    full = [r for r in reps if not r.partial]
    basis = full or reps
    stats = {name: metric_stats([getattr(r, name) for r in basis], lower_is_better=False) for name in _PHASES}
    stats["range_deg"] = metric_stats([r.range_deg for r in basis], lower_is_better=False)
    phases = np.array([[getattr(r, name) for name in _PHASES] for r in basis])
    if params.target_tempo_s is None:
        target = np.round(np.median(phases[:OPENING_REPS], axis=0), 1)
        against = "the set's opening " + "-".join(f"{x:g}" for x in target) + " s"
    else:
        target = np.asarray(params.target_tempo_s)
        against = "the " + "-".join(f"{x:g}" for x in target) + " s target"
    errors = phases - target
    stats["tempo_error_s"] = metric_stats(np.abs(errors).sum(axis=1).tolist(), lower_is_better=True)
    notes: list[str] = []
    partial = len(reps) - len(full)
    if partial:
        notes.append(f"{partial} partial rep(s) not counted")
    off = np.abs(errors) > params.tempo_tolerance_s
    for j, name in enumerate(_PHASES):
        bad = np.flatnonzero(off[:, j])
        if bad.size:
            first = int(bad[0]) + 1
            direction = "long" if errors[bad[0], j] > 0 else "short"
            notes.append(
                f"{name.removesuffix('_s')} off {against} from rep {first} "
                f"({bad.size} of {len(basis)} reps, first {direction} by {abs(errors[bad[0], j]):.1f} s)"
            )
    return SetSummary(
        index=index,
        kind=SetKind.CALF_RAISES,
        start_s=reps[0].start_s,
        end_s=reps[-1].end_s,
        count=len(full),
        stats=stats,
        notes=tuple(notes),
    )
