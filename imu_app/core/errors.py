"""The project's own error types.

Every error a user can cause (a bad file, a bad option, a sensor that says something unexpected) is an
:class:`ImuAppError`, so the command line can print its message without a traceback and exit non-zero.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["AnalysisError", "ImuAppError", "ProtocolError", "RecordingFormatError", "SimulationError"]


class ImuAppError(Exception):
    """Base class of every error a user can act on."""


class RecordingFormatError(ImuAppError):
    """A recording file is malformed; says which file, where, and what is wrong.

    Parameters
    ----------
    path
        The file (``None`` for in-memory text).
    message
        What is wrong, phrased so that the user can fix it.
    line, column
        1-based position of the fault in the file, when it has one. ``column`` counts CSV fields, not
        characters, because that is what a person sees in a spreadsheet.
    """

    def __init__(
        self,
        path: str | Path | None,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        column_name: str | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.message = message
        self.line = line
        self.column = column
        self.column_name = column_name
        super().__init__(str(self))

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "<input>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
            if self.column_name:
                where += f" ({self.column_name})"
        return f"{where}: {self.message}"


class AnalysisError(ImuAppError):
    """Analysis input or parameters are unusable (e.g. too short, sample rate out of range)."""


class SimulationError(ImuAppError):
    """Simulator options are inconsistent or out of range."""


class ProtocolError(ImuAppError):
    """A sensor sent bytes that do not follow its protocol (or a packet to send cannot be encoded).

    The message names the packet type and says, in plain words, what is wrong with it and where (byte
    offset), so that a log line is enough to tell a firmware bug from a radio fault.
    """
