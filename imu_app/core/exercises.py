"""The exercise catalogue: what each exercise of the programme is, once, for every part of the app.

The simulator plays these exercises, the analysis chooses its detectors and targets by them, the CLI offers
their names, the guided training prescribes them and the history groups them; each asks this catalogue
instead of keeping its own list. The prescriptions are the programme's (the project's exercise page, from
five strength-and-conditioning guides for runners): sets of 15-20 pogo hops with 60 s rest, the hop and hold
held 5 s, eccentric calf raises lowered over about 3 s with a pause at the bottom [1]_.

References
----------
.. [1] Alfredson, H., Pietila, T., Jonsson, P., & Lorentzon, R. (1998). Heavy-load eccentric calf muscle
   training for the treatment of chronic Achilles tendinosis. American Journal of Sports Medicine, 26(3),
   360-366. https://doi.org/10.1177/03635465980260030301
"""

from __future__ import annotations

from dataclasses import dataclass

from imu_app.core.vocabulary import Activity, ContactRole, ExerciseKind, SetKind

__all__ = [
    "CATALOGUE",
    "DEFAULT_HOLD_TARGET_S",
    "EXERCISE_NAMES",
    "ExerciseSpec",
    "exercise_spec",
]

#: The hold looked for after a landing when the exercise names none (the hop and hold's 5 s).
DEFAULT_HOLD_TARGET_S = 5.0


@dataclass(frozen=True)
class ExerciseSpec:
    """What one exercise is.

    Attributes
    ----------
    name
        The exercise's name in recordings, reports and on the command line (``pogo_hops``).
    title
        What the athlete reads.
    kind
        Its family; exercises of one family are analysed alike.
    events
        The kinds of sets (and so of events) the exercise yields, the main one first.
    hold_target_s
        The hold asked for after a landing (s), or ``None`` when its landings are not held. The leap and
        the step hop ask to "find balance" before the next hops, which a coach reads as about 1.5 s and
        0.8 s; the squat drop is a landing drill held 3 s.
    tempo_s
        The calf-raise tempo the programme prescribes (rise, top hold, lowering, bottom pause; s), or
        ``None``.
    strict_tempo
        Whether reps are judged against ``tempo_s``; otherwise each set is judged against its own opening
        reps (a single-leg calf raise is done at the athlete's tempo; the eccentric one is prescribed).
    rest_s
        Rest between sets (s): 60 s throughout the programme.
    reactive_role
        The role of a reactive contact in the exercise (``None``: an ordinary hop).
    pause_role
        The role of a landing with a pause that reactive hops follow within a set (the leap's landing, the
        platform), or ``None``.
    """

    name: str
    title: str
    kind: ExerciseKind
    events: tuple[SetKind, ...]
    hold_target_s: float | None = None
    tempo_s: tuple[float, float, float, float] | None = None
    strict_tempo: bool = False
    rest_s: float = 60.0
    reactive_role: ContactRole | None = None
    pause_role: ContactRole | None = None

    @property
    def is_calf_raise(self) -> bool:
        return self.kind is ExerciseKind.CALF_RAISES

    @property
    def is_gait(self) -> bool:
        return self.kind is ExerciseKind.GAIT

    @property
    def is_drill(self) -> bool:
        """Reps separated by a walk back or a climb: a series of them is one set unless the rest is long."""
        return self.kind is ExerciseKind.HOP_DRILL

    @property
    def has_holds(self) -> bool:
        return self.hold_target_s is not None

    @property
    def is_plyometric(self) -> bool:
        """Counts as plyometric load (hops, jumps and landings; not calf raises or gait)."""
        return self.kind in (ExerciseKind.HOPS, ExerciseKind.HOP_DRILL, ExerciseKind.LANDING_HOLDS)

    @property
    def activity(self) -> Activity:
        """What activity recognition should find in the exercise's sets."""
        if self.kind is ExerciseKind.CALF_RAISES:
            return Activity.CALF_RAISES
        if self.kind is ExerciseKind.LANDING_HOLDS:
            return Activity.LANDING_HOLDS
        if self.kind is ExerciseKind.GAIT:
            return Activity.RUNNING if self.name == "running" else Activity.WALKING
        return Activity.HOPS


_HOPS = (SetKind.HOPS,)
CATALOGUE: dict[str, ExerciseSpec] = {
    s.name: s
    for s in (
        ExerciseSpec("pogo_hops", "Pogo hops", ExerciseKind.HOPS, _HOPS),
        ExerciseSpec("lateral_hops", "Lateral hops", ExerciseKind.HOPS, _HOPS),
        ExerciseSpec(
            "forward_hop_hold",
            "Hop and hold",
            ExerciseKind.LANDING_HOLDS,
            (SetKind.LANDINGS,),
            hold_target_s=5.0,
        ),
        ExerciseSpec(
            "leap_and_hop",
            "Leap and hop",
            ExerciseKind.HOP_DRILL,
            (SetKind.HOPS, SetKind.LANDINGS),
            hold_target_s=1.5,
            reactive_role=ContactRole.HOP,
            pause_role=ContactRole.LEAP_LANDING,
        ),
        ExerciseSpec(
            "step_hop",
            "Step hop",
            ExerciseKind.HOP_DRILL,
            (SetKind.HOPS, SetKind.LANDINGS),
            hold_target_s=0.8,
            reactive_role=ContactRole.FAST_HOP,
            pause_role=ContactRole.PLATFORM,
        ),
        ExerciseSpec(
            "drop_jump", "Drop jump", ExerciseKind.HOP_DRILL, _HOPS, reactive_role=ContactRole.REBOUND
        ),
        ExerciseSpec(
            "squat_drop", "Squat drop", ExerciseKind.LANDING_HOLDS, (SetKind.LANDINGS,), hold_target_s=3.0
        ),
        ExerciseSpec(
            "eccentric_calf_raise",
            "Eccentric calf raise",
            ExerciseKind.CALF_RAISES,
            (SetKind.CALF_RAISES,),
            tempo_s=(1.0, 0.0, 3.0, 2.0),
            strict_tempo=True,
        ),
        ExerciseSpec(
            "single_leg_calf_raise",
            "Single-leg calf raise",
            ExerciseKind.CALF_RAISES,
            (SetKind.CALF_RAISES,),
            tempo_s=(1.0, 0.0, 1.0, 0.0),
        ),
        ExerciseSpec("walking", "Walking", ExerciseKind.GAIT, (SetKind.STRIDES,), rest_s=20.0),
        ExerciseSpec("running", "Running", ExerciseKind.GAIT, (SetKind.STRIDES,), rest_s=30.0),
    )
}

#: The names of the exercises, in the programme's order.
EXERCISE_NAMES: tuple[str, ...] = tuple(CATALOGUE)


def exercise_spec(name: str | None) -> ExerciseSpec | None:
    """The catalogue's entry for ``name``; ``None`` for no name or one the catalogue does not hold (a
    recording from another tool may name an exercise of its own)."""
    if name is None:
        return None
    return CATALOGUE.get(name)
