"""The history database's schema and its migrations.

The schema version is SQLite's ``PRAGMA user_version``; the file is marked as ours by
``PRAGMA application_id`` so that another program's database is recognised and never written to. Each
migration takes the database from version ``n - 1`` to ``n`` inside one transaction; a database at a
version above :data:`SCHEMA_VERSION` was written by a newer imu-app and is refused.
"""

from __future__ import annotations

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION"]

#: ``PRAGMA application_id`` of an imu-app history: the ASCII bytes "IMUH" as a big-endian integer.
APPLICATION_ID = int.from_bytes(b"IMUH", "big")

_V1 = """
CREATE TABLE athletes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_utc TEXT NOT NULL
);

-- One recording as it was on disk, known by the SHA-256 of its bytes: importing the same file twice finds
-- it here and adds nothing. The raw bytes are kept (zlib-compressed) so that a session can be re-analysed
-- and bundled after the original file has moved.
CREATE TABLE recordings (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    file_name     TEXT NOT NULL,
    source_path   TEXT,
    source_format TEXT,
    size_bytes    INTEGER NOT NULL,
    raw_zlib      BLOB
);

CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    athlete_id      INTEGER NOT NULL REFERENCES athletes(id),
    recording_id    INTEGER UNIQUE REFERENCES recordings(id),
    started_at      TEXT NOT NULL,      -- ISO 8601 with the UTC offset of the place it was recorded
    started_utc_s   REAL NOT NULL,      -- the same instant as Unix seconds, for ordering and rest times
    week_key        INTEGER NOT NULL,   -- ISO year * 100 + ISO week of the local date
    date_source     TEXT NOT NULL,      -- recording | option | file_mtime | app
    exercise        TEXT,
    leg             TEXT,
    device          TEXT,
    surface         TEXT,
    shoes           TEXT,
    notes           TEXT,
    duration_s      REAL,
    sample_rate_hz  REAL,
    imported_utc    TEXT NOT NULL,
    analysis_id     INTEGER             -- the accepted analysis whose numbers the views show
);
-- Covering indexes: the week comparison finds an athlete's sessions of one exercise and leg by week, and
-- the squad's spread every athlete's sessions of one exercise and leg, without reading the table rows.
CREATE INDEX sessions_by_athlete ON sessions(athlete_id, exercise, leg, week_key, started_utc_s, analysis_id);
CREATE INDEX sessions_by_exercise ON sessions(exercise, leg, athlete_id, started_utc_s, analysis_id);

-- Every analysis of a session that was kept: the accepted one, a newer one waiting for the coach, and
-- older ones that were replaced (status superseded), with the algorithm's name, version and parameters.
CREATE TABLE analyses (
    id              INTEGER PRIMARY KEY,
    session_id      INTEGER NOT NULL REFERENCES sessions(id),
    status          TEXT NOT NULL CHECK (status IN ('accepted', 'pending', 'superseded')),
    algorithm_name  TEXT NOT NULL,
    algorithm_version TEXT NOT NULL,
    parameters_json TEXT NOT NULL,
    report_schema   TEXT NOT NULL,
    warnings_json   TEXT NOT NULL,
    created_utc     TEXT NOT NULL
);
CREATE INDEX analyses_by_session ON analyses(session_id, status);

CREATE TABLE sets (
    analysis_id  INTEGER NOT NULL REFERENCES analyses(id),
    set_index    INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    start_s      REAL NOT NULL,
    end_s        REAL NOT NULL,
    count        INTEGER NOT NULL,
    stats_json   TEXT NOT NULL,
    notes_json   TEXT NOT NULL,
    PRIMARY KEY (analysis_id, set_index)
) WITHOUT ROWID;

CREATE TABLE contacts (
    analysis_id          INTEGER NOT NULL REFERENCES analyses(id),
    idx                  INTEGER NOT NULL,
    set_index            INTEGER,
    kind                 TEXT NOT NULL,
    role                 TEXT,
    complete             INTEGER NOT NULL,
    landing_s            REAL NOT NULL,
    takeoff_s            REAL,
    contact_time_ms      REAL,
    flight_time_ms       REAL,
    jump_height_cm       REAL,
    next_flight_time_ms  REAL,
    next_jump_height_cm  REAL,
    rsi                  REAL,
    flight_contact_ratio REAL,
    swing_time_ms        REAL,
    PRIMARY KEY (analysis_id, idx)
) WITHOUT ROWID;

CREATE TABLE landings (
    analysis_id             INTEGER NOT NULL REFERENCES analyses(id),
    idx                     INTEGER NOT NULL,
    set_index               INTEGER,
    landing_s               REAL NOT NULL,
    stabilised_s            REAL,
    time_to_stabilisation_s REAL,
    hold_s                  REAL NOT NULL,
    hold_target_s           REAL NOT NULL,
    hold_target_met         INTEGER NOT NULL,
    ended_by                TEXT NOT NULL,
    sway_gyr_rms_dps        REAL,
    sway_acc_rms_g          REAL,
    window_s                REAL,
    PRIMARY KEY (analysis_id, idx)
) WITHOUT ROWID;

CREATE TABLE reps (
    analysis_id    INTEGER NOT NULL REFERENCES analyses(id),
    idx            INTEGER NOT NULL,
    set_index      INTEGER,
    start_s        REAL NOT NULL,
    top_s          REAL NOT NULL,
    lower_s        REAL NOT NULL,
    bottom_s       REAL NOT NULL,
    end_s          REAL NOT NULL,
    concentric_s   REAL NOT NULL,
    top_hold_s     REAL NOT NULL,
    eccentric_s    REAL NOT NULL,
    bottom_pause_s REAL NOT NULL,
    range_deg      REAL,
    partial        INTEGER NOT NULL,
    knee           TEXT,
    PRIMARY KEY (analysis_id, idx)
) WITHOUT ROWID;

-- Per analysis and metric: the trials' count, mean and sum of squared deviations (corrections applied),
-- so that the typical error and the squad's between-athlete spread come from a few thousand rows rather
-- than millions of events.
CREATE TABLE metric_summaries (
    analysis_id INTEGER NOT NULL REFERENCES analyses(id),
    metric      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    mean        REAL NOT NULL,
    m2          REAL NOT NULL,
    PRIMARY KEY (metric, analysis_id)
) WITHOUT ROWID;

-- A coach's hand correction of one event, kept beside the algorithm's value (which is never changed).
-- The event is named by its kind and its time in the recording (landing_s, or start_s of a calf raise,
-- to the millisecond) rather than by its index, so that it still finds its event after a re-analysis.
-- ``field`` is a column of that event's table, or 'event' to say it is no event at all; ``value`` NULL
-- means "leave this value out".
CREATE TABLE corrections (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES sessions(id),
    event_kind  TEXT NOT NULL CHECK (event_kind IN ('contact', 'landing', 'rep')),
    event_ms    INTEGER NOT NULL,
    field       TEXT NOT NULL,
    value       REAL,
    note        TEXT,
    created_utc TEXT NOT NULL,
    UNIQUE (session_id, event_kind, event_ms, field)
);
"""

#: ``MIGRATIONS[n - 1]`` takes the database from version ``n - 1`` to ``n``.
MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)
