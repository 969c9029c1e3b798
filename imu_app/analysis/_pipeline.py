"""The whole offline analysis of one recording: activity recognition, every algorithm, one report.

With an exercise given (an option, or the recording's metadata), the recording is analysed as that exercise
from end to end, and activity recognition only checks it: when the movement disagrees with the exercise, a
warning says so. Without one, the recording is cut into bouts of activity and each bout goes to its own
analysis (hops and landing holds to the contact and hold detectors, walking and running to the stride
detector, calf raises to the rep counter); a warning says that the activities were recognised, not given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

import imu_app
from imu_app.analysis._activity import recognise_activities
from imu_app.analysis._calf_raises import CalfRaiseParams, detect_calf_raises
from imu_app.analysis._hop_metrics import analyse_contacts
from imu_app.analysis._landing import LandingParams, detect_landings
from imu_app.analysis.report import (
    AlgorithmInfo,
    AnalysisReport,
    Bout,
    CalfRaiseRep,
    CalfRaises,
    Contact,
    Landing,
    RecordingInfo,
    SetSummary,
)
from imu_app.core import DEFAULT_HOLD_TARGET_S, Activity, ExerciseKind, ExerciseSpec, ImuData, exercise_spec

__all__ = ["AnalysisOptions", "analyse"]


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user tells the analysis; every field may be left out.

    Attributes
    ----------
    exercise
        Name of the exercise (see ``imu_app.core.CATALOGUE``); overrides the recording's metadata.
    leg
        ``"left"`` or ``"right"``; overrides the recording's metadata.
    hold_target_s
        The landing hold asked for; by default the exercise's (``ExerciseSpec.hold_target_s``).
    calf_tempo_s
        Target rise, top hold, lowering and bottom pause of a calf raise (s); by default the exercise's
        when it prescribes one (``ExerciseSpec.strict_tempo``), else each set's own opening tempo.
    """

    exercise: str | None = None
    leg: str | None = None
    hold_target_s: float | None = None
    calf_tempo_s: tuple[float, float, float, float] | None = None


def prescribed_tempo_s(spec: ExerciseSpec | None) -> tuple[float, float, float, float] | None:
    """The tempo calf raises are judged against: the exercise's when it prescribes one, else ``None``
    (each set against its own opening reps)."""
    return spec.tempo_s if spec is not None and spec.strict_tempo else None


def _looks_for_holds(spec: ExerciseSpec | None, exercise: str | None) -> bool:
    """Landing holds are looked for in exercises with a hold, and when the exercise is not known."""
    return exercise is None or (spec is not None and spec.has_holds)


@dataclass(frozen=True)
class _Found:
    """What the detectors found in a recording or in one bout of it (times from the recording's start)."""

    contacts: tuple[Contact, ...] = ()
    contact_sets: tuple[SetSummary, ...] = ()
    landings: tuple[Landing, ...] = ()
    landing_sets: tuple[SetSummary, ...] = ()
    reps: tuple[CalfRaiseRep, ...] = ()
    calf_sets: tuple[SetSummary, ...] = ()
    parameters: dict[str, object] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()


#: The activities that have an analysis of their own.
ANALYSED = (Activity.HOPS, Activity.LANDING_HOLDS, Activity.CALF_RAISES, Activity.WALKING, Activity.RUNNING)
#: What a bout's analysis reads on either side of it, so that an event at its edge is whole (s).
BOUT_PAD_S = 1.0


