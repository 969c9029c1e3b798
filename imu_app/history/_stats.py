"""Statistics that tell a real change from the measurement's noise (pure functions, arrays in).

Notes
-----
**Typical error (TE)** is the within-subject standard deviation of repeated trials (Hopkins 2000). Here
the trials are the repeated hops (or holds, or reps) of one session: each session's squared deviations
from its own mean are pooled over the athlete's sessions of that exercise, leg and metric,
``TE = sqrt(sum_i SS_i / sum_i (n_i - 1))``. It holds the sensor's and the algorithm's error together
with the athlete's own trial-to-trial variation, which is the noise a week's mean has to rise above.

**Smallest worthwhile change (SWC)** is 0.2 of the between-athlete standard deviation, Cohen's smallest
standardised effect as Hopkins uses it for fitness tests (Hopkins 2004), when the history holds at least
:data:`MIN_SQUAD` athletes with that exercise, leg and metric. With fewer (one athlete alone) there is no
squad to take the spread of, and 0.2 of the athlete's own between-session SD (SD of session means) is
used instead. That SD contains any real trend over the sessions too, so a steadily improving athlete
gets a larger SWC: the rule errs towards calling fewer changes.

**Day-to-day variation.** The hops of one session share the day (sleep, warm-up, surface, how the
sensor sits), so a session's mean wanders more than ``TE / sqrt(n)`` says. Hopkins' between-trial
typical error is ``SD(difference of consecutive trials) / sqrt(2)``; taken over consecutive *sessions'*
means, with the SD of the differences estimated robustly (1.4826 x their median absolute value, so that
one real step between two sessions does not count as noise), it gives the typical error of a session
mean. What it holds beyond the trials' share (mean ``TE^2 / n_i``) is the between-session variance
``sd_day^2`` (zero when the trials explain it all).

**A change is flagged** when the difference between two weeks' means exceeds both the SWC and the noise
limit ``1.645 * sqrt(TE^2 (1/n1 + 1/n2) + sd_day^2 (1/k1 + 1/k2))`` for weeks of ``n1``, ``n2`` trials
in ``k1``, ``k2`` sessions: the half-width of the 90 % confidence interval of the difference of the two
means. Without day-to-day variation this is the familiar ``1.645 * TE * sqrt(1/n1 + 1/n2)``; with many
trials it is the days, not the hops, that set the noise, and the SWC decides only once both are small.

References
----------
Hopkins WG (2000). Measures of reliability in sports medicine and science. Sports Med 30(1):1-15.
doi:10.2165/00007256-200030010-00001

Hopkins WG (2004). How to interpret changes in an athlete's performance test. Sportscience 8:1-7.

Batterham AM, Hopkins WG (2006). Making meaningful inferences about magnitudes. Int J Sports Physiol
Perform 1(1):50-57. doi:10.1123/ijspp.1.1.50
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CONFIDENCE_Z",
    "LSI_FLAG_PERCENT",
    "MIN_SQUAD",
    "SWC_FACTOR",
    "Noise",
    "SwcBasis",
    "Verdict",
    "day_to_day_sd",
    "judge_change",
    "limb_symmetry_index",
    "noise_limit",
    "pooled_typical_error",
    "smallest_worthwhile_change",
]

#: z of a two-sided 90 % confidence interval, the level Hopkins recommends for magnitude-based decisions.
CONFIDENCE_Z = 1.645
#: Cohen's smallest standardised effect: 0.2 of the between-athlete SD.
SWC_FACTOR = 0.2
#: Athletes needed before the squad's spread is trusted for the SWC (an SD of fewer means is too rough).
MIN_SQUAD = 5
#: Sessions needed for an athlete's own between-session SD.
MIN_SESSIONS_FOR_SWC = 3
#: Limb symmetry index below which a metric is flagged (the common return-to-sport criterion).
LSI_FLAG_PERCENT = 90.0


class SwcBasis(enum.Enum):
    """Where the smallest worthwhile change came from."""

    SQUAD = "squad"  # 0.2 x between-athlete SD
    ATHLETE = "athlete"  # 0.2 x the athlete's between-session SD
    NONE = "none"  # too few athletes and sessions


class Verdict(enum.Enum):
    """A week's mean against the previous week's."""

    CHANGE = "change"  # beyond both the noise and the smallest worthwhile change
    NO_CHANGE = "no_change"  # within the noise, or smaller than worthwhile
    UNKNOWN = "unknown"  # the noise could not be estimated (no session with repeated trials)
    FIRST = "first"  # no earlier week to compare with
    NO_DATA = "no_data"  # no trials that week


@dataclass(frozen=True)
class Noise:
    """The noise and the smallest worthwhile change of one athlete, exercise, leg and metric.

    Attributes
    ----------
    typical_error
        TE in the metric's unit, or ``None`` without a session of two or more trials.
    te_sessions
        Sessions that gave repeated trials to the TE.
    te_df
        Degrees of freedom of the TE (trials minus sessions).
    swc
        Smallest worthwhile change in the metric's unit, or ``None``.
    swc_basis
        Where ``swc`` came from.
    swc_n
        Athletes (``SQUAD``) or sessions (``ATHLETE``) behind the SWC.
    day_sd
        SD of the day-to-day variation of session means beyond the trials' own noise (0 when there are
        fewer than three sessions to estimate it from).
    """

    typical_error: float | None
    te_sessions: int
    te_df: int
    swc: float | None
    swc_basis: SwcBasis
    swc_n: int
    day_sd: float = 0.0

    def describe(self, unit: str, digits: int = 1) -> str:
        te = "unknown" if self.typical_error is None else f"{self.typical_error:.{digits}f} {unit}"
        te_from = f" (from {self.te_sessions} sessions' repeated trials)" if self.te_sessions else ""
        if self.swc_basis is SwcBasis.SQUAD:
            swc = f"{self.swc:.{digits}f} {unit} (0.2 x the spread between {self.swc_n} athletes)"
        elif self.swc_basis is SwcBasis.ATHLETE:
            swc = (
                f"{self.swc:.{digits}f} {unit} (0.2 x the spread between this athlete's "
                f"{self.swc_n} sessions)"
            )
        else:
            swc = "unknown (fewer than 3 sessions and fewer than 5 athletes)"
        day = f"; day-to-day variation {self.day_sd:.{digits}f} {unit}" if self.day_sd else ""
        return f"typical error {te}{te_from}{day}; smallest worthwhile change {swc}"


def pooled_typical_error(n: np.ndarray, m2: np.ndarray) -> tuple[float | None, int, int]:
    """Pooled within-session SD from per-session trial counts ``n`` and sums of squared deviations.

    Returns
    -------
    (te, sessions, df)
        ``te`` is ``None`` when no session has two or more trials.
    """
    n = np.asarray(n, dtype=float)
    m2 = np.asarray(m2, dtype=float)
    use = n >= 2
    df = float((n[use] - 1).sum())
    if df <= 0:
        return None, 0, 0
    return math.sqrt(float(m2[use].sum()) / df), int(use.sum()), int(df)


def smallest_worthwhile_change(
    athlete_means: np.ndarray, session_means: np.ndarray
) -> tuple[float | None, SwcBasis, int]:
    """SWC from the squad's athlete means when there are enough athletes, else from one athlete's
    session means (see the module notes)."""
    athlete_means = np.asarray(athlete_means, dtype=float)
    session_means = np.asarray(session_means, dtype=float)
    if athlete_means.size >= MIN_SQUAD:
        return SWC_FACTOR * float(np.std(athlete_means, ddof=1)), SwcBasis.SQUAD, int(athlete_means.size)
    if session_means.size >= MIN_SESSIONS_FOR_SWC:
        return SWC_FACTOR * float(np.std(session_means, ddof=1)), SwcBasis.ATHLETE, int(session_means.size)
    return None, SwcBasis.NONE, 0


def day_to_day_sd(session_means: np.ndarray, n: np.ndarray, typical_error: float | None) -> float:
    """SD of session means beyond the trials' noise, from consecutive sessions (module notes).

    ``session_means`` and ``n`` (trials per session) in time order.
    """
    means = np.asarray(session_means, dtype=float)
    if means.size < 3:
        return 0.0
    diffs = np.abs(np.diff(means))
    te_session_sq = (1.4826 * float(np.median(diffs))) ** 2 / 2.0
    trials_sq = 0.0 if typical_error is None else float(np.mean(typical_error**2 / np.maximum(n, 1)))
    return math.sqrt(max(0.0, te_session_sq - trials_sq))


def noise_limit(
    typical_error: float, n1: int, n2: int, *, day_sd: float = 0.0, k1: int = 1, k2: int = 1
) -> float:
    """Half-width of the 90 % confidence interval of the difference of two weeks' means of ``n1`` and
    ``n2`` trials (SD: the typical error) in ``k1`` and ``k2`` sessions (SD between days: ``day_sd``)."""
    var = typical_error**2 * (1.0 / n1 + 1.0 / n2) + day_sd**2 * (1.0 / k1 + 1.0 / k2)
    return CONFIDENCE_Z * math.sqrt(var)


def judge_change(
    change: float, n1: int, n2: int, noise: Noise, *, k1: int = 1, k2: int = 1
) -> tuple[Verdict, float | None]:
    """Whether a change of a week's mean is real: it must exceed the noise limit and the SWC.

    Returns the verdict and the noise limit used (``None`` when the TE is unknown). Without an SWC the
    noise limit alone decides.
    """
    if noise.typical_error is None or n1 < 1 or n2 < 1:
        return Verdict.UNKNOWN, None
    limit = noise_limit(noise.typical_error, n1, n2, day_sd=noise.day_sd, k1=k1, k2=k2)
    threshold = max(limit, noise.swc or 0.0)
    return (Verdict.CHANGE if abs(change) > threshold else Verdict.NO_CHANGE), limit


def limb_symmetry_index(left: float, right: float) -> float | None:
    """``100 x`` the weaker limb's value over the stronger's, i.e. ``100 x min / max`` whichever way is
    better (for a time, the shorter is the stronger; for a height, the higher), so 100 % is symmetric
    and the index never exceeds it."""
    lo, hi = min(left, right), max(left, right)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= 0 or lo < 0:
        return None
    return 100.0 * lo / hi
