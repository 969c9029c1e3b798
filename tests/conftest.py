"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

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
