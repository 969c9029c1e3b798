"""The native recording format, version 1: one self-describing UTF-8 CSV (see ``docs/recording-format.md``).

Layout::

    # imu-app recording
    # format_version: 1
    # device: ...                      (one "# key: value" line per metadata field, then any extra keys)
    t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq
    0.000000,0.012345,-0.998877,0.034567,1.2345,-0.5000,12.0000,0
    ...

The writer is built for a live session that may end at any moment: every :meth:`NativeWriter.append` hands
its complete rows to the operating system in one ``write`` call, so a process killed with SIGKILL loses
nothing it has appended, and ``fsync`` runs at least once a second so that a power cut loses at most a
second. The reader accepts such a file: a last line without its newline is the row being written when the
writer died and is dropped with a warning.

The reader is fast and precise at once: the pandas C parser reads the numbers (about 1 s for an hour at
1 kHz), the checks run vectorised over the arrays, and only when something is wrong does a line-by-line pass
over the text find the exact line and field to name in the error.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from imu_app.core import (
    ACC_UNITS,
    GYR_UNITS,
    TIME_UNITS,
    ImuAppError,
    ImuData,
    RecordingFormatError,
    RecordingMeta,
    columns,
    find_gaps,
    normalise_unit,
)
from imu_app.recordings._sniff import HEAD_BYTES, check_text, read_head

__all__ = [
    "FORMAT_VERSION",
    "MAGIC_LINE",
    "META_KEYS",
    "NativeWriter",
    "estimate_rate_hz",
    "read_native",
    "write_native",
]

logger = logging.getLogger(__name__)

#: First line of every native recording; format detection relies on it.
MAGIC_LINE = "# imu-app recording"
#: Version of the layout in ``docs/recording-format.md``; a reader refuses versions it does not know.
FORMAT_VERSION = 1
#: Metadata keys every writer emits, in this order (an unknown value is written empty).
META_KEYS = (
    "device",
    "firmware",
    "sample_rate_hz",
    "acc_range_g",
    "gyr_range_dps",
    "placement",
    "leg",
    "athlete",
    "exercise",
    "start_time",
)
_NUMERIC_META = frozenset({"sample_rate_hz", "acc_range_g", "gyr_range_dps"})
#: Extra key that keeps which tool's export a recording was imported from (``meta.source_format`` of the
#: data written), because on reading ``source_format`` says "native".
IMPORTED_FROM_KEY = "imported_from"

# Decimals written. Time: 1 us resolves 1666 Hz (600 us period) with 0.2 % error. Acceleration: 1 ug is 500x
# finer than the LSB of a 16-bit +-16 g accelerometer. Angular rate: 0.1 mdps is 600x finer than the LSB of a
# 16-bit +-2000 dps gyroscope. So rounding never hides sensor resolution, and the files stay small.
T_DECIMALS = 6
ACC_DECIMALS = 6
GYR_DECIMALS = 4

#: Least seconds between ``fsync`` calls of the streaming writer: half a second, so that with appends coming
#: at least twice a second the disk is never more than a second behind (the OS has every append at once).
FSYNC_INTERVAL_S = 0.5

_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
_META_LINE_RE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9_]*)\s*:\s?(.*)")
_QUANTITY_RE = re.compile(r"(t|acc_[xyz]|gyr_[xyz])(?:_(.+))?")
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NONFINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
_ROWS_PER_WRITE = 20_000


# --------------------------------------------------------------------------------------------------- writing


def _format_meta_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _metadata_lines(meta: RecordingMeta) -> list[str]:
    """The ``# key: value`` lines for ``meta``; raises :class:`ImuAppError` for values a line cannot hold."""
    items: list[tuple[str, object]] = [("format_version", FORMAT_VERSION)]
    items += [(key, getattr(meta, key)) for key in META_KEYS]
    extra = dict(meta.extra)
    if meta.source_format and meta.source_format != "native":
        extra.setdefault(IMPORTED_FROM_KEY, meta.source_format)
    reserved = {"format_version", "source_format", *META_KEYS}
    for key, value in extra.items():
        if not _KEY_RE.fullmatch(key):
            raise ImuAppError(
                f"metadata key {key!r} cannot be written: keys are lower-case letters, digits and '_', "
                "starting with a letter"
            )
        if key in reserved:
            raise ImuAppError(f"metadata key {key!r} is reserved; set it as a RecordingMeta field instead")
        items.append((key, value))
    lines = [MAGIC_LINE]
    for key, value in items:
        text = _format_meta_value(value)
        if "\n" in text or "\r" in text:
            raise ImuAppError(f"metadata value of {key!r} cannot be written: it contains a line break")
        lines.append(f"# {key}: {text}".rstrip())
    return lines


