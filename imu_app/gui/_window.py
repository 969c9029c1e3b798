"""The main window: screens on the left, one stream at a time, faults shown in a banner, not lost."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from imu_app.core import ImuAppError, ImuData
from imu_app.gui._history_view import HistoryScreen
from imu_app.gui._live_view import AthleteView, LiveView
from imu_app.gui._recording import Recordings, Take, recording_path
from imu_app.gui._screens import ConnectScreen, ReplayScreen, ResultsScreen, SettingsScreen
from imu_app.gui._settings import AppSettings, load_settings, save_settings
from imu_app.gui._sound import CuePlayer
from imu_app.gui._stream import (
    DEMO_RECORDING,
    DemoSource,
    DeviceEntry,
    DeviceProvider,
    MediaClock,
    NoAdapter,
    Stream,
    spawn,
)
from imu_app.gui._training import TrainingScreen
from imu_app.live import ReplaySource, Source
from imu_app.recordings import load

__all__ = ["SCREENS", "MainWindow"]

logger = logging.getLogger(__name__)

SCREENS = ("connect", "live", "training", "replay", "results", "history", "settings")
_TITLES = ("Connect", "Live", "Guided training", "Replay", "Results", "History", "Settings")


class MainWindow(QMainWindow):
    """The app.

    Parameters
    ----------
    store
        Where settings and geometry persist (tests pass one in a temporary folder).
    provider
        Lists and connects sensors; :class:`NoAdapter` where Bluetooth is not available.
    sound
        Try to play sound cues.
    now
        Host clock of the guided-training timer (a fake one in tests).
    """

    def __init__(
        self,
        store: QSettings | None = None,
        provider: DeviceProvider | None = None,
        *,
        sound: bool = True,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.setWindowTitle("imu-app")
        self.store = store or QSettings("imu-app", "imu-app")
        self.settings = load_settings(self.store)
        self.stream: Stream | None = None
        self.errors: list[str] = []
        self.player = CuePlayer(enabled=sound)
        self.player.set_volume(self.settings.cue_volume, self.settings.muted)
        self._closing = False

        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner_close = QPushButton("Dismiss")
        self.banner_close.clicked.connect(self.clear_error)
        banner_row = QWidget()
        banner_row.setObjectName("bannerRow")
        b_lay = QHBoxLayout(banner_row)
        b_lay.setContentsMargins(8, 4, 8, 4)
        b_lay.addWidget(self.banner, 1)
        b_lay.addWidget(self.banner_close)
        self.banner_row = banner_row
        banner_row.hide()

        self.connect_screen = ConnectScreen(provider or NoAdapter())
        self.live = LiveView(self.settings)
        self.training = TrainingScreen(self.settings, self.player, now=now)
        self.replay = ReplayScreen(self.settings)
        self.results = ResultsScreen(self.settings)
        self.history = HistoryScreen(self.store)
        self.settings_screen = SettingsScreen(self.settings)
        self.settings_screen.sound_note.setText(self.player.note)
        self.athlete_view: AthleteView | None = None
        self.recordings = Recordings(
            db_path=lambda: self.history.db_path,
            say=self._recording_saved,
            error=self.show_error,
            changed=self._show_recording,
        )

        # the transport bar of a replay, under the live view
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.speed = QComboBox()
        self.speed.addItems(["1x", "2x", "10x"])
        self.speed.setFixedWidth(80)
        self.pause_button.setFixedWidth(110)
        self.speed.currentTextChanged.connect(self._speed_changed)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p %")
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(lambda: spawn(self.stop_stream()))
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record the stream as it arrives; the recording goes into the history")
        self.record_button.toggled.connect(self._record_toggled)
        transport = QHBoxLayout()
        transport.addWidget(self.record_button)
        transport.addWidget(self.pause_button)
        transport.addWidget(QLabel("speed"))
        transport.addWidget(self.speed)
        transport.addWidget(self.progress, 1)
        transport.addStretch(0)
        transport.addWidget(self.stop_button)
        live_page = QWidget()
        live_lay = QVBoxLayout(live_page)
        live_lay.setContentsMargins(0, 0, 0, 0)
        live_lay.addWidget(self.live, 1)
        live_lay.addLayout(transport)

        self.pages = QStackedWidget()
        for w in (
            self.connect_screen,
            live_page,
            self.training,
            self.replay,
            self.results,
            self.history,
            self.settings_screen,
        ):
            self.pages.addWidget(w)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.addItems(list(_TITLES))
        self.nav.setFixedWidth(170)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.nav)
        body.addWidget(self.pages, 1)
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(banner_row)
        lay.addLayout(body, 1)
        self.setCentralWidget(central)
        self.setAcceptDrops(True)

        self.connect_screen.demo_requested.connect(self.start_demo)
        self.connect_screen.replay_requested.connect(lambda: self.show_screen("replay"))
        self.connect_screen.device_chosen.connect(self.start_device)
        self.replay.play_requested.connect(self._play_requested)
        self.replay.report_ready.connect(self._report_ready)
        self.replay.error.connect(self.show_error)
        self.results.error.connect(self.show_error)
        self.history.error.connect(self.show_error)
        self.settings_screen.changed.connect(self.apply_settings)
        self.training.start_requested.connect(self._training_start)
        self.training.stop_requested.connect(lambda: spawn(self.stop_stream()))
        self.training.set_started.connect(lambda n: self.start_recording(set_number=n))
        self.training.set_ended.connect(lambda n: self.stop_recording())
        self.live.athlete_view_requested.connect(self.open_athlete_view)
        self.transport_timer = QTimer(self)
        self.transport_timer.setInterval(200)
        self.transport_timer.timeout.connect(self._update_transport)
        self._update_transport()

        geometry = self.store.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        self.show_screen("connect")

    # ------------------------------------------------------------------------------------- navigation

    def show_screen(self, name: str) -> None:
        self.nav.setCurrentRow(SCREENS.index(name))

    def current_screen(self) -> str:
        return SCREENS[self.pages.currentIndex()]

    # ----------------------------------------------------------------------------------------- faults

    def show_error(self, message: str) -> None:
        """Show a fault in the banner at the top; the app goes on."""
        logger.warning("%s", message)
        self.errors.append(message)
        self.banner.setText(message)
        self.banner_row.show()

    def clear_error(self) -> None:
        self.banner_row.hide()

    # ---------------------------------------------------------------------------------------- streams

    def start_demo(self) -> Stream | None:
        """Stream the bundled pogo-hop recording in real time, looping, through the live pipeline."""
        try:
            data = load(DEMO_RECORDING)
        except (ImuAppError, OSError) as exc:
            self.show_error(f"The demo recording could not be read ({exc}).")
            return None
        clock = MediaClock()
        return self._start(DemoSource(data, clock=clock), clock, exercise=data.meta.exercise, duration_s=None)

    async def connect_emulated_sensor(self, scan_s: float = 1.0) -> Stream | None:
        """Put the emulated sensor on an in-process Bluetooth link, scan and connect to it as to a real one
        (``imu-app gui --demo sensor``): the whole connect flow with no hardware."""
        from imu_app.gui._devices import emulated_sensor_provider

        try:
            provider = await emulated_sensor_provider()
        except ImuAppError as exc:
            self.show_error(str(exc))
            return None
        self.connect_screen.provider = provider
        self.show_screen("connect")
        await self.connect_screen.scan(scan_s)
        if not self.connect_screen.entries:
            return None
        self.connect_screen.devices.setCurrentRow(0)
        return self.start_device(self.connect_screen.entries[0])

    def start_replay(self, paths: list[Path], data: ImuData, speed: float | None) -> Stream:
        """Play a loaded recording through the live pipeline (``speed`` None: as fast as possible)."""
        clock = MediaClock(rate=speed or 1.0)
        name = ", ".join(p.name for p in paths)
        source = ReplaySource(data, speed=1.0 if speed else None, clock=clock, name=name)
        if speed:
            self.speed.setCurrentText(f"{speed:g}x")
        return self._start(source, clock, exercise=data.meta.exercise, duration_s=data.duration_s)

    def start_device(self, entry: DeviceEntry) -> Stream | None:
        try:
            source = self.connect_screen.provider.source(entry)
        except ImuAppError as exc:
            self.show_error(str(exc))
            return None
        stream = self._start(source, None, exercise=None, duration_s=None)
        self.connect_screen.show_link(entry.name, source.status(), None)
        return stream

    def _play_requested(self, paths: list[Path], data: ImuData, speed: float | None) -> None:
        self.start_replay(paths, data, speed)

    def _start(
        self, source: Source, clock: MediaClock | None, *, exercise: str | None, duration_s: float | None
    ) -> Stream:
        old = self.stream
        if old is not None and old.running:
            old.session.stop()
        target = self.settings.hold_target_s or None
        stream = Stream(source, clock=clock, exercise=exercise, hold_target_s=target, duration_s=duration_s)
        stream.on_done(self._stream_done)
        stream.subscribe(self.recordings.on_event)
        self.stream = stream
        self.live.set_stream(stream)
        stream.start()
        self.pause_button.setChecked(False)
        self.transport_timer.start()
        self._update_transport()
        self.show_screen("live")
        return stream

    def _stream_done(self, stream: Stream) -> None:
        if stream.error:
            self.show_error(stream.error)
        if stream is self.stream:
            self.recordings.stream_ended(stream)
            self.live.refresh()
            self._update_transport()

    async def stop_stream(self) -> None:
        """Stop streaming; the recording (if any) is finished and closed."""
        stream = self.stream
        if stream is not None:
            await stream.stop()
            self.live.refresh()
            self.live.stop_timer()
        self.transport_timer.stop()
        self._update_transport()
        await self.recordings.wait()

    # ------------------------------------------------------------------------------------- recording

    def start_recording(self, *, set_number: int | None = None) -> Path | None:
        """Record the running stream into the recordings folder (Settings), named and described by the
        athlete, exercise and leg: a guided set's (``set_number``) or, on Live, those set on Guided
        training (the athlete falls back to Settings). Returns the file, or ``None`` when nothing streams
        or the folder cannot be made (said in the banner)."""
        stream = self.stream
        if stream is None or not stream.running:
            self._show_recording()
            return None
        t = self.training
        athlete = t.athlete_name or self.settings.athlete or None
        exercise = t.exercise_key if set_number is not None else stream.exercise
        leg = t.leg.currentText()
        path = recording_path(
            self.settings.recordings_folder,
            athlete=athlete,
            exercise=exercise,
            leg=leg,
            when=datetime.now(),
            set_number=set_number,
        )
        take = Take(path, athlete, exercise, leg, set_number)
        if not self.recordings.start(stream, take):
            self._show_recording()
            return None
        return path

    def stop_recording(self) -> None:
        """Finish the recording; the stream goes on, and the recording is saved to the history."""
        self.recordings.stop(self.stream)

    def _record_toggled(self, on: bool) -> None:
        if on and not self.recordings.recording:
            self.start_recording()
        elif not on and self.recordings.recording:
            self.stop_recording()

    def _show_recording(self) -> None:
        on = self.recordings.recording
        if self.record_button.isChecked() != on:
            self.record_button.blockSignals(True)
            self.record_button.setChecked(on)
            self.record_button.blockSignals(False)
        self.record_button.setText("Stop recording" if on else "Record")

    def _recording_saved(self, text: str) -> None:
        logger.info("%s", text)
        self.statusBar().showMessage(text)
        self.history.mark_stale()

    def _pause_toggled(self, paused: bool) -> None:
        s = self.stream
        if s is not None and isinstance(s.clock, MediaClock):
            if paused:
                s.clock.pause()
            else:
                s.clock.resume()
        self.pause_button.setText("Resume" if paused else "Pause")

    def _speed_changed(self, text: str) -> None:
        s = self.stream
        if s is not None and isinstance(s.clock, MediaClock) and s.source.info.realtime:
            s.clock.set_rate(float(text.rstrip("x")))

    def _update_transport(self) -> None:
        s = self.stream
        running = s is not None and s.running
        pausable = running and isinstance(s.clock, MediaClock)
        self.pause_button.setEnabled(pausable)
        self.speed.setEnabled(pausable and s.source.info.realtime)
        self.stop_button.setEnabled(running)
        self.record_button.setEnabled(running or self.recordings.recording)
        if s is not None and s.source.status() is not None:
            self.connect_screen.show_link(
                s.source.info.name if running else f"{s.source.info.name} (disconnected)",
                s.source.status(),
                s.session.health(),  # now, not the last 5-s report: the rate is known from the second chunk
            )
        p = s.progress if s is not None else None
        self.progress.setVisible(p is not None)
        if p is not None:
            self.progress.setValue(round(p * 1000))

    # --------------------------------------------------------------------------------------- training

    def _training_start(self, exercise: str, leg: str, athlete: str) -> None:
        # Without a sensor the demo stands in; the runner counts whatever the stream's analysis decides.
        stream = self.stream if self.stream is not None and self.stream.running else self.start_demo()
        self.show_screen("training")
        if stream is not None:
            self.training.attach(stream)

    # ------------------------------------------------------------------------------------ other parts

    def _report_ready(self, report) -> None:
        self.results.show_report(report)

    def apply_settings(self, settings: AppSettings) -> None:
        self.settings = settings
        for w in (self.live, self.training, self.replay, self.results):
            w.settings = settings
        self.player.set_volume(settings.cue_volume, settings.muted)
        save_settings(self.store, settings)

    def open_athlete_view(self) -> None:
        if self.athlete_view is None:
            self.athlete_view = AthleteView(self.live)
        self.athlete_view.showFullScreen()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        self.show_screen("replay")
        self.replay.dropEvent(event)

    def closeEvent(self, event) -> None:
        """Stop streaming and finish the recording before the window goes."""
        self.store.setValue("window/geometry", self.saveGeometry())
        save_settings(self.store, self.settings)
        if self.athlete_view is not None:
            self.athlete_view.close()
        busy = self.stream is not None and self.stream.running
        if (busy or self.recordings.saving) and not self._closing:
            self._closing = True
            event.ignore()

            async def finish() -> None:
                await self.stop_stream()
                self.close()

            spawn(finish())
            return
        self.live.stop_timer()
        self.transport_timer.stop()
        self.training.timer.stop()
        self.history.close_db()
        super().closeEvent(event)
