"""Sets: bouts of one activity separated by rest, and the statistics a coach reads per set."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from imu_app.analysis.report import MetricStats

__all__ = ["DEFAULT_MAX_REST_S", "group_bouts", "metric_stats"]

#: Events further apart than this start a new set. The programme prescribes 60 s rests between sets, and
#: within a set the longest natural pause is the 5 s landing hold plus a reset (about 10 s), so 20 s splits
#: sets reliably without splitting a set of holds or slow eccentric reps.
DEFAULT_MAX_REST_S = 20.0


def group_bouts(event_s: Sequence[float] | np.ndarray, max_rest_s: float = DEFAULT_MAX_REST_S) -> list[slice]:
    """Split time-ordered events into bouts wherever consecutive events are more than ``max_rest_s`` apart.

    Returns one ``slice`` into ``event_s`` per bout, in order; an empty input gives no bouts.
    """
    t = np.asarray(event_s, dtype=np.float64)
    if t.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(t) > max_rest_s) + 1
    edges = [0, *breaks.tolist(), int(t.size)]
    return [slice(a, b) for a, b in itertools.pairwise(edges)]


def metric_stats(values: Sequence[float | None], *, lower_is_better: bool) -> MetricStats:
    """Mean, median, best, coefficient of variation (%) and drift (least-squares slope per rep).

    Missing values (``None`` or NaN) are left out; the drift is fitted against each value's position in the
    set, so a missing rep does not shift the others. With no values every field is ``None``; CV needs two.
    """
    x = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    ok = np.isfinite(x)
    if not ok.any():
        return MetricStats(mean=None, median=None, best=None, cv_percent=None, drift_per_rep=None)
    v = x[ok]
    mean = float(v.mean())
    cv = float(100.0 * v.std(ddof=1) / abs(mean)) if v.size >= 2 and mean != 0 else None
    drift = None
    if v.size >= 3:
        rep = np.flatnonzero(ok).astype(np.float64)
        drift = float(np.polyfit(rep, v, 1)[0])
    return MetricStats(
        mean=mean,
        median=float(np.median(v)),
        best=float(v.min() if lower_is_better else v.max()),
        cv_percent=cv,
        drift_per_rep=drift,
    )
