"""Host clocks, and the mapping of the sensor's clock onto the host's.

A cheap sensor counts time with a crystal that is off by tens of ppm (50 ppm is 180 ms an hour) and its
samples reach the host after a latency that jitters by tens of milliseconds (Bluetooth LE delivers at
connection events, 7.5-50 ms apart, and retransmits). Neither clock alone says when a sample was measured on
the host's time line; together they do: a sample cannot arrive before it was measured plus the shortest
transport delay, so the earliest arrivals trace a straight line (the *lower envelope*) whose slope is the
ratio of the two clock rates and whose offset is that shortest delay.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Clock", "ClockMapper", "ClockMapperParams", "ClockMapping", "FakeClock", "MonotonicClock"]


class Clock(Protocol):
    """Where the pipeline reads host time and waits: the monotonic clock, or a fake one in tests."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The host's monotonic clock (``time.monotonic``) and ``asyncio.sleep``."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when slept on: ``sleep(d)`` advances it by ``d`` at once.

    With it a paced replay runs as fast as the machine allows while every time stamp, pace and latency is
    the one a real-time run would have, so tests never depend on the speed of the machine.
    """

    def __init__(self, start_s: float = 1000.0) -> None:
        self._now = float(start_s)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(0.0, float(seconds))

    async def sleep(self, seconds: float) -> None:
        self.advance(seconds)
        await asyncio.sleep(0)


@dataclass(frozen=True)
class ClockMapperParams:
    """Parameters of :class:`ClockMapper`.

    Attributes
    ----------
    window_s
        Sensor time over which the line is fitted. Long enough that the slope (the drift) is fitted to a
        fraction of a ppm from the arrival floor, short enough to follow a crystal's drift as it warms up
        (a few ppm over minutes): two minutes.
    bin_s
        The earliest arrival of each bin of this much sensor time is one point of the lower envelope. With
        a packet every 10-50 ms a 1-s bin holds 20-100 arrivals, of which the earliest lies within a
        fraction of a millisecond of the floor even with 20 ms of jitter.
    outlier_ms
        Bins whose earliest arrival lies this far above the fitted line (a stall, a burst of
        retransmissions delays a whole bin) are left out of the fit.
    """

    window_s: float = 120.0
    bin_s: float = 1.0
    outlier_ms: float = 5.0


@dataclass(frozen=True)
class ClockMapping:
    """The current line: ``host_s = offset_s + rate * (t_s - t_ref_s)``.

    Attributes
    ----------
    rate
        Host seconds per sensor second (1 + drift).
    residual_ms
        RMS distance of the envelope points from the line, in ms: how well the line holds.
    n_points
        Envelope points the line rests on (0: no arrival yet, 1: offset only, rate assumed 1).
    """

    t_ref_s: float
    offset_s: float
    rate: float
    residual_ms: float
    n_points: int

    @property
    def drift_ppm(self) -> float:
        return (self.rate - 1.0) * 1e6

    def to_host(self, t_s: float | np.ndarray) -> float | np.ndarray:
        return self.offset_s + self.rate * (np.asarray(t_s, dtype=np.float64) - self.t_ref_s)


class ClockMapper:
    """Sensor time to host time: a line fitted to the lower envelope of arrival times.

    Feed it each chunk's last sample time (on the session's unwrapped time line) and arrival time; ask it
    for :attr:`mapping`. After a sensor restart the session calls :meth:`restart`, since the old line says
    nothing about the new clock.

    Notes
    -----
    Each bin of ``bin_s`` sensor seconds keeps its earliest arrival, ``arrival - t`` being smallest. The
    line is a least-squares fit through those points over the last ``window_s``, refitted without the
    points more than ``outlier_ms`` above it. This is the lower-envelope method of network clock
    synchronisation [1]_ in its simplest robust form; a linear program for the exact envelope [2]_ gives the
    same line within the noise of the minima and costs more.

    References
    ----------
    .. [1] Paxson, V. (1998). On calibrating measurements of packet transit times. ACM SIGMETRICS
       Performance Evaluation Review, 26(1), 11-21. https://doi.org/10.1145/277858.277865
    .. [2] Moon, S. B., Skelly, P., & Towsley, D. (1999). Estimation and removal of clock skew from network
       delay measurements. IEEE INFOCOM '99, 227-234. https://doi.org/10.1109/INFCOM.1999.749287
    """

    def __init__(self, params: ClockMapperParams | None = None) -> None:
        self.params = params or ClockMapperParams()
        self.restarts = 0
        self.restart()
        self.restarts = 0

    def restart(self) -> None:
        """Forget every point: the sensor's clock started again."""
        self._bins: deque[tuple[float, float]] = deque()  # (t_s, arrival_s - t_s) of finished bins
        self._bin: int | None = None
        self._cur: tuple[float, float] | None = None
        self._mapping = ClockMapping(0.0, 0.0, 1.0, math.nan, 0)
        self.restarts += 1

    @property
    def mapping(self) -> ClockMapping:
        return self._mapping

    def update(self, t_s: float, arrival_s: float) -> None:
        """Add one arrival: the sample at sensor time ``t_s`` reached the host at ``arrival_s``."""
        p = self.params
        b = math.floor(t_s / p.bin_s)
        d = arrival_s - t_s
        if self._bin is None or b != self._bin:
            if self._cur is not None:
                self._bins.append(self._cur)
                while self._bins and self._bins[0][0] < t_s - p.window_s:
                    self._bins.popleft()
            self._bin, self._cur = b, (t_s, d)
            self._fit()
        elif d < self._cur[1]:
            self._cur = (t_s, d)
            if len(self._bins) < 2:
                self._fit()

    def _fit(self) -> None:
        pts = list(self._bins)
        if self._cur is not None:
            pts.append(self._cur)
        if not pts:
            return
        t = np.array([q[0] for q in pts])
        d = np.array([q[1] for q in pts])
        t_ref = float(t[-1])
        if t.size < 3:
            self._mapping = ClockMapping(t_ref, t_ref + float(d.min()), 1.0, math.nan, t.size)
            return
        keep = np.ones(t.size, dtype=bool)
        slope = icpt = 0.0
        for _ in range(3):
            x = t[keep] - t_ref
            slope, icpt = np.polyfit(x, d[keep], 1)
            resid = d - (icpt + slope * (t - t_ref))
            new_keep = resid <= self.params.outlier_ms / 1000.0
            if new_keep.sum() < 3 or (new_keep == keep).all():
                break
            keep = new_keep
        resid = d[keep] - (icpt + slope * (t[keep] - t_ref))
        rms_ms = float(np.sqrt(np.mean(resid**2)) * 1000.0)
        # host = t + d(t) = t_ref + icpt + (1 + slope) (t - t_ref)
        self._mapping = ClockMapping(t_ref, t_ref + float(icpt), 1.0 + float(slope), rms_ms, int(keep.sum()))
