"""Hop recordings built from a piecewise model with exactly known contacts, for the contact tests.

The magnitude of the specific force follows the shape a shank sensor shows: a flight level of a few tenths
of a g, a steep impact at touch-down that settles to the push-off level, and a linear fall to the flight
level at take-off. It is evaluated at the sample times, so the truth is exact to any resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.core import ImuData, RecordingMeta, find_gaps


@dataclass(frozen=True)
class SynthHops:
    data: ImuData
    landing_s: np.ndarray
    takeoff_s: np.ndarray  # take-off ending each contact


def hop_magnitude(
    t: np.ndarray,
    landings: np.ndarray,
    takeoffs: np.ndarray,
    *,
    flight_g: float = 0.25,
    impact_g: float = 6.0,
    rise_s: float = 0.010,
    push_g: float = 2.2,
    push_fall_s: float = 0.06,
) -> np.ndarray:
    """``|a|`` at times ``t``: standing (1 g) until ``takeoffs[0]``, then flights and contacts.

    ``takeoffs`` has one more entry than ``landings``: the first take-off is from standing; after the last
    landing the athlete stands again.
    """
    s = np.full(t.shape, 1.0)
    # initial push-off from standing: rise to the push level, fall to the flight level at the take-off
    to0 = takeoffs[0]
    m = (t > to0 - 0.3) & (t <= to0)
    frac = np.clip((t[m] - (to0 - 0.3)) / 0.15, 0, 1)
    s[m] = 1.0 + (push_g - 1.0) * frac
    m2 = (t > to0 - push_fall_s) & (t <= to0)
    s[m2] = flight_g + (push_g - flight_g) * (to0 - t[m2]) / push_fall_s
    for i, tl in enumerate(landings):
        tf_prev = takeoffs[i]
        air = (t > tf_prev) & (t <= tl)
        s[air] = flight_g + 0.05 * np.sin(2 * np.pi * 3 * (t[air] - tf_prev))
        tt = takeoffs[i + 1] if i + 1 < len(takeoffs) else np.inf
        on = (t > tl) & (t <= tt)
        x = t[on] - tl
        level = np.where(x < rise_s, flight_g + (impact_g - flight_g) * x / rise_s, 0.0)
        end_level = push_g if np.isfinite(tt) else 1.0
        decay = end_level + (impact_g - end_level) * np.exp(-(x - rise_s) / 0.02)
        level = np.where(x < rise_s, level, decay)
        if np.isfinite(tt):
            fall = x > (tt - tl) - push_fall_s
            level[fall] = (
                flight_g + (np.minimum(level[fall], push_g) - flight_g) * (tt - t[on][fall]) / push_fall_s
            )
        s[on] = level
    return s


def synth_hops(
    *,
    rate_hz: float = 1000.0,
    n_hops: int = 12,
    contact_s: float = 0.2,
    flight_s: float = 0.35,
    seed: int = 0,
    jitter_s: float = 0.0,
    noise_g: float = 0.005,
    acc_range_g: float | None = None,
    duration_pad_s: float = 1.0,
    **shape: float,
) -> SynthHops:
    """A bout of ``n_hops`` hops with some variation, any mounting (a random fixed rotation)."""
    rng = np.random.default_rng(seed)
    t_first = duration_pad_s + rng.uniform(0, 0.01)
    takeoffs = [t_first]
    landings = []
    for _ in range(n_hops):
        tl = takeoffs[-1] + flight_s * rng.uniform(0.85, 1.15)
        landings.append(tl)
        takeoffs.append(tl + contact_s * rng.uniform(0.85, 1.15))
    landings_a = np.array(landings)
    takeoffs_a = np.array(takeoffs[:-1])  # the last landing is a final landing (stands afterwards)
    t_end = landings_a[-1] + duration_pad_s
    t = np.arange(0.0, t_end, 1.0 / rate_hz)
    if jitter_s:
        t = t + rng.uniform(-jitter_s, jitter_s, t.size)
        t = np.sort(t)
    s = hop_magnitude(t, landings_a, takeoffs_a, **shape)
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    direction = q[:, 0]
    acc = s[:, None] * direction[None, :] + rng.normal(scale=noise_g, size=(t.size, 3))
    if acc_range_g:
        acc = np.clip(acc, -acc_range_g, acc_range_g)
    meta = RecordingMeta(sample_rate_hz=rate_hz, acc_range_g=acc_range_g)
    data = ImuData(t_s=t, acc_g=acc, gaps=find_gaps(t, rate_hz), meta=meta)
    t0 = t[0]
    # every landing but the last is a contact ending at the next take-off
    return SynthHops(data=data, landing_s=landings_a[:-1] - t0, takeoff_s=takeoffs_a[1:] - t0)
