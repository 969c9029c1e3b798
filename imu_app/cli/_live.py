"""``imu-app replay`` and ``imu-app simulate --live``: a recording or the simulator through the live
pipeline, events printed as they happen in a coach's words."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from imu_app.analysis import Contact
from imu_app.core import ImuData
from imu_app.live import (
    ContactDone,
    GapMarked,
    HoldEnded,
    HoldStarted,
    LinkNotice,
    LinkReport,
    Published,
    RecordingNotice,
    RepDone,
    ReplaySource,
    RepSeen,
    Session,
    SessionParams,
    SessionSummary,
    SetDone,
    make_engine,
)

__all__ = ["describe", "parse_speed", "printer", "run_live"]

_NAMES = {"rebound": "rebound", "hop": "hop", "fast_hop": "fast hop", "leap_landing": "leap landing"}


def parse_speed(text: str) -> float | None:
    """``max`` (as fast as possible: ``None``) or a positive factor of real time."""
    if text.strip().lower() == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number (1 is real time) or 'max'")
    return value


def _ms(x: float | None) -> str | None:
    return None if x is None else f"{x:.0f} ms"


def _contact(number: int, c: Contact) -> str:
    if c.kind == "stride":
        parts = [f"stance {c.contact_time_ms:.0f} ms" if c.contact_time_ms is not None else "stance -"]
        if c.swing_time_ms is not None:
            parts.append(f"swing {c.swing_time_ms:.0f} ms")
        return f"stride {number}: " + ", ".join(parts)
    if c.role in ("set_end", "hold", "platform"):
        what = {"set_end": "end of the set", "hold": "landing held", "platform": "platform"}[c.role]
        held = f" ({(c.takeoff_s - c.landing_s):.1f} s on the foot)" if c.takeoff_s is not None else ""
        return f"landing {number}: {what}{held}"
    name = _NAMES.get(c.role or "", "hop")
    parts = []
    if c.contact_time_ms is not None:
        parts.append(f"contact {c.contact_time_ms:.0f} ms")
    elif not c.complete:
        parts.append("contact cut by a gap in the data")
    if c.next_flight_time_ms is not None:
        parts.append(f"flight {c.next_flight_time_ms:.0f} ms")
    if c.next_jump_height_cm is not None:
        parts.append(f"height {c.next_jump_height_cm:.1f} cm")
    if c.rsi is not None:
        parts.append(f"RSI {c.rsi:.2f}")
    if not parts:
        parts.append("no jump followed")
    return f"{name} {number}: " + ", ".join(parts)


def _set(ev: SetDone) -> str:
    s = ev.summary
    unit = {"hops": "hops", "strides": "strides", "landings": "holds", "calf_raises": "reps"}.get(
        s.kind, s.kind
    )
    if s.count == 1:
        unit = unit.removesuffix("s")
    text = f"set {s.index + 1} done: {s.count} {unit} in {s.end_s - s.start_s:.0f} s"
    ct = s.stats.get("contact_time_ms")
    if ct is not None and ct.mean is not None:
        text += f", contact mean {ct.mean:.0f} ms"
        if ct.cv_percent is not None:
            text += f" (CV {ct.cv_percent:.0f} %)"
    rsi = s.stats.get("rsi")
    if rsi is not None and rsi.best is not None:
        text += f", best RSI {rsi.best:.2f}"
    return text


def describe(pub: Published, *, realtime: bool = True, clock: bool = True) -> str | None:
    """One line in a coach's words for an event, prefixed with its sample time; ``None``: nothing to say.

    ``realtime`` false (a replay as fast as possible) leaves rates, latencies and the clock out of the
    link-health line: against the host's clock they mean nothing then.
    """
    ev = pub.event
    if isinstance(ev, ContactDone):
        text = _contact(ev.number, ev.contact)
    elif isinstance(ev, SetDone):
        text = _set(ev)
    elif isinstance(ev, HoldStarted):
        text = f"hold {ev.number}: landed, holding"
    elif isinstance(ev, HoldEnded):
        land = ev.landing
        stable = (
            f"stable after {land.time_to_stabilisation_s:.1f} s"
            if land.time_to_stabilisation_s is not None
            else "no stable stance found"
        )
        verdict = "target met" if land.hold_target_met else "target missed"
        ended = land.ended_by.replace("_", " ")
        text = (
            f"hold {ev.number}: {stable}, held {land.hold_s:.1f} s of {land.hold_target_s:.0f} s "
            f"({verdict}; ended by {ended})"
        )
    elif isinstance(ev, RepSeen):
        text = f"calf raise {ev.number} (counted live; timed when the set is over)"
    elif isinstance(ev, RepDone):
        r = ev.rep
        text = (
            f"calf raise {ev.number}{' (partial)' if r.partial else ''}: rise {r.concentric_s:.1f} s, "
            f"top {r.top_hold_s:.1f} s, lowering {r.eccentric_s:.1f} s, pause {r.bottom_pause_s:.1f} s"
        )
    elif isinstance(ev, GapMarked):
        text = (
            f"gap: {ev.n_missing} samples missing ({1000 * ev.duration_s:.0f} ms, {ev.reason.value}); "
            "nothing is measured across it"
        )
    elif isinstance(ev, LinkReport):
        text = ev.health.line(realtime=realtime, clock=clock)
    elif isinstance(ev, LinkNotice):
        text = f"link: {ev.message}"
    elif isinstance(ev, RecordingNotice):
        if ev.error:
            text = f"recording stopped: {ev.error}"
        elif ev.started:
            text = f"recording to {ev.path}"
        else:
            text = f"recording stopped: {ev.n_samples} samples in {ev.path}"
    else:
        return None
    return f"[{ev.t_s:8.2f} s] {text}"


def printer(
    session: Session, out: TextIO, *, realtime: bool = True, clock: bool = True
) -> Callable[[Published], None]:
    """A subscriber that prints each event of ``session`` in a coach's words on ``out`` as it is published
    (``replay``, ``simulate --live`` and ``record`` all print through it).

    When the reader of ``out`` goes away (``| head``) it unsubscribes and stops the session.
    """

    def show(pub: Published) -> None:
        line = describe(pub, realtime=realtime, clock=clock)
        if line is None:
            return
        try:
            print(line, file=out, flush=True)
        except BrokenPipeError:
            session.unsubscribe(show)
            session.stop()

    return show


def run_live(
    data: ImuData,
    *,
    name: str,
    speed: float | None,
    record: Path | None,
    exercise: str | None,
    hold_target_s: float | None = None,
    calf_tempo_s: tuple[float, float, float, float] | None = None,
    out: TextIO | None = None,
) -> SessionSummary:
    """Stream ``data`` through a session, printing each event as it is published."""
    out = out or sys.stdout
    source = ReplaySource(data, speed=speed, name=name)
    engine = make_engine(
        source.info.sample_rate_hz,
        data.meta,
        exercise=exercise,
        hold_target_s=hold_target_s,
        calf_tempo_s=calf_tempo_s,
    )
    session = Session(source, engine, params=SessionParams(health_every_s=5.0))

    session.subscribe(printer(session, out, realtime=speed is not None, clock=speed == 1.0))
    if record is not None:
        session.start_recording(record)
    return asyncio.run(session.run())
