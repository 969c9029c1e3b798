"""The native format v1: round trip, layout, tolerated variations and the streaming writer."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from imu_app.core import ImuAppError, ImuData, RecordingMeta
from imu_app.recordings import FORMATS, NativeWriter, detect_format, load, write_native

META = RecordingMeta(
    device="ankle-imu v2",
    firmware="1.4.0",
    sample_rate_hz=1666.0,
    acc_range_g=16.0,
    gyr_range_dps=2000.0,
    placement="lateral malleolus",
    leg="left",
    athlete="A. Runner",
    exercise="pogo hops",
    start_time="2024-05-01T09:30:00.250000+02:00",
    extra={"session": "week 3", "coach_note": "fresh legs: hops ok"},
)


def _data(
    n: int = 5000, *, gyro: bool = True, seq: bool = True, rate_hz: float = 1666.0, seed: int = 0
) -> ImuData:
    rng = np.random.default_rng(seed)
    t = 12.5 + np.arange(n) / rate_hz + rng.uniform(-5e-5, 5e-5, n)  # sensor jitter, kept as recorded
    return ImuData(
        t_s=t,
        acc_g=rng.normal(0, 4, (n, 3)),
        gyr_dps=rng.normal(0, 500, (n, 3)) if gyro else None,
        seq=(np.arange(n) // 6) % 65536 if seq else None,
        meta=META,
    )


def _as_written(values: np.ndarray, decimals: int) -> np.ndarray:
    """What a reader must get back: each value through its written text."""
    return np.array([float(f"{v:.{decimals}f}") for v in np.ravel(values)]).reshape(np.shape(values))


def test_round_trip_is_exact_to_the_written_precision(tmp_path: Path) -> None:
    data = _data()
    path = tmp_path / "rec.csv"
    write_native(path, data)
    back = load(path)
    assert back.meta.source_format == "native"
    assert np.array_equal(back.t_s, _as_written(data.t_s, 6))
    assert np.array_equal(back.acc_g, _as_written(data.acc_g, 6))
    assert np.array_equal(back.gyr_dps, _as_written(data.gyr_dps, 4))
    assert np.array_equal(back.seq, data.seq)
    assert back.meta == META.replace(source_format="native")
    assert back.warnings == ()
    # Written twice, the file is byte-identical: nothing drifts through a round trip.
    again = tmp_path / "again.csv"
    write_native(again, back)
    assert again.read_bytes() == path.read_bytes()


def test_layout_matches_the_documentation(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    write_native(path, _data(3))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# imu-app recording"
    assert lines[1] == "# format_version: 1"
    keys = [re.match(r"# (\w+):", line).group(1) for line in lines[1:-4]]
    assert keys[:11] == [
        "format_version",
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
    ]
    assert "# sample_rate_hz: 1666" in lines
    assert "# session: week 3" in lines
    assert lines[-4] == "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq"
    t, ax, _ay, _az, gx, _gy, _gz, seq = lines[-3].split(",")
    assert re.fullmatch(r"-?\d+\.\d{6}", t) and re.fullmatch(r"-?\d+\.\d{6}", ax)
    assert re.fullmatch(r"-?\d+\.\d{4}", gx) and re.fullmatch(r"\d+", seq)


def test_accelerometer_only_without_seq(tmp_path: Path) -> None:
    data = _data(200, gyro=False, seq=False, rate_hz=100.0)
    path = tmp_path / "acc.csv"
    write_native(path, data)
    assert path.read_text().splitlines()[-201] == "t_s,acc_x_g,acc_y_g,acc_z_g"
    back = load(path)
    assert back.gyr_dps is None and back.seq is None and not back.has_gyro
    assert np.array_equal(back.acc_g, _as_written(data.acc_g, 6))


def test_unknown_metadata_is_empty_and_imported_source_is_kept(tmp_path: Path) -> None:
    data = ImuData(t_s=[0.0, 0.01], acc_g=[[0, 0, 1], [0, 0, 1]], meta=RecordingMeta(source_format="polar"))
    path = tmp_path / "rec.csv"
    write_native(path, data)
    text = path.read_text()
    assert "# device:\n" in text and "# imported_from: polar\n" in text
    back = load(path)
    assert back.meta.device is None and back.meta.sample_rate_hz is None
    assert back.meta.extra == {"imported_from": "polar"}
    assert back.sample_rate_hz == pytest.approx(100.0)


def test_reader_accepts_other_units_column_order_crlf_and_bom(tmp_path: Path) -> None:
    text = (
        "\ufeff# imu-app recording\r\n# format_version: 1\r\n\r\n"
        "seq,acc_z_mg,acc_y_mg,acc_x_mg,t_ms,gyr_x_rad/s,gyr_y_rad/s,gyr_z_rad/s\r\n"
        "7,1000,0,-500,1000.5,3.141592653589793,0,0\r\n"
        "7,990,10,-490,1001.5,0,-1.5707963267948966,0\r\n"
    )
    path = tmp_path / "variant.csv"
    path.write_bytes(text.encode("utf-8"))
    data = load(path)
    assert np.allclose(data.t_s, [1.0005, 1.0015])
    assert np.allclose(data.acc_g, [[-0.5, 0.0, 1.0], [-0.49, 0.01, 0.99]])
    assert np.allclose(data.gyr_dps, [[180.0, 0, 0], [0, -90.0, 0]])
    assert list(data.seq) == [7, 7]


def test_truncated_last_line_is_dropped_with_a_warning(tmp_path: Path) -> None:
    data = _data(50)
    full = tmp_path / "full.csv"
    write_native(full, data)
    content = full.read_bytes()
    last_row_start = content.rstrip(b"\n").rfind(b"\n") + 1
    n_lines = content.count(b"\n")
    # Cut the file at every byte of the last row: always 49 samples and a warning naming the last line.
    for cut in range(last_row_start + 1, len(content) - 1):
        path = tmp_path / "cut.csv"
        path.write_bytes(content[:cut])
        back = load(path)
        assert len(back) == 49
        assert np.array_equal(back.acc_g, _as_written(data.acc_g[:49], 6))
        assert len(back.warnings) == 1 and f"line {n_lines} is incomplete" in back.warnings[0]
    # Trailing blank lines are not a truncation.
    path = tmp_path / "blank_end.csv"
    path.write_bytes(content + b"\n\n")
    assert len(load(path)) == 50 and load(path).warnings == ()


def test_gaps_come_from_time_and_sequence(tmp_path: Path) -> None:
    # Samples 100-102 are missing (a time gap); the sequence jumps from 149 to 151 at index 148 (a lost packet
    # whose samples the sensor re-timed, visible only in the sequence numbers).
    t = np.concatenate([np.arange(100), np.arange(103, 200)]) / 100.0
    seq = np.arange(len(t))
    seq[149:] += 1
    data = ImuData(t, np.zeros((len(t), 3)), seq=seq, meta=RecordingMeta(sample_rate_hz=100.0))
    path = tmp_path / "gap.csv"
    write_native(path, data)
    gaps = load(path).gaps
    assert [(g.before_idx, g.n_missing) for g in gaps] == [(99, 3), (148, 0)]


def test_detect_native(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    write_native(path, _data(10))
    assert detect_format(path) == "native"
    assert "native" in FORMATS


def test_streaming_writer_in_chunks_equals_write_native(tmp_path: Path) -> None:
    data = _data(1000)
    streamed = tmp_path / "streamed.csv"
    with NativeWriter(streamed, META) as writer:
        for start in range(0, 1000, 37):
            sl = slice(start, start + 37)
            writer.append(data.t_s[sl], data.acc_g[sl], data.gyr_dps[sl], data.seq[sl])
        assert writer.n_written == 1000
    whole = tmp_path / "whole.csv"
    write_native(whole, data)
    assert streamed.read_bytes() == whole.read_bytes()


def test_writer_closed_without_samples_leaves_a_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    NativeWriter(path, META, has_gyro=False).close()
    assert path.read_text().endswith("t_s,acc_x_g,acc_y_g,acc_z_g\n")


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"t_s": [0.0, 0.0]}, "increase strictly"),
        ({"t_s": [0.0, 0.0000004]}, "increase strictly"),
        ({"acc_g": [[0, 0, np.nan], [0, 0, 1]]}, "not finite"),
        ({"gyr_dps": None}, "needs gyr_dps"),
        ({"gyr_dps": [[0, 0, np.inf], [0, 0, 0]]}, "not finite"),
        ({"seq": [0.5, 1]}, "non-negative integers"),
        ({"seq": [-1, 1]}, "non-negative integers"),
        ({"acc_g": [[0, 0, 1]]}, "shape"),
    ],
)
def test_writer_refuses_what_the_reader_would_refuse(tmp_path: Path, kwargs: dict, words: str) -> None:
    chunk = {"t_s": [0.0, 0.001], "acc_g": [[0, 0, 1], [0, 0, 1]], "gyr_dps": [[0, 0, 0]] * 2, "seq": [0, 1]}
    chunk.update(kwargs)
    with NativeWriter(tmp_path / "w.csv", META) as writer, pytest.raises(ImuAppError, match=words):
        writer.append(**chunk)


def test_writer_refuses_time_going_back_across_chunks(tmp_path: Path) -> None:
    with NativeWriter(tmp_path / "w.csv", META, has_gyro=False) as writer:
        writer.append([1.0, 1.001], [[0, 0, 1]] * 2)
        with pytest.raises(ImuAppError, match="increase strictly"):
            writer.append([1.001], [[0, 0, 1]])
        writer.append([1.002], [[0, 0, 1]])
    assert len(load(tmp_path / "w.csv")) == 3


def test_write_native_keeps_an_existing_file_when_it_fails(tmp_path: Path) -> None:
    path = tmp_path / "rec.csv"
    write_native(path, _data(10))
    before = path.read_bytes()
    bad = ImuData(t_s=[0.0, 1.0], acc_g=[[0, 0, 1], [np.nan, 0, 1]])
    with pytest.raises(ImuAppError, match="not finite"):
        write_native(path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.csv"]


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        (RecordingMeta(athlete="two\nlines"), "line break"),
        (RecordingMeta(extra={"Bad Key": "x"}), "cannot be written"),
        (RecordingMeta(extra={"device": "x"}), "reserved"),
    ],
)
def test_metadata_that_cannot_be_written(tmp_path: Path, meta: RecordingMeta, words: str) -> None:
    with pytest.raises(ImuAppError, match=words):
        NativeWriter(tmp_path / "m.csv", meta)
