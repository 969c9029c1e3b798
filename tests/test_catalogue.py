"""The exercise catalogue and the vocabularies: one place, used alike by the simulator and the analysis."""

from __future__ import annotations

import json

from imu_app.core import (
    CATALOGUE,
    EXERCISE_NAMES,
    Activity,
    ContactRole,
    ExerciseKind,
    HoldEnd,
    SetKind,
    exercise_spec,
)
from imu_app.sim import EXERCISES, exercise_options
from imu_app.sim._exercises import PLANS
from imu_app.training import PROGRAMME


def test_simulator_plays_every_catalogued_exercise_and_no_other() -> None:
    assert EXERCISES == EXERCISE_NAMES
    assert set(PLANS) == set(CATALOGUE)


def test_vocabulary_members_are_their_report_strings() -> None:
    assert ContactRole.REBOUND == "rebound"
    assert json.dumps({"ended_by": HoldEnd.OTHER_FOOT}) == '{"ended_by": "other_foot"}'
    assert SetKind("calf_raises") is SetKind.CALF_RAISES


def test_exercise_facts() -> None:
    assert exercise_spec(None) is None
    assert exercise_spec("not_an_exercise") is None
    ecc = CATALOGUE["eccentric_calf_raise"]
    assert ecc.is_calf_raise and ecc.strict_tempo and ecc.tempo_s == (1.0, 0.0, 3.0, 2.0)
    assert ecc.activity is Activity.CALF_RAISES
    assert CATALOGUE["forward_hop_hold"].hold_target_s == 5.0
    assert CATALOGUE["drop_jump"].is_drill and not CATALOGUE["pogo_hops"].is_drill
    assert CATALOGUE["running"].activity is Activity.RUNNING
    assert {s.kind for s in CATALOGUE.values()} == set(ExerciseKind)


def test_simulator_defaults_and_training_follow_the_catalogue() -> None:
    assert (
        tuple(exercise_options("eccentric_calf_raise")["tempo"]) == CATALOGUE["eccentric_calf_raise"].tempo_s
    )
    for key, ex in PROGRAMME.items():
        spec = CATALOGUE[key]
        assert ex.hold_target_s == spec.hold_target_s
        assert ex.tempo_s == spec.tempo_s
