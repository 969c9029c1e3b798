"""Recording in the window, offscreen: the Record toggle and guided sets write the native CSV as samples
arrive, each finished recording lands in the history, and a full disk or an unknown athlete is said in
one sentence while the stream goes on. Nothing is timed: the flows wait for counts of events."""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import sys

import pytest

pytest.importorskip("PySide6", reason="the desktop app needs PySide6 (pip install -e .)")
qasync = pytest.importorskip("qasync")

import shiboken6  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from imu_app.gui._history_view import DB_PATH_KEY  # noqa: E402
from imu_app.gui._window import MainWindow  # noqa: E402
from imu_app.history import HistoryStore  # noqa: E402
from imu_app.live import _recorder  # noqa: E402
from imu_app.recordings import NativeWriter, load  # noqa: E402

from .paths import RECORDINGS  # noqa: E402

POGO = RECORDINGS / "pogo_hops.csv"
#: The demo replays in real time; the tests run its clock this many times faster.
FAST = 40.0


class FakeNow:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _window(qtbot, tmp_path, athlete: str = "Anna") -> MainWindow:
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store.setValue(DB_PATH_KEY, str(tmp_path / "history.sqlite"))
    store.setValue("settings/recordings_dir", str(tmp_path / "recs"))
    store.setValue("settings/athlete", athlete)
    w = MainWindow(store=store, sound=False, now=FakeNow())
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def window(qtbot, loop, tmp_path):
    hook = sys.excepthook
    w = _window(qtbot, tmp_path)
    yield w
    if shiboken6.isValid(w) and w.stream is not None:
        loop.run_until_complete(w.stream.stop())
    if shiboken6.isValid(w):
        w.close()
    sys.excepthook = hook


async def _wait(cond, timeout_s: float = 60.0) -> None:
    async with asyncio.timeout(timeout_s):  # a timeout only turns a hang into a failure
        while not cond():
            await asyncio.sleep(0.01)


def _fast_demo(window: MainWindow):
    stream = window.start_demo()
    assert stream is not None
    stream.clock.set_rate(FAST)
    return stream


def test_record_toggle_on_the_demo_lands_in_the_history(window, loop, tmp_path):
    seen: dict = {}

    async def flow():
        stream = _fast_demo(window)
        await _wait(lambda: stream.model.contacts >= 2)
        window.record_button.click()  # on
        assert window.record_button.isChecked() and window.record_button.text() == "Stop recording"
        await _wait(lambda: stream.model.recording is not None)
        window.live.refresh()
        seen["status"] = window.live.status.text()
        n0 = stream.model.contacts
        await _wait(lambda: stream.model.contacts >= n0 + 8)
        window.record_button.click()  # off: the stream goes on
        assert not window.record_button.isChecked() and stream.running
        await window.recordings.wait()
        seen["statusbar"] = window.statusBar().currentMessage()
        await window.stop_stream()

    loop.run_until_complete(flow())
    (saved,) = window.recordings.saved
    path = saved.take.path
    assert path.parent == tmp_path / "recs" and path.name.endswith("_Anna_pogo_hops_right.csv")
    assert f"recording to {path}" in seen["status"]
    data = load(path)
    assert len(data) == saved.n_samples > 0
    assert (data.meta.athlete, data.meta.exercise, data.meta.leg) == ("Anna", "pogo_hops", "right")
    assert data.meta.start_time
    assert saved.item is not None and saved.item.status == "imported"
    assert seen["statusbar"] == saved.message and "session 1 of Anna" in saved.message
    with HistoryStore(tmp_path / "history.sqlite", create=False) as db:
        (s,) = db.sessions(athlete="Anna")
        assert (s.exercise, s.leg) == ("pogo_hops", "right")
        assert len(db.events(s.id, "contact")) >= 6
    assert window.errors == []


def test_closing_the_window_finishes_the_recording_and_saves_it(window, loop, tmp_path):
    async def flow():
        stream = _fast_demo(window)
        assert window.start_recording() is not None
        await _wait(lambda: stream.model.contacts >= 4 and stream.model.recording is not None)
        window.close()
        await _wait(lambda: not window.isVisible())
        return stream

    stream = loop.run_until_complete(flow())
    assert not stream.running and not window.recordings.saving
    (saved,) = window.recordings.saved
    assert saved.item is not None and saved.item.status == "imported"
    assert len(load(saved.take.path)) == saved.n_samples