def _check_finite(name: str, values: np.ndarray) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        idx = int(np.flatnonzero(bad.reshape(len(values), -1).any(axis=1))[0])
        raise ImuAppError(
            f"{name} of sample {idx} is not finite ({values[idx]}); a recording holds numbers only"
        )


class NativeWriter:
    """Write a native recording while it is being recorded, so that it survives the writer being killed.

    Parameters
    ----------
    path
        File to create (an existing file is replaced).
    meta
        Metadata written at the top of the file.
    has_gyro
        Whether the recording has gyroscope columns; ``False`` for accelerometer-only sensors.
    has_seq
        Whether the recording has a packet sequence column. ``None`` decides at the first :meth:`append`
        (a ``seq`` argument there means yes).
    fsync_interval_s
        Longest time between ``fsync`` calls while appending (at least one at :meth:`close`).

    Notes
    -----
    Crash safety comes from the order of operations, not from a journal: every :meth:`append` formats whole
    rows and hands them to the OS in a single ``os.write``, so the file never ends inside a row unless the
    kernel itself stops mid-write; the reader drops such a last, unterminated line with a warning. The
    metadata lines are written when the writer opens, the header row with the first samples (it depends on
    whether sequence numbers come).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        meta: RecordingMeta,
        *,
        has_gyro: bool = True,
        has_seq: bool | None = None,
        fsync_interval_s: float = FSYNC_INTERVAL_S,
    ) -> None:
        self.path = Path(path)
        self.has_gyro = bool(has_gyro)
        self.has_seq = has_seq
        self.n_written = 0
        self._fsync_interval_s = float(fsync_interval_s)
        self._last_t: float | None = None
        self._header_written = False
        preamble = "\n".join(_metadata_lines(meta)) + "\n"
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._write(preamble)
        self._last_sync = time.monotonic()

    # The context-manager protocol closes the file even when the recording loop raises.
    def __enter__(self) -> NativeWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._fd is None

    def _write(self, text: str) -> None:
        if self._fd is None:
            raise ImuAppError(f"{self.path}: the recording writer is closed")
        view = memoryview(text.encode("utf-8"))
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def _header(self) -> str:
        names = [columns.T_S, *columns.ACC_COLUMNS]
        if self.has_gyro:
            names += columns.GYR_COLUMNS
        if self.has_seq:
            names.append(columns.SEQ)
        return ",".join(names) + "\n"

    def append(
        self,
        t_s: Iterable[float] | np.ndarray,
        acc_g: np.ndarray,
        gyr_dps: np.ndarray | None = None,
        seq: np.ndarray | None = None,
    ) -> None:
        """Append a chunk of samples; they are in the OS (safe from a crash of this process) on return.

        Parameters
        ----------
        t_s
            Sample times in s, strictly increasing and later than every sample appended before.
        acc_g
            Acceleration in g, shape ``(n, 3)``.
        gyr_dps
            Angular rate in deg/s, shape ``(n, 3)``; required when the writer has gyro, refused otherwise.
        seq
            Packet sequence numbers (non-negative integers), shape ``(n,)``.
        """
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        n = t.shape[0]
        if n == 0:
            return
        acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3) if n else np.empty((0, 3))
        if t.ndim != 1 or acc.shape != (n, 3):
            raise ImuAppError(
                f"append needs t_s of shape (n,) and acc_g of shape (n, 3); got {t.shape}, {acc.shape}"
            )
        parts = [t[:, None], acc]
        if self.has_gyro:
            if gyr_dps is None:
                raise ImuAppError("this recording has gyroscope columns: append needs gyr_dps")
            gyr = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
            if gyr.shape != (n, 3):
                raise ImuAppError(f"gyr_dps must have shape ({n}, 3), got {gyr.shape}")
            _check_finite("gyr_dps", gyr)
            parts.append(gyr)
        elif gyr_dps is not None:
            raise ImuAppError(
                "this recording was opened without gyroscope (has_gyro=False): gyr_dps not allowed"
            )
        if self.has_seq is None:
            self.has_seq = seq is not None
        if self.has_seq:
            if seq is None:
                raise ImuAppError("this recording has a seq column: append needs seq")
            seq_arr = np.asarray(seq)
            if seq_arr.shape != (n,):
                raise ImuAppError(f"seq must have shape ({n},), got {seq_arr.shape}")
            if not np.issubdtype(seq_arr.dtype, np.integer) or (seq_arr < 0).any():
                raise ImuAppError("seq must hold non-negative integers")
            parts.append(seq_arr.astype(np.float64)[:, None])
        elif seq is not None:
            raise ImuAppError("this recording was opened without a seq column: seq not allowed")
        _check_finite("t_s", t)
        _check_finite("acc_g", acc)
        t_written = np.round(t, T_DECIMALS)
        steps = np.diff(t_written, prepend=-np.inf if self._last_t is None else self._last_t)
        if not (steps > 0).all():
            idx = int(np.flatnonzero(steps <= 0)[0])
            raise ImuAppError(
                "t_s must increase strictly (by at least 1 us, the written resolution): sample "
                f"{idx} of this chunk has t_s={t[idx]!r} after {self._last_t if idx == 0 else t[idx - 1]!r}"
            )
        block = np.hstack(parts)
        row_fmt = self._row_format()
        out = [] if self._header_written else [self._header()]
        for start in range(0, n, _ROWS_PER_WRITE):
            rows = block[start : start + _ROWS_PER_WRITE]
            out.append((row_fmt * rows.shape[0]) % tuple(rows.ravel().tolist()))
        self._write("".join(out))
        self._header_written = True
        self._last_t = float(t_written[-1])
        self.n_written += n
        now = time.monotonic()
        if now - self._last_sync >= self._fsync_interval_s:
            os.fsync(self._fd)  # type: ignore[arg-type]
            self._last_sync = now

    def _row_format(self) -> str:
        fmts = [f"%.{T_DECIMALS}f"] + [f"%.{ACC_DECIMALS}f"] * 3
        if self.has_gyro:
            fmts += [f"%.{GYR_DECIMALS}f"] * 3
        if self.has_seq:
            fmts.append("%d")
        return ",".join(fmts) + "\n"

    def flush(self) -> None:
        """Force the data onto the disk (``fsync``); appended rows are already safe from a process crash."""
        if self._fd is not None:
            os.fsync(self._fd)
            self._last_sync = time.monotonic()

    def close(self) -> None:
        """Write the header row if no sample came, ``fsync`` and close. Closing twice is harmless."""
        if self._fd is None:
            return
        try:
            if not self._header_written:
                if self.has_seq is None:
                    self.has_seq = False
                self._write(self._header())
                self._header_written = True
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None


def write_native(path: str | os.PathLike[str], data: ImuData) -> None:
    """Write ``data`` as a native recording at ``path``.

    The file is written beside the target under a temporary name and renamed into place when complete, so
    an existing recording is never left half-overwritten. Values are rounded to the written precision
    (time 1 us, acceleration 1 ug, angular rate 0.1 mdps); reading the file back gives exactly those values.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        with NativeWriter(
            tmp, data.meta, has_gyro=data.has_gyro, has_seq=data.seq is not None, fsync_interval_s=math.inf
        ) as writer:
            for start in range(0, len(data), 100_000):
                stop = start + 100_000
                writer.append(
                    data.t_s[start:stop],
                    data.acc_g[start:stop],
                    None if data.gyr_dps is None else data.gyr_dps[start:stop],
                    None if data.seq is None else data.seq[start:stop],
                )
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# --------------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Column:
    """One column of the header: what it holds and the factor into the app's unit."""

    name: str
    quantity: str  # "t", "acc_x", ..., "gyr_z", "seq"
    factor: float


