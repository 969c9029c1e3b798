"""Physically grounded simulator of an ankle-worn IMU with exact ground truth for every exercise.

The shank's motion is built from the biomechanics of each exercise (ballistic flights, spring-like contacts
with impact transients, landing holds with sway, calf raises about the metatarsal heads, gait), its specific
force and angular rate are derived from that motion, and a model of the sensor (filter, clock drift, bias,
noise, saturation, quantisation, jitter, packet loss) turns them into :class:`imu_app.core.ImuData`.

:class:`EmulatedSensor` streams such samples (or a recording) as a Bluetooth LE sensor speaking our
profile, on bumble, with faults on demand; :class:`VirtualLink` and :func:`virtual_device` give it and a
central an in-process radio.
"""

from imu_app.sim._exercises import options_of as exercise_options
from imu_app.sim._peripheral import (
    EmulatedSensor,
    SensorFaults,
    advertised_name,
    run_emulator,
    samples_from_recording,
    samples_from_simulator,
)
from imu_app.sim._radio import VirtualController, VirtualLink, virtual_controller, virtual_device
from imu_app.sim._sensor import PLACEMENTS, SensorParams
from imu_app.sim._simulate import EXERCISES, Simulation, join_on_one_clock, simulate
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
    "EmulatedSensor",
    "SensorFaults",
    "SensorParams",
    "Simulation",
    "Truth",
    "TruthContact",
    "TruthLanding",
    "TruthRep",
    "TruthSet",
    "VirtualController",
    "VirtualLink",
    "advertised_name",
    "exercise_options",
    "join_on_one_clock",
    "read_truth",
    "run_emulator",
    "samples_from_recording",
    "samples_from_simulator",
    "simulate",
    "virtual_controller",
    "virtual_device",
    "write_truth",
]
