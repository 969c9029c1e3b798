"""The analysis behind the live session: chunks in, final events out.

The session runs against the small interface :class:`Engine` (``feed(chunk) -> events``, ``finish() ->
events``). :func:`make_engine` builds one from the analysis package's streams:

- hop contacts with :class:`~imu_app.analysis._contacts.HopContactStream`, which gives exactly the offline
  detector's contacts, turned into the report's contacts by the offline metrics
  (:func:`~imu_app.analysis._hop_metrics.hop_report`), so that a replay's contacts equal ``analyse()``'s;
- strides of walking and running with :class:`StrideEngine`: the analysis package's conditioning and
  :class:`~imu_app.analysis._strides.StrideStream`, the very stream that offline analysis feeds the whole
  recording, so that a session's strides are the report's by construction;
- landing holds with :class:`LandingEngine`: the conditioning and
  :class:`~imu_app.analysis._landing.LandingStream`, which offline analysis feeds the whole recording, so
  that a session's holds are the report's by construction;
- calf raises with :class:`CalfRaiseEngine`: the conditioning and
  :class:`~imu_app.analysis._calf.stream.CalfRaiseStream`, which offline analysis feeds the whole
  recording, so that a session's reps and sets are the report's by construction.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from imu_app.analysis import CalfRaiseParams, CalfRaiseResult, Landing, LandingParams
from imu_app.analysis._calf.stream import CalfRaiseStream
from imu_app.analysis._conditioning import Conditioner
from imu_app.analysis._contacts import MAX_LOOKAHEAD_S, ContactParams, HopContacts, HopContactStream
from imu_app.analysis._hop_metrics import HopMetricsParams, hop_report
from imu_app.analysis._landing import LandingStream, landing_sets
from imu_app.analysis._pipeline import prescribed_tempo_s
from imu_app.analysis._sets import DEFAULT_MAX_REST_S
from imu_app.analysis._stream import Samples
from imu_app.analysis._strides import StrideParams, Strides, StrideStream, stride_contact, stride_set
from imu_app.core import DEFAULT_HOLD_TARGET_S, AnalysisError, Gap, RecordingMeta, exercise_spec
from imu_app.live._chunk import Chunk
from imu_app.live._events import (
    ContactDone,
    EngineEvent,
    HoldEnded,
    HoldStarted,
    RepDone,
    RepSeen,
    SetDone,
)

__all__ = [
    "CalfRaiseEngine",
    "CompositeEngine",
    "Engine",
    "HopEngine",
    "LandingEngine",
    "StrideEngine",
    "make_engine",
]

logger = logging.getLogger(__name__)


class Engine(abc.ABC):
    """Streaming analysis: every event it returns is final.

    ``lookahead_s`` is the longest sensor time after an event that the engine may need before it returns
    that event (what a live display lags behind at most).
    """

    lookahead_s: float = 0.0

    @abc.abstractmethod
    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        """Take the next chunk of the session's time line (a gap before it is in ``chunk.gap_before``)."""

    @abc.abstractmethod
    def finish(self) -> list[EngineEvent]:
        """No more samples will come: return every event still held back."""


class CompositeEngine(Engine):
    """Several engines on the same chunks; events of one feed come out in time order."""

    def __init__(self, engines: Sequence[Engine]) -> None:
        self.engines = tuple(engines)
        self.lookahead_s = max((e.lookahead_s for e in self.engines), default=0.0)

    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        return sorted((ev for e in self.engines for ev in e.feed(chunk)), key=lambda ev: ev.t_s)

    def finish(self) -> list[EngineEvent]:
        return sorted((ev for e in self.engines for ev in e.finish()), key=lambda ev: ev.t_s)


# ------------------------------------------------------------------------------------------------- hops


@dataclass(frozen=True)
class _Row:
    landing_s: float
    takeoff_s: float
    flight_before_ms: float
    flight_after_ms: float
    complete: bool


