"""The live view: scrolling signal with take-off and landing markers, big numbers, a strip of contact times.

Everything here redraws on one ``QTimer`` from the live model's ring buffer (never per packet), so the cost
of drawing does not grow with the sample rate.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from imu_app.core import exercise_spec
from imu_app.gui._settings import AppSettings
from imu_app.gui._stream import Stream, magnitude

__all__ = ["AthleteView", "BigNumber", "LiveView"]

LANDING_PEN = pg.mkPen("#4caf50", width=2)
TAKEOFF_PEN = pg.mkPen("#ff9800", width=2, style=Qt.PenStyle.DashLine)
N_MARKERS = 40


class BigNumber(QFrame):
    """A caption and a value in a large font, readable from two metres."""

    def __init__(
        self, caption: str, unit: str = "", size_pt: int = 40, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bigNumber")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = QLabel(caption)
        self.caption.setObjectName("bigCaption")
        self.value = QLabel("-")
        self.value.setObjectName("bigValue")
        # a widget's own style sheet wins over the application's font size
        self.value.setStyleSheet(f"font-size: {size_pt}pt; font-weight: bold;")
        self.value.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unit = QLabel(unit)
        self.unit.setObjectName("bigUnit")
        self.unit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(0)
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.unit)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set(self, text: str, unit: str | None = None) -> None:
        if self.value.text() != text:
            self.value.setText(text)
        if unit is not None and self.unit.text() != unit:
            self.unit.setText(unit)


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None or not np.isfinite(x) else format(x, spec)


class NumbersPanel(QWidget):
    """The six numbers of the live view, in one row or a grid."""

    def __init__(self, size_pt: int = 40, columns: int = 6, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contact = BigNumber("Contact", "ms", size_pt)
        self.flight = BigNumber("Flight", "ms", size_pt)
        self.height = BigNumber("Height", "cm", size_pt)
        self.rsi = BigNumber("RSI", "m/s", size_pt)
        self.count = BigNumber("Contacts", "this session", size_pt)
        self.timer = BigNumber("Hold", "s", size_pt)
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        cells = [self.contact, self.flight, self.height, self.rsi, self.count, self.timer]
        for k, w in enumerate(cells):
            lay.addWidget(w, k // columns, k % columns)

    def show_stream(self, stream: Stream, settings: AppSettings) -> None:
        m, log = stream.model, stream.log
        c = m.last_contact
        self.contact.set(_fmt(c.contact_time_ms if c else None, ".0f"))
        self.flight.set(_fmt(c.flight_time_ms if c else None, ".0f"))
        h = c.jump_height_cm if c else None
        if settings.height_unit == "in":
            self.height.set(_fmt(None if h is None else h / 2.54, ".1f"), "in")
        else:
            self.height.set(_fmt(h, ".1f"), "cm")
        self.rsi.set(_fmt(log.last_rsi, ".2f"))
        spec = exercise_spec(stream.exercise)
        if spec is not None and spec.is_calf_raise:
            self.count.caption.setText("Reps")
            self.count.set(str(m.reps), "calf raises")
        else:
            self.count.caption.setText("Contacts")
            self.count.set(str(m.contacts), f"{m.sets} set(s) done")
        hold = m.hold_elapsed_s
        if hold is not None:
            self.timer.caption.setText("Hold")
            self.timer.set(f"{hold:.1f}", "s on the foot")
        else:
            rest = m.since_last_event_s
            self.timer.caption.setText("Rest")
            self.timer.set(_fmt(rest, ".0f"), "s since last")


class LiveView(QWidget):
    """Plots, numbers and the per-set strip of one :class:`Stream`; redraws at ``fps`` while shown."""

    athlete_view_requested = Signal()

    def __init__(self, settings: AppSettings, fps: float = 60.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.stream: Stream | None = None
        self.frames = 0
        self.draw_s = 0.0
        self.numbers = NumbersPanel()
        self.acc_plot = pg.PlotWidget()
        self.gyr_plot = pg.PlotWidget()
        self.strip = pg.PlotWidget()
        for p, label, unit in (
            (self.acc_plot, "|acc|", "g"),
            (self.gyr_plot, "|gyro|", "deg/s"),
        ):
            p.setLabel("left", label, units=unit)
            p.showGrid(x=True, y=True, alpha=0.25)
            p.setMouseEnabled(x=False, y=False)
            p.setMenuEnabled(False)
            p.hideButtons()
            p.getAxis("left").setWidth(64)
        self.gyr_plot.setXLink(self.acc_plot)
        self.gyr_plot.setLabel("bottom", "time", units="s")
        self.acc_plot.setYRange(0, 8)
        self.gyr_plot.setYRange(0, 800)
        self.acc_curve = self.acc_plot.plot(pen=pg.mkPen("#4fc3f7", width=1))
        self.gyr_curve = self.gyr_plot.plot(pen=pg.mkPen("#ce93d8", width=1))
        for curve in (self.acc_curve, self.gyr_curve):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            curve.setSkipFiniteCheck(True)
        self.markers: list[tuple[pg.InfiniteLine, pg.InfiniteLine]] = []
        for _ in range(N_MARKERS):
            land = pg.InfiniteLine(angle=90, pen=LANDING_PEN)
            take = pg.InfiniteLine(angle=90, pen=TAKEOFF_PEN)
            for line in (land, take):
                line.hide()
                self.acc_plot.addItem(line, ignoreBounds=True)
            self.markers.append((land, take))
        self.strip.setLabel("left", "contact", units="ms")
        self.strip.setTitle("Contact time of each hop, set by set")
        self.strip.setMouseEnabled(x=False, y=False)
        self.strip.setMenuEnabled(False)
        self.strip.hideButtons()
        self.strip.getAxis("left").setWidth(64)
        self.strip.getAxis("bottom").setTicks([[]])
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#4fc3f7")
        self.strip.addItem(self.bars)
        self.strip.setMaximumHeight(170)
        self.legend = QLabel(
            "<span style='color:#4caf50'>━ landing</span> &nbsp; "
            "<span style='color:#ff9800'>┅ take-off</span>"
        )
        self.status = QLabel("Not streaming. Pick a source on Connect or Replay, or start the demo.")
        self.status.setObjectName("statusLine")
        self.status.setWordWrap(True)
        self.athlete_button = QPushButton("Athlete view (F11)")
        self.athlete_button.clicked.connect(self.athlete_view_requested)
        QShortcut(QKeySequence(Qt.Key.Key_F11), self, activated=self.athlete_view_requested.emit)

        top = QHBoxLayout()
        top.addWidget(self.legend)
        top.addStretch(1)
        top.addWidget(self.athlete_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.numbers)
        lay.addLayout(top)
        lay.addWidget(self.acc_plot, 3)
        lay.addWidget(self.gyr_plot, 2)
        lay.addWidget(self.strip, 1)
        lay.addWidget(self.status)
        self.timer = QTimer(self)
        self.timer.setInterval(round(1000 / fps))
        self.timer.timeout.connect(self.refresh)

    def set_stream(self, stream: Stream | None) -> None:
        self.stream = stream
        if stream is not None:
            self.timer.start()
            self.refresh()
        else:
            self.timer.stop()

    def stop_timer(self) -> None:
        self.timer.stop()

    def refresh(self) -> None:
        """Redraw from the model (called by the timer)."""
        s = self.stream
        if s is None:
            return
        t0 = time.perf_counter()
        m = s.model
        t, acc, gyr = magnitude(m.signal.view())
        if t.size:
            self.acc_curve.setData(t, acc)
            if np.isfinite(gyr).any():
                self.gyr_curve.setData(t, gyr)
            span = m.signal.capacity / s.source.info.sample_rate_hz
            self.acc_plot.setXRange(max(0.0, t[-1] - span), max(span, t[-1]), padding=0)
            lo = t[0]
            shown = [c for c in s.log.contacts[-N_MARKERS:] if c.landing_s >= lo]
            for k, (land, take) in enumerate(self.markers):
                if k < len(shown):
                    c = shown[k]
                    land.setPos(c.landing_s)
                    land.show()
                    if c.takeoff_s is not None:
                        take.setPos(c.takeoff_s)
                        take.show()
                    else:
                        take.hide()
                else:
                    land.hide()
                    take.hide()
        self.numbers.show_stream(s, self.settings)
        self._draw_strip(s)
        self._draw_status(s)
        self.frames += 1
        self.draw_s += time.perf_counter() - t0

    def _draw_strip(self, s: Stream) -> None:
        xs: list[float] = []
        hs: list[float] = []
        brushes = []
        x = 0.0
        colours = ("#90a4ae", "#4fc3f7")
        sets = s.log.set_contact_ms
        for k, values in enumerate(sets):
            colour = colours[1] if k == len(sets) - 1 else colours[0]
            for v in values:
                xs.append(x)
                hs.append(v)
                brushes.append(pg.mkBrush(colour))
                x += 1
            x += 2
        self.bars.setOpts(x=xs, height=hs, width=0.8, brushes=brushes)
        if xs:
            self.strip.setXRange(-1, max(xs) + 1, padding=0)
            self.strip.setYRange(0, max(hs) * 1.15, padding=0)

    def _draw_status(self, s: Stream) -> None:
        m = s.model
        parts = [s.source.info.name]
        h = m.health
        if h is not None:
            parts.append(
                f"{h.effective_rate_hz:.0f} of {h.nominal_rate_hz:.0f} Hz, {h.lost} lost "
                f"({h.loss_percent:.1f} %), latency {_fmt(h.latency_ms, '.0f')} ms"
            )
            if h.reconnects:
                parts.append(f"reconnected {h.reconnects}x")
            if h.source_state and h.source_state != "streaming":
                parts.append(h.source_state.upper())
            if h.battery_percent is not None:
                parts.append(f"battery {h.battery_percent} %")
        if m.recording:
            parts.append(f"recording to {m.recording}")
        if m.notices:
            parts.append(m.notices[-1])
        if s.error:
            parts.append(s.error)
        elif not s.running and s.summary is not None:
            parts.append("stream ended")
        self.status.setText("  ·  ".join(parts))


class AthleteView(QWidget):
    """The numbers alone, huge, for the athlete across the room; Esc or a click closes it."""

    def __init__(self, live: LiveView) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.setWindowTitle("imu-app: athlete view")
        self.setObjectName("athleteView")
        self.live = live
        self.numbers = NumbersPanel(size_pt=96, columns=3)
        hint = QLabel("Esc to close")
        hint.setAlignment(Qt.AlignmentFlag.AlignRight)
        lay = QVBoxLayout(self)
        lay.addWidget(self.numbers)
        lay.addWidget(hint)
        self.timer = QTimer(self)
        self.timer.setInterval(100)
        self.timer.timeout.connect(self.refresh)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.close)

    def showEvent(self, event) -> None:
        self.timer.start()
        super().showEvent(event)

    def closeEvent(self, event) -> None:
        self.timer.stop()
        super().closeEvent(event)

    def refresh(self) -> None:
        if self.live.stream is not None:
            self.numbers.show_stream(self.live.stream, self.live.settings)
