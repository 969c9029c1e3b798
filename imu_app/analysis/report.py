"""The analysis report: the machine-readable result that the CLI, tests, benchmarks and history share.

Its JSON form is a contract (``docs/analysis-report.md``): fields are added, never removed or renamed
without bumping :data:`SCHEMA`. Times are seconds from the recording's first sample; durations carry their
unit in the name.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass, field
from typing import Any

from imu_app.core import Activity, ContactKind, ContactRole, HoldEnd, Knee, SetKind

__all__ = [
    "SCHEMA",
    "AlgorithmInfo",
    "AnalysisReport",
    "CalfRaiseRep",
    "CalfRaises",
    "Contact",
    "Landing",
    "MetricStats",
    "RecordingInfo",
    "SetSummary",
]

SCHEMA = "imu-app.analysis/2"


@dataclass(frozen=True)
class RecordingInfo:
    """What was analysed."""

    path: str | None
    sample_rate_hz: float
    duration_s: float
    n_samples: int
    has_gyro: bool
    n_gaps: int = 0
    source_format: str | None = None
    exercise: str | None = None
    leg: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contact:
    """One ground contact of the instrumented foot (a hop's or a stride's stance).

    ``flight_time_ms`` is the flight that ended at this landing (``None`` for the first contact of a bout,
    for strides, and where a gap hides the flight); ``jump_height_cm`` comes from that flight (``None``
    when that flight was a drop from a box, which is no jump). ``next_flight_time_ms`` and
    ``next_jump_height_cm`` are the jump this contact launched; ``rsi`` and ``flight_contact_ratio`` look
    forward to it too, because that is what reactive strength measures (a drop jump's rebound, not the
    drop). ``complete`` is false when a gap cuts the contact; its durations are then ``None``. A landing
    that ends a set (the athlete stands or walks off) has no ``contact_time_ms``: standing is no contact
    of a hop.
    """

    landing_s: float
    takeoff_s: float | None
    contact_time_ms: float | None
    flight_time_ms: float | None = None
    jump_height_cm: float | None = None
    rsi: float | None = None
    flight_contact_ratio: float | None = None
    kind: ContactKind = ContactKind.HOP
    swing_time_ms: float | None = None
    complete: bool = True
    set_index: int | None = None
    role: ContactRole | None = None
    next_flight_time_ms: float | None = None
    next_jump_height_cm: float | None = None


@dataclass(frozen=True)
class Landing:
    """A landing followed by a hold on one leg (time to stabilisation and the hold itself)."""

    landing_s: float
    stabilised_s: float | None
    time_to_stabilisation_s: float | None
    hold_s: float
    hold_target_s: float
    hold_target_met: bool
    ended_by: HoldEnd
    sway_gyr_rms_dps: float | None = None
    sway_acc_rms_g: float | None = None
    window_s: float | None = None
    set_index: int | None = None


@dataclass(frozen=True)
class CalfRaiseRep:
    """One calf raise: rise (concentric) ``start_s``-``top_s``, top hold ``top_s``-``lower_s``, lowering
    (eccentric) ``lower_s``-``bottom_s``, bottom pause ``bottom_s``-``end_s``."""

    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    end_s: float
    concentric_s: float
    top_hold_s: float
    eccentric_s: float
    bottom_pause_s: float
    range_deg: float | None = None
    partial: bool = False
    knee: Knee | None = None
    set_index: int | None = None


@dataclass(frozen=True)
class CalfRaises:
    """Full reps are counted in ``count``; partial reps (small range) are listed but counted apart."""

    count: int = 0
    partial_count: int = 0
    reps: tuple[CalfRaiseRep, ...] = ()


@dataclass(frozen=True)
class MetricStats:
    """Statistics of one metric over a set. ``drift_per_rep`` is the least-squares slope across the set
    (unit of the metric per rep), the fatigue drift a coach looks for."""

    mean: float | None
    median: float | None
    best: float | None
    cv_percent: float | None
    drift_per_rep: float | None


@dataclass(frozen=True)
class SetSummary:
    """A bout of one activity separated from the next by rest."""

    index: int
    kind: SetKind
    start_s: float
    end_s: float
    count: int
    stats: dict[str, MetricStats] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bout:
    """A stretch of one activity as activity recognition found it: ``start_s``-``end_s`` (s from the first
    sample), what it is, and how sure the recognition is (0-1: the share of its windows whose own features
    agree with the bout's activity)."""

    start_s: float
    end_s: float
    activity: Activity
    confidence: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class AlgorithmInfo:
    name: str
    version: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisReport:
    recording: RecordingInfo
    algorithm: AlgorithmInfo
    contacts: tuple[Contact, ...] = ()
    landings: tuple[Landing, ...] = ()
    calf_raises: CalfRaises = field(default_factory=CalfRaises)
    sets: tuple[SetSummary, ...] = ()
    bouts: tuple[Bout, ...] = ()
    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: plain dicts and lists, tuples as lists, non-finite floats as ``None``."""
        return {
            "schema": self.schema,
            "recording": _plain(self.recording),
            "contacts": _plain(self.contacts),
            "landings": _plain(self.landings),
            "calf_raises": _plain(self.calf_raises),
            "sets": _plain(self.sets),
            "bouts": _plain(self.bouts),
            "algorithm": _plain(self.algorithm),
        }


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value
