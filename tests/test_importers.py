"""Importers of other tools' exports, each on a file written in that tool's documented layout."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from imu_app.core import STANDARD_GRAVITY_M_S2, RecordingFormatError
from imu_app.recordings import FORMATS, detect_format, load, write_native

RNG = np.random.default_rng(7)


def _signal(n: int, scale: float) -> np.ndarray:
    return np.round(RNG.normal(0, scale, (n, 3)), 3)


# --------------------------------------------------------------------------------------------- MbientLab


def _metabase(path: Path, epoch_ms: np.ndarray, xyz: np.ndarray, unit: str, tz: str = "+0000") -> Path:
    """A MetaBase CSV: epoch (ms), local time text, elapsed (s), three axes."""
    lines = [f"epoch (ms),timestamp ({tz}),elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})"]
    for e, (x, y, z) in zip(epoch_ms, xyz, strict=True):
        lines.append(
            f"{e},2024-05-01T07.30.{(e // 1000) % 60:02d}.{e % 1000:03d},{(e - epoch_ms[0]) / 1000:.3f},"
            f"{x:.3f},{y:.3f},{z:.3f}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def _packet_stamps(t_true_s: np.ndarray, per_packet: int) -> np.ndarray:
    """Whole-millisecond stamps, one per packet, shared by its samples (the MetaBase quirk)."""
    first = t_true_s[(np.arange(t_true_s.size) // per_packet) * per_packet]
    return np.floor(first * 1000).astype(np.int64)


T0_UNIX_S = 1_714_548_600.0  # 2024-05-01T07:30:00Z


def test_mbientlab_accelerometer_times_are_reconstructed(tmp_path: Path) -> None:
    n, rate = 3000, 99.8  # a sensor clock 0.2 % slow: the fit must keep it
    t_true = T0_UNIX_S + 0.0004 + np.arange(n) / rate
    t_true[1500:] += 0.5  # a real gap of 0.5 s (about 50 samples lost)
    acc = _signal(n, 1.0)
    path = _metabase(tmp_path / "acc.csv", _packet_stamps(t_true, 3), acc, "g")
    assert detect_format(path) == "mbientlab"
    data = load(path)
    assert data.meta.source_format == "mbientlab"
    assert np.array_equal(data.acc_g, acc)
    assert data.gyr_dps is None
    # Intervals are right to well under the 1 ms stamp resolution, across the gap too.
    err = (data.t_s - data.t_s[0]) - (t_true - t_true[0])
    assert np.max(np.abs(err - np.median(err))) < 0.4e-3
    assert np.all(np.diff(data.t_s) > 0)
    assert data.sample_rate_hz == pytest.approx(rate, rel=1e-3)
    assert [g.before_idx for g in data.gaps] == [1499]
    assert any("quantised to 1 ms" in w and "2 stretch(es)" in w for w in data.warnings)
    # The absolute offset is only known to within a packet: the stamps do not say which sample they time.
    start = datetime.fromisoformat(data.meta.start_time).timestamp()
    assert abs(start - t_true[0]) < 3 / rate


def test_mbientlab_acc_and_gyro_files_are_merged(tmp_path: Path) -> None:
    n = 2000
    t_acc = T0_UNIX_S + np.arange(n) / 100.0
    t_gyr = T0_UNIX_S + 0.25 + np.arange(n) / 100.0  # starts a quarter second later
    acc = _signal(n, 1.0)
    # A gyroscope that turns at a steady 10 deg/s per second ramp: linear interpolation is exact on it.
    ramp = np.column_stack([10 * (t_gyr - T0_UNIX_S), -5 * (t_gyr - T0_UNIX_S), np.full(n, 3.0)])
    a = _metabase(tmp_path / "MetaWear_Accelerometer.csv", _packet_stamps(t_acc, 2), acc, "g")
    g = _metabase(
        tmp_path / "MetaWear_Gyroscope.csv", _packet_stamps(t_gyr, 2), np.round(ramp, 3), "deg/s", tz="-13:00"
    )
    data = load([a, g])
    assert data.has_gyro
    assert 1970 <= len(data) <= 1976  # the accelerometer samples inside the gyroscope's span
    t_abs = data.t_s + (data.t_s[0] * 0)  # times count from the first kept sample
    expected_z = np.full(len(data), 3.0)
    assert np.allclose(data.gyr_dps[:, 2], expected_z)
    slope = np.polyfit(t_abs, data.gyr_dps[:, 0], 1)[0]
    assert slope == pytest.approx(10.0, rel=1e-3)
    assert any("merged MetaWear_Gyroscope.csv onto the accelerometer times" in w for w in data.warnings)
    assert any("dropped" in w and "outside" in w for w in data.warnings)
    # The same merge, files given in the other order.
    assert np.array_equal(load([g, a]).acc_g, data.acc_g)


def test_mbientlab_misspelt_epoch_header(tmp_path: Path) -> None:
    path = _metabase(tmp_path / "acc.csv", np.arange(100) * 10 + 1_714_548_600_000, _signal(100, 1), "g")
    path.write_text(path.read_text().replace("epoch (ms)", "epoc (ms)", 1))
    assert detect_format(path) == "mbientlab"


def test_mbientlab_magnetometer_is_refused(tmp_path: Path) -> None:
    path = _metabase(tmp_path / "mag.csv", np.arange(10) * 40 + 1_714_548_600_000, _signal(10, 30), "T")
    with pytest.raises(RecordingFormatError, match="neither an acceleration unit") as info:
        load(path)
    assert (info.value.line, info.value.column) == (1, 4)


# --------------------------------------------------------------------------------------------- Polar

POLAR_T0_NS = 767_000_000_000_000_000  # ns since 2000-01-01 (Polar's sensor epoch), in 2024


def _polar(path: Path, t_ns: np.ndarray, rows: list[str], units: str) -> Path:
    header = f"Phone timestamp;sensor timestamp [ns];X [{units}];Y [{units}];Z [{units}]"
    body = [
        f"2024-04-24T14:10:{20 + i // 200:02d}.{(i * 5) % 1000:03d};{t};{r}"
        for i, (t, r) in enumerate(zip(t_ns, rows, strict=True))
    ]
    path.write_text("\n".join([header, *body]) + "\n")
    return path


def test_polar_acc_and_gyro(tmp_path: Path) -> None:
    n = 1000
    t_acc = POLAR_T0_NS + np.arange(n, dtype=np.int64) * 4_998_000  # 200.08 Hz: irregular rates are kept
    t_gyr = POLAR_T0_NS + 1_000_000 + np.arange(n, dtype=np.int64) * 4_998_000
    acc_mg = RNG.integers(-2000, 2000, (n, 3))
    gyr = np.round(RNG.normal(0, 50, (n, 3)), 2)
    a = _polar(
        tmp_path / "Polar_H10_16E0A933_20240424_141011_ACC.txt",
        t_acc,
        [";".join(str(v) for v in r) for r in acc_mg],
        "mg",
    )
    g = _polar(
        tmp_path / "Polar_H10_16E0A933_20240424_141011_GYRO.txt",
        t_gyr,
        [";".join(f"{v:.2f}" for v in r) for r in gyr],
        "dps",
    )
    assert detect_format(a) == detect_format(g) == "polar"
    only_acc = load(a)
    assert np.allclose(only_acc.acc_g, acc_mg / 1000, rtol=1e-15, atol=0)
    assert np.allclose(np.diff(only_acc.t_s), 0.004998, atol=1e-12, rtol=0)
    assert only_acc.meta.device == "Polar H10 16E0A933"
    assert only_acc.meta.start_time == "2024-04-24T14:10:20"
    assert only_acc.warnings == ()
    both = load([a, g])
    assert len(both) == n - 1  # the first accelerometer sample precedes the gyroscope
    # Gyro times sit 1 ms after the accelerometer's; linear interpolation between neighbours.
    w = 1_000_000 / 4_998_000
    expected = gyr[:-1] * w + gyr[1:] * (1 - w)
    assert np.allclose(both.gyr_dps, expected[: n - 1], atol=1e-9)


def test_polar_magnetometer_is_refused(tmp_path: Path) -> None:
    path = _polar(tmp_path / "MAG.txt", POLAR_T0_NS + np.arange(5) * 10**7, ["0.1;0.2;0.3"] * 5, "G")
    with pytest.raises(RecordingFormatError, match=r"\[G\]"):
        load(path)


def test_polar_bad_value_is_located(tmp_path: Path) -> None:
    rows = ["1;2;3"] * 10
    rows[6] = "1;two;3"
    path = _polar(tmp_path / "ACC.txt", POLAR_T0_NS + np.arange(10) * 10**7, rows, "mg")
    with pytest.raises(RecordingFormatError, match="'two' is not a number") as info:
        load(path)
    assert (info.value.line, info.value.column, info.value.column_name) == (8, 4, "Y [mg]")


# --------------------------------------------------------------------------------------------- phyphox

DIALECTS = [(",", "."), ("\t", "."), (";", "."), ("\t", ","), (";", ",")]


def _java_sci(v: float, decimal: str) -> str:
    """A number as phyphox writes it (Java DecimalFormat "0.000000000E0")."""
    if v == 0:
        text = "0.000000000E0"
    else:
        exp = math.floor(math.log10(abs(v)))
        mant = v / 10**exp
        if round(abs(mant), 9) >= 10:
            mant, exp = mant / 10, exp + 1
        text = f"{mant:.9f}E{exp}"
    return text.replace(".", decimal)


def _phyphox(path: Path, names: list[str], columns: list[np.ndarray], sep: str, decimal: str) -> Path:
    lines = [sep.join(f'"{n}"' for n in names)]
    for row in zip(*columns, strict=True):
        lines.append(sep.join(_java_sci(float(v), decimal) for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("sep", "decimal"), DIALECTS, ids=["comma", "tab", "semicolon", "tab-dc", "semi-dc"])
def test_phyphox_accelerometer_and_gyroscope(tmp_path: Path, sep: str, decimal: str) -> None:
    n = 400
    t_acc = np.cumsum(RNG.uniform(0.0045, 0.0055, n))  # phone sensors: irregular, kept as they are
    t_gyr = np.cumsum(RNG.uniform(0.0045, 0.0055, n)) + 0.002
    acc = RNG.normal(0, 9.8, (n, 3))
    gyr = RNG.normal(0, 3, (n, 3))
    # The values as written (10 significant digits), so that expectations are exact.
    t_acc, t_gyr, acc, gyr = (
        np.vectorize(lambda v: float(_java_sci(v, ".")))(x) for x in (t_acc, t_gyr, acc, gyr)
    )
    a = _phyphox(
        tmp_path / "Accelerometer.csv",
        [
            "Time (s)",
            "Acceleration x (m/s^2)",
            "Acceleration y (m/s^2)",
            "Acceleration z (m/s^2)",
            "Absolute acceleration (m/s^2)",
        ],
        [t_acc, *acc.T, np.linalg.norm(acc, axis=1)],
        sep,
        decimal,
    )
    g = _phyphox(
        tmp_path / "Gyroscope.csv",
        ["Time (s)", "Gyroscope x (rad/s)", "Gyroscope y (rad/s)", "Gyroscope z (rad/s)", "Absolute (rad/s)"],
        [t_gyr, *gyr.T, np.linalg.norm(gyr, axis=1)],
        sep,
        decimal,
    )
    assert detect_format(a) == detect_format(g) == "phyphox"
    only = load(a)
    assert np.allclose(only.acc_g, acc / STANDARD_GRAVITY_M_S2, rtol=1e-8, atol=1e-12)
    assert np.allclose(only.t_s, t_acc - t_acc[0], rtol=0, atol=1e-9)
    both = load([a, g])
    keep = (t_acc >= t_gyr[0]) & (t_acc <= t_gyr[-1])
    assert len(both) == keep.sum()
    expected = np.column_stack([np.interp(t_acc[keep], t_gyr, gyr[:, k]) for k in range(3)]) * 180 / math.pi
    assert np.allclose(both.gyr_dps, expected, rtol=1e-12, atol=1e-12)
    assert both.meta.source_format == "phyphox"


def test_phyphox_nan_padding_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "Accelerometer.csv"
    path.write_text(
        '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"\n'
        "0.000000000E0,0.000000000E0,0.000000000E0,9.806650000E0\n"
        "1.000000000E-2,1.000000000E0,0.000000000E0,9.806650000E0\n"
        "NaN,NaN,NaN,NaN\n"
    )
    data = load(path)
    assert len(data) == 2 and data.acc_g[0, 2] == pytest.approx(1.0)
    assert any("NaN" in w for w in data.warnings)


def test_phyphox_linear_acceleration_is_refused(tmp_path: Path) -> None:
    path = _phyphox(
        tmp_path / "Linear Acceleration.csv",
        [
            "Time (s)",
            "Linear Acceleration x (m/s^2)",
            "Linear Acceleration y (m/s^2)",
            "Linear Acceleration z (m/s^2)",
            "Absolute acceleration (m/s^2)",
        ],
        [np.arange(5) / 100, *np.zeros((4, 5))],
        ",",
        ".",
    )
    assert detect_format(path) == "phyphox"
    with pytest.raises(RecordingFormatError, match="gravity removed"):
        load(path)


# --------------------------------------------------------------------------------------------- generic


def test_generic_si_units_with_gyro(tmp_path: Path) -> None:
    n = 300
    t = np.cumsum(RNG.uniform(0.009, 0.011, n))
    acc = RNG.normal(0, 9.8, (n, 3))
    gyr = RNG.normal(0, 2, (n, 3))
    path = tmp_path / "export.csv"
    header = (
        "time (s),acc_x (m/s^2),acc_y (m/s^2),acc_z (m/s^2),gyr_x (rad/s),gyr_y (rad/s),gyr_z (rad/s),temp_c"
    )
    rows = [",".join(repr(float(v)) for v in (t[i], *acc[i], *gyr[i], 21.5)) for i in range(n)]
    path.write_text("\n".join([header, *rows]) + "\n")
    assert detect_format(path) == "generic"
    data = load(path)
    assert np.array_equal(data.t_s, t - t[0])  # irregular times kept exactly
    assert np.allclose(data.acc_g, acc / STANDARD_GRAVITY_M_S2, rtol=1e-15)
    assert np.allclose(data.gyr_dps, np.degrees(gyr), rtol=1e-15)
    assert any("ignored columns 'temp_c'" in w for w in data.warnings)


def test_generic_epoch_milliseconds_in_g(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    t_ms = 1_714_548_600_000 + np.arange(50) * 10
    path.write_text(
        "timestamp_ms,ax_g,ay_g,az_g\n"
        + "".join(f"{t},0.01,-0.02,{1 + i / 1000}\n" for i, t in enumerate(t_ms))
    )
    data = load(path)
    assert data.meta.start_time == "2024-05-01T07:30:00.000000+00:00"
    assert np.allclose(data.t_s, np.arange(50) / 100, atol=1e-12)
    assert data.acc_g[-1, 2] == pytest.approx(1.049)
    assert data.gyr_dps is None and data.meta.sample_rate_hz == pytest.approx(100.0)


def test_generic_repeated_host_stamps_are_reconstructed(tmp_path: Path) -> None:
    # Host timestamps per BLE packet of 4 samples at 52 Hz: every 4 samples share one stamp.
    n = 520
    t_true = np.arange(n) / 52
    stamps = t_true[(np.arange(n) // 4) * 4] + 0.013  # each packet stamped on arrival
    path = tmp_path / "host.csv"
    path.write_text(
        "t (s),accel x (mg),accel y (mg),accel z (mg)\n" + "".join(f"{s:.6f},0,0,1000\n" for s in stamps)
    )
    data = load(path)
    assert any("repeat" in w and "reconstructed" in w for w in data.warnings)
    assert np.allclose(np.diff(data.t_s), 1 / 52, rtol=1e-3)
    assert np.allclose(data.acc_g, [[0, 0, 1.0]] * n)


@pytest.mark.parametrize(
    ("text", "words", "line", "column"),
    [
        ("time,ax_g,ay_g,az_g\n0,0,0,1\n", "'time' has no unit", 1, 1),
        ("time (min),ax_g,ay_g,az_g\n0,0,0,1\n", "unknown unit 'min'", 1, 1),
        ("t_s,ax_g,ay_g\n0,0,0\n", "no z axis", 1, None),
        ("t_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,0,1\n0.005,0,0,1\n", "time goes backwards", 4, 1),
        ("t_s,ax_g,ay_g,az_g\n0,0,0,1\n0.01,0,nan,1\n", "not a finite number", 3, 3),
    ],
)
def test_generic_faults_are_located(tmp_path: Path, text: str, words: str, line: int, column) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(RecordingFormatError, match=words) as info:
        load(path)
    assert (info.value.line, info.value.column) == (line, column)


# --------------------------------------------------------------------------------------------- detection


def test_unknown_layout_lists_the_formats(tmp_path: Path) -> None:
    path = tmp_path / "weather.csv"
    path.write_text("date,rain_mm,wind_kmh\n2024-05-01,3,12\n")
    with pytest.raises(RecordingFormatError) as info:
        detect_format(path)
    message = str(info.value)
    assert str(path) in message and "unknown file layout" in message
    for name in FORMATS:
        assert name in message


def test_parts_from_different_tools_are_refused(tmp_path: Path) -> None:
    a = _metabase(tmp_path / "acc.csv", np.arange(20) * 10 + 1_714_548_600_000, _signal(20, 1), "g")
    b = _polar(tmp_path / "GYRO.txt", POLAR_T0_NS + np.arange(5) * 10**7, ["1;2;3"] * 5, "dps")
    with pytest.raises(RecordingFormatError, match="same tool"):
        load([a, b])


def test_gyroscope_only_is_refused(tmp_path: Path) -> None:
    g = _polar(tmp_path / "GYRO.txt", POLAR_T0_NS + np.arange(5) * 10**7, ["1;2;3"] * 5, "dps")
    with pytest.raises(RecordingFormatError, match="gyroscope-only"):
        load(g)


# ----------------------------------------------------------------------------------------- import CLI path


def test_import_then_write_native_keeps_metadata_and_values(tmp_path: Path) -> None:
    n = 600
    t_acc = POLAR_T0_NS + np.arange(n, dtype=np.int64) * 19_230_769  # 52 Hz
    acc_mg = RNG.integers(-2000, 2000, (n, 3))
    gyr = np.round(RNG.normal(0, 50, (n, 3)), 2)
    a = _polar(
        tmp_path / "Polar_H10_ABCDEF12_20240424_141011_ACC.txt",
        t_acc,
        [";".join(str(v) for v in r) for r in acc_mg],
        "mg",
    )
    g = _polar(
        tmp_path / "Polar_H10_ABCDEF12_20240424_141011_GYRO.txt",
        t_acc + 5_000_000,
        [";".join(f"{v:.2f}" for v in r) for r in gyr],
        "dps",
    )
    imported = load([a, g])
    out = tmp_path / "OUT.csv"
    write_native(out, imported)
    back = load(out)
    assert back.meta.source_format == "native"
    assert back.meta.extra["imported_from"] == "polar"
    for key in ("device", "start_time", "sample_rate_hz"):
        assert getattr(back.meta, key) == getattr(imported.meta, key)
    assert back.meta.extra["source_files"] == imported.meta.extra["source_files"]
    assert np.max(np.abs(back.t_s - imported.t_s)) <= 0.5e-6
    assert np.max(np.abs(back.acc_g - imported.acc_g)) <= 0.5e-6
    assert np.max(np.abs(back.gyr_dps - imported.gyr_dps)) <= 0.5e-4 + 1e-12
    assert [(x.before_idx, x.n_missing) for x in back.gaps] == [
        (x.before_idx, x.n_missing) for x in imported.gaps
    ]


def test_export_cut_short_keeps_complete_rows(tmp_path: Path) -> None:
    rows = [f"{i * 2};{-i};1000" for i in range(20)]
    path = _polar(tmp_path / "ACC.txt", POLAR_T0_NS + np.arange(20) * 10**7, rows, "mg")
    text = path.read_text()
    # No final newline but a complete row: kept, silently (some tools omit it).
    path.write_text(text.rstrip("\n"))
    data = load(path)
    assert len(data) == 20 and data.warnings == ()
    # Cut inside the last row: dropped, with a warning naming its line.
    path.write_text(text[: text.rstrip("\n").rfind(";")])
    data = load(path)
    assert len(data) == 19
    assert any("incomplete last line 21" in w for w in data.warnings)
