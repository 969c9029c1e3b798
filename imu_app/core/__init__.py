"""Typed data, units, errors and the time-to-stabilisation method shared by every part of the app. Depends
on numpy only."""

from imu_app.core import columns
from imu_app.core.data import GAP_FACTOR, Gap, ImuData, RecordingMeta, find_gaps
from imu_app.core.errors import (
    AnalysisError,
    ImuAppError,
    ProtocolError,
    RecordingFormatError,
    SimulationError,
)
from imu_app.core.stabilisation import balance_end_s, time_to_stabilisation
from imu_app.core.units import ACC_UNITS, GYR_UNITS, STANDARD_GRAVITY_M_S2, TIME_UNITS, normalise_unit

__all__ = [
    "ACC_UNITS",
    "GAP_FACTOR",
    "GYR_UNITS",
    "STANDARD_GRAVITY_M_S2",
    "TIME_UNITS",
    "AnalysisError",
    "Gap",
    "ImuAppError",
    "ImuData",
    "ProtocolError",
    "RecordingFormatError",
    "RecordingMeta",
    "SimulationError",
    "balance_end_s",
    "columns",
    "find_gaps",
    "normalise_unit",
    "time_to_stabilisation",
]
