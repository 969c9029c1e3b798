"""The data every part of the app passes around: :class:`ImuData` and its metadata."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from imu_app.core.errors import ImuAppError

__all__ = ["Gap", "ImuData", "RecordingMeta", "find_gaps"]


@dataclass(frozen=True)
class RecordingMeta:
    """What is known about a recording besides its samples. Every field may be unknown (``None``)."""

    device: str | None = None
    firmware: str | None = None
    sample_rate_hz: float | None = None
    acc_range_g: float | None = None
    gyr_range_dps: float | None = None
    placement: str | None = None
    leg: str | None = None
    athlete: str | None = None
    exercise: str | None = None
    start_time: str | None = None
    source_format: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def replace(self, **changes: object) -> RecordingMeta:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Gap:
    """Samples that should be there and are not, between samples ``before_idx`` and ``before_idx + 1``.

    Attributes
    ----------
    before_idx
        Index of the last sample before the gap.
    start_s, end_s
        Sensor times of the samples either side of the gap.
    n_missing
        Number of samples missing, estimated from the nominal sample period (or from sequence numbers).
    """

    before_idx: int
    start_s: float
    end_s: float
    n_missing: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, eq=False)
class ImuData:
    """Samples of one inertial sensor, ordered by sensor time.

    Attributes
    ----------
    t_s
        Sample times in seconds on the sensor clock, strictly increasing, kept as recorded (never assumed
        uniform). ``float64``, shape ``(n,)``.
    acc_g
        Specific force in g, shape ``(n, 3)``, sensor axes.
    gyr_dps
        Angular rate in deg/s, shape ``(n, 3)``, or ``None`` for accelerometer-only sensors.
    seq
        Packet sequence number of each sample (several samples may share one), or ``None``.
    gaps
        Where samples are missing (lost packets, a dropped link). Analyses never invent events across one.
    meta
        Recording metadata; ``meta.sample_rate_hz`` is the nominal rate.
    warnings
        Things a user should know about how the data was read (reconstructed timestamps, a truncated last
        line); they are carried into the analysis report.
    """

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None = None
    seq: np.ndarray | None = None
    gaps: tuple[Gap, ...] = ()
    meta: RecordingMeta = field(default_factory=RecordingMeta)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=np.float64)
        acc = np.asarray(self.acc_g, dtype=np.float64)
        n = t.shape[0]
        if t.ndim != 1:
            raise ImuAppError(f"t_s must be one-dimensional, got shape {t.shape}")
        if acc.shape != (n, 3):
            raise ImuAppError(f"acc_g must have shape ({n}, 3), got {acc.shape}")
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "acc_g", acc)
        if self.gyr_dps is not None:
            gyr = np.asarray(self.gyr_dps, dtype=np.float64)
            if gyr.shape != (n, 3):
                raise ImuAppError(f"gyr_dps must have shape ({n}, 3), got {gyr.shape}")
            object.__setattr__(self, "gyr_dps", gyr)
        if self.seq is not None:
            seq = np.asarray(self.seq, dtype=np.int64)
            if seq.shape != (n,):
                raise ImuAppError(f"seq must have shape ({n},), got {seq.shape}")
            object.__setattr__(self, "seq", seq)
        if n > 1 and not np.all(np.diff(t) > 0):
            raise ImuAppError("t_s must be strictly increasing")
        object.__setattr__(self, "gaps", tuple(self.gaps))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def has_gyro(self) -> bool:
        return self.gyr_dps is not None

    @property
    def duration_s(self) -> float:
        return float(self.t_s[-1] - self.t_s[0]) if len(self) else 0.0

    @property
    def sample_rate_hz(self) -> float:
        """Nominal sample rate: from the metadata, else from the median sample period."""
        if self.meta.sample_rate_hz:
            return float(self.meta.sample_rate_hz)
        if len(self) < 2:
            raise ImuAppError("cannot tell the sample rate of a recording with fewer than two samples")
        return float(1.0 / np.median(np.diff(self.t_s)))

    def slice(self, start_idx: int, stop_idx: int) -> ImuData:
        """Samples ``start_idx:stop_idx`` with the gaps that fall inside them (indices re-based)."""
        gaps = tuple(
            dataclasses.replace(g, before_idx=g.before_idx - start_idx)
            for g in self.gaps
            if start_idx <= g.before_idx < stop_idx - 1
        )
        return dataclasses.replace(
            self,
            t_s=self.t_s[start_idx:stop_idx],
            acc_g=self.acc_g[start_idx:stop_idx],
            gyr_dps=None if self.gyr_dps is None else self.gyr_dps[start_idx:stop_idx],
            seq=None if self.seq is None else self.seq[start_idx:stop_idx],
            gaps=gaps,
        )

    def with_warnings(self, *warnings: str) -> ImuData:
        return dataclasses.replace(self, warnings=(*self.warnings, *warnings))


#: A step longer than this many nominal periods is a gap. Timestamp jitter of BLE sensors stays well below
#: half a period; a single lost sample doubles the step, so 1.5 separates the two.
GAP_FACTOR = 1.5


def find_gaps(t_s: np.ndarray, sample_rate_hz: float, seq: np.ndarray | None = None) -> tuple[Gap, ...]:
    """Find missing samples from the time steps (and packet sequence numbers, when given).

    A gap is a step longer than ``GAP_FACTOR`` nominal periods, or a jump of more than one in the packet
    sequence number (sequence numbers wrap at 16 bits on our firmware, so a step of ``-65535`` is normal).
    """
    t = np.asarray(t_s, dtype=np.float64)
    if t.size < 2 or not sample_rate_hz or sample_rate_hz <= 0:
        return ()
    period_s = 1.0 / sample_rate_hz
    dt = np.diff(t)
    is_gap = dt > GAP_FACTOR * period_s
    if seq is not None and len(seq) == len(t):
        dseq = np.diff(np.asarray(seq, dtype=np.int64)) % 65536
        is_gap |= dseq > 1
    idx = np.flatnonzero(is_gap)
    return tuple(
        Gap(
            before_idx=int(i),
            start_s=float(t[i]),
            end_s=float(t[i + 1]),
            n_missing=max(round(dt[i] / period_s) - 1, 0),
        )
        for i in idx
    )