@dataclass(frozen=True)
class _Layout:
    """What the text before the samples says."""

    meta: dict[str, str]
    meta_lines: dict[str, int]
    header_line: int  # 1-based
    columns: tuple[_Column, ...]
    data_offset: int  # byte offset of the first data row


_UNIT_TABLES = {
    "t": ("time", TIME_UNITS),
    "acc": ("acceleration", ACC_UNITS),
    "gyr": ("angular rate", GYR_UNITS),
}
_CANONICAL_UNIT = {"t": "s", "acc": "g", "gyr": "dps"}


def _parse_column(path: Path, name: str, line: int, col: int) -> _Column:
    if name == columns.SEQ:
        return _Column(name, "seq", 1.0)
    match = _QUANTITY_RE.fullmatch(name)
    if match is None:
        raise RecordingFormatError(
            path,
            f"unknown column {name!r}; a native recording has the columns {', '.join(columns.ALL_COLUMNS)}",
            line=line,
            column=col,
            column_name=name,
        )
    quantity, unit = match.groups()
    family = quantity.split("_")[0]
    what, table = _UNIT_TABLES[family]
    canonical = f"{quantity}_{_CANONICAL_UNIT[family]}"
    if unit is None:
        raise RecordingFormatError(
            path,
            f"column {name!r} has no unit; name it {canonical!r}",
            line=line,
            column=col,
            column_name=name,
        )
    unit_key = normalise_unit(unit)
    if unit_key not in table:
        raise RecordingFormatError(
            path,
            f"unknown {what} unit {unit!r} in column {name!r}; units understood: {', '.join(table)} "
            f"(the native format writes {canonical!r})",
            line=line,
            column=col,
            column_name=name,
        )
    return _Column(name, quantity, table[unit_key])


