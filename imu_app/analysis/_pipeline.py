"""The whole offline analysis of one recording: every algorithm, one report."""

from __future__ import annotations

from dataclasses import dataclass

import imu_app
from imu_app.analysis._hop_metrics import analyse_contacts
from imu_app.analysis.report import AlgorithmInfo, AnalysisReport, RecordingInfo
from imu_app.core import ImuData

__all__ = ["AnalysisOptions", "analyse"]


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user tells the analysis; every field may be left out.

    Attributes
    ----------
    exercise
        Name of the exercise (see ``imu_app.sim.EXERCISES``); overrides the recording's metadata.
    leg
        ``"left"`` or ``"right"``; overrides the recording's metadata.
    """

    exercise: str | None = None
    leg: str | None = None


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
    algorithm = AlgorithmInfo(name="imu-app", version=imu_app.__version__, parameters=parameters)
    return AnalysisReport(
        recording=recording,
        algorithm=algorithm,
        contacts=contact_analysis.contacts,
        sets=contact_analysis.sets,
    )
