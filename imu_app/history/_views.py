"""What the coach sees: week-to-week comparison, left against right, load and recovery.

Every view is a function of an open :class:`HistoryStore` that returns frozen dataclasses (no Qt, no
printing), so the command line, the PDF report and the window show the same numbers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from imu_app.history._dates import week_key, week_label, week_monday
from imu_app.history._errors import HistoryError
from imu_app.history._metrics import PLYOMETRIC_EXERCISES, Metric, get_metric, metrics_for_exercise
from imu_app.history._stats import (
    LSI_FLAG_PERCENT,
    Noise,
    Verdict,
    day_to_day_sd,
    judge_change,
    limb_symmetry_index,
    pooled_typical_error,
    smallest_worthwhile_change,
)
from imu_app.history._store import HistoryStore, MetricValues, started_from_unix

__all__ = [
    "MIN_REST_H",
    "SAME_SESSION_H",
    "LoadReport",
    "LoadSession",
    "LoadWeek",
    "RestWarning",
    "SymmetryRow",
    "WeekChange",
    "WeekComparison",
    "WeekStats",
    "compare_weeks",
    "load_report",
    "noise_of",
    "symmetry",
]

#: The programme's rule: at least 36 h between plyometric sessions.
MIN_REST_H = 36.0
#: Recordings that start within this many hours of the previous one are one training session (several
#: exercises of one workout are recorded separately).
SAME_SESSION_H = 3.0


@dataclass(frozen=True)
class WeekStats:
    """One ISO week's trials of a metric."""

    week_key: int
    week: str
    n_sessions: int
    n: int
    mean: float | None
    sd: float | None
    median: float | None
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class WeekChange:
    """One row of the week-to-week table: the week and its change from the previous week with trials.

    ``change`` is this week's mean minus the earlier week's; ``noise_limit`` is the 90 % confidence
    half-width of that change from the typical error; ``direction`` is ``better``/``worse`` (or
    ``higher``/``lower`` for a metric where neither is better); ``words`` says it all in plain words.
    """

    stats: WeekStats
    previous_week: str | None
    change: float | None
    noise_limit: float | None
    verdict: Verdict
    direction: str | None
    words: str


@dataclass(frozen=True)
class WeekComparison:
    """Week by week, one athlete, exercise, leg and metric (``leg`` ``None``: both legs together)."""

    athlete: str
    exercise: str
    leg: str | None
    metric: Metric
    noise: Noise
    rows: tuple[WeekChange, ...]
    samples: tuple[tuple[float, ...], ...]
    trend_per_week: float | None

    @property
    def n_changes(self) -> int:
        return sum(r.verdict is Verdict.CHANGE for r in self.rows)


@dataclass(frozen=True)
class SymmetryRow:
    """Left against right for one exercise and metric over a period (or one week)."""

    exercise: str
    metric: Metric
    week: str | None
    left_mean: float
    right_mean: float
    n_left: int
    n_right: int
    lsi_percent: float | None
    weaker_leg: str | None
    flagged: bool


@dataclass(frozen=True)
class LoadSession:
    """One recorded session as load: ``workout`` numbers the training sessions (recordings within
    :data:`SAME_SESSION_H` of each other share one)."""

    session_id: int
    started_at: str
    week: str
    exercise: str | None
    plyometric: bool
    contacts: int
    calf_raises: int
    workout: int


@dataclass(frozen=True)
class RestWarning:
    """Two plyometric training sessions closer than the programme allows."""

    first_at: str
    second_at: str
    hours_apart: float
    first_session_ids: tuple[int, ...]
    second_session_ids: tuple[int, ...]
    words: str


@dataclass(frozen=True)
class LoadWeek:
    """One ISO week's load."""

    week_key: int
    week: str
    recordings: int
    plyometric_workouts: int
    contacts: int
    plyometric_contacts: int
    calf_raises: int
    rest_warnings: int


@dataclass(frozen=True)
class LoadReport:
    sessions: tuple[LoadSession, ...]
    weeks: tuple[LoadWeek, ...]
    warnings: tuple[RestWarning, ...]
    min_rest_h: float


