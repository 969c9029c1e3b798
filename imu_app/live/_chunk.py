"""What flows through the live pipeline: chunks of samples, the gaps between them, what a source is."""

from __future__ import annotations

import abc
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import numpy as np

from imu_app.core import ImuAppError, RecordingMeta

__all__ = ["Chunk", "ChunkGap", "GapReason", "Source", "SourceInfo", "SourceStatus"]


class GapReason(enum.Enum):
    """Why samples are missing before a chunk."""

    #: Packets lost on the link (a jump of the sequence number or of the sensor time).
    LOST = "lost"
    #: The sensor's clock started again (a reboot or a reconnect that reset its counter).
    RESET = "reset"
    #: The source marked the gap itself (a gap in a replayed recording).
    SOURCE = "source"


@dataclass(frozen=True)
class ChunkGap:
    """Samples missing just before a chunk.

    Attributes
    ----------
    start_s, end_s
        Session sensor times of the samples either side of the gap.
    n_missing
        Samples missing, from the nominal period (or the sequence numbers).
    reason
        See :class:`GapReason`.
    """

    start_s: float
    end_s: float
    n_missing: int
    reason: GapReason = GapReason.LOST


@dataclass(frozen=True, eq=False)
class Chunk:
    """Consecutive samples as they arrived together (one BLE notification, one block of a replayed file).

    Attributes
    ----------
    t_s
        Sensor time of each sample in s, shape ``(n,)``. From a source: the sensor's own clock, which may
        wrap (see :attr:`SourceInfo.clock_wrap_s`) or restart. After the session's sequencer: the session
        time line, strictly increasing across chunks, with every wrap and restart taken out.
    acc_g
        Specific force in g, shape ``(n, 3)``.
    gyr_dps
        Angular rate in deg/s, shape ``(n, 3)``, or ``None`` for accelerometer-only sensors.
    seq
        Packet sequence number of each sample (samples of one packet share it), or ``None``.
    arrival_s
        Host time (monotonic clock, s) at which the chunk arrived; it stamps the chunk's last sample.
    gap_before
        Samples missing between the previous chunk and this one, or ``None``.
    """

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    seq: np.ndarray | None
    arrival_s: float
    gap_before: ChunkGap | None = None

    def __post_init__(self) -> None:
        t = np.atleast_1d(np.asarray(self.t_s, dtype=np.float64))
        n = t.shape[0]
        acc = np.asarray(self.acc_g, dtype=np.float64).reshape(n, 3)
        object.__setattr__(self, "t_s", t)
        object.__setattr__(self, "acc_g", acc)
        if self.gyr_dps is not None:
            object.__setattr__(self, "gyr_dps", np.asarray(self.gyr_dps, dtype=np.float64).reshape(n, 3))
        if self.seq is not None:
            seq = np.atleast_1d(np.asarray(self.seq, dtype=np.int64))
            if seq.shape != (n,):
                raise ImuAppError(f"a chunk of {n} samples needs {n} sequence numbers, got {seq.shape[0]}")
            object.__setattr__(self, "seq", seq)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def take(self, start: int, stop: int, *, gap_before: ChunkGap | None = None) -> Chunk:
        """Samples ``start:stop`` as a chunk of their own (same arrival time)."""
        return Chunk(
            t_s=self.t_s[start:stop],
            acc_g=self.acc_g[start:stop],
            gyr_dps=None if self.gyr_dps is None else self.gyr_dps[start:stop],
            seq=None if self.seq is None else self.seq[start:stop],
            arrival_s=self.arrival_s,
            gap_before=gap_before,
        )

    def shifted(self, offset_s: float, *, gap_before: ChunkGap | None) -> Chunk:
        """The chunk with ``offset_s`` added to its times."""
        return Chunk(
            t_s=self.t_s + offset_s,
            acc_g=self.acc_g,
            gyr_dps=self.gyr_dps,
            seq=self.seq,
            arrival_s=self.arrival_s,
            gap_before=gap_before,
        )


@dataclass(frozen=True)
class SourceInfo:
    """What a source tells the session before its first chunk.

    Attributes
    ----------
    name
        For messages ("pogo_hops.csv", a device's address).
    sample_rate_hz
        Nominal sample rate.
    has_gyro
        Whether chunks carry angular rate.
    meta
        Metadata of the recording the session writes (device, firmware, ranges, exercise, ...).
    realtime
        True for sources that deliver as the sensor measures (a device, a paced replay): the session never
        makes them wait. False for a replay as fast as possible, which waits while the session catches up.
    clock_wrap_s
        Period after which the sensor's time counter wraps to zero (e.g. 2**16 ticks of 1 ms: 65.536 s), or
        ``None`` when it does not wrap within a session.
    seq_modulus
        Sequence numbers count modulo this (16 bits on our firmware).
    """

    name: str
    sample_rate_hz: float
    has_gyro: bool = True
    meta: RecordingMeta = field(default_factory=RecordingMeta)
    realtime: bool = True
    clock_wrap_s: float | None = None
    seq_modulus: int = 65536


@dataclass(frozen=True)
class SourceStatus:
    """What a source that holds a connection says about it (a Bluetooth sensor; a file has nothing to say).

    Attributes
    ----------
    state
        One word for where the connection stands ("streaming", "reconnecting", "stalled", ...).
    message
        One plain sentence for the user about that state, ``""`` while all is well.
    battery_percent
        The sensor's battery level, or ``None`` when unknown.
    rssi_dbm
        Signal strength, or ``None`` when unknown.
    """

    state: str
    message: str = ""
    battery_percent: int | None = None
    rssi_dbm: int | None = None


class Source(abc.ABC):
    """A stream of chunks from one sensor.

    Subclasses set :attr:`info` before :meth:`chunks` is called and yield chunks in the order they arrive;
    they stamp each with its host arrival time. A Bluetooth source counts its reconnections in
    :attr:`reconnects`; the iterator ends when the sensor is gone for good or the session stops it.
    """

    info: SourceInfo
    #: Times the link to the sensor was lost and made again.
    reconnects: int = 0

    @abc.abstractmethod
    def chunks(self) -> AsyncIterator[Chunk]:
        """The chunks, as they arrive."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most sources hold nothing
        """Release what the source holds (a connection); called once when the session ends."""

    def request_end(self) -> bool:
        """Ask the source to end :meth:`chunks` after what has already arrived; ``True`` if it will.

        A sensor stops streaming, disconnects and then ends its iterator, so that everything that reached
        the host is recorded and analysed. A source that returns ``False`` (the default) is cancelled.
        """
        return False

    def status(self) -> SourceStatus | None:
        """The connection's state, battery and signal, or ``None`` for a source without a connection."""
        return None

    def status_changes(self) -> list[SourceStatus]:
        """The states the connection went through since the last call, oldest first (for notices: a
        reconnection that took less than the session's tick is still told). By default the current one."""
        status = self.status()
        return [] if status is None else [status]
