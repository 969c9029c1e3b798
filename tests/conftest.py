"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

# GUI tests run without a display; this must be set before Qt is first imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from hypothesis import HealthCheck, settings

from .paths import SHARED_DATA

# Property tests run derandomised (the same examples on every run and machine, so a failure reproduces) and
# without a per-example deadline (the machine is shared; no test may depend on timing). The default profile
# keeps the fuzzing modest; HYPOTHESIS_PROFILE=deep runs thirty times as many examples.
settings.register_profile(
    "imu-app",
    max_examples=1000,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("deep", settings.get_profile("imu-app"), max_examples=30_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "imu-app"))


@pytest.fixture
def shared_data() -> Path:
    """The real recordings beside the project; tests that need them skip, saying why, where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real reference data not found at {SHARED_DATA} (expected ../shared/data beside the project)"
        )
    return SHARED_DATA


@pytest.fixture
def loop(qapp):
    """One qasync event loop on the test's QApplication, closed after the test (nothing left running)."""
    import asyncio

    import qasync

    # Closing a test's window must not quit the application: that would stop the event loop under a
    # coroutine still waiting on it (the app itself waits for lastWindowClosed instead).
    qapp.setQuitOnLastWindowClosed(False)
    lp = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(lp)
    yield lp
    lp.run_until_complete(asyncio.sleep(0))
    lp.close()  # joins the executor's threads: nothing is left running
    asyncio.set_event_loop(None)
