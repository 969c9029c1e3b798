"""Packets of our profile in, chunks on one session time line out: sequence gaps, clock wraps and restarts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.devices.protocols.native import DataFlags, DataPacket
from imu_app.devices.transport._types import DeviceChunk, DeviceGap, GapReason

__all__ = ["PacketSequencer", "SequencedPacket"]

_SEQ_MODULUS = 1 << 16
_CLOCK_MODULUS_US = 1 << 32


@dataclass(frozen=True)
class SequencedPacket:
    """One packet placed on the session's time line.

    Attributes
    ----------
    chunk
        Its samples, with the gap before them.
    lost_packets
        Sequence numbers skipped just before it.
    lost_samples
        Samples missing just before it, by the time stamps (0 across a restart, where only the host's
        estimate is known: see ``chunk.gap_before``).
    """

    chunk: DeviceChunk
    lost_packets: int = 0
    lost_samples: int = 0


class PacketSequencer:
    """Place each data packet of our profile on one strictly increasing session time line.

    The first packet keeps its sensor time. Within one run of the sensor clock, time stamps are unwrapped
    (the 32-bit microsecond counter wraps every 71.6 min) and a jump of the sequence number or of the time
    stamps is a gap of lost samples. A packet flagged CLOCK_RESET (after START, hence after every reconnect,
    or a CLOCK_RESET command) starts a new run of the clock: it is placed after the previous one by the host
    time that passed between the two notifications, which is the only clock both runs share, and the gap
    across it is marked :attr:`GapReason.RESET`.

    Notes
    -----
    The profile (``firmware_notes/gatt-profile.md``, section 2) guarantees that ``seq`` advances for every
    packet the firmware builds, so a sequence jump always means lost packets; the time stamps say how much
    time they covered, and also reveal samples lost inside the sensor (the OVERRUN flag) with a contiguous
    ``seq``. A packet whose time goes backwards without CLOCK_RESET is a firmware fault; it is treated like
    a restart so that the time line never goes backwards.
    """

    def __init__(self) -> None:
        self._offset_s = 0.0
        self._wraps = 0
        self._last_raw_us: int | None = None
        self._last_seq: int | None = None
        self._last_t_s: float | None = None
        self._last_arrival_s: float | None = None
        self._interval_s = 0.0

    @property
    def last_t_s(self) -> float | None:
        """Session time of the latest sample placed, or ``None`` before the first."""
        return self._last_t_s

    def push(self, packet: DataPacket, arrival_s: float) -> SequencedPacket:
        """Place ``packet`` (arrived at host monotonic time ``arrival_s``) after everything pushed before."""
        block = packet.to_samples()
        interval_s = packet.interval_s
        n = len(block)
        gap: DeviceGap | None = None
        lost_packets = lost_samples = 0
        restart = bool(packet.flags & DataFlags.CLOCK_RESET)
        if self._last_t_s is None:
            self._start_run(packet, 0.0)
        elif not restart:
            t_first = self._session_time(packet)
            expected_seq = (self._last_seq + 1) % _SEQ_MODULUS  # type: ignore[operator]
            lost_packets = (packet.seq - expected_seq) % _SEQ_MODULUS
            if t_first <= self._last_t_s:
                restart = True  # time went backwards without the flag: a firmware fault, see Notes
            else:
                missing = round((t_first - self._last_t_s) / interval_s) - 1
                if missing > 0 or lost_packets:
                    lost_samples = max(missing, 0)
                    gap = DeviceGap(self._last_t_s, t_first, lost_samples, GapReason.LOST)
        if restart and self._last_t_s is not None:
            host_elapsed_s = arrival_s - (self._last_arrival_s or arrival_s)
            t_first = max(
                self._last_t_s + host_elapsed_s - (n - 1) * interval_s,
                self._last_t_s + interval_s,
            )
            self._start_run(packet, t_first - packet.t_first_s)
            missing = max(round((t_first - self._last_t_s) / interval_s) - 1, 0)
            gap = DeviceGap(self._last_t_s, t_first, missing, GapReason.RESET)
        t_first = self._session_time(packet)
        t_s = t_first + np.arange(n) * interval_s
        self._last_raw_us = packet.t_first_us
        self._last_seq = packet.seq
        self._last_t_s = float(t_s[-1])
        self._last_arrival_s = arrival_s
        self._interval_s = interval_s
        chunk = DeviceChunk(
            t_s=t_s,
            acc_g=block.acc_g,
            gyr_dps=block.gyr_dps,
            seq=np.full(n, packet.seq, dtype=np.int64),
            arrival_s=arrival_s,
            gap_before=gap,
        )
        return SequencedPacket(chunk, lost_packets, lost_samples)

    def _start_run(self, packet: DataPacket, offset_s: float) -> None:
        self._offset_s = offset_s
        self._wraps = 0
        self._last_raw_us = packet.t_first_us

    def _session_time(self, packet: DataPacket) -> float:
        raw = packet.t_first_us
        if self._last_raw_us is not None and raw < self._last_raw_us - _CLOCK_MODULUS_US // 2:
            self._wraps += 1
            self._last_raw_us = raw
        return self._offset_s + (self._wraps * _CLOCK_MODULUS_US + raw) * 1e-6