# --------------------------------------------------------------------------------------------- helpers
def _leg_code(leg: str | None) -> int | None:
    if leg is None:
        return None
    if leg not in ("left", "right"):
        raise HistoryError(f"leg must be left or right, not {leg!r}")
    return 0 if leg == "left" else 1


def _weeks_between(first: int, last: int) -> list[int]:
    out, day = [], week_monday(first)
    end = week_monday(last)
    while day <= end:
        iso = day.isocalendar()
        out.append(iso.year * 100 + iso.week)
        day += timedelta(days=7)
    return out


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


def noise_of(store: HistoryStore, athlete: str, exercise: str, metric: Metric, leg: str | None) -> Noise:
    """The typical error and smallest worthwhile change for one athlete, exercise, leg and metric, from
    every accepted session in the history."""
    athlete_id = store.athlete_id(athlete)
    rows = store.session_summaries(metric, exercise=exercise, leg=leg)
    own = rows.athlete_id == athlete_id
    te, te_sessions, te_df = pooled_typical_error(rows.n[own], rows.m2[own])
    athletes = np.unique(rows.athlete_id)
    athlete_means = np.array(
        [np.average(rows.mean[rows.athlete_id == a], weights=rows.n[rows.athlete_id == a]) for a in athletes]
    )
    swc, basis, swc_n = smallest_worthwhile_change(athlete_means, rows.mean[own])
    day = day_to_day_sd(rows.mean[own], rows.n[own], te)
    return Noise(te, te_sessions, te_df, swc, basis, swc_n, day)


def _words(
    metric: Metric, change: float, prev: str, limit: float | None, noise: Noise, *, verdict: Verdict
) -> tuple[str | None, str]:
    d, unit = metric.digits, metric.unit
    timed = unit in ("ms", "s")
    if change > 0:
        how = "longer" if timed else "higher"
    elif change < 0:
        how = "shorter" if timed else "lower"
    else:
        how = "the same"
    direction: str | None
    if metric.better is None or change == 0:
        direction = None if change == 0 else ("higher" if change > 0 else "lower")
    else:
        improved = (change < 0) == (metric.better == "lower")
        direction = "better" if improved else "worse"
    size = f"{_fmt(abs(change), d)} {unit} {how} than {prev}" if change else f"the same as {prev}"
    if verdict is Verdict.UNKNOWN:
        return direction, f"{size}; cannot tell: no session with repeated trials to estimate the noise"
    assert limit is not None
    noise_txt = f"noise +-{_fmt(limit, d)} {unit}"
    swc_txt = "" if noise.swc is None else f", worthwhile {_fmt(noise.swc, d)} {unit}"
    if verdict is Verdict.CHANGE:
        judged = f" ({direction})" if direction in ("better", "worse") else ""
        return direction, f"{size}: a real change{judged}, beyond the {noise_txt}{swc_txt}"
    if abs(change) <= limit:
        return direction, f"{size}: no change beyond the {noise_txt}"
    return (
        direction,
        f"{size}: beyond the {noise_txt} but smaller than worthwhile "
        f"({_fmt(noise.swc or 0, d)} {unit}): no real change",
    )