def analyse(
    data: ImuData, options: AnalysisOptions | None = None, *, path: str | None = None
) -> AnalysisReport:
    """Analyse a recording and return its report.

    Parameters
    ----------
    data
        The recording.
    options
        Exercise, leg and thresholds; defaults need no tuning.
    path
        Where the recording came from, for the report only.
    """
    options = options or AnalysisOptions()
    exercise = options.exercise or data.meta.exercise
    leg = options.leg or data.meta.leg
    recording = RecordingInfo(
        path=path,
        sample_rate_hz=data.sample_rate_hz,
        duration_s=data.duration_s,
        n_samples=len(data),
        has_gyro=data.has_gyro,
        n_gaps=len(data.gaps),
        source_format=data.meta.source_format,
        exercise=exercise,
        leg=leg,
        warnings=data.warnings,
    )
    bouts = recognise_activities(data)
    warnings = list(data.warnings)
    active = [b for b in bouts if b.activity in ANALYSED]
    if exercise is None and active:
        found = _analyse_bouts(data, bouts, options)
        warnings.append(_recognised_warning(active))
    else:
        found = _analyse_whole(data, exercise, options)
        disagreement = _disagreement(exercise_spec(exercise), exercise, active)
        if disagreement:
            warnings.append(disagreement)
    warnings.extend(found.warnings)
    reps = found.reps
    calf = CalfRaises(
        count=sum(1 for r in reps if not r.partial),
        partial_count=sum(1 for r in reps if r.partial),
        reps=reps,
    )
    contacts, landings, calf, sets = _merge_sets(
        found.contacts,
        found.contact_sets,
        found.landings,
        found.landing_sets,
        calf=calf,
        calf_sets=found.calf_sets,
    )
    recording = dataclasses.replace(recording, warnings=tuple(warnings))
    algorithm = AlgorithmInfo(name="imu-app", version=imu_app.__version__, parameters=found.parameters)
    return AnalysisReport(
        recording=recording,
        algorithm=algorithm,
        contacts=contacts,
        landings=landings,
        calf_raises=calf,
        sets=sets,
        bouts=bouts,
    )


def _analyse_whole(data: ImuData, exercise: str | None, options: AnalysisOptions) -> _Found:
    """The recording analysed from end to end as ``exercise`` (``None``: hops and holds, and calf raises
    when no hop is found)."""
    contact_analysis = analyse_contacts(data, exercise)
    parameters: dict[str, object] = {**contact_analysis.parameters}
    warnings: list[str] = []
    landings: tuple[Landing, ...] = ()
    landing_sets: tuple[SetSummary, ...] = ()
    spec = exercise_spec(exercise)
    is_calf = spec is not None and spec.is_calf_raise
    if _looks_for_holds(spec, exercise):
        target = options.hold_target_s
        if target is None:
            target = spec.hold_target_s if spec is not None and spec.has_holds else DEFAULT_HOLD_TARGET_S
        lp = LandingParams(hold_target_s=target)
        found = detect_landings(data, lp, contacts=contact_analysis.hop_contacts)
        landings, landing_sets = found.landings, found.sets
        warnings.extend(found.warnings)
        parameters.update(_landing_parameters(lp, found.sway_reference_dps))
    reps: tuple[CalfRaiseRep, ...] = ()
    calf_sets: tuple[SetSummary, ...] = ()
    if is_calf or (exercise is None and not contact_analysis.contacts):
        cp = CalfRaiseParams(target_tempo_s=options.calf_tempo_s or prescribed_tempo_s(spec))
        found_calf = detect_calf_raises(data, cp)
        reps, calf_sets = found_calf.calf_raises.reps, found_calf.sets
        warnings.extend(found_calf.warnings)
        parameters.update(_calf_parameters(cp, found_calf.lookahead_s))
    return _Found(
        contacts=contact_analysis.contacts,
        contact_sets=contact_analysis.sets,
        landings=landings,
        landing_sets=landing_sets,
        reps=reps,
        calf_sets=calf_sets,
        parameters=parameters,
        warnings=tuple(warnings),
    )


def _landing_parameters(lp: LandingParams, sway_reference_dps: float | None) -> dict[str, object]:
    return {
        "landings.hold_target_s": lp.hold_target_s,
        "landings.target_tolerance_s": lp.target_tolerance_s,
        "landings.window_s": lp.window_s,
        "landings.min_hold_s": lp.min_hold_s,
        "landings.sway_reference_dps": sway_reference_dps,
    }


def _calf_parameters(cp: CalfRaiseParams, lookahead_s: float) -> dict[str, object]:
    return {
        "calf_raises.target_tempo_s": None if cp.target_tempo_s is None else list(cp.target_tempo_s),
        "calf_raises.partial_fraction": cp.partial_fraction,
        "calf_raises.min_rise_m": cp.min_rise_m,
        "calf_raises.lookahead_s": lookahead_s,
    }


def _analyse_bouts(data: ImuData, bouts: tuple[Bout, ...], options: AnalysisOptions) -> _Found:
    """Each bout of a recognised activity analysed as that activity; events from the bout's own span."""
    t0 = float(data.t_s[0])
    parts: list[_Found] = []
    for b in bouts:
        if b.activity not in ANALYSED:
            continue
        i0 = int(np.searchsorted(data.t_s, t0 + b.start_s - BOUT_PAD_S))
        i1 = int(np.searchsorted(data.t_s, t0 + b.end_s + BOUT_PAD_S, side="right"))
        if i1 - i0 < 2:
            continue
        piece = data.slice(i0, i1)
        dt = float(piece.t_s[0]) - t0
        part = _analyse_piece(piece, b.activity, options)
        parts.append(_keep_within(_shift(part, dt), b.start_s, b.end_s))
    return _join(parts)


