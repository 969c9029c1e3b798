"""The whole offline analysis of one recording: every algorithm, one report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import imu_app
from imu_app.analysis._calf_raises import CalfRaiseParams, detect_calf_raises
from imu_app.analysis._hop_metrics import analyse_contacts
from imu_app.analysis._landing import LandingParams, detect_landings
from imu_app.analysis.report import AlgorithmInfo, AnalysisReport, CalfRaises, RecordingInfo, SetSummary
from imu_app.core import DEFAULT_HOLD_TARGET_S, ExerciseSpec, ImuData, exercise_spec

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
    contact_analysis = analyse_contacts(data, exercise)
    parameters: dict[str, object] = {**contact_analysis.parameters}
    warnings = list(data.warnings)
    landings: tuple = ()
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
        parameters.update(
            {
                "landings.hold_target_s": lp.hold_target_s,
                "landings.target_tolerance_s": lp.target_tolerance_s,
                "landings.window_s": lp.window_s,
                "landings.min_hold_s": lp.min_hold_s,
                "landings.sway_reference_dps": found.sway_reference_dps,
            }
        )
    calf = CalfRaises()
    calf_sets: tuple[SetSummary, ...] = ()
    if is_calf or (exercise is None and not contact_analysis.contacts):
        cp = CalfRaiseParams(target_tempo_s=options.calf_tempo_s or prescribed_tempo_s(spec))
        found_calf = detect_calf_raises(data, cp)
        calf, calf_sets = found_calf.calf_raises, found_calf.sets
        warnings.extend(found_calf.warnings)
        parameters.update(
            {
                "calf_raises.target_tempo_s": None if cp.target_tempo_s is None else list(cp.target_tempo_s),
                "calf_raises.partial_fraction": cp.partial_fraction,
                "calf_raises.min_rise_m": cp.min_rise_m,
                "calf_raises.lookahead_s": found_calf.lookahead_s,
            }
        )
    contacts, landings, calf, sets = _merge_sets(
        contact_analysis.contacts,
        contact_analysis.sets,
        landings,
        landing_sets,
        calf=calf,
        calf_sets=calf_sets,
    )
    recording = dataclasses.replace(recording, warnings=tuple(warnings))
    algorithm = AlgorithmInfo(name="imu-app", version=imu_app.__version__, parameters=parameters)
    return AnalysisReport(
        recording=recording,
        algorithm=algorithm,
        contacts=contacts,
        landings=landings,
        calf_raises=calf,
        sets=sets,
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
