"""What the transport hands out: found devices, chunks of samples with their gaps, link health, errors."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from imu_app.core.errors import ImuAppError
from imu_app.devices.protocols.native import AccRange, GyroRange, SampleRate
from imu_app.live._chunk import ChunkGap, GapReason

__all__ = [
    "AdapterError",
    "DeviceChunk",
    "DeviceError",
    "DeviceGap",
    "DeviceInfo",
    "FoundDevice",
    "GapReason",
    "LinkHealth",
    "LinkState",
    "ReconnectPolicy",
    "SensorFamily",
    "StreamConfig",
]


class DeviceError(ImuAppError):
    """A sensor could not be found, connected or configured; the message says what to do."""


class AdapterError(DeviceError):
    """The computer's Bluetooth cannot be used (none, off, not permitted): one sentence says what to do."""


class SensorFamily(enum.Enum):
    """Sensor families the scanner recognises (by service UUID or name)."""

    NATIVE = "ankle-imu"
    MOVESENSE = "movesense"
    POLAR = "polar"
    WITMOTION = "witmotion"

    @property
    def recordable(self) -> bool:
        """Whether ``imu-app record`` streams from this family (so far our own profile only)."""
        return self is SensorFamily.NATIVE


@dataclass(frozen=True)
class FoundDevice:
    """One supported sensor seen while scanning.

    Attributes
    ----------
    address
        The address to connect to (a MAC address on Linux and Windows, a UUID on macOS).
    name
        Advertised local name, or ``""`` when none was received.
    rssi_dbm
        Strongest signal strength seen during the scan, dBm.
    family
        Which protocol the device speaks.
    """

    address: str
    name: str
    rssi_dbm: int | None
    family: SensorFamily


@dataclass(frozen=True)
class StreamConfig:
    """What the app asks the sensor for before START (``firmware_notes/gatt-profile.md``, section 3)."""

    rate: SampleRate = SampleRate.HZ_833
    acc_range: AccRange = AccRange.G32
    gyro_range: GyroRange = GyroRange.DPS2000


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a dropped link is re-established.

    Attributes
    ----------
    first_delay_s, max_delay_s, factor
        Exponential backoff between attempts: ``first_delay_s``, then times ``factor`` up to ``max_delay_s``.
        The first attempt is quick because a sensor advertises every 20-30 ms for 30 s after a
        disconnection (the profile, section 1), so most drops are over within a second.
    max_attempts
        Attempts before giving up, ``None`` for as long as the session runs.
    connect_timeout_s
        Time allowed for one connection attempt, including discovery and the START reply.
    """

    first_delay_s: float = 0.2
    max_delay_s: float = 5.0
    factor: float = 2.0
    max_attempts: int | None = None
    connect_timeout_s: float = 20.0

    def delay_s(self, attempt: int) -> float:
        """Wait before attempt ``attempt`` (0-based)."""
        return min(self.max_delay_s, self.first_delay_s * self.factor**attempt)


#: Samples missing just before a chunk, and why: the live pipeline's own gap and reasons, so that a device's
#: chunks carry the gaps the session reads (``reason`` is ``LOST`` or ``RESET`` here).
DeviceGap = ChunkGap


@dataclass(frozen=True, eq=False)
class DeviceChunk:
    """The samples of one notification, on the session's time line.

    Attributes
    ----------
    t_s
        Session time of each sample in s, shape ``(n,)``: the sensor's clock, unwrapped (it wraps every
        2**32 us) and continued across restarts (a reconnect or a clock reset restarts it at 0), so it is
        strictly increasing over the whole session.
    acc_g
        Specific force in g, shape ``(n, 3)``.
    gyr_dps
        Angular rate in deg/s, shape ``(n, 3)``, or ``None`` when the gyroscope is off.
    seq
        The packet's sequence number, repeated for each sample, shape ``(n,)``.
    arrival_s
        Host monotonic time when the notification arrived (``time.monotonic()``).
    gap_before
        Samples missing between the previous chunk and this one, or ``None``.
    """

    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray | None
    seq: np.ndarray
    arrival_s: float
    gap_before: DeviceGap | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


@dataclass(frozen=True)
class DeviceInfo:
    """What the sensor says about itself (Device Information service and the reply to GET_CONFIG)."""

    address: str
    name: str = ""
    manufacturer: str = ""
    model: str = ""
    serial: str = ""
    hardware: str = ""
    firmware: str = ""
    config: StreamConfig = StreamConfig()


class LinkState(enum.Enum):
    """Where the connection stands."""

    IDLE = "idle"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    STALLED = "stalled"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class LinkHealth:
    """A snapshot of the link for the status line and the log.

    Attributes
    ----------
    state
        See :class:`LinkState`.
    message
        One plain sentence for the user about the state ("", while all is well).
    packets, samples
        Received and decoded since the session started.
    lost_packets
        Sequence numbers that never arrived (lost on the link or dropped by the sensor's full queue).
    lost_samples
        Samples missing by the sensor's time stamps (lost packets, FIFO overruns, stalls).
    bad_packets
        Notifications that did not decode (garbage, a packet cut short); each is logged once with its bytes.
    reconnects
        Links re-established after a drop.
    battery_pct
        Last battery level read or notified, or ``None``.
    rssi_dbm
        Signal strength from the scan, or ``None``.
    mtu
        ATT MTU of the current link.
    last_packet_age_s
        Host seconds since the last notification, or ``None`` before the first.
    """

    state: LinkState = LinkState.IDLE
    message: str = ""
    packets: int = 0
    samples: int = 0
    lost_packets: int = 0
    lost_samples: int = 0
    bad_packets: int = 0
    reconnects: int = 0
    battery_pct: int | None = None
    rssi_dbm: int | None = None
    mtu: int | None = None
    last_packet_age_s: float | None = None

    @property
    def battery_low(self) -> bool:
        """Below 15 %, where the profile (section 5) asks the app to warn."""
        return self.battery_pct is not None and self.battery_pct < 15

    def summary(self) -> str:
        """One line for a terminal status display."""
        parts = [self.state.value, f"{self.samples} samples", f"{self.packets} packets"]
        if self.lost_packets or self.lost_samples:
            parts.append(f"lost {self.lost_packets} packets / {self.lost_samples} samples")
        if self.bad_packets:
            parts.append(f"{self.bad_packets} bad packets")
        if self.reconnects:
            parts.append(f"{self.reconnects} reconnects")
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct} %" + (" LOW" if self.battery_low else ""))
        if self.rssi_dbm is not None:
            parts.append(f"{self.rssi_dbm} dBm")
        text = ", ".join(parts)
        return f"{text}: {self.message}" if self.message else text
