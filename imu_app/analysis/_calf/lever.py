"""The sensor's lever above the ankle: the acceleration the shank's turning gives the sensor, removed,
and the ankle's forward acceleration."""

from __future__ import annotations

import dataclasses

import numpy as np

from imu_app.analysis._calf.signals import Frame, Signals, rise_tilt, white_noise
from imu_app.analysis._orientation import rotate
from imu_app.analysis._signal import cross, moving_mean, unit

#: The lever is fitted where the ankle has been at rest for this long (s) either side.
_CLEAR_S = 0.1


#: Largest rotation (deg, median over the rises of a stretch) of a sensor on the shank in a calf raise's
#: rise: the rise tilts the shank by 2-4 deg with the knee straight and 5-8 deg bent, sway adds a few. A
#: sensor on the foot turns with the whole plantarflexion, 20-35 deg (Hebert-Losier et al. 2009).
MAX_SHANK_TURN_DEG = 12.0


def on_the_foot(sig: Signals, start_s: np.ndarray, top_s: np.ndarray) -> bool:
    """Whether the sensor turns with the foot in the rises from ``start_s`` to ``top_s`` (by more than
    :data:`MAX_SHANK_TURN_DEG`, median), which only a gyroscope tells.

    On the foot the sensor's vertical motion *is* the foot's rotation about the metatarsal heads, so the
    rotation must stay in the signal: :func:`without_rotation`, fitted to the sway of a shank at rest,
    would take the whole rise out of it, or turn it over.

    References
    ----------
    Hebert-Losier, K., Newsham-West, R. J., Schneiders, A. G., & Sullivan, S. J. (2009). Raising the
    standards of the calf-raise test: a systematic review. Journal of Science and Medicine in Sport, 12(6),
    594-602. https://doi.org/10.1016/j.jsams.2008.12.628
    """
    if not sig.gyro or sig.tilt_sum is None or start_s.size == 0:
        return False
    turns = [abs(rise_tilt(sig, float(a), float(b))) for a, b in zip(start_s, top_s, strict=True)]
    return float(np.median(turns)) > MAX_SHANK_TURN_DEG


def without_rotation(sig: Signals, moving: np.ndarray) -> Signals:
    """``sig`` with the ankle's vertical acceleration: ``acc_v`` less what the shank's rotation about the
    ankle gives the sensor above it.

    A sensor at ``r`` from the ankle accelerates by ``alpha x r`` as the shank turns (sway, the tilt of a
    rise); the vertical part of that is ``(alpha x r) . up = r . (up x alpha)``. In the sensor's axes ``r``
    is fixed (the sensor is strapped to the shank) while ``up`` follows the shank's attitude, so one ``r``
    serves straight- and bent-knee reps alike. Sway on one leg turns the shank at 2-4 deg/s, which gives
    a sensor 10-30 cm up the shank a few mg, as much as a slow lowering's own acceleration.

    ``r`` is fitted by least squares where the ankle is at rest (:data:`_CLEAR_S` clear of the reps'
    movements, ``moving``): there the shank turns by sway alone and the ankle stays. Inside a movement the
    shank's tilt keeps step with the rise (it tilts back as the ankle moves forward along its arc), so a fit
    there would take whatever part of the rise the movements' fits missed for a lever arm, metres long on
    fast back-to-back reps. A prior of :data:`LEVER_PRIOR_M` per component
    keeps ``r`` small where sway is too weak to tell it. Without a gyroscope ``sig`` is returned
    as it is.
    """
    if sig.turning is None:
        return sig
    still = moving_mean((~moving).astype(float), max(1, round(_CLEAR_S * 2.0 * sig.rate_hz))) > 0.999
    if still.sum() < 10:
        return sig
    turning = sig.turning - sig.turning[still].mean(axis=0)
    rest = sig.acc_v[still] - sig.acc_v[still].mean()
    var = max(sig.acc_noise, 1e-4) ** 2
    lhs = turning[still].T @ turning[still] / var + np.eye(3) / LEVER_PRIOR_M**2
    r = np.linalg.solve(lhs, turning[still].T @ rest / var)
    acc_v = sig.acc_v - turning @ r
    if sig.frame is None:
        return dataclasses.replace(sig, acc_v=acc_v)
    acc_f, noise = _forward(sig.frame, sig.t, still, sig.acc_noise)
    return dataclasses.replace(sig, acc_v=acc_v, acc_f=acc_f, acc_f_noise=noise)


#: Gravity's direction in the start frame is followed over this long (s): far longer than a rep, whose
#: forward acceleration averages to nil over it, and short against the integration's drift.
_UP_SPAN_S = 10.0


def _forward(frame: Frame, t: np.ndarray, still: np.ndarray, acc_noise: float) -> tuple[np.ndarray, float]:
    """The ankle's forward acceleration (m/s^2) on the times ``t`` and its white noise per sample: the
    specific force in the start frame (:func:`strapdown_frame`) less the lever's acceleration, along the
    horizontal perpendicular to the flexion axis.

    A sensor at ``r`` from the ankle accelerates by ``alpha x r + w x (w x r)`` relative to it. ``r`` is
    fitted by least squares on all three axes where the ankle is at rest (``still``, on ``t``; every
    second frame sample), after a 1.5-s moving mean has taken out gravity and the integration's drift:
    there the specific force changes only by the shank's sway about the ankle, which swings a sensor 10 cm
    up the shank by tens of mm/s^2 horizontally, as much as a slow lowering's forward acceleration.
    """
    q, acc, spin, alpha = frame.q, frame.acc, frame.spin, frame.alpha
    frame_hz = frame.rate_hz
    width = max(1, round(1.5 * frame_hz))
    spin2 = np.einsum("ij,ij->i", spin, spin)[:, None]
    # The lever's acceleration per metre along each sensor axis, in the start frame.
    cols = [rotate(q, cross(alpha, e) + spin * spin[:, [k]] - spin2 * e) for k, e in enumerate(np.eye(3))]
    at_rest = np.interp(frame.t, t, still.astype(float)) > 0.999
    sel = np.flatnonzero(at_rest)[::2]
    x = np.stack([(c - moving_mean(c, width))[sel] for c in cols], axis=-1).reshape(-1, 3)
    y = (acc - moving_mean(acc, width))[sel].reshape(-1)
    # The frame's samples average several of ``t``'s.
    var = max(acc_noise, 1e-4) ** 2 * (t.size - 1) / max(frame.t.size - 1, 1)
    r = np.linalg.solve(x.T @ x / var + np.eye(3) / LEVER_PRIOR_M**2, x.T @ y / var)
    acc = acc - sum(rk * c for rk, c in zip(r, cols, strict=True))
    up = unit(moving_mean(acc, max(1, round(_UP_SPAN_S * frame_hz))))
    forward = unit(cross(rotate(q, frame.flexion), up))
    acc_f = np.einsum("ij,ij->i", acc, forward)
    acc_f -= np.median(acc_f)
    # Interpolated to ``t``, its noise per sample of ``t`` is that per frame sample spread over as many.
    per_sample = white_noise(acc_f) * np.sqrt((t.size - 1) / max(frame.t.size - 1, 1))
    return np.interp(t, frame.t, acc_f), per_sample


#: Prior size of each component of the sensor's position above the ankle (m): on the distal shank.
LEVER_PRIOR_M = 0.2
