"""The central the app uses: bleak, on the operating system's stack (BlueZ, CoreBluetooth, WinRT)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import warnings
from collections.abc import Callable

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError

from imu_app.devices.transport._central import Advert, Central, Link, NotifyCallback
from imu_app.devices.transport._types import AdapterError, DeviceError

__all__ = ["BleakCentral", "adapter_error"]

log = logging.getLogger(__name__)

_ADVICE = {
    BleakBluetoothNotAvailableReason.NO_BLUETOOTH: (
        "This computer has no Bluetooth adapter: plug in a Bluetooth 5 USB dongle and try again."
    ),
    BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE: (
        "This computer's Bluetooth adapter cannot connect to Bluetooth LE sensors: use a Bluetooth 5 dongle."
    ),
    BleakBluetoothNotAvailableReason.POWERED_OFF: (
        "Bluetooth is switched off: switch it on (system settings, or 'bluetoothctl power on') and try again."
    ),
    BleakBluetoothNotAvailableReason.DENIED_BY_USER: (
        "imu-app may not use Bluetooth: allow it in the system's privacy settings and try again."
    ),
    BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM: (
        "The system does not allow imu-app to use Bluetooth: ask the administrator to allow it."
    ),
}
_NO_STACK = "The Bluetooth service is not running: start it ('sudo systemctl start bluetooth') and try again."
_DENIED = "imu-app may not use Bluetooth: add your user to the 'bluetooth' group, log in again and retry."
_NO_ADAPTER = "No Bluetooth adapter was found: plug in a Bluetooth 5 USB dongle or switch Bluetooth on."


def adapter_error(exc: BaseException) -> AdapterError | None:
    """The plain sentence for an exception that means the adapter cannot be used, or ``None``."""
    if isinstance(exc, BleakBluetoothNotAvailableError):
        return AdapterError(_ADVICE.get(exc.reason, _NO_ADAPTER))
    text = str(exc)
    if isinstance(exc, PermissionError) or "NotPermitted" in text or "AccessDenied" in text:
        return AdapterError(_DENIED)
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.ECONNREFUSED)
    ):
        return AdapterError(_NO_STACK)
    if "org.bluez" in text and ("ServiceUnknown" in text or "was not provided" in text):
        return AdapterError(_NO_STACK)
    if "No Bluetooth adapters found" in text or ("adapter" in text.lower() and "not found" in text.lower()):
        return AdapterError(_NO_ADAPTER)
    if "NotReady" in text or "powered off" in text.lower():
        return AdapterError(_ADVICE[BleakBluetoothNotAvailableReason.POWERED_OFF])
    return None


def _translated(exc: BaseException, what: str) -> Exception:
    return adapter_error(exc) or DeviceError(f"{what}: {exc}")


class _BleakLink(Link):
    def __init__(self, address: str, client: BleakClient) -> None:
        self.address = address
        self.client = client
        self._closing = False

    @property
    def mtu(self) -> int:
        # BlueZ negotiates the MTU by itself (517 with BlueZ 5.66) and shows it on every characteristic;
        # bleak's mtu_size reports 23 unless asked to acquire a characteristic, which the app avoids.
        for service in self.client.services:
            for char in service.characteristics:
                props = getattr(char, "obj", None)
                if isinstance(props, tuple) and len(props) == 2 and isinstance(props[1], dict):
                    mtu = props[1].get("MTU")
                    if mtu:
                        return int(mtu)
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bleak warns that it reports the default of 23 here
            return int(self.client.mtu_size)
        return 23

    @property
    def is_connected(self) -> bool:
        return bool(self.client.is_connected)

    def has_characteristic(self, uuid: str) -> bool:
        return self.client.services.get_characteristic(uuid) is not None

    async def subscribe(self, uuid: str, callback: NotifyCallback) -> None:
        try:
            await self.client.start_notify(uuid, lambda _char, data: callback(bytes(data)))
        except BleakError as exc:
            raise _translated(exc, f"{self.address}: could not subscribe to {uuid}") from None

    async def write(self, uuid: str, data: bytes) -> None:
        try:
            await self.client.write_gatt_char(uuid, data, response=True)
        except BleakError as exc:
            raise _translated(exc, f"{self.address}: write failed") from None

    async def read(self, uuid: str) -> bytes:
        try:
            return bytes(await self.client.read_gatt_char(uuid))
        except BleakError as exc:
            raise _translated(exc, f"{self.address}: read failed") from None

    async def disconnect(self) -> None:
        self._closing = True
        with contextlib.suppress(BleakError, asyncio.TimeoutError, EOFError):
            await self.client.disconnect()


class BleakCentral(Central):
    """A central on bleak; every stack error that means "Bluetooth is unusable" becomes an AdapterError.

    Parameters
    ----------
    adapter
        The adapter to use on Linux (``"hci0"``); ``None`` for the system's default.
    """

    def __init__(self, adapter: str | None = None) -> None:
        self.adapter = adapter
        self._seen: dict[str, BLEDevice] = {}

    def _kwargs(self) -> dict[str, object]:
        return {"bluez": {"adapter": self.adapter}} if self.adapter else {}

    async def scan(self, timeout_s: float) -> list[Advert]:
        try:
            found = await BleakScanner.discover(timeout=timeout_s, return_adv=True, **self._kwargs())
        except (BleakError, OSError) as exc:
            raise _translated(exc, "scan failed") from None
        adverts = []
        for device, adv in found.values():
            self._seen[device.address] = device
            adverts.append(_advert(device, adv))
        return adverts

    async def connect(self, address: str, on_disconnect: Callable[[], None], timeout_s: float) -> Link:
        link: _BleakLink | None = None

        def disconnected(_client: BleakClient) -> None:
            if link is not None and not link._closing:
                on_disconnect()

        target = self._seen.get(address) or address
        client = BleakClient(target, disconnected_callback=disconnected, timeout=timeout_s, **self._kwargs())
        link = _BleakLink(address, client)
        try:
            await client.connect()
        except (BleakError, OSError, TimeoutError) as exc:
            self._seen.pop(address, None)  # BlueZ may have forgotten it: find it by address next time
            with contextlib.suppress(Exception):
                await client.disconnect()
            if isinstance(exc, TimeoutError):
                raise DeviceError(f"{address} did not answer within {timeout_s:g} s") from None
            raise _translated(exc, f"could not connect to {address}") from None
        return link


def _advert(device: BLEDevice, adv: AdvertisementData) -> Advert:
    return Advert(
        address=device.address,
        name=adv.local_name or device.name or "",
        rssi_dbm=adv.rssi,
        service_uuids=frozenset(u.lower() for u in adv.service_uuids),
    )
