"""Errors of the history store, each phrased so that a coach can act on it."""

from __future__ import annotations

from pathlib import Path

from imu_app.core import ImuAppError

__all__ = [
    "DamagedDatabaseError",
    "ForeignDatabaseError",
    "HistoryError",
    "NewerDatabaseError",
    "NotFoundError",
]


class HistoryError(ImuAppError):
    """Something the history store cannot do with what it was given (unknown athlete, bad date, ...)."""


class NotFoundError(HistoryError):
    """An athlete, session or analysis that the history does not hold."""


class _DatabaseFileError(HistoryError):
    """A database file that cannot be used; the file is left exactly as it was."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {message}")


class ForeignDatabaseError(_DatabaseFileError):
    """The file is not an imu-app history (another program's database, or not a database at all)."""


class NewerDatabaseError(_DatabaseFileError):
    """The file was written by a newer imu-app whose schema this version does not know."""


class DamagedDatabaseError(_DatabaseFileError):
    """The file is an SQLite database that SQLite reports as damaged (malformed pages, truncated)."""