class HopEngine(Engine):
    """Hop contacts, each reported once every metric of it in the offline report is decided.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate.
    exercise
        Gives contacts their roles, as offline.
    acc_range_g
        Accelerometer range (clipped samples), as offline from the recording's metadata.

    Notes
    -----
    The contact detector releases a contact :data:`MAX_LOOKAHEAD_S` after its take-off. Its metrics are
    then decided except two that look further ahead in :func:`hop_report`: the role of a contact that is
    no reactive hop (a pause is ``"set_end"`` when no contact follows within the rest that splits sets)
    and the set a contact belongs to (a bout without any reactive hop is no set). So a reactive contact is
    reported at once when its bout already holds a reactive hop; any other waits for the next contact of
    its bout, or for the bout's end (the next contact after a rest, or the end of the session), which is
    also when ``SetDone`` comes. The offline metrics are computed on the contacts of the current bout,
    which gives each contact the same values as on the whole recording because roles and sets only look
    within a bout.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        exercise: str | None = None,
        *,
        acc_range_g: float | None = None,
        params: HopMetricsParams | None = None,
    ) -> None:
        cp = ContactParams(acc_range_g=float(acc_range_g) if acc_range_g else None)
        self.stream = HopContactStream(sample_rate_hz, cp)
        self.exercise = exercise
        self.params = params or HopMetricsParams()
        self.max_rest_s = self.params.max_rest_for(exercise)
        self.lookahead_s = MAX_LOOKAHEAD_S
        self.n_contacts = 0
        self.n_sets = 0
        self._bout: list[_Row] = []
        self._emitted = 0
        self._fed = 0

    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        gaps: tuple[Gap, ...] = ()
        if chunk.gap_before is not None and self._fed:
            g = chunk.gap_before
            gaps = (Gap(before_idx=-1, start_s=g.start_s, end_s=g.end_s, n_missing=g.n_missing),)
        self._fed += len(chunk)
        return self._take(self.stream.feed(chunk.t_s, chunk.acc_g, gaps), final=False)

    def finish(self) -> list[EngineEvent]:
        return self._take(self.stream.finish(), final=True)

    def _take(self, found: HopContacts, *, final: bool) -> list[EngineEvent]:
        events: list[EngineEvent] = []
        for i in range(len(found)):
            row = _Row(
                float(found.landing_s[i]),
                float(found.takeoff_s[i]),
                float(found.flight_before_ms[i]),
                float(found.flight_after_ms[i]),
                bool(found.complete[i]),
            )
            if self._bout and row.landing_s - self._bout[-1].landing_s > self.max_rest_s:
                events += self._emit(bout_ended=True)
            self._bout.append(row)
        if len(found) or final:  # nothing else changes what the bout's contacts are
            events += self._emit(bout_ended=final)
        return events

    def _emit(self, *, bout_ended: bool) -> list[EngineEvent]:
        if not self._bout:
            return []
        b = self._bout
        found = HopContacts(
            landing_s=np.array([r.landing_s for r in b]),
            takeoff_s=np.array([r.takeoff_s for r in b]),
            flight_before_ms=np.array([r.flight_before_ms for r in b]),
            flight_after_ms=np.array([r.flight_after_ms for r in b]),
            complete=np.array([r.complete for r in b]),
            landing_idx=np.full(len(b), -1),
            takeoff_idx=np.full(len(b), -1),
        )
        contacts, sets = hop_report(found, self.exercise, self.params)
        has_hops = bool(sets)
        events: list[EngineEvent] = []
        n = len(contacts)
        while self._emitted < n:
            i = self._emitted
            ct = b[i].takeoff_s - b[i].landing_s
            reactive = bool(np.isfinite(ct) and ct <= self.params.max_reactive_contact_s)
            if not bout_ended and not (has_hops and (i < n - 1 or reactive)):
                break
            c = contacts[i]
            if c.set_index is not None:
                c = dataclasses.replace(c, set_index=self.n_sets)
            self.n_contacts += 1
            events.append(ContactDone(t_s=c.landing_s, number=self.n_contacts, contact=c))
            self._emitted += 1
        if bout_ended:
            if has_hops:
                events.append(
                    SetDone(t_s=sets[0].end_s, summary=dataclasses.replace(sets[0], index=self.n_sets))
                )
                self.n_sets += 1
            self._bout = []
            self._emitted = 0
        return events


# ---------------------------------------------------------------------------------------------- strides


class StrideEngine(Engine):
    """Strides of walking and running, each reported once final, exactly as offline.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate.
    params
        See :class:`~imu_app.analysis._strides.StrideParams`.
    max_rest_s
        Strides further apart than this belong to different sets, as in the offline report.

    Notes
    -----
    The chunks go through the analysis package's :class:`~imu_app.analysis._conditioning.Conditioner` to
    :class:`~imu_app.analysis._strides.StrideStream`, which offline analysis feeds the whole recording, so
    the strides are the report's to the microsecond whatever the chunks. A stride comes at most
    ``lookahead_s`` after its toe-off once the stream has settled its axis on the first gait (the first
    strides wait up to ``StrideStream.settle_s``). Its set is known at once (a stride more than
    ``max_rest_s`` after the previous one starts a new set), so ``SetDone`` comes with the first stride of
    the next set, or at the end.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        params: StrideParams | None = None,
        *,
        max_rest_s: float = DEFAULT_MAX_REST_S,
    ) -> None:
        self.conditioner = Conditioner(sample_rate_hz)
        self.stream = StrideStream(sample_rate_hz, self.conditioner.block, params)
        self.lookahead_s = self.stream.lookahead_s
        self.max_rest_s = float(max_rest_s)
        self.n_contacts = 0
        self.n_sets = 0
        self._bout: list[Strides] = []
        self._last_ic = -np.inf
        self._fed = False
        self._failed = False

    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        samples = _samples(chunk, fed=self._fed)
        self._fed = True
        return self._run(lambda: [self.stream.update(c) for c in self.conditioner.update(samples)])

    def finish(self) -> list[EngineEvent]:
        events = self._run(
            lambda: [*(self.stream.update(c) for c in self.conditioner.finish()), self.stream.finish()]
        )
        return events + self._set_done()

    def _run(self, step: Callable[[], list[Strides]]) -> list[EngineEvent]:
        if self._failed:
            return []
        try:
            parts = step()
        except AnalysisError as e:  # no gyroscope: say so once, and go on without strides
            logger.error("strides are not analysed in this session: %s", e)
            self._failed = True
            return []
        events: list[EngineEvent] = []
        for found in parts:
            for i in range(len(found)):
                one = Strides(
                    found.initial_contact_s[i : i + 1],
                    found.toe_off_s[i : i + 1],
                    found.swing_before_ms[i : i + 1],
                )
                ic = float(one.initial_contact_s[0])
                if self._bout and ic - self._last_ic > self.max_rest_s:
                    events += self._set_done()
                self._bout.append(one)
                self._last_ic = ic
                c = stride_contact(ic, one.toe_off_s[0], one.swing_before_ms[0], self.n_sets)
                self.n_contacts += 1
                events.append(ContactDone(t_s=c.landing_s, number=self.n_contacts, contact=c))
        return events

    def _set_done(self) -> list[EngineEvent]:
        if not self._bout:
            return []
        bout = Strides(
            np.concatenate([b.initial_contact_s for b in self._bout]),
            np.concatenate([b.toe_off_s for b in self._bout]),
            np.concatenate([b.swing_before_ms for b in self._bout]),
        )
        self._bout = []
        summary = stride_set(self.n_sets, bout)
        self.n_sets += 1
        return [SetDone(t_s=summary.end_s, summary=summary)]


