"""The app's settings and their persistence (``QSettings``): units, cues, analysis thresholds, geometry."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

__all__ = ["AppSettings", "default_recordings_dir", "load_settings", "save_settings"]


def default_recordings_dir() -> Path:
    """``$XDG_DATA_HOME/imu-app/recordings``, else ``~/.local/share/imu-app/recordings``: beside the
    history, in the user's data folder."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "imu-app" / "recordings"


@dataclass(frozen=True)
class AppSettings:
    """What the user chose in Settings.

    Attributes
    ----------
    height_unit
        ``"cm"`` or ``"in"`` for jump heights.
    cue_volume
        0-100.
    muted
        No sound cues.
    hold_target_s
        Landing hold the analysis judges against; 0 means each exercise's own.
    metronome
        Beat the calf-raise tempo in guided sets.
    rest_s
        Rest between guided sets.
    athlete
        Whose sessions the app records when Guided training names nobody; empty: nobody known.
    recordings_dir
        Where the app records; empty: :func:`default_recordings_dir`.
    """

    height_unit: str = "cm"
    cue_volume: int = 70
    muted: bool = False
    hold_target_s: float = 0.0
    metronome: bool = True
    rest_s: float = 60.0
    athlete: str = ""
    recordings_dir: str = ""

    @property
    def recordings_folder(self) -> Path:
        return Path(self.recordings_dir).expanduser() if self.recordings_dir else default_recordings_dir()

    def height(self, cm: float | None) -> str:
        if cm is None:
            return "-"
        return f"{cm / 2.54:.1f} in" if self.height_unit == "in" else f"{cm:.1f} cm"


def load_settings(store: QSettings) -> AppSettings:
    """The stored settings; a missing or unreadable value keeps its default."""
    values = {}
    for f in dataclasses.fields(AppSettings):
        raw = store.value(f"settings/{f.name}")
        if raw is None:
            continue
        try:
            if f.type == "bool":
                values[f.name] = raw in (True, "true", "1", 1)
            elif f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "float":
                values[f.name] = float(raw)
            else:
                values[f.name] = str(raw)
        except (TypeError, ValueError):
            continue
    s = AppSettings(**values)
    if s.height_unit not in ("cm", "in"):
        s = dataclasses.replace(s, height_unit="cm")
    return s


def save_settings(store: QSettings, settings: AppSettings) -> None:
    for f in dataclasses.fields(AppSettings):
        store.setValue(f"settings/{f.name}", getattr(settings, f.name))
    store.sync()
