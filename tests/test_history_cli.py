"""``imu-app history``: the bundled recordings imported as several weeks of one athlete, then every
command a coach uses; exports stay in their folder; bundles travel without duplicates."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from imu_app.cli import main
from imu_app.history import HistoryStore
from imu_app.history._export import MAX_NAME_BYTES, export_athlete, safe_file_name

from ._history_data import distinct_copy
from .paths import committed_recordings


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    """Week 10: every bundled recording; weeks 11-13: copies of pogo hops (identical samples), one on the
    left leg a day after a right-leg session."""
    folder = tmp_path_factory.mktemp("history")
    db = folder / "h.sqlite"
    recs = [str(p) for p in committed_recordings()]
    assert (
        main(["history", "import", *recs, "--athlete", "Anna", "--date", "2024-03-04", "--db", str(db)]) == 0
    )
    for day, tag in (("2024-03-11", "w11"), ("2024-03-18", "w12"), ("2024-03-25", "w13")):
        copy = distinct_copy("pogo_hops.csv", folder, tag)
        assert main(["history", "import", str(copy), "-a", "Anna", "--date", day, "--db", str(db)]) == 0
    left = distinct_copy("pogo_hops.csv", folder, "left")
    assert main(["history", "import", str(left), "-a", "Anna", "--leg", "left", "--date", "2024-03-19",
                 "--db", str(db)]) == 0  # fmt: skip
    return db


def test_import_reports_progress_and_is_idempotent(history, capsys):
    recs = [str(p) for p in committed_recordings()]
    assert main(["history", "import", *recs, "-a", "Anna", "--date", "2024-03-04", "--db", str(history)]) == 0
    err = capsys.readouterr().err
    assert f"[ 1/{len(recs)}]" in err
    assert f"0 imported, {len(recs)} already in the history" in err


def test_athletes_and_sessions(history, capsys):
    assert main(["history", "athletes", "--db", str(history)]) == 0
    out = capsys.readouterr().out
    assert "Anna" in out and str(len(committed_recordings()) + 4) in out
    assert main(["history", "sessions", "--athlete", "anna", "--db", str(history)]) == 0
    out = capsys.readouterr().out
    assert "pogo_hops_w12.csv" in out and "2024-W12" in out and "option" in out


def test_compare_says_no_change_for_identical_weeks(history, capsys):
    assert (
        main(["history", "compare", "-a", "Anna", "-e", "pogo_hops", "--leg", "right", "--db", str(history)])
        == 0
    )
    out = capsys.readouterr().out
    assert "2024-W10" in out and "2024-W13" in out
    assert "typical error" in out and "smallest worthwhile change" in out
    assert "no change beyond the noise" in out and "a real change" not in out
    assert main(["history", "compare", "-a", "Anna", "-e", "pogo_hops", "--metric", "rsi", "--weeks", "2",
                 "--db", str(history)]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "left" in out and "right" in out and "2024-W10" not in out


def test_symmetry_and_load(history, capsys):
    assert main(["history", "symmetry", "-a", "Anna", "--db", str(history)]) == 0
    out = capsys.readouterr().out
    assert "pogo_hops" in out and "contact_time_ms" in out and "100.0" in out  # same samples both legs
    assert main(["history", "load", "-a", "Anna", "--db", str(history)]) == 0
    out = capsys.readouterr().out
    assert "Rest warnings (1)" in out and "are 24 h apart (the programme asks for 36 h)" in out


def test_report_is_a_pdf(history, tmp_path, capsys):
    out = tmp_path / "anna.pdf"
    period = ["--from", "2024-03-01", "--to", "2024-03-31"]
    assert main(["history", "report", "-a", "Anna", *period, "-o", str(out), "--db", str(history)]) == 0
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    pages = int(capsys.readouterr().err.split("(")[1].split()[0])
    assert pages >= 4
    assert main(["history", "report", "-a", "Anna", "-o", str(out), "--db", str(history)]) == 1  # exists


def test_errors_are_one_plain_line(history, tmp_path, capsys):
    assert main(["history", "sessions", "-a", "Nobody", "--db", str(history)]) == 1
    assert "no athlete called 'Nobody'; the history holds: Anna" in capsys.readouterr().err
    assert main(["history", "athletes", "--db", str(tmp_path / "none.sqlite")]) == 1
    assert "no history there yet" in capsys.readouterr().err
    foreign = tmp_path / "foreign.sqlite"
    foreign.write_text("not a database at all, but long enough to have a header line\n" * 3)
    assert main(["history", "athletes", "--db", str(foreign)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not an imu-app history" in err and "Traceback" not in err
    assert main(["history", "import", str(committed_recordings()[0]), "-a", "A", "--date", "March",
                 "--db", str(history)]) == 1  # fmt: skip
    assert "not an ISO 8601 date" in capsys.readouterr().err


def test_bundle_round_trip_without_duplicates(history, tmp_path, capsys):
    with HistoryStore(history) as s:
        session = next(x for x in s.sessions("Anna") if x.exercise == "step_hop")
        s.correct(
            session.id, "contact", s.events(session.id, "contact")[1]["landing_s"], "contact_time_ms", 170.0
        )
    bundle = tmp_path / "step.imubundle"
    assert main(["history", "bundle", str(session.id), "-o", str(bundle), "--db", str(history)]) == 0
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("bundle.json"))
    assert manifest["recording"]["sha256"] == session.sha256
    coach = tmp_path / "coach.sqlite"
    for _ in range(2):  # the second import adds nothing
        assert main(["history", "import-bundle", str(bundle), "--db", str(coach)]) == 0
    assert "already in the history" in capsys.readouterr().err
    with HistoryStore(coach) as c, HistoryStore(history) as h:
        (got,) = c.sessions("Anna")
        assert got.sha256 == session.sha256 and got.started_at == session.started_at
        assert c.report_dict(got.id)["contacts"] == h.report_dict(session.id)["contacts"]
        assert [x.value for x in c.corrections(got.id)] == [170.0]
        assert c.raw_recording(got.id) == h.raw_recording(session.id)
    # The same recording imported directly is known too.
    rec = next(p for p in committed_recordings() if p.name == "step_hop.csv")
    assert main(["history", "import", str(rec), "-a", "Anna", "--db", str(coach)]) == 0
    assert "already in the history as session" in capsys.readouterr().err
    damaged = tmp_path / "damaged.imubundle"
    damaged.write_bytes(bundle.read_bytes()[:200])
    assert main(["history", "import-bundle", str(damaged), "--db", str(coach)]) == 1


def test_reanalyse_and_accept_commands(history, capsys):
    assert main(["history", "reanalyse", "-a", "Anna", "--db", str(history)]) == 0
    assert "0 re-analysis(es) wait" in capsys.readouterr().err  # same algorithm: nothing to decide
    assert main(["history", "accept", "-a", "Anna", "--db", str(history)]) == 0
    assert "no re-analyses wait" in capsys.readouterr().err


def test_export_writes_csv_and_json_inside_the_folder(history, tmp_path, capsys):
    out = tmp_path / "export"
    assert main(["history", "export", "-a", "Anna", "-o", str(out), "--db", str(history)]) == 0
    files = [Path(line) for line in capsys.readouterr().out.split()]
    names = {f.name for f in files}
    assert {
        "sessions.csv",
        "contacts.csv",
        "weeks.csv",
        "symmetry.csv",
        "load_weeks.csv",
        "history.json",
    } <= names
    doc = json.loads((out / "Anna" / "history.json").read_text())
    assert (
        doc["schema"] == "imu-app.history-export/1"
        and len(doc["sessions"]) == len(committed_recordings()) + 4
    )
    assert "contact_time_ms_corrected" in (out / "Anna" / "contacts.csv").read_text().splitlines()[0]


@pytest.mark.parametrize(
    "name",
    ["../../evil", "a/b\\c", "..", "CON", "com1.txt", "x" * 200, "Ä" * 200, " .hidden. ", "nul", "a:b*c?"],
)
def test_export_never_leaves_the_folder(tmp_path, name):
    db = tmp_path / "h.sqlite"
    rec = committed_recordings()[0]
    assert main(["history", "import", str(rec), "-a", name, "--date", "2024-01-01", "--db", str(db)]) == 0
    out = tmp_path / "out"
    with HistoryStore(db) as s:
        files = export_athlete(s, name, out)
    for f in files:
        assert f.resolve().parent.parent == out.resolve()
        assert len(f.parent.name.encode()) <= MAX_NAME_BYTES
    outside = {p for p in tmp_path.rglob("*") if not p.is_relative_to(out)}
    assert outside <= {db, db.with_name("h.sqlite-wal"), db.with_name("h.sqlite-shm")}


def test_safe_file_name():
    assert safe_file_name("../x") == "_x"
    assert "/" not in safe_file_name("a/b") and "\\" not in safe_file_name("a\\b")
    assert "\x00" not in safe_file_name("a\x00b")
    assert safe_file_name("..") == "unnamed" and safe_file_name("") == "unnamed"
    assert safe_file_name("CON") == "_CON" and safe_file_name("lpt9.csv") == "_lpt9.csv"
    long = safe_file_name("é" * 200)
    assert len(long.encode()) <= MAX_NAME_BYTES and long == "é" * (MAX_NAME_BYTES // 2)
    assert safe_file_name("Anna Müller") == "Anna Müller"
    assert os.sep not in safe_file_name(os.sep.join(["a", "b"]))


def test_the_database_can_be_named_before_the_subcommand(history, capsys):
    assert main(["history", "--db", str(history), "athletes"]) == 0
    assert "Anna" in capsys.readouterr().out
