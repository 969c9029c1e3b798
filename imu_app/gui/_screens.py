"""The screens besides the live view: connect, replay and event browser, results, settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSlider,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from imu_app.analysis import AnalysisOptions, AnalysisReport, Contact, analyse, report_csv, report_json
from imu_app.core import ImuAppError, ImuData
from imu_app.gui._settings import AppSettings, default_recordings_dir
from imu_app.gui._stream import DeviceProvider, spawn
from imu_app.recordings import load

__all__ = ["ConnectScreen", "Correction", "ReplayScreen", "ResultsScreen", "SettingsScreen"]

logger = logging.getLogger(__name__)

FILE_FILTER = "Recordings (*.csv *.txt *.tsv);;All files (*)"


def _item(text: str, align_right: bool = True) -> QTableWidgetItem:
    it = QTableWidgetItem(text)
    it.setFlags(it.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return it


def _f(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def fill_table(table: QTableWidget, headings: list[str], rows: list[list[str]]) -> None:
    table.clear()
    table.setColumnCount(len(headings))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(headings)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, _item(text))
    table.resizeColumnsToContents()


def make_table() -> QTableWidget:
    t = QTableWidget()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    t.setAlternatingRowColors(True)
    return t


# ---------------------------------------------------------------------------------------------- connect


class ConnectScreen(QWidget):
    """Scan for sensors; with no adapter or no sensor, say so and offer the demo and a replay."""

    demo_requested = Signal()
    replay_requested = Signal()
    device_chosen = Signal(object)

    def __init__(self, provider: DeviceProvider, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.provider = provider
        self.entries: list = []
        title = QLabel("Connect a sensor")
        title.setObjectName("screenTitle")
        self.message = QLabel("Press Scan to look for sensors nearby.")
        self.message.setObjectName("plainMessage")
        self.message.setWordWrap(True)
        self.link = QLabel("Not connected.")
        self.link.setObjectName("statusLine")
        self.link.setWordWrap(True)
        self.devices = QListWidget()
        self.devices.itemDoubleClicked.connect(self._connect_selected)
        self.scan_button = QPushButton("Scan")
        self.scan_button.clicked.connect(self._scan_clicked)
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(self._connect_selected)
        demo = QPushButton("Start the demo")
        demo.setObjectName("primary")
        demo.clicked.connect(self.demo_requested)
        replay = QPushButton("Replay a recording…")
        replay.clicked.connect(self.replay_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.connect_button)
        buttons.addStretch(1)
        alt = QGroupBox("No sensor at hand?")
        alt_lay = QHBoxLayout(alt)
        alt_lay.addWidget(QLabel("Watch the app work on a bundled recording of pogo hops, or open your own."))
        alt_lay.addStretch(1)
        alt_lay.addWidget(demo)
        alt_lay.addWidget(replay)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.message)
        lay.addLayout(buttons)
        lay.addWidget(self.devices, 1)
        lay.addWidget(self.link)
        lay.addWidget(alt)

    def show_link(self, name: str, status, health) -> None:
        """The connected sensor's link in one line: state, battery, signal, rate, loss, latency, reconnects
        (``status`` a :class:`~imu_app.live.SourceStatus` or ``None``, ``health`` the session's)."""
        parts = [name]
        if status is not None:
            parts.append(status.state + (f": {status.message}" if status.message else ""))
            if status.battery_percent is not None:
                parts.append(f"battery {status.battery_percent} %")
            if status.rssi_dbm is not None:
                parts.append(f"signal {status.rssi_dbm} dBm")
        if health is not None and np.isfinite(health.effective_rate_hz):
            parts.append(
                f"{health.effective_rate_hz:.0f} of {health.nominal_rate_hz:.0f} Hz, {health.lost} lost "
                f"({health.loss_percent:.1f} %)"
            )
            if health.reconnects:
                parts.append(f"reconnected {health.reconnects}x")
        self.link.setText("  ·  ".join(parts))

    def _scan_clicked(self) -> None:
        spawn(self.scan())

    async def scan(self, timeout_s: float = 5.0) -> None:
        self.scan_button.setEnabled(False)
        self.message.setText("Scanning…")
        self.devices.clear()
        try:
            self.entries = await self.provider.scan(timeout_s)
        except ImuAppError as exc:
            self.entries = []
            self.message.setText(f"{exc} You can still start the demo or replay a recording below.")
        else:
            if not self.entries:
                self.message.setText(
                    "No sensor found. Is it switched on and near? You can also start the demo below."
                )
            else:
                self.message.setText(f"{len(self.entries)} sensor(s) found; double-click one to connect.")
            for e in self.entries:
                rssi = "-" if e.rssi_dbm is None else f"{e.rssi_dbm} dBm"
                bat = "-" if e.battery_percent is None else f"{e.battery_percent} %"
                self.devices.addItem(f"{e.name}   {e.kind}   signal {rssi}   battery {bat}   ({e.address})")
        finally:
            self.scan_button.setEnabled(True)

    def _connect_selected(self, *_: object) -> None:
        row = self.devices.currentRow()
        if 0 <= row < len(self.entries):
            self.device_chosen.emit(self.entries[row])


# ----------------------------------------------------------------------------------------------- replay


@dataclass(frozen=True)
class Correction:
    """A take-off or landing moved by hand, kept beside the algorithm's value (never overwriting it)."""

    contact_index: int
    edge: str  # "landing" or "takeoff"
    algorithm_s: float
    corrected_s: float


def corrected_contact_ms(c: Contact, corrections: dict[tuple[int, str], Correction], i: int) -> float | None:
    land = corrections.get((i, "landing"))
    take = corrections.get((i, "takeoff"))
    if land is None and take is None:
        return c.contact_time_ms
    if c.takeoff_s is None:
        return None
    lo = land.corrected_s if land else c.landing_s
    hi = take.corrected_s if take else c.takeoff_s
    return (hi - lo) * 1000.0


class ReplayScreen(QWidget):
    """Open a recording; play it through the live pipeline, or analyse it at once and browse its events."""

    play_requested = Signal(object, object, object)  # paths, data, speed (None: max)
    report_ready = Signal(object)
    error = Signal(str)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.paths: list[Path] = []
        self.data: ImuData | None = None
        self.report: AnalysisReport | None = None
        self.corrections: dict[tuple[int, str], Correction] = {}
        self._lines: list[tuple[pg.InfiniteLine, int, str]] = []
        self.setAcceptDrops(True)
        title = QLabel("Replay a recording")
        title.setObjectName("screenTitle")
        self.file_label = QLabel(
            "Open a recording or drop one on the window (native CSV or another tool's export)."
        )
        self.file_label.setWordWrap(True)
        open_button = QPushButton("Open…")
        open_button.clicked.connect(self._open_dialog)
        self.speed = QComboBox()
        self.speed.addItems(["1x", "2x", "10x", "max"])
        self.play_button = QPushButton("Play through the live view")
        self.play_button.clicked.connect(self._play)
        self.analyse_button = QPushButton("Analyse now")
        self.analyse_button.setObjectName("primary")
        self.analyse_button.clicked.connect(lambda: spawn(self.analyse_now()))
        for b in (self.play_button, self.analyse_button):
            b.setEnabled(False)
        bar = QHBoxLayout()
        bar.addWidget(open_button)
        bar.addWidget(QLabel("speed"))
        bar.addWidget(self.speed)
        bar.addWidget(self.play_button)
        bar.addWidget(self.analyse_button)
        bar.addStretch(1)

        self.plot = pg.PlotWidget()
        self.plot.setLabel("left", "|acc|", units="g")
        self.plot.setLabel("bottom", "time", units="s")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.curve = self.plot.plot(pen=pg.mkPen("#4fc3f7", width=1))
        self.curve.setClipToView(True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.events = make_table()
        self.events.itemSelectionChanged.connect(self._selection_changed)
        self.detail = QLabel("Click an event in the table or on the plot. Drag a marker to correct it.")
        self.detail.setWordWrap(True)
        self.detail.setObjectName("detail")
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        side_lay.addWidget(self.events, 1)
        side_lay.addWidget(self.detail)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        split.addWidget(side)
        split.setSizes([620, 520])
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(self.file_label)
        lay.addLayout(bar)
        lay.addWidget(split, 1)

    # ----------------------------------------------------------------------------------------- open

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            spawn(self.open_files(paths))

    def _open_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Open a recording", "", FILE_FILTER)
        if names:
            spawn(self.open_files([Path(n) for n in names]))

    async def open_files(self, paths: list[Path]) -> bool:
        """Load ``paths`` (one recording, possibly in several files); a bad file is reported, not raised."""
        self.file_label.setText(f"Reading {', '.join(p.name for p in paths)}…")
        loop = asyncio.get_running_loop()
        try:
            data = await loop.run_in_executor(None, load, paths[0] if len(paths) == 1 else list(paths))
        except ImuAppError as exc:
            return self._failed(str(exc))
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            return self._failed(f"{exc.filename}: {exc.strerror}")
        self.paths, self.data, self.report = paths, data, None
        self.corrections = {}
        rec = data.meta
        self.file_label.setText(
            f"{', '.join(str(p) for p in paths)}: {len(data)} samples, {data.duration_s:.1f} s at "
            f"{data.sample_rate_hz:.4g} Hz, {'acc + gyro' if data.has_gyro else 'accelerometer only'}, "
            f"exercise {rec.exercise or 'not given'}, leg {rec.leg or 'not given'}"
            + "".join(f"\nwarning: {w}" for w in data.warnings)
        )
        self.play_button.setEnabled(True)
        self.analyse_button.setEnabled(True)
        self._draw_signal()
        fill_table(self.events, [], [])
        return True

    def _failed(self, message: str) -> bool:
        self.file_label.setText(f"Could not open it: {message}")
        self.error.emit(message)
        return False

    def _draw_signal(self) -> None:
        d = self.data
        assert d is not None
        for line, _, _ in self._lines:
            self.plot.removeItem(line)
        self._lines = []
        t = d.t_s - d.t_s[0]
        self.curve.setData(t, np.linalg.norm(d.acc_g, axis=1))
        self.plot.enableAutoRange()

    def _play(self) -> None:
        if self.data is None:
            return
        text = self.speed.currentText()
        speed = None if text == "max" else float(text.rstrip("x"))
        self.play_requested.emit(self.paths, self.data, speed)

    # -------------------------------------------------------------------------------------- analyse

    async def analyse_now(self) -> AnalysisReport | None:
        if self.data is None:
            return None
        self.analyse_button.setEnabled(False)
        target = self.settings.hold_target_s or None
        options = AnalysisOptions(hold_target_s=target)
        path = ", ".join(str(p) for p in self.paths)
        loop = asyncio.get_running_loop()
        try:
            report = await loop.run_in_executor(None, lambda: analyse(self.data, options, path=path))
        except ImuAppError as exc:
            self._failed(str(exc))
            return None
        finally:
            self.analyse_button.setEnabled(True)
        self.show_report(report)
        self.report_ready.emit(report)
        return report

    def show_report(self, report: AnalysisReport) -> None:
        self.report = report
        self.corrections = {}
        for line, _, _ in self._lines:
            self.plot.removeItem(line)
        self._lines = []
        for i, c in enumerate(report.contacts):
            edges = [("landing", c.landing_s)] + (
                [("takeoff", c.takeoff_s)] if c.takeoff_s is not None else []
            )
            for edge, t in edges:
                pen = pg.mkPen("#4caf50" if edge == "landing" else "#ff9800", width=2)
                line = pg.InfiniteLine(
                    pos=t, angle=90, movable=True, pen=pen, hoverPen=pg.mkPen("w", width=3)
                )
                line.sigPositionChangeFinished.connect(lambda ln, i=i, edge=edge: self._moved(ln, i, edge))
                line.sigClicked.connect(lambda ln, ev, i=i: self.select_contact(i))
                self.plot.addItem(line, ignoreBounds=True)
                self._lines.append((line, i, edge))
        self._fill_events()

    def _fill_events(self) -> None:
        r = self.report
        if r is None:
            return
        rows = []
        for i, c in enumerate(r.contacts):
            corrected = corrected_contact_ms(c, self.corrections, i)
            moved = any(k[0] == i for k in self.corrections)
            rows.append(
                [
                    str(i + 1),
                    _f(c.landing_s, ".3f"),
                    _f(c.contact_time_ms, ".0f"),
                    _f(corrected, ".0f") if moved else "",
                    _f(c.next_flight_time_ms, ".0f"),
                    self.settings.height(c.next_jump_height_cm),
                    _f(c.rsi, ".2f"),
                ]
            )
        fill_table(
            self.events, ["#", "landing s", "contact ms", "corrected ms", "flight ms", "height", "RSI"], rows
        )

    def select_contact(self, i: int) -> None:
        """Show contact ``i``'s numbers and centre the plot on it."""
        if self.report is None or not 0 <= i < len(self.report.contacts):
            return
        c = self.report.contacts[i]
        self.events.blockSignals(True)
        self.events.selectRow(i)
        self.events.blockSignals(False)
        lines = [
            f"<b>Contact {i + 1}</b> ({c.kind}{', ' + c.role if c.role else ''}, set "
            f"{'-' if c.set_index is None else c.set_index + 1})",
            f"landing {c.landing_s:.3f} s, take-off {_f(c.takeoff_s, '.3f')} s",
            f"contact {_f(c.contact_time_ms, '.1f')} ms; flight before it {_f(c.flight_time_ms, '.1f')} ms",
            f"jump it launched: flight {_f(c.next_flight_time_ms, '.1f')} ms, height "
            f"{self.settings.height(c.next_jump_height_cm)}, RSI {_f(c.rsi, '.2f')}",
        ]
        for edge in ("landing", "takeoff"):
            corr = self.corrections.get((i, edge))
            if corr:
                lines.append(
                    f"{edge} moved by hand to {corr.corrected_s:.3f} s (algorithm: {corr.algorithm_s:.3f} s)"
                )
        if any(k[0] == i for k in self.corrections):
            lines.append(
                f"contact time corrected: {_f(corrected_contact_ms(c, self.corrections, i), '.1f')} ms"
            )
        self.detail.setText("<br>".join(lines))
        lo = c.landing_s - 0.6
        self.plot.setXRange(lo, lo + 1.5, padding=0)

    def _selection_changed(self) -> None:
        rows = self.events.selectionModel().selectedRows()
        if rows:
            self.select_contact(rows[0].row())

    def _moved(self, line: pg.InfiniteLine, i: int, edge: str) -> None:
        self.correct(i, edge, float(line.value()))

    def correct(self, i: int, edge: str, t_s: float) -> Correction:
        """Move contact ``i``'s ``edge`` to ``t_s`` by hand (the algorithm's value stays in the report)."""
        assert self.report is not None
        c = self.report.contacts[i]
        original = c.landing_s if edge == "landing" else c.takeoff_s
        if original is None:
            raise ImuAppError(f"contact {i + 1} has no {edge} to move")
        corr = Correction(i, edge, original, t_s)
        self.corrections[(i, edge)] = corr
        for line, k, e in self._lines:
            if k == i and e == edge and abs(line.value() - t_s) > 1e-9:
                line.setValue(t_s)
        self._fill_events()
        self.select_contact(i)
        return corr


# ---------------------------------------------------------------------------------------------- results


class ResultsScreen(QWidget):
    """The analysis report as tables and a plot, with export to CSV and JSON."""

    error = Signal(str)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.report: AnalysisReport | None = None
        self.corrections: dict = {}
        title = QLabel("Results")
        title.setObjectName("screenTitle")
        self.summary = QLabel("No results yet: analyse a recording on Replay.")
        self.summary.setWordWrap(True)
        self.sets = make_table()
        self.sets.setMaximumHeight(120)
        self.contacts = make_table()
        self.plot = pg.PlotWidget()
        self.plot.setLabel("left", "contact", units="ms")
        self.plot.setLabel("bottom", "contact #")
        self.plot.showGrid(y=True, alpha=0.25)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="#4fc3f7")
        self.plot.addItem(self.bars)
        self.export_csv_button = QPushButton("Export CSV…")
        self.export_json_button = QPushButton("Export JSON…")
        self.export_csv_button.clicked.connect(lambda: self._export_dialog("csv"))
        self.export_json_button.clicked.connect(lambda: self._export_dialog("json"))
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.export_csv_button)
        bar.addWidget(self.export_json_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.contacts)
        split.addWidget(self.plot)
        split.setSizes([400, 220])
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(bar)
        lay.addWidget(QLabel("Sets"))
        lay.addWidget(self.sets)
        lay.addWidget(split, 1)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        self.export_csv_button.setEnabled(on)
        self.export_json_button.setEnabled(on)

    def show_report(self, report: AnalysisReport) -> None:
        self.report = report
        rec = report.recording
        self.summary.setText(
            f"<b>{rec.path or 'recording'}</b><br>{rec.duration_s:.1f} s at {rec.sample_rate_hz:.4g} Hz; "
            f"{len(report.contacts)} contacts, {len(report.landings)} landing holds, "
            f"{report.calf_raises.count} calf raises, {len(report.sets)} set(s)"
        )
        set_rows = []
        for s in report.sets:
            ct = s.stats.get("contact_time_ms")
            set_rows.append(
                [
                    str(s.index + 1),
                    s.kind,
                    str(s.count),
                    f"{s.start_s:.1f}-{s.end_s:.1f}",
                    _f(ct.mean if ct else None, ".0f"),
                    _f(ct.best if ct else None, ".0f"),
                    _f(ct.cv_percent if ct else None, ".1f"),
                    _f(ct.drift_per_rep if ct else None, "+.1f"),
                ]
            )
        fill_table(
            self.sets,
            ["set", "kind", "count", "time s", "mean contact ms", "best ms", "CV %", "drift ms/rep"],
            set_rows,
        )
        rows = [
            [
                str(i + 1),
                "-" if c.set_index is None else str(c.set_index + 1),
                _f(c.landing_s, ".3f"),
                _f(c.contact_time_ms, ".0f"),
                _f(c.next_flight_time_ms, ".0f"),
                self.settings.height(c.next_jump_height_cm),
                _f(c.rsi, ".2f"),
            ]
            for i, c in enumerate(report.contacts)
        ]
        if report.landings and not report.contacts:
            rows = []
        fill_table(self.contacts, ["#", "set", "landing s", "contact ms", "flight ms", "height", "RSI"], rows)
        if report.landings:
            self.contacts.setToolTip(f"{len(report.landings)} landing holds in the export")
        ct = [(i, c.contact_time_ms) for i, c in enumerate(report.contacts) if c.contact_time_ms is not None]
        self.bars.setOpts(x=[i + 1 for i, _ in ct], height=[v for _, v in ct], width=0.8)
        self.plot.enableAutoRange()
        self._enable(True)

    def _export_dialog(self, fmt: str) -> None:
        if self.report is None:
            return
        name, _ = QFileDialog.getSaveFileName(
            self, f"Export as {fmt.upper()}", f"report.{fmt}", f"{fmt.upper()} (*.{fmt})"
        )
        if name:
            self.export(Path(name), fmt)

    def export(self, path: Path, fmt: str) -> bool:
        """Write the report as ``fmt`` (``csv`` or ``json``, the same bytes as ``imu-app analyse``)."""
        assert self.report is not None
        text = report_csv(self.report) if fmt == "csv" else report_json(self.report)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.error.emit(f"{path}: could not write it ({exc.strerror or exc})")
            return False
        self.summary.setText(self.summary.text() + f"<br>wrote {path}")
        return True


