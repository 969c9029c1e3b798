"""The simulator's entry point: an exercise, a sensor and a seed in, a recording and its truth out."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from imu_app.core import EXERCISE_NAMES, ImuData, RecordingMeta, SimulationError, find_gaps
from imu_app.sim._exercises import PLANS, options_of
from imu_app.sim._exercises import _leg as check_leg
from imu_app.sim._exercises import _positive as check_positive
from imu_app.sim._motion import Motion
from imu_app.sim._sensor import SensorParams, SensorRun, run_sensor
from imu_app.sim._session import Session
from imu_app.sim._truth import Truth, TruthContact, TruthLanding, TruthRep, TruthSet

__all__ = ["EXERCISES", "Simulation", "simulate"]

log = logging.getLogger(__name__)

#: The exercises of the programme the simulator knows: the catalogue's (see ``imu_app.core.CATALOGUE``).
EXERCISES = EXERCISE_NAMES

DEVICE = "imu-app simulator"


@dataclass(frozen=True)
class Simulation:
    """A simulated recording and everything that truly happened in it."""

    data: ImuData
    truth: Truth


def _build(exercise: str, seed: int, options: dict[str, Any]) -> tuple[Session, Motion, str]:
    """The motion of one session (independent of the sensor, so that one motion can be sampled by many)."""
    if exercise not in EXERCISES:
        raise SimulationError(f"unknown exercise {exercise!r}; choose one of: {', '.join(EXERCISES)}")
    valid = options_of(exercise)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise SimulationError(
            f"unknown option(s) {', '.join(unknown)} for {exercise}; valid options: "
            + ", ".join(f"{k}={v!r}" for k, v in valid.items())
        )
    opts = dict(options)
    leg = check_leg(opts.pop("leg", "right"))
    lead_out = check_positive("lead_out_s", opts.pop("lead_out_s", 3.0), 0.5, 600.0)
    motion_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    session = Session(motion_rng, exercise=exercise)
    PLANS[exercise](session, **opts)
    session.end_recording(lead_out)
    return session, session.motion(), leg


def simulate(
    exercise: str, sensor: SensorParams | None = None, *, seed: int = 0, **options: Any
) -> Simulation:
    """Simulate a session of ``exercise`` recorded by an ankle-worn IMU, with exact ground truth.

    Parameters
    ----------
    exercise
        One of :data:`EXERCISES`.
    sensor
        The sensor and its link (rate, ranges, noise, mounting, clock, packet loss).
    seed
        Everything random derives from it: the same seed gives identical output. The motion and the sensor
        draw from separate streams, so one seed gives the same movement whatever the sensor.
    **options
        Exercise-specific (sets, reps, rest, contact and flight time ranges, tempo, knee, ...); see
        ``imu_app.sim.exercise_options(exercise)``. ``leg`` ("left"/"right") and ``lead_out_s`` apply to all.

    Raises
    ------
    SimulationError
        Unknown exercise or option, or a value out of range; the message lists what is valid.
    """
    sensor = sensor or SensorParams()
    if not isinstance(sensor, SensorParams):
        raise SimulationError(f"sensor must be a SensorParams, got {type(sensor).__name__}")
    sensor.validate()
    session, motion, leg = _build(exercise, seed, options)
    sensor_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2]))
    meta = RecordingMeta(
        device=DEVICE,
        firmware=None,
        placement=sensor.placement,
        leg=leg,
        exercise=exercise,
        extra={"mounting": sensor.mounting_label, "seed": str(int(seed))},
    )
    run = run_sensor(motion, sensor, sensor_rng, leg=leg, meta=meta)
    truth = _truth_on_sensor_clock(session, run)
    log.debug("simulated %s: %d samples, %d contacts", exercise, len(run.data), len(truth.contacts))
    return Simulation(data=run.data, truth=truth)


def _truth_on_sensor_clock(session: Session, run: SensorRun) -> Truth:
    def conv(item: Any) -> Any:
        changes = {
            f.name: float(run.to_recording_time(getattr(item, f.name)))
            for f in dataclasses.fields(item)
            if f.name.endswith("_s") and f.name != "hold_target_s" and getattr(item, f.name) is not None
        }
        return dataclasses.replace(item, **changes)

    def ordered(items: list[Any], key: str) -> tuple[Any, ...]:
        return tuple(sorted((conv(i) for i in items), key=lambda i: getattr(i, key)))

    contacts: tuple[TruthContact, ...] = ordered(session.contacts, "landing_s")
    landings: tuple[TruthLanding, ...] = ordered(session.landings, "landing_s")
    reps: tuple[TruthRep, ...] = ordered(session.reps, "start_s")
    sets: tuple[TruthSet, ...] = ordered(session.sets, "start_s")
    return Truth(exercise=session.exercise, contacts=contacts, landings=landings, calf_raises=reps, sets=sets)


def join_on_one_clock(parts: list[ImuData], rate_hz: float) -> tuple[ImuData, tuple[float, ...]]:
    """Recordings of one sensor joined end to end as one session at ``rate_hz`` (each part starts one
    sample period after the last sample of the one before), and the offset (s) added to each part's times
    counted from its first sample. Every part needs a gyroscope."""
    ts, offsets = [], []
    offset = 0.0
    for d in parts:
        t = d.t_s - d.t_s[0] + offset
        ts.append(t)
        offsets.append(offset)
        offset = float(t[-1]) + 1.0 / rate_hz
    t_all = np.concatenate(ts)
    joined = ImuData(
        t_s=t_all,
        acc_g=np.concatenate([d.acc_g for d in parts]),
        gyr_dps=np.concatenate([d.gyr_dps for d in parts]),
        gaps=find_gaps(t_all, rate_hz),
        meta=RecordingMeta(sample_rate_hz=rate_hz),
    )
    return joined, tuple(offsets)
