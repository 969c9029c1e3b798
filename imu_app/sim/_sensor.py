"""From the shank's kinematics to what an inertial sensor strapped on it reports.

The pose is evaluated on a fine internal grid; specific force and body angular rate are derived from it
(``f = R^T (p'' - g_world)``, ``omega = vee(R^T dR/dt)``), low-pass filtered as the sensor's own digital
filter does, sampled at the sensor's drifting clock, then bias, noise, saturation, 16-bit quantisation,
timestamp jitter and packet loss are applied.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import signal

from imu_app.core import STANDARD_GRAVITY_M_S2, ImuData, Placement, RecordingMeta, SimulationError, find_gaps
from imu_app.sim._motion import Motion

__all__ = ["SensorParams", "SensorRun", "mounting_matrix", "run_sensor"]

log = logging.getLogger(__name__)

#: Internal evaluation rate. Touch-down transients last 10-30 ms with rise times of a few ms, so 10 kHz
#: resolves them with 20+ samples while keeping a 10-minute session to a few seconds of work.
INTERNAL_RATE_HZ = 10_000.0
_CHUNK = 65_536

#: Sensor position in the shank frame (x up the shank, z out of the lateral side): 10 cm above the ankle
#: joint centre, on the skin of the lateral distal shank (about 4.5 cm from the tibial axis).
SENSOR_OFFSET_M = np.array([0.10, 0.0, 0.045])
#: Foot placement, on the shoe's laces: 7 cm in front of the ankle joint centre and 2 cm below it (the dorsum
#: of the midfoot), in the foot's frame with the foot flat (x forward, z up).
SHOE_OFFSET_M = np.array([0.07, 0.0, -0.02])
#: Where the sensor can be worn: at the ankle (distal shank) or on the foot (the shoe).
PLACEMENTS = (Placement.ANKLE, Placement.FOOT)

#: Ankle joint centre relative to the metatarsal heads (foot flat): 13 cm behind, 8 cm above. The heel
#: raise of a calf raise rotates this vector about the metatarsal heads.
ANKLE_FROM_MTP_M = (0.13, 0.08)

_SAMPLE_RATE_RANGE_HZ = (52.0, 1666.0)
_ACC_RANGES_G = (2.0, 4.0, 8.0, 16.0, 32.0)


@dataclass(frozen=True)
class SensorParams:
    """The simulated sensor and its link.

    Attributes
    ----------
    sample_rate_hz
        Output data rate, 52-1666 Hz (the ODRs of common MEMS IMUs).
    acc_range_g, gyr_range_dps
        Full scale; readings saturate (clip) at +-range on each axis. Hard landings exceed 8 g at the ankle.
    with_gyro
        ``False`` gives accelerometer-only data (``gyr_dps`` is ``None``).
    acc_noise_g, gyr_noise_dps
        White-noise standard deviation per sample, typical of consumer MEMS parts at their default filter.
    acc_bias_g, gyr_bias_dps
        Standard deviation of the constant per-axis bias drawn for each run (uncalibrated offsets).
    mounting
        ``"lateral"``: x up the shank, z out of the lateral side. ``"random"``: a uniformly random rotation
        drawn from the seed. Or ``(roll, pitch, yaw)`` in degrees of the sensor relative to ``"lateral"``
        (``R = Rz(yaw) Ry(pitch) Rx(roll)``, sensor axes expressed in the lateral frame).
    placement
        Which segment carries the sensor (:class:`~imu_app.core.Placement`): ``"ankle"`` (distal shank, just
        above the malleolus; the default) or ``"foot"`` (on the shoe's laces, turning with the foot: in a
        calf raise by the foot's whole plantarflexion about the metatarsal heads, where the shank turns by a
        few degrees). The reference mounting is the same frame on each segment: on the foot it is the frame
        the shank's would be with the foot flat and the shank upright.
    timestamp_jitter_s
        Standard deviation of jitter on the reported timestamps; sampling itself stays regular. Limited to
        a quarter of a period so that timestamps stay increasing and a jitter is never mistaken for a gap.
    clock_drift_ppm
        The sensor clock runs fast (positive) or slow against true time.
    packet_loss
        Probability that a packet is lost.
    samples_per_packet
        Samples per packet; the sequence number increments once per packet and wraps at 16 bits.
    """

    sample_rate_hz: float = 1000.0
    acc_range_g: float = 16.0
    gyr_range_dps: float = 2000.0
    with_gyro: bool = True
    acc_noise_g: float = 0.004
    gyr_noise_dps: float = 0.07
    acc_bias_g: float = 0.01
    gyr_bias_dps: float = 0.5
    mounting: str | tuple[float, float, float] = "lateral"
    placement: str = Placement.ANKLE
    timestamp_jitter_s: float = 0.0
    clock_drift_ppm: float = 0.0
    packet_loss: float = 0.0
    samples_per_packet: int = 1

    def validate(self) -> None:
        lo, hi = _SAMPLE_RATE_RANGE_HZ
        if not lo <= self.sample_rate_hz <= hi:
            raise SimulationError(
                f"sample_rate_hz must be between {lo:g} and {hi:g} Hz, got {self.sample_rate_hz:g}"
            )
        if self.acc_range_g <= 0 or self.gyr_range_dps <= 0:
            raise SimulationError("acc_range_g and gyr_range_dps must be positive")
        for name in ("acc_noise_g", "gyr_noise_dps", "acc_bias_g", "gyr_bias_dps", "timestamp_jitter_s"):
            if getattr(self, name) < 0:
                raise SimulationError(f"{name} must not be negative, got {getattr(self, name)}")
        if not 0.0 <= self.packet_loss < 1.0:
            raise SimulationError(f"packet_loss must be a probability in [0, 1), got {self.packet_loss}")
        if int(self.samples_per_packet) != self.samples_per_packet or self.samples_per_packet < 1:
            raise SimulationError(
                f"samples_per_packet must be a positive integer, got {self.samples_per_packet}"
            )
        if abs(self.clock_drift_ppm) > 10_000:
            raise SimulationError(
                f"clock_drift_ppm of {self.clock_drift_ppm} is not a clock; use |ppm| <= 10000"
            )
        if self.placement not in PLACEMENTS:
            raise SimulationError(f"placement must be one of {', '.join(PLACEMENTS)}, got {self.placement!r}")
        if isinstance(self.mounting, str):
            if self.mounting not in ("lateral", "random"):
                raise SimulationError(
                    "mounting must be 'lateral', 'random' or (roll, pitch, yaw) degrees, "
                    f"got {self.mounting!r}"
                )
        elif len(tuple(self.mounting)) != 3:
            raise SimulationError("mounting as angles must be three numbers: (roll, pitch, yaw) in degrees")

    @property
    def mounting_label(self) -> str:
        if isinstance(self.mounting, str):
            return self.mounting
        r, p, y = (float(v) for v in self.mounting)
        return f"roll={r:g} pitch={p:g} yaw={y:g}"


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def mounting_matrix(mounting: str | tuple[float, float, float], rng: np.random.Generator) -> np.ndarray:
    """Sensor axes expressed in the lateral-mounting frame (columns)."""
    if mounting == "lateral":
        return np.eye(3)
    if mounting == "random":
        # A normalised 4-D Gaussian is a uniformly distributed unit quaternion.
        q = rng.normal(size=4)
        w, x, y, z = q / np.linalg.norm(q)
        return np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
    roll, pitch, yaw = (math.radians(float(v)) for v in mounting)  # type: ignore[union-attr]
    return _rot_z(yaw) @ _rot_y(pitch) @ _rot_x(roll)


def shank_neutral(leg: str) -> np.ndarray:
    """Shank frame (x up the shank, z lateral) in world axes (x forward, y left, z up), standing upright."""
    lateral = np.array([0.0, -1.0, 0.0]) if leg == "right" else np.array([0.0, 1.0, 0.0])
    x_axis = np.array([0.0, 0.0, 1.0])
    y_axis = np.cross(lateral, x_axis)
    return np.column_stack([x_axis, y_axis, lateral])


def world_rotation(theta: np.ndarray, phi: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """``Rz(psi) Ry(theta) Rx(phi)`` for every sample, shape ``(n, 3, 3)``."""
    ct, st = np.cos(theta), np.sin(theta)
    cp, sp = np.cos(phi), np.sin(phi)
    cs, ss = np.cos(psi), np.sin(psi)
    r = np.empty((theta.shape[0], 3, 3))
    r[:, 0, 0] = cs * ct
    r[:, 0, 1] = cs * st * sp - ss * cp
    r[:, 0, 2] = cs * st * cp + ss * sp
    r[:, 1, 0] = ss * ct
    r[:, 1, 1] = ss * st * sp + cs * cp
    r[:, 1, 2] = ss * st * cp - cs * sp
    r[:, 2, 0] = -st
    r[:, 2, 1] = ct * sp
    r[:, 2, 2] = ct * cp
    return r


def pose_on_grid(
    motion: Motion, t: np.ndarray, leg: str, placement: str = Placement.ANKLE
) -> tuple[np.ndarray, np.ndarray]:
    """Sensor position (n, 3) in the world and the rotation (n, 3, 3) of its reference frame at times ``t``.

    On the shank the reference frame is the shank's; on the foot it is the foot's pitch (the heel raise
    about the metatarsal heads ``beta``) and heading applied to the upright frame, so that with the foot
    flat it coincides with the shank's standing frame.
    """
    ch = motion.evaluate(t)
    back, up = ANKLE_FROM_MTP_M
    length = math.hypot(back, up)
    gamma0 = math.atan2(up, back)
    beta = ch[:, 6]
    ankle = ch[:, 0:3].copy()
    ankle[:, 0] += length * (math.cos(gamma0) - np.cos(gamma0 + beta))
    ankle[:, 2] += length * (np.sin(gamma0 + beta) - math.sin(gamma0))
    if placement == Placement.FOOT:
        foot = world_rotation(beta, np.zeros_like(beta), ch[:, 5])
        return ankle + foot @ SHOE_OFFSET_M, foot @ shank_neutral(leg)
    rot = world_rotation(ch[:, 3], ch[:, 4], ch[:, 5]) @ shank_neutral(leg)
    pos = ankle + rot @ SENSOR_OFFSET_M
    return pos, rot


def ideal_signals(
    motion: Motion, t_mid: np.ndarray, dt: float, leg: str, placement: str = Placement.ANKLE
) -> tuple[np.ndarray, np.ndarray]:
    """Specific force (g) and angular rate (deg/s) in the sensor's reference frame at uniform ``t_mid``."""
    t = np.concatenate([[t_mid[0] - dt], t_mid, [t_mid[-1] + dt]])
    pos, rot = pose_on_grid(motion, t, leg, placement)
    acc_w = (pos[2:] - 2.0 * pos[1:-1] + pos[:-2]) / (dt * dt)
    acc_w[:, 2] += STANDARD_GRAVITY_M_S2
    r_mid = rot[1:-1]
    # f = R^T (a - g): column k of R dotted with the acceleration.
    f = np.stack([np.sum(r_mid[:, :, k] * acc_w, axis=1) for k in range(3)], axis=1) / STANDARD_GRAVITY_M_S2
    r_dot = (rot[2:] - rot[:-2]) / (2.0 * dt)

    def omega(i: int, j: int) -> np.ndarray:
        # Element (i, j) of R^T dR/dt, the skew-symmetric angular-rate matrix in the shank frame.
        return np.sum(r_mid[:, :, i] * r_dot[:, :, j], axis=1)

    w = 0.5 * np.stack(
        [omega(2, 1) - omega(1, 2), omega(0, 2) - omega(2, 0), omega(1, 0) - omega(0, 1)],
        axis=1,
    )
    return f, np.degrees(w)


