"""How precisely can a calf raise's rise and lowering be timed at all from an ankle IMU?

Run from the project root (a few seconds)::

    .venv/bin/python benchmarks/bench_calf_ceiling.py

The Cramér-Rao bound gives the smallest standard deviation that any unbiased estimator of a transition's
onset and duration can reach from the signals, whatever the algorithm. It is computed here for the
simulator's own calf raise: the foot angle (heel raised about the metatarsal heads) and the shank's tilt
follow one minimum-jerk profile; the ankle rises on its circle about the metatarsal heads and the sensor
sits 10 cm up the shank. The observations, with their noise as the simulator draws it:

* the sensor's linear acceleration, vertical and forward (white noise, ``acc_noise_g`` per sample at the
  sensor's rate, on each axis);
* with a gyroscope, the shank's angular rate about the flexion axis: white noise (``gyr_noise_dps`` per
  sample) plus the sagittal sway of single-leg stance, taken as a stationary process with the spectrum the
  simulator's sway has on average (rate RMS of ``SWAY_SHARES[theta]`` times the lowest single-leg envelope,
  spread log-uniformly over ``SWAY_BAND_HZ``).

Everything else is granted to the estimator: the orientation (so gravity drops out of the acceleration),
the sway's lever-arm effect on the acceleration, the profile's shape, the neighbouring transitions and the
plateaus' levels. Each of these only adds uncertainty, so the figures are optimistic: no analysis of the
simulated recordings can time transitions better. The unknowns are the onset, the duration, the foot's
rotation and the shank's tilt. The Fisher information is the Whittle sum over frequencies of the signals'
sensitivities against the noise spectrum of each channel.

It prints the bound's standard deviation of the onset, the end and the duration, and the largest share of
transitions an unbiased estimator could time within +-50 ms (``P(|N(0, sd^2)| <= 0.05 s)``), for the
benchmark's tempos and rates. ``bench_landings_calf.py`` uses :func:`best_share_within` to put the same
ceiling beside its measured figures, rep by rep.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from imu_app.core import STANDARD_GRAVITY_M_S2
from imu_app.sim import SensorParams
from imu_app.sim._sensor import ANKLE_FROM_MTP_M, SENSOR_OFFSET_M
from imu_app.sim._session import SWAY_BAND_HZ, SWAY_SHARES, SWAY_SINGLE_DPS

DEG = math.pi / 180.0
#: Foot angles (deg) of the exercises' tops and bottoms, the middles of the simulator's ranges.
FOOT_DEG = {"eccentric_calf_raise": (28.5, -14.0), "single_leg_calf_raise": (33.0, 0.0)}
#: Shank tilt of a rise (deg), the middles of the simulator's ranges for a straight and a bent knee.
TILT_DEG = {"straight": 3.0, "bent": 6.5}
#: Plateau shown either side of the transition (s).
MARGIN_S = 3.0
TOLERANCE_S = 0.05


def _min_jerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u**3 * (10.0 - 15.0 * u + 6.0 * u * u)


def _signals(t: np.ndarray, p: np.ndarray, foot: tuple[float, float], tilt_deg: float) -> np.ndarray:
    """Vertical and forward position (m) of the sensor and the shank's angle (deg) for parameters
    ``p = (onset, duration, foot scale, tilt scale)`` of a lowering from ``foot[0]`` to ``foot[1]``."""
    onset, duration, foot_scale, tilt_scale = p
    s = _min_jerk((t - onset) / duration)
    back, up = ANKLE_FROM_MTP_M
    lever, gamma0 = math.hypot(back, up), math.atan2(up, back)
    beta = foot_scale * (foot[0] + (foot[1] - foot[0]) * s) * DEG
    theta_deg = tilt_scale * tilt_deg * (1.0 - s)  # tilted back at the top, level at the bottom
    h = float(SENSOR_OFFSET_M[0])
    z = lever * np.sin(gamma0 + beta) + h * np.cos(theta_deg * DEG)
    x = -lever * np.cos(gamma0 + beta) - h * np.sin(theta_deg * DEG)
    return np.stack([z, x, theta_deg])


@cache
def bound_sd(
    exercise: str, duration_s: float, rate_hz: float, knee: str, gyro: bool, forward: bool = True
) -> tuple[float, float, float]:
    """Cramér-Rao standard deviations (s) of a lowering's onset, end and duration; ``forward=False``
    observes the vertical acceleration alone (what the analysis fits), without the forward one."""
    sensor = SensorParams()
    dt = 1.0 / rate_hz
    t = np.arange(-MARGIN_S, duration_s + MARGIN_S, dt)
    n = t.size
    p0 = np.array([0.0, duration_s, 1.0, 1.0])
    foot, tilt = FOOT_DEG[exercise], TILT_DEG[knee]
    steps = np.array([1e-4, 1e-4 * duration_s, 1e-4, 1e-4])
    sens = []
    for k in range(4):
        e = np.zeros(4)
        e[k] = steps[k]
        d = (_signals(t, p0 + e, foot, tilt) - _signals(t, p0 - e, foot, tilt)) / (2.0 * steps[k])
        # Observed: acceleration (second difference of position), angular rate (first difference).
        acc = np.gradient(np.gradient(d[: 2 if forward else 1], dt, axis=1), dt, axis=1)
        rate = np.gradient(d[2], dt)
        sens.append((acc, rate))
    f = np.fft.rfftfreq(n, dt)[1:]
    acc_var = (sensor.acc_noise_g * STANDARD_GRAVITY_M_S2) ** 2 * n
    # One-sided sway PSD of the rate (deg^2/s^2 per Hz), log-uniform over the band; DFT bin variance.
    lo, hi = SWAY_BAND_HZ
    sway_rms = SWAY_SHARES[3] * SWAY_SINGLE_DPS[0]
    psd = np.where((f >= lo) & (f <= hi), sway_rms**2 / (f * math.log(hi / lo)), 0.0)
    rate_var = sensor.gyr_noise_dps**2 * n + n * rate_hz * psd / 2.0
    acc_ft = [np.fft.rfft(a, axis=1)[:, 1:] for a, _ in sens]
    rate_ft = [np.fft.rfft(r)[1:] for _, r in sens]
    info = np.zeros((4, 4))
    for i in range(4):
        for j in range(i, 4):
            v = 2.0 * np.sum(np.real(acc_ft[i] * np.conj(acc_ft[j]))) / acc_var
            if gyro:
                v += 2.0 * np.sum(np.real(rate_ft[i] * np.conj(rate_ft[j])) / rate_var)
            info[i, j] = info[j, i] = v
    cov = np.linalg.inv(info)
    sd_on = math.sqrt(cov[0, 0])
    sd_dur = math.sqrt(cov[1, 1])
    sd_end = math.sqrt(cov[0, 0] + cov[1, 1] + 2.0 * cov[0, 1])
    return sd_on, sd_end, sd_dur


def share_within(sd: float, tol: float = TOLERANCE_S) -> float:
    """Probability that a zero-mean normal error of ``sd`` lies within ``+-tol``."""
    return math.erf(tol / (sd * math.sqrt(2.0))) if sd > 0 else 1.0


def best_share_within(
    exercise: str, duration_s: float, rate_hz: float, knee: str, gyro: bool
) -> tuple[float, float, float]:
    """Largest chance of timing a lowering's onset, end and duration within +-50 ms (the bound's sd,
    durations rounded to 0.1 s)."""
    sds = bound_sd(exercise, round(duration_s, 1), rate_hz, knee, gyro)
    return tuple(share_within(sd) for sd in sds)  # type: ignore[return-value]


CASES = (
    ("single_leg_calf_raise", 0.5, "straight"),
    ("single_leg_calf_raise", 0.8, "bent"),
    ("single_leg_calf_raise", 2.0, "straight"),
    ("single_leg_calf_raise", 2.0, "bent"),
    ("eccentric_calf_raise", 3.0, "straight"),
    ("eccentric_calf_raise", 3.0, "bent"),
    ("eccentric_calf_raise", 5.0, "bent"),
)


def main() -> None:
    rates = (52.0, 104.0, 208.0, 416.0, 1000.0)
    print("Cramér-Rao bound of a lowering's timing (sd in ms; in brackets the best share within +-50 ms)\n")
    for title, gyro, forward in (
        ("with gyroscope", True, True),
        ("without gyroscope", False, True),
        ("vertical acceleration alone (what the analysis fits)", False, False),
    ):
        print(f"## {title}\n")
        heads = " | ".join(f"{r:g} Hz onset / end / duration" for r in rates)
        print(f"| exercise | lowering | knee | {heads} |")
        print("|---|---|---|" + "---|" * len(rates))
        for exercise, duration, knee in CASES:
            cells = []
            for rate in rates:
                sds = bound_sd(exercise, duration, rate, knee, gyro, forward)
                cells.append(" / ".join(f"{1000 * sd:.0f} ({100 * share_within(sd):.0f} %)" for sd in sds))
            print(f"| {exercise} | {duration:g} s | {knee} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
