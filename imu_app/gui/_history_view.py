"""The coach's History screen: week to week with the noise drawn in, left against right, load and rest.

Every number comes from :mod:`imu_app.history` (``compare_weeks``, ``symmetry``, ``load_report``), the same
functions the command line and the PDF report call, so the window, ``imu-app history compare`` and the
report always say the same thing. Imports, exports and the PDF report run on a worker thread with their
own connection to the database (a :class:`HistoryStore` belongs to one thread; SQLite's write-ahead log
lets the window read while an import writes), so the window stays responsive and an import can be
cancelled between two files (every file is one transaction: a cancelled import keeps what it finished and
resumes without duplicates).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from imu_app.core import ImuAppError
from imu_app.gui._screens import FILE_FILTER, _item, make_table
from imu_app.gui._stream import spawn
from imu_app.history import (
    LSI_FLAG_PERCENT,
    HistoryStore,
    LoadReport,
    NotFoundError,
    SymmetryRow,
    Verdict,
    WeekChange,
    WeekComparison,
    compare_weeks,
    default_db_path,
    load_report,
    metrics_for_exercise,
    symmetry,
)
from imu_app.history._export import export_athlete
from imu_app.history._importing import ImportItem, ImportProgress, import_recordings

__all__ = ["DB_PATH_KEY", "HistoryScreen", "ImportOutcome", "verdict_text"]

logger = logging.getLogger(__name__)

#: Where the database path is kept in the app's settings (``QSettings``).
DB_PATH_KEY = "history/db_path"
#: Weeks shown unless the coach asks for more (the command line's default).
DEFAULT_WEEKS = 8

_BETTER, _WORSE, _NEUTRAL = "#4caf50", "#ef5350", "#64b5f6"
_PLAIN, _MUTED = "#e8eaed", "#8a949e"
_BOX_BRUSH, _BOX_PEN = (79, 195, 247, 70), "#4fc3f7"
_NOISE_BRUSH = (200, 205, 212, 55)

_T = TypeVar("_T")


def verdict_text(row: WeekChange) -> str:
    """The verdict column: short, the same categories as ``imu-app history compare``."""
    if row.verdict is Verdict.CHANGE:
        return f"real change ({row.direction})" if row.direction else "real change"
    return {
        Verdict.NO_CHANGE: "no change",
        Verdict.UNKNOWN: "cannot tell",
        Verdict.FIRST: "first week",
        Verdict.NO_DATA: "no sessions",
    }[row.verdict]


def _verdict_colour(row: WeekChange) -> str:
    if row.verdict is Verdict.CHANGE:
        return {"better": _BETTER, "worse": _WORSE}.get(row.direction or "", _NEUTRAL)
    return _PLAIN if row.verdict is Verdict.NO_CHANGE else _MUTED


def _f(x: float | None, digits: int, sign: bool = False) -> str:
    if x is None:
        return "-"
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


@dataclass(frozen=True)
class ImportOutcome:
    """What an import from the window did: every file's fate, and whether it was cancelled."""

    items: tuple[ImportItem, ...]
    cancelled: bool

    def count(self, status: str) -> int:
        return sum(1 for i in self.items if i.status == status)


