"""The history store: one SQLite file holding athletes, sessions and every analysis of them.

Notes
-----
Safety rules the store keeps, and why:

- **The file is checked before anything is written.** A file that is not SQLite, another program's
  database (``PRAGMA application_id`` not ours on a database with tables) or one written by a newer
  imu-app (``PRAGMA user_version`` above :data:`SCHEMA_VERSION`) raises an error and is left untouched:
  the checks read the 100-byte header and two pragmas only.
- **WAL and a busy timeout.** Write-ahead logging lets a reader (the window) and a writer (an import)
  work at once; ``busy_timeout`` makes a second writer wait for the first rather than fail. Two app
  instances on one file therefore serialise their writes and never corrupt it.
- **One transaction per session.** A session's recording, analysis and every event are written between
  ``BEGIN IMMEDIATE`` and ``COMMIT``; a crash or a kill at any moment leaves either the whole session or
  nothing, and a resumed import finds the finished ones by their content hash.
- **Numbers are never overwritten.** A re-analysis is stored beside the accepted one (status ``pending``)
  until the coach accepts it; hand corrections are stored beside the algorithm's values.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from imu_app.analysis import AnalysisReport
from imu_app.history._dates import utc_now_iso, week_key
from imu_app.history._errors import (
    DamagedDatabaseError,
    ForeignDatabaseError,
    HistoryError,
    NewerDatabaseError,
    NotFoundError,
)
from imu_app.history._metrics import METRICS, Metric, get_metric
from imu_app.history._schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "AcceptResult",
    "AthleteSummary",
    "Correction",
    "HistoryStore",
    "MetricValues",
    "SessionInfo",
    "SessionSummaryRows",
    "default_db_path",
]

log = logging.getLogger(__name__)

_SQLITE_MAGIC = b"SQLite format 3\x00"
_BY_HASH = "SELECT s.id FROM sessions s JOIN recordings r ON r.id = s.recording_id WHERE r.sha256 = ?"
#: How long a writer waits for another process's transaction to finish before giving up (ms). An import's
#: transaction holds one session, well under a second; 30 s leaves room for a slow disk.
BUSY_TIMEOUT_MS = 30_000
#: A correction finds its event in a re-analysis when the event's time moved by less than this (s): the
#: detectors' own resolution is a few ms, while two events of one kind are at least ~100 ms apart.
CORRECTION_MATCH_S = 0.05

_P = ParamSpec("_P")
_R = TypeVar("_R")


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/imu-app/history.sqlite``, else ``~/.local/share/imu-app/history.sqlite``."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "imu-app" / "history.sqlite"


@dataclass(frozen=True)
class AthleteSummary:
    """An athlete and how much the history holds of them."""

    id: int
    name: str
    n_sessions: int
    first_at: str | None
    last_at: str | None


@dataclass(frozen=True)
class SessionInfo:
    """One session as the history lists it."""

    id: int
    athlete: str
    started_at: str
    week_key: int
    date_source: str
    exercise: str | None
    leg: str | None
    device: str | None
    surface: str | None
    shoes: str | None
    notes: str | None
    duration_s: float | None
    sample_rate_hz: float | None
    file_name: str | None
    sha256: str | None
    analysis_id: int | None
    algorithm_version: str | None
    n_contacts: int
    n_landings: int
    n_reps: int
    has_pending: bool


@dataclass(frozen=True)
class Correction:
    """A coach's hand correction of one event (the algorithm's own value is kept beside it)."""

    id: int
    session_id: int
    event_kind: str
    event_s: float
    field: str
    value: float | None
    note: str | None
    created_utc: str


@dataclass(frozen=True)
class AcceptResult:
    """What accepting a re-analysis did: which analysis replaced which, and corrections that no longer
    find their event (they are kept, and apply again if a later analysis finds it)."""

    session_id: int
    accepted_id: int
    replaced_id: int | None
    unmatched_corrections: tuple[Correction, ...]


@dataclass(frozen=True, eq=False)
class MetricValues:
    """Every trial of one metric for one athlete and exercise, corrections applied, in session order.

    Arrays of equal length: ``session_id``, ``week_key``, ``leg`` (0 left, 1 right, -1 unknown),
    ``started_utc_s`` and ``value``.
    """

    metric: Metric
    session_id: np.ndarray
    week_key: np.ndarray
    leg: np.ndarray
    started_utc_s: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return int(self.value.shape[0])


@dataclass(frozen=True, eq=False)
class SessionSummaryRows:
    """Per accepted session, in time order: athlete id, leg code, count, mean and sum of squared
    deviations of a metric."""

    athlete_id: np.ndarray
    leg: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray


_LEG_CODE = {"left": 0, "right": 1}
_EVENT_TABLE = {"contact": "contacts", "landing": "landings", "rep": "reps", "set": "sets"}
_EVENT_TIME = {"contact": "landing_s", "landing": "landing_s", "rep": "start_s", "set": "start_s"}
_CONTACT_COLS = (
    "set_index",
    "kind",
    "role",
    "complete",
    "landing_s",
    "takeoff_s",
    "contact_time_ms",
    "flight_time_ms",
    "jump_height_cm",
    "next_flight_time_ms",
    "next_jump_height_cm",
    "rsi",
    "flight_contact_ratio",
    "swing_time_ms",
)
_LANDING_COLS = (
    "set_index",
    "landing_s",
    "stabilised_s",
    "time_to_stabilisation_s",
    "hold_s",
    "hold_target_s",
    "hold_target_met",
    "ended_by",
    "sway_gyr_rms_dps",
    "sway_acc_rms_g",
    "window_s",
)
_REP_COLS = (
    "set_index",
    "start_s",
    "top_s",
    "lower_s",
    "bottom_s",
    "end_s",
    "concentric_s",
    "top_hold_s",
    "eccentric_s",
    "bottom_pause_s",
    "range_deg",
    "partial",
    "knee",
)
EVENT_COLUMNS = {"contact": _CONTACT_COLS, "landing": _LANDING_COLS, "rep": _REP_COLS}


def _translate(exc: sqlite3.Error, path: Path) -> HistoryError:
    text = str(exc)
    low = text.lower()
    if "malformed" in low or "not a database" in low or "disk image" in low or "corrupt" in low:
        return DamagedDatabaseError(
            path,
            f"the history database is damaged (SQLite says: {text}); it was left as it is. Restore a "
            "backup, or pass --db to use another file.",
        )
    if "locked" in low or "busy" in low:
        return HistoryError(
            f"{path}: another imu-app kept the history database busy for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s; try again when it has finished"
        )
    if "readonly" in low or "read-only" in low:
        return HistoryError(f"{path}: the history database cannot be written (read-only file or folder)")
    return HistoryError(f"{path}: the history database could not be used (SQLite says: {text})")


def _db_errors(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Turn SQLite's errors into the project's, naming the file, in plain words."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            store = args[0]
            raise _translate(exc, store.path) from exc  # type: ignore[attr-defined]

    return wrapper


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False, default=str)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool):
        return int(value)
    return value


class HistoryStore:
    """An open history database.

    Parameters
    ----------
    path
        The SQLite file; created (with its folder) when it does not exist.
    create
        When false, a missing file is an error instead of a new history.

    Raises
    ------
    ForeignDatabaseError
        The file is not an imu-app history.
    NewerDatabaseError
        The file was written by a newer imu-app.
    DamagedDatabaseError
        SQLite reports the file as damaged.

    Notes
    -----
    Use it as a context manager, or call :meth:`close`. One instance belongs to one thread.
    """

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        self._check_file(create)
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            self._con = sqlite3.connect(
                f"file:{self.path.resolve().as_posix()}?mode={'rwc' if create else 'rw'}",
                uri=True,
                isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=True,
            )
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc
        try:
            self._open(existed)
        except BaseException:
            self._con.close()
            raise

    # ----------------------------------------------------------------------------------------- opening
    def _check_file(self, create: bool) -> None:
        p = self.path
        if p.is_dir():
            raise HistoryError(f"{p} is a folder; --db wants the history database file")
        if not p.exists():
            if not create:
                raise NotFoundError(f"{p}: no history database there")
            p.parent.mkdir(parents=True, exist_ok=True)
            return
        with p.open("rb") as f:
            head = f.read(100)
        if not head:
            return  # an empty file: a new history, as SQLite itself would treat it
        if not head.startswith(_SQLITE_MAGIC):
            raise ForeignDatabaseError(
                p, "not an imu-app history database (not an SQLite file at all); it was left as it is"
            )
        if len(head) < 100:
            raise DamagedDatabaseError(p, "the history database is truncated; it was left as it is")

    def _open(self, existed: bool) -> None:
        con = self._con
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            app_id = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            n_tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc
        if app_id != APPLICATION_ID and (app_id != 0 or n_tables or version):
            raise ForeignDatabaseError(
                self.path,
                "an SQLite database of another program, not an imu-app history; it was left as it is "
                "(pass --db to choose another file)",
            )
        if version > SCHEMA_VERSION:
            raise NewerDatabaseError(
                self.path,
                f"written by a newer imu-app (history schema {version}; this version knows up to "
                f"{SCHEMA_VERSION}); it was left as it is. Update imu-app to open it.",
            )
        try:
            mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("%s: SQLite would not use write-ahead logging (mode %s)", self.path, mode)
            con.execute("PRAGMA synchronous = NORMAL")  # with WAL: durable at checkpoints, never corrupt
            con.execute("PRAGMA foreign_keys = ON")
            self._migrate(version)
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc
        if existed:
            log.info("opened history %s (schema %d)", self.path, SCHEMA_VERSION)

    def _migrate(self, version: int) -> None:
        while version < SCHEMA_VERSION:
            with self._write():
                # Read again inside the lock: another process may have migrated meanwhile.
                version = self._con.execute("PRAGMA user_version").fetchone()[0]
                if version >= SCHEMA_VERSION:
                    break
                for statement in _statements(MIGRATIONS[version]):
                    self._con.execute(statement)
                version += 1
                self._con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self._con.execute(f"PRAGMA user_version = {version}")
            log.info("%s: history schema migrated to version %d", self.path, version)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``BEGIN IMMEDIATE`` takes the write lock at once, so a second process
        waits here (busy timeout) instead of failing halfway through."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @_db_errors
    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: ``"ok"`` or the problems it found."""
        rows = self._con.execute("PRAGMA integrity_check").fetchall()
        return "; ".join(str(r[0]) for r in rows)

    # ---------------------------------------------------------------------------------------- athletes
    @staticmethod
    def _check_name(name: str) -> str:
        clean = " ".join(name.split())
        if not clean:
            raise HistoryError("an athlete needs a name (it was empty)")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise HistoryError(f"athlete name {name!r} contains control characters; type it without them")
        if len(clean) > 200:
            raise HistoryError("an athlete's name may be at most 200 characters")
        return clean

    @_db_errors
    def athlete_id(self, name: str, *, create: bool = False) -> int:
        """The id of athlete ``name`` (letter case ignored); a new athlete with ``create``."""
        clean = self._check_name(name)
        row = self._con.execute("SELECT id FROM athletes WHERE name = ?", (clean,)).fetchone()
        if row:
            return int(row[0])
        if not create:
            known = [a.name for a in self.athletes()]
            hint = f"; the history holds: {', '.join(known)}" if known else "; the history holds no athletes"
            raise NotFoundError(f"no athlete called {clean!r}{hint}")
        with self._write() as con:
            return self._athlete_in(con, clean)

    @staticmethod
    def _athlete_in(con: sqlite3.Connection, clean: str) -> int:
        row = con.execute("SELECT id FROM athletes WHERE name = ?", (clean,)).fetchone()
        if row:
            return int(row[0])
        cur = con.execute("INSERT INTO athletes(name, created_utc) VALUES (?, ?)", (clean, utc_now_iso()))
        return int(cur.lastrowid or 0)

    @_db_errors
    def athletes(self) -> tuple[AthleteSummary, ...]:
        rows = self._con.execute(
            """SELECT a.id, a.name, count(s.id), min(s.started_at), max(s.started_at)
               FROM athletes a LEFT JOIN sessions s ON s.athlete_id = a.id
               GROUP BY a.id ORDER BY a.name COLLATE NOCASE"""
        ).fetchall()
        return tuple(AthleteSummary(int(r[0]), r[1], int(r[2]), r[3], r[4]) for r in rows)

    # ---------------------------------------------------------------------------------------- sessions
    @_db_errors
    def find_recording(self, sha256: str) -> SessionInfo | None:
        """The session made of the recording with this content hash, if the history holds it."""
        row = self._con.execute(
            _BY_HASH,
            (sha256,),
        ).fetchone()
        return self.session(int(row[0])) if row else None

    @_db_errors
    def add_session(
        self,
        *,
        athlete: str,
        report: AnalysisReport | dict[str, Any],
        started_at: datetime,
        date_source: str,
        sha256: str | None = None,
        raw: bytes | None = None,
        file_name: str | None = None,
        source_path: str | None = None,
        exercise: str | None = None,
        leg: str | None = None,
        device: str | None = None,
        surface: str | None = None,
        shoes: str | None = None,
        notes: str | None = None,
        corrections: Sequence[dict[str, Any]] = (),
    ) -> tuple[SessionInfo, bool]:
        """Store one session, its recording and its analysis in one transaction.

        Parameters
        ----------
        athlete
            Created when new.
        report
            The analysis (an :class:`AnalysisReport` or its ``to_dict()`` form, e.g. from a bundle).
        started_at
            When the session started (aware datetime); ``date_source`` says where that came from
            (``recording``, ``option``, ``file_mtime``, ``app``, ``bundle``).
        sha256, raw, file_name
            The recording's content hash, raw bytes (kept compressed) and file name. A recording the
            history already holds is not added again.
        corrections
            Hand corrections to store with it (from a bundle), as dicts of :class:`Correction` fields.

        Returns
        -------
        (SessionInfo, bool)
            The session, and whether it was added (false: the recording was already there).
        """
        rep = report.to_dict() if isinstance(report, AnalysisReport) else report
        if started_at.tzinfo is None:
            raise HistoryError("a session's start time needs its UTC offset")
        rec = rep.get("recording", {})
        exercise = exercise or rec.get("exercise")
        leg = leg or rec.get("leg")
        clean_name = self._check_name(athlete)
        now = utc_now_iso()
        with self._write() as con:
            athlete_id = self._athlete_in(con, clean_name)
            if sha256 is not None:
                row = con.execute(
                    _BY_HASH,
                    (sha256,),
                ).fetchone()
                if row:
                    return self.session(int(row[0])), False
            recording_id = None
            if sha256 is not None:
                cur = con.execute(
                    """INSERT INTO recordings(sha256, file_name, source_path, source_format, size_bytes,
                           raw_zlib) VALUES (?, ?, ?, ?, ?, ?)""",
                    (
                        sha256,
                        file_name or "recording",
                        source_path,
                        rec.get("source_format"),
                        len(raw) if raw is not None else 0,
                        zlib.compress(raw, 6) if raw is not None else None,
                    ),
                )
                recording_id = cur.lastrowid
            cur = con.execute(
                """INSERT INTO sessions(athlete_id, recording_id, started_at, started_utc_s, week_key,
                       date_source, exercise, leg, device, surface, shoes, notes, duration_s, sample_rate_hz,
                       imported_utc)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    athlete_id,
                    recording_id,
                    started_at.isoformat(timespec="seconds"),
                    started_at.timestamp(),
                    week_key(started_at),
                    date_source,
                    exercise,
                    leg,
                    device,
                    surface,
                    shoes,
                    notes,
                    rec.get("duration_s"),
                    rec.get("sample_rate_hz"),
                    now,
                ),
            )
            session_id = int(cur.lastrowid or 0)
            for c in corrections:
                con.execute(
                    """INSERT OR REPLACE INTO corrections(session_id, event_kind, event_ms, field, value,
                           note, created_utc) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    (
                        session_id,
                        c["event_kind"],
                        round(float(c["event_s"]) * 1000),
                        c["field"],
                        c.get("value"),
                        c.get("note"),
                        c.get("created_utc") or now,
                    ),
                )
            analysis_id = self._insert_analysis(con, session_id, rep, "accepted")
            con.execute("UPDATE sessions SET analysis_id = ? WHERE id = ?", (analysis_id, session_id))
        return self.session(session_id), True

    def _insert_analysis(
        self, con: sqlite3.Connection, session_id: int, rep: dict[str, Any], status: str
    ) -> int:
        algo = rep.get("algorithm", {})
        cur = con.execute(
            """INSERT INTO analyses(session_id, status, algorithm_name, algorithm_version, parameters_json,
                   report_schema, warnings_json, created_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                session_id,
                status,
                str(algo.get("name", "unknown")),
                str(algo.get("version", "unknown")),
                _json(algo.get("parameters", {})),
                str(rep.get("schema", "unknown")),
                _json(list(rep.get("recording", {}).get("warnings", []))),
                utc_now_iso(),
            ),
        )
        aid = int(cur.lastrowid or 0)
        self._insert_events(con, aid, rep)
        self._summarise(con, aid, session_id)
        return aid

    @staticmethod
    def _insert_events(con: sqlite3.Connection, aid: int, rep: dict[str, Any]) -> None:
        def rows(items: Sequence[dict[str, Any]], cols: Sequence[str]) -> list[tuple[Any, ...]]:
            return [(aid, i, *(_finite(item.get(c)) for c in cols)) for i, item in enumerate(items)]

        def insert(table: str, cols: Sequence[str], items: Sequence[dict[str, Any]]) -> None:
            if not items:
                return
            names = ", ".join(("analysis_id", "idx", *cols))
            marks = ", ".join("?" * (len(cols) + 2))
            con.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows(items, cols))

        contacts = [{**c, "complete": c.get("complete", True)} for c in rep.get("contacts", [])]
        insert("contacts", _CONTACT_COLS, contacts)
        insert("landings", _LANDING_COLS, rep.get("landings", []))
        insert("reps", _REP_COLS, rep.get("calf_raises", {}).get("reps", []))
        con.executemany(
            """INSERT INTO sets(analysis_id, set_index, kind, start_s, end_s, count, stats_json, notes_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    aid,
                    s["index"],
                    s["kind"],
                    s["start_s"],
                    s["end_s"],
                    s["count"],
                    _json(s.get("stats", {})),
                    _json(list(s.get("notes", []))),
                )
                for s in rep.get("sets", [])
            ],
        )

    def _summarise(self, con: sqlite3.Connection, aid: int, session_id: int) -> None:
        """(Re)compute the per-metric count, mean and squared deviations of one analysis, corrections
        applied."""
        con.execute("DELETE FROM metric_summaries WHERE analysis_id = ?", (aid,))
        corrections = self._corrections(con, session_id)
        for metric in METRICS:
            _, values = self._trial_values(con, aid, metric, corrections)
            if values.size == 0:
                continue
            mean = float(values.mean())
            m2 = float(((values - mean) ** 2).sum())
            con.execute(
                "INSERT INTO metric_summaries(analysis_id, metric, n, mean, m2) VALUES (?, ?, ?, ?, ?)",
                (aid, metric.name, int(values.size), mean, m2),
            )

    def _trial_values(
        self, con: sqlite3.Connection, aid: int, metric: Metric, corrections: Sequence[Correction]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Event times and values of one metric's trials in one analysis, corrections applied."""
        table = _EVENT_TABLE[metric.event_kind]
        tcol = _EVENT_TIME[metric.event_kind]
        rows = con.execute(
            f"SELECT e.{tcol}, e.{metric.column} FROM {table} e "
            f"WHERE e.analysis_id = ? AND ({metric.trial_sql}) ORDER BY e.{tcol}",
            (aid,),
        ).fetchall()
        t = np.array([r[0] for r in rows], dtype=float)
        v = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)
        t, v = _apply_corrections(t, v, metric, corrections)
        keep = np.isfinite(v)
        return t[keep], v[keep]

    @staticmethod
    def _corrections(con: sqlite3.Connection, session_id: int) -> tuple[Correction, ...]:
        rows = con.execute(
            """SELECT id, session_id, event_kind, event_ms, field, value, note, created_utc
               FROM corrections WHERE session_id = ? ORDER BY id""",
            (session_id,),
        ).fetchall()
        return tuple(_correction(r) for r in rows)

    _SESSION_SELECT = """
        SELECT s.id, a.name, s.started_at, s.week_key, s.date_source, s.exercise, s.leg, s.device, s.surface,
               s.shoes, s.notes, s.duration_s, s.sample_rate_hz, r.file_name, r.sha256, s.analysis_id,
               an.algorithm_version,
               (SELECT count(*) FROM contacts c WHERE c.analysis_id = s.analysis_id),
               (SELECT count(*) FROM landings l WHERE l.analysis_id = s.analysis_id),
               (SELECT count(*) FROM reps p WHERE p.analysis_id = s.analysis_id),
               EXISTS (SELECT 1 FROM analyses x WHERE x.session_id = s.id AND x.status = 'pending')
        FROM sessions s JOIN athletes a ON a.id = s.athlete_id
        LEFT JOIN recordings r ON r.id = s.recording_id
        LEFT JOIN analyses an ON an.id = s.analysis_id
    """

    @_db_errors
    def session(self, session_id: int) -> SessionInfo:
        row = self._con.execute(self._SESSION_SELECT + " WHERE s.id = ?", (session_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no session {session_id} in the history")
        return _session_info(row)

    @_db_errors
    def sessions(
        self,
        athlete: str | None = None,
        *,
        exercise: str | None = None,
        leg: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> tuple[SessionInfo, ...]:
        """Sessions in time order, of one athlete (or all), optionally one exercise, leg and period."""
        where, params = self._session_filter(athlete, exercise, leg, start, end)
        rows = self._con.execute(
            self._SESSION_SELECT + f" WHERE {where} ORDER BY s.started_utc_s, s.id", params
        ).fetchall()
        return tuple(_session_info(r) for r in rows)

    def _session_filter(
        self,
        athlete: str | None,
        exercise: str | None,
        leg: str | None,
        start: datetime | None,
        end: datetime | None,
        *,
        min_week: int | None = None,
    ) -> tuple[str, list[Any]]:
        where, params = ["1"], []
        if min_week is not None:
            where.append("s.week_key >= ?")
            params.append(min_week)
        if athlete is not None:
            where.append("s.athlete_id = ?")
            params.append(self.athlete_id(athlete))
        if exercise is not None:
            where.append("s.exercise = ?")
            params.append(exercise)
        if leg is not None:
            where.append("s.leg = ?")
            params.append(leg)
        if start is not None:
            where.append("s.started_utc_s >= ?")
            params.append(start.timestamp())
        if end is not None:
            where.append("s.started_utc_s <= ?")
            params.append(end.timestamp())
        return " AND ".join(where), params

    @_db_errors
    def week_keys(
        self,
        athlete: str,
        *,
        exercise: str | None = None,
        leg: str | None = None,
        end: datetime | None = None,
    ) -> tuple[int, ...]:
        """The ISO weeks (year x 100 + week) in which the athlete has sessions, in order."""
        where, params = self._session_filter(athlete, exercise, leg, None, end)
        rows = self._con.execute(
            f"SELECT DISTINCT s.week_key FROM sessions s WHERE {where} ORDER BY s.week_key", params
        ).fetchall()
        return tuple(int(r[0]) for r in rows)

    @_db_errors
    def leg_means(
        self,
        athlete: str,
        metric: str | Metric,
        *,
        exercise: str,
        start: datetime | None = None,
        end: datetime | None = None,
        by_week: bool = False,
    ) -> tuple[tuple[int | None, str, int, float], ...]:
        """(week key or ``None``, leg, trials, mean) per leg of the accepted sessions' summaries
        (corrections applied), over the period or per week."""
        m = get_metric(metric) if isinstance(metric, str) else metric
        where, params = self._session_filter(athlete, exercise, None, start, end)
        week = "s.week_key" if by_week else "NULL"
        rows = self._con.execute(
            f"""SELECT {week}, s.leg, sum(ms.n), sum(ms.n * ms.mean) / sum(ms.n)
                FROM sessions s JOIN metric_summaries ms ON ms.metric = ? AND ms.analysis_id = s.analysis_id
                WHERE {where} AND s.leg IN ('left', 'right') GROUP BY 1, 2 ORDER BY 1, 2""",
            [m.name, *params],
        ).fetchall()
        return tuple((None if r[0] is None else int(r[0]), r[1], int(r[2]), float(r[3])) for r in rows)

    @_db_errors
    def exercises(self, athlete: str) -> tuple[tuple[str, str | None], ...]:
        """(exercise, leg) pairs the athlete has sessions of."""
        rows = self._con.execute(
            """SELECT DISTINCT exercise, leg FROM sessions WHERE athlete_id = ? AND exercise IS NOT NULL
               ORDER BY exercise, leg""",
            (self.athlete_id(athlete),),
        ).fetchall()
        return tuple((r[0], r[1]) for r in rows)

    @_db_errors
    def raw_recording(self, session_id: int) -> tuple[str, bytes]:
        """The file name and the exact bytes of a session's recording."""
        row = self._con.execute(
            """SELECT r.file_name, r.raw_zlib, r.sha256 FROM sessions s JOIN recordings r
               ON r.id = s.recording_id WHERE s.id = ?""",
            (session_id,),
        ).fetchone()
        if row is None or row[1] is None:
            raise NotFoundError(f"session {session_id} has no recording kept in the history")
        return row[0], zlib.decompress(row[1])

    @_db_errors
    def report_dict(self, session_id: int, analysis_id: int | None = None) -> dict[str, Any]:
        """An analysis of a session in the report's JSON form (the accepted one by default), rebuilt from
        the stored events; the algorithm's values, without hand corrections."""
        info = self.session(session_id)
        aid = info.analysis_id if analysis_id is None else analysis_id
        con = self._con
        a = con.execute(
            """SELECT algorithm_name, algorithm_version, parameters_json, report_schema, warnings_json,
                      session_id FROM analyses WHERE id = ?""",
            (aid,),
        ).fetchone()
        if a is None or a[5] != session_id:
            raise NotFoundError(f"no analysis {aid} of session {session_id}")

        def events(kind: str) -> list[dict[str, Any]]:
            cols = EVENT_COLUMNS[kind]
            rows = con.execute(
                f"SELECT {', '.join(cols)} FROM {_EVENT_TABLE[kind]} WHERE analysis_id = ? ORDER BY idx",
                (aid,),
            ).fetchall()
            out = []
            for r in rows:
                d = dict(zip(cols, r, strict=True))
                for flag in ("complete", "hold_target_met", "partial"):
                    if flag in d:
                        d[flag] = bool(d[flag])
                out.append(d)
            return out

        reps = events("rep")
        sets = [
            {
                "index": r[0],
                "kind": r[1],
                "start_s": r[2],
                "end_s": r[3],
                "count": r[4],
                "stats": json.loads(r[5]),
                "notes": json.loads(r[6]),
            }
            for r in con.execute(
                """SELECT set_index, kind, start_s, end_s, count, stats_json, notes_json FROM sets
                   WHERE analysis_id = ? ORDER BY set_index""",
                (aid,),
            )
        ]
        return {
            "schema": a[3],
            "recording": {
                "path": info.file_name,
                "sample_rate_hz": info.sample_rate_hz,
                "duration_s": info.duration_s,
                "exercise": info.exercise,
                "leg": info.leg,
                "warnings": json.loads(a[4]),
            },
            "contacts": events("contact"),
            "landings": events("landing"),
            "calf_raises": {
                "count": sum(1 for r in reps if not r["partial"]),
                "partial_count": sum(1 for r in reps if r["partial"]),
                "reps": reps,
            },
            "sets": sets,
            "algorithm": {"name": a[0], "version": a[1], "parameters": json.loads(a[2])},
        }

    @_db_errors
    def update_session(self, session_id: int, **fields: str | None) -> SessionInfo:
        """Change what is noted about a session: ``surface``, ``shoes``, ``notes``, ``device``."""
        allowed = {"surface", "shoes", "notes", "device"}
        unknown = set(fields) - allowed
        if unknown:
            raise HistoryError(f"cannot change {', '.join(sorted(unknown))} of a session")
        self.session(session_id)
        with self._write() as con:
            for key, value in fields.items():
                con.execute(f"UPDATE sessions SET {key} = ? WHERE id = ?", (value, session_id))
        return self.session(session_id)

    # ------------------------------------------------------------------------------------- re-analysis
    @_db_errors
    def add_pending_analysis(self, session_id: int, report: AnalysisReport | dict[str, Any]) -> int | None:
        """Store a re-analysis beside the accepted one, for the coach to accept or discard.

        Returns its id, or ``None`` when its algorithm version and parameters are those of the accepted
        analysis or of a pending one (nothing new to decide).
        """
        rep = report.to_dict() if isinstance(report, AnalysisReport) else report
        algo = rep.get("algorithm", {})
        key = (str(algo.get("version", "unknown")), _json(algo.get("parameters", {})))
        self.session(session_id)
        with self._write() as con:
            same = con.execute(
                """SELECT id FROM analyses WHERE session_id = ? AND status IN ('accepted', 'pending')
                   AND algorithm_version = ? AND parameters_json = ?""",
                (session_id, *key),
            ).fetchone()
            if same:
                return None
            con.execute(
                "UPDATE analyses SET status = 'superseded' WHERE session_id = ? AND status = 'pending'",
                (session_id,),
            )
            return self._insert_analysis(con, session_id, rep, "pending")

    @_db_errors
    def pending_analyses(self, athlete: str | None = None) -> tuple[tuple[int, int], ...]:
        """(session id, analysis id) of every re-analysis waiting for the coach."""
        sql = """SELECT x.session_id, x.id FROM analyses x JOIN sessions s ON s.id = x.session_id
                 WHERE x.status = 'pending'"""
        params: list[Any] = []
        if athlete is not None:
            sql += " AND s.athlete_id = ?"
            params.append(self.athlete_id(athlete))
        return tuple((int(r[0]), int(r[1])) for r in self._con.execute(sql + " ORDER BY x.id", params))

    @_db_errors
    def accept_analysis(self, analysis_id: int) -> AcceptResult:
        """Make a pending re-analysis the one whose numbers the history shows; the old one is kept as
        ``superseded``."""
        with self._write() as con:
            row = con.execute(
                "SELECT session_id, status FROM analyses WHERE id = ?", (analysis_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no analysis {analysis_id} in the history")
            session_id, status = int(row[0]), row[1]
            if status != "pending":
                raise HistoryError(f"analysis {analysis_id} is {status}, not waiting to be accepted")
            old = con.execute("SELECT analysis_id FROM sessions WHERE id = ?", (session_id,)).fetchone()[0]
            con.execute("UPDATE analyses SET status = 'superseded' WHERE id = ?", (old,))
            con.execute("UPDATE analyses SET status = 'accepted' WHERE id = ?", (analysis_id,))
            con.execute("UPDATE sessions SET analysis_id = ? WHERE id = ?", (analysis_id, session_id))
            self._summarise(con, analysis_id, session_id)
            unmatched = self._unmatched(con, analysis_id, session_id)
        return AcceptResult(session_id, analysis_id, old, unmatched)

    @_db_errors
    def discard_analysis(self, analysis_id: int) -> None:
        """Drop a pending re-analysis (the accepted numbers stay)."""
        with self._write() as con:
            row = con.execute("SELECT status FROM analyses WHERE id = ?", (analysis_id,)).fetchone()
            if row is None or row[0] != "pending":
                raise HistoryError(f"analysis {analysis_id} is not waiting to be accepted")
            for table in ("contacts", "landings", "reps", "sets", "metric_summaries"):
                con.execute(f"DELETE FROM {table} WHERE analysis_id = ?", (analysis_id,))
            con.execute("DELETE FROM analyses WHERE id = ?", (analysis_id,))

    @_db_errors
    def analyses(self, session_id: int) -> tuple[tuple[int, str, str, str], ...]:
        """(id, status, algorithm version, created) of every analysis of a session, oldest first."""
        rows = self._con.execute(
            """SELECT id, status, algorithm_version, created_utc FROM analyses WHERE session_id = ?
               ORDER BY id""",
            (session_id,),
        ).fetchall()
        return tuple((int(r[0]), r[1], r[2], r[3]) for r in rows)

    def _unmatched(self, con: sqlite3.Connection, aid: int, session_id: int) -> tuple[Correction, ...]:
        out = []
        for c in self._corrections(con, session_id):
            table, tcol = _EVENT_TABLE[c.event_kind], _EVENT_TIME[c.event_kind]
            hit = con.execute(
                f"SELECT 1 FROM {table} WHERE analysis_id = ? AND abs({tcol} - ?) < ? LIMIT 1",
                (aid, c.event_s, CORRECTION_MATCH_S),
            ).fetchone()
            if not hit:
                out.append(c)
        return tuple(out)

    # ------------------------------------------------------------------------------------- corrections
    @_db_errors
    def correct(
        self,
        session_id: int,
        event_kind: str,
        event_s: float,
        field: str,
        value: float | None,
        *,
        note: str | None = None,
    ) -> Correction:
        """Store a hand correction of one event of the session's accepted analysis.

        Parameters
        ----------
        event_kind
            ``contact``, ``landing`` or ``rep``.
        event_s
            The event's time in the recording (``landing_s``; ``start_s`` of a calf raise).
        field
            The value corrected (e.g. ``contact_time_ms``), or ``"event"`` with ``value`` ``None`` to say
            the detector found something that is no event.
        value
            The coach's value; ``None`` leaves the value out of every statistic.
        """
        if event_kind not in EVENT_COLUMNS:
            raise HistoryError(f"event kind must be contact, landing or rep, not {event_kind!r}")
        if field != "event" and field not in EVENT_COLUMNS[event_kind]:
            raise HistoryError(
                f"{field!r} is no value of a {event_kind}; one of: {', '.join(EVENT_COLUMNS[event_kind])}"
            )
        if value is not None and not math.isfinite(value):
            raise HistoryError("a corrected value must be a finite number")
        info = self.session(session_id)
        table, tcol = _EVENT_TABLE[event_kind], _EVENT_TIME[event_kind]
        with self._write() as con:
            hit = con.execute(
                f"SELECT {tcol} FROM {table} WHERE analysis_id = ? ORDER BY abs({tcol} - ?) LIMIT 1",
                (info.analysis_id, event_s),
            ).fetchone()
            if hit is None or abs(hit[0] - event_s) >= CORRECTION_MATCH_S:
                raise NotFoundError(f"session {session_id} has no {event_kind} at {event_s:.3f} s")
            event_ms = round(hit[0] * 1000)
            cur = con.execute(
                """INSERT INTO corrections(session_id, event_kind, event_ms, field, value, note, created_utc)
                   VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(session_id, event_kind, event_ms, field)
                   DO UPDATE SET value = excluded.value, note = excluded.note,
                                 created_utc = excluded.created_utc
                   RETURNING id""",
                (session_id, event_kind, event_ms, field, value, note, utc_now_iso()),
            )
            cid = int(cur.fetchone()[0])
            self._summarise(con, int(info.analysis_id or 0), session_id)
        return next(c for c in self.corrections(session_id) if c.id == cid)

    @_db_errors
    def remove_correction(self, correction_id: int) -> None:
        with self._write() as con:
            row = con.execute("SELECT session_id FROM corrections WHERE id = ?", (correction_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no correction {correction_id} in the history")
            con.execute("DELETE FROM corrections WHERE id = ?", (correction_id,))
            aid = con.execute("SELECT analysis_id FROM sessions WHERE id = ?", (row[0],)).fetchone()[0]
            self._summarise(con, aid, int(row[0]))

    @_db_errors
    def corrections(self, session_id: int) -> tuple[Correction, ...]:
        return self._corrections(self._con, session_id)

    # ------------------------------------------------------------------------------------------ queries
    @_db_errors
    def metric_values(
        self,
        athlete: str,
        metric: str | Metric,
        *,
        exercise: str | None = None,
        leg: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        min_week: int | None = None,
    ) -> MetricValues:
        """Every trial of ``metric`` in the athlete's accepted analyses, corrections applied (sessions
        from ISO week ``min_week`` on, when given)."""
        m = get_metric(metric) if isinstance(metric, str) else metric
        where, params = self._session_filter(athlete, exercise, leg, start, end, min_week=min_week)
        table, tcol = _EVENT_TABLE[m.event_kind], _EVENT_TIME[m.event_kind]
        rows = self._con.execute(
            f"""SELECT s.id, s.week_key, CASE s.leg WHEN 'left' THEN 0 WHEN 'right' THEN 1 ELSE -1 END,
                       s.started_utc_s, e.{tcol}, e.{m.column}
                FROM sessions s JOIN {table} e ON e.analysis_id = s.analysis_id
                WHERE {where} AND ({m.trial_sql}) AND e.{m.column} IS NOT NULL
                ORDER BY s.started_utc_s, s.id, e.{tcol}""",
            params,
        ).fetchall()
        arr = np.array(rows, dtype=float).reshape(-1, 6)
        sid = arr[:, 0].astype(np.int64)
        value = arr[:, 5].copy()
        # Corrections are few; apply them per corrected session.
        corr_rows = self._con.execute(
            f"""SELECT c.id, c.session_id, c.event_kind, c.event_ms, c.field, c.value, c.note, c.created_utc
                FROM corrections c JOIN sessions s ON s.id = c.session_id WHERE {where}""",
            params,
        ).fetchall()
        if corr_rows:
            by_session: dict[int, list[Correction]] = {}
            for r in corr_rows:
                by_session.setdefault(int(r[1]), []).append(_correction(r))
            for session_id, corr in by_session.items():
                idx = np.flatnonzero(sid == session_id)
                if idx.size:
                    _, value[idx] = _apply_corrections(arr[idx, 4], value[idx], m, corr)
        keep = np.isfinite(value)
        return MetricValues(
            metric=m,
            session_id=sid[keep],
            week_key=arr[keep, 1].astype(np.int64),
            leg=arr[keep, 2].astype(np.int64),
            started_utc_s=arr[keep, 3],
            value=value[keep],
        )

    @_db_errors
    def session_summaries(
        self, metric: str | Metric, *, exercise: str | None, leg: str | None = None
    ) -> SessionSummaryRows:
        """Per accepted session of every athlete: n, mean, m2 of a metric (for the squad's spread)."""
        m = get_metric(metric) if isinstance(metric, str) else metric
        where, params = self._session_filter(None, exercise, leg, None, None)
        rows = self._con.execute(
            f"""SELECT s.athlete_id, CASE s.leg WHEN 'left' THEN 0 WHEN 'right' THEN 1 ELSE -1 END,
                       ms.n, ms.mean, ms.m2
                FROM sessions s JOIN metric_summaries ms ON ms.metric = ? AND ms.analysis_id = s.analysis_id
                WHERE {where} ORDER BY s.started_utc_s, s.id""",
            [m.name, *params],
        ).fetchall()
        arr = np.array(rows, dtype=float).reshape(-1, 5)
        return SessionSummaryRows(
            athlete_id=arr[:, 0].astype(np.int64),
            leg=arr[:, 1].astype(np.int64),
            n=arr[:, 2].astype(np.int64),
            mean=arr[:, 3],
            m2=arr[:, 4],
        )

    @_db_errors
    def load_rows(
        self, athlete: str, *, start: datetime | None = None, end: datetime | None = None
    ) -> tuple[tuple[int, float, int, str | None, int, int], ...]:
        """Per session: id, start (Unix s), week key, exercise, contacts, full calf raises."""
        where, params = self._session_filter(athlete, None, None, start, end)
        rows = self._con.execute(
            f"""SELECT s.id, s.started_utc_s, s.week_key, s.exercise,
                       (SELECT count(*) FROM contacts c WHERE c.analysis_id = s.analysis_id),
                       (SELECT count(*) FROM reps p WHERE p.analysis_id = s.analysis_id AND p.partial = 0)
                FROM sessions s WHERE {where} ORDER BY s.started_utc_s, s.id""",
            params,
        ).fetchall()
        return tuple((int(r[0]), float(r[1]), int(r[2]), r[3], int(r[4]), int(r[5])) for r in rows)

    @_db_errors
    def events(self, session_id: int, kind: str) -> tuple[dict[str, Any], ...]:
        """The accepted analysis's events of one kind, with the corrected values beside (``*_corrected``)."""
        info = self.session(session_id)
        cols = EVENT_COLUMNS[kind]
        rows = self._con.execute(
            f"SELECT {', '.join(cols)} FROM {_EVENT_TABLE[kind]} WHERE analysis_id = ? ORDER BY idx",
            (info.analysis_id,),
        ).fetchall()
        corr = [c for c in self.corrections(session_id) if c.event_kind == kind]
        tcol = _EVENT_TIME[kind]
        out = []
        for r in rows:
            d = dict(zip(cols, r, strict=True))
            for c in corr:
                if abs(d[tcol] - c.event_s) < CORRECTION_MATCH_S:
                    d[f"{c.field}_corrected"] = c.value
            out.append(d)
        return tuple(out)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (exports, benchmarks). Writes go through the methods above."""
        try:
            return self._con.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc

    def bulk_write(self) -> Any:
        """A write transaction on the raw connection, for generating large test histories."""
        return self._write()


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration script, comments removed (they may hold semicolons)."""
    text = "\n".join(re.sub(r"--.*$", "", line) for line in script.splitlines())
    return [st for st in text.split(";") if st.strip()]


def _correction(r: Sequence[Any]) -> Correction:
    return Correction(
        id=int(r[0]),
        session_id=int(r[1]),
        event_kind=r[2],
        event_s=r[3] / 1000.0,
        field=r[4],
        value=r[5],
        note=r[6],
        created_utc=r[7],
    )


def _apply_corrections(
    t: np.ndarray, v: np.ndarray, metric: Metric, corrections: Sequence[Correction]
) -> tuple[np.ndarray, np.ndarray]:
    """Values with the coach's corrections: a corrected value replaces the algorithm's, ``None`` (or a
    correction saying "no event") leaves the trial out (NaN)."""
    if not corrections or t.size == 0 or metric.event_kind == "set":
        return t, v
    v = v.copy()
    for c in corrections:
        if c.event_kind != metric.event_kind or c.field not in ("event", metric.column):
            continue
        i = int(np.argmin(np.abs(t - c.event_s)))
        if abs(t[i] - c.event_s) >= CORRECTION_MATCH_S:
            continue
        v[i] = np.nan if (c.field == "event" or c.value is None) else c.value
    return t, v


def _session_info(r: Sequence[Any]) -> SessionInfo:
    return SessionInfo(
        id=int(r[0]),
        athlete=r[1],
        started_at=r[2],
        week_key=int(r[3]),
        date_source=r[4],
        exercise=r[5],
        leg=r[6],
        device=r[7],
        surface=r[8],
        shoes=r[9],
        notes=r[10],
        duration_s=r[11],
        sample_rate_hz=r[12],
        file_name=r[13],
        sha256=r[14],
        analysis_id=r[15],
        algorithm_version=r[16],
        n_contacts=int(r[17]),
        n_landings=int(r[18]),
        n_reps=int(r[19]),
        has_pending=bool(r[20]),
    )


def started_from_unix(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC).astimezone()
