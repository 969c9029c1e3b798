"""Guided training: pick athlete, exercise and leg; the runner counts sets, rests and cues; set summaries."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from imu_app.gui._screens import _f, fill_table, make_table
from imu_app.gui._settings import AppSettings
from imu_app.gui._sound import CuePlayer
from imu_app.gui._stream import Stream
from imu_app.live import ContactDone, HoldEnded, HoldStarted, Published, RepSeen
from imu_app.training import PROGRAMME, Cue, Phase, ProtocolRunner, SetResult

__all__ = ["TrainingScreen"]


def _big(size: int) -> QLabel:
    lab = QLabel("")
    lab.setStyleSheet(f"font-size: {size}pt; font-weight: bold;")
    lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return lab


class TrainingScreen(QWidget):
    """Runs a guided session on the stream the window hands it.

    ``start_requested(exercise_key, leg, athlete)`` asks the window for a stream (sensor, or the demo);
    the window answers with :meth:`attach`. ``set_started(n)`` and ``set_ended(n)`` tell it when a set's
    work begins and ends, so that it records each set.
    """

    start_requested = Signal(str, str, str)
    stop_requested = Signal()
    set_started = Signal(int)
    set_ended = Signal(int)

    def __init__(
        self,
        settings: AppSettings,
        player: CuePlayer,
        now: Callable[[], float] = time.monotonic,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.player = player
        self.now = now
        self.runner: ProtocolRunner | None = None
        self.cues: list[Cue] = []
        self.working_set: int | None = None
        title = QLabel("Guided training")
        title.setObjectName("screenTitle")
        self.athlete = QLineEdit()
        self.athlete.setPlaceholderText("name")
        self.exercise = QComboBox()
        for key, ex in PROGRAMME.items():
            self.exercise.addItem(f"{ex.title}  ({ex.sets} x {ex.reps_per_set})", key)
        self.leg = QComboBox()
        self.leg.addItems(["right", "left"])
        self.sets = QSpinBox()
        self.sets.setRange(1, 10)
        self.reps = QSpinBox()
        self.reps.setRange(1, 50)
        self.exercise.currentIndexChanged.connect(self._exercise_changed)
        self._exercise_changed()
        form = QFormLayout()
        form.addRow("Athlete", self.athlete)
        form.addRow("Exercise", self.exercise)
        form.addRow("Leg", self.leg)
        form.addRow("Sets", self.sets)
        form.addRow("Reps per set", self.reps)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("primary")
        self.start_button.clicked.connect(self._start_clicked)
        self.end_set_button = QPushButton("End set")
        self.end_set_button.clicked.connect(self._end_set)
        self.skip_button = QPushButton("Skip rest")
        self.skip_button.clicked.connect(self._skip_rest)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.end_set_button, self.skip_button, self.stop_button):
            buttons.addWidget(b)
        setup = QGroupBox("Session")
        setup_lay = QVBoxLayout(setup)
        setup_lay.addLayout(form)
        setup_lay.addLayout(buttons)
        self.sound_note = QLabel(player.note)
        self.sound_note.setWordWrap(True)
        setup_lay.addWidget(self.sound_note)
        setup_lay.addStretch(1)

        self.phase = _big(28)
        self.count = _big(96)
        self.beat = _big(36)
        self.message = QLabel("Pick an exercise and press Start. The demo stands in for a sensor.")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.last = QLabel("")
        self.last.setAlignment(Qt.AlignmentFlag.AlignCenter)
        board = QGroupBox("Now")
        board_lay = QVBoxLayout(board)
        for w in (self.phase, self.count, self.beat, self.message, self.last):
            board_lay.addWidget(w)
        self.summary_title = QLabel("Set summary: appears when a set ends.")
        self.summary_title.setWordWrap(True)
        self.summary = make_table()
        top = QHBoxLayout()
        top.addWidget(setup, 2)
        top.addWidget(board, 3)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(top, 3)
        lay.addWidget(self.summary_title)
        lay.addWidget(self.summary, 2)
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self.tick)
        self._buttons()

    def _exercise_changed(self) -> None:
        ex = PROGRAMME[self.exercise.currentData()]
        self.sets.setValue(ex.sets)
        self.reps.setValue(ex.reps_per_set)

    def _buttons(self) -> None:
        phase = self.runner.phase if self.runner else None
        running = phase in (Phase.WORK, Phase.REST)
        self.start_button.setEnabled(not running)
        self.end_set_button.setEnabled(phase is Phase.WORK)
        self.skip_button.setEnabled(phase is Phase.REST)
        self.stop_button.setEnabled(running)

    def _start_clicked(self) -> None:
        self.start_requested.emit(self.exercise.currentData(), self.leg.currentText(), self.athlete.text())

    def attach(self, stream: Stream) -> None:
        """Start the session on ``stream`` (the window made it for the chosen exercise)."""
        ex = PROGRAMME[self.exercise.currentData()]
        self.runner = ProtocolRunner(
            ex,
            sets=self.sets.value(),
            reps_per_set=self.reps.value(),
            rest_s=self.settings.rest_s,
            metronome=self.settings.metronome,
        )
        self.cues = []
        stream.subscribe(self.on_event)
        self._play(self.runner.start(self.now()))
        self.timer.start()
        self.refresh()

    def on_event(self, pub: Published) -> None:
        r = self.runner
        if r is None:
            return
        ev, now = pub.event, self.now()
        if isinstance(ev, ContactDone):
            self._play(r.on_contact(ev.contact, now))
            c = ev.contact
            self.last.setText(
                f"last contact {_f(c.contact_time_ms, '.0f')} ms   flight {_f(c.flight_time_ms, '.0f')} ms   "
                f"height {self.settings.height(c.jump_height_cm)}"
            )
        elif isinstance(ev, HoldStarted):
            self._play(r.on_hold_started(now))
        elif isinstance(ev, HoldEnded):
            self._play(r.on_hold_ended(ev.landing.hold_s, ev.landing.hold_target_met, now))
        elif isinstance(ev, RepSeen):
            # The live count: the set's final reps (RepDone) come once it is over, too late for a cue.
            self._play(r.on_rep(False, now))
        else:
            return
        self.refresh()

    def tick(self) -> None:
        if self.runner is not None:
            self._play(self.runner.tick(self.now()))
            self.refresh()

    def _end_set(self) -> None:
        if self.runner is not None:
            self._play(self.runner.end_set(self.now()))
            self.refresh()

    def _skip_rest(self) -> None:
        if self.runner is not None:
            self._play(self.runner.skip_rest(self.now()))
            self.refresh()

    def stop(self) -> None:
        self.timer.stop()
        if self.runner is not None and self.runner.phase is Phase.WORK:
            self._play(self.runner.end_set(self.now()))
        self.stop_requested.emit()
        self.refresh()

    def _play(self, cues: list[Cue]) -> None:
        for cue in cues:
            self.cues.append(cue)
            self.player.play(cue)
        if self.runner is not None and self.runner.results:
            self.show_summary(self.runner.results[-1])
        if self.runner is not None and self.runner.phase is Phase.DONE:
            self.timer.stop()
        self._follow_sets()

    def _follow_sets(self) -> None:
        """Announce the start and end of each set's work (the runner says it through its phase)."""
        r = self.runner
        working = r.state.set_number if r is not None and r.phase is Phase.WORK else None
        if working == self.working_set:
            return
        ended, self.working_set = self.working_set, working
        if ended is not None:
            self.set_ended.emit(ended)
        if working is not None:
            self.set_started.emit(working)

    @property
    def athlete_name(self) -> str:
        return self.athlete.text().strip()

    @property
    def exercise_key(self) -> str:
        return str(self.exercise.currentData())

    def refresh(self) -> None:
        r = self.runner
        if r is None:
            return
        s = r.state
        if s.phase is Phase.WORK:
            self.phase.setText(f"Set {s.set_number} of {s.sets}")
            self.count.setText(f"{s.count} / {s.target}")
        elif s.phase is Phase.REST:
            self.phase.setText(f"Rest after set {s.set_number} of {s.sets}")
            self.count.setText(f"{s.rest_left_s:.0f} s")
        elif s.phase is Phase.DONE:
            self.phase.setText("Done")
            self.count.setText(f"{len(r.results)} set(s)")
        self.beat.setText(s.beat.upper() if s.beat else "")
        self.message.setText(s.message)
        self._buttons()

    def show_summary(self, result: SetResult) -> None:
        ct = result.contact_time_ms
        parts = [
            f"<b>Set {result.index + 1}</b>: {result.count} of {result.target} in {result.duration_s:.0f} s"
        ]
        if ct is not None:
            parts.append(
                f"contact time mean {_f(ct.mean, '.0f')} ms, best {_f(ct.best, '.0f')} ms, "
                f"CV {_f(ct.cv_percent, '.1f')} %, drift {_f(ct.drift_per_rep, '+.1f')} ms per hop"
            )
        if result.hold_s:
            parts.append(f"holds kept: {result.holds_met} of {len(result.hold_s)}")
        self.summary_title.setText("; ".join(parts))
        rows = [
            [
                str(k + 1),
                _f(c.contact_time_ms, ".0f"),
                _f(c.flight_time_ms, ".0f"),
                self.settings.height(c.jump_height_cm),
            ]
            for k, c in enumerate(result.contacts)
        ]
        fill_table(self.summary, ["hop", "contact ms", "flight before ms", "height"], rows)
