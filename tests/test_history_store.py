"""The history store on real SQLite files: idempotent import, safety of the file, re-analysis, corrections."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from imu_app.history import (
    SCHEMA_VERSION,
    DamagedDatabaseError,
    ForeignDatabaseError,
    HistoryError,
    HistoryStore,
    NewerDatabaseError,
    compare_weeks,
    default_db_path,
    load_report,
    parse_when,
    symmetry,
)
from imu_app.history._importing import import_recordings, reanalyse

from ._history_data import distinct_copy, simulated_pogo
from .paths import ROOT, committed_recordings


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def store(tmp_path):
    with HistoryStore(tmp_path / "history.sqlite") as s:
        yield s


def test_new_history_is_wal_and_versioned(tmp_path):
    path = tmp_path / "sub" / "h.sqlite"
    HistoryStore(path).close()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_default_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "imu-app" / "history.sqlite"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert default_db_path() == Path.home() / ".local" / "share" / "imu-app" / "history.sqlite"


def test_import_is_idempotent_and_dates_say_where_they_came_from(store, tmp_path):
    recs = committed_recordings()
    when = parse_when("2024-03-04")
    first = import_recordings(store, recs, athlete="Anna", date=when)
    assert first.count("imported") == len(recs)
    assert {i.session.date_source for i in first.items} == {"option"}
    again = import_recordings(store, recs, athlete="anna", date=when)
    assert again.count("already") == len(recs)
    assert len(store.sessions("Anna")) == len(recs)
    timed = distinct_copy("pogo_hops.csv", tmp_path, "t", start_time="2024-05-02T07:15:00+02:00")
    item = import_recordings(store, [timed], athlete="Anna", date=when).items[0]
    assert item.session.date_source == "recording"
    assert item.session.started_at == "2024-05-02T07:15:00+02:00"
    no_date = distinct_copy("pogo_hops.csv", tmp_path, "m")
    item = import_recordings(store, [no_date], athlete="Anna").items[0]
    assert item.session.date_source == "file_mtime"
    broken = tmp_path / "broken.csv"
    broken.write_text("this is not a recording\n")
    item = import_recordings(store, [broken], athlete="Anna").items[0]
    assert item.status == "failed" and "broken.csv" in item.message


def test_numbers_match_the_analysis_report(store):
    rec = next(p for p in committed_recordings() if p.name == "step_hop.csv")
    info = import_recordings(store, [rec], athlete="A", date=parse_when("2024-01-01")).items[0].session
    from imu_app.analysis import analyse
    from imu_app.recordings import load

    report = analyse(load(rec), path=rec.name).to_dict()
    stored = store.report_dict(info.id)
    for kind in ("contacts", "landings"):
        assert len(stored[kind]) == len(report[kind])
        for a, b in zip(stored[kind], report[kind], strict=True):
            for key, value in a.items():
                assert value == pytest.approx(b[key]), (kind, key)
    assert stored["algorithm"] == report["algorithm"]
    assert store.raw_recording(info.id)[1] == rec.read_bytes()


def _unchanged(path: Path):
    before = _sha(path)
    return lambda: _sha(path) == before


def test_foreign_files_are_refused_and_left_alone(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("shopping list\n" * 20)
    keep = _unchanged(text)
    with pytest.raises(ForeignDatabaseError, match="not an SQLite file"):
        HistoryStore(text)
    assert keep()
    other = tmp_path / "other.sqlite"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    keep = _unchanged(other)
    with pytest.raises(ForeignDatabaseError, match="another program"):
        HistoryStore(other)
    assert keep()


def test_newer_schema_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "h.sqlite"
    HistoryStore(path).close()
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    keep = _unchanged(path)
    with pytest.raises(NewerDatabaseError, match="newer imu-app"):
        HistoryStore(path)
    assert keep()


def test_damaged_file_gives_a_clear_error_and_is_not_overwritten(tmp_path):
    path = tmp_path / "h.sqlite"
    with HistoryStore(path) as s:
        import_recordings(s, committed_recordings()[:3], athlete="A", date=parse_when("2024-01-01"))
    data = bytearray(path.read_bytes())
    page = 4096
    data[page : page * 4] = b"\xa5" * (page * 3)  # pages 2-4: schema and table pages
    path.write_bytes(bytes(data))
    keep = _unchanged(path)
    with pytest.raises(DamagedDatabaseError, match="damaged") as err, HistoryStore(path) as s:
        s.sessions("A")
    assert "left as it is" in str(err.value)
    assert keep()
    truncated = tmp_path / "t.sqlite"
    truncated.write_bytes(bytes(data[:50]))
    with pytest.raises(DamagedDatabaseError, match="truncated"):
        HistoryStore(truncated)


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from imu_app.history import HistoryStore, parse_when
    from imu_app.history._importing import import_recordings
    db, athlete, *files = sys.argv[1:]
    with HistoryStore(db) as s:
        for f in files:
            import_recordings(s, [Path(f)], athlete=athlete, date=parse_when("2024-02-05"))
    """
)


