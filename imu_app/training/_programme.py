"""The exercises of the programme and what a guided session asks of each: sets, reps, holds, rests, tempo.

The prescriptions are the programme's own (the project's exercise page, taken from five strength-and-
conditioning guides for runners): pogo hops 3 x 15-20 with 60 s rest, the hop and hold with a 5 s hold,
single-leg calf raises 3 x 15-20 with 60 s rest, eccentric calf raises 10-15 with a slow lowering and a
pause at the bottom, and so on. Where a guide gives a range the runner starts at its low end.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from imu_app.core import CATALOGUE

__all__ = ["PROGRAMME", "Counted", "Exercise", "exercise"]


class Counted(enum.Enum):
    """What one rep of an exercise is, as the live analysis reports it."""

    CONTACTS = "contacts"  # a ground contact (a hop)
    HOLDS = "holds"  # a landing followed by a hold on one leg
    REPS = "reps"  # a calf raise


@dataclass(frozen=True)
class Exercise:
    """One exercise of the programme as a guided session runs it.

    Attributes
    ----------
    key
        The exercise's name in recordings and reports (``pogo_hops``).
    title
        What the runner reads.
    counted
        What makes one rep.
    reps_per_set, sets
        The prescription; ``reps_per_set`` counts contacts, holds or raises.
    rest_s
        Rest between sets (60 s throughout the programme).
    hold_target_s
        Landing hold asked for, or ``None``.
    tempo_s
        Calf-raise tempo (rise, top hold, lowering, bottom pause in s) the metronome beats, or ``None``.
    instructions
        One or two sentences on how to do it, from the programme.
    """

    key: str
    title: str
    counted: Counted
    reps_per_set: int
    sets: int
    rest_s: float = 60.0
    hold_target_s: float | None = None
    tempo_s: tuple[float, float, float, float] | None = None
    instructions: str = ""


PROGRAMME: dict[str, Exercise] = {
    e.key: e
    for e in (
        Exercise(
            "pogo_hops",
            "Pogo hops",
            Counted.CONTACTS,
            15,
            3,
            instructions="Hop up and down on one leg as high as you can; land on the ball of the foot, "
            "aim for the same spot, keep your balance.",
        ),
        Exercise(
            "lateral_hops",
            "Lateral hops",
            Counted.CONTACTS,
            5,
            1,
            instructions="Hop sideways over a line and back on one leg, short and springy.",
        ),
        Exercise(
            "forward_hop_hold",
            "Hop and hold",
            Counted.HOLDS,
            5,
            1,
            hold_target_s=CATALOGUE["forward_hop_hold"].hold_target_s,
            instructions="Balance on one foot, hop forward as far as you can, land on the same leg and "
            "hold the landing for 5 s.",
        ),
        Exercise(
            "leap_and_hop",
            "Leap and hop",
            Counted.CONTACTS,
            9,
            1,
            hold_target_s=CATALOGUE["leap_and_hop"].hold_target_s,
            instructions="Leap forward off both feet, land on one leg, find your balance, then 8 hops on "
            "the spot as high as you can.",
        ),
        Exercise(
            "step_hop",
            "Step hop",
            Counted.CONTACTS,
            5,
            3,
            hold_target_s=CATALOGUE["step_hop"].hold_target_s,
            instructions="Hop onto a low platform, regain balance, hop off as far as you can, then three "
            "short fast hops without a pause.",
        ),
        Exercise(
            "squat_drop",
            "Squat drop",
            Counted.HOLDS,
            5,
            1,
            hold_target_s=CATALOGUE["squat_drop"].hold_target_s,
            instructions="Stand tall, drop into a quarter squat and freeze the landing.",
        ),
        Exercise(
            "drop_jump",
            "Drop jump",
            Counted.CONTACTS,
            5,
            1,
            instructions="Step off the box, land on both feet and rebound as high and fast as you can.",
        ),
        Exercise(
            "single_leg_calf_raise",
            "Single-leg calf raise",
            Counted.REPS,
            15,
            3,
            tempo_s=CATALOGUE["single_leg_calf_raise"].tempo_s,
            instructions="Knee slightly bent, rise from flat onto the ball of the foot and back down.",
        ),
        Exercise(
            "eccentric_calf_raise",
            "Eccentric calf raise",
            Counted.REPS,
            10,
            1,
            tempo_s=CATALOGUE["eccentric_calf_raise"].tempo_s,
            instructions="Rise on both feet, lift one leg, lower slowly on the other, hold at the lowest "
            "point, put the other foot down and rise again.",
        ),
    )
}


def exercise(key: str) -> Exercise:
    """The programme's exercise ``key``; a name it does not hold raises :class:`KeyError` naming the known."""
    try:
        return PROGRAMME[key]
    except KeyError:
        raise KeyError(f"{key!r} is not in the programme; known: {', '.join(PROGRAMME)}") from None
