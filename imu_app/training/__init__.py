"""Guided training: the programme's exercises and the Qt-free runner of their sets, rests and cues."""

from imu_app.training._programme import PROGRAMME, Counted, Exercise, exercise
from imu_app.training._runner import Cue, CueKind, Phase, ProtocolRunner, RunnerState, SetResult

__all__ = [
    "PROGRAMME",
    "Counted",
    "Cue",
    "CueKind",
    "Exercise",
    "Phase",
    "ProtocolRunner",
    "RunnerState",
    "SetResult",
    "exercise",
]