def test_two_processes_on_one_history(tmp_path):
    db = tmp_path / "h.sqlite"
    HistoryStore(db).close()
    files = [distinct_copy("pogo_hops.csv", tmp_path, f"c{i}") for i in range(8)]
    # Both processes import every file (in opposite orders) and their own athlete's name: each file must
    # end up exactly once, whichever process got there first.
    env = {"PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db), name, *map(str, order)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, order in (("A", files), ("B", files[::-1]))
    ]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    with HistoryStore(db) as s:
        assert s.integrity_check() == "ok"
        sessions = s.sessions()
        assert len(sessions) == 8
        assert len({x.sha256 for x in sessions}) == 8
        assert sum(x.n_contacts for x in sessions) == 8 * sessions[0].n_contacts


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from imu_app.history import HistoryStore, parse_when
    from imu_app.history import _store
    from imu_app.history._importing import import_recordings
    db, sig, *files = sys.argv[1:]
    real = _store.HistoryStore._insert_events
    calls = []
    def dying(con, aid, rep):
        real(con, aid, rep)  # the third session's events are written, its transaction still open
        calls.append(aid)
        if len(calls) == 3:
            os.kill(os.getpid(), getattr(signal, sig))
    _store.HistoryStore._insert_events = staticmethod(dying)
    with HistoryStore(db) as s:
        import_recordings(s, [Path(f) for f in files], athlete="A", date=parse_when("2024-02-05"))
    """
)


@pytest.mark.parametrize("sig", ["SIGINT", "SIGKILL"])
def test_interrupted_import_resumes_without_duplicates(tmp_path, sig):
    db = tmp_path / "h.sqlite"
    files = [distinct_copy("pogo_hops.csv", tmp_path, f"k{i}") for i in range(6)]
    r = subprocess.run(
        [sys.executable, "-c", _KILLER, str(db), sig, *map(str, files)],
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode != 0
    with HistoryStore(db) as s:
        assert len(s.sessions()) == 2  # the third was rolled back whole
        orphans = s.execute(
            "SELECT count(*) FROM contacts WHERE analysis_id NOT IN (SELECT analysis_id FROM sessions)"
        )[0][0]
        assert orphans == 0
        summary = import_recordings(s, files, athlete="A", date=parse_when("2024-02-05"))
        assert (summary.count("already"), summary.count("imported")) == (2, 4)
        sessions = s.sessions()
        assert len(sessions) == 6 and len({x.sha256 for x in sessions}) == 6
        assert s.integrity_check() == "ok"


def test_reanalysis_waits_for_acceptance_and_corrections_stay(store, tmp_path):
    rec = distinct_copy("pogo_hops.csv", tmp_path, "r")
    info = import_recordings(store, [rec], athlete="A", date=parse_when("2024-01-01")).items[0].session
    assert reanalyse(store, [info.id])[0].analysis_id is None  # same algorithm: nothing to decide
    contacts = store.events(info.id, "contact")
    first = next(c for c in contacts if c["contact_time_ms"] is not None)
    corr = store.correct(info.id, "contact", first["landing_s"], "contact_time_ms", 150.0, note="video")
    assert corr.value == 150.0
    before = store.metric_values("A", "contact_time_ms")
    assert 150.0 in before.value.tolist()

    # A "newer algorithm": the stored report with every contact 10 ms longer and another version.
    rep = store.report_dict(info.id)
    rep["algorithm"] = {**rep["algorithm"], "version": "9.9"}
    rep["contacts"] = [
        {**c, "contact_time_ms": None if c["contact_time_ms"] is None else c["contact_time_ms"] + 10}
        for c in rep["contacts"]
    ]
    new_id = store.add_pending_analysis(info.id, rep)
    assert new_id is not None and store.session(info.id).has_pending
    assert store.metric_values("A", "contact_time_ms").value.tolist() == before.value.tolist()
    result = store.accept_analysis(new_id)
    assert result.replaced_id == info.analysis_id and not result.unmatched_corrections
    after = store.metric_values("A", "contact_time_ms").value
    assert 150.0 in after.tolist()  # the coach's value still wins over the algorithm's
    others = [v for v in after.tolist() if v != 150.0]
    assert others == pytest.approx([v + 10 for v in before.value.tolist() if v != 150.0])
    statuses = [a[1] for a in store.analyses(info.id)]
    assert statuses == ["superseded", "accepted"]
    assert store.report_dict(info.id, info.analysis_id)["algorithm"]["version"] != "9.9"  # old kept
    store.correct(info.id, "contact", first["landing_s"], "event", None)
    assert 150.0 not in store.metric_values("A", "contact_time_ms").value.tolist()
    with pytest.raises(HistoryError, match="no contact"):
        store.correct(info.id, "contact", 99999.0, "contact_time_ms", 1.0)


def test_views_on_simulated_weeks(store, tmp_path):
    """Three weeks at one contact time, then a week 40 ms faster: only that week is a real change."""
    plan = [("2024-03-04", (215, 235)), ("2024-03-06", (215, 235)), ("2024-03-11", (215, 235))]
    plan += [("2024-03-18", (215, 235)), ("2024-03-25", (175, 195))]
    for k, (day, ms) in enumerate(plan):
        rec = simulated_pogo(tmp_path, str(k), seed=k, contact_ms=ms)
        import_recordings(store, [rec], athlete="Bo", date=parse_when(day))
    left = simulated_pogo(tmp_path, "left", seed=10, contact_ms=(255, 275), leg="left")
    import_recordings(store, [left], athlete="Bo", date=parse_when("2024-03-19"))
    cmp = compare_weeks(store, "Bo", "pogo_hops", leg="right")
    verdicts = [r.verdict.value for r in cmp.rows]
    # Weeks 11 and 12 differ from the week before by ~7 ms, about one day-to-day SD: no change.
    assert verdicts == ["first", "no_change", "no_change", "change"]
    assert cmp.rows[-1].direction == "better"
    assert "a real change (better)" in cmp.rows[-1].words
    assert cmp.noise.typical_error is not None and cmp.noise.swc is not None
    sym = {r.metric.name: r for r in symmetry(store, "Bo")}
    ct = sym["contact_time_ms"]
    assert ct.weaker_leg == "left" and ct.flagged and ct.lsi_percent < 90
    load = load_report(store, "Bo")
    assert [w.hours_apart for w in load.warnings] == pytest.approx([24.0])  # 4-6 March: 48 h, fine
    assert sum(w.plyometric_contacts for w in load.weeks) == sum(s.contacts for s in load.sessions)
    assert dataclasses.is_dataclass(cmp) and cmp.__dataclass_params__.frozen
