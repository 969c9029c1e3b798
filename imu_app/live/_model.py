"""The live state a window draws, free of Qt: last contact, counts, timers, the last seconds of signal."""

from __future__ import annotations

import math

import numpy as np

from imu_app.analysis import Contact
from imu_app.live._chunk import Chunk
from imu_app.live._events import (
    ContactDone,
    GapMarked,
    HoldEnded,
    HoldStarted,
    LinkNotice,
    Published,
    RecordingNotice,
    RepDone,
    SetDone,
)
from imu_app.live._health import LinkHealth, LinkReport

__all__ = ["LiveModel", "RingBuffer"]


class RingBuffer:
    """The last ``capacity`` rows of a few float columns, in a preallocated numpy array.

    Appending copies the new rows in (at most two slices); :meth:`view` returns the rows oldest first. A
    plot redraws from it on its own timer, never per packet.
    """

    def __init__(self, capacity: int, n_columns: int) -> None:
        self.capacity = int(capacity)
        self._buf = np.full((self.capacity, n_columns), np.nan)
        self._next = 0
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def append(self, rows: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.float64)
        n = rows.shape[0]
        if n >= self.capacity:
            self._buf[:] = rows[-self.capacity :]
            self._next, self._size = 0, self.capacity
            return
        end = self._next + n
        if end <= self.capacity:
            self._buf[self._next : end] = rows
        else:
            k = self.capacity - self._next
            self._buf[self._next :] = rows[:k]
            self._buf[: n - k] = rows[k:]
        self._next = end % self.capacity
        self._size = min(self.capacity, self._size + n)

    def view(self) -> np.ndarray:
        """The rows, oldest first (a copy)."""
        if self._size < self.capacity:
            return self._buf[: self._size].copy()
        return np.concatenate([self._buf[self._next :], self._buf[: self._next]])


class LiveModel:
    """What the live window shows; subscribe it to a session (``session.subscribe(model)`` and
    ``session.on_samples(model.on_samples)``).

    Parameters
    ----------
    sample_rate_hz
        Nominal rate, to size the ring buffer.
    seconds
        Signal kept for plotting.

    Attributes
    ----------
    signal
        Ring buffer of rows ``t_s, acc x y z (g), gyr x y z (deg/s)`` (gyro NaN without a gyroscope), times
        in s from the session's first sample.
    last_contact
        The latest contact with its metrics.
    contacts, sets, holds, reps, gaps
        Counts so far.
    """

    def __init__(self, sample_rate_hz: float, seconds: float = 10.0) -> None:
        self.signal = RingBuffer(max(1, math.ceil(seconds * sample_rate_hz)), 7)
        self.last_contact: Contact | None = None
        self.last_contact_number = 0
        self.contacts = 0
        self.sets = 0
        self.holds = 0
        self.reps = 0
        self.gaps = 0
        self.now_s = 0.0
        self.hold_started_s: float | None = None
        self.last_event_s: float | None = None
        self.health: LinkHealth | None = None
        self.notices: list[str] = []
        self.recording: str | None = None
        self._t0: float | None = None

    def on_samples(self, chunk: Chunk) -> None:
        if self._t0 is None:
            self._t0 = float(chunk.t_s[0])
        n = len(chunk)
        rows = np.empty((n, 7))
        rows[:, 0] = chunk.t_s - self._t0
        rows[:, 1:4] = chunk.acc_g
        rows[:, 4:7] = np.nan if chunk.gyr_dps is None else chunk.gyr_dps
        self.signal.append(rows)
        self.now_s = float(rows[-1, 0])

    def __call__(self, pub: Published) -> None:
        ev = pub.event
        if isinstance(ev, ContactDone):
            self.contacts += 1
            self.last_contact, self.last_contact_number = ev.contact, ev.number
        elif isinstance(ev, SetDone):
            self.sets += 1
        elif isinstance(ev, HoldStarted):
            self.hold_started_s = ev.t_s
        elif isinstance(ev, HoldEnded):
            self.holds += 1
            self.hold_started_s = None
        elif isinstance(ev, RepDone):
            self.reps += 1
        elif isinstance(ev, GapMarked):
            self.gaps += 1
        elif isinstance(ev, LinkReport):
            self.health = ev.health
            return
        elif isinstance(ev, LinkNotice):
            self.notices = [*self.notices[-19:], ev.message]
            return
        elif isinstance(ev, RecordingNotice):
            self.recording = ev.path if ev.started else None
            if ev.error:
                self.notices = [*self.notices[-19:], ev.error]
            return
        self.last_event_s = ev.t_s

    @property
    def since_last_event_s(self) -> float | None:
        """Rest timer: sample time since the last contact, rep or hold."""
        return None if self.last_event_s is None else self.now_s - self.last_event_s

    @property
    def hold_elapsed_s(self) -> float | None:
        """Time on the foot of the hold under way, once the analysis has seen it start."""
        return None if self.hold_started_s is None else self.now_s - self.hold_started_s
