"""Bringing recordings into the history: bulk import, resumable; re-analysis when the algorithm improves."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imu_app.analysis import AnalysisOptions, analyse
from imu_app.core import ImuAppError
from imu_app.history._dates import parse_when
from imu_app.history._errors import HistoryError
from imu_app.history._store import HistoryStore, SessionInfo
from imu_app.recordings import load

__all__ = [
    "ImportItem",
    "ImportProgress",
    "ImportSummary",
    "ReanalysisItem",
    "import_recordings",
    "reanalyse",
    "save_recorded_session",
    "sha256_of",
]

log = logging.getLogger(__name__)

#: Where a session's date came from, in the words the import prints.
DATE_SOURCES = {
    "recording": "the recording's start time",
    "option": "the date given (--date)",
    "file_mtime": "the file's modification time",
    "app": "the app's clock",
    "bundle": "the bundle",
}


@dataclass(frozen=True)
class ImportItem:
    """What happened to one file: ``imported``, ``already`` (the history holds it) or ``failed``."""

    path: Path
    status: str
    session: SessionInfo | None
    message: str


@dataclass(frozen=True)
class ImportProgress:
    """Sent after each file: ``done`` of ``total`` files, and what happened to this one."""

    done: int
    total: int
    item: ImportItem


@dataclass(frozen=True)
class ImportSummary:
    items: tuple[ImportItem, ...]

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


@dataclass(frozen=True)
class ReanalysisItem:
    """A session analysed again: the new analysis waiting for the coach, or ``None`` when nothing changed
    (same algorithm version and parameters) or the analysis failed (``message`` says why)."""

    session_id: int
    analysis_id: int | None
    message: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _session_start(start_time: str | None, date: datetime | None, path: Path) -> tuple[datetime, str]:
    """The recording's own start time, else the date the user gave, else the file's modification time."""
    if start_time:
        try:
            return parse_when(start_time, what="start_time"), "recording"
        except HistoryError:
            log.warning("%s: start_time %r unreadable; looking elsewhere for the date", path, start_time)
    if date is not None:
        return date, "option"
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).astimezone(), "file_mtime"


def import_recordings(
    store: HistoryStore,
    paths: Sequence[str | Path],
    *,
    athlete: str,
    exercise: str | None = None,
    leg: str | None = None,
    date: datetime | None = None,
    date_source: str | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
) -> ImportSummary:
    """Import recordings (any supported format, one file each) as sessions of ``athlete``.

    Each file is read, hashed (SHA-256 of its bytes), analysed and written in one transaction. A file
    whose hash the history already holds is skipped, so an interrupted import is resumed by running it
    again. A file that cannot be read is reported and the import goes on with the next.

    Parameters
    ----------
    exercise, leg
        Override the recording's metadata.
    date
        The session's date when the recording has no start time of its own (it is used before the
        file's modification time, which says when the file was last copied rather than recorded).
    date_source
        Force the name of the date's source (the app's recorder passes ``app``).
    progress
        Called after each file.
    """
    items: list[ImportItem] = []
    total = len(paths)
    for i, p in enumerate(paths):
        path = Path(p)
        item = _import_one(
            store, path, athlete=athlete, exercise=exercise, leg=leg, date=date, date_source=date_source
        )
        items.append(item)
        log.info("%s: %s", path, item.message)
        if progress is not None:
            progress(ImportProgress(i + 1, total, item))
    return ImportSummary(tuple(items))


def save_recorded_session(
    db_path: str | Path,
    recording: str | Path,
    *,
    athlete: str,
    exercise: str | None = None,
    leg: str | None = None,
) -> ImportItem:
    """Save a recording the app has just made as a session of ``athlete`` in the history at ``db_path``.

    The database is created when it does not exist yet. The session's date is the recording's start
    time, which the app's recorder wrote from its own clock (``date_source`` ``app``). Like any import
    it is one transaction, and a recording the history already holds is not added again.

    Raises
    ------
    HistoryError
        The database cannot be used (damaged, foreign, newer); the recording stays where it is.
    """
    with HistoryStore(db_path) as store:
        summary = import_recordings(
            store, [recording], athlete=athlete, exercise=exercise, leg=leg, date_source="app"
        )
    return summary.items[0]


def _import_one(
    store: HistoryStore,
    path: Path,
    *,
    athlete: str,
    exercise: str | None,
    leg: str | None,
    date: datetime | None,
    date_source: str | None,
) -> ImportItem:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return ImportItem(path, "failed", None, f"cannot be read: {exc.strerror or exc}")
    digest = sha256_of(raw)
    known = store.find_recording(digest)
    if known is not None:
        return ImportItem(path, "already", known, _already(known, athlete))
    try:
        data = load(path)
        report = analyse(data, AnalysisOptions(exercise=exercise, leg=leg), path=path.name)
    except ImuAppError as exc:
        return ImportItem(path, "failed", None, f"not imported: {exc}")
    started, source = _session_start(data.meta.start_time, date, path)
    if date_source is not None:
        source = date_source
    session, added = store.add_session(
        athlete=athlete,
        report=report,
        started_at=started,
        date_source=source,
        sha256=digest,
        raw=raw,
        file_name=path.name,
        source_path=str(path.resolve()),
        exercise=report.recording.exercise,
        leg=report.recording.leg,
        device=data.meta.device,
    )
    if not added:  # another process imported it meanwhile
        return ImportItem(path, "already", session, _already(session, athlete))
    what = ", ".join(x for x in (session.exercise, session.leg) if x) or "exercise unknown"
    when = session.started_at[:16].replace("T", " ")
    return ImportItem(
        path,
        "imported",
        session,
        f"session {session.id} ({what}), {when} from {DATE_SOURCES.get(source, source)}",
    )


def _already(session: SessionInfo, athlete: str) -> str:
    whose = "" if session.athlete.lower() == athlete.lower() else f" of {session.athlete}"
    return f"already in the history as session {session.id}{whose}; not imported again"


def reanalyse(
    store: HistoryStore,
    session_ids: Sequence[int],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[ReanalysisItem, ...]:
    """Analyse sessions again from their kept recordings with the current algorithm.

    A new analysis is stored as *pending*: the history keeps showing the accepted numbers until the coach
    accepts it (:meth:`HistoryStore.accept_analysis`). The session's exercise and leg are kept.
    """
    out = []
    with tempfile.TemporaryDirectory(prefix="imu-app-reanalyse-") as tmp:
        for i, sid in enumerate(session_ids):
            info = store.session(sid)
            try:
                name, raw = store.raw_recording(sid)
                path = Path(tmp) / f"{sid}-{Path(name).name or 'recording'}"
                path.write_bytes(raw)
                data = load(path)
                report = analyse(data, AnalysisOptions(exercise=info.exercise, leg=info.leg), path=name)
                path.unlink()
            except ImuAppError as exc:
                out.append(ReanalysisItem(sid, None, f"not analysed again: {exc}"))
                continue
            aid = store.add_pending_analysis(sid, report)
            msg = (
                "same algorithm and parameters as the accepted analysis; nothing to decide"
                if aid is None
                else f"new analysis {aid} waits to be accepted"
            )
            out.append(ReanalysisItem(sid, aid, msg))
            if progress is not None:
                progress(i + 1, len(session_ids))
    return tuple(out)
