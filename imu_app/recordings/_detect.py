"""Which tool wrote a file, told from its header."""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

from imu_app.core import RecordingFormatError
from imu_app.recordings._importers import match_mbientlab, match_phyphox, match_polar, parse_generic
from imu_app.recordings._native import MAGIC_LINE
from imu_app.recordings._sniff import HEAD_BYTES, check_text, read_head
from imu_app.recordings._tables import Header, parse_header

__all__ = ["FORMATS", "Sniffed", "detect_format", "sniff"]

#: Formats :func:`imu_app.recordings.load` reads, in the order detection tries them.
FORMATS: tuple[str, ...] = ("native", "mbientlab", "polar", "phyphox", "generic")

_EXAMPLES = {
    "native": "first line '# imu-app recording'",
    "mbientlab": "MbientLab MetaBase CSV: epoch (ms),timestamp (+0000),elapsed (s),x-axis (g),...",
    "polar": "Polar Sensor Logger: Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]",
    "phyphox": 'phyphox CSV: "Time (s)","Acceleration x (m/s^2)",... or "Gyroscope x (rad/s)"',
    "generic": "CSV with a time column and x/y/z columns with units in their names, e.g. "
    "time (s),acc_x (m/s^2),acc_y (m/s^2),acc_z (m/s^2) or timestamp_ms,ax_g,ay_g,az_g",
}


@dataclass(frozen=True)
class Sniffed:
    """A file's format and its header (``None`` for the native format, which its own reader parses)."""

    fmt: str
    header: Header | None = None


def sniff(path: Path) -> Sniffed:
    """Detect the format of ``path`` and read its header; a :class:`RecordingFormatError` if none fits."""
    head = read_head(path)
    if not head:
        raise RecordingFormatError(path, "file is empty (0 bytes); it holds no recording")
    final = len(head) < HEAD_BYTES
    text = check_text(path, head, final=final)
    lines = text.split("\n")
    if lines[0].strip() == MAGIC_LINE:
        return Sniffed("native")
    if not final and len(lines) > 1:
        lines = lines[:-1]  # the head may end inside a line
    header_idx = next(
        (i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None
    )
    if header_idx is None:
        raise RecordingFormatError(path, "holds no header row, only comments or blank lines; " + _supported())
    header = parse_header(lines, header_idx, bom=head.startswith(codecs.BOM_UTF8))
    names = list(header.names)
    if header.line == 1:
        for fmt, match in (
            ("mbientlab", match_mbientlab),
            ("polar", match_polar),
            ("phyphox", match_phyphox),
        ):
            if match(names):
                return Sniffed(fmt, header)
    try:
        parse_generic(path, header)
    except RecordingFormatError as exc:
        raise RecordingFormatError(
            path,
            f"unknown file layout (header {lines[header_idx].strip()[:100]!r}); as a generic CSV: "
            f"{exc.message}. " + _supported(),
            line=header.line,
            column=exc.column,
            column_name=exc.column_name,
        ) from None
    return Sniffed("generic", header)


def _supported() -> str:
    return "Formats supported: " + "; ".join(f"{name} ({_EXAMPLES[name]})" for name in FORMATS)


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return the name (one of :data:`FORMATS`) of the format of ``path``, judged from its header.

    Raises
    ------
    RecordingFormatError
        Naming the file, when it is not text or no supported layout matches; the message lists the formats
        supported with an example header of each.
    """
    return sniff(Path(path)).fmt
