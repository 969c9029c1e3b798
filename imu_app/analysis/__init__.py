"""Pure analysis algorithms: arrays and parameters in, typed results out. No files, no network, no Qt."""

from imu_app.analysis._activity import ActivityParams, recognise_activities
from imu_app.analysis._calf_raises import CalfRaiseParams, CalfRaiseResult, detect_calf_raises
from imu_app.analysis._export import report_csv, report_json
from imu_app.analysis._landing import LandingParams, LandingResult, detect_landings
from imu_app.analysis._orientation import (
    Orientation,
    OrientationParams,
    estimate_gravity,
    estimate_orientation,
    horizontal_acc_g,
    vertical_acc_g,
)
from imu_app.analysis._pipeline import AnalysisOptions, analyse
from imu_app.analysis.report import (
    SCHEMA,
    AlgorithmInfo,
    AnalysisReport,
    Bout,
    CalfRaiseRep,
    CalfRaises,
    Contact,
    Landing,
    MetricStats,
    RecordingInfo,
    SetSummary,
)

__all__ = [
    "SCHEMA",
    "ActivityParams",
    "AlgorithmInfo",
    "AnalysisOptions",
    "AnalysisReport",
    "Bout",
    "CalfRaiseParams",
    "CalfRaiseRep",
    "CalfRaiseResult",
    "CalfRaises",
    "Contact",
    "Landing",
    "LandingParams",
    "LandingResult",
    "MetricStats",
    "Orientation",
    "OrientationParams",
    "RecordingInfo",
    "SetSummary",
    "analyse",
    "detect_calf_raises",
    "detect_landings",
    "estimate_gravity",
    "estimate_orientation",
    "horizontal_acc_g",
    "recognise_activities",
    "report_csv",
    "report_json",
    "vertical_acc_g",
]
