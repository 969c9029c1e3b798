"""Which advertising devices are sensors the app knows: by service UUID first, by name second."""

from __future__ import annotations

from imu_app.devices.protocols import movesense, native, polar, witmotion
from imu_app.devices.transport._central import Advert, Central
from imu_app.devices.transport._types import FoundDevice, SensorFamily

__all__ = ["identify", "scan"]

#: Service UUIDs advertised by each family (our profile: section 1 of ``firmware_notes/gatt-profile.md``;
#: the vendors' from their published GATT documentation).
_SERVICES = {
    native.SERVICE_UUID: SensorFamily.NATIVE,
    movesense.SERVICE_UUID: SensorFamily.MOVESENSE,
    polar.SERVICE_UUID: SensorFamily.POLAR,
    witmotion.SERVICE_UUID: SensorFamily.WITMOTION,
}
#: Name prefixes, for devices that do not put their service in the advertisement (many don't: the
#: 31-byte advertising payload is small).
_NAME_PREFIXES = (
    ("AnkleIMU-", SensorFamily.NATIVE),
    ("Movesense", SensorFamily.MOVESENSE),
    ("Polar Sense", SensorFamily.POLAR),
    ("Polar OH1", SensorFamily.POLAR),
    ("Polar Verity", SensorFamily.POLAR),
    ("WT901BLE", SensorFamily.WITMOTION),
)


def identify(advert: Advert) -> SensorFamily | None:
    """The family ``advert`` belongs to, or ``None`` for a device the app does not support."""
    for uuid in advert.service_uuids:
        family = _SERVICES.get(uuid.lower())
        if family is not None:
            return family
    for prefix, family in _NAME_PREFIXES:
        if advert.name.startswith(prefix):
            return family
    return None


async def scan(central: Central, timeout_s: float = 5.0) -> list[FoundDevice]:
    """Supported sensors in range, strongest signal first.

    Raises
    ------
    AdapterError
        The computer's Bluetooth cannot be used; the message says what to do.
    """
    found = []
    for advert in await central.scan(timeout_s):
        family = identify(advert)
        if family is not None:
            found.append(FoundDevice(advert.address, advert.name, advert.rssi_dbm, family))
    found.sort(key=lambda d: (-(d.rssi_dbm if d.rssi_dbm is not None else -1000), d.address))
    return found
