"""A central on bumble: the app drives a controller itself (a USB dongle, an HCI socket, or the
in-process virtual link of :mod:`imu_app.sim`), with no operating-system Bluetooth stack in between."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bumble import core, hci
from bumble.core import AdvertisingData
from bumble.device import Advertisement, Connection, Device, Peer
from bumble.gatt_client import CharacteristicProxy

from imu_app.devices.transport._central import Advert, Central, Link, NotifyCallback
from imu_app.devices.transport._types import DeviceError

__all__ = ["BumbleCentral"]

log = logging.getLogger(__name__)

#: What the app asks for; the profile needs at least 185 and its packets are sized for 247.
REQUESTED_MTU = 247


def _full_uuid(uuid: core.UUID) -> str:
    """A UUID as the 36-character lower-case string bleak uses (16- and 32-bit ones on the base UUID)."""
    return str(core.UUID.from_bytes(uuid.to_bytes(force_128=True))).lower()


def _advert_fields(advertisement: Advertisement) -> tuple[str, frozenset[str]]:
    data = advertisement.data
    name = ""
    for kind in (AdvertisingData.COMPLETE_LOCAL_NAME, AdvertisingData.SHORTENED_LOCAL_NAME):
        value = data.get(kind)
        if value:
            name = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            break
    uuids: set[str] = set()
    for kind in (
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS,
    ):
        for uuid in data.get(kind) or ():
            uuids.add(_full_uuid(uuid))
    return name, frozenset(uuids)


class _BumbleLink(Link):
    def __init__(self, address: str, connection: Connection, peer: Peer) -> None:
        self.address = address
        self._connection = connection
        self._peer = peer
        self._closing = False
        self._connected = True

    @property
    def mtu(self) -> int:
        return int(self._connection.att_mtu)

    @property
    def is_connected(self) -> bool:
        return self._connected

    def _characteristic(self, uuid: str) -> CharacteristicProxy:
        found = self._peer.get_characteristics_by_uuid(core.UUID(uuid))
        if not found:
            raise DeviceError(f"{self.address} has no characteristic {uuid}: it does not speak this profile")
        return found[0]

    def has_characteristic(self, uuid: str) -> bool:
        return bool(self._peer.get_characteristics_by_uuid(core.UUID(uuid)))

    async def subscribe(self, uuid: str, callback: NotifyCallback) -> None:
        await self._peer.subscribe(self._characteristic(uuid), callback)

    async def write(self, uuid: str, data: bytes) -> None:
        await self._peer.write_value(self._characteristic(uuid), data, with_response=True)

    async def read(self, uuid: str) -> bytes:
        return bytes(await self._peer.read_value(self._characteristic(uuid)))

    async def disconnect(self) -> None:
        if not self._connected:
            return
        self._closing = True
        with contextlib.suppress(core.BaseBumbleError, asyncio.TimeoutError, hci.HCI_Error):
            await self._connection.disconnect()


class BumbleCentral(Central):
    """A central on a bumble :class:`~bumble.device.Device` (powered on by :meth:`open`).

    Parameters
    ----------
    device
        The bumble device acting as central; its host talks to a controller over any bumble transport.
    """

    def __init__(self, device: Device) -> None:
        self.device = device
        self._lock = asyncio.Lock()  # bumble allows one pending LE connection at a time

    @classmethod
    async def open(cls, device: Device) -> BumbleCentral:
        await device.power_on()
        return cls(device)

    async def scan(self, timeout_s: float) -> list[Advert]:
        seen: dict[str, Advert] = {}

        def on_advertisement(advertisement: Advertisement) -> None:
            if not advertisement.is_connectable and not advertisement.is_scan_response:
                return
            address = advertisement.address.to_string(with_type_qualifier=True)
            name, uuids = _advert_fields(advertisement)
            rssi = advertisement.rssi
            rssi = None if rssi == Advertisement.RSSI_NOT_AVAILABLE else int(rssi)
            old = seen.get(address)
            if old is not None:
                name = name or old.name
                uuids = uuids | old.service_uuids
                if old.rssi_dbm is not None and (rssi is None or old.rssi_dbm > rssi):
                    rssi = old.rssi_dbm
            seen[address] = Advert(address, name, rssi, uuids)

        self.device.on(Device.EVENT_ADVERTISEMENT, on_advertisement)
        try:
            await self.device.start_scanning(active=True, filter_duplicates=False)
            await asyncio.sleep(timeout_s)
        finally:
            with contextlib.suppress(Exception):
                await self.device.stop_scanning()
            self.device.remove_listener(Device.EVENT_ADVERTISEMENT, on_advertisement)
        return list(seen.values())

    async def connect(self, address: str, on_disconnect: Callable[[], None], timeout_s: float) -> Link:
        async with self._lock:
            try:
                # The outer limit guards against a controller that never completes a cancelled attempt.
                async with asyncio.timeout(timeout_s + 5.0):
                    connection = await self.device.connect(address, timeout=timeout_s)
            except (TimeoutError, core.TimeoutError):
                raise DeviceError(f"{address} did not answer within {timeout_s:g} s") from None
            except (core.BaseBumbleError, hci.HCI_Error) as exc:
                raise DeviceError(f"could not connect to {address}: {exc}") from None
        peer = Peer(connection)
        link = _BumbleLink(address, connection, peer)

        def on_disconnection(_reason: int) -> None:
            link._connected = False
            if not link._closing:
                on_disconnect()

        connection.on(Connection.EVENT_DISCONNECTION, on_disconnection)
        try:
            async with asyncio.timeout(timeout_s):
                await peer.request_mtu(REQUESTED_MTU)
                await peer.discover_services()
                for service in peer.services:
                    await peer.discover_characteristics(service=service)
                    for characteristic in service.characteristics:
                        await peer.discover_descriptors(characteristic=characteristic)
        except (TimeoutError, core.BaseBumbleError, hci.HCI_Error) as exc:
            await link.disconnect()
            raise DeviceError(f"{address}: service discovery failed ({exc or 'timed out'})") from None
        return link

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.device.stop_scanning()