def _parse_header(path: Path, text: str, line: int) -> tuple[_Column, ...]:
    names = [n.strip().strip('"').strip() for n in text.split(",")]
    cols: list[_Column] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if not name:
            raise RecordingFormatError(path, "empty column name in the header row", line=line, column=i)
        c = _parse_column(path, name, line, i)
        if c.quantity in seen:
            raise RecordingFormatError(
                path,
                f"column {name!r} repeats column {seen[c.quantity]} ({cols[seen[c.quantity] - 1].name})",
                line=line,
                column=i,
                column_name=name,
            )
        seen[c.quantity] = i
        cols.append(c)
    quantities = set(seen)
    required = ["t", "acc_x", "acc_y", "acc_z"]
    gyro = ["gyr_x", "gyr_y", "gyr_z"]
    if quantities & set(gyro):
        required += gyro
    missing = [q for q in required if q not in quantities]
    if missing:
        wanted = [f"{q}_{_CANONICAL_UNIT[q.split('_')[0]]}" for q in missing]
        raise RecordingFormatError(
            path,
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(wanted)} in the header row "
            f"(it has {', '.join(names)}); a recording needs t_s and three acceleration axes, and all "
            "three gyroscope axes or none",
            line=line,
        )
    return tuple(cols)


def _looks_like_data(text: str) -> bool:
    first = text.split(",", maxsplit=1)[0].strip()
    return bool(_NUMBER_RE.fullmatch(first)) or first.lower() in _NONFINITE