# ------------------------------------------------------------------------------------------------ views
def compare_weeks(
    store: HistoryStore,
    athlete: str,
    exercise: str,
    metric: str | Metric = "contact_time_ms",
    *,
    leg: str | None = None,
    weeks: int = 8,
    start: datetime | None = None,
    end: datetime | None = None,
) -> WeekComparison:
    """Week by week: each ISO week's trials of ``metric`` and whether its mean changed from the previous
    week with trials by more than the noise and the smallest worthwhile change.

    Parameters
    ----------
    weeks
        How many calendar weeks to show, ending with the last week that has a session (or ``end``);
        with ``start`` every week from there is shown.
    leg
        ``left``, ``right``, or ``None`` for both legs' sessions together.

    Notes
    -----
    The rule and its references are in :mod:`imu_app.history._stats`; the typical error and the SWC come
    from all of the athlete's accepted sessions of this exercise and leg, not only the weeks shown.
    """
    m = get_metric(metric) if isinstance(metric, str) else metric
    _leg_code(leg)
    noise = noise_of(store, athlete, exercise, m, leg)
    have = store.week_keys(athlete, exercise=exercise, leg=leg, end=end)
    if not have:
        return WeekComparison(athlete, exercise, leg, m, noise, (), (), None)
    last = week_key(end) if end is not None else have[-1]
    if start is not None:
        first = week_key(start)
    else:
        first = have[0]
        span = _weeks_between(first, last)
        if len(span) > weeks:
            first = span[-weeks]
    keys = _weeks_between(first, last)
    # Trials from the first week shown, and from the last week with sessions before it (its change).
    earlier = [k for k in have if k < first]
    values = store.metric_values(
        athlete, m, exercise=exercise, leg=leg, end=end, min_week=earlier[-1] if earlier else first
    )
    if start is not None:
        keep = (values.week_key < first) | (values.started_utc_s >= start.timestamp())
        values = MetricValues(
            m, values.session_id[keep], values.week_key[keep], values.leg[keep],
            values.started_utc_s[keep], values.value[keep],
        )  # fmt: skip
    if len(values) == 0:
        return WeekComparison(athlete, exercise, leg, m, noise, (), (), None)
    rows, samples = _week_rows(values, keys, m, noise)
    means = [(i, r.stats.mean) for i, r in enumerate(rows) if r.stats.mean is not None]
    trend = None
    if len(means) >= 3:
        x = np.array([i for i, _ in means], dtype=float)
        y = np.array([v for _, v in means], dtype=float)
        trend = float(np.polyfit(x, y, 1)[0])
    return WeekComparison(athlete, exercise, leg, m, noise, tuple(rows), tuple(samples), trend)


def _week_rows(
    values: MetricValues, keys: list[int], m: Metric, noise: Noise
) -> tuple[list[WeekChange], list[tuple[float, ...]]]:
    rows: list[WeekChange] = []
    samples: list[tuple[float, ...]] = []
    prev: WeekStats | None = None
    # The week before the first shown, so the first row has its change too.
    earlier = values.week_key < keys[0]
    if earlier.any():
        k = int(values.week_key[earlier].max())
        prev = _stats_of(k, values.value[values.week_key == k], values.session_id[values.week_key == k])
    for k in keys:
        sel = values.week_key == k
        v = values.value[sel]
        stats = _stats_of(k, v, values.session_id[sel])
        samples.append(tuple(float(x) for x in v))
        if stats.n == 0:
            rows.append(WeekChange(stats, None, None, None, Verdict.NO_DATA, None, "no sessions this week"))
            continue
        if prev is None:
            rows.append(WeekChange(stats, None, None, None, Verdict.FIRST, None, "first week with trials"))
        else:
            assert stats.mean is not None and prev.mean is not None
            change = stats.mean - prev.mean
            verdict, limit = judge_change(
                change, stats.n, prev.n, noise, k1=stats.n_sessions, k2=prev.n_sessions
            )
            direction, words = _words(m, change, prev.week, limit, noise, verdict=verdict)
            rows.append(WeekChange(stats, prev.week, change, limit, verdict, direction, words))
        prev = stats
    return rows, samples


def _stats_of(k: int, v: np.ndarray, sessions: np.ndarray) -> WeekStats:
    n = int(v.size)
    if n == 0:
        return WeekStats(k, week_label(k), 0, 0, None, None, None, None, None)
    return WeekStats(
        week_key=k,
        week=week_label(k),
        n_sessions=int(np.unique(sessions).size),
        n=n,
        mean=float(v.mean()),
        sd=float(v.std(ddof=1)) if n >= 2 else None,
        median=float(np.median(v)),
        minimum=float(v.min()),
        maximum=float(v.max()),
    )


