"""Bluetooth LE transport: scan for supported sensors, connect, stream, reconnect.

- :class:`BleakCentral`: the app's central, on the operating system's stack through bleak.
- :class:`BumbleCentral`: a central on a controller bumble drives itself (a USB dongle; the virtual link
  of :mod:`imu_app.sim`, on which the tests run the emulated sensor).
- :func:`scan`: supported sensors in range, with their signal strength.
- :class:`NativeSensor`: one sensor of our profile as an async stream of :class:`DeviceChunk`, with
  reconnection, gap marking and :class:`LinkHealth`.
- :class:`SensorSource`: a :class:`NativeSensor` as a :class:`imu_app.live.Source`, so a sensor streams
  through the live session (recorder, analysis, link health) like a replay.

Only this package imports bleak (import-linter checks it).
"""

from imu_app.devices.transport._bleak import BleakCentral, adapter_error
from imu_app.devices.transport._bumble import BumbleCentral
from imu_app.devices.transport._central import Advert, Central, Link
from imu_app.devices.transport._scan import identify, scan
from imu_app.devices.transport._sensor import NativeSensor
from imu_app.devices.transport._sequencer import PacketSequencer, SequencedPacket
from imu_app.devices.transport._source import SensorSource, to_live_chunk
from imu_app.devices.transport._types import (
    AdapterError,
    DeviceChunk,
    DeviceError,
    DeviceGap,
    DeviceInfo,
    FoundDevice,
    GapReason,
    LinkHealth,
    LinkState,
    ReconnectPolicy,
    SensorFamily,
    StreamConfig,
)

__all__ = [
    "AdapterError",
    "Advert",
    "BleakCentral",
    "BumbleCentral",
    "Central",
    "DeviceChunk",
    "DeviceError",
    "DeviceGap",
    "DeviceInfo",
    "FoundDevice",
    "GapReason",
    "Link",
    "LinkHealth",
    "LinkState",
    "NativeSensor",
    "PacketSequencer",
    "ReconnectPolicy",
    "SensorFamily",
    "SensorSource",
    "SequencedPacket",
    "StreamConfig",
    "adapter_error",
    "identify",
    "scan",
    "to_live_chunk",
]