def _read_layout(path: Path) -> _Layout:
    head = read_head(path)
    if not head:
        raise RecordingFormatError(path, "file is empty (0 bytes); it holds no recording")
    check_text(path, head, final=len(head) < HEAD_BYTES)
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    with open(path, "rb") as fh:
        line_no = 0
        while True:
            raw = fh.readline()
            if not raw:
                raise RecordingFormatError(
                    path,
                    "no header row: the file ends after the metadata (expected a line like "
                    f"{','.join(columns.ALL_COLUMNS)})",
                    line=line_no + 1,
                )
            line_no += 1
            text = check_text(path, raw, first_line=line_no, final=True)
            stripped = text.strip()
            if line_no == 1:
                if stripped != MAGIC_LINE:
                    raise RecordingFormatError(
                        path, f"not an imu-app recording: the first line must be {MAGIC_LINE!r}", line=1
                    )
                continue
            if not stripped:
                continue
            if stripped.startswith("#"):
                match = _META_LINE_RE.fullmatch(stripped)
                if match is None:
                    raise RecordingFormatError(
                        path,
                        f"malformed metadata line {stripped[:60]!r}: expected '# key: value' with a key of "
                        "letters, digits and '_'",
                        line=line_no,
                    )
                key, value = match.group(1), match.group(2).strip()
                if key in meta:
                    raise RecordingFormatError(
                        path, f"metadata key {key!r} repeats line {meta_lines[key]}", line=line_no
                    )
                meta[key] = value
                meta_lines[key] = line_no
                continue
            if not raw.endswith(b"\n"):
                raise RecordingFormatError(
                    path,
                    "the file ends inside the header row (the recording stopped before any sample)",
                    line=line_no,
                )
            if _looks_like_data(stripped):
                raise RecordingFormatError(
                    path,
                    "no header row: this line holds numbers, but the column names "
                    f"(e.g. {','.join(columns.ALL_COLUMNS)}) must come first",
                    line=line_no,
                )
            cols = _parse_header(path, stripped, line_no)
            _check_version(path, meta, meta_lines, line_no)
            return _Layout(meta, meta_lines, line_no, cols, fh.tell())


def _check_version(path: Path, meta: dict[str, str], meta_lines: dict[str, int], header_line: int) -> None:
    version = meta.get("format_version")
    if version is None:
        raise RecordingFormatError(
            path, "metadata has no '# format_version: 1' line before the header row", line=header_line
        )
    if version != str(FORMAT_VERSION):
        raise RecordingFormatError(
            path,
            f"unsupported format_version {version!r}: this imu-app reads version {FORMAT_VERSION}"
            + ("; a newer imu-app wrote it, update imu-app" if version.isdigit() else ""),
            line=meta_lines["format_version"],
        )


def _build_meta(path: Path, layout: _Layout) -> RecordingMeta:
    known: dict[str, object] = {}
    extra: dict[str, str] = {}
    field_names = {f.name for f in fields(RecordingMeta)}
    for key, value in layout.meta.items():
        line = layout.meta_lines[key]
        if key == "format_version":
            continue
        if key == "source_format":
            extra[IMPORTED_FROM_KEY] = value
            continue
        if key not in field_names or key == "extra":
            extra[key] = value
            continue
        if value == "":
            continue
        if key in _NUMERIC_META:
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not (math.isfinite(number) and number > 0):
                raise RecordingFormatError(
                    path, f"metadata {key} must be a positive number, got {value!r}", line=line
                )
            known[key] = number
        elif key == "start_time":
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise RecordingFormatError(
                    path,
                    f"metadata start_time {value!r} is not an ISO 8601 time (e.g. 2024-05-01T09:30:00+02:00)",
                    line=line,
                ) from None
            known[key] = value
        else:
            known[key] = value
    return RecordingMeta(**known, source_format="native", extra=extra)  # type: ignore[arg-type]


def _data_end(path: Path, data_offset: int) -> tuple[int, bool]:
    """Byte offset just past the last complete data row, and whether a partial last line follows it.

    Trailing blank lines are ignored; a last line without its newline is what a killed writer leaves.
    """
    size = path.stat().st_size
    window = 4096
    while True:
        start = max(data_offset, size - window)
        with open(path, "rb") as fh:
            fh.seek(start)
            tail = fh.read(size - start)
        body = tail.rstrip(b" \t\r\n")
        if body or start == data_offset:
            break
        window *= 16
    if not body:
        return data_offset, False
    newline_after = tail.find(b"\n", len(body))
    if newline_after >= 0:
        return start + newline_after + 1, False
    last_nl = body.rfind(b"\n")
    if last_nl < 0 and start > data_offset:
        # A partial line longer than the window cannot be a row of ours; let the parser report it.
        return size, False
    return start + last_nl + 1, True