def symmetry(
    store: HistoryStore,
    athlete: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by_week: bool = False,
    flag_below_percent: float = LSI_FLAG_PERCENT,
) -> tuple[SymmetryRow, ...]:
    """Left against right: per exercise done on both legs and per metric, the limb symmetry index of the
    legs' means over the period (or each week with ``by_week``), flagged below ``flag_below_percent``."""
    out: list[SymmetryRow] = []
    pairs = store.exercises(athlete)
    for exercise in sorted({e for e, _ in pairs}):
        legs = {leg for e, leg in pairs if e == exercise}
        if not {"left", "right"} <= legs:
            continue
        for m in metrics_for_exercise(exercise):
            per_leg: dict[int | None, dict[str, tuple[int, float]]] = {}
            for k, leg, n, mean in store.leg_means(
                athlete, m, exercise=exercise, start=start, end=end, by_week=by_week
            ):
                per_leg.setdefault(k, {})[leg] = (n, mean)
            for k, both in per_leg.items():
                if set(both) != {"left", "right"}:
                    continue
                (n_left, lm), (n_right, rm) = both["left"], both["right"]
                lsi = limb_symmetry_index(lm, rm)
                weaker = None
                if m.better is not None and lm != rm:
                    weaker = "left" if (lm > rm) == (m.better == "lower") else "right"
                out.append(
                    SymmetryRow(
                        exercise=exercise,
                        metric=m,
                        week=None if k is None else week_label(k),
                        left_mean=lm,
                        right_mean=rm,
                        n_left=n_left,
                        n_right=n_right,
                        lsi_percent=lsi,
                        weaker_leg=weaker,
                        flagged=m.better is not None and lsi is not None and lsi < flag_below_percent,
                    )
                )
    return tuple(out)


def load_report(
    store: HistoryStore,
    athlete: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    min_rest_h: float = MIN_REST_H,
) -> LoadReport:
    """Contacts per session and per week, and every pair of plyometric training sessions closer than
    ``min_rest_h`` hours (start to start)."""
    rows = store.load_rows(athlete, start=start, end=end)
    sessions: list[LoadSession] = []
    workouts: list[list[tuple[int, float]]] = []  # plyometric workouts: (session id, start)
    workout_of: dict[int, int] = {}
    last_start: float | None = None
    n_workouts = 0
    for sid, t, k, exercise, contacts, reps in rows:
        if last_start is None or t - last_start > SAME_SESSION_H * 3600:
            n_workouts += 1
        last_start = t
        workout_of[sid] = n_workouts
        plyo = exercise in PLYOMETRIC_EXERCISES
        if plyo:
            if workouts and workout_of[workouts[-1][0][0]] == n_workouts:
                workouts[-1].append((sid, t))
            else:
                workouts.append([(sid, t)])
        local = started_from_unix(t)
        sessions.append(
            LoadSession(
                session_id=sid,
                started_at=local.isoformat(timespec="minutes"),
                week=week_label(k),
                exercise=exercise,
                plyometric=plyo,
                contacts=contacts,
                calf_raises=reps,
                workout=n_workouts,
            )
        )
    warnings: list[RestWarning] = []
    for a, b in itertools.pairwise(workouts):
        gap_h = (b[0][1] - a[0][1]) / 3600.0
        if gap_h < min_rest_h:
            t1, t2 = started_from_unix(a[0][1]), started_from_unix(b[0][1])
            warnings.append(
                RestWarning(
                    first_at=t1.isoformat(timespec="minutes"),
                    second_at=t2.isoformat(timespec="minutes"),
                    hours_apart=gap_h,
                    first_session_ids=tuple(s for s, _ in a),
                    second_session_ids=tuple(s for s, _ in b),
                    words=(
                        f"plyometric sessions {t1:%a %d %b %H:%M} and {t2:%a %d %b %H:%M} are "
                        f"{gap_h:.0f} h apart (the programme asks for {min_rest_h:.0f} h)"
                    ),
                )
            )
    weeks: list[LoadWeek] = []
    week_of = {s.session_id: s.week for s in sessions}
    if sessions:
        for k in _weeks_between(min(r[2] for r in rows), max(r[2] for r in rows)):
            label = week_label(k)
            ws = [s for s in sessions if s.week == label]
            weeks.append(
                LoadWeek(
                    week_key=k,
                    week=label,
                    recordings=len(ws),
                    plyometric_workouts=len({s.workout for s in ws if s.plyometric}),
                    contacts=sum(s.contacts for s in ws),
                    plyometric_contacts=sum(s.contacts for s in ws if s.plyometric),
                    calf_raises=sum(s.calf_raises for s in ws),
                    rest_warnings=sum(1 for w in warnings if week_of[w.second_session_ids[0]] == label),
                )
            )
    return LoadReport(tuple(sessions), tuple(weeks), tuple(warnings), min_rest_h)
