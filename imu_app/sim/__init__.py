"""Physically grounded simulator of an ankle-worn IMU with exact ground truth for every exercise.

The shank's motion is built from the biomechanics of each exercise (ballistic flights, spring-like contacts
with impact transients, landing holds with sway, calf raises about the metatarsal heads, gait), its specific
force and angular rate are derived from that motion, and a model of the sensor (filter, clock drift, bias,
noise, saturation, quantisation, jitter, packet loss) turns them into :class:`imu_app.core.ImuData`.
"""

from imu_app.sim._exercises import options_of as exercise_options
from imu_app.sim._sensor import PLACEMENTS, SensorParams
from imu_app.sim._simulate import EXERCISES, Simulation, simulate
from imu_app.sim._truth import (
    TRUTH_SCHEMA,
    Truth,
    TruthContact,
    TruthLanding,
    TruthRep,
    TruthSet,
    read_truth,
    write_truth,
)

__all__ = [
    "EXERCISES",
    "PLACEMENTS",
    "TRUTH_SCHEMA",
    "SensorParams",
    "Simulation",
    "Truth",
    "TruthContact",
    "TruthLanding",
    "TruthRep",
    "TruthSet",
    "exercise_options",
    "read_truth",
    "simulate",
    "write_truth",
]