def test_guided_training_records_each_set(window, loop, tmp_path):
    t = window.training
    t.exercise.setCurrentIndex(t.exercise.findData("pogo_hops"))
    t.athlete.setText("Ben")
    t.leg.setCurrentText("left")
    t.sets.setValue(2)
    t.reps.setValue(4)

    async def flow():
        stream = _fast_demo(window)
        window.show_screen("training")
        t._start_clicked()
        await _wait(lambda: len(t.runner.results) == 1)
        await _wait(lambda: len(window.recordings.saved) == 1)
        t.now.t += 61.0  # the rest passes at once on the fake clock
        t.tick()
        assert t.phase.text() == "Set 2 of 2"
        await _wait(lambda: len(t.runner.results) == 2)
        await window.recordings.wait()
        await window.stop_stream()
        return stream

    loop.run_until_complete(flow())
    first, second = window.recordings.saved
    assert first.take.path.name.endswith("_Ben_pogo_hops_left_set1.csv")
    assert second.take.path.name.endswith("_Ben_pogo_hops_left_set2.csv")
    with HistoryStore(tmp_path / "history.sqlite", create=False) as db:
        sessions = db.sessions(athlete="Ben")
        assert len(sessions) == 2 and {s.leg for s in sessions} == {"left"}
    for s in (first, second):
        assert load(s.take.path).meta.athlete == "Ben"
    assert window.errors == []


class _DiskFillsUp(NativeWriter):
    """A writer on a disk with ``room`` bytes left: the write that does not fit fails with ENOSPC."""

    room = 60_000

    def _write(self, text: str) -> None:
        n = len(text.encode())
        if n > type(self).room:
            raise OSError(errno.ENOSPC, "No space left on device")
        type(self).room -= n
        super()._write(text)


def test_a_full_disk_is_one_sentence_and_the_stream_goes_on(window, loop, tmp_path, monkeypatch):
    monkeypatch.setattr(_recorder, "NativeWriter", _DiskFillsUp)
    _DiskFillsUp.room = 60_000

    async def flow():
        stream = _fast_demo(window)
        path = window.start_recording()
        await _wait(lambda: bool(window.errors))
        n = stream.model.contacts
        await _wait(lambda: stream.model.contacts >= n + 3)  # the analysis goes on
        await window.recordings.wait()
        running = stream.running
        await window.stop_stream()
        return path, running

    path, running = loop.run_until_complete(flow())
    assert running
    (message,) = window.errors
    assert message == window.banner.text() and window.banner_row.isVisible()
    assert message.startswith(f"{path}: the disk is full") and message.endswith("go on.")
    assert message.count(". ") == 0  # one sentence
    assert not window.record_button.isChecked()
    # what was written before the disk filled up is a readable recording, and in the history
    (saved,) = window.recordings.saved
    assert len(load(path)) == saved.n_samples > 0 and saved.item is not None


def test_without_an_athlete_the_file_is_kept_and_that_is_said(qtbot, loop, tmp_path):
    window = _window(qtbot, tmp_path, athlete="")

    async def flow():
        stream = _fast_demo(window)
        path = window.start_recording()
        await _wait(lambda: stream.model.contacts >= 3 and stream.model.recording is not None)
        await window.stop_stream()
        return path

    path = loop.run_until_complete(flow())
    window.close()
    (message,) = window.errors
    assert "no athlete is known" in message and path.name in message
    assert path.is_file() and len(load(path)) > 0
    assert not (tmp_path / "history.sqlite").exists()


def test_an_unusable_recordings_folder_is_said_and_nothing_records(window, loop, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    window.apply_settings(dataclasses.replace(window.settings, recordings_dir=str(blocker)))

    async def flow():
        _fast_demo(window)
        window.record_button.click()
        await window.stop_stream()

    loop.run_until_complete(flow())
    (message,) = window.errors
    assert message.startswith(f"Cannot record into {blocker}") and "Settings" in message
    assert not window.record_button.isChecked()
