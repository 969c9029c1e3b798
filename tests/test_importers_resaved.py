"""Exports as they reach us: saved again through pandas or a spreadsheet, and MetaBase in any time zone.

Each test writes its own small file in the layout at issue and checks the values loaded and the one warning
line that says what was assumed; the last tests load the real MetaBase drop-jump exports in place.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from imu_app.cli import main
from imu_app.core import RecordingFormatError
from imu_app.recordings import detect_format, load

RNG = np.random.default_rng(14)
EPOCH0_MS = 1_581_446_799_382  # 2020-02-11T18:46:39.382Z
_DECIMAL = re.compile(r"[+-]?\d+\.\d+")


def _resave(
    path: Path,
    names: list[str],
    rows: list[list[str]],
    *,
    index: tuple[str, ...] = (),
    sep: str = ",",
    decimal: str = ".",
    quote: bool = False,
    bom: bool = False,
    crlf: bool = False,
    trailing: int = 0,
) -> Path:
    """Write a table as a second program saves it again.

    ``index`` names the leading index columns pandas writes (``""``, ``"Unnamed: 0"``), filled with row
    numbers that do not start at 0 (a slice of a longer table); ``decimal`` replaces the point of decimal
    numbers (not of text such as MetaBase's ``13.46.39.382``); ``quote`` puts every cell in double quotes;
    ``trailing`` adds empty columns at the end of every line.
    """

    def cell(text: str) -> str:
        if _DECIMAL.fullmatch(text):
            text = text.replace(".", decimal)
        return f'"{text}"' if quote else text

    pad = [""] * trailing
    lines = [sep.join([*index, *(cell(n) for n in names), *pad])]
    for i, row in enumerate(rows):
        numbers = [str(20_000 + i + 7_000 * k) for k in range(len(index))]
        lines.append(sep.join([*numbers, *(cell(v) for v in row), *pad]))
    end = "\r\n" if crlf else "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + (end.join(lines) + end).encode())
    return path


def _metabase_rows(
    n: int, tz: str = "-0400", *, shown_offset_min: int | None = None, epoch_name: str = "epoch (ms)"
) -> tuple[list[str], list[list[str]], np.ndarray, np.ndarray]:
    """A MetaBase accelerometer export at 400 Hz: names, rows as text, epoch ms, acceleration in g.

    The local-time column shows the instants at ``shown_offset_min`` (by default the offset in ``tz``).
    """
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", tz)
    assert m
    named = (int(m.group(2)) * 60 + int(m.group(3))) * (-1 if m.group(1) == "-" else 1)
    offset = timedelta(minutes=named if shown_offset_min is None else shown_offset_min)
    epoch_ms = EPOCH0_MS + np.floor(np.arange(n) * 2.5).astype(np.int64)
    acc = np.round(RNG.normal(0, 1, (n, 3)), 3)
    names = [epoch_name, f"timestamp ({tz})", "elapsed (s)", "x-axis (g)", "y-axis (g)", "z-axis (g)"]
    rows = []
    for e, (x, y, z) in zip(epoch_ms, acc, strict=True):
        local = datetime(1970, 1, 1) + timedelta(milliseconds=int(e)) + offset
        text = local.strftime("%Y-%m-%dT%H.%M.%S.") + f"{local.microsecond // 1000:03d}"
        rows.append(
            [str(e), text, f"{(e - EPOCH0_MS) / 1000 + 8348.075:.3f}", f"{x:.3f}", f"{y:.3f}", f"{z:.3f}"]
        )
    return names, rows, epoch_ms, acc


def _note(data) -> str:
    """The one line saying what was assumed (it comes first among the warnings)."""
    notes = [w for w in data.warnings if "read assuming" in w]
    assert len(notes) == 1, data.warnings
    return notes[0]


def _generic_rows(n: int) -> tuple[list[str], list[list[str]], np.ndarray, np.ndarray]:
    """A generic CSV at 100 Hz with acceleration in g and angular rate in deg/s."""
    t = np.arange(n) / 100
    values = np.round(RNG.normal(0, 1, (n, 6)), 4)
    names = [
        "time (s)",
        "acc_x (g)",
        "acc_y (g)",
        "acc_z (g)",
        "gyr_x (deg/s)",
        "gyr_y (deg/s)",
        "gyr_z (deg/s)",
    ]
    rows = [[f"{ti:.2f}", *(f"{v:.4f}" for v in vals)] for ti, vals in zip(t, values, strict=True)]
    return names, rows, t, values


# ------------------------------------------------------------------------------------ MetaBase time zones


@pytest.mark.parametrize(
    ("tz", "iso_offset"),
    [
        ("-0400", "-04:00"),
        ("+0530", "+05:30"),
        ("-04:00", "-04:00"),
        ("+0000", "+00:00"),
        ("-13:00", "-13:00"),
    ],
)
@pytest.mark.parametrize("epoch_name", ["epoch (ms)", "epoc (ms)"])
def test_metabase_any_utc_offset(tmp_path: Path, tz: str, iso_offset: str, epoch_name: str) -> None:
    names, rows, _, acc = _metabase_rows(400, tz, epoch_name=epoch_name)
    path = _resave(tmp_path / "MetaWear_Accelerometer.csv", names, rows)
    assert detect_format(path) == "mbientlab"
    data = load(path)
    assert np.array_equal(data.acc_g, acc)
    assert data.sample_rate_hz == pytest.approx(400, rel=2e-3)
    start = datetime.fromisoformat(data.meta.start_time)
    assert data.meta.start_time.endswith(iso_offset)
    # The same instant as the first stamp, to within the reconstruction (a fraction of a millisecond).
    assert abs(start.timestamp() * 1e3 - EPOCH0_MS) < 1.0
    zone = "UTC" if iso_offset == "+00:00" else f"UTC{iso_offset}"
    assert _note(data).endswith(
        f"read assuming {epoch_name!r} is UTC and the phone's local time was {zone} (start time in it)"
    )


def test_metabase_rows_are_followed_where_the_name_disagrees(tmp_path: Path) -> None:
    # The name says -04:00 but every row is 5 h behind UTC, as in real exports of a winter recording.
    names, rows, _, _ = _metabase_rows(200, "-0400", shown_offset_min=-300)
    data = load(_resave(tmp_path / "acc.csv", names, rows))
    assert data.meta.start_time.startswith("2020-02-11T13:46:39.") and data.meta.start_time.endswith("-05:00")
    assert "UTC-05:00 as the rows of 'timestamp (-0400)' show, not UTC-04:00 as its name says" in _note(data)


def test_metabase_local_times_a_spreadsheet_rewrote_fall_back_to_the_name(tmp_path: Path) -> None:
    names, rows, _, _ = _metabase_rows(200, "+0530")
    for row in rows:
        row[1] = "11/02/2020 19:16"  # reformatted by a spreadsheet: no longer the same instant to the ms
    data = load(_resave(tmp_path / "acc.csv", names, rows))
    assert data.meta.start_time.endswith("+05:30")
    assert "local time was UTC+05:30 (start time in it)" in _note(data)


# ------------------------------------------------------------------------------------ saved again by pandas


@pytest.mark.parametrize(
    "index",
    [("",), ("Unnamed: 0",), ("", "Unnamed: 0"), ("", "Unnamed: 0", "Unnamed: 0.1")],
    ids=["index", "index-dropped", "saved-twice", "three"],
)
def test_pandas_index_columns_metabase(tmp_path: Path, index: tuple[str, ...]) -> None:
    names, rows, _, acc = _metabase_rows(300)
    path = _resave(tmp_path / "acc.csv", names, rows, index=index)
    assert detect_format(path) == "mbientlab"
    data = load(path)
    assert np.array_equal(data.acc_g, acc)
    assert len(data) == 300 and data.meta.start_time.endswith("-04:00")
    shown = ", ".join(repr(n) for n in index)
    columns = f"column ({shown}) holds" if len(index) == 1 else f"{len(index)} columns ({shown}) hold"
    assert f"the first {columns} row numbers written by pandas (skipped)" in _note(data)


@pytest.mark.parametrize("index", [("",), ("Unnamed: 0",), ("", "Unnamed: 0")])
def test_pandas_index_columns_generic(tmp_path: Path, index: tuple[str, ...]) -> None:
    names, rows, t, values = _generic_rows(250)
    path = _resave(tmp_path / "export.csv", names, rows, index=index)
    assert detect_format(path) == "generic"
    data = load(path)
    assert np.allclose(data.t_s, t, rtol=0, atol=1e-12)
    assert np.array_equal(data.acc_g, values[:, :3]) and np.array_equal(data.gyr_dps, values[:, 3:])
    assert "row numbers written by pandas (skipped)" in _note(data)
    assert not any("ignored columns" in w for w in data.warnings)


def test_unnamed_column_of_text_is_not_an_index(tmp_path: Path) -> None:
    # A leading column without a name whose values are not row numbers is a column like any other.
    names, rows, _, _ = _generic_rows(20)
    path = tmp_path / "labels.csv"
    path.write_text(",".join(["", *names]) + "\n" + "".join(",".join(["hop", *r]) + "\n" for r in rows))
    data = load(path)
    assert not any("read assuming" in w for w in data.warnings)
    assert any("ignored columns ''" in w for w in data.warnings)


# ------------------------------------------------------------------------------------ saved by a spreadsheet

SPREADSHEET = {
    "quoted": ({"quote": True}, ["numbers in double quotes are plain numbers"]),
    "bom": ({"bom": True}, ["the byte-order mark at the start is not part of the header (ignored)"]),
    "crlf": ({"crlf": True}, ["lines end in CR LF (Windows line ends)"]),
    "semicolon-decimal-comma": (
        {"sep": ";", "decimal": ","},
        ["',' is the decimal mark (semicolon-separated values)"],
    ),
    "tab-decimal-comma": ({"sep": "\t", "decimal": ","}, ["',' is the decimal mark (tab-separated values)"]),
    "comma-quoted-decimal-comma": (
        {"decimal": ",", "quote": True},
        ["',' is the decimal mark (comma-separated values)", "numbers in double quotes"],
    ),
    "trailing-empty": (
        {"trailing": 2},
        ["the empty columns at the end of each row (2) are padding (ignored)"],
    ),
    "excel-de": (
        {"sep": ";", "decimal": ",", "quote": True, "bom": True, "crlf": True, "trailing": 1},
        [
            "',' is the decimal mark (semicolon-separated values)",
            "numbers in double quotes are plain numbers",
            "byte-order mark",
            "CR LF",
            "empty columns at the end of each row (1)",
        ],
    ),
    "pandas-then-excel": (
        {"index": ("", "Unnamed: 0"), "sep": "\t", "decimal": ",", "crlf": True, "bom": True},
        ["the first 2 columns ('', 'Unnamed: 0') hold row numbers", "',' is the decimal mark (tab-separated"],
    ),
}


@pytest.mark.parametrize("case", list(SPREADSHEET))
def test_spreadsheet_metabase(tmp_path: Path, case: str) -> None:
    options, phrases = SPREADSHEET[case]
    names, rows, _, acc = _metabase_rows(300, "-04:00")
    path = _resave(tmp_path / "acc.csv", names, rows, **options)
    assert detect_format(path) == "mbientlab"
    data = load(path)
    assert np.array_equal(data.acc_g, acc)
    assert data.meta.start_time.endswith("-04:00")
    note = _note(data)
    assert note.startswith("acc.csv: read assuming ") and "\n" not in note
    for phrase in [*phrases, "local time was UTC-04:00"]:
        assert phrase in note


@pytest.mark.parametrize("case", list(SPREADSHEET))
def test_spreadsheet_generic(tmp_path: Path, case: str) -> None:
    options, phrases = SPREADSHEET[case]
    names, rows, t, values = _generic_rows(250)
    path = _resave(tmp_path / "export.csv", names, rows, **options)
    assert detect_format(path) == "generic"
    data = load(path)
    assert np.allclose(data.t_s, t, rtol=0, atol=1e-12)
    assert np.array_equal(data.acc_g, values[:, :3]) and np.array_equal(data.gyr_dps, values[:, 3:])
    note = _note(data)
    for phrase in phrases:
        assert phrase in note
    assert not any("ignored columns" in w for w in data.warnings)


def test_polar_saved_again_keeps_its_start_time(tmp_path: Path) -> None:
    names = ["Phone timestamp", "sensor timestamp [ns]", "X [mg]", "Y [mg]", "Z [mg]"]
    t_ns = 767_000_000_000_000_000 + np.arange(100, dtype=np.int64) * 5_000_000
    rows = [[f"2024-04-24T14:10:20.{i * 5:03d}", str(t), str(-i), "3", "1000"] for i, t in enumerate(t_ns)]
    path = _resave(tmp_path / "ACC.txt", names, rows, index=("",), sep=";", quote=True, crlf=True)
    data = load(path)
    assert data.meta.source_format == "polar" and data.meta.start_time == "2024-04-24T14:10:20"
    assert np.allclose(data.acc_g[:, 0], -np.arange(100) / 1000) and np.allclose(np.diff(data.t_s), 0.005)
    assert "the first column ('') holds row numbers" in _note(data)


def test_plain_exports_carry_no_note(tmp_path: Path) -> None:
    names, rows, _, _ = _generic_rows(50)
    assert not any("read assuming" in w for w in load(_resave(tmp_path / "g.csv", names, rows)).warnings)


# ------------------------------------------------------------------------------------ errors stay located


def test_bad_cell_in_a_resaved_file_names_its_file_line_and_column(tmp_path: Path) -> None:
    names, rows, _, _ = _metabase_rows(100)
    rows[41][4] = "0.1.2"
    path = _resave(tmp_path / "acc.csv", names, rows, index=("", "Unnamed: 0"), sep=";", decimal=",")
    with pytest.raises(RecordingFormatError) as info:
        load(path)
    err = info.value
    # Line 43 (header, then row 42); column 7 counts the two index columns as a spreadsheet shows them.
    assert (err.line, err.column, err.column_name) == (43, 7, "y-axis (g)")
    assert str(err) == f"{path}, line 43, column 7 (y-axis (g)): value '0.1.2' is not a number"


def test_epoch_rounded_by_a_spreadsheet_says_so(tmp_path: Path) -> None:
    names, rows, _, _ = _metabase_rows(100)
    rows[0][0] = "1,58145E+12"
    path = _resave(tmp_path / "acc.csv", names, rows, sep=";", decimal=",", index=("",))
    with pytest.raises(
        RecordingFormatError, match="not a whole number; a spreadsheet may have rounded it"
    ) as info:
        load(path)
    assert (info.value.line, info.value.column, info.value.column_name) == (2, 2, "epoch (ms)")


def test_short_row_in_a_resaved_file_is_located(tmp_path: Path) -> None:
    names, rows, _, _ = _generic_rows(30)
    rows[9] = rows[9][:4]
    path = _resave(tmp_path / "export.csv", names, rows, index=("",), crlf=True)
    with pytest.raises(RecordingFormatError, match="row has 5 fields but the header has 8") as info:
        load(path)
    assert (info.value.line, info.value.column, info.value.column_name) == (11, 6, "gyr_x (deg/s)")


# ------------------------------------------------------------------------------------ the real exports

#: Samples in each of the five MetaBase drop-jump exports (rows after the header).
REAL_SAMPLES = {
    "Accel1.csv": 1737,
    "Accel2.csv": 1390,
    "Accel3.csv": 1998,
    "Accel4.csv": 1737,
    "Accel5.csv": 1911,
}


def test_real_metabase_exports_saved_again_by_pandas(shared_data: Path) -> None:
    folder = shared_data / "jmu-dropjump"
    if not folder.is_dir():
        pytest.skip(f"the real MetaBase drop-jump exports are not at {folder}")
    for name, n in REAL_SAMPLES.items():
        data = load(folder / name)
        assert data.meta.source_format == "mbientlab" and len(data) == n, name
        # MetaMotion accelerometer at a nominal 400 Hz; its clock runs about 0.8 % slow of the phone's.
        assert 390 < data.sample_rate_hz < 405, name
        assert data.gaps == () and np.all(np.diff(data.t_s) > 0)
        assert data.gyr_dps is None
        # Standing still at the start: about 1 g.
        assert 0.8 < np.median(np.linalg.norm(data.acc_g[:100], axis=1)) < 1.2
        note = _note(data)
        assert note.startswith(
            f"{name}: read assuming the first 2 columns ('', 'Unnamed: 0') hold row numbers"
        )
        assert "UTC-05:00 as the rows of 'timestamp (-0400)' show" in note
        assert data.meta.start_time.startswith("2020-02-11T13:4") and data.meta.start_time.endswith("-05:00")


def test_real_export_through_the_command_line(shared_data: Path, tmp_path: Path, capsys) -> None:
    path = shared_data / "jmu-dropjump" / "Accel1.csv"
    if not path.is_file():
        pytest.skip(f"the real MetaBase drop-jump export is not at {path}")
    out = tmp_path / "report.json"
    assert main(["analyse", str(path), "-e", "drop_jump", "--format", "json", "-o", str(out)]) == 0
    recording = json.loads(out.read_text())["recording"]
    assert recording["n_samples"] == 1737 and recording["sample_rate_hz"] == pytest.approx(396.7, abs=0.5)
    assert any("read assuming" in w and "row numbers written by pandas" in w for w in recording["warnings"])