def _analyse_piece(piece: ImuData, activity: Activity, options: AnalysisOptions) -> _Found:
    if activity is Activity.CALF_RAISES:
        cp = CalfRaiseParams(target_tempo_s=options.calf_tempo_s)
        found_calf = detect_calf_raises(piece, cp)
        return _Found(
            reps=found_calf.calf_raises.reps,
            calf_sets=found_calf.sets,
            parameters=_calf_parameters(cp, found_calf.lookahead_s),
            warnings=found_calf.warnings,
        )
    if activity in (Activity.WALKING, Activity.RUNNING):
        ca = analyse_contacts(piece, str(activity))
        return _Found(contacts=ca.contacts, contact_sets=ca.sets, parameters=dict(ca.parameters))
    ca = analyse_contacts(piece, None)
    if activity is not Activity.LANDING_HOLDS:
        return _Found(contacts=ca.contacts, contact_sets=ca.sets, parameters=dict(ca.parameters))
    lp = LandingParams(hold_target_s=options.hold_target_s or DEFAULT_HOLD_TARGET_S)
    found = detect_landings(piece, lp, contacts=ca.hop_contacts)
    return _Found(
        contacts=ca.contacts,
        contact_sets=ca.sets,
        landings=found.landings,
        landing_sets=found.sets,
        parameters={**ca.parameters, **_landing_parameters(lp, found.sway_reference_dps)},
        warnings=found.warnings,
    )


#: The fields of each event that are instants (seconds from the recording's start), shifted with a bout.
_INSTANTS: dict[type, tuple[str, ...]] = {
    Contact: ("landing_s", "takeoff_s"),
    Landing: ("landing_s", "stabilised_s"),
    CalfRaiseRep: ("start_s", "top_s", "lower_s", "bottom_s", "end_s"),
    SetSummary: ("start_s", "end_s"),
}


def _moved(item, dt: float):  # type: ignore[no-untyped-def]
    changes = {k: getattr(item, k) + dt for k in _INSTANTS[type(item)] if getattr(item, k) is not None}
    return dataclasses.replace(item, **changes)


def _shift(f: _Found, dt: float) -> _Found:
    """Times of a bout's analysis (from the bout's first sample) as times from the recording's start."""
    return dataclasses.replace(
        f,
        contacts=tuple(_moved(x, dt) for x in f.contacts),
        contact_sets=tuple(_moved(x, dt) for x in f.contact_sets),
        landings=tuple(_moved(x, dt) for x in f.landings),
        landing_sets=tuple(_moved(x, dt) for x in f.landing_sets),
        reps=tuple(_moved(x, dt) for x in f.reps),
        calf_sets=tuple(_moved(x, dt) for x in f.calf_sets),
    )


def _keep_within(f: _Found, start_s: float, end_s: float) -> _Found:
    """The events that begin within the bout (its padding belongs to its neighbours), and their sets."""

    def inside(t: float) -> bool:
        return start_s <= t < end_s

    contacts = tuple(x for x in f.contacts if inside(x.landing_s))
    landings = tuple(x for x in f.landings if inside(x.landing_s))
    reps = tuple(x for x in f.reps if inside(x.start_s))

    def used(sets: tuple[SetSummary, ...], items: tuple) -> tuple[SetSummary, ...]:  # type: ignore[type-arg]
        keep = {x.set_index for x in items}
        return tuple(s for s in sets if s.index in keep)

    return dataclasses.replace(
        f,
        contacts=contacts,
        contact_sets=used(f.contact_sets, contacts),
        landings=landings,
        landing_sets=used(f.landing_sets, landings),
        reps=reps,
        calf_sets=used(f.calf_sets, reps),
    )