# ------------------------------------------------------------------------------------------- holds


class LandingEngine(Engine):
    """Single-leg landing holds, each reported once final, exactly as offline.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate.
    params
        See :class:`~imu_app.analysis.LandingParams`.
    acc_range_g
        Accelerometer range (clipped samples), as offline from the recording's metadata.

    Notes
    -----
    The chunks go through the analysis package's :class:`~imu_app.analysis._conditioning.Conditioner` to
    :class:`~imu_app.analysis._landing.LandingStream`, which offline analysis feeds the whole recording, so
    the holds are the report's to the microsecond whatever the chunks. ``HoldStarted`` comes once the
    touch-down is decided and the foot has stayed down (no take-off within ``min_hold_s``, or none yet);
    the hold's analysis may still find it ended within ``min_hold_s`` (a stumble at once), and then no
    ``HoldEnded`` follows under that number: the next hold takes it;
    ``HoldEnded`` once the hold is decided, at most ``lookahead_s`` after its touch-down. A hold more than
    ``max_rest_s`` after the previous one starts a new set, so ``SetDone`` (with the offline set's
    statistics) comes with the first hold of the next set, or at the end.
    """

    def __init__(
        self, sample_rate_hz: float, params: LandingParams | None = None, *, acc_range_g: float | None = None
    ) -> None:
        self.params = params or LandingParams()
        self.conditioner = Conditioner(sample_rate_hz)
        self.stream = LandingStream(sample_rate_hz, self.params, acc_range_g=acc_range_g)
        self.lookahead_s = self.stream.lookahead_s
        self.n_holds = 0
        self.n_sets = 0
        self._bout: list[Landing] = []
        self._announced = -np.inf
        self._fed = False

    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        samples = _samples(chunk, fed=self._fed)
        self._fed = True
        found = [h for c in self.conditioner.update(samples) for h in self.stream.update(c)]
        return self._events(found)

    def finish(self) -> list[EngineEvent]:
        found = [h for c in self.conditioner.finish() for h in self.stream.update(c)]
        found += self.stream.finish()
        return self._events(found) + self._set_done()

    def _events(self, found: list[Landing]) -> list[EngineEvent]:
        events: list[EngineEvent] = []
        for h in found:
            if self._bout and h.landing_s - self._bout[-1].landing_s > self.params.max_rest_s:
                events += self._set_done()
            if h.landing_s > self._announced:
                events.append(HoldStarted(t_s=h.landing_s, number=self.n_holds + 1))
                self._announced = h.landing_s
            self._bout.append(h)
            self.n_holds += 1
            events.append(
                HoldEnded(
                    t_s=h.landing_s + h.hold_s,
                    number=self.n_holds,
                    landing=dataclasses.replace(h, set_index=self.n_sets),
                )
            )
        for k, land in enumerate(s for s in self.stream.holding_s if s > self._announced):
            events.append(HoldStarted(t_s=land, number=self.n_holds + k + 1))
            self._announced = land
        return events

    def _set_done(self) -> list[EngineEvent]:
        if not self._bout:
            return []
        _, sets = landing_sets(self._bout, self.params, first_index=self.n_sets)
        self._bout = []
        self.n_sets += 1
        return [SetDone(t_s=sets[0].end_s, summary=sets[0])]