# --------------------------------------------------------------------------------------------- settings


class SettingsScreen(QWidget):
    """Units, cues and thresholds; every change is applied and stored at once."""

    changed = Signal(object)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Settings")
        title.setObjectName("screenTitle")
        self.unit = QComboBox()
        self.unit.addItems(["cm", "in"])
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.muted = QCheckBox("mute all cues")
        self.metronome = QCheckBox("metronome for calf-raise tempo")
        self.hold = QDoubleSpinBox()
        self.hold.setRange(0, 30)
        self.hold.setSingleStep(0.5)
        self.hold.setSpecialValueText("each exercise's own")
        self.hold.setSuffix(" s")
        self.rest = QDoubleSpinBox()
        self.rest.setRange(5, 600)
        self.rest.setSuffix(" s")
        self.athlete = QLineEdit()
        self.athlete.setPlaceholderText("name, when Guided training names nobody")
        self.recordings = QLineEdit()
        self.recordings.setPlaceholderText(str(default_recordings_dir()))
        self.recordings_button = QPushButton("Choose…")
        self.recordings_button.clicked.connect(self._choose_recordings)
        rec_row = QHBoxLayout()
        rec_row.addWidget(self.recordings, 1)
        rec_row.addWidget(self.recordings_button)
        form = QFormLayout()
        form.addRow("Jump height in", self.unit)
        form.addRow("Cue volume", self.volume)
        form.addRow("", self.muted)
        form.addRow("", self.metronome)
        form.addRow("Landing hold target", self.hold)
        form.addRow("Rest between guided sets", self.rest)
        form.addRow("Athlete", self.athlete)
        form.addRow("Record into", rec_row)
        self.sound_note = QLabel("")
        self.sound_note.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(form)
        lay.addWidget(self.sound_note)
        lay.addStretch(1)
        self.set_values(settings)
        for sig in (
            self.unit.currentTextChanged,
            self.volume.valueChanged,
            self.muted.toggled,
            self.metronome.toggled,
            self.hold.valueChanged,
            self.rest.valueChanged,
            self.athlete.editingFinished,
            self.recordings.editingFinished,
        ):
            sig.connect(self._emit)

    def set_values(self, s: AppSettings) -> None:
        self.unit.setCurrentText(s.height_unit)
        self.volume.setValue(s.cue_volume)
        self.muted.setChecked(s.muted)
        self.metronome.setChecked(s.metronome)
        self.hold.setValue(s.hold_target_s)
        self.rest.setValue(s.rest_s)
        self.athlete.setText(s.athlete)
        self.recordings.setText(s.recordings_dir)

    def _choose_recordings(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Record into", self.recordings.text() or str(default_recordings_dir())
        )
        if folder:
            self.recordings.setText(folder)
            self._emit()

    def values(self) -> AppSettings:
        return AppSettings(
            height_unit=self.unit.currentText(),
            cue_volume=self.volume.value(),
            muted=self.muted.isChecked(),
            hold_target_s=self.hold.value(),
            metronome=self.metronome.isChecked(),
            rest_s=self.rest.value(),
            athlete=self.athlete.text().strip(),
            recordings_dir=self.recordings.text().strip(),
        )

    def _emit(self, *_: object) -> None:
        self.changed.emit(self.values())


def with_settings(widget: QWidget, settings: AppSettings) -> None:
    """Hand new settings to a screen that keeps a copy."""
    if hasattr(widget, "settings"):
        widget.settings = replace(settings)