@dataclass(frozen=True)
class SensorRun:
    """The simulated recording and the mapping from true (motion) time to recording time."""

    data: ImuData
    clock_offset_s: float
    drift_factor: float
    first_t_s: float

    def to_recording_time(self, t_true_s: float) -> float:
        """Seconds from the first sample on the sensor clock, for an instant of the motion's time."""
        return self.clock_offset_s + t_true_s * self.drift_factor - self.first_t_s


def run_sensor(
    motion: Motion,
    sensor: SensorParams,
    rng: np.random.Generator,
    *,
    leg: str,
    meta: RecordingMeta,
) -> SensorRun:
    """Sample ``motion`` with ``sensor``; all randomness comes from ``rng`` (same seed, same data).

    Notes
    -----
    The anti-aliasing filter is a 2nd-order Butterworth low-pass at 0.45 x ODR (at most 800 Hz), close to
    the default digital filter of MEMS IMUs, which set their bandwidth to about ODR/2. It is causal, so a
    low ODR delays sharp events by a fraction of a sample period, as a real sensor does.
    """
    fs = float(sensor.sample_rate_hz)
    drift = 1.0 + sensor.clock_drift_ppm * 1e-6
    mount = mounting_matrix(sensor.mounting, rng)
    clock_offset_s = float(rng.uniform(100.0, 5000.0))
    phase_s = float(rng.uniform(0.0, 1.0 / fs))
    # Sensor samples at regular sensor-clock ticks; their true times are stretched by the drift.
    n_samples = math.floor((motion.duration_s * drift - phase_s) * fs) + 1
    tick_s = phase_s + np.arange(n_samples) / fs  # sensor-clock time since clock_offset_s
    t_true = tick_s / drift

    dt = 1.0 / INTERNAL_RATE_HZ
    n_int = math.ceil(motion.duration_s / dt) + 2
    cutoff = min(0.45 * fs, 800.0)
    sos = signal.butter(2, cutoff, fs=INTERNAL_RATE_HZ, output="sos")
    zi = None
    prev: tuple[float, np.ndarray] | None = None
    acc = np.full((n_samples, 3), np.nan)
    gyr = np.full((n_samples, 3), np.nan)
    for start in range(0, n_int, _CHUNK):
        idx = np.arange(start, min(start + _CHUNK, n_int))
        tg = idx * dt
        f, w = ideal_signals(motion, tg, dt, leg, sensor.placement)
        x = np.concatenate([f, w], axis=1) @ np.kron(np.eye(2), mount)
        if zi is None:
            zi = signal.sosfilt_zi(sos)[:, :, None] * x[0][None, None, :]
        y, zi = signal.sosfilt(sos, x, axis=0, zi=zi)
        if prev is not None:
            # Carry the previous chunk's last sample so that sensor samples between chunks interpolate.
            tg = np.concatenate([[prev[0]], tg])
            y = np.concatenate([prev[1][None, :], y])
        prev = (tg[-1], y[-1])
        lo = np.searchsorted(t_true, tg[0], side="left")
        hi = np.searchsorted(t_true, tg[-1], side="right")
        if hi > lo:
            pos = (t_true[lo:hi] - tg[0]) / dt
            i = np.clip(pos.astype(np.int64), 0, len(tg) - 2)
            frac = (pos - i)[:, None]
            ys = y[i] * (1.0 - frac) + y[i + 1] * frac
            acc[lo:hi] = ys[:, 0:3]
            gyr[lo:hi] = ys[:, 3:6]

    if np.isnan(acc).any():
        raise SimulationError("internal error: some sensor samples fell outside the simulated motion")
    acc = acc + rng.normal(0.0, sensor.acc_bias_g, 3) + rng.normal(0.0, sensor.acc_noise_g, acc.shape)
    gyr = gyr + rng.normal(0.0, sensor.gyr_bias_dps, 3) + rng.normal(0.0, sensor.gyr_noise_dps, gyr.shape)
    acc = _adc(acc, sensor.acc_range_g)
    gyr = _adc(gyr, sensor.gyr_range_dps)

    jitter_limit = 0.24 / fs
    if sensor.timestamp_jitter_s > 0:
        if sensor.timestamp_jitter_s > jitter_limit:
            log.warning(
                "timestamp jitter %.3g s limited to +-%.3g s (a quarter period keeps timestamps increasing)",
                sensor.timestamp_jitter_s,
                jitter_limit,
            )
        jitter = np.clip(rng.normal(0.0, sensor.timestamp_jitter_s, n_samples), -jitter_limit, jitter_limit)
    else:
        jitter = np.zeros(n_samples)
    t_s = clock_offset_s + tick_s + jitter

    spp = int(sensor.samples_per_packet)
    packet = np.arange(n_samples) // spp
    n_packets = int(packet[-1]) + 1
    lost = rng.random(n_packets) < sensor.packet_loss
    lost[0] = False  # the recording starts with the first packet that arrived
    keep = ~lost[packet]
    seq = packet % 65536

    t_s, acc, gyr, seq = t_s[keep], acc[keep], gyr[keep], seq[keep]
    gaps = find_gaps(t_s, fs, seq)
    data = ImuData(
        t_s=t_s,
        acc_g=acc,
        gyr_dps=gyr if sensor.with_gyro else None,
        seq=seq,
        gaps=gaps,
        meta=meta.replace(
            sample_rate_hz=fs,
            acc_range_g=float(sensor.acc_range_g),
            gyr_range_dps=float(sensor.gyr_range_dps) if sensor.with_gyro else None,
        ),
    )
    return SensorRun(data=data, clock_offset_s=clock_offset_s, drift_factor=drift, first_t_s=float(t_s[0]))


def _adc(x: np.ndarray, full_scale: float) -> np.ndarray:
    """Saturate at +-full scale and quantise to 16 bits, as the sensor's converter does."""
    lsb = full_scale / 32768.0
    counts = np.clip(np.round(x / lsb), -32768, 32767)
    return counts * lsb
