"""The domain's words, each defined once: what a contact is, how a hold ends, which knee, which set, where
the sensor sits, what the athlete is doing.

Every vocabulary is a :class:`enum.StrEnum`: a member *is* its string (``ContactRole.REBOUND ==
"rebound"``), so the JSON of the analysis report and of the simulator's truth keeps the same words while the
code that writes and reads them names members instead of repeating literals. The simulator's truth, the
analysis, the report, the CLI and the training and history packages all take their words from here.
"""

from __future__ import annotations

import enum

__all__ = [
    "Activity",
    "ContactKind",
    "ContactRole",
    "ExerciseKind",
    "HoldEnd",
    "Knee",
    "Leg",
    "Placement",
    "SetKind",
]


class ContactKind(enum.StrEnum):
    """What a ground contact of the instrumented foot is part of."""

    HOP = "hop"  # a landing and take-off of a hop or jump
    STRIDE = "stride"  # the stance phase of a walking or running stride


class ContactRole(enum.StrEnum):
    """What a contact is in its exercise (an ordinary hop or stride has no role, ``None``)."""

    HOLD = "hold"  # a landing followed by a hold on one leg (hop and hold, squat drop)
    SET_END = "set_end"  # the last landing of a bout, which lasts through the rest
    LEAP_LANDING = "leap_landing"  # the one-leg landing of the leap in leap and hop
    PLATFORM = "platform"  # the landing on the platform in the step hop
    REBOUND = "rebound"  # the reactive contact of a drop jump
    HOP = "hop"  # a reactive hop of leap and hop
    FAST_HOP = "fast_hop"  # a short fast hop of the step hop


class HoldEnd(enum.StrEnum):
    """What ended a single-leg hold after a landing."""

    OTHER_FOOT = "other_foot"  # the other foot put down (as asked, or early)
    HOP = "hop"  # a hop (a corrective one, or the next exercise's)
    STUMBLE = "stumble"  # a loss of balance
    END_OF_RECORDING = "end_of_recording"  # the recording stops during the hold


class Knee(enum.StrEnum):
    """The knee's position during a calf raise (the straight knee loads the gastrocnemius, the bent knee
    the soleus)."""

    STRAIGHT = "straight"
    BENT = "bent"


class SetKind(enum.StrEnum):
    """What the reps of a set are: the kind of events the set groups."""

    HOPS = "hops"
    STRIDES = "strides"
    LANDINGS = "landings"
    CALF_RAISES = "calf_raises"


class ExerciseKind(enum.StrEnum):
    """The families of exercises: each family is analysed alike."""

    HOPS = "hops"  # repeated reactive hops on one leg (pogo, lateral)
    HOP_DRILL = "hop_drill"  # reps of a drill with a walk back or a climb between them (drop jump, ...)
    LANDING_HOLDS = "landing_holds"  # a landing held on one leg
    CALF_RAISES = "calf_raises"
    GAIT = "gait"  # walking, running


class Activity(enum.StrEnum):
    """What the athlete is doing in a bout of a recording, as activity recognition labels it."""

    HOPS = "hops"  # hops, jumps and hop drills
    LANDING_HOLDS = "landing_holds"
    CALF_RAISES = "calf_raises"
    WALKING = "walking"
    RUNNING = "running"
    REST = "rest"  # standing or sitting still
    OTHER = "other"  # any other movement


class Leg(enum.StrEnum):
    """The leg that wears the sensor."""

    LEFT = "left"
    RIGHT = "right"


class Placement(enum.StrEnum):
    """Where on the leg the sensor sits."""

    ANKLE = "ankle"  # on the shank just above the ankle (the app's placement)
    SHANK = "shank"  # higher on the shank
    FOOT = "foot"  # on the foot or shoe
