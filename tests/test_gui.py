"""The desktop app, offscreen: whole flows driven as a user would, checked on what the widgets show."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6", reason="the desktop app needs PySide6 (pip install -e .)")
qasync = pytest.importorskip("qasync")

import shiboken6  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from imu_app.analysis import analyse, report_csv, report_json  # noqa: E402
from imu_app.core import ImuAppError  # noqa: E402
from imu_app.gui._app import install_fault_hooks  # noqa: E402
from imu_app.gui._window import MainWindow  # noqa: E402
from imu_app.recordings import load  # noqa: E402

from .paths import RECORDINGS  # noqa: E402

POGO = RECORDINGS / "pogo_hops.csv"


class FakeNow:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def window(qtbot, loop, tmp_path):
    now = FakeNow()
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(store=store, sound=False, now=now)
    w.fake_now = now
    qtbot.addWidget(w)
    w.show()
    hook = sys.excepthook
    yield w
    if shiboken6.isValid(w) and w.stream is not None:
        stream = w.stream
        loop.run_until_complete(stream.stop())
    if shiboken6.isValid(w):
        w.close()
    sys.excepthook = hook


def until(loop, cond, timeout_s: float = 20.0, first=None):
    """Run the event loop (calling ``first`` on it) until ``cond()``; streams run only on a running loop."""

    async def wait():
        out = first() if first is not None else None
        async with asyncio.timeout(timeout_s):
            while not cond():
                await asyncio.sleep(0.01)
        return out

    return loop.run_until_complete(wait())


def test_replay_analyse_browse_correct_export(window, loop, tmp_path):
    r = window.replay
    assert loop.run_until_complete(r.open_files([POGO]))
    assert "1000 Hz" in r.file_label.text() and r.analyse_button.isEnabled()
    report = loop.run_until_complete(r.analyse_now())
    assert report is not None and r.events.rowCount() == len(report.contacts) > 10
    # results: the same report as the command line, in tables
    res = window.results
    assert res.contacts.rowCount() == len(report.contacts) and res.sets.rowCount() == len(report.sets)
    # click an event: its numbers
    r.select_contact(2)
    assert "Contact 3" in r.detail.text()
    # drag a take-off 20 ms later: kept beside the algorithm's value
    c = report.contacts[2]
    r.correct(2, "takeoff", c.takeoff_s + 0.020)
    assert r.report.contacts[2] == c  # never overwritten
    assert r.events.item(2, 3).text() == f"{c.contact_time_ms + 20:.0f}"
    assert "algorithm" in r.detail.text()
    # export: the same bytes as `imu-app analyse --format csv|json`
    assert res.export(tmp_path / "r.csv", "csv") and res.export(tmp_path / "r.json", "json")
    assert (tmp_path / "r.csv").read_text() == report_csv(report)
    assert (tmp_path / "r.json").read_text() == report_json(report)


def test_malformed_file_shows_the_cli_message_and_the_app_goes_on(window, loop, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("# imu-app recording\n# format_version: 1\n# sample_rate_hz: 100\nt_s,acc_x_g\n1,x\n")
    with pytest.raises(ImuAppError) as cli:
        load(bad)
    assert not loop.run_until_complete(window.replay.open_files([bad]))
    assert window.errors == [str(cli.value)]
    assert window.banner_row.isVisible() and str(cli.value) in window.banner.text()
    assert loop.run_until_complete(window.replay.open_files([POGO]))  # and goes on


def test_play_through_live_pipeline_matches_offline(window, loop):
    data = load(POGO)
    stream = until(
        loop, lambda: not window.stream.running, first=lambda: window.start_replay([POGO], data, None)
    )
    assert window.current_screen() == "live"
    window.live.refresh()
    offline = analyse(data)
    n = len([c for c in offline.contacts])
    assert stream.model.contacts == n
    assert window.live.numbers.count.value.text() == str(n)
    assert window.live.numbers.contact.value.text() != "-"
    assert window.progress.value() == 1000


def test_pause_and_close_stop_the_stream(window, loop, tmp_path):
    data = load(POGO)
    stream = until(
        loop, lambda: window.stream.model.now_s > 0.2, first=lambda: window.start_replay([POGO], data, 1.0)
    )
    window.pause_button.setChecked(True)
    assert stream.clock.paused
    window.pause_button.setChecked(False)
    until(loop, lambda: not stream.running, first=window.close)
    assert stream.summary is not None and not window.isVisible()


def test_guided_set_with_a_fast_clock(window, loop):
    t = window.training
    t.exercise.setCurrentIndex(t.exercise.findData("pogo_hops"))
    t.sets.setValue(2)
    t.reps.setValue(5)
    data = load(POGO)
    seen = {}

    async def flow():
        window.start_replay([POGO], data, speed=None)
        window.show_screen("training")
        t._start_clicked()
        assert t.runner is not None
        while not t.runner.results:
            await asyncio.sleep(0.01)
        seen["rows"] = t.summary.rowCount()
        seen["title"] = t.summary_title.text()
        seen["phase"] = t.phase.text()
        window.fake_now.t += 61.0  # the rest's 60 s pass at once on the fake clock
        t.tick()
        seen["next"] = t.phase.text()
        while window.stream.running:
            await asyncio.sleep(0.01)

    loop.run_until_complete(asyncio.wait_for(flow(), 20))
    assert seen["rows"] == 5 and "Set 1" in seen["title"] and "mean" in seen["title"]
    assert seen["phase"].startswith("Rest") and seen["next"] == "Set 2 of 2"


def test_exception_in_a_slot_is_shown_not_swallowed(window):
    install_fault_hooks(window)
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert "ValueError: boom" in window.banner.text() and window.banner_row.isVisible()


def test_settings_persist(window, loop, tmp_path, qtbot):
    window.settings_screen.unit.setCurrentText("in")
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = MainWindow(store=store, sound=False)
    qtbot.addWidget(again)
    assert again.settings.height_unit == "in"


def test_no_adapter_is_said_plainly(window, loop):
    loop.run_until_complete(window.connect_screen.scan(0.1))
    assert "No Bluetooth adapter" in window.connect_screen.message.text()
    assert "demo" in window.connect_screen.message.text()


def test_no_display_says_how_to_run_headless(monkeypatch, capsys):
    from imu_app.gui import run

    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert run(demo=True) == 1
    assert "QT_QPA_PLATFORM=offscreen" in capsys.readouterr().err


def test_paths_exist():
    assert Path(POGO).is_file()


def test_connect_to_the_emulated_sensor_stream_drop_reconnect_and_disconnect(window, loop):
    """``--demo sensor``'s flow: bumble's in-process link on the window's own event loop (qasync).

    One coroutine for the whole flow: after ``run_until_complete`` qasync runs pending callbacks once more
    with no running loop, which bumble's timers and a task's first step do not survive.
    """
    screen = window.connect_screen
    seen: dict = {}

    async def wait(cond) -> None:
        async with asyncio.timeout(60):
            while not cond():
                await asyncio.sleep(0.02)

    async def flow():
        stream = await window.connect_emulated_sensor(scan_s=0.5)
        assert stream is not None and window.current_screen() == "live"
        seen["entries"], seen["item"] = list(screen.entries), screen.devices.item(0).text()
        await wait(lambda: stream.model.health is not None and stream.model.health.received > 2000)
        await screen.provider._keep[1].drop_link()
        await wait(lambda: "reconnected 1x" in screen.link.text())
        seen["link"] = screen.link.text()
        await window.stop_stream()
        seen["after"] = screen.link.text()
        await screen.provider.aclose()
        return stream

    stream = loop.run_until_complete(flow())
    (entry,) = seen["entries"]
    assert entry.name.startswith("AnkleIMU-") and entry.kind == "ankle-imu" and entry.rssi_dbm is not None
    assert "ankle-imu" in seen["item"] and "signal" in seen["item"]
    assert "battery 87 %" in seen["link"] and "streaming" in seen["link"]
    assert not stream.running and stream.summary is not None
    assert stream.summary.health.reconnects == 1 and stream.summary.health.source_state == "stopped"
    assert "stopped" in seen["after"]


def test_a_second_instance_is_told_in_one_sentence_and_exits(monkeypatch, tmp_path, capsys):
    from PySide6.QtCore import QLockFile

    from imu_app.gui import _app

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert _app.instance_lock_path() == tmp_path / "imu-app.lock"
    first = QLockFile(str(tmp_path / "imu-app.lock"))
    assert first.tryLock(0)  # the window already open
    try:
        assert _app.run(demo=True) == 1
    finally:
        first.unlock()
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("imu-app: imu-app is already open on this computer;") and line.count(". ") == 0


# Loading QtMultimedia on a machine without PipeWire makes Qt say so; that is the very situation tested.
@pytest.mark.qt_log_ignore("pipewire")
def test_a_missing_sound_device_is_said_once_and_the_cues_are_shown(qtbot, tmp_path, monkeypatch):
    from PySide6 import QtMultimedia

    monkeypatch.setattr(QtMultimedia.QMediaDevices, "audioOutputs", staticmethod(lambda: []))
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(store=store, sound=True)
    qtbot.addWidget(w)
    sentence = "No sound device was found; cues are shown on screen only."
    assert not w.player.available and w.player.note == sentence
    assert w.settings_screen.sound_note.text() == sentence == w.training.sound_note.text()
    assert w.errors == []  # not a fault: the app goes on, silent
