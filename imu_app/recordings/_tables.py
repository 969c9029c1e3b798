"""Numeric columns of another tool's delimited text export, read fast and checked with exact locations.

The same two-speed approach as the native reader: the pandas C parser reads the columns an importer needs;
when it refuses the text, a line-by-line pass finds the first bad field and names its line and column.

Exports often reach us after a second program has saved them again: pandas adds its row numbers as leading
columns (``,Unnamed: 0,epoch (ms),...``), a spreadsheet adds a byte-order mark, ``\\r\\n`` line ends, quotes
around numbers, a decimal comma with ``;`` or tab separators, or empty columns at the end of each row.
:func:`parse_header` recognises these from the header and the first rows, so that every importer reads
such a file like the original, and says in plain words what it assumed.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imu_app.core import RecordingFormatError
from imu_app.recordings._native import _NONFINITE, _NUMBER_RE, _data_end, _iter_lines, _Limited
from imu_app.recordings._sniff import check_text

__all__ = ["Header", "TableSpec", "layout_note", "parse_header", "read_table", "split_header"]

logger = logging.getLogger(__name__)

_INT_RE = re.compile(r"[+-]?\d+")
#: Names pandas gives the index columns it writes: none, or ``Unnamed: N`` once read and saved again
#: (``Unnamed: 0.1`` when that name was taken already).
_INDEX_NAME = re.compile(r"(?:Unnamed: \d+(?:\.\d+)?)?")
#: A number written with a decimal comma (``0,123``, ``-1,5E-3``); a thousands separator is not expected.
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")
#: A number in double quotes as a spreadsheet writes it (``"0.123"``, ``"-1,5"``).
_QUOTED_NUMBER = re.compile(r'"\s*[+-]?\.?\d[\d.,eE+-]*\s*"')
#: Data rows looked at to tell the dialect: enough to see a decimal comma that the first rows lack.
_SAMPLE_ROWS = 20
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class Header:
    """The header row of a delimited export, and how its rows are written.

    Attributes
    ----------
    names
        The column names, without leading index columns and empty columns at the end of the row.
    line
        1-based line of the header row; the data start on the next line.
    sep, decimal
        Field separator and decimal mark.
    first_col
        Leading index columns (the row numbers pandas writes) before ``names[0]``; they are never read.
    first_row
        The first data row's fields under ``names``, quotes removed (empty when there is no data row).
    assumed
        What was assumed to read the file as its tool wrote it, each in plain words, for the recording's
        warnings (see :func:`layout_note`).
    """

    names: tuple[str, ...]
    line: int = 1
    sep: str = ","
    decimal: str = "."
    first_col: int = 0
    first_row: tuple[str, ...] = ()
    assumed: tuple[str, ...] = ()

    def column(self, j: int) -> int:
        """1-based column in the file (as a spreadsheet counts it) of ``names[j]``."""
        return self.first_col + j + 1

    def where(self, j: int, line: int | None = None) -> dict[str, Any]:
        """Keyword arguments of a :class:`RecordingFormatError` locating column ``names[j]`` on ``line``.

        ``line`` is 1-based in the file; by default the header's own line.
        """
        return {
            "line": self.line if line is None else line,
            "column": self.column(j),
            "column_name": self.names[j],
        }


@dataclass(frozen=True)
class TableSpec:
    """Which columns to read and how.

    Attributes
    ----------
    header
        The header: names, separator, decimal mark, index columns to pass over.
    use
        0-based indices into ``header.names`` of the columns to read.
    int_fields
        Columns read as 64-bit integers (nanosecond stamps exceed the 53-bit integers of a float).
    allow_nan
        Whether ``NaN`` cells are expected (phyphox pads shorter columns with them); rows holding one are
        dropped with a warning instead of being an error.
    """

    header: Header
    use: tuple[int, ...]
    int_fields: frozenset[int] = frozenset()
    allow_nan: bool = False


def split_header(line: str, sep: str) -> list[str]:
    """Fields of one line (quotes removed, spaces trimmed)."""
    return [name.strip() for name in next(csv.reader([line], delimiter=sep, quotechar='"'), [])]


def _guess_sep(line: str) -> str:
    counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
    return max(counts, key=lambda s: counts[s])


def parse_header(lines: list[str], header_idx: int, *, bom: bool = False) -> Header:
    """Read the header row ``lines[header_idx]`` and tell the dialect from it and the rows after it.

    Parameters
    ----------
    lines
        The start of the file split at ``\\n`` (``\\r`` of the line ends kept), complete lines only.
    header_idx
        0-based index of the header row in ``lines``.
    bom
        Whether the file starts with a UTF-8 byte-order mark (already removed from ``lines``).

    Notes
    -----
    - The separator is the most frequent of comma, semicolon and tab in the header.
    - Leading columns named nothing or ``Unnamed: N`` whose first value is a whole number are index
      columns: pandas writes its row numbers so (``df.to_csv()``), and names them ``Unnamed: 0`` when the
      file is read and saved again.
    - A decimal comma is taken when a value of the first rows is written with one; with ``,`` separators
      that is only possible inside quotes (``"0,123"``).
    """
    raw = lines[header_idx]
    text = raw.rstrip("\r")
    sep = _guess_sep(text)
    names = split_header(text, sep)
    data_lines = [ln.rstrip("\r") for ln in lines[header_idx + 1 :] if ln.strip()][:_SAMPLE_ROWS]
    rows = [split_header(ln, sep) for ln in data_lines]
    first = rows[0] if rows else []
    n_index = 0
    while (
        n_index < len(names) - 1
        and _INDEX_NAME.fullmatch(names[n_index])
        and (not rows or (n_index < len(first) and _INT_RE.fullmatch(first[n_index])))
    ):
        n_index += 1
    n_trailing = 0
    while len(names) - n_trailing > n_index + 1 and not names[-1 - n_trailing]:
        n_trailing += 1
    width = len(names)
    names = names[n_index : width - n_trailing]
    extra = max((len(r) - width for r in rows), default=0)
    if extra > 0 and all(not f for r in rows for f in r[width:]):
        n_trailing += extra
    decimal = "."
    if any(_DECIMAL_COMMA.fullmatch(f) for r in rows for f in r[n_index:]):
        decimal = ","
    assumed = []
    if n_index:
        shown = ", ".join(repr(n) for n in split_header(text, sep)[:n_index])
        columns = "column ({}) holds" if n_index == 1 else f"{n_index} columns ({{}}) hold"
        assumed.append(f"the first {columns.format(shown)} row numbers written by pandas (skipped)")
    if n_trailing:
        assumed.append(f"the empty columns at the end of each row ({n_trailing}) are padding (ignored)")
    if decimal == ",":
        assumed.append(f"',' is the decimal mark ({_SEP_NAMES[sep]}-separated values)")
    if any(_QUOTED_NUMBER.search(ln) for ln in data_lines):
        assumed.append("numbers in double quotes are plain numbers")
    if bom:
        assumed.append("the byte-order mark at the start is not part of the header (ignored)")
    if raw.endswith("\r"):
        assumed.append("lines end in CR LF (Windows line ends)")
    return Header(
        names=tuple(names),
        line=header_idx + 1,
        sep=sep,
        decimal=decimal,
        first_col=n_index,
        first_row=tuple(first[n_index:]),
        assumed=tuple(assumed),
    )


def layout_note(path: Path, header: Header, *more: str) -> list[str]:
    """The one warning line saying what was assumed to read ``path`` (none when nothing was)."""
    assumed = [*header.assumed, *more]
    return [f"{path.name}: read assuming {'; '.join(assumed)}"] if assumed else []


def _offset_after_lines(path: Path, n_lines: int) -> int:
    with open(path, "rb") as fh:
        for _ in range(n_lines):
            fh.readline()
        return fh.tell()


_WHOLE_HINT = (
    "; a spreadsheet may have rounded it: format the column as a whole number (no exponent) and export again"
)


def _parse_line(path: Path, spec: TableSpec, text: str, line: int) -> list[float | int]:
    """Values of the used columns of one row, or a located :class:`RecordingFormatError`."""
    header = spec.header
    if not text.strip():
        raise RecordingFormatError(path, "empty row in the middle of the samples", line=line)
    fields = next(csv.reader([text], delimiter=header.sep, quotechar='"'))
    n = header.first_col + len(header.names)
    if len(fields) < n:
        missing = max(len(fields) - header.first_col, 0)
        raise RecordingFormatError(
            path,
            f"row has {len(fields)} fields but the header has {n}",
            line=line,
            column=len(fields) + 1,
            column_name=header.names[missing],
        )
    if len(fields) > n and any(f.strip() for f in fields[n:]):
        raise RecordingFormatError(
            path, f"row has {len(fields)} fields but the header has {n}", line=line, column=n + 1
        )
    values: list[float | int] = []
    for j in spec.use:
        shown = fields[header.first_col + j].strip()
        s = shown.replace(header.decimal, ".") if header.decimal != "." else shown
        where = header.where(j, line)
        if s.lower() in _NONFINITE:
            if spec.allow_nan and s.lower() == "nan":
                values.append(float("nan"))
                continue
            raise RecordingFormatError(path, f"value {shown!r} is not a finite number", **where)
        if not s:
            raise RecordingFormatError(path, "empty value; every used field must hold a number", **where)
        if j in spec.int_fields:
            if not _INT_RE.fullmatch(s):
                hint = _WHOLE_HINT if _NUMBER_RE.fullmatch(s) else ""
                raise RecordingFormatError(path, f"value {shown[:40]!r} is not a whole number{hint}", **where)
            values.append(int(s))
            continue
        if not _NUMBER_RE.fullmatch(s):
            raise RecordingFormatError(path, f"value {shown[:40]!r} is not a number", **where)
        values.append(float(s))
    return values


def _locate(
    path: Path, spec: TableSpec, start: int, end: int, rows: int | None = None
) -> RecordingFormatError | None:
    """The first fault in the rows from byte ``start`` (at most ``rows`` of them), checked as text."""
    line = spec.header.line
    for raw in itertools.islice(_iter_lines(path, start, end), rows):
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
    header = spec.header
    start = _offset_after_lines(path, header.line)
    end, partial = _data_end(path, start)
    warnings: list[str] = []
    dtypes = {j: (np.int64 if j in spec.int_fields else np.float64) for j in spec.use}
    arrays: dict[int, np.ndarray] = {j: np.empty(0, dtype=dtypes[j]) for j in spec.use}
    if end > start:
        # The parser reads '1,58145E+12' into an integer column as 1581450000000, so a spreadsheet's rounding
        # would pass unseen; a column is written alike in every row, so checking the first row as text tells.
        error = _locate(path, spec, start, end, rows=1)
        if error:
            raise error
        with open(path, "rb") as fh:
            fh.seek(start)
            source = io.BufferedReader(_Limited(fh, end), buffer_size=1 << 20)
            try:
                frame = pd.read_csv(
                    source,
                    sep=header.sep,
                    decimal=header.decimal,
                    header=None,
                    usecols=[header.first_col + j for j in spec.use],
                    dtype={header.first_col + j: t for j, t in dtypes.items()},
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
        arrays = {j: frame[header.first_col + j].to_numpy() for j in spec.use}
        del frame
        _check_finite(path, spec, arrays)
    n_rows = len(next(iter(arrays.values())))
    if partial:
        with open(path, "rb") as fh:
            fh.seek(end)
            tail_raw = fh.read()
        line = header.line + n_rows + 1
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
            f"value {float(arrays[j][row])!r} is not a finite number",
            **spec.header.where(j, spec.header.line + 1 + row),
        )
