"""Sample times from clocks that are coarser than the sample period or that stamp whole packets.

Several tools write a time per sample that is really a time per packet (all samples of a BLE packet share
it) or that is rounded to whole milliseconds. Such times repeat and jump; differentiating them gives spikes
of infinite rate. The samples themselves were taken at a steady rate by the sensor's own clock, so the best
estimate of each sample's time is a straight line through the stamps against the sample index, fitted
separately on each stretch between real gaps (where samples are missing the line must restart).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from imu_app.core import GAP_FACTOR

__all__ = ["Reconstruction", "reconstruct_times"]

#: Samples spanned by the long-baseline differences that estimate the period. 64 samples cover several
#: packets of every BLE IMU we know (1-25 samples per packet), so packet quantisation averages out.
_BASELINE_SAMPLES = 64
#: Residuals beyond this many robust standard deviations are outliers (a stamp from a delayed packet) and
#: are left out of the second fit; 4 keeps every stamp of a clean stream (p > 0.9999 under a normal model).
_OUTLIER_SIGMAS = 4.0


@dataclass(frozen=True)
class Reconstruction:
    """Result of :func:`reconstruct_times`.

    Attributes
    ----------
    t_s
        Reconstructed sample times, strictly increasing.
    period_s
        Median sample period over all segments.
    n_segments
        Stretches fitted separately (one more than the number of real gaps found).
    max_change_s
        Largest difference between a reconstructed time and its stamp.
    n_repeated
        Stamps equal to the one before (what made reconstruction necessary).
    """

    t_s: np.ndarray
    period_s: float
    n_segments: int
    max_change_s: float
    n_repeated: int


def _fit_segment(idx: np.ndarray, t: np.ndarray, period_s: float, resolution_s: float) -> np.ndarray:
    """Robust straight line of ``t`` against ``idx``: least squares, then again without outliers."""
    if np.unique(t).size < 3:
        # Too few distinct stamps to fit a slope (one or two packets): use the global period.
        return t.mean() + (idx - idx.mean()) * period_s
    slope, offset = np.polyfit(idx, t, 1)
    resid = t - (offset + slope * idx)
    mad = float(np.median(np.abs(resid - np.median(resid))))
    keep = np.abs(resid) <= _OUTLIER_SIGMAS * 1.4826 * mad + resolution_s
    if keep.sum() >= 3 and not keep.all():
        slope, offset = np.polyfit(idx[keep], t[keep], 1)
    if not slope > 0:
        slope = period_s
        offset = float(np.mean(t - slope * idx))
    return offset + slope * idx


def reconstruct_times(t_stamp_s: np.ndarray, resolution_s: float = 0.0) -> Reconstruction:
    """Reconstruct steady sample times from stamps that repeat within packets or are quantised.

    Parameters
    ----------
    t_stamp_s
        The stamps, non-decreasing, one per sample.
    resolution_s
        Quantisation of the stamps (1e-3 for whole milliseconds), added to the gap and outlier thresholds.

    Returns
    -------
    Reconstruction

    Notes
    -----
    1. The period is the median of differences over a baseline of 64 samples, divided by 64: long baselines
       average out packet stamping, and the median ignores the few baselines that span a gap.
    2. A real gap is a step longer than ``GAP_FACTOR`` (1.5) times the larger of the period and the 90th
       percentile of the non-zero steps (the usual jump between packets), plus the stamp resolution. A lost
       packet doubles the usual jump, so it is found; ordinary packet jumps are not.
    3. Each stretch between gaps gets its own least-squares line of stamp against sample index, refitted
       without residuals beyond 4 robust standard deviations (1.4826 x MAD). A line per stretch keeps the
       sensor's rate drift and never carries times across a gap.
    4. Stretches that would overlap their predecessor after fitting are moved to start one period after it,
       so times always increase.
    """
    t = np.asarray(t_stamp_s, dtype=np.float64)
    n = t.size
    if n < 2:
        return Reconstruction(t.copy(), float("nan"), 1, 0.0, 0)
    steps = np.diff(t)
    n_repeated = int((steps == 0).sum())
    k = min(_BASELINE_SAMPLES, n - 1)
    period_s = float(np.median((t[k:] - t[:-k]) / k))
    if not period_s > 0:
        period_s = float((t[-1] - t[0]) / (n - 1)) if t[-1] > t[0] else 1.0
    nonzero = steps[steps > 0]
    usual_jump = float(np.percentile(nonzero, 90)) if nonzero.size else period_s
    gap_after = np.flatnonzero(steps > GAP_FACTOR * max(period_s, usual_jump) + resolution_s)
    bounds = [0, *(gap_after + 1).tolist(), n]
    out = np.empty(n)
    idx_all = np.arange(n, dtype=np.float64)
    for a, b in itertools.pairwise(bounds):
        seg = _fit_segment(idx_all[a:b], t[a:b], period_s, resolution_s)
        if a > 0 and seg[0] <= out[a - 1]:
            seg = seg + (out[a - 1] + period_s - seg[0])
        out[a:b] = seg
    return Reconstruction(
        t_s=out,
        period_s=period_s,
        n_segments=len(bounds) - 1,
        max_change_s=float(np.max(np.abs(out - t))),
        n_repeated=n_repeated,
    )