class _WeekPlot(pg.PlotWidget):
    """Each week's trials (dots) with a box of the middle half and whiskers at 5 and 95 %, the week's mean
    coloured by its verdict, the band where the mean counts as no change from the week before, and the
    trend line."""

    def __init__(self) -> None:
        super().__init__()
        self.showGrid(y=True, alpha=0.2)
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()
        self.getPlotItem().setContentsMargins(4, 4, 8, 4)
        self.texts: list[pg.TextItem] = []

    def show_comparison(self, cmp: WeekComparison | None) -> None:
        self.clear()
        self.texts = []
        if cmp is None or not cmp.rows:
            self.getAxis("bottom").setTicks([[]])
            return
        m, d = cmp.metric, cmp.metric.digits
        rows = cmp.rows
        x = np.arange(len(rows), dtype=float)
        self.setLabel("left", f"{m.label} ({m.unit})")
        self.getAxis("bottom").setTicks([[(i, r.stats.week) for i, r in enumerate(rows)]])
        # The band: the earlier week's mean +- the noise limit (grey), and +- the smallest worthwhile
        # change (dashed); a mean outside both is a real change (the rule of imu_app.history).
        bx, by0, bh, swc_x, swc_y = [], [], [], [], []
        for i, r in enumerate(rows):
            if r.change is None or r.stats.mean is None:
                continue
            prev = r.stats.mean - r.change
            if r.noise_limit:
                bx.append(i)
                by0.append(prev - r.noise_limit)
                bh.append(2 * r.noise_limit)
            if cmp.noise.swc:
                for y in (prev - cmp.noise.swc, prev + cmp.noise.swc):
                    swc_x += [i - 0.42, i + 0.42]
                    swc_y += [y, y]
        if bx:
            self.addItem(pg.BarGraphItem(x=bx, y0=by0, height=bh, width=0.84, brush=_NOISE_BRUSH, pen=None))
        if swc_x:
            pen = pg.mkPen("#c8cdd4", width=1, style=Qt.PenStyle.DashLine)
            self.addItem(pg.PlotDataItem(swc_x, swc_y, pen=pen, connect="pairs"))
        # Boxes, whiskers and every trial.
        qx, q1, qh, med_x, med_y, wx, wy, tx, ty = [], [], [], [], [], [], [], [], []
        for i, values in enumerate(cmp.samples):
            v = np.asarray(values, dtype=float)
            if v.size == 0:
                continue
            p5, p25, p50, p75, p95 = np.percentile(v, [5, 25, 50, 75, 95])
            qx.append(i)
            q1.append(p25)
            qh.append(max(p75 - p25, 1e-9))
            med_x += [i - 0.22, i + 0.22]
            med_y += [p50, p50]
            wx += [i, i, i, i, i - 0.1, i + 0.1, i - 0.1, i + 0.1]
            wy += [p5, p25, p75, p95, p5, p5, p95, p95]
            # A fixed spread (golden-ratio steps) keeps the dots apart and the picture the same each time.
            jitter = ((np.arange(v.size) * 0.618034) % 1.0 - 0.5) * 0.36
            tx += list(i + jitter)
            ty += list(v)
        if qx:
            self.addItem(pg.BarGraphItem(x=qx, y0=q1, height=qh, width=0.44, brush=_BOX_BRUSH, pen=_BOX_PEN))
            self.addItem(pg.PlotDataItem(wx, wy, pen=pg.mkPen(_BOX_PEN, width=1), connect="pairs"))
            self.addItem(pg.PlotDataItem(med_x, med_y, pen=pg.mkPen(_BOX_PEN, width=2), connect="pairs"))
            self.addItem(pg.ScatterPlotItem(tx, ty, size=4, pen=None, brush=pg.mkBrush(190, 200, 210, 110)))
        # Trend: the least-squares line of the weekly means, with the slope compare_weeks computed.
        have = [(i, r.stats.mean) for i, r in enumerate(rows) if r.stats.mean is not None]
        if cmp.trend_per_week is not None and len(have) >= 2:
            hx = np.array([i for i, _ in have], dtype=float)
            hy = np.array([y for _, y in have], dtype=float)
            line_x = np.array([hx[0] - 0.3, hx[-1] + 0.3])
            line_y = hy.mean() + cmp.trend_per_week * (line_x - hx.mean())
            pen = pg.mkPen("#ffb74d", width=2, style=Qt.PenStyle.DashLine)
            self.addItem(pg.PlotDataItem(line_x, line_y, pen=pen))
        # Means, coloured by verdict; a real change gets its size written beside it.
        mx = [i for i, r in enumerate(rows) if r.stats.mean is not None]
        my = [rows[i].stats.mean for i in mx]
        if mx:
            brushes = [pg.mkBrush(_verdict_colour(rows[i])) for i in mx]
            self.addItem(
                pg.ScatterPlotItem(mx, my, size=13, brush=brushes, pen=pg.mkPen("#1e2126", width=1.5))
            )
        for i in mx:
            r = rows[i]
            if r.verdict is Verdict.CHANGE and r.change is not None:
                t = pg.TextItem(
                    f"{r.change:+.{d}f} {m.unit}",
                    color=_verdict_colour(r),
                    anchor=(0, 0.5),
                    fill=pg.mkBrush(30, 33, 38, 220),
                )
                t.setPos(i + 0.26, r.stats.mean)
                self.addItem(t)
                self.texts.append(t)
        self.setXRange(-0.6, x[-1] + 0.6, padding=0)
        self.enableAutoRange(axis="y")