# ------------------------------------------------------------------------------------------ calf raises


class CalfRaiseEngine(Engine):
    """Calf raises, each rep and set reported once final, exactly as offline.

    Parameters
    ----------
    sample_rate_hz
        Nominal rate.
    params
        See :class:`~imu_app.analysis.CalfRaiseParams`.

    Notes
    -----
    The chunks go through the analysis package's :class:`~imu_app.analysis._conditioning.Conditioner` to
    :class:`~imu_app.analysis._calf.stream.CalfRaiseStream`, which offline analysis feeds the whole
    recording, so the reps and sets are the report's to the microsecond whatever the chunks. The stream
    analyses the samples piece by piece, a piece ending once ``max_rest_s`` (20 s) of rest follows its
    last movement, so a set's reps come together, ``RepDone`` for each and then ``SetDone``, about 20 s
    after the set; without a rest, at most ``lookahead_s`` (200 s) late.

    While a set goes on, the athlete (and the training's cues) need the count rep by rep: every
    :data:`COUNT_STEP_S` of sensor time the open piece's last :data:`COUNT_WINDOW_S` are analysed as they
    are (:meth:`~imu_app.analysis._calf.stream.CalfRaiseStream.reps_so_far`), and each rep whose bottom lies
    :data:`COUNT_SETTLE_S` or more before the newest sample and that starts after the last one counted is
    announced with ``RepSeen``, about 1-2 s after its bottom. That count is a cue, not a result: the
    set's ``RepDone`` events are the whole piece's analysis and may count one more or one fewer.
    """

    #: Sensor time between two refreshes of the live count (s), how much of the open piece they look at
    #: (s; the rep's rise needs the samples before it), and how long after a rep's bottom it is counted (s).
    COUNT_STEP_S = 1.0
    COUNT_WINDOW_S = 20.0
    COUNT_SETTLE_S = 0.5

    def __init__(self, sample_rate_hz: float, params: CalfRaiseParams | None = None) -> None:
        self.conditioner = Conditioner(sample_rate_hz)
        self.stream = CalfRaiseStream(sample_rate_hz, params)
        self.lookahead_s = self.stream.lookahead_s
        self.n_reps = 0
        self.n_seen = 0
        self._fed = False
        self._t0: float | None = None
        self._next_count_s = self.COUNT_STEP_S
        self._seen_start_s = -np.inf

    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        samples = _samples(chunk, fed=self._fed)
        self._fed = True
        events = self._events([self.stream.update(c) for c in self.conditioner.update(samples)])
        if chunk.t_s.size:
            if self._t0 is None:
                self._t0 = float(chunk.t_s[0])
            events += self._count(float(chunk.t_s[-1]) - self._t0)
        return events

    def _count(self, newest_s: float) -> list[EngineEvent]:
        """``RepSeen`` for the reps the open piece shows so far (see the class)."""
        if newest_s < self._next_count_s:
            return []
        self._next_count_s = newest_s + self.COUNT_STEP_S
        out: list[EngineEvent] = []
        for rep in self.stream.reps_so_far(self.COUNT_WINDOW_S):
            if (
                rep.bottom_s <= newest_s - self.COUNT_SETTLE_S
                and rep.start_s > self._seen_start_s + _SAME_REP_S
            ):
                self.n_seen += 1
                self._seen_start_s = rep.start_s
                out.append(RepSeen(t_s=rep.bottom_s, number=self.n_seen))
        return out

    def finish(self) -> list[EngineEvent]:
        parts = [self.stream.update(c) for c in self.conditioner.finish()]
        return self._events([*parts, self.stream.finish()])

    def _events(self, parts: list[CalfRaiseResult]) -> list[EngineEvent]:
        events: list[EngineEvent] = []
        for part in parts:
            for s in part.sets:
                for rep in part.calf_raises.reps:
                    if rep.set_index == s.index:
                        self.n_reps += 1
                        events.append(RepDone(t_s=rep.end_s, number=self.n_reps, rep=rep))
                events.append(SetDone(t_s=s.end_s, summary=s))
        return events


