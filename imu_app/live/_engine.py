"""The analysis behind the live session: chunks in, final events out.

The session runs against the small interface :class:`Engine` (``feed(chunk) -> events``, ``finish() ->
events``). Until the analysis package streams every detector itself, :func:`make_engine` builds one from
what exists:

- hop contacts with :class:`~imu_app.analysis._contacts.HopContactStream`, which gives exactly the offline
  detector's contacts, turned into the report's contacts by the offline metrics
  (:func:`~imu_app.analysis._hop_metrics.hop_report`), so that a replay's contacts equal ``analyse()``'s;
- strides of walking and running with :class:`StrideEngine`: the analysis package's conditioning and
  :class:`~imu_app.analysis._strides.StrideStream`, the very stream that offline analysis feeds the whole
  recording, so that a session's strides are the report's by construction;
- landing holds with :class:`LandingEngine`: the conditioning and
  :class:`~imu_app.analysis._landing.LandingStream`, which offline analysis feeds the whole recording, so
  that a session's holds are the report's by construction;
- calf raises with :class:`WindowedDetector`, which re-runs the offline analysis on a bounded window of
  recent samples and reports what has settled in it.
"""

from __future__ import annotations

import abc
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from imu_app.analysis import (
    CalfRaiseParams,
    CalfRaiseRep,
    Landing,
    LandingParams,
    SetSummary,
    detect_calf_raises,
)
from imu_app.analysis._conditioning import Conditioner
from imu_app.analysis._contacts import MAX_LOOKAHEAD_S, ContactParams, HopContacts, HopContactStream
from imu_app.analysis._hop_metrics import HopMetricsParams, hop_report
from imu_app.analysis._landing import LandingStream, landing_sets
from imu_app.analysis._pipeline import prescribed_tempo_s
from imu_app.analysis._sets import DEFAULT_MAX_REST_S
from imu_app.analysis._stream import Samples
from imu_app.analysis._strides import StrideParams, Strides, StrideStream, stride_contact, stride_set
from imu_app.core import DEFAULT_HOLD_TARGET_S, AnalysisError, Gap, ImuData, RecordingMeta, exercise_spec
from imu_app.live._chunk import Chunk
from imu_app.live._events import ContactDone, EngineEvent, HoldEnded, HoldStarted, RepDone, SetDone

