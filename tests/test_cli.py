"""The command line as a user meets it: real processes, real files, readable errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from imu_app.analysis import SCHEMA
from imu_app.cli import main

from .paths import committed_recordings


def run(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imu_app.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_help_lists_the_commands():
    r = run("--help")
    assert r.returncode == 0
    for command in ("analyse", "import", "simulate"):
        assert command in r.stdout


def test_recordings_are_bundled():
    assert len(committed_recordings()) >= 11, "recordings/ should hold one recording per exercise"


@pytest.mark.parametrize("path", committed_recordings(), ids=lambda p: p.name)
def test_analyse_every_bundled_recording(path, capsys):
    assert main(["analyse", str(path), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["schema"] == SCHEMA
    assert report["recording"]["n_samples"] > 0
    assert report["recording"]["path"] == str(path)
    for key in ("contacts", "landings", "calf_raises", "sets", "algorithm"):
        assert key in report


def test_table_and_csv_output(tmp_path, capsys):
    rec = tmp_path / "pogo.csv"
    assert main(["simulate", "pogo_hops", "-o", str(rec), "--rate", "208", "--seed", "2"]) == 0
    capsys.readouterr()
    assert main(["analyse", str(rec)]) == 0
    table = capsys.readouterr().out
    assert table.startswith(f"Recording  {rec}")
    assert "208 Hz" in table
    out = tmp_path / "events.csv"
    assert main(["analyse", str(rec), "--format", "csv", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    cells = [v for r in rows for v in r.values() if v]
    assert all(len(v.partition(".")[2]) <= 4 for v in cells if v[0].isdigit())
    assert {r["complete"] for r in rows if r["event"] == "contact"} <= {"true", "false"}
    report = json.loads(_json_report(rec, capsys))
    assert len(rows) == len(report["contacts"]) + len(report["landings"]) + len(report["calf_raises"]["reps"])


def _json_report(path, capsys, *options: str) -> str:
    assert main(["analyse", str(path), "--format", "json", *options]) == 0
    return capsys.readouterr().out


def test_simulate_writes_truth_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "dj.csv"
    r = run("simulate", "drop_jump", "-o", str(out), "--rate", "416", "--mounting", "10,20,30")
    assert r.returncode == 0, r.stderr
    truth = json.loads((tmp_path / "dj.truth.json").read_text())
    assert truth["exercise"] == "drop_jump"
    assert truth["contacts"]
    r = run("simulate", "drop_jump", "-o", str(out))
    assert r.returncode == 1
    assert "exists; pass --force" in r.stderr


def test_import_round_trip(tmp_path):
    src = tmp_path / "generic.csv"
    src.write_text(
        "time (ms),acc_x (m/s^2),acc_y (m/s^2),acc_z (m/s^2)\n"
        + "".join(f"{i * 10},0,0,9.80665\n" for i in range(50)),
        encoding="utf-8",
    )
    out = tmp_path / "native.csv"
    r = run("import", str(src), "-o", str(out), "--leg", "right", "--exercise", "pogo_hops")
    assert r.returncode == 0, r.stderr
    assert "50 samples" in r.stderr and "accelerometer only" in r.stderr
    text = out.read_text()
    assert "# leg: right" in text and "# exercise: pogo_hops" in text
    r = run("analyse", str(out), "--format", "json")
    assert r.returncode == 0, r.stderr
    rec = json.loads(r.stdout)["recording"]
    assert (rec["n_samples"], rec["has_gyro"], rec["leg"]) == (50, False, "right")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "file not found"),
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", ""),
    ],
    ids=["missing", "empty", "binary"],
)
def test_errors_are_one_line_without_traceback(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_bytes(content)
    r = run("analyse", str(path))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imu-app: error: ")
    assert str(path) in lines[0]
    assert expected.lower() in lines[0].lower()


def test_malformed_value_is_located(tmp_path):
    path = tmp_path / "bad.csv"
    rows = "".join(f"{i / 100:.2f},0,0,1,0,0,0,{i}\n" for i in range(10))
    rows = rows.replace("0.05,0,0,1", "0.05,0,abc,1")
    path.write_text(
        "# imu-app recording\n# format_version: 1\n# sample_rate_hz: 100\n"
        "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq\n" + rows
    )
    r = run("analyse", str(path))
    assert r.returncode == 1
    assert "line 10, column 3 (acc_y_g)" in r.stderr, r.stderr


def test_bad_simulate_option_is_reported(tmp_path):
    r = run("simulate", "pogo_hops", "-o", str(tmp_path / "x.csv"), "--set", "nonsense=3")
    assert r.returncode == 1
    assert "nonsense" in r.stderr and "Traceback" not in r.stderr
    r = run("simulate", "moonwalk", "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 1 and "moonwalk" in r.stderr


def test_unknown_exercise_is_refused_with_the_choices():
    r = run("analyse", str(committed_recordings()[0]), "--exercise", "pogo")
    assert r.returncode == 2
    assert "invalid choice: 'pogo'" in r.stderr and "pogo_hops" in r.stderr


def test_hold_target_and_tempo_options(tmp_path, capsys):
    rec = tmp_path / "holds.csv"
    opts = ["--rate", "208", "--set", "reps=2", "--set", "hold_s=4", "--set", 'hold_failure=["stumble"]']
    assert main(["simulate", "forward_hop_hold", "-o", str(rec), *opts]) == 0
    capsys.readouterr()
    verdicts = {}
    for target in ("1", "8"):
        report = json.loads(_json_report(rec, capsys, "--hold-target", target))
        verdicts[target] = [h["hold_target_met"] for h in report["landings"]]
        assert all(h["hold_target_s"] == float(target) for h in report["landings"])
    assert verdicts["1"] == [True, True] and verdicts["8"] == [False, False]
    r = run("analyse", str(rec), "--tempo", "1-2")
    assert r.returncode == 2 and "four durations" in r.stderr