def _join(parts: list[_Found]) -> _Found:
    """The analyses of several bouts as one, set indices made distinct (``_merge_sets`` renumbers them)."""
    out = _Found()
    offset = 0
    for f in parts:

        def renumber(items: tuple, off: int = offset) -> tuple:  # type: ignore[type-arg]
            return tuple(
                x if x.set_index is None else dataclasses.replace(x, set_index=x.set_index + off)
                for x in items
            )

        def renumber_sets(sets: tuple[SetSummary, ...], off: int = offset) -> tuple[SetSummary, ...]:
            return tuple(dataclasses.replace(s, index=s.index + off) for s in sets)

        n_sets = 1 + max((s.index for s in (*f.contact_sets, *f.landing_sets, *f.calf_sets)), default=-1)
        out = _Found(
            contacts=out.contacts + renumber(f.contacts),
            contact_sets=out.contact_sets + renumber_sets(f.contact_sets),
            landings=out.landings + renumber(f.landings),
            landing_sets=out.landing_sets + renumber_sets(f.landing_sets),
            reps=out.reps + renumber(f.reps),
            calf_sets=out.calf_sets + renumber_sets(f.calf_sets),
            parameters={**out.parameters, **f.parameters},
            warnings=out.warnings + tuple(w for w in f.warnings if w not in out.warnings),
        )
        offset += n_sets
    return out


def _activity_times(bouts: list[Bout]) -> dict[Activity, float]:
    times: dict[Activity, float] = {}
    for b in bouts:
        times[b.activity] = times.get(b.activity, 0.0) + b.duration_s
    return times


def _recognised_warning(active: list[Bout]) -> str:
    """The warning that says the activities were recognised, not given."""
    spans = ", ".join(
        f"{b.activity.value.replace('_', ' ')} {b.start_s:.1f}-{b.end_s:.1f} s ({100 * b.confidence:.0f} %)"
        for b in active
    )
    return (
        "no exercise was given: the activities were recognised from the signal and each bout analysed as "
        f"recognised (confidence in brackets): {spans}. Give the exercise (--exercise) if this is wrong."
    )


#: Activities that agree with an exercise of each kind (a hop drill holds its landings; a hop and hold
#: hops into them).
_AGREES: dict[ExerciseKind, tuple[Activity, ...]] = {
    ExerciseKind.HOPS: (Activity.HOPS, Activity.LANDING_HOLDS),
    ExerciseKind.HOP_DRILL: (Activity.HOPS, Activity.LANDING_HOLDS),
    ExerciseKind.LANDING_HOLDS: (Activity.HOPS, Activity.LANDING_HOLDS),
    ExerciseKind.CALF_RAISES: (Activity.CALF_RAISES,),
    ExerciseKind.GAIT: (Activity.WALKING, Activity.RUNNING),
}
#: Share of the active time that must disagree with the exercise before the report says so.
DISAGREEMENT_SHARE = 0.5


def _disagreement(spec: ExerciseSpec | None, exercise: str | None, active: list[Bout]) -> str | None:
    """A warning when most of the movement is not what ``exercise`` is, else ``None``."""
    if spec is None or not active:
        return None
    times = _activity_times(active)
    total = sum(times.values())
    agree = sum(v for k, v in times.items() if k in _AGREES[spec.kind])
    if total <= 0 or agree / total >= 1.0 - DISAGREEMENT_SHARE:
        return None
    main, main_s = max(
        ((k, v) for k, v in times.items() if k not in _AGREES[spec.kind]), key=lambda kv: kv[1]
    )
    return (
        f"the recording is analysed as {exercise}, as given, but its movement looks like "
        f"{main.value.replace('_', ' ')} ({100 * main_s / total:.0f} % of the active time); "
        "check the exercise"
    )


def _merge_sets(contacts, contact_sets, landings, landing_sets, *, calf, calf_sets):  # type: ignore[no-untyped-def]
    """Number the sets of every kind together in time order and point each event at its set."""
    tagged = [("contacts", s) for s in contact_sets]
    tagged += [("landings", s) for s in landing_sets]
    tagged += [("calf", s) for s in calf_sets]
    tagged.sort(key=lambda item: item[1].start_s)
    new_index = {(source, s.index): i for i, (source, s) in enumerate(tagged)}
    sets = tuple(dataclasses.replace(s, index=i) for i, (_, s) in enumerate(tagged))

    def remap(items, source):  # type: ignore[no-untyped-def]
        return tuple(
            x if x.set_index is None else dataclasses.replace(x, set_index=new_index[(source, x.set_index)])
            for x in items
        )

    calf = dataclasses.replace(calf, reps=remap(calf.reps, "calf"))
    return remap(contacts, "contacts"), remap(landings, "landings"), calf, sets