class _Limited(io.RawIOBase):
    """The byte range ``[offset, end)`` of a file, read through a file object, for the parser."""

    def __init__(self, fh: io.BufferedReader, end: int) -> None:
        self._fh = fh
        self._remaining = end - fh.tell()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._remaining)
        if n <= 0:
            return 0
        got = self._fh.readinto(memoryview(buffer)[:n])
        self._remaining -= got
        return got


def _numbers_fast(path: Path, layout: _Layout, end: int) -> np.ndarray | None:
    """Parse the rows with the pandas C parser; ``None`` when it refuses them (the slow pass says why)."""
    names = [c.name for c in layout.columns]
    with open(path, "rb") as fh:
        fh.seek(layout.data_offset)
        source = io.BufferedReader(_Limited(fh, end), buffer_size=1 << 20)
        try:
            frame = pd.read_csv(
                source,
                header=None,
                names=names,
                dtype=np.float64,
                engine="c",
                na_filter=False,
                skip_blank_lines=False,
                encoding="utf-8",
                index_col=False,
            )
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            logger.debug("%s: fast parse refused the data (%s); locating the fault", path, exc)
            return None
    values = frame.to_numpy(dtype=np.float64, copy=False)
    del frame
    return values


def _value_fault(text: str, col: _Column) -> str | None:
    """What is wrong with one field's text, or ``None`` when it is a usable number."""
    s = text.strip()
    if not s:
        return "empty value; every field of a row must hold a number"
    if s.lower() in _NONFINITE:
        return f"value {s!r} is not a finite number; the recording must hold measured values only"
    if not _NUMBER_RE.fullmatch(s):
        return f"value {s[:40]!r} is not a number"
    if not math.isfinite(float(s)):
        return f"value {s!r} overflows a 64-bit float"
    if col.quantity == "seq":
        v = float(s)
        if v < 0 or not v.is_integer():
            return f"sequence number {s!r} is not a non-negative whole number"
    return None


def _time_fault(prev: float, cur: float, col: _Column) -> str | None:
    if cur < prev:
        return f"time goes backwards: {col.name} = {cur!r} after {prev!r} on the line before"
    if cur == prev:
        return f"time repeats: {col.name} = {cur!r} again; each sample needs its own time"
    return None


