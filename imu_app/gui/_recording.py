"""The window's recordings: started and stopped on the live stream, their faults said, and each finished one
saved to the history as a session.

Qt-free: the window hands in what to call to show a sentence, and subscribes :meth:`Recordings.on_event` to
every stream it starts. The recorder itself is the live session's (:class:`imu_app.live.Recorder`): the
native CSV is written as samples arrive, and a full disk or a vanished folder ends the recording with a
:class:`~imu_app.live.RecordingNotice` while the stream goes on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from imu_app.core import ImuAppError
from imu_app.gui._stream import Stream, spawn
from imu_app.history import ImportItem, save_recorded_session
from imu_app.history._export import safe_file_name
from imu_app.live import Published, RecordingNotice

__all__ = ["Recordings", "Saved", "Take", "recording_path"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Take:
    """One recording the window asked for: where, and whose session it is."""

    path: Path
    athlete: str | None
    exercise: str | None
    leg: str | None
    set_number: int | None = None


@dataclass(frozen=True)
class Saved:
    """What became of a finished recording: ``item`` is the history's answer, ``None`` when it was not
    offered to the history (``message`` says why)."""

    take: Take
    n_samples: int
    item: ImportItem | None
    message: str


def recording_path(
    folder: Path,
    *,
    athlete: str | None,
    exercise: str | None,
    leg: str | None,
    when: datetime,
    set_number: int | None = None,
) -> Path:
    """A new file in ``folder`` named by date, athlete, exercise, leg and set, never an existing one.

    The athlete's name is typed by a person, so the name goes through the history's
    :func:`~imu_app.history._export.safe_file_name` (no separators, no ``..``, no device names).
    """
    parts = [when.strftime("%Y-%m-%d_%H%M%S"), athlete or "", exercise or "", leg or ""]
    if set_number is not None:
        parts.append(f"set{set_number}")
    stem = safe_file_name("_".join(p for p in parts if p), fallback="recording")
    path = folder / f"{stem}.csv"
    k = 2
    while path.exists():
        path = folder / f"{stem}-{k}.csv"
        k += 1
    return path


class Recordings:
    """Starts and stops the window's recordings and saves each finished one to the history.

    Parameters
    ----------
    db_path
        The history database in use (the History screen's choice), asked when a recording is saved.
    say
        Shows a sentence of news (a recording saved).
    error
        Shows a fault in one plain sentence (the window's banner).
    changed
        Called when recording starts or stops, so the window can show it.
    """

    def __init__(
        self,
        *,
        db_path: Callable[[], Path],
        say: Callable[[str], None],
        error: Callable[[str], None],
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self.db_path = db_path
        self.say = say
        self.error = error
        self.changed = changed
        self.current: Take | None = None
        self.saved: list[Saved] = []
        self._takes: dict[str, Take] = {}
        self._saves: set[asyncio.Future] = set()

    @property
    def recording(self) -> bool:
        return self.current is not None

    @property
    def saving(self) -> bool:
        """A finished recording is being saved to the history."""
        return bool(self._saves)

    def start(self, stream: Stream, take: Take) -> bool:
        """Record ``stream`` into ``take.path`` from its next chunk on; ``False`` (and said) when the folder
        cannot be made."""
        if self.current is not None:
            self.stop(stream)
        folder = take.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.error(
                f"Cannot record into {folder} ({exc.strerror or exc}); choose another folder in Settings."
            )
            return False
        info = stream.source.info
        meta = info.meta.replace(
            sample_rate_hz=info.sample_rate_hz,
            athlete=take.athlete or None,
            exercise=take.exercise,
            leg=take.leg,
            source_format=None,
        )
        self._takes[str(take.path)] = take
        self.current = take
        stream.session.start_recording(take.path, meta)
        self.changed()
        return True

    def stop(self, stream: Stream | None) -> None:
        """Finish the current recording; the stream goes on. The session's notice that it ended brings the
        save to the history (:meth:`on_event`)."""
        take, self.current = self.current, None
        if take is None:
            return
        recorder = stream.session.recorder if stream is not None else None
        began = recorder is not None and recorder.recording and recorder.path == take.path
        if stream is not None:
            stream.session.stop_recording()  # also drops one asked for and not yet begun
        if not began:
            self._takes.pop(str(take.path), None)
        self.changed()

    def stream_ended(self, stream: Stream) -> None:
        """The stream is over: a recording asked for and never begun (no sample arrived) is forgotten."""
        take = self.current
        if take is not None and stream.session.recorder.path != take.path:
            self._takes.pop(str(take.path), None)
            self.current = None
        self.changed()

    def on_event(self, pub: Published) -> None:
        """Subscribed to each stream: a recording that ended (stopped, or cut short) is saved."""
        ev = pub.event
        if not isinstance(ev, RecordingNotice) or ev.started:
            return
        take = self._takes.pop(ev.path, None)
        if ev.error:
            self.error(f"{ev.error}; the stream and the analysis go on.")
        if take is None:
            return
        if self.current is not None and self.current.path == take.path:
            self.current = None
            self.changed()
        if ev.n_samples == 0:
            logger.info("%s: nothing was recorded; not saved to the history", take.path)
            return
        task = spawn(self._save(take, ev.n_samples))
        self._saves.add(task)
        task.add_done_callback(self._saves.discard)

    async def wait(self) -> None:
        """Until every save to the history begun so far has finished."""
        while self._saves:
            await asyncio.gather(*list(self._saves), return_exceptions=True)

    async def _save(self, take: Take, n_samples: int) -> None:
        where = f"{take.path.name} is kept in {take.path.parent}"
        if not take.athlete:
            message = (
                f"{where} but not saved to the history: no athlete is known (name one on Guided training "
                "or in Settings, or import the file on History)."
            )
            self.saved.append(Saved(take, n_samples, None, message))
            self.error(message)
            return
        db = self.db_path()
        work = functools.partial(
            save_recorded_session, db, take.path, athlete=take.athlete, exercise=take.exercise, leg=take.leg
        )
        try:
            item = await asyncio.get_running_loop().run_in_executor(None, work)
        except (ImuAppError, OSError) as exc:
            message = f"{where} but could not be saved to the history ({exc})."
            self.saved.append(Saved(take, n_samples, None, message))
            self.error(message)
            return
        if item.status == "failed":
            message = f"{where} but not in the history: {item.message}."
            self.saved.append(Saved(take, n_samples, item, message))
            self.error(message)
            return
        assert item.session is not None
        message = f"Saved {take.path.name} to the history as session {item.session.id} of {take.athlete}."
        if item.status == "already":
            message = f"{take.path.name}: {item.message}."
        self.saved.append(Saved(take, n_samples, item, message))
        self.say(message)
