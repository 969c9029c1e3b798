"""Pure Bluetooth LE packet decoders, one module per sensor family, one frozen dataclass per packet type.

Every packet type has ``from_bytes`` (a classmethod) and ``__bytes__``, built on :mod:`struct`; anything
malformed raises :class:`imu_app.core.errors.ProtocolError` and nothing else. Decoded samples come out as a
:class:`SampleBlock` in the app's units (s, g, deg/s). This package imports only :mod:`imu_app.core`,
numpy and the standard library, so the simulator's emulated sensor can speak the same protocols.

- :mod:`~imu_app.devices.protocols.native`: our open profile (``firmware_notes/gatt-profile.md``).
- :mod:`~imu_app.devices.protocols.movesense`: Movesense GATT SensorData Protocol, IMU6.
- :mod:`~imu_app.devices.protocols.polar`: Polar Measurement Data service (Verity Sense, OH1).
- :mod:`~imu_app.devices.protocols.witmotion`: WitMotion BWT901BLE.
"""

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols import movesense, native, polar, witmotion
from imu_app.devices.protocols._common import SampleBlock
from imu_app.devices.protocols.movesense import GspCommand, GspNotification, Imu6Data
from imu_app.devices.protocols.native import ControlCommand, ControlReply, DataPacket
from imu_app.devices.protocols.polar import (
    PmdControlPointCommand,
    PmdControlPointResponse,
    PmdDataFrame,
    PmdFeatures,
    PmdSettings,
)
from imu_app.devices.protocols.witmotion import WitCommand, WitDataPacket, WitRegisterReply

__all__ = [
    "ControlCommand",
    "ControlReply",
    "DataPacket",
    "GspCommand",
    "GspNotification",
    "Imu6Data",
    "PmdControlPointCommand",
    "PmdControlPointResponse",
    "PmdDataFrame",
    "PmdFeatures",
    "PmdSettings",
    "ProtocolError",
    "SampleBlock",
    "WitCommand",
    "WitDataPacket",
    "WitRegisterReply",
    "movesense",
    "native",
    "polar",
    "witmotion",
]
