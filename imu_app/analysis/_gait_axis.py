"""The leg's flexion rate from a gyroscope anywhere on the foot or shank, with the forward swing positive.

Used by :func:`imu_app.analysis._strides.detect_strides`. Nothing here assumes a mounting: the axis comes
from the data (principal axis of the angular rate), its sign from two properties of gait that hold for any
sensor frame, foot or shank, left or right, walking or running.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from imu_app.analysis._orientation import block_means

log = logging.getLogger(__name__)

__all__ = ["FlexionRate", "flexion_rate", "jerk_windows", "low_pass"]

#: Windows of jerk are gathered this many at a time: a few MB at 1 kHz, whatever the recording's length.
_WINDOWS_PER_CHUNK = 1024

#: Lobes and areas count above this share of the 99th percentile of |rate|: above a shank's stance rotation
#: (40-150 deg/s against swing peaks of 300-500 deg/s), below every swing peak.
_LOBE_FLOOR = 0.3


@dataclass(frozen=True)
class FlexionRate:
    """The flexion rate of the leg and how its sign was chosen.

    Attributes
    ----------
    rate_dps
        Angular rate about the principal axis (deg/s), averaged over blocks of ``block`` samples and
        low-passed, positive in the forward swing.
    at_idx
        For each sample of ``rate_dps``, the index of the recording's sample at the centre of its block
        (a half-integer for even blocks), which maps times found on the reduced rate back to the full one.
    bounds
        The gap-free stretches ``[a, b)`` in samples of ``rate_dps``, in the order of the recording's.
    block
        Samples of the recording per sample of ``rate_dps`` (1: the full rate).
    sample_rate_hz
        Nominal rate of ``rate_dps``.
    axis
        Unit vector of that axis in the sensor frame (sign included).
    area_score, impact_score
        The two sign cues as log ratios, positive for the chosen sign (see :func:`flexion_rate`).
    """

    rate_dps: np.ndarray
    at_idx: np.ndarray
    bounds: tuple[tuple[int, int], ...]
    block: int
    sample_rate_hz: float
    axis: np.ndarray
    area_score: float
    impact_score: float


def low_pass(
    x: np.ndarray, sample_rate_hz: float, cutoff_hz: float, bounds: list[tuple[int, int]]
) -> np.ndarray:
    """Zero-phase second-order Butterworth low-pass along axis 0, run on each gap-free stretch ``[a, b)``.

    Zero phase so that the events keep their times; stretches too short for the filter's edge padding
    are left as they are. A cutoff at or above Nyquist returns the input.
    """
    out = np.array(x, dtype=float, copy=True)
    if cutoff_hz >= 0.45 * sample_rate_hz:
        return out
    sos = butter(2, cutoff_hz, fs=sample_rate_hz, output="sos")
    pad = 3 * (2 * sos.shape[0] + 1)
    for a, b in bounds:
        if b - a > pad:
            out[a:b] = sosfiltfilt(sos, x[a:b], axis=0)
    return out


def jerk_windows(
    t_s: np.ndarray, acc_g: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> Iterator[tuple[slice, np.ndarray]]:
    """The jerk of the sample steps ``lo[k] .. hi[k] - 1`` of the specific force, one row per window, in
    chunks: pairs of the windows' slice of ``lo`` and their rows.

    The jerk of step ``i`` is the magnitude of the vector difference from sample ``i`` to ``i + 1`` (so that
    the mounting does not matter) over its duration, in g/s. Rows are as wide as the chunk's longest window
    and padded with ``-inf``; ``hi[k] <= len(t_s) - 1``. Only the steps inside the windows are computed, a
    chunk of windows at a time, so that no array as long as the recording is formed.
    """
    for start in range(0, lo.size, _WINDOWS_PER_CHUNK):
        sl = slice(start, start + _WINDOWS_PER_CHUNK)
        a, n = lo[sl], hi[sl] - lo[sl]
        col = np.arange(int(n.max(initial=0)))
        inside = col[None, :] < n[:, None]
        idx = np.where(inside, a[:, None] + col[None, :], 0)
        d = acc_g[idx + 1] - acc_g[idx]
        jerk = np.sqrt(np.einsum("...j,...j->...", d, d)) / np.maximum(t_s[idx + 1] - t_s[idx], 1e-9)
        yield sl, np.where(inside, jerk, -np.inf)


def _area_score(w: np.ndarray, floor_frac: float) -> float:
    """log of (area of ``w`` above ``+c``) over (area below ``-c``), ``c = floor_frac`` x its 99th |w| pct."""
    c = floor_frac * float(np.percentile(np.abs(w), 99.0))
    pos = float(np.sum(np.clip(w - c, 0.0, None)))
    neg = float(np.sum(np.clip(-w - c, 0.0, None)))
    return float(np.log(max(pos, 1e-9) / max(neg, 1e-9)))


def _impact_score(
    w: np.ndarray,
    at_idx: np.ndarray,
    t_s: np.ndarray,
    acc_g: np.ndarray,
    *,
    sample_rate_hz: float,
    floor_frac: float,
    before_s: float,
    after_s: float,
) -> float:
    """log of the median impact after positive lobes of ``w`` over that after negative lobes (0 if either
    kind is missing). A lobe is a run of one sign reaching ``floor_frac`` of the 99th percentile of |w|;
    its impact is the largest jerk from ``before_s`` before to ``after_s`` after its end.

    ``w`` may be on a reduced rate: ``at_idx`` places its samples on the recording's (``t_s``, ``acc_g``,
    rate ``sample_rate_hz``). A lobe ends at the last full-rate sample before its zero crossing,
    interpolated linearly between the reduced samples; the jerk into that sample is the step before it."""
    c = floor_frac * float(np.percentile(np.abs(w), 99.0))
    z = np.flatnonzero(np.signbit(w[:-1]) != np.signbit(w[1:]))
    if z.size < 3:
        return 0.0
    lo_off, hi_off = round(before_s * sample_rate_hz), round(after_s * sample_rate_hz) + 1
    peaks = np.maximum.reduceat(np.abs(w), z[:-1] + 1)[: z.size - 1]
    signs = np.sign(w[z[1:]])
    big = peaks >= c
    zb = z[1:][big]
    den = w[zb] - w[zb + 1]
    frac = np.clip(np.divide(w[zb], den, out=np.zeros_like(den), where=den != 0), 0.0, 1.0)
    ends = np.floor(at_idx[zb] + frac * (at_idx[zb + 1] - at_idx[zb])).astype(np.intp)
    last = t_s.size - 1
    lo = np.clip(ends - lo_off - 1, 0, last)
    hi = np.clip(ends + hi_off - 1, lo, last)
    impact = np.zeros(ends.size)
    for sl, jerk in jerk_windows(t_s, acc_g, lo, hi):
        impact[sl] = jerk.max(axis=1, initial=0.0)
    sg = signs[big]
    if not (np.any(sg > 0) and np.any(sg < 0)):
        return 0.0
    num, den = float(np.median(impact[sg > 0])), float(np.median(impact[sg < 0]))
    return float(np.log(max(num, 1e-9) / max(den, 1e-9)))


def _reduce_rate(
    x: np.ndarray, bounds: list[tuple[int, int]], block: int
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[int, int], ...]]:
    """Means of ``x`` over blocks of ``block`` samples within each gap-free stretch ``[a, b)`` (the last
    block of a stretch may be shorter), the index of each block's centre, and the stretches' new bounds."""
    parts, centres, out_bounds, k = [], [], [], 0
    for a, b in bounds:
        parts.append(block_means(x[a:b], block))
        centre = a + block * np.arange(parts[-1].shape[0], dtype=np.float64) + 0.5 * (block - 1)
        centre[-1] = 0.5 * (a + block * (parts[-1].shape[0] - 1) + b - 1)
        centres.append(centre)
        out_bounds.append((k, k + parts[-1].shape[0]))
        k = out_bounds[-1][1]
    if not parts:
        return np.empty((0, *x.shape[1:])), np.empty(0), ()
    return np.concatenate(parts), np.concatenate(centres), tuple(out_bounds)


def flexion_rate(
    gyr_dps: np.ndarray,
    acc_g: np.ndarray,
    t_s: np.ndarray,
    bounds: list[tuple[int, int]],
    *,
    sample_rate_hz: float,
    cutoff_hz: float,
    reduced_rate_hz: float,
) -> FlexionRate:
    """The leg's flexion rate, low-passed, with the forward swing positive.

    Parameters
    ----------
    gyr_dps, acc_g, t_s
        Angular rate, specific force and time of one recording (any sensor frame).
    bounds
        Its gap-free stretches ``[a, b)``.
    sample_rate_hz
        Nominal rate.
    cutoff_hz
        Low-pass cutoff for the rate (see :class:`imu_app.analysis._strides.StrideParams`).
    reduced_rate_hz
        The rate is averaged over blocks of whole samples down to no less than this before it is
        low-passed (see :class:`imu_app.analysis._strides.StrideParams`).

    Returns
    -------
    FlexionRate

    Notes
    -----
    All of it runs on the angular rate averaged over blocks of ``floor(sample_rate_hz / reduced_rate_hz)``
    samples: the low-pass keeps nothing above a few hertz, which a rate of 100 Hz carries with room to
    spare, and at 1 kHz the filter, the principal axis and the cues cost a tenth. A block mean is a moving
    average sampled at its centre, so it keeps times (no phase); its response at the cutoff is within
    0.6 % of one, and what it folds down from near the reduced rate lands attenuated by the block's own
    response (by 24 dB or more at 1 kHz) before the low-pass takes the rest.

    The axis is the principal axis of the low-passed angular rate: the foot and shank rotate mostly about
    the mediolateral axis (flexion/extension), whatever the mounting. The low-pass keeps the 1-6 Hz of the
    leg's swing and removes the impacts' ringing, which on a loosely strapped sensor reaches 700 deg/s on a
    non-sagittal axis for one or two samples and would otherwise tilt the principal axis.

    The axis has no sign of its own: the frame may be any rotation or mirror image (a left foot's sensor
    mounted like a right one's). Two cues give it, each a log ratio, summed:

    - Area: the forward swing is the largest single rotation of a stride. On the foot it turns the foot from
      its toe-off pitch (55-70 deg plantarflexed) to its heel-strike pitch (15-25 deg dorsiflexed) within
      0.35-0.45 s, while push-off covers only the first part and the foot-flat slap the second; on the shank
      the swing is the fast lobe (300-500 deg/s) and stance the slow one (40-150 deg/s). Areas are counted
      above 30 % of the 99th percentile of |rate|, so the slow stance rotation of a shank does not count.
    - Impact: the swing ends with the heel-strike impact, the steepest change of the specific force in a
      stride; the other lobes end at toe-off (a smaller release) or in foot-flat.

    Measured (log ratios, right sign positive): gaitmap example foot sensors area 0.13-0.50, impact
    0.17-1.88 (the weakest, 0.17, is the second subject's right foot, whose toe-off release is as steep as
    its heel strike); the simulator's shank area 0.33-1.88, impact 1.49-3.10.

    References
    ----------
    Aminian, K., Najafi, B., Büla, C., Leyvraz, P.-F., & Robert, P. (2002). Spatio-temporal parameters of
    gait measured by an ambulatory system using miniature gyroscopes. Journal of Biomechanics, 35(5),
    689-699. https://doi.org/10.1016/S0021-9290(02)00008-8

    Mariani, B., Rouhani, H., Crevoisier, X., & Aminian, K. (2013). Quantitative estimation of foot-flat and
    stance phase of gait using foot-worn inertial sensors. Gait & Posture, 37(2), 229-234.
    https://doi.org/10.1016/j.gaitpost.2012.07.012
    """
    fs = float(sample_rate_hz)
    block = max(1, int(fs // reduced_rate_hz))
    g, at_idx, rbounds = _reduce_rate(gyr_dps, bounds, block)
    fs_r = fs / block
    g = low_pass(g, fs_r, cutoff_hz, list(rbounds))
    _, vecs = np.linalg.eigh(g.T @ g)
    axis = vecs[:, -1]
    w = g @ axis
    area = _area_score(w, _LOBE_FLOOR)
    impact = _impact_score(
        w, at_idx, t_s, acc_g, sample_rate_hz=fs, floor_frac=_LOBE_FLOOR, before_s=0.03, after_s=0.08
    )
    if area + impact < 0:
        w, axis, area, impact = -w, -axis, -area, -impact
    log.debug("flexion axis %s: sign cues area %.2f, impact %.2f", np.round(axis, 2), area, impact)
    return FlexionRate(
        rate_dps=w,
        at_idx=at_idx,
        bounds=rbounds,
        block=block,
        sample_rate_hz=fs_r,
        axis=axis,
        area_score=area,
        impact_score=impact,
    )