def _samples(chunk: Chunk, *, fed: bool) -> Samples:
    """A session's chunk as the analysis' conditioning takes it (a gap before the first chunk is none)."""
    return Samples(
        t_s=chunk.t_s,
        acc_g=chunk.acc_g,
        gyr_dps=chunk.gyr_dps,
        gap_before=chunk.gap_before is not None and fed,
    )


#: Two analyses of the same samples place one rep's start this close at most (s).
_SAME_REP_S = 0.25


def make_engine(
    sample_rate_hz: float,
    meta: RecordingMeta,
    *,
    exercise: str | None = None,
    hold_target_s: float | None = None,
    calf_tempo_s: tuple[float, float, float, float] | None = None,
) -> Engine:
    """The analyses ``analyse()`` runs for ``exercise``, as one streaming engine.

    The choice follows :func:`imu_app.analysis.analyse`: strides for walking and running, hop contacts for
    everything else, landing holds for the exercises with a hold (and an unknown one), calf raises for
    calf-raise exercises (and an unknown one; offline they are looked for only when no hop was found).
    """
    exercise = exercise or meta.exercise
    spec = exercise_spec(exercise)
    is_calf = spec is not None and spec.is_calf_raise
    if spec is not None and spec.is_gait:
        return StrideEngine(sample_rate_hz)
    engines: list[Engine] = [HopEngine(sample_rate_hz, exercise, acc_range_g=meta.acc_range_g)]
    if exercise is None or (spec is not None and spec.has_holds):
        target = hold_target_s
        if target is None:
            target = spec.hold_target_s if spec is not None and spec.has_holds else DEFAULT_HOLD_TARGET_S
        lp = LandingParams(hold_target_s=target)
        engines.append(LandingEngine(sample_rate_hz, lp, acc_range_g=meta.acc_range_g))
    if is_calf or exercise is None:
        tempo = calf_tempo_s or prescribed_tempo_s(spec)
        engines.append(CalfRaiseEngine(sample_rate_hz, CalfRaiseParams(target_tempo_s=tempo)))
    return engines[0] if len(engines) == 1 else CompositeEngine(engines)
