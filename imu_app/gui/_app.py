"""Starting the app: the display check, Qt and asyncio on one loop (qasync), fault hooks, snapshots."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

__all__ = ["STYLE", "display_problem", "install_fault_hooks", "instance_lock_path", "run"]

logger = logging.getLogger(__name__)

HEADLESS_HINT = (
    "no display found (neither DISPLAY nor WAYLAND_DISPLAY is set). To run without a screen, e.g. to render "
    "a snapshot: QT_QPA_PLATFORM=offscreen imu-app gui --demo --snapshot app.png --after 5; "
    "or start a virtual display: xvfb-run imu-app gui --demo"
)

STYLE = """
QWidget { font-size: 11pt; }
QWidget#athleteView { background: #1e2126; }
QHeaderView::section { background: #2f343c; color: #e8eaed; padding: 3px; border: 1px solid #3a4048; }
QListWidget#nav { background: #16181c; color: #cfd3d8; border: none; font-size: 13pt; padding-top: 8px; }
QListWidget#nav::item { padding: 10px 14px; }
QListWidget#nav::item:selected { background: #2d5d7b; color: white; }
QLabel#screenTitle { font-size: 18pt; font-weight: bold; padding: 4px 0 6px 0; }
QLabel#plainMessage { font-size: 13pt; }
QFrame#bigNumber { background: #262a31; border: 1px solid #363b44; border-radius: 6px; }
QLabel#bigCaption { color: #9aa4b1; font-size: 12pt; }
QLabel#bigUnit { color: #9aa4b1; font-size: 10pt; }
QLabel#bigValue { color: #ffffff; }
QLabel#statusLine { color: #aab4c0; }
QWidget#bannerRow { background: #7a2b2b; }
QLabel#banner { color: white; font-weight: bold; }
QPushButton { padding: 5px 12px; }
QPushButton#primary { background: #2d7bb0; color: white; border-radius: 4px; padding: 6px 16px; }
QPushButton#primary:disabled { background: #3a4450; color: #8a949e; }
QGroupBox { font-weight: bold; }
"""


def dark_palette():
    """Light text on dark grey everywhere (the plots are dark; a white table beside them glares)."""
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1e2126",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#262a31",
        QPalette.ColorRole.AlternateBase: "#2c3038",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2f343c",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.Highlight: "#2d7bb0",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2f343c",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#8a949e",
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Text, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6b737c"))
    return pal


def instance_lock_path() -> Path:
    """The lock file that keeps a second window from opening: in the user's runtime folder
    (``$XDG_RUNTIME_DIR``, emptied at log-out) where there is one, else in the data folder beside the
    history and the recordings."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "imu-app.lock"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "imu-app" / "imu-app.lock"


def _single_instance():
    """Hold the app's lock (a ``QLockFile``, released when the process ends, also by a crash: Qt takes
    over a lock whose process is gone). Returns the lock, or a sentence saying another window is open.

    Two windows would record and save into one history and fight over the settings; the history copes
    with two writers, but a user is better told once. A lock file that cannot be made (a read-only home)
    lets the app open anyway.
    """
    from PySide6.QtCore import QLockFile

    path = instance_lock_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("no single-instance lock (%s): %s", path.parent, exc)
        return None, None
    lock = QLockFile(str(path))
    lock.setStaleLockTime(0)  # only a dead process's lock is stale, however old
    if lock.tryLock(0):
        return lock, None
    if lock.error() == QLockFile.LockError.LockFailedError:
        return None, (
            "imu-app is already open on this computer; switch to that window (or close it first) "
            f"rather than opening a second one (lock {path})."
        )
    logger.warning("no single-instance lock at %s (%s)", path, lock.error())
    return None, None


def display_problem() -> str | None:
    """Why no window can be shown here, or ``None``."""
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return HEADLESS_HINT
    return None


def install_fault_hooks(window) -> None:
    """Log an exception raised in a slot or a task and show it in the window, instead of a dead window."""

    def hook(kind, value, tb) -> None:
        logger.error("unexpected error", exc_info=(kind, value, tb))
        where = traceback.extract_tb(tb)[-1] if tb else None
        at = f" (in {Path(where.filename).name}, line {where.lineno})" if where else ""
        window.show_error(
            f"Something went wrong: {kind.__name__}: {value}{at}. The app goes on; see the log."
        )

    sys.excepthook = hook

    def loop_handler(loop, context) -> None:
        exc = context.get("exception")
        if exc is None:
            logger.error("%s", context.get("message"))
            return
        hook(type(exc), exc, exc.__traceback__)

    asyncio.get_event_loop().set_exception_handler(loop_handler)


def run(
    *,
    demo: bool | str = False,
    files: Sequence[Path] = (),
    snapshot: Path | None = None,
    after_s: float = 3.0,
    screen: str | None = None,
    size: tuple[int, int] = (1280, 820),
) -> int:
    """Open the window and run until it is closed (or, with ``snapshot``, until the PNG is written).

    Returns the exit status; problems a user can fix are one line on stderr.
    """
    t_start = time.perf_counter()
    if snapshot is not None and display_problem():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = display_problem()
    if problem:
        print(f"imu-app: {problem}", file=sys.stderr)
        return 1
    try:
        import qasync
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        print(
            f"imu-app: the desktop app cannot start: {exc}. Run 'bash scripts/setup.sh' (as root it also "
            "installs the system libraries Qt needs).",
            file=sys.stderr,
        )
        return 1
    from imu_app.gui._window import SCREENS, MainWindow

    lock = None
    if snapshot is None:  # a snapshot records nothing and leaves the settings alone: it may run beside
        lock, problem = _single_instance()
        if problem:
            print(f"imu-app: {problem}", file=sys.stderr)
            return 1

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("imu-app")
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLE)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    store = None
    if snapshot is not None:  # a snapshot neither reads nor changes the user's settings
        store = QSettings(str(Path(snapshot).with_suffix(".ini")), QSettings.Format.IniFormat)
    from imu_app.gui._devices import default_provider

    window = MainWindow(store=store, sound=snapshot is None, provider=default_provider())
    install_fault_hooks(window)
    if snapshot is not None:
        window.resize(*size)
    window.show()
    app.processEvents()
    logger.info("window usable after %.2f s", time.perf_counter() - t_start)
    closed = asyncio.Event()
    app.lastWindowClosed.connect(closed.set)
    status = 0

    async def main() -> None:
        nonlocal status
        if not files and not demo:
            await window.connect_screen.scan(3.0)  # says at once when there is no adapter
        if files:
            ok = await window.replay.open_files(list(files))
            if ok:
                window.show_screen("replay")
                if screen in ("results", "replay"):
                    await window.replay.analyse_now()
                    if window.replay.report and window.replay.report.contacts:
                        window.replay.select_contact(min(3, len(window.replay.report.contacts) - 1))
        if demo == "sensor":
            await window.connect_emulated_sensor()
        elif demo:
            window.start_demo()
            if screen == "training":
                window.show_screen("training")
                window.training._start_clicked()
        if screen:
            if screen not in SCREENS:
                raise SystemExit(f"imu-app: --screen must be one of {', '.join(SCREENS)}")
            window.show_screen(screen)
        if snapshot is not None:
            await asyncio.sleep(after_s)
            if window.stream is not None:
                window.live.refresh()
            await asyncio.sleep(0.1)  # let Qt lay out and paint (never processEvents() inside a task)
            if not window.grab().save(str(snapshot)):
                print(f"imu-app: could not write {snapshot}", file=sys.stderr)
                status = 1
            else:
                print(f"wrote {snapshot}", file=sys.stderr)
            window.close()
        await closed.wait()
        if window.stream is not None:
            await window.stream.stop()

    with loop:
        loop.run_until_complete(main())
    # Tear the widgets down while Qt and Python are both whole; left to the interpreter's exit, the
    # order in which PySide6 and pyqtgraph free their objects can crash it.
    window.deleteLater()
    app.processEvents()
    if snapshot is not None:
        Path(snapshot).with_suffix(".ini").unlink(missing_ok=True)
    if lock is not None:
        lock.unlock()
    return status
