"""The events a session publishes: what the analysis decided and what happened to the link."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from imu_app.analysis import CalfRaiseRep, Contact, Landing, SetSummary
from imu_app.live._chunk import GapReason

__all__ = [
    "ContactDone",
    "EngineEvent",
    "Event",
    "GapMarked",
    "HoldEnded",
    "HoldStarted",
    "LinkNotice",
    "NoticeKind",
    "Published",
    "RecordingNotice",
    "RepDone",
    "SetDone",
]


@dataclass(frozen=True)
class Event:
    """Something that happened at sample time ``t_s`` (s from the session's first sample)."""

    t_s: float


@dataclass(frozen=True)
class EngineEvent(Event):
    """An event the analysis decided; it is final and is never taken back."""


@dataclass(frozen=True)
class ContactDone(EngineEvent):
    """A ground contact with its metrics, identical to the report's (``t_s`` is its landing).

    ``number`` counts the session's contacts from 1.
    """

    number: int
    contact: Contact


@dataclass(frozen=True)
class SetDone(EngineEvent):
    """A set ended (``t_s`` is its end): no event of its kind followed within the rest that splits sets."""

    summary: SetSummary


@dataclass(frozen=True)
class HoldStarted(EngineEvent):
    """A single-leg landing began a hold (``t_s`` is the landing)."""

    number: int


@dataclass(frozen=True)
class HoldEnded(EngineEvent):
    """A landing hold ended (``t_s`` is its end) with its time to stabilisation and verdict."""

    number: int
    landing: Landing


@dataclass(frozen=True)
class RepDone(EngineEvent):
    """A calf raise was completed (``t_s`` is its end); ``number`` counts full and partial reps from 1."""

    number: int
    rep: CalfRaiseRep


@dataclass(frozen=True)
class RepSeen(EngineEvent):
    """A calf raise seen while its set goes on (``t_s`` is its bottom): the live count, ``number`` from 1 over
    the session, that the training's cues follow. The set's reps come as :class:`RepDone` once the set is
    over, timed and counted by the whole set's analysis; their count may differ from this one."""

    number: int


class NoticeKind(enum.Enum):
    """What the link told us."""

    STALLED = "stalled"
    RESUMED = "resumed"
    ENDED = "ended"
    DUPLICATES = "duplicates"
    LATE = "late"
    RESTART = "restart"
    BEHIND = "behind"
    SUBSCRIBER_FAILED = "subscriber_failed"
    #: The source's connection changed state (a sensor's link lost, reconnecting, streaming again).
    CONNECTION = "connection"


@dataclass(frozen=True)
class GapMarked(Event):
    """Samples are missing before ``t_s``; the analysis does not reach across them."""

    n_missing: int
    duration_s: float
    reason: GapReason


@dataclass(frozen=True)
class LinkNotice(Event):
    """Something about the link a user should know, in words."""

    kind: NoticeKind
    message: str


@dataclass(frozen=True)
class RecordingNotice(Event):
    """The recording started, stopped, or failed (``error`` says why; the stream goes on)."""

    path: str
    started: bool
    n_samples: int = 0
    error: str | None = None


@dataclass(frozen=True)
class Published:
    """An event as subscribers receive it.

    Attributes
    ----------
    event
        What happened.
    host_s
        The event's sample time on the host's monotonic clock (through the clock mapping), NaN before the
        mapping has a point.
    published_s
        Host time at which it was published.
    arrival_s
        Host arrival time of the chunk whose samples decided it; ``published_s - arrival_s`` is the
        latency the pipeline adds.
    """

    event: Event
    host_s: float
    published_s: float
    arrival_s: float

    @property
    def latency_s(self) -> float:
        return self.published_s - self.arrival_s
