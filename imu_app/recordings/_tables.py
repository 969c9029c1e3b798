"""Numeric columns of another tool's delimited text export, read fast and checked with exact locations.

The same two-speed approach as the native reader: the pandas C parser reads the columns an importer needs;
when it refuses the text, a line-by-line pass finds the first bad field and names its line and column.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from imu_app.core import RecordingFormatError
from imu_app.recordings._native import _NONFINITE, _NUMBER_RE, _data_end, _iter_lines, _Limited
from imu_app.recordings._sniff import check_text

__all__ = ["TableSpec", "read_table", "split_header"]

logger = logging.getLogger(__name__)

_INT_RE = re.compile(r"[+-]?\d+")


@dataclass(frozen=True)
class TableSpec:
    """Where the numbers are and how they are written.

    Attributes
    ----------
    sep, decimal
        Field separator and decimal mark (phyphox offers a decimal comma with ``;`` or tab separators).
    header_line
        1-based line of the header row; the data start on the next line.
    names
        All column names of the header, for messages.
    use
        0-based indices of the columns to read.
    int_fields
        Columns read as 64-bit integers (nanosecond stamps exceed the 53-bit integers of a float).
    allow_nan
        Whether ``NaN`` cells are expected (phyphox pads shorter columns with them); rows holding one are
        dropped with a warning instead of being an error.
    """

    sep: str
    decimal: str
    header_line: int
    names: tuple[str, ...]
    use: tuple[int, ...]
    int_fields: frozenset[int] = frozenset()
    allow_nan: bool = False


def split_header(line: str, sep: str) -> list[str]:
    """Column names of a header line (quotes removed, spaces trimmed)."""
    return [name.strip() for name in next(csv.reader([line], delimiter=sep, quotechar='"'))]


def _offset_after_lines(path: Path, n_lines: int) -> int:
    with open(path, "rb") as fh:
        for _ in range(n_lines):
            fh.readline()
        return fh.tell()


def _parse_line(path: Path, spec: TableSpec, text: str, line: int) -> list[float | int]:
    """Values of the used columns of one row, or a located :class:`RecordingFormatError`."""
    if not text.strip():
        raise RecordingFormatError(path, "empty row in the middle of the samples", line=line)
    fields = next(csv.reader([text], delimiter=spec.sep, quotechar='"'))
    n = len(spec.names)
    if len(fields) < n:
        raise RecordingFormatError(
            path,
            f"row has {len(fields)} fields but the header has {n}",
            line=line,
            column=len(fields) + 1,
            column_name=spec.names[len(fields)],
        )
    if len(fields) > n and any(f.strip() for f in fields[n:]):
        raise RecordingFormatError(
            path, f"row has {len(fields)} fields but the header has {n}", line=line, column=n + 1
        )
    values: list[float | int] = []
    for j in spec.use:
        s = fields[j].strip()
        where = {"line": line, "column": j + 1, "column_name": spec.names[j]}
        if spec.decimal != ".":
            s = s.replace(spec.decimal, ".")
        if s.lower() in _NONFINITE:
            if spec.allow_nan and s.lower() == "nan":
                values.append(float("nan"))
                continue
            raise RecordingFormatError(path, f"value {fields[j].strip()!r} is not a finite number", **where)
        if not s:
            raise RecordingFormatError(path, "empty value; every used field must hold a number", **where)
        if j in spec.int_fields:
            if not _INT_RE.fullmatch(s):
                raise RecordingFormatError(
                    path, f"value {fields[j].strip()[:40]!r} is not a whole number", **where
                )
            values.append(int(s))
            continue
        if not _NUMBER_RE.fullmatch(s):
            raise RecordingFormatError(path, f"value {fields[j].strip()[:40]!r} is not a number", **where)
        values.append(float(s))
    return values


def _locate(path: Path, spec: TableSpec, start: int, end: int) -> RecordingFormatError | None:
    line = spec.header_line
    for raw in _iter_lines(path, start, end):
        line += 1
        text = check_text(path, raw, first_line=line, final=True).rstrip("\r\n")
        try:
            _parse_line(path, spec, text, line)
        except RecordingFormatError as exc:
            return exc
    return None


def read_table(path: Path, spec: TableSpec) -> tuple[dict[int, np.ndarray], tuple[str, ...]]:
    """Read the columns ``spec.use`` of ``path``; returns arrays by column index and warnings.

    A last line without its newline is kept when it is a complete row, otherwise dropped with a warning
    (an export cut short). Rows are never reordered or resampled here.
    """
    start = _offset_after_lines(path, spec.header_line)
    end, partial = _data_end(path, start)
    warnings: list[str] = []
    dtypes = {j: (np.int64 if j in spec.int_fields else np.float64) for j in spec.use}
    arrays: dict[int, np.ndarray] = {j: np.empty(0, dtype=dtypes[j]) for j in spec.use}
    if end > start:
        with open(path, "rb") as fh:
            fh.seek(start)
            source = io.BufferedReader(_Limited(fh, end), buffer_size=1 << 20)
            try:
                frame = pd.read_csv(
                    source,
                    sep=spec.sep,
                    decimal=spec.decimal,
                    header=None,
                    usecols=list(spec.use),
                    dtype=dtypes,
                    engine="c",
                    na_filter=spec.allow_nan,
                    skip_blank_lines=False,
                    quotechar='"',
                    encoding="utf-8",
                    index_col=False,
                )
            except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
                logger.debug("%s: fast parse refused the data (%s); locating the fault", path, exc)
                error = _locate(path, spec, start, end)
                raise error or RecordingFormatError(path, f"the samples cannot be parsed: {exc}") from None
        if frame.shape[1] != len(spec.use):
            error = _locate(path, spec, start, end)
            raise error or RecordingFormatError(path, "rows have fewer fields than the header")
        arrays = {j: frame[j].to_numpy() for j in spec.use}
        del frame
        _check_finite(path, spec, arrays)
    n_rows = len(next(iter(arrays.values())))
    if partial:
        with open(path, "rb") as fh:
            fh.seek(end)
            tail_raw = fh.read()
        line = spec.header_line + n_rows + 1
        tail = check_text(path, tail_raw, first_line=line, final=True).rstrip("\r\n")
        try:
            row = _parse_line(path, spec, tail, line)
        except RecordingFormatError as exc:
            warnings.append(f"{path.name}: dropped the incomplete last line {line} ({exc.message})")
        else:
            arrays = {
                j: np.append(arrays[j], np.array([v], dtype=arrays[j].dtype))
                for j, v in zip(spec.use, row, strict=True)
            }
    if spec.allow_nan and n_rows:
        bad = np.zeros(len(next(iter(arrays.values()))), dtype=bool)
        for j in spec.use:
            if arrays[j].dtype.kind == "f":
                bad |= np.isnan(arrays[j])
        if bad.any():
            arrays = {j: a[~bad] for j, a in arrays.items()}
            warnings.append(f"{path.name}: dropped {int(bad.sum())} rows with empty (NaN) cells")
    return arrays, tuple(warnings)


def _check_finite(path: Path, spec: TableSpec, arrays: dict[int, np.ndarray]) -> None:
    """The first non-finite value in file order becomes a located error (NaN is allowed when padding)."""
    firsts = []
    for j in spec.use:
        a = arrays[j]
        if a.dtype.kind == "f":
            bad = np.isinf(a) if spec.allow_nan else ~np.isfinite(a)
            if bad.any():
                firsts.append((int(np.argmax(bad)), j))
    if firsts:
        row, j = min(firsts)
        raise RecordingFormatError(
            path,
            f"value {arrays[j][row]!r} is not a finite number",
            line=spec.header_line + 1 + row,
            column=j + 1,
            column_name=spec.names[j],
        )
