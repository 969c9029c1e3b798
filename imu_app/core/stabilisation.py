"""Time to stabilisation after a single-leg landing, defined by its calculation method.

Time to stabilisation (TTS) has no meaning apart from the method that computes it: the published methods
differ in the input signal, its processing (sequential average, moving RMS window, unbounded third-order
polynomial), the stable-state threshold and the definition of when the processed signal counts as stable,
and their values differ accordingly; the length of the trial alone changed them by about 100 % on average
[1]_. This module holds the one definition the app uses, so that the analysis of a recording and the
simulator's ground truth apply the very same method, to the measured and to the true angular rate.

The method is one of the moving-RMS family of force-plate methods [1]_, with its stable state taken from
the trial's own quiet stance (the published methods take theirs from quiet stance or from the trial itself
[2]_, [3]_, [4]_), adapted to an ankle-worn gyroscope:

* *Input*: the resultant angular rate of the shank ``|omega|`` (deg/s, gyroscope bias removed). The
  resultant does not depend on how the sensor is mounted, and the landing's ringing and the sway of
  single-leg stance both show in it.
* *Processing*: moving RMS over ``window_s`` = 0.5 s, centred every 10 ms, from the time integral of
  ``|omega|^2`` (trapezoids, interpolated), so that every window spans exactly 0.5 s at any sample rate.
  Half a second spans at least one period of the balance oscillation after a landing (1-2.5 Hz), so the
  RMS follows its decay without rippling with each swing.
* *Stable state*: the RMS of ``|omega|`` over the last ``reference_s`` = 1.5 s of the hold's balance, its
  quiet single-leg stance, times ``factor`` = 2.5. The margin keeps the stance's own fluctuation from counting
  as instability: the moving RMS of single-leg sway (2-4 deg/s, components down to 0.1 Hz) wanders by
  tens of percent over a few seconds. On simulated holds a factor of 1.5 let the sway re-cross the
  threshold seconds after the landing's ringing had died down in 16 % of holds, 2.0 in 3 %, 2.5 in 1 %.
* *Stable*: the first instant from ``absorption_s`` = 0.3 s after touch-down (the knee and ankle absorb
  the landing before that; it is not balance) after which the moving RMS stays below the threshold until
  the balance ends; the last crossing is interpolated between samples. A hold whose moving RMS is below
  the threshold from the start is stable at ``absorption_s``.
* *End of the balance* (:func:`balance_end_s`): a hold that a hop ends is balance until the hop's
  push-off (``TTS_PUSHOFF_S`` = 0.6 s before the take-off); any other hold until ``TTS_END_MARGIN_S`` =
  0.2 s before its end, which keeps the start of the other foot's weight shift or of a stumble's swing
  (both grow from nothing, so their instant is known to a few hundredths of a second) out of the
  reference.

A hold whose balance is too short to have a quiet part of its own after the absorption and the first
window (``absorption_s + window_s + reference_s`` = 2.3 s) has no stable state and no TTS (``None``); so
has a hold whose moving RMS is still above the threshold in its last window (which the defaults rule out:
the last window lies inside the reference span, so its mean square is at most ``reference_s / window_s``
= 3 times the reference's, below ``factor^2``; a late burst raises the threshold with it).

References
----------
.. [1] Fransz, D. P., Huurnink, A., de Boode, V. A., Kingma, I., & van Dieën, J. H. (2015). Time to
   stabilization in single leg drop jump landings: an examination of calculation methods and assessment of
   differences in sample rate, filter settings and trial length on outcome values. Gait & Posture, 41(1),
   63-69. https://doi.org/10.1016/j.gaitpost.2014.08.018
.. [2] Colby, S. M., Hintermeister, R. A., Torry, M. R., & Steadman, J. R. (1999). Lower limb stability
   with ACL impairment. Journal of Orthopaedic & Sports Physical Therapy, 29(8), 444-451.
   https://doi.org/10.2519/jospt.1999.29.8.444
.. [3] Ross, S. E., & Guskiewicz, K. M. (2004). Examination of static and dynamic postural stability in
   individuals with functionally stable and unstable ankles. Clinical Journal of Sport Medicine, 14(6),
   332-338. https://doi.org/10.1097/00042752-200411000-00002
.. [4] Wikstrom, E. A., Tillman, M. D., & Borsa, P. A. (2005). Detection of dynamic stability deficits in
   subjects with functional ankle instability. Medicine & Science in Sports & Exercise, 37(2), 169-175.
   https://doi.org/10.1249/01.MSS.0000149887.84238.6C
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "TTS_ABSORPTION_S",
    "TTS_END_MARGIN_S",
    "TTS_FACTOR",
    "TTS_PUSHOFF_S",
    "TTS_REFERENCE_S",
    "TTS_WINDOW_S",
    "balance_end_s",
    "time_to_stabilisation",
]

#: Moving-RMS window (s).
TTS_WINDOW_S = 0.5
#: Start of the assessment after touch-down (s): the landing's absorption is not balance.
TTS_ABSORPTION_S = 0.3
#: Length of the hold's last part whose RMS is the quiet single-leg stance (s).
TTS_REFERENCE_S = 1.5
#: Stable-state threshold as a multiple of the quiet stance's RMS.
TTS_FACTOR = 2.5
#: A hop's push-off before its take-off (countermovement and push, s): not balance.
TTS_PUSHOFF_S = 0.6
#: End of any other hold's balance before the hold's end (s).
TTS_END_MARGIN_S = 0.2
#: Spacing of the moving window's centres (s); the last crossing is interpolated between them.
_STEP_S = 0.01


def balance_end_s(hold_end_s: float, ended_by: str) -> float:
    """End of a hold's balance: before a hop's push-off, or ``TTS_END_MARGIN_S`` before any other end.

    ``ended_by`` is what ended the hold (``"hop"``, ``"other_foot"``, ``"stumble"``,
    ``"end_of_recording"``).
    """
    return hold_end_s - (TTS_PUSHOFF_S if ended_by == "hop" else TTS_END_MARGIN_S)


def time_to_stabilisation(
    t_s: np.ndarray,
    rate_dps: np.ndarray,
    landing_s: float,
    end_s: float,
    *,
    window_s: float = TTS_WINDOW_S,
    absorption_s: float = TTS_ABSORPTION_S,
    reference_s: float = TTS_REFERENCE_S,
    factor: float = TTS_FACTOR,
) -> float | None:
    """Time to stabilisation (s after ``landing_s``) of a single-leg hold, or ``None``.

    Parameters
    ----------
    t_s
        Sample times (s, increasing; any rate, gaps allowed), covering ``landing_s`` to ``end_s``.
    rate_dps
        Angular rate of the shank (deg/s, bias removed): ``(n, 3)`` axes or ``(n,)`` resultant.
    landing_s, end_s
        Touch-down and the end of the balance (:func:`balance_end_s` of the hold's end).
    window_s, absorption_s, reference_s, factor
        The method's constants (see the module's documentation); the defaults define the app's TTS.

    Returns
    -------
    float or None
        The first instant, from ``absorption_s`` on, after which the moving RMS of ``|omega|`` over
        ``window_s`` stays below ``factor`` times the RMS of ``|omega|`` over the hold's last
        ``reference_s``, minus ``landing_s``. ``None`` when the hold is shorter than ``absorption_s +
        window_s + reference_s`` or never stabilises before its end.
    """
    t = np.asarray(t_s, dtype=np.float64)
    x = np.asarray(rate_dps, dtype=np.float64)
    if t.ndim != 1 or x.shape[:1] != t.shape or x.ndim not in (1, 2):
        raise ValueError("time_to_stabilisation: t_s must be 1-D, rate_dps (n,) or (n, k) of the same length")
    if not end_s - landing_s >= absorption_s + window_s + reference_s:
        return None
    # The samples of the hold and one either side, so that its ends interpolate.
    i0 = max(int(np.searchsorted(t, landing_s)) - 1, 0)
    i1 = int(np.searchsorted(t, end_s, side="right")) + 1
    tt = t[i0:i1]
    power = x[i0:i1] ** 2 if x.ndim == 1 else np.einsum("ij,ij->i", x[i0:i1], x[i0:i1])
    ok = np.isfinite(power)
    if not ok.all():
        tt, power = tt[ok], power[ok]
    if tt.size < 4 or tt[0] > landing_s + absorption_s or tt[-1] < end_s - 0.5 * window_s:
        return None
    # Integral of the power (trapezoids) as a function of time: windows of exactly ``window_s`` at any
    # instant, whatever the sample rate.
    energy = np.concatenate([[0.0], np.cumsum(0.5 * (power[1:] + power[:-1]) * np.diff(tt))])

    def mean_square(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
        return (np.interp(b, tt, energy) - np.interp(a, tt, energy)) / np.subtract(b, a)

    threshold2 = factor * factor * float(mean_square(end_s - reference_s, end_s))
    # Window centres every ``_STEP_S`` from the end of the absorption to the last whole window.
    centres = (
        landing_s
        + absorption_s
        + _STEP_S * np.arange(int((end_s - 0.5 * window_s - landing_s - absorption_s) / _STEP_S) + 1)
    )
    ms = mean_square(centres - 0.5 * window_s, centres + 0.5 * window_s)
    above = np.flatnonzero(ms >= threshold2)
    if above.size == 0:
        return absorption_s
    k = int(above[-1])
    if k == centres.size - 1:
        return None
    # Between the last centre above the threshold and the next: linear in the mean square.
    frac = (ms[k] - threshold2) / max(ms[k] - ms[k + 1], 1e-300)
    return float(centres[k] + frac * _STEP_S - landing_s)
