"""The protocol runner: sets, reps, holds and rests of a guided session, free of Qt and of any clock.

The runner is told two things and answers with cues: the live analysis's events (a contact, a calf raise,
a hold), and the time (:meth:`ProtocolRunner.tick`, host seconds from any monotonic clock). A window plays
the cues as sounds and draws :attr:`ProtocolRunner.state`; a test drives it with made-up times.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from imu_app.analysis import Contact, MetricStats
from imu_app.analysis._sets import metric_stats
from imu_app.training._programme import Counted, Exercise

__all__ = ["Cue", "CueKind", "Phase", "ProtocolRunner", "RunnerState", "SetResult"]


class Phase(enum.Enum):
    READY = "ready"
    WORK = "work"
    REST = "rest"
    DONE = "done"


class CueKind(enum.Enum):
    """What a cue means; the window chooses the sound."""

    GO = "go"  # a set starts
    TICK = "tick"  # one contact
    COUNT = "count"  # a rep counted (calf raise, hold), with its number
    HOLD = "hold"  # a landing: hold now
    HELD = "held"  # the hold reached its target
    BEAT = "beat"  # metronome: the next phase of a calf raise
    SET_DONE = "set_done"
    COUNTDOWN = "countdown"  # the last seconds of a rest
    DONE = "done"  # the session is over


@dataclass(frozen=True)
class Cue:
    """Something to tell the athlete at host time ``t_s``, in words (``text``) and by kind (a sound)."""

    t_s: float
    kind: CueKind
    text: str


@dataclass(frozen=True)
class SetResult:
    """A finished set: what was done and the statistics a coach reads.

    ``contacts`` are the set's ground contacts (hops); ``contact_time_ms`` holds the statistics of their
    contact times (mean, best = shortest, CV, drift per contact), ``None`` for a set without contacts.
    """

    index: int
    count: int
    target: int
    duration_s: float
    contacts: tuple[Contact, ...] = ()
    contact_time_ms: MetricStats | None = None
    jump_height_cm: MetricStats | None = None
    hold_s: tuple[float, ...] = ()
    holds_met: int = 0


@dataclass(frozen=True)
class RunnerState:
    """What the training screen shows now."""

    phase: Phase
    set_number: int  # from 1
    sets: int
    count: int
    target: int
    rest_left_s: float | None
    beat: str | None  # the calf-raise phase the metronome is in
    message: str


@dataclass
class _Work:
    start_s: float
    count: int = 0
    contacts: list[Contact] = field(default_factory=list)
    holds: list[float] = field(default_factory=list)
    holds_met: int = 0


_BEATS = ("up", "hold", "down", "pause")


class ProtocolRunner:
    """Runs the sets of one exercise.

    Parameters
    ----------
    exercise
        What to run (:data:`imu_app.training.PROGRAMME`).
    sets, reps_per_set, rest_s
        Override the prescription (a coach's plan, a short test).
    metronome
        Beat the calf-raise tempo during a set.

    Notes
    -----
    A set ends when its target is reached or :meth:`end_set` is called; the rest then counts down and the
    next set starts by itself (a cue at 10 s and each of the last 3 s, "go" at zero). Events that arrive
    during a rest are not counted: a runner walking back to the spot makes contacts that are not a hop of
    the set. Cues are returned by :meth:`start`, :meth:`on_event` and :meth:`tick` and never repeated.
    """

    def __init__(
        self,
        exercise: Exercise,
        *,
        sets: int | None = None,
        reps_per_set: int | None = None,
        rest_s: float | None = None,
        metronome: bool = True,
    ) -> None:
        self.exercise = exercise
        self.sets = sets or exercise.sets
        self.target = reps_per_set or exercise.reps_per_set
        self.rest_s = exercise.rest_s if rest_s is None else rest_s
        self.metronome = metronome and exercise.tempo_s is not None
        self.phase = Phase.READY
        self.results: list[SetResult] = []
        self._set = 0
        self._work: _Work | None = None
        self._rest_end: float | None = None
        self._said: set[int] = set()
        self._beat: int | None = None
        self._now = 0.0

    # ------------------------------------------------------------------------------------------ control

    def start(self, now_s: float) -> list[Cue]:
        """Start the first set."""
        self._now = now_s
        return self._start_set(now_s)

    def end_set(self, now_s: float) -> list[Cue]:
        """End the set under way now (the athlete stopped short or went on past the target)."""
        self._now = now_s
        return self._finish_set(now_s) if self.phase is Phase.WORK else []

    def skip_rest(self, now_s: float) -> list[Cue]:
        self._now = now_s
        return self._start_set(now_s) if self.phase is Phase.REST else []

    # ------------------------------------------------------------------------------------------- inputs

    def on_contact(self, contact: Contact, now_s: float) -> list[Cue]:
        """A ground contact was decided."""
        self._now = now_s
        w = self._work
        if self.phase is not Phase.WORK or w is None:
            return []
        if self.exercise.counted is Counted.CONTACTS and contact.contact_time_ms is None:
            return []  # the landing that ends a set: the athlete stands, no hop
        w.contacts.append(contact)
        cues = [Cue(now_s, CueKind.TICK, "")]
        if self.exercise.counted is Counted.CONTACTS:
            w.count += 1
            cues += self._after_count(now_s)
        return cues

    def on_hold_started(self, now_s: float) -> list[Cue]:
        if self.phase is not Phase.WORK or self.exercise.counted is not Counted.HOLDS:
            return []
        return [Cue(now_s, CueKind.HOLD, "hold")]

    def on_hold_ended(self, hold_s: float, met: bool, now_s: float) -> list[Cue]:
        self._now = now_s
        w = self._work
        if self.phase is not Phase.WORK or w is None or self.exercise.counted is not Counted.HOLDS:
            return []
        w.holds.append(hold_s)
        w.holds_met += int(met)
        w.count += 1
        cues = [Cue(now_s, CueKind.HELD if met else CueKind.COUNT, f"{w.count}")]
        return cues + self._after_count(now_s)

    def on_rep(self, partial: bool, now_s: float) -> list[Cue]:
        """A calf raise was completed (partial ones are not counted)."""
        self._now = now_s
        w = self._work
        if self.phase is not Phase.WORK or w is None or self.exercise.counted is not Counted.REPS or partial:
            return []
        w.count += 1
        return [Cue(now_s, CueKind.COUNT, f"{w.count}"), *self._after_count(now_s)]

    def tick(self, now_s: float) -> list[Cue]:
        """Advance the rest countdown and the metronome to ``now_s``."""
        self._now = now_s
        cues: list[Cue] = []
        if self.phase is Phase.REST and self._rest_end is not None:
            left = self._rest_end - now_s
            if left <= 0:
                return self._start_set(now_s)
            for mark in (10, 3, 2, 1):
                if left <= mark and mark not in self._said:
                    self._said.add(mark)
                    cues.append(Cue(now_s, CueKind.COUNTDOWN, f"{mark}"))
        elif self.phase is Phase.WORK and self.metronome and self._work is not None:
            beat = self._beat_at(now_s - self._work.start_s)
            if beat != self._beat:
                self._beat = beat
                cues.append(Cue(now_s, CueKind.BEAT, _BEATS[beat]))
        return cues

    # ------------------------------------------------------------------------------------------ reading

    @property
    def state(self) -> RunnerState:
        w = self._work
        rest_left = None
        if self.phase is Phase.REST and self._rest_end is not None:
            rest_left = max(0.0, self._rest_end - self._now)
        messages = {
            Phase.READY: "Press start when the sensor is on the ankle.",
            Phase.WORK: self.exercise.instructions,
            Phase.REST: "Rest. The next set starts by itself.",
            Phase.DONE: "Session done. Well done.",
        }
        beat = None
        if self.phase is Phase.WORK and self.metronome and w is not None:
            beat = _BEATS[self._beat_at(self._now - w.start_s)]
        return RunnerState(
            phase=self.phase,
            set_number=min(self._set, self.sets) if self._set else 1,
            sets=self.sets,
            count=w.count if w is not None and self.phase is Phase.WORK else 0,
            target=self.target,
            rest_left_s=rest_left,
            beat=beat,
            message=messages[self.phase],
        )

    # ----------------------------------------------------------------------------------------- internal

    def _beat_at(self, elapsed_s: float) -> int:
        tempo = self.exercise.tempo_s
        assert tempo is not None
        cycle = sum(tempo)
        t = math.fmod(max(0.0, elapsed_s), cycle)
        edge = 0.0
        for k, d in enumerate(tempo):
            edge += d
            if t < edge:
                return k
        return 0

    def _after_count(self, now_s: float) -> list[Cue]:
        assert self._work is not None
        return self._finish_set(now_s) if self._work.count >= self.target else []

    def _start_set(self, now_s: float) -> list[Cue]:
        self._set += 1
        self.phase = Phase.WORK
        self._work = _Work(start_s=now_s)
        self._rest_end = None
        self._said = set()
        self._beat = None
        return [Cue(now_s, CueKind.GO, f"set {self._set} of {self.sets}: go")]

    def _finish_set(self, now_s: float) -> list[Cue]:
        w = self._work
        assert w is not None
        cts = [c.contact_time_ms for c in w.contacts if c.contact_time_ms is not None]
        heights = [c.jump_height_cm for c in w.contacts if c.jump_height_cm is not None]
        self.results.append(
            SetResult(
                index=self._set - 1,
                count=w.count,
                target=self.target,
                duration_s=now_s - w.start_s,
                contacts=tuple(w.contacts),
                contact_time_ms=metric_stats(cts, lower_is_better=True) if cts else None,
                jump_height_cm=metric_stats(heights, lower_is_better=False) if heights else None,
                hold_s=tuple(w.holds),
                holds_met=w.holds_met,
            )
        )
        self._work = None
        if self._set >= self.sets:
            self.phase = Phase.DONE
            return [Cue(now_s, CueKind.SET_DONE, f"set {self._set} done"), Cue(now_s, CueKind.DONE, "done")]
        self.phase = Phase.REST
        self._rest_end = now_s + self.rest_s
        return [Cue(now_s, CueKind.SET_DONE, f"set {self._set} done, rest {self.rest_s:.0f} s")]