class HistoryScreen(QWidget):
    """Pick athlete, exercise, leg and metric; see the weeks, left against right, and load.

    Parameters
    ----------
    store
        The app's settings; the database path is read from :data:`DB_PATH_KEY` (default: the history's
        own :func:`~imu_app.history.default_db_path`).

    Notes
    -----
    The database is opened the first time the screen is shown, so a window that never shows History
    never touches it. A file that is not a usable history (damaged, another program's, newer) is left
    as it is; its message goes to :attr:`error` (the window's banner) and the screen says so.
    """

    error = Signal(str)
    import_finished = Signal(object)

    def __init__(self, store: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings_store = store
        self.db: HistoryStore | None = None
        self.comparison: WeekComparison | None = None
        self.symmetry_rows: tuple[SymmetryRow, ...] = ()
        self.load: LoadReport | None = None
        self._loaded = False
        self._busy = False
        self._cancel = threading.Event()
        self._filling = False
        self._pairs: tuple[tuple[str, str | None], ...] = ()

        title = QLabel("History")
        title.setObjectName("screenTitle")
        self.athlete = QComboBox()
        self.athlete.setMinimumWidth(180)
        self.db_label = QLabel("")
        self.db_label.setObjectName("statusLine")
        self.db_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        db_button = QPushButton("Database…")
        db_button.setToolTip("Use another history database file")
        db_button.clicked.connect(self._choose_db)
        self.import_button = QPushButton("Import recordings…")
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self._import_dialog)
        self.export_button = QPushButton("Export CSV/JSON…")
        self.export_button.clicked.connect(self._export_dialog)
        self.report_button = QPushButton("PDF report…")
        self.report_button.clicked.connect(self._report_dialog)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(16)
        head.addWidget(QLabel("Athlete"))
        head.addWidget(self.athlete)
        head.addStretch(1)
        head.addWidget(db_button)
        head.addWidget(self.import_button)
        head.addWidget(self.export_button)
        head.addWidget(self.report_button)

        self.exercise = QComboBox()
        self.exercise.setMinimumWidth(120)
        self.leg = QComboBox()
        self.metric = QComboBox()
        self.metric.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.metric.setMinimumContentsLength(24)
        self.weeks = QSpinBox()
        self.weeks.setRange(2, 104)
        self.weeks.setValue(DEFAULT_WEEKS)
        self.weeks.setSuffix(" weeks")
        pick = QHBoxLayout()
        for label, w in (
            ("Exercise", self.exercise),
            ("Leg", self.leg),
            ("Metric", self.metric),
            ("Show", self.weeks),
        ):
            pick.addWidget(QLabel(label))
            pick.addWidget(w)
            pick.addSpacing(8)
        pick.addStretch(1)

        self.progress = QProgressBar()
        self.progress.setFormat("%v of %m files")
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_import)
        prog = QHBoxLayout()
        prog.addWidget(self.progress_label, 1)
        prog.addWidget(self.progress, 1)
        prog.addWidget(self.cancel_button)
        self.progress_row = QWidget()
        self.progress_row.setLayout(prog)
        self.progress_row.hide()

        self.message = QLabel("")
        self.message.setObjectName("plainMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        # Week to week
        self.plot = _WeekPlot()
        self.noise_label = QLabel("")
        self.noise_label.setWordWrap(True)
        self.noise_label.setObjectName("statusLine")
        self.legend = QLabel(
            f"Dots: every trial; box: the middle half, whiskers 5-95 %; big dot: the week's mean "
            f"(<span style='color:{_BETTER}'>better</span> / <span style='color:{_WORSE}'>worse</span> "
            f"when a real change, white when not, grey in the first week); grey band: the noise around "
            f"the week before; dashed: the smallest worthwhile change; "
            f"<span style='color:#ffb74d'>orange: trend</span>."
        )
        self.legend.setWordWrap(True)
        self.legend.setObjectName("statusLine")
        self.weeks_table = make_table()
        self.weeks_table.setWordWrap(True)
        top = QWidget()
        top_lay = QVBoxLayout(top)
        top_lay.setContentsMargins(0, 0, 0, 0)
        top_lay.addWidget(self.plot, 1)
        top_lay.addWidget(self.legend)
        top_lay.addWidget(self.noise_label)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.weeks_table)
        split.setSizes([330, 250])
        weeks_page = QWidget()
        wl = QVBoxLayout(weeks_page)
        wl.setContentsMargins(4, 4, 4, 4)
        wl.addLayout(pick)
        wl.addWidget(split, 1)

        # Left against right
        self.symmetry_label = QLabel("")
        self.symmetry_label.setWordWrap(True)
        self.symmetry_table = make_table()
        self.symmetry_plot = pg.PlotWidget()
        self.symmetry_plot.setLabel("bottom", "limb symmetry index (%)")
        self.symmetry_plot.showGrid(x=True, alpha=0.2)
        self.symmetry_plot.setMouseEnabled(x=False, y=False)
        self.symmetry_plot.setMenuEnabled(False)
        self.symmetry_plot.hideButtons()
        sym_page = QWidget()
        sl = QVBoxLayout(sym_page)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(self.symmetry_label)
        ssplit = QSplitter(Qt.Orientation.Vertical)
        ssplit.addWidget(self.symmetry_table)
        ssplit.addWidget(self.symmetry_plot)
        ssplit.setSizes([180, 380])
        sl.addWidget(ssplit, 1)

        # Load
        self.load_plot = pg.PlotWidget()
        self.load_plot.setLabel("left", "contacts per week")
        self.load_plot.showGrid(y=True, alpha=0.2)
        self.load_plot.setMouseEnabled(x=False, y=False)
        self.load_plot.setMenuEnabled(False)
        self.load_plot.hideButtons()
        self.load_label = QLabel("")
        self.load_label.setWordWrap(True)
        self.load_table = make_table()
        load_page = QWidget()
        ll = QVBoxLayout(load_page)
        ll.setContentsMargins(4, 4, 4, 4)
        ll.addWidget(self.load_label)
        lsplit = QSplitter(Qt.Orientation.Vertical)
        lsplit.addWidget(self.load_plot)
        lsplit.addWidget(self.load_table)
        lsplit.setSizes([260, 260])
        ll.addWidget(lsplit, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(weeks_page, "Week to week")
        self.tabs.addTab(sym_page, "Left against right")
        self.tabs.addTab(load_page, "Load and rest")

        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.progress_row)
        lay.addWidget(self.message)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(self.db_label)

        self.athlete.currentTextChanged.connect(self._athlete_changed)
        self.exercise.currentIndexChanged.connect(self._exercise_changed)
        self.leg.currentIndexChanged.connect(self._selection_changed)
        self.metric.currentIndexChanged.connect(self._selection_changed)
        self.weeks.valueChanged.connect(self._selection_changed)
        self._update_buttons()

    # ------------------------------------------------------------------------------------- database

    @property
    def db_path(self) -> Path:
        """The database the screen shows: the one in the settings, else the history's default."""
        raw = self.settings_store.value(DB_PATH_KEY)
        return Path(str(raw)).expanduser() if raw else default_db_path()

    def set_db_path(self, path: Path) -> None:
        """Use another database file (kept in the settings) and show it."""
        self.settings_store.setValue(DB_PATH_KEY, str(path))
        self.settings_store.sync()
        self.reload()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if not self._loaded:
            self.reload()

    def mark_stale(self) -> None:
        """The database changed behind the screen (a recording saved): show it afresh now if shown,
        else when next shown."""
        if self.isVisible():
            self.reload()
        else:
            self._loaded = False

    def close_db(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def reload(self) -> bool:
        """(Re)open the database and list its athletes; ``False`` when it cannot be used."""
        self._loaded = True
        self.close_db()
        path = self.db_path
        self.db_label.setText(f"Database: {path}")
        try:
            self.db = HistoryStore(path, create=False)
        except NotFoundError:
            self._set_athletes([])
            self._say(f"No history yet at {path}. Import recordings to start one.")
            return True
        except ImuAppError as exc:
            self._set_athletes([])
            self._say(f"The history could not be opened: {exc}")
            self.error.emit(str(exc))
            return False
        try:
            names = [a.name for a in self.db.athletes() if a.n_sessions]
        except ImuAppError as exc:
            self.close_db()
            self._set_athletes([])
            self._say(f"The history could not be read: {exc}")
            self.error.emit(str(exc))
            return False
        self._set_athletes(names)
        if not names:
            self._say(f"The history at {path} holds no sessions yet. Import recordings to start.")
        return True

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _choose_db(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "History database",
            str(self.db_path),
            "History database (*.sqlite *.db);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if name:
            self.set_db_path(Path(name))

    # ------------------------------------------------------------------------------------ selection

    def _set_athletes(self, names: Sequence[str]) -> None:
        keep = self.athlete.currentText()
        self.athlete.blockSignals(True)
        self.athlete.clear()
        self.athlete.addItems(list(names))
        if keep in names:
            self.athlete.setCurrentText(keep)
        self.athlete.blockSignals(False)
        self._athlete_changed(self.athlete.currentText())

    def _athlete_changed(self, name: str) -> None:
        pairs: tuple[tuple[str, str | None], ...] = ()
        if self.db is not None and name:
            try:
                pairs = self.db.exercises(name)
            except ImuAppError as exc:
                self.error.emit(str(exc))
        self._pairs = pairs
        keep = self.exercise.currentData()
        self.exercise.blockSignals(True)
        self.exercise.clear()
        for e in sorted({e for e, _ in pairs}):
            self.exercise.addItem(e.replace("_", " "), e)
        self.exercise.setCurrentIndex(max(self.exercise.findData(keep), 0))
        self.exercise.blockSignals(False)
        self._show_athlete_views()
        self._exercise_changed()
        self._update_buttons()

    def _exercise_changed(self, *_: object) -> None:
        exercise = self.exercise.currentData() or ""
        self._filling = True
        legs = [leg for e, leg in self._pairs if e == exercise]
        keep_leg = self.leg.currentData()
        self.leg.clear()
        for leg in sorted(legs, key=lambda x: (x is None, x or "")):
            self.leg.addItem(f"{leg} leg" if leg else "leg not given", leg)
        if len([leg for leg in legs if leg]) == 2:
            self.leg.addItem("both legs together", "both")
        i = self.leg.findData(keep_leg) if keep_leg is not None else -1
        if i < 0 and len(legs) > 1 and self.db is not None:
            # The leg trained most: the one a coach follows week by week.
            sessions = self.db.sessions(self.athlete.currentText(), exercise=exercise)
            counts = {leg: sum(1 for x in sessions if x.leg == leg) for leg in legs}
            i = self.leg.findData(max(legs, key=lambda leg: counts[leg]))
        self.leg.setCurrentIndex(max(i, 0))
        keep_metric = self.metric.currentData()
        self.metric.clear()
        if exercise:
            for m in metrics_for_exercise(exercise):
                self.metric.addItem(f"{m.label} ({m.unit})", m.name)
        i = self.metric.findData(keep_metric)
        self.metric.setCurrentIndex(max(i, 0))  # contact time (the first metric) by default
        self._filling = False
        self._selection_changed()

    def select(
        self,
        athlete: str | None = None,
        exercise: str | None = None,
        leg: str | None = None,
        metric: str | None = None,
    ) -> None:
        """Choose what to show as a coach would in the lists (``leg``: ``left``, ``right`` or ``both``)."""
        if athlete is not None:
            self.athlete.setCurrentText(athlete)
        if exercise is not None:
            self.exercise.setCurrentIndex(self.exercise.findData(exercise))
        if leg is not None:
            self.leg.setCurrentIndex(self.leg.findData(leg))
        if metric is not None:
            self.metric.setCurrentIndex(self.metric.findData(metric))

    def _selection_changed(self, *_: object) -> None:
        if self._filling:
            return
        self.comparison = None
        athlete, exercise = self.athlete.currentText(), self.exercise.currentData()
        metric = self.metric.currentData()
        if self.db is not None and athlete and exercise and metric:
            leg = self.leg.currentData()
            try:
                self.comparison = compare_weeks(
                    self.db,
                    athlete,
                    exercise,
                    metric,
                    leg=None if leg == "both" else leg,
                    weeks=self.weeks.value(),
                )
            except ImuAppError as exc:
                self.error.emit(str(exc))
        self._show_comparison()

    # ---------------------------------------------------------------------------------------- views

    def _show_comparison(self) -> None:
        cmp = self.comparison
        self.plot.show_comparison(cmp)
        t = self.weeks_table
        headings = ["week", "sessions", "trials", "mean", "SD", "median", "change", "noise +-", "verdict",
                    "in words"]  # fmt: skip
        t.clear()
        t.setColumnCount(len(headings))
        t.setHorizontalHeaderLabels(headings)
        if cmp is None or not cmp.rows:
            t.setRowCount(0)
            self.noise_label.setText("No trials of this metric." if cmp is not None else "")
            return
        m, d = cmp.metric, cmp.metric.digits
        t.setRowCount(len(cmp.rows))
        # Newest week first: what the coach looks at.
        for row_i, r in enumerate(reversed(cmp.rows)):
            st = r.stats
            cells = [
                st.week,
                str(st.n_sessions),
                str(st.n),
                _f(st.mean, d),
                _f(st.sd, d),
                _f(st.median, d),
                _f(r.change, d, sign=True),
                _f(r.noise_limit, d),
                verdict_text(r),
                r.words,
            ]
            for c, text in enumerate(cells):
                it = _item(text, align_right=c not in (0, 8, 9))
                if c == 8:
                    it.setForeground(QColor(_verdict_colour(r)))
                elif st.n == 0:
                    it.setForeground(QColor(_MUTED))
                t.setItem(row_i, c, it)
        header = t.horizontalHeader()
        for c in range(len(headings) - 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(headings) - 1, QHeaderView.ResizeMode.Stretch)
        t.resizeRowsToContents()
        better = {"lower": "lower is better", "higher": "higher is better"}.get(m.better or "", "a tempo")
        trend = (
            ""
            if cmp.trend_per_week is None
            else f" Trend over the weeks shown: {cmp.trend_per_week:+.{d}f} {m.unit} per week."
        )
        self.noise_label.setText(
            f"{m.label} ({better}): {cmp.noise.describe(m.unit, d)}. A change is real when it exceeds "
            f"both the noise (90 % limits) and the smallest worthwhile change; {cmp.n_changes} real "
            f"change(s) in {len(cmp.rows)} week(s).{trend}"
        )

    def _show_athlete_views(self) -> None:
        athlete = self.athlete.currentText()
        self.symmetry_rows, self.load = (), None
        if self.db is not None and athlete:
            try:
                self.symmetry_rows = symmetry(self.db, athlete)
                self.load = load_report(self.db, athlete)
            except ImuAppError as exc:
                self.error.emit(str(exc))
        self._show_symmetry()
        self._show_load()

    def _show_symmetry(self) -> None:
        rows = self.symmetry_rows
        headings = ["exercise", "metric", "left", "n", "right", "n", "LSI %", "weaker leg", ""]
        t = self.symmetry_table
        t.clear()
        t.setColumnCount(len(headings))
        t.setHorizontalHeaderLabels(headings)
        t.setRowCount(len(rows))
        for i, r in enumerate(rows):
            d = r.metric.digits
            cells = [
                r.exercise.replace("_", " "),
                f"{r.metric.label} ({r.metric.unit})",
                _f(r.left_mean, d),
                str(r.n_left),
                _f(r.right_mean, d),
                str(r.n_right),
                _f(r.lsi_percent, 1),
                r.weaker_leg or "-",
                "below 90 %" if r.flagged else ("tempo: not judged" if r.metric.better is None else "ok"),
            ]
            for c, text in enumerate(cells):
                it = _item(text, align_right=c not in (0, 1, 7, 8))
                if r.flagged and c in (6, 7, 8):
                    it.setForeground(QColor(_WORSE))
                t.setItem(i, c, it)
        header = t.horizontalHeader()
        for c in range(len(headings)):
            mode = QHeaderView.ResizeMode.Stretch if c == 1 else QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(c, mode)
        self._draw_symmetry(rows)
        n_flag = sum(r.flagged for r in rows)
        if not rows:
            self.symmetry_label.setText("No exercise of this athlete is recorded on both legs.")
        else:
            self.symmetry_label.setText(
                "Limb symmetry index = the weaker leg's mean over the stronger's (100 % is symmetric), "
                f"over all sessions; flagged below 90 %. <b>{n_flag} of {len(rows)} flagged.</b>"
            )

    def _draw_symmetry(self, rows: Sequence[SymmetryRow]) -> None:
        """One bar per exercise and metric against the 90 % line; flagged bars red, tempo bars grey."""
        p = self.symmetry_plot
        p.clear()
        shown = [r for r in rows if r.lsi_percent is not None]
        if not shown:
            p.getAxis("left").setTicks([[]])
            return
        y = np.arange(len(shown), dtype=float)[::-1]
        colours = [_WORSE if r.flagged else (_MUTED if r.metric.better is None else _BOX_PEN) for r in shown]
        p.addItem(
            pg.BarGraphItem(
                x0=0, y=y, height=0.6, width=[r.lsi_percent for r in shown], brushes=colours, pen=None
            )
        )
        p.addItem(
            pg.InfiniteLine(
                pos=LSI_FLAG_PERCENT,
                angle=90,
                pen=pg.mkPen(_WORSE, width=1.5),
                label=f"{LSI_FLAG_PERCENT:.0f} %",
                labelOpts={"position": 0.97, "color": _WORSE},
            )
        )
        labels = [
            (yi, f"{r.exercise.replace('_', ' ')}: {r.metric.label}") for yi, r in zip(y, shown, strict=True)
        ]
        p.getAxis("left").setTicks([labels])
        lo = min(60.0, min(r.lsi_percent or 100.0 for r in shown) - 5)
        p.setXRange(lo, 101, padding=0)
        p.setYRange(-0.6, len(shown) - 0.4, padding=0)

    def _show_load(self) -> None:
        rep = self.load
        t = self.load_table
        headings = ["week", "recordings", "plyometric sessions", "plyometric contacts", "all contacts",
                    "calf raises", "rest warnings"]  # fmt: skip
        t.clear()
        t.setColumnCount(len(headings))
        t.setHorizontalHeaderLabels(headings)
        self.load_plot.clear()
        if rep is None or not rep.weeks:
            t.setRowCount(0)
            self.load_label.setText("")
            return
        t.setRowCount(len(rep.weeks))
        for i, w in enumerate(reversed(rep.weeks)):
            cells = [w.week, str(w.recordings), str(w.plyometric_workouts), str(w.plyometric_contacts),
                     str(w.contacts), str(w.calf_raises), str(w.rest_warnings or "")]  # fmt: skip
            for c, text in enumerate(cells):
                it = _item(text, align_right=c != 0)
                if c == 6 and w.rest_warnings:
                    it.setForeground(QColor(_WORSE))
                t.setItem(i, c, it)
        x = np.arange(len(rep.weeks), dtype=float)
        plyo = np.array([w.plyometric_contacts for w in rep.weeks], dtype=float)
        other = np.array([w.contacts - w.plyometric_contacts for w in rep.weeks], dtype=float)
        self.load_plot.addItem(pg.BarGraphItem(x=x, y0=0, height=plyo, width=0.6, brush="#4fc3f7", pen=None))
        self.load_plot.addItem(
            pg.BarGraphItem(x=x, y0=plyo, height=other, width=0.6, brush="#7e8a97", pen=None)
        )
        self.load_plot.getAxis("bottom").setTicks([[(i, w.week) for i, w in enumerate(rep.weeks)]])
        self.load_plot.setXRange(-0.6, len(rep.weeks) - 0.4, padding=0)
        self.load_plot.enableAutoRange(axis="y")
        head = (
            "Contacts per week (ground contacts of the instrumented foot): "
            "<span style='color:#4fc3f7'>plyometric</span>, <span style='color:#9aa4b1'>other</span>."
        )
        if rep.warnings:
            items = "".join(f"<br>&bull; {w.words}" for w in rep.warnings)
            warn = f"<b>Rest warnings ({len(rep.warnings)}):</b>{items}"
            head += f"<br><span style='color:{_WORSE}'>{warn}</span>"
        else:
            head += f"<br>No plyometric sessions closer than {rep.min_rest_h:.0f} h."
        self.load_label.setText(head)

    def _update_buttons(self) -> None:
        has_athlete = self.db is not None and bool(self.athlete.currentText())
        self.export_button.setEnabled(has_athlete and not self._busy)
        self.report_button.setEnabled(has_athlete and not self._busy)
        self.import_button.setEnabled(not self._busy)

    # ----------------------------------------------------------------------------- work off the GUI

    async def _off_thread(self, work: Callable[[HistoryStore], _T], *, create: bool = False) -> _T:
        """Run ``work`` on a worker thread with its own connection to the database."""
        path = self.db_path

        def run() -> _T:
            with HistoryStore(path, create=create) as store:
                return work(store)

        return await asyncio.get_running_loop().run_in_executor(None, run)

    def _import_dialog(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Import recordings into the history", "", FILE_FILTER)
        if not names:
            return
        known = [self.athlete.itemText(i) for i in range(self.athlete.count())]
        current = max(self.athlete.currentIndex(), 0)
        athlete, ok = QInputDialog.getItem(
            self, "Import recordings", f"{len(names)} file(s) are sessions of:", known, current, True
        )
        if ok and athlete.strip():
            spawn(self.import_files([Path(n) for n in names], athlete.strip()))

    async def import_files(
        self, paths: Sequence[Path], athlete: str, *, exercise: str | None = None, leg: str | None = None
    ) -> ImportOutcome | None:
        """Import ``paths`` as sessions of ``athlete`` on a worker thread, one file (one transaction) at a
        time, with progress; :meth:`cancel_import` stops it after the file in hand."""
        if self._busy:
            return None
        self._busy = True
        self._cancel.clear()
        self._update_buttons()
        total = len(paths)
        self.progress.setRange(0, total)
        self.progress.setValue(0)
        self.progress_label.setText(f"Importing {total} file(s) as sessions of {athlete}…")
        self.cancel_button.setEnabled(True)
        self.progress_row.show()
        loop = asyncio.get_running_loop()
        cancel = self._cancel

        def work(store: HistoryStore) -> ImportOutcome:
            items: list[ImportItem] = []
            for i, p in enumerate(paths):
                if cancel.is_set():
                    return ImportOutcome(tuple(items), True)
                summary = import_recordings(store, [p], athlete=athlete, exercise=exercise, leg=leg)
                items += summary.items
                loop.call_soon_threadsafe(self._import_progress, ImportProgress(i + 1, total, items[-1]))
            return ImportOutcome(tuple(items), False)

        outcome: ImportOutcome | None = None
        try:
            outcome = await self._off_thread(work, create=True)
        except ImuAppError as exc:
            self.error.emit(str(exc))
        finally:
            self._busy = False
            self.progress_row.hide()
            self._update_buttons()
        if outcome is not None:
            n_new, n_old, n_bad = (outcome.count(s) for s in ("imported", "already", "failed"))
            text = f"{n_new} imported, {n_old} already in the history, {n_bad} failed"
            if outcome.cancelled:
                text = (
                    f"Import cancelled after {len(outcome.items)} of {total} file(s): {text}. Every "
                    "finished session is kept; import the same files again to resume."
                )
            else:
                text = f"Import done: {text}."
            failed = [f"{i.path.name}: {i.message}" for i in outcome.items if i.status == "failed"]
            if failed:
                self.error.emit("Some files were not imported. " + "; ".join(failed))
            self.reload()
            if athlete in [self.athlete.itemText(i) for i in range(self.athlete.count())]:
                self.athlete.setCurrentText(athlete)
            self._say(text)
            self.import_finished.emit(outcome)
        return outcome

    def _import_progress(self, p: ImportProgress) -> None:
        self.progress.setValue(p.done)
        self.progress_label.setText(f"{p.item.path.name}: {p.item.message}")

    def cancel_import(self) -> None:
        """Stop the import after the file being imported (that one is finished or not begun)."""
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self.progress_label.setText("Cancelling after this file…")

    def _export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the athlete's history into")
        if folder:
            spawn(self.export(Path(folder)))

    async def export(self, folder: Path) -> tuple[Path, ...]:
        """Write the athlete's CSV files and ``history.json`` into ``folder/<athlete>/``."""
        athlete = self.athlete.currentText()
        self._busy = True
        self._update_buttons()
        try:
            files = await self._off_thread(lambda s: export_athlete(s, athlete, folder))
        except (ImuAppError, OSError) as exc:
            self.error.emit(f"Export failed: {exc}")
            return ()
        finally:
            self._busy = False
            self._update_buttons()
        self._say(f"Wrote {len(files)} files into {files[0].parent}." if files else "Nothing to export.")
        return files

    def _report_dialog(self) -> None:
        athlete = self.athlete.currentText()
        name, _ = QFileDialog.getSaveFileName(
            self, "Save the PDF report", f"{athlete or 'report'}.pdf", "PDF (*.pdf)"
        )
        if name:
            spawn(self.write_pdf(Path(name)))

    async def write_pdf(self, path: Path) -> int:
        """Write the athlete's report (the last 12 weeks) as a PDF; the number of pages, 0 on failure."""
        from imu_app.history._report import write_report  # matplotlib only when a report is asked for

        athlete = self.athlete.currentText()
        self._busy = True
        self._update_buttons()
        self._say(f"Writing the report of {athlete}…")
        try:
            pages = await self._off_thread(lambda s: write_report(s, athlete, path))
        except (ImuAppError, OSError) as exc:
            self.error.emit(f"The report could not be written: {exc}")
            self._say("")
            return 0
        finally:
            self._busy = False
            self._update_buttons()
        self._say(f"Wrote {path} ({pages} pages).")
        return pages
