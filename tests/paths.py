"""Where the project's files and the shared real data are, for tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "recordings"
SHARED_DATA = ROOT.parent / "shared" / "data"


def committed_recordings() -> list[Path]:
    """Every recording committed in ``recordings/`` (truth files are JSON and so not included)."""
    return sorted(RECORDINGS.glob("*.csv"))