__all__ = [
    "CompositeEngine",
    "Engine",
    "HopEngine",
    "LandingEngine",
    "StrideEngine",
    "WindowParams",
    "WindowedDetector",
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
        samples = Samples(
            t_s=chunk.t_s,
            acc_g=chunk.acc_g,
            gyr_dps=chunk.gyr_dps,
            gap_before=chunk.gap_before is not None and self._fed,
        )
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
        samples = Samples(
            t_s=chunk.t_s,
            acc_g=chunk.acc_g,
            gyr_dps=chunk.gyr_dps,
            gap_before=chunk.gap_before is not None and self._fed,
        )
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


# ---------------------------------------------------------------------------------------- windowed


@dataclass(frozen=True)
class WindowParams:
    """How :class:`WindowedDetector` re-runs an offline analysis.

    Attributes
    ----------
    window_s
        Recent samples kept. It must hold the longest event plus ``lead_s`` and the analysis' look-ahead:
        the slowest calf raise (1-s rise, 3-s lowering, 2-s pause), with room for the analysis' own
        estimates (the accelerometer's bias, the typical rise) to settle.
    step_s
        The analysis runs again after this much new sensor time. Events come at most this late after they
        settle; 0.5 s keeps the cost of re-running a small share of the stream.
    lead_s
        Events starting within this much of the window's start are left to an earlier window, which saw
        what preceded them (the quiet stance before a rep).
    """

    window_s: float = 40.0
    step_s: float = 0.5
    lead_s: float = 8.0


#: Two windows can place the same event a little apart (their estimates differ); an event is new only when
#: it starts after the end of the last one reported, less this much (events of one kind never overlap by
#: more: a rep's end is the next rep's start, a hold ends before the next landing).
_SAME_EVENT_S = 0.25


@dataclass(frozen=True)
class _Kind:
    """What the windowed detector needs to know about one kind of event."""

    analyse: Callable[[ImuData], tuple[Sequence[Any], float]]
    start: Callable[[Any], float]
    end: Callable[[Any], float]
    time_fields: tuple[str, ...]
    make: Callable[[Any, int], list[EngineEvent]]
    set_kind: str
    started: Callable[[Any, int], EngineEvent] | None = None
    started_after_s: float = 0.0


class WindowedDetector(Engine):
    """An offline analysis re-run on a bounded window of recent samples; settled events only.

    Notes
    -----
    Every ``step_s`` the analysis runs on the last ``window_s`` of samples since the last gap. An event is
    reported when it is *settled*: it ends at least the analysis' own look-ahead (``lookahead_s`` of its
    result: the longest lowering for calf raises) before the newest sample, and it starts
    at least ``lead_s`` after the window's start (or the window starts at the beginning of the session or
    after a gap, where nothing precedes it). Events are reported in order of their start and only if they
    start after the end of the last one reported and ``_SAME_EVENT_S`` after its start (two windows may
    place one event a little apart), so none is reported twice and none is taken back. At a gap and at
    the end, the samples since the last gap are analysed once more as a whole and what was not reported is.

    The look-ahead of a reported event is therefore its analysis' own plus up to ``step_s``. What this
    cannot promise is equality with the offline analysis of the whole recording: the calf-raise analysis
    uses statistics of all the samples it is given (the 90th percentile of rises), which on a window
    differ from those of the whole session. The analysis of a stream decides, and never revises, with what
    it had. (Landing holds stream: :class:`LandingEngine`.)
    """

    def __init__(
        self, kind: _Kind, sample_rate_hz: float, meta: RecordingMeta, params: WindowParams | None = None
    ) -> None:
        self.kind = kind
        self.params = params or WindowParams()
        self.rate = float(sample_rate_hz)
        self.meta = meta.replace(sample_rate_hz=self.rate)
        self.lookahead_s = self.params.step_s
        self._t0: float | None = None
        self._parts: list[Chunk] = []
        self._cut = False  # the window has lost samples at its start (not a session start or gap)
        self._since_run = 0.0
        self._last_end = -np.inf
        self._last_start = -np.inf
        self._last_started = -np.inf
        self.n_events = 0
        self._set_times: list[tuple[float, float]] = []
        self.n_sets = 0

    # -- the window
    def _span(self) -> float:
        return float(self._parts[-1].t_s[-1] - self._parts[0].t_s[0]) if self._parts else 0.0

    def _data(self) -> ImuData:
        t = np.concatenate([c.t_s for c in self._parts])
        acc = np.concatenate([c.acc_g for c in self._parts])
        gyr = None
        if all(c.gyr_dps is not None for c in self._parts):
            gyr = np.concatenate([c.gyr_dps for c in self._parts])  # type: ignore[misc]
        return ImuData(t_s=t, acc_g=acc, gyr_dps=gyr, meta=self.meta)

    def feed(self, chunk: Chunk) -> list[EngineEvent]:
        if self._t0 is None:
            self._t0 = float(chunk.t_s[0])
        events: list[EngineEvent] = []
        if chunk.gap_before is not None and self._parts:
            events += self._run(final=True)
            self._parts, self._cut = [], False
        self._parts.append(chunk)
        while self._span() > self.params.window_s and len(self._parts) > 1:
            self._parts.pop(0)
            self._cut = True
        self._since_run += float(chunk.t_s[-1] - chunk.t_s[0]) + 1.0 / self.rate
        if self._since_run >= self.params.step_s:
            self._since_run = 0.0
            events += self._run(final=False)
        return events

    def finish(self) -> list[EngineEvent]:
        events = self._run(final=True) if self._parts else []
        self._parts = []
        if self._set_times:
            events.append(self._set_done())
        return events

    def _run(self, *, final: bool) -> list[EngineEvent]:
        data = self._data()
        if len(data) < 10:
            return []
        assert self._t0 is not None
        shift = float(data.t_s[0]) - self._t0
        try:
            items, lookahead = self.kind.analyse(data)
        except Exception:  # an analysis that fails on one window must not end the session
            logger.exception(
                "the %s analysis failed on a window; it goes on with the next", self.kind.set_kind
            )
            return []
        horizon = data.duration_s - lookahead
        earliest = self.params.lead_s if self._cut else -np.inf
        k = self.kind
        events: list[EngineEvent] = []
        for item in sorted(items, key=k.start):
            start = k.start(item)
            if start < earliest:
                continue
            new_start = k.started is not None and start + shift > self._last_started + _SAME_EVENT_S
            if new_start and (
                final or start <= data.duration_s - k.started_after_s or k.end(item) <= horizon
            ):
                self._last_started = start + shift
                events.append(k.started(start + shift, self.n_events + 1))
            seen = start + shift <= max(self._last_end, self._last_start + 2 * _SAME_EVENT_S) - _SAME_EVENT_S
            if seen or not (final or k.end(item) <= horizon):
                continue
            moved = dataclasses.replace(
                item, **{f: getattr(item, f) + shift for f in k.time_fields if getattr(item, f) is not None}
            )
            if hasattr(moved, "set_index"):
                moved = dataclasses.replace(moved, set_index=None)
            self._last_end = k.end(item) + shift
            self._last_start = start + shift
            self._last_started = max(self._last_started, start + shift)
            if self._set_times and start + shift - self._set_times[-1][1] > DEFAULT_MAX_REST_S:
                events.append(self._set_done())
            self._set_times.append((start + shift, k.end(item) + shift))
            self.n_events += 1
            events += k.make(moved, self.n_events)
        return events

    def _set_done(self) -> SetDone:
        times, self._set_times = self._set_times, []
        summary = SetSummary(
            index=self.n_sets,
            kind=self.kind.set_kind,
            start_s=times[0][0],
            end_s=times[-1][1],
            count=len(times),
        )
        self.n_sets += 1
        return SetDone(t_s=summary.end_s, summary=summary)


def _calf_kind(tempo: tuple[float, float, float, float] | None) -> _Kind:
    cp = CalfRaiseParams(target_tempo_s=tempo)

    def run(data: ImuData) -> tuple[Sequence[CalfRaiseRep], float]:
        found = detect_calf_raises(data, cp)
        return found.calf_raises.reps, found.lookahead_s

    return _Kind(
        analyse=run,
        start=lambda x: x.start_s,
        end=lambda x: x.end_s,
        time_fields=("start_s", "top_s", "lower_s", "bottom_s", "end_s"),
        make=lambda x, n: [RepDone(t_s=x.end_s, number=n, rep=x)],
        set_kind="calf_raises",
    )


def make_engine(
    sample_rate_hz: float,
    meta: RecordingMeta,
    *,
    exercise: str | None = None,
    hold_target_s: float | None = None,
    calf_tempo_s: tuple[float, float, float, float] | None = None,
    window: WindowParams | None = None,
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
        engines.append(WindowedDetector(_calf_kind(tempo), sample_rate_hz, meta, window))
    return engines[0] if len(engines) == 1 else CompositeEngine(engines)
