"""CSV and JSON exports of an athlete's history, written only inside the folder the user chose."""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import json
import math
import os
import re
import unicodedata
from pathlib import Path
from typing import Any

from imu_app.history._errors import HistoryError
from imu_app.history._metrics import metrics_for_exercise
from imu_app.history._store import EVENT_COLUMNS, HistoryStore
from imu_app.history._views import compare_weeks, load_report, symmetry

__all__ = ["EXPORT_SCHEMA", "MAX_NAME_BYTES", "export_athlete", "safe_file_name", "safe_path"]

EXPORT_SCHEMA = "imu-app.history-export/1"
#: Longest file-name component written (bytes of UTF-8): below the 255 of common file systems, leaving
#: room for a suffix.
MAX_NAME_BYTES = 120
#: Names Windows reserves for devices, with or without an extension.
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(10)}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_file_name(text: str, *, fallback: str = "unnamed") -> str:
    """A single, portable file-name component made from what someone typed.

    Path separators, NUL and other control characters and the characters Windows forbids become ``_``;
    leading dots and trailing dots and spaces go (so ``..`` and hidden names cannot result); Windows'
    device names (``CON``, ``com1.txt``) get a ``_`` prefix; the result is cut to
    :data:`MAX_NAME_BYTES` bytes of UTF-8 without splitting a character. An empty result is ``fallback``.
    """
    name = unicodedata.normalize("NFC", text)
    name = _UNSAFE.sub("_", name)
    name = name.strip().lstrip(".").rstrip(". ")
    name = re.sub(r"_+", "_", name)
    if name.split(".")[0].strip().upper() in _WINDOWS_RESERVED:
        name = "_" + name
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(". ")
    if not name or name in (".", ".."):
        name = fallback
    return name


