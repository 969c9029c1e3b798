"""The live view under load: frame rate and CPU while streaming 1666 Hz with the analysis on; start-up time.

Runs offscreen (no display needed): a simulated pogo-hop session at 1666 Hz is replayed in real time through
the live pipeline into the window's live view for ``--seconds``; the view redraws on its own 60 Hz timer.
Reports frames drawn per second, the mean time a redraw takes, the process's CPU share over the run, and the
time from start to a shown window.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_gui.py --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

T_IMPORT = time.perf_counter()
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from imu_app.gui._app import STYLE, dark_palette  # noqa: E402
from imu_app.gui._window import MainWindow  # noqa: E402
from imu_app.sim import SensorParams, simulate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(STYLE)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        store = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store=store, sound=False)
        window.resize(1280, 820)
        window.show()
        app.processEvents()
        startup_s = time.perf_counter() - T_IMPORT
        data = simulate("pogo_hops", SensorParams(sample_rate_hz=1666), seed=3, n_sets=3).data

        async def run() -> tuple[float, float, int, float]:
            stream = window.start_replay([Path("sim_1666.csv")], data, 1.0)
            view = window.live
            await asyncio.sleep(2.0)  # warm-up
            f0, d0 = view.frames, view.draw_s
            c0, t0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(args.seconds)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
            frames = view.frames - f0
            contacts = stream.model.contacts
            await stream.stop()
            return frames / wall, (view.draw_s - d0) / max(frames, 1), contacts, cpu / wall

        with loop:
            fps, draw_s, contacts, cpu = loop.run_until_complete(run())
        window.close()
    print(f"start-up to a shown window: {startup_s:.2f} s (imports included)")
    timer_hz = 1000.0 / window.live.timer.interval()
    print(f"live view while streaming 1666 Hz with analysis: {fps:.1f} frames/s (timer {timer_hz:.0f} Hz)")
    print(f"mean redraw: {draw_s * 1000:.1f} ms; process CPU: {100 * cpu:.0f} % of one core")
    print(f"contacts decided during the run: {contacts}")


if __name__ == "__main__":
    main()
