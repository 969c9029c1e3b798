"""Session bundles: one file with a session's raw recording, its analysis and metadata, to carry a session
from the runner's laptop to the coach's history without duplicates."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from imu_app.history._errors import HistoryError
from imu_app.history._export import safe_file_name
from imu_app.history._importing import sha256_of
from imu_app.history._store import HistoryStore, SessionInfo

__all__ = ["BUNDLE_FORMAT", "BUNDLE_SUFFIX", "import_bundle", "write_bundle"]

BUNDLE_FORMAT = "imu-app.bundle/1"
BUNDLE_SUFFIX = ".imubundle"
_MANIFEST = "bundle.json"
#: Largest member read from a bundle (bytes, uncompressed): an hour at 1666 Hz as native CSV is ~400 MB.
MAX_MEMBER_BYTES = 1 << 30


def write_bundle(store: HistoryStore, session_id: int, path: str | Path, *, force: bool = False) -> Path:
    """Write session ``session_id`` as a bundle: a zip holding ``bundle.json`` (format, athlete, session
    metadata, the accepted analysis in the report's JSON form, hand corrections) and ``recording/NAME``
    (the recording's exact bytes, whose SHA-256 the manifest states)."""
    out = Path(path)
    if out.exists() and not force:
        raise HistoryError(f"{out} exists; pass --force to overwrite it")
    info = store.session(session_id)
    name, raw = store.raw_recording(session_id)
    member = "recording/" + safe_file_name(Path(name).name, fallback="recording.csv")
    manifest = {
        "format": BUNDLE_FORMAT,
        "athlete": info.athlete,
        "session": {
            k: v
            for k, v in dataclasses.asdict(info).items()
            if k
            in (
                "started_at",
                "date_source",
                "exercise",
                "leg",
                "device",
                "surface",
                "shoes",
                "notes",
            )
        },
        "recording": {"member": member, "file_name": name, "sha256": sha256_of(raw), "size_bytes": len(raw)},
        "analysis": store.report_dict(session_id),
        "corrections": [
            {k: getattr(c, k) for k in ("event_kind", "event_s", "field", "value", "note", "created_utc")}
            for c in store.corrections(session_id)
        ],
    }
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_MANIFEST, json.dumps(manifest, indent=1, allow_nan=False))
        zf.writestr(member, raw)
    tmp.replace(out)
    return out


def _read(zf: zipfile.ZipFile, member: str, path: Path) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise HistoryError(f"{path}: not a complete session bundle ({member} missing)") from None
    if info.file_size > MAX_MEMBER_BYTES:
        raise HistoryError(f"{path}: {member} is larger than a recording can be; not imported")
    return zf.read(member)


def import_bundle(store: HistoryStore, path: str | Path) -> tuple[SessionInfo, bool]:
    """Add the session in a bundle to the history, unless the history already holds its recording.

    The recording's bytes must match the SHA-256 in the manifest (a damaged or altered bundle is refused);
    the analysis is stored as it was on the sending computer, with its algorithm version and parameters.

    Returns
    -------
    (SessionInfo, bool)
        The session, and whether it was added (false: already there, nothing changed).
    """
    p = Path(path)
    try:
        with zipfile.ZipFile(p) as zf:
            try:
                manifest: dict[str, Any] = json.loads(_read(zf, _MANIFEST, p))
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise HistoryError(f"{p}: the bundle's {_MANIFEST} is not valid JSON") from None
            if manifest.get("format") != BUNDLE_FORMAT:
                raise HistoryError(
                    f"{p}: bundle format {manifest.get('format')!r}; this imu-app reads {BUNDLE_FORMAT}"
                )
            rec = manifest["recording"]
            raw = _read(zf, str(rec["member"]), p)
    except zipfile.BadZipFile:
        raise HistoryError(f"{p}: not a session bundle (not a zip file, or damaged)") from None
    except (KeyError, TypeError):
        raise HistoryError(f"{p}: the bundle's {_MANIFEST} lacks the recording's details") from None
    digest = sha256_of(raw)
    if digest != rec.get("sha256"):
        raise HistoryError(
            f"{p}: the recording in the bundle does not match its checksum (damaged); not imported"
        )
    known = store.find_recording(digest)
    if known is not None:
        return known, False
    s = manifest.get("session", {})
    try:
        started = datetime.fromisoformat(str(s["started_at"]))
    except (KeyError, ValueError):
        raise HistoryError(f"{p}: the bundle's session has no valid start time") from None
    if started.tzinfo is None:
        started = started.astimezone()
    return store.add_session(
        athlete=str(manifest.get("athlete") or ""),
        report=manifest["analysis"],
        started_at=started,
        date_source=str(s.get("date_source") or "bundle"),
        sha256=digest,
        raw=raw,
        file_name=str(rec.get("file_name") or "recording.csv"),
        source_path=str(p.resolve()),
        exercise=s.get("exercise"),
        leg=s.get("leg"),
        device=s.get("device"),
        surface=s.get("surface"),
        shoes=s.get("shoes"),
        notes=s.get("notes"),
        corrections=manifest.get("corrections", []),
    )