def _iter_lines(path: Path, start: int, end: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = end - start
        while remaining > 0:
            raw = fh.readline(remaining)
            if not raw:
                return
            remaining -= len(raw)
            yield raw


def _locate_fault(path: Path, layout: _Layout, end: int) -> RecordingFormatError | None:
    """Walk the rows as text and return an error for the first fault, with its line and field."""
    cols = layout.columns
    n = len(cols)
    t_idx = next(i for i, c in enumerate(cols) if c.quantity == "t")
    prev_t: float | None = None
    line = layout.header_line
    for raw in _iter_lines(path, layout.data_offset, end):
        line += 1
        text = check_text(path, raw, first_line=line, final=True).rstrip("\r\n")
        if not text.strip():
            return RecordingFormatError(path, "empty row in the middle of the samples", line=line)
        parts = text.split(",")
        if len(parts) < n:
            missing = cols[len(parts)]
            return RecordingFormatError(
                path,
                f"row has {len(parts)} fields but the header has {n}: {missing.name} and after are missing",
                line=line,
                column=len(parts) + 1,
                column_name=missing.name,
            )
        if len(parts) > n:
            return RecordingFormatError(
                path,
                f"row has {len(parts)} fields but the header has {n}: "
                f"unexpected value {parts[n].strip()[:40]!r}",
                line=line,
                column=n + 1,
            )
        for j, (part, col) in enumerate(zip(parts, cols, strict=True)):
            fault = _value_fault(part, col)
            if fault:
                return RecordingFormatError(path, fault, line=line, column=j + 1, column_name=col.name)
        t = float(parts[t_idx])
        if prev_t is not None and (fault := _time_fault(prev_t, t, cols[t_idx])):
            return RecordingFormatError(
                path, fault, line=line, column=t_idx + 1, column_name=cols[t_idx].name
            )
        prev_t = t
    return None


def _check_values(path: Path, layout: _Layout, values: np.ndarray) -> None:
    """Vectorised checks of the parsed numbers; the first fault in file order becomes the error."""
    cols = layout.columns
    first_data_line = layout.header_line + 1
    faults: list[tuple[int, int, str]] = []  # (row, column index, message)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        j = int(np.flatnonzero(~finite[row])[0])
        faults.append(
            (
                row,
                j,
                f"value {values[row, j]!r} is not a finite number; the recording must hold "
                "measured values only",
            )
        )
    t_idx = next(i for i, c in enumerate(cols) if c.quantity == "t")
    t = values[:, t_idx]
    step_ok = np.diff(t) > 0
    if not step_ok.all():
        # NaN compare false too; those rows are already in ``faults`` and come first or tie.
        row = int(np.flatnonzero(~step_ok)[0]) + 1
        msg = _time_fault(float(t[row - 1]), float(t[row]), cols[t_idx])
        if msg:
            faults.append((row, t_idx, msg))
    for j, c in enumerate(cols):
        if c.quantity == "seq":
            s = values[:, j]
            bad = (s < 0) | (s != np.floor(s))
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                faults.append((row, j, f"sequence number {s[row]!r} is not a non-negative whole number"))
    if faults:
        row, j, msg = min(faults)
        raise RecordingFormatError(
            path, msg, line=first_data_line + row, column=j + 1, column_name=cols[j].name
        )


def estimate_rate_hz(t_s: np.ndarray) -> float | None:
    """Sample rate from the median sample period (robust to gaps), or ``None`` with fewer than two samples."""
    if len(t_s) < 2:
        return None
    period = float(np.median(np.diff(t_s)))
    return 1.0 / period if period > 0 else None


def read_native(path: str | os.PathLike[str]) -> ImuData:
    """Read a native recording (format version 1).

    Raises
    ------
    RecordingFormatError
        For anything that makes the file unusable, naming the 1-based line and field (and column name).
        A last line without its newline (a writer killed mid-row) is not an error: the samples before it
        are returned and ``warnings`` says so.
    """
    path = Path(path)
    layout = _read_layout(path)
    meta = _build_meta(path, layout)
    end, truncated = _data_end(path, layout.data_offset)
    warnings: list[str] = []
    if end <= layout.data_offset:
        raise RecordingFormatError(
            path,
            "no complete samples after the header row" + (" (the only row is cut off)" if truncated else ""),
            line=layout.header_line + 1,
        )
    values = _numbers_fast(path, layout, end)
    if values is None:
        error = _locate_fault(path, layout, end)
        if error is None:
            raise RecordingFormatError(path, "the samples cannot be parsed as numbers")
        raise error
    _check_values(path, layout, values)
    if truncated:
        line = layout.header_line + values.shape[0] + 1
        warnings.append(
            f"{path.name}: line {line} is incomplete (the file ends without a newline, as when the recording "
            f"stopped mid-write); kept the {values.shape[0]} complete samples before it"
        )
    data = _to_imudata(layout, values, meta, warnings)
    logger.debug("%s: read %d samples", path, len(data))
    return data


def _to_imudata(layout: _Layout, values: np.ndarray, meta: RecordingMeta, warnings: list[str]) -> ImuData:
    index = {c.quantity: (i, c.factor) for i, c in enumerate(layout.columns)}

    def take(quantities: tuple[str, ...]) -> np.ndarray:
        idx = [index[q][0] for q in quantities]
        factors = np.array([index[q][1] for q in quantities])
        contiguous = idx == list(range(idx[0], idx[0] + len(idx)))
        block = values[:, idx[0] : idx[0] + len(idx)] if contiguous else values[:, idx]
        return block if (factors == 1.0).all() else block * factors

    t = take(("t",))[:, 0]
    acc = take(("acc_x", "acc_y", "acc_z"))
    gyr = take(("gyr_x", "gyr_y", "gyr_z")) if "gyr_x" in index else None
    seq = values[:, index["seq"][0]].astype(np.int64) if "seq" in index else None
    rate = meta.sample_rate_hz or estimate_rate_hz(t)
    gaps = find_gaps(t, rate, seq) if rate else ()
    return ImuData(t_s=t, acc_g=acc, gyr_dps=gyr, seq=seq, gaps=gaps, meta=meta, warnings=tuple(warnings))
