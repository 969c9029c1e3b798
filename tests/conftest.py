"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

# GUI tests run without a display; this must be set before Qt is first imported.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from .paths import SHARED_DATA


@pytest.fixture
def shared_data() -> Path:
    """The real recordings beside the project; tests that need them skip, saying why, where absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real reference data not found at {SHARED_DATA} (expected ../shared/data beside the project)"
        )
    return SHARED_DATA
