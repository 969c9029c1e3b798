"""Importers of other tools' exports. Each reads one file into a :class:`Part` on that tool's clock.

Layouts relied on (checked against the tools' own source and files they wrote):

- **MbientLab MetaBase** CSV, one file per sensor: ``epoch (ms),timestamp (+0000),elapsed (s),x-axis (g),
  y-axis (g),z-axis (g)`` and the same with ``x-axis (deg/s)`` for the gyroscope. The second column's name
  carries the phone's UTC offset in either ``-0400`` or ``-04:00`` spelling, and some MetaWear-based apps
  write ``epoc (ms)``; both are accepted. ``epoch (ms)`` is whole milliseconds in UTC and repeats for the
  samples of one BLE packet, so the sample times are reconstructed (:mod:`._timestamps`). The ``timestamp``
  column is the same instants as local text (``2020-02-11T13.46.39.382``).
- **Polar Sensor Logger** text exports (e.g. ``Polar_H10_16E0A933_20240424_141011_ACC.txt``):
  semicolon separated, ``Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]`` and
  ``...;X [dps];Y [dps];Z [dps]`` for GYRO. The sensor timestamp is the sensor's own clock in ns (the
  Polar BLE SDK documents its epoch as 2000-01-01), the phone timestamp is the phone's local time of the
  packet's arrival, back-dated across the packet; only the sensor clock orders samples.
- **phyphox** CSV exports (``Accelerometer.csv``, ``Gyroscope.csv`` from its "CSV" export, Android
  ``DataExport.java``): header names in double quotes, e.g. ``"Time (s)","Acceleration x (m/s^2)",...,
  "Absolute acceleration (m/s^2)"`` and ``"Gyroscope x (rad/s)"``; numbers as ``0.000000000E0``; the
  separator and decimal mark are one of comma/point, tab/point, semicolon/point, tab/comma,
  semicolon/comma; cells of a shorter column are ``NaN``.
- **Generic** CSV: a time column and x/y/z columns whose names carry their units (see :func:`parse_generic`).

Every format is also read after pandas or a spreadsheet saved the file again (index columns, quotes, a
decimal comma...: :func:`imu_app.recordings._tables.parse_header`); a warning says what was assumed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

import numpy as np

from imu_app.core import ACC_UNITS, GYR_UNITS, TIME_UNITS, RecordingFormatError, normalise_unit
from imu_app.recordings._tables import Header, TableSpec, layout_note, read_table
from imu_app.recordings._timestamps import reconstruct_times

__all__ = [
    "Part",
    "iso_time",
    "match_mbientlab",
    "match_phyphox",
    "match_polar",
    "parse_generic",
    "read_generic",
    "read_mbientlab",
    "read_phyphox",
    "read_polar",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    """The samples of one imported file, on its tool's clock.

    ``t_s`` counts from ``origin_ns`` (an integer, so that parts on a nanosecond clock line up exactly);
    parts of one recording share the clock, so ``origin_ns + t_s * 1e9`` is comparable between them.
    """

    path: Path
    source_format: str
    t_s: np.ndarray
    origin_ns: int
    acc_g: np.ndarray | None = None
    gyr_dps: np.ndarray | None = None
    seq: np.ndarray | None = None
    meta: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    #: Whether ``origin_ns`` is nanoseconds since the Unix epoch (then it also gives ``start_time``).
    unix_clock: bool = False
    #: The time zone ``start_time`` is given in: the local offset the tool wrote, where it wrote one.
    local_tz: tzinfo = UTC

    @property
    def kind(self) -> str:
        if self.acc_g is not None and self.gyr_dps is not None:
            return "accelerometer and gyroscope"
        return "accelerometer" if self.acc_g is not None else "gyroscope"


def iso_time(unix_ns: int, tz: tzinfo = UTC) -> str:
    """ISO 8601 text, to the microsecond, of a time in ns since the Unix epoch, in time zone ``tz``."""
    return datetime.fromtimestamp(unix_ns / 1e9, tz=tz).isoformat(timespec="microseconds")


def _check_order(path: Path, t: np.ndarray, header: Header, j: int) -> None:
    """Times must not go backwards: ordering would be a guess. Repeats are handled by reconstruction."""
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise RecordingFormatError(
            path,
            f"time goes backwards: {t[i].item()!r} after {t[i - 1].item()!r}; the rows are not in recording "
            "order",
            **header.where(j, header.line + 1 + i),
        )


def _reconstructed(path: Path, t_s: np.ndarray, resolution_s: float, why: str) -> tuple[np.ndarray, str]:
    """Sample times reconstructed from stamps (:func:`reconstruct_times`), and the warning that says so."""
    rec = reconstruct_times(t_s, resolution_s)
    return rec.t_s, (
        f"{path.name}: {why} ({rec.n_repeated} of {t_s.size} time stamps repeat the one before); sample "
        "times were reconstructed by a robust linear fit of time against sample index, piecewise over "
        f"{rec.n_segments} stretch(es) between real gaps (period {rec.period_s * 1e3:.4g} ms, largest change "
        f"{rec.max_change_s * 1e3:.3g} ms)"
    )


def _repair_repeats(
    path: Path, t_s: np.ndarray, resolution_s: float, why: str
) -> tuple[np.ndarray, list[str]]:
    """Keep strictly increasing times as they are; reconstruct repeating ones, saying so."""
    if t_s.size < 2 or (np.diff(t_s) > 0).all():
        return t_s, []
    t_s, note = _reconstructed(path, t_s, resolution_s, why)
    return t_s, [note]


def _axes(path: Path, header: Header, pattern: re.Pattern[str]) -> tuple[list[int], str]:
    """Indices of the x, y, z columns matching ``pattern`` (groups: axis, unit) and their common unit."""
    found: dict[str, tuple[int, str]] = {}
    for i, name in enumerate(header.names):
        m = pattern.fullmatch(name)
        if m:
            found[m.group(1).lower()] = (i, m.group(2))
    missing = [a for a in "xyz" if a not in found]
    if missing:
        raise RecordingFormatError(
            path,
            f"header has no {', '.join(missing)} axis column (columns: {', '.join(header.names)})",
            line=header.line,
        )
    units = {found[a][1] for a in "xyz"}
    if len(units) > 1:
        raise RecordingFormatError(
            path, f"the x, y, z columns have different units: {sorted(units)}", line=header.line
        )
    return [found[a][0] for a in "xyz"], units.pop()


def _classify_unit(path: Path, unit: str, header: Header, j: int, what: str) -> tuple[str, float]:
    """('acc', factor to g) or ('gyr', factor to deg/s) for a unit; a located error for anything else."""
    key = normalise_unit(unit)
    if key in ACC_UNITS:
        return "acc", ACC_UNITS[key]
    if key in GYR_UNITS:
        return "gyr", GYR_UNITS[key]
    raise RecordingFormatError(
        path,
        f"{what} column {header.names[j]!r} is in {unit!r}, which is neither an acceleration unit "
        f"({', '.join(ACC_UNITS)}) "
        f"nor an angular-rate unit ({', '.join(GYR_UNITS)}); only accelerometer and gyroscope files can be "
        "loaded",
        **header.where(j),
    )


def _sensor_part(
    path: Path,
    *,
    fmt: str,
    kind: str,
    t_s: np.ndarray,
    origin_ns: int,
    xyz: np.ndarray,
    meta: dict[str, object],
    warnings: list[str],
    unix_clock: bool = False,
    local_tz: tzinfo = UTC,
) -> Part:
    return Part(
        path=path,
        source_format=fmt,
        t_s=t_s,
        origin_ns=origin_ns,
        acc_g=xyz if kind == "acc" else None,
        gyr_dps=xyz if kind == "gyr" else None,
        meta=meta,
        warnings=tuple(warnings),
        unix_clock=unix_clock,
        local_tz=local_tz,
    )


# ------------------------------------------------------------------------------------------------ MbientLab

_MBIENT_EPOCH = re.compile(r"epoch? \(ms\)", re.IGNORECASE)
_MBIENT_AXIS = re.compile(r"([xyz])-axis \((.+)\)", re.IGNORECASE)
#: The local-time column, the phone's UTC offset in its name: ``timestamp (-0400)``, ``time (+05:30)``.
_MBIENT_LOCAL_COL = re.compile(r"time(?:stamp)? \(([+-]\d{2}:?\d{2})\)", re.IGNORECASE)
#: Its values: ``2020-02-11T13.46.39.382`` (MetaBase writes dots in the time of day).
_MBIENT_LOCAL_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2})[.:](\d{2})[.:](\d{2})(?:[.:](\d{1,3}))?")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def match_mbientlab(names: list[str]) -> bool:
    return (
        len(names) >= 6
        and bool(_MBIENT_EPOCH.fullmatch(names[0]))
        and any(n.lower() == "elapsed (s)" for n in names)
        and any(_MBIENT_AXIS.fullmatch(n) for n in names)
    )


def _offset_minutes(text: str) -> int | None:
    """Minutes east of UTC of ``-0400`` / ``+05:30``; ``None`` beyond the offsets in use (-12:00..+14:00)."""
    m = _OFFSET.fullmatch(text)
    if not m or int(m.group(3)) >= 60:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return (-minutes if m.group(1) == "-" else minutes) if minutes <= 14 * 60 else None


def _shown_offset_minutes(local_text: str, epoch_ms: int) -> int | None:
    """The UTC offset at which the local time ``local_text`` is the instant ``epoch_ms``, if it is one."""
    m = _MBIENT_LOCAL_TIME.fullmatch(local_text)
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(g) for g in m.groups()[:6])
    try:
        local = datetime(y, mo, d, hh, mi, ss, int(m.group(7) or 0) * 1000)
    except ValueError:
        return None
    minutes = (local - datetime(1970, 1, 1) - timedelta(milliseconds=epoch_ms)) / timedelta(minutes=1)
    whole = round(minutes / 15) * 15  # offsets in use are whole quarter hours
    return whole if abs(minutes - whole) < 1 and abs(whole) <= 14 * 60 else None


def _phone_time_zone(header: Header, first_epoch_ms: int) -> tuple[timezone, str] | None:
    """The phone's time zone, from MetaBase's local-time column, and a phrase saying how it was found.

    The column's name carries an offset (``timestamp (-0400)``) and its values are the same instants as
    ``epoch (ms)`` in local time. The two can disagree: in a real export the name says -04:00 while the
    rows are 5 h behind UTC (a February recording on the US east coast), as if the name's offset were taken
    at another date. The rows are then followed, since they are what the phone showed when recording.
    """
    j = next((i for i, n in enumerate(header.names) if _MBIENT_LOCAL_COL.fullmatch(n)), None)
    if j is None:
        return None
    name, epoch = header.names[j], header.names[0]
    named = _offset_minutes(_MBIENT_LOCAL_COL.fullmatch(name).group(1))  # type: ignore[union-attr]
    shown = None
    if j < len(header.first_row):
        shown = _shown_offset_minutes(header.first_row[j], first_epoch_ms)
    if named is None and shown is None:
        return None
    minutes = named if shown is None else shown
    zone = timezone(timedelta(minutes=minutes))
    local = f"{epoch!r} is UTC and the phone's local time was {zone.tzname(None)}"
    if shown is None or shown == named:
        return zone, f"{local} (start time in it)"
    if named is None:
        return zone, f"{local}, as the first row of {name!r} shows (start time in it)"
    named_zone = timezone(timedelta(minutes=named)).tzname(None)
    return zone, f"{local} as the rows of {name!r} show, not {named_zone} as its name says (start time in it)"


def read_mbientlab(path: Path, header: Header) -> Part:
    """Read one MbientLab MetaBase CSV (accelerometer or gyroscope).

    Notes
    -----
    ``epoch (ms)`` is the sensor's tick counter converted to Unix milliseconds (UTC) by the app: it orders
    samples by the sensor clock, but it is quantised to 1 ms and may repeat within a packet. ``elapsed (s)``
    is derived from it (to the same millisecond) and adds nothing. Times are reconstructed by a robust
    straight-line fit against the sample index, piecewise between real gaps, always (the quantisation is
    there even when no stamp repeats). ``start_time`` is given in the phone's time zone, which the
    ``timestamp (-0400)`` column tells (:func:`_phone_time_zone`).
    """
    names = header.names
    idx, unit = _axes(path, header, _MBIENT_AXIS)
    kind, factor = _classify_unit(path, unit, header, idx[0], "MetaBase")
    spec = TableSpec(header, (0, *idx), int_fields=frozenset({0}))
    cols, table_warnings = read_table(path, spec)
    epoch_ms = cols[0]
    if epoch_ms.size == 0:
        raise RecordingFormatError(path, "MetaBase file has a header but no samples", line=header.line + 1)
    _check_order(path, epoch_ms, header, 0)
    origin_ns = int(epoch_ms[0]) * 1_000_000
    stamps_s = (epoch_ms - epoch_ms[0]).astype(np.float64) / 1e3
    found = _phone_time_zone(header, int(epoch_ms[0]))
    tz, zone = (UTC, []) if found is None else (found[0], [found[1]])
    warnings = [*layout_note(path, header, *zone), *table_warnings]
    t_s = stamps_s
    if stamps_s.size >= 2:
        t_s, note = _reconstructed(
            path, stamps_s, 1e-3, f"MetaBase {names[0]!r} is quantised to 1 ms and may repeat within a packet"
        )
        warnings.append(note)
    return _sensor_part(
        path,
        fmt="mbientlab",
        kind=kind,
        t_s=t_s,
        origin_ns=origin_ns,
        xyz=np.column_stack([cols[j] for j in idx]) * factor,
        meta={"device": "MbientLab MetaWear"},
        warnings=warnings,
        unix_clock=True,
        local_tz=tz,
    )


# ------------------------------------------------------------------------------------------------ Polar

_POLAR_AXIS = re.compile(r"([XYZ]) \[(.+)\]")
_POLAR_NAME = re.compile(r"Polar_([A-Za-z0-9]+)_([0-9A-Fa-f]{8})_")


def match_polar(names: list[str]) -> bool:
    lower = [n.lower() for n in names]
    return "sensor timestamp [ns]" in lower and any(_POLAR_AXIS.fullmatch(n) for n in names)


def read_polar(path: Path, header: Header) -> Part:
    """Read one Polar Sensor Logger ACC or GYRO export (``;``-separated, sensor time in ns).

    Notes
    -----
    Accelerometer values are in milli-g including gravity and gyroscope values in deg/s (Polar BLE SDK,
    ``PolarAccelerometerData``/``PolarGyroData``). Magnetometer ``[G]`` (gauss) and other streams are
    refused: their units would otherwise be mistaken for g.
    """
    names = header.names
    lower = [n.lower() for n in names]
    t_col = lower.index("sensor timestamp [ns]")
    idx, unit = _axes(path, header, _POLAR_AXIS)
    if unit == "mg":
        kind, factor = "acc", ACC_UNITS["mg"]
    elif normalise_unit(unit) == "deg/s":
        kind, factor = "gyr", 1.0
    else:
        raise RecordingFormatError(
            path,
            f"Polar export of a stream in [{unit}] (not ACC in [mg] or GYRO in [dps]); only accelerometer "
            "and "
            "gyroscope files can be loaded",
            **header.where(idx[0]),
        )
    spec = TableSpec(header, (t_col, *idx), int_fields=frozenset({t_col}))
    cols, table_warnings = read_table(path, spec)
    ns = cols[t_col]
    if ns.size == 0:
        raise RecordingFormatError(path, "Polar file has a header but no samples", line=header.line + 1)
    _check_order(path, ns, header, t_col)
    origin_ns = int(ns[0])
    t_s, warnings = _repair_repeats(path, (ns - ns[0]).astype(np.float64) / 1e9, 1e-9, "packet time stamps")
    meta: dict[str, object] = {}
    m = _POLAR_NAME.match(path.name)
    if m:
        meta["device"] = f"Polar {m.group(1)} {m.group(2).upper()}"
    phone_col = lower.index("phone timestamp") if "phone timestamp" in lower else None
    if phone_col is not None and len(header.first_row) > phone_col:
        phone = header.first_row[phone_col]
        try:
            meta["start_time"] = datetime.fromisoformat(phone).isoformat()
        except ValueError:
            logger.debug("%s: phone timestamp %r is not ISO 8601", path, phone)
    xyz = np.column_stack([cols[j] for j in idx]).astype(np.float64) * factor
    return _sensor_part(
        path,
        fmt="polar",
        kind=kind,
        t_s=t_s,
        origin_ns=origin_ns,
        xyz=xyz,
        meta=meta,
        warnings=[*layout_note(path, header), *table_warnings, *warnings],
    )


# ------------------------------------------------------------------------------------------------ phyphox

_PHYPHOX_ACC = re.compile(r"Acceleration ([xyz]) \((.+)\)")
_PHYPHOX_GYR = re.compile(r"Gyroscope ([xyz]) \((.+)\)")
_PHYPHOX_LINEAR = re.compile(r"Linear Acceleration ([xyz]) \((.+)\)", re.IGNORECASE)
_PHYPHOX_TIME = re.compile(r"Time \((.+)\)")


def match_phyphox(names: list[str]) -> bool:
    return (
        bool(names)
        and bool(_PHYPHOX_TIME.fullmatch(names[0]))
        and any(p.fullmatch(n) for n in names for p in (_PHYPHOX_ACC, _PHYPHOX_GYR, _PHYPHOX_LINEAR))
    )


def read_phyphox(path: Path, header: Header) -> Part:
    """Read one phyphox CSV export: "Acceleration with g" (Accelerometer.csv) or Gyroscope.csv.

    Notes
    -----
    Time is the experiment time in s; acceleration in m/s^2 is converted with standard gravity, angular
    rate in rad/s to deg/s. "Linear Acceleration" (the phone's sensor fusion with gravity subtracted) is
    refused: the analyses need gravity in the signal to find the sensor's orientation and the ground.
    The separator and decimal mark come from :func:`imu_app.recordings._tables.parse_header`.
    """
    names = header.names
    if any(_PHYPHOX_LINEAR.fullmatch(n) for n in names):
        raise RecordingFormatError(
            path,
            "phyphox 'Linear Acceleration' has gravity removed by the phone's sensor fusion, but the "
            "analyses need the raw accelerometer signal with gravity (it gives the sensor's orientation and "
            "the ground "
            "contact); export the 'Acceleration with g' experiment (Accelerometer.csv) instead",
            line=header.line,
        )
    is_acc = any(_PHYPHOX_ACC.fullmatch(n) for n in names)
    idx, unit = _axes(path, header, _PHYPHOX_ACC if is_acc else _PHYPHOX_GYR)
    table = ACC_UNITS if is_acc else GYR_UNITS
    key = normalise_unit(unit)
    if key not in table:
        raise RecordingFormatError(
            path, f"unknown unit {unit!r} in {names[idx[0]]!r}", **header.where(idx[0])
        )
    t_unit = normalise_unit(_PHYPHOX_TIME.fullmatch(names[0]).group(1))  # type: ignore[union-attr]
    if t_unit not in TIME_UNITS:
        raise RecordingFormatError(path, f"unknown time unit in {names[0]!r}", **header.where(0))
    spec = TableSpec(header, (0, *idx), allow_nan=True)
    cols, table_warnings = read_table(path, spec)
    t = cols[0] * TIME_UNITS[t_unit]
    if t.size == 0:
        raise RecordingFormatError(path, "phyphox file has a header but no samples", line=header.line + 1)
    _check_order(path, t, header, 0)
    t_s, warnings = _repair_repeats(path, t, 0.0, "sensor events with equal times")
    xyz = np.column_stack([cols[j] for j in idx]) * table[key]
    kind = "acc" if is_acc else "gyr"
    return _sensor_part(
        path,
        fmt="phyphox",
        kind=kind,
        t_s=t_s,
        origin_ns=0,
        xyz=xyz,
        meta={},
        warnings=[*layout_note(path, header), *table_warnings, *warnings],
    )


# ------------------------------------------------------------------------------------------------ generic

_UNIT_IN_BRACKETS = re.compile(r"(.*?)[\s_]*[\(\[]\s*([^\)\]]+?)\s*[\)\]]\s*")
_TIME_BASES = frozenset({"t", "time", "timestamp", "ts", "times", "elapsed", "elapsedtime", "sampletime"})
_ACC_PREFIXES = ("acceleration", "accelerometer", "accel", "acc", "a")
_GYR_PREFIXES = ("gyroscope", "angularrate", "angularvelocity", "gyro", "gyr", "omega", "rot", "g", "w")
_SEQ_BASES = frozenset({"seq", "sequence", "packet", "seqno", "packetseq", "sequencenumber"})


@dataclass(frozen=True)
class GenericLayout:
    """What the header of a generic CSV says: which column is what, in which unit."""

    header: Header
    time_col: int
    time_factor: float
    acc_cols: tuple[int, ...] | None
    acc_factor: float
    gyr_cols: tuple[int, ...] | None
    gyr_factor: float
    seq_col: int | None
    ignored: tuple[str, ...]


def _split_name(name: str) -> tuple[str, str | None]:
    """(base without separators, unit or None) of a column name such as ``acc_x (m/s^2)`` or ``ax_g``."""
    m = _UNIT_IN_BRACKETS.fullmatch(name)
    if m:
        base, unit = m.group(1), m.group(2)
    else:
        tokens = re.split(r"[_\s]+", name.strip())
        unit = None
        if len(tokens) > 1:
            candidate = normalise_unit(tokens[-1])
            if candidate in TIME_UNITS or candidate in ACC_UNITS or candidate in GYR_UNITS:
                unit = tokens[-1]
                tokens = tokens[:-1]
        base = "".join(tokens)
    return re.sub(r"[\s_\-.]+", "", base).lower(), unit


def _axis_of(base: str, prefixes: tuple[str, ...]) -> str | None:
    for prefix in prefixes:
        for axis in "xyz":
            if base in (prefix + axis, axis + prefix):
                return axis
    return None


def parse_generic(path: Path, header: Header) -> GenericLayout:
    """Work out a generic CSV header.

    Columns are recognised by name, ignoring case, spaces, ``_`` and ``-``: a time column (``t``, ``time``,
    ``timestamp``, ``elapsed``...), accelerometer axes (``acc_x``, ``ax``, ``accel x``, ``acceleration x``,
    ``x_acc``...) and gyroscope axes (``gyr_x``, ``gx``, ``gyro x``, ``gyroscope x``, ``omega_x``...), and a
    packet sequence column (``seq``). Each needs its unit in the name, in brackets (``time (s)``,
    ``acc_x [m/s^2]``) or as the last ``_`` part (``timestamp_ms``, ``ax_g``); units come from
    :mod:`imu_app.core.units`. Other columns are ignored with a warning.
    """
    names = header.names
    time_col: int | None = None
    time_factor = 1.0
    acc: dict[str, tuple[int, float]] = {}
    gyr: dict[str, tuple[int, float]] = {}
    seq_col = None
    ignored: list[str] = []
    for i, name in enumerate(names):
        base, unit = _split_name(name)
        where = header.where(i)
        family = None
        axis = None
        if base in _TIME_BASES:
            family = "t"
        elif base in _SEQ_BASES and unit is None:
            seq_col = i
            continue
        elif (axis := _axis_of(base, _ACC_PREFIXES)) is not None:
            family = "acc"
        elif (axis := _axis_of(base, _GYR_PREFIXES)) is not None:
            family = "gyr"
        if family is None:
            ignored.append(name)
            continue
        if unit is None:
            raise RecordingFormatError(
                path, f"column {name!r} has no unit in its name (e.g. '{name} (s)' or '{name}_g')", **where
            )
        key = normalise_unit(unit)
        table = {"t": TIME_UNITS, "acc": ACC_UNITS, "gyr": GYR_UNITS}[family]
        if family == "gyr" and key in ACC_UNITS and key not in GYR_UNITS and base in ("gx", "gy", "gz"):
            family, table = "acc", ACC_UNITS  # "gx_g": g-prefixed axes in g are accelerations
        if key not in table:
            raise RecordingFormatError(
                path,
                f"unknown unit {unit!r} in column {name!r}; units understood: {', '.join(table)}",
                **where,
            )
        if family == "t":
            if time_col is not None:
                ignored.append(name)
                continue
            time_col, time_factor = i, TIME_UNITS[key]
        else:
            target = acc if family == "acc" else gyr
            if axis in target:
                raise RecordingFormatError(path, f"two columns for the {family} {axis} axis", **where)
            target[axis] = (i, table[key])  # type: ignore[index]
    if time_col is None:
        raise RecordingFormatError(
            path,
            f"no time column with a unit (e.g. 'time (s)', 'timestamp_ms') among {list(names)}",
            line=header.line,
        )
    layout_axes = []
    for family, found in (("acc", acc), ("gyr", gyr)):
        if not found:
            layout_axes.append((None, 1.0))
            continue
        missing = [a for a in "xyz" if a not in found]
        if missing:
            raise RecordingFormatError(
                path,
                f"{family} has no {', '.join(missing)} axis column (columns: {', '.join(names)})",
                line=header.line,
            )
        factors = {found[a][1] for a in "xyz"}
        if len(factors) > 1:
            raise RecordingFormatError(
                path, f"the {family} x, y, z columns have different units", line=header.line
            )
        layout_axes.append((tuple(found[a][0] for a in "xyz"), factors.pop()))
    (acc_cols, acc_factor), (gyr_cols, gyr_factor) = layout_axes
    if acc_cols is None and gyr_cols is None:
        raise RecordingFormatError(
            path, f"no accelerometer or gyroscope x/y/z columns among {list(names)}", line=header.line
        )
    return GenericLayout(
        header,
        time_col,
        time_factor,
        acc_cols,
        acc_factor,
        gyr_cols,
        gyr_factor,
        seq_col,
        tuple(ignored),
    )


def read_generic(path: Path, layout: GenericLayout) -> Part:
    """Read a generic CSV laid out as ``layout`` says.

    Notes
    -----
    Irregular times are kept as they are. Repeated times (a host clock stamping packets) are reconstructed
    with a warning. Times that look like a Unix epoch (after 2000, before 2100) count from their first
    sample, with the absolute time kept as ``start_time``; they are shifted in the file's own unit first, so
    no precision is lost to the large offset.
    """
    use = [layout.time_col, *(layout.acc_cols or ()), *(layout.gyr_cols or ())]
    if layout.seq_col is not None:
        use.append(layout.seq_col)
    header = layout.header
    cols, table_warnings = read_table(path, TableSpec(header, tuple(use)))
    raw_t = cols[layout.time_col]
    if raw_t.size == 0:
        raise RecordingFormatError(path, "file has a header but no samples", line=header.line + 1)
    _check_order(path, raw_t, header, layout.time_col)
    first_s = float(raw_t[0]) * layout.time_factor
    meta: dict[str, object] = {}
    origin_ns = 0
    unix = 946_684_800 <= first_s < 4_102_444_800  # 2000-01-01 .. 2100-01-01
    if unix or abs(first_s) > 1e6:
        origin_ns = round(float(raw_t[0]) * layout.time_factor * 1e9)
        t = (raw_t - raw_t[0]) * layout.time_factor
        if unix:
            meta["start_time"] = iso_time(origin_ns)
    else:
        t = raw_t * layout.time_factor
    t_s, warnings = _repair_repeats(path, t, 0.0, "several samples share a time stamp")
    if layout.ignored:
        warnings.append(f"{path.name}: ignored columns {', '.join(repr(n) for n in layout.ignored)}")
    seq = None
    if layout.seq_col is not None:
        s = cols[layout.seq_col]
        if (s >= 0).all() and (s == np.floor(s)).all():
            seq = s.astype(np.int64)
        else:
            warnings.append(f"{path.name}: sequence column is not whole non-negative numbers; ignored")
    return Part(
        path=path,
        source_format="generic",
        t_s=t_s,
        origin_ns=origin_ns,
        acc_g=None
        if layout.acc_cols is None
        else np.column_stack([cols[j] for j in layout.acc_cols]) * layout.acc_factor,
        gyr_dps=None
        if layout.gyr_cols is None
        else np.column_stack([cols[j] for j in layout.gyr_cols]) * layout.gyr_factor,
        seq=seq,
        meta=meta,
        warnings=(*layout_note(path, header), *table_warnings, *warnings),
        unix_clock=unix,
    )