def safe_path(folder: Path, name: str) -> Path:
    """``folder / safe_file_name(name)``, checked to lie directly inside ``folder`` and not to be a link
    that points elsewhere."""
    base = folder.resolve()
    target = base / safe_file_name(name)
    if target.parent != base:
        raise HistoryError(f"refusing to write {target}: outside the folder {base}")
    if target.is_symlink():
        raise HistoryError(f"refusing to write through the link {target}; remove it or choose another folder")
    return target


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(round(value, 6))
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, so a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def _write_csv(folder: Path, name: str, header: list[str], rows: list[list[Any]]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows([[_cell(v) for v in r] for r in rows])
    path = safe_path(folder, name)
    _write_text(path, buf.getvalue())
    return path


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value


def export_athlete(store: HistoryStore, athlete: str, folder: str | Path) -> tuple[Path, ...]:
    """Write everything the history holds of ``athlete`` as CSV files and one JSON file.

    The files go into ``folder/<athlete's name, made safe>/`` (created); nothing is written anywhere
    else, whatever the name holds (``../``, slashes, NUL, device names, hundreds of characters).

    Returns
    -------
    tuple of Path
        The files written.
    """
    base = Path(folder)
    if base.exists() and not base.is_dir():
        raise HistoryError(f"{base} is a file; give a folder to export into")
    base.mkdir(parents=True, exist_ok=True)
    sessions = store.sessions(athlete)
    name = sessions[0].athlete if sessions else athlete
    out = safe_path(base, name)
    out.mkdir(exist_ok=True)
    written: list[Path] = []

    s_fields = [f.name for f in dataclasses.fields(sessions[0])] if sessions else ["id"]
    written.append(
        _write_csv(out, "sessions.csv", s_fields, [[getattr(s, f) for f in s_fields] for s in sessions])
    )
    for kind, file_name in (
        ("contact", "contacts.csv"),
        ("landing", "landings.csv"),
        ("rep", "calf_raises.csv"),
    ):
        cols = list(EVENT_COLUMNS[kind])
        rows = []
        corrected_fields = sorted(
            {
                f"{c.field}_corrected"
                for s in sessions
                for c in store.corrections(s.id)
                if c.event_kind == kind
            }
        )
        for s in sessions:
            for e in store.events(s.id, kind):
                d = {"session_id": s.id, **e}
                rows.append([d.get(k) for k in ["session_id", *cols, *corrected_fields]])
        written.append(_write_csv(out, file_name, ["session_id", *cols, *corrected_fields], rows))
    corr = [c for s in sessions for c in store.corrections(s.id)]
    c_fields = ["id", "session_id", "event_kind", "event_s", "field", "value", "note", "created_utc"]
    written.append(
        _write_csv(out, "corrections.csv", c_fields, [[getattr(c, f) for f in c_fields] for c in corr])
    )

    comparisons = []
    week_rows = []
    for exercise, leg in store.exercises(name) if sessions else ():
        for m in metrics_for_exercise(exercise):
            cmp = compare_weeks(store, name, exercise, m, leg=leg, weeks=10_000)
            if not cmp.rows:
                continue
            comparisons.append(cmp)
            for r in cmp.rows:
                st = r.stats
                week_rows.append(
                    [
                        exercise,
                        leg,
                        m.name,
                        st.week,
                        st.n_sessions,
                        st.n,
                        st.mean,
                        st.sd,
                        st.median,
                        r.change,
                        r.noise_limit,
                        cmp.noise.typical_error,
                        cmp.noise.swc,
                        cmp.noise.swc_basis.value,
                        r.verdict.value,
                        r.words,
                    ]
                )
    written.append(
        _write_csv(
            out,
            "weeks.csv",
            [
                "exercise",
                "leg",
                "metric",
                "week",
                "sessions",
                "n",
                "mean",
                "sd",
                "median",
                "change",
                "noise_limit",
                "typical_error",
                "swc",
                "swc_basis",
                "verdict",
                "words",
            ],
            week_rows,
        )
    )
    sym = symmetry(store, name) if sessions else ()
    written.append(
        _write_csv(
            out,
            "symmetry.csv",
            [
                "exercise",
                "metric",
                "left_mean",
                "right_mean",
                "n_left",
                "n_right",
                "lsi_percent",
                "weaker_leg",
                "flagged",
            ],
            [
                [
                    r.exercise,
                    r.metric.name,
                    r.left_mean,
                    r.right_mean,
                    r.n_left,
                    r.n_right,
                    r.lsi_percent,
                    r.weaker_leg,
                    r.flagged,
                ]
                for r in sym
            ],
        )
    )
    load = load_report(store, name) if sessions else None
    if load is not None:
        lw = [f.name for f in dataclasses.fields(load.weeks[0])] if load.weeks else ["week"]
        written.append(
            _write_csv(out, "load_weeks.csv", lw, [[getattr(w, f) for f in lw] for w in load.weeks])
        )
        rw = ["first_at", "second_at", "hours_apart", "words"]
        written.append(
            _write_csv(out, "rest_warnings.csv", rw, [[getattr(w, f) for f in rw] for w in load.warnings])
        )
    doc = {
        "schema": EXPORT_SCHEMA,
        "athlete": name,
        "sessions": [
            {
                **_plain(s),
                "analysis": store.report_dict(s.id),
                "corrections": _plain(store.corrections(s.id)),
            }
            for s in sessions
        ],
        "week_comparisons": [
            {
                "exercise": c.exercise,
                "leg": c.leg,
                "metric": c.metric.name,
                "noise": _plain(c.noise),
                "trend_per_week": c.trend_per_week,
                "weeks": _plain(c.rows),
            }
            for c in comparisons
        ],
        "symmetry": [{**_plain(r), "metric": r.metric.name} for r in sym],
        "load": _plain(load),
        "noise_method": {
            "typical_error": "pooled within-session SD of repeated trials (Hopkins 2000)",
            "swc": "0.2 x between-athlete SD with 5 or more athletes, else 0.2 x the athlete's "
            "between-session SD",
            "change_rule": "|change| > SWC and |change| > 1.645 x TE x sqrt(1/n1 + 1/n2)",
        },
    }
    path = safe_path(out, "history.json")
    _write_text(path, json.dumps(doc, indent=1, allow_nan=False, default=str) + "\n")
    written.append(path)
    return tuple(written)
