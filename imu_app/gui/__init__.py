"""The desktop app (PySide6 + pyqtgraph on one asyncio loop through qasync); the only package that uses Qt.

``run()`` opens the window; importing this package does not import Qt, so ``imu-app`` can say plainly when
there is no display or no Qt instead of failing on import. The window is ``_window.MainWindow``; its
screens take Qt-free models (the live model, the protocol runner) and redraw on timers.
"""

from imu_app.gui._app import display_problem, run

__all__ = ["display_problem", "run"]
