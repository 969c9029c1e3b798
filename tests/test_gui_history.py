"""The History screen, offscreen: recordings imported through the window as several weeks of one athlete,
the weeks and verdicts exactly as ``imu_app.history`` (and so ``imu-app history compare``) gives them,
left against right, load, a cancelled import resumed, exports, and a damaged database in the banner."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="the desktop app needs PySide6 (pip install -e .)")
qasync = pytest.importorskip("qasync")

import shiboken6  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from imu_app.gui import _history_view  # noqa: E402
from imu_app.gui._history_view import DB_PATH_KEY, verdict_text  # noqa: E402
from imu_app.gui._window import MainWindow  # noqa: E402
from imu_app.history import HistoryError, HistoryStore, compare_weeks, symmetry  # noqa: E402

from ._history_data import distinct_copy  # noqa: E402
from .paths import committed_recordings  # noqa: E402

#: Week 10: every bundled recording; weeks 11-13: pogo hops again (same samples, so no real change);
#: a left-leg session the day after week 12's right-leg one (a rest warning, and left against right).
WEEKS = (("w11", "2024-03-11T17:00:00+01:00"), ("w12", "2024-03-18T17:00:00+01:00"),
         ("w13", "2024-03-25T17:00:00+01:00"))  # fmt: skip


@pytest.fixture
def window(qtbot, loop, tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store.setValue(DB_PATH_KEY, str(tmp_path / "history.sqlite"))
    w = MainWindow(store=store, sound=False)
    qtbot.addWidget(w)
    w.show()
    hook = sys.excepthook
    yield w
    if shiboken6.isValid(w):
        w.close()
    sys.excepthook = hook


@pytest.fixture
def recordings(tmp_path) -> tuple[list[Path], Path]:
    """The bundled recordings dated in week 10, pogo hops in weeks 11-13 (right), and one left copy."""
    folder = tmp_path / "recs"
    folder.mkdir()
    right = [
        distinct_copy(p.name, folder, "w10", start_time="2024-03-05T17:00:00+01:00")
        for p in committed_recordings()
    ]
    right += [distinct_copy("pogo_hops.csv", folder, tag, start_time=when) for tag, when in WEEKS]
    left = distinct_copy("pogo_hops.csv", folder, "left", start_time="2024-03-19T17:00:00+01:00")
    return right, left


def _column(table, c: int) -> list[str]:
    return [table.item(r, c).text() for r in range(table.rowCount())]


def test_import_weeks_verdicts_symmetry_load(window, loop, recordings, tmp_path):
    right, left = recordings
    h = window.history
    window.show_screen("history")
    assert "No history yet" in h.message.text() and not h.export_button.isEnabled()
    seen = []
    h.progress.valueChanged.connect(seen.append)
    out = loop.run_until_complete(h.import_files(right, "Anna"))
    assert out is not None and out.count("imported") == len(right) and not out.cancelled
    assert seen[-1] == len(right) == h.progress.maximum()  # progress went file by file
    out = loop.run_until_complete(h.import_files([left], "Anna", leg="left"))
    assert out.count("imported") == 1 and "Import done: 1 imported" in h.message.text()
    assert h.athlete.currentText() == "Anna" and h.export_button.isEnabled()

    h.select(exercise="pogo_hops", leg="right")
    assert h.metric.currentData() == "contact_time_ms"  # contact time by default
    with HistoryStore(tmp_path / "history.sqlite") as s:
        cmp = compare_weeks(s, "Anna", "pogo_hops", "contact_time_ms", leg="right", weeks=8)
        rsi = compare_weeks(s, "Anna", "pogo_hops", "rsi", leg="right", weeks=8)
        sym = symmetry(s, "Anna")
    t = h.weeks_table
    # Newest week first; the words are the history's own, as `imu-app history compare` prints them.
    assert _column(t, 0) == ["2024-W13", "2024-W12", "2024-W11", "2024-W10"]
    assert _column(t, 9) == [r.words for r in reversed(cmp.rows)]
    assert _column(t, 8) == [verdict_text(r) for r in reversed(cmp.rows)]
    assert _column(t, 8)[:3] == ["no change"] * 3 and _column(t, 8)[3] == "first week"
    assert "no change beyond the noise" in _column(t, 9)[0]
    assert "typical error" in h.noise_label.text() and "0 real change(s) in 4 week(s)" in h.noise_label.text()
    h.select(metric="rsi")
    assert _column(t, 3) == [f"{r.stats.mean:.2f}" for r in reversed(rsi.rows)]
    assert [r.stats.week for r in h.comparison.rows] == [r.stats.week for r in rsi.rows]
    # Left against right: the same samples on both legs, so 100 %, nothing flagged.
    st = h.symmetry_table
    assert st.rowCount() == len(sym) > 0
    i = _column(st, 1).index("ground-contact time (ms)")
    assert _column(st, 0)[i] == "pogo hops" and _column(st, 6)[i] == "100.0" and _column(st, 8)[i] == "ok"
    assert "0 of" in h.symmetry_label.text()
    # Load: the left session a day after week 12's right one breaks the 36-hour rule.
    assert "Rest warnings (1)" in h.load_label.text() and "24 h apart" in h.load_label.text()
    assert "1" in _column(h.load_table, 6)
    # Importing the same files again adds nothing.
    out = loop.run_until_complete(h.import_files(right, "Anna"))
    assert out.count("already") == len(right) and out.count("imported") == 0
    assert window.errors == []


def test_cancelled_import_keeps_what_it_finished_and_resumes(window, loop, recordings, tmp_path, monkeypatch):
    right, _ = recordings
    files = right[-4:]
    h = window.history
    window.show_screen("history")
    real = _history_view.import_recordings
    done = []

    def import_then_cancel(*args, **kwargs):  # runs on the worker thread, as the Cancel button would
        out = real(*args, **kwargs)
        done.append(out)
        if len(done) == 2:
            h._cancel.set()
        return out

    monkeypatch.setattr(_history_view, "import_recordings", import_then_cancel)
    out = loop.run_until_complete(h.import_files(files, "Bo"))
    assert out.cancelled and out.count("imported") == 2
    assert "cancelled after 2 of 4" in h.message.text() and not h.progress_row.isVisible()
    monkeypatch.setattr(_history_view, "import_recordings", real)
    out = loop.run_until_complete(h.import_files(files, "Bo"))
    assert (out.count("already"), out.count("imported")) == (2, 2)
    with HistoryStore(tmp_path / "history.sqlite") as s:
        assert len(s.sessions("Bo")) == 4


def test_export_and_pdf_report(window, loop, recordings, tmp_path):
    right, left = recordings
    h = window.history
    window.show_screen("history")
    loop.run_until_complete(h.import_files(right[-3:], "Anna"))
    loop.run_until_complete(h.import_files([left], "Anna", leg="left"))
    files = loop.run_until_complete(h.export(tmp_path / "out"))
    names = {f.name for f in files}
    assert {"sessions.csv", "contacts.csv", "weeks.csv", "symmetry.csv", "history.json"} <= names
    assert all(f.is_file() and f.parent == tmp_path / "out" / "Anna" for f in files)
    assert "Wrote" in h.message.text()
    pdf = tmp_path / "anna.pdf"
    assert loop.run_until_complete(h.write_pdf(pdf)) >= 3
    assert pdf.read_bytes()[:5] == b"%PDF-" and window.errors == []


@pytest.mark.parametrize("kind", ["damaged", "foreign"])
def test_unusable_database_is_said_in_the_banner_and_left_alone(window, loop, tmp_path, kind):
    path = tmp_path / "history.sqlite"
    if kind == "damaged":
        with HistoryStore(path) as s:
            s.athlete_id("A", create=True)
        data = bytearray(path.read_bytes())
        data[4096:] = b"\xa5" * (len(data) - 4096)  # every page after the header's
        path.write_bytes(bytes(data))
    else:
        path.write_text("shopping list\n" * 20)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(HistoryError) as direct, HistoryStore(path, create=False) as s:
        s.athletes()
    window.show_screen("history")
    h = window.history
    assert window.errors == [str(direct.value)]  # the history's own words
    assert ("damaged" if kind == "damaged" else "not an SQLite file") in window.errors[0]
    assert window.banner_row.isVisible() and "left as it is" in window.banner.text()
    assert "could not be" in h.message.text() and h.athlete.count() == 0
    # An import into it is refused the same way, and the file is never written.
    out = loop.run_until_complete(h.import_files([tmp_path / "nothing.csv"], "A"))
    assert out is None and len(window.errors) == 2
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    # The app goes on: another database works.
    h.set_db_path(tmp_path / "other.sqlite")
    assert "No history yet" in h.message.text()
    window.show_screen("replay")
    assert window.current_screen() == "replay"
