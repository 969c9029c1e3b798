"""The metrics the history compares week to week: where each comes from and which way is better."""

from __future__ import annotations

from dataclasses import dataclass

from imu_app.core import CATALOGUE, ExerciseKind, exercise_spec
from imu_app.history._errors import HistoryError

__all__ = ["METRICS", "PLYOMETRIC_EXERCISES", "Metric", "get_metric", "metrics_for_exercise"]


@dataclass(frozen=True)
class Metric:
    """One number per trial that the history summarises.

    Attributes
    ----------
    name
        The name used on the command line and in exports (unit in the name).
    event_kind
        ``contact``, ``landing``, ``rep`` (a calf raise) or ``set``.
    column
        The column of that event's table that holds it.
    unit
        Unit for tables and plots.
    label
        What a coach calls it.
    better
        ``lower``, ``higher`` or ``None`` (a tempo, where neither is better); it words a change as better
        or worse.
    trial_sql
        Which events count as trials of this metric (SQL over the event's table, alias ``e``).
    """

    name: str
    event_kind: str
    column: str
    unit: str
    label: str
    better: str | None
    trial_sql: str
    digits: int = 1


#: A hop's own contact is a trial; a landing into a hold, off a platform or ending a set is not (its
#: "contact" is a balance or standing, not a reactive contact). Strides have no role and count.
_REACTIVE = "e.complete = 1 AND (e.role IS NULL OR e.role IN ('hop', 'rebound', 'fast_hop'))"
_FULL_REP = "e.partial = 0"

METRICS: tuple[Metric, ...] = (
    Metric("contact_time_ms", "contact", "contact_time_ms", "ms", "ground-contact time", "lower", _REACTIVE),
    # The flight and jump each contact launched, as the report's RSI and set statistics use them.
    Metric("flight_time_ms", "contact", "next_flight_time_ms", "ms", "flight time", "higher", _REACTIVE),
    Metric("jump_height_cm", "contact", "next_jump_height_cm", "cm", "jump height", "higher", _REACTIVE),
    Metric("rsi", "contact", "rsi", "m/s", "reactive strength index", "higher", _REACTIVE, digits=2),
    Metric(
        "time_to_stabilisation_s",
        "landing",
        "time_to_stabilisation_s",
        "s",
        "time to stabilisation",
        "lower",
        "1",
        digits=2,
    ),
    Metric("hold_s", "landing", "hold_s", "s", "landing hold", "higher", "1", digits=2),
    Metric("sway_gyr_rms_dps", "landing", "sway_gyr_rms_dps", "deg/s", "sway during the hold", "lower", "1"),
    Metric("concentric_s", "rep", "concentric_s", "s", "calf-raise rise", None, _FULL_REP, digits=2),
    Metric("top_hold_s", "rep", "top_hold_s", "s", "calf-raise top hold", None, _FULL_REP, digits=2),
    Metric("eccentric_s", "rep", "eccentric_s", "s", "calf-raise lowering", None, _FULL_REP, digits=2),
    Metric(
        "bottom_pause_s", "rep", "bottom_pause_s", "s", "calf-raise bottom pause", None, _FULL_REP, digits=2
    ),
    Metric("range_deg", "rep", "range_deg", "deg", "calf-raise range", "higher", _FULL_REP),
    Metric(
        "reps_per_set", "set", "count", "reps", "calf raises per set", "higher", "e.kind = 'calf_raises'", 0
    ),
)
_BY_NAME = {m.name: m for m in METRICS}

#: Exercises whose sessions count as plyometric load (the 36-hour rule); calf raises, walking and running
#: do not.
PLYOMETRIC_EXERCISES = frozenset(name for name, spec in CATALOGUE.items() if spec.is_plyometric)

_BY_EXERCISE: dict[str, tuple[str, ...]] = {
    "landing": ("time_to_stabilisation_s", "hold_s", "sway_gyr_rms_dps"),
    "hop": ("contact_time_ms", "flight_time_ms", "jump_height_cm", "rsi"),
    "stride": ("contact_time_ms",),
    "calf": ("reps_per_set", "concentric_s", "top_hold_s", "eccentric_s", "bottom_pause_s", "range_deg"),
}


def get_metric(name: str) -> Metric:
    """The metric called ``name``; an error listing the known ones otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise HistoryError(
            f"unknown metric {name!r}; choose one of: {', '.join(m.name for m in METRICS)}"
        ) from None


def metrics_for_exercise(exercise: str | None) -> tuple[Metric, ...]:
    """The metrics a coach looks at for ``exercise``, most important first."""
    spec = exercise_spec(exercise)
    if spec is None:
        names = _BY_EXERCISE["hop"]
    elif spec.is_calf_raise:
        names = _BY_EXERCISE["calf"]
    elif spec.is_gait:
        names = _BY_EXERCISE["stride"]
    elif spec.kind is ExerciseKind.LANDING_HOLDS:
        names = _BY_EXERCISE["landing"]
    elif spec.has_holds:
        names = _BY_EXERCISE["hop"] + _BY_EXERCISE["landing"]
    else:
        names = _BY_EXERCISE["hop"]
    return tuple(_BY_NAME[n] for n in names)
