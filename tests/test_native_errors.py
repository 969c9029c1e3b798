"""Every way a native recording can be broken gives a RecordingFormatError naming file, line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imu_app.core import RecordingFormatError
from imu_app.recordings import load
from imu_app.recordings._native import read_native

HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq"
META = "# imu-app recording\n# format_version: 1\n# device: test\n"  # lines 1-3, header on line 4
ROWS = [
    "0.000000,0.010000,-0.990000,0.020000,1.0000,2.0000,3.0000,0",  # line 5
    "0.001000,0.011000,-0.991000,0.021000,1.1000,2.1000,3.1000,0",  # line 6
    "0.002000,0.012000,-0.992000,0.022000,1.2000,2.2000,3.2000,1",  # line 7
]


def _file(rows: list[str] | None = None, header: str = HEADER, meta: str = META) -> bytes:
    rows = ROWS if rows is None else rows
    return (meta + header + "\n" + "".join(r + "\n" for r in rows)).encode()


def _row(i: int, col: int, value: str) -> list[str]:
    """ROWS with the field ``col`` (1-based) of row ``i`` (0-based) replaced by ``value``."""
    rows = [r.split(",") for r in ROWS]
    rows[i][col - 1] = value
    return [",".join(r) for r in rows]


# (id, file content, expected line, expected column, expected column name, words in the message)
CASES = [
    ("empty", b"", None, None, None, "empty"),
    ("metadata only, no header", META.encode(), 4, None, None, "no header"),
    ("data where the header belongs", (META + ROWS[0] + "\n").encode(), 4, None, None, "no header"),
    ("no t_s", _file(header=HEADER.replace("t_s", "time_s")), 4, 1, "time_s", "unknown column"),
    (
        "missing t_s column",
        (META + "acc_x_g,acc_y_g,acc_z_g\n0.1,0.2,0.3\n").encode(),
        4,
        None,
        None,
        "missing column t_s",
    ),
    (
        "only two acc axes",
        (META + "t_s,acc_x_g,acc_y_g\n0.0,0.1,0.2\n").encode(),
        4,
        None,
        None,
        "missing column acc_z_g",
    ),
    (
        "two gyro axes",
        (META + "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps\n0,0,0,1,0,0\n").encode(),
        4,
        None,
        None,
        "gyr_z_dps",
    ),
    (
        "unknown column",
        _file(header=HEADER + ",temperature_c", rows=[r + ",20" for r in ROWS]),
        4,
        9,
        "temperature_c",
        "unknown column",
    ),
    ("repeated column", _file(header=HEADER.replace("seq", "acc_x_g")), 4, 8, "acc_x_g", "repeats"),
    (
        "acc in furlongs",
        _file(header=HEADER.replace("acc_x_g", "acc_x_furlongs")),
        4,
        2,
        "acc_x_furlongs",
        "unknown acceleration unit 'furlongs'",
    ),
    (
        "time in minutes",
        _file(header=HEADER.replace("t_s", "t_min")),
        4,
        1,
        "t_min",
        "unknown time unit 'min'",
    ),
    ("gyro without unit", _file(header=HEADER.replace("gyr_y_dps", "gyr_y")), 4, 6, "gyr_y", "has no unit"),
    ("non-numeric value", _file(_row(1, 3, "abc")), 6, 3, "acc_y_g", "'abc' is not a number"),
    ("comma decimal", _file(_row(2, 5, "1;5")), 7, 5, "gyr_x_dps", "not a number"),
    ("empty value", _file(_row(1, 4, "")), 6, 4, "acc_z_g", "empty value"),
    ("NaN value", _file(_row(1, 5, "nan")), 6, 5, "gyr_x_dps", "not a finite number"),
    ("NaN in time", _file(_row(2, 1, "NaN")), 7, 1, "t_s", "not a finite number"),
    ("inf value", _file(_row(2, 2, "inf")), 7, 2, "acc_x_g", "not a finite number"),
    ("-inf value", _file(_row(0, 7, "-inf")), 5, 7, "gyr_z_dps", "not a finite number"),
    ("overflowing value", _file(_row(1, 6, "1e999")), 6, 6, "gyr_y_dps", "not a finite number"),
    ("time backwards", _file(_row(2, 1, "0.000500")), 7, 1, "t_s", "time goes backwards"),
    ("time repeats", _file(_row(2, 1, "0.001000")), 7, 1, "t_s", "time repeats"),
    ("negative seq", _file(_row(1, 8, "-1")), 6, 8, "seq", "sequence number"),
    ("fractional seq", _file(_row(1, 8, "1.5")), 6, 8, "seq", "sequence number"),
    (
        "too few fields",
        _file([ROWS[0], ",".join(ROWS[1].split(",")[:6]), ROWS[2]]),
        6,
        7,
        "gyr_z_dps",
        "6 fields",
    ),
    ("too many fields", _file([ROWS[0], ROWS[1] + ",9", ROWS[2]]), 6, 9, None, "9 fields"),
    ("blank row in the middle", _file([ROWS[0], "", ROWS[1]]), 6, None, None, "empty row"),
    (
        "random bytes",
        bytes(np.random.default_rng(3).integers(128, 256, 500, dtype=np.uint8)),
        1,
        None,
        None,
        "not a UTF-8 text file",
    ),
    ("PNG renamed .csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), 1, None, None, "PNG image"),
    ("binary garbage after good rows", _file() + b"\x00\x01\x02\xff\xfe\n", 8, None, None, "binary data"),
    ("invalid UTF-8 in a row", _file() + b"0.003\xff,1,2,3,4,5,6,7\n", 8, None, None, "not a UTF-8"),
    (
        "metadata without colon",
        META.replace("# device: test", "# device test").encode() + _file()[len(META) :],
        3,
        None,
        None,
        "malformed metadata",
    ),
    (
        "metadata key with spaces",
        (META + "# sample rate: 100\n").encode() + _file()[len(META) :],
        4,
        None,
        None,
        "malformed metadata",
    ),
    (
        "metadata key repeated",
        (META + "# device: other\n").encode() + _file()[len(META) :],
        4,
        None,
        None,
        "repeats line 3",
    ),
    (
        "bad sample rate",
        (META + "# sample_rate_hz: fast\n").encode() + _file()[len(META) :],
        4,
        None,
        None,
        "positive number",
    ),
    (
        "bad start time",
        (META + "# start_time: yesterday\n").encode() + _file()[len(META) :],
        4,
        None,
        None,
        "ISO 8601",
    ),
    (
        "format version 2",
        _file(meta=META.replace("format_version: 1", "format_version: 2")),
        2,
        None,
        None,
        "unsupported format_version '2'",
    ),
    ("no format version", _file(meta="# imu-app recording\n# device: x\n"), 3, None, None, "format_version"),
    (
        "wrong first line",
        _file(meta="# some other tool\n# format_version: 1\n# device: x\n"),
        1,
        None,
        None,
        "first line",
    ),
    ("header cut off", (META + "t_s,acc_x").encode(), 4, None, None, "ends inside the header"),
    ("header only", _file(rows=[]), 5, None, None, "no complete samples"),
]


@pytest.mark.parametrize(
    ("content", "line", "column", "column_name", "words"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_fault_is_located(tmp_path: Path, content: bytes, line, column, column_name, words) -> None:
    path = tmp_path / "rec.csv"
    path.write_bytes(content)
    with pytest.raises(RecordingFormatError) as info:
        read_native(path)
    err = info.value
    assert err.path == path
    assert (err.line, err.column, err.column_name) == (line, column, column_name), str(err)
    assert words in err.message, str(err)
    assert str(path) in str(err)
    if line is not None:
        assert f"line {line}" in str(err)


def test_load_reports_binary_garbage_clearly(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(RecordingFormatError, match="PNG image"):
        load(path)


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="not found"):
        load(tmp_path / "nothing.csv")


@pytest.mark.parametrize(
    ("fault_row", "col", "value", "words"),
    [
        (39_990, 4, "nan", "not a finite number"),  # found by the line-by-line pass (parser refuses)
        (39_990, 4, "inf", "not a finite number"),  # found by the vectorised checks
        (25_000, 1, "0.5", "time goes backwards"),
        (30_001, 3, "x1", "not a number"),
    ],
)
def test_fault_deep_in_a_long_file(tmp_path: Path, fault_row: int, col: int, value: str, words: str) -> None:
    n = 40_000
    rows = [f"{i / 1000:.6f},0.1,0.2,0.9,1.0,2.0,3.0,{i // 4}" for i in range(n)]
    parts = rows[fault_row].split(",")
    parts[col - 1] = value
    rows[fault_row] = ",".join(parts)
    path = tmp_path / "long.csv"
    path.write_bytes(_file(rows))
    with pytest.raises(RecordingFormatError) as info:
        read_native(path)
    assert (info.value.line, info.value.column) == (5 + fault_row, col)
    assert words in info.value.message


def test_first_fault_in_file_order_wins(tmp_path: Path) -> None:
    # A time fault on line 6 and a non-finite value on line 7: line 6 is reported.
    rows = _row(1, 1, "0.000000")
    rows[2] = rows[2].replace("1.2000", "inf")
    path = tmp_path / "two.csv"
    path.write_bytes(_file(rows))
    with pytest.raises(RecordingFormatError) as info:
        read_native(path)
    assert (info.value.line, info.value.column) == (6, 1)
