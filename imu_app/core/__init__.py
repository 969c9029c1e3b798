"""Typed data, units, errors, the exercise catalogue, the domain's vocabularies and the time-to-stabilisation
method shared by every part of the app. Depends on numpy only."""

from imu_app.core import columns
from imu_app.core.data import GAP_FACTOR, Gap, ImuData, RecordingMeta, find_gaps
from imu_app.core.errors import (
    AnalysisError,
    ImuAppError,
    ProtocolError,
    RecordingFormatError,
    SimulationError,
)
from imu_app.core.exercises import (
    CATALOGUE,
    DEFAULT_HOLD_TARGET_S,
    EXERCISE_NAMES,
    ExerciseSpec,
    exercise_spec,
)
from imu_app.core.stabilisation import balance_end_s, time_to_stabilisation
from imu_app.core.units import ACC_UNITS, GYR_UNITS, STANDARD_GRAVITY_M_S2, TIME_UNITS, normalise_unit
from imu_app.core.vocabulary import (
    Activity,
    ContactKind,
    ContactRole,
    ExerciseKind,
    HoldEnd,
    Knee,
    Leg,
    Placement,
    SetKind,
)

__all__ = [
    "ACC_UNITS",
    "CATALOGUE",
    "DEFAULT_HOLD_TARGET_S",
    "EXERCISE_NAMES",
    "GAP_FACTOR",
    "GYR_UNITS",
    "STANDARD_GRAVITY_M_S2",
    "TIME_UNITS",
    "Activity",
    "AnalysisError",
    "ContactKind",
    "ContactRole",
    "ExerciseKind",
    "ExerciseSpec",
    "Gap",
    "HoldEnd",
    "ImuAppError",
    "ImuData",
    "Knee",
    "Leg",
    "Placement",
    "ProtocolError",
    "RecordingFormatError",
    "RecordingMeta",
    "SetKind",
    "SimulationError",
    "balance_end_s",
    "columns",
    "exercise_spec",
    "find_gaps",
    "normalise_unit",
    "time_to_stabilisation",
]
