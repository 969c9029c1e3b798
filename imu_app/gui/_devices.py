"""The window's :class:`~imu_app.gui._stream.DeviceProvider` on :mod:`imu_app.devices`, free of Qt.

:class:`BluetoothProvider` scans with the app's central (bleak on the system's stack, or bumble on a
controller it drives) and connects to a sensor of our profile as a :class:`~imu_app.devices.transport.
SensorSource`; :func:`default_provider` picks it, or :class:`NoAdapter` with the reason where Bluetooth
cannot be used. :func:`emulated_sensor_provider` puts the emulated sensor and a central on bumble's
in-process virtual link, so ``imu-app gui --demo sensor`` shows the whole connect flow with no hardware.
"""

from __future__ import annotations

import contextlib
import logging

from imu_app.core import ImuAppError
from imu_app.devices.transport import (
    Central,
    DeviceError,
    FoundDevice,
    NativeSensor,
    ReconnectPolicy,
    SensorSource,
    StreamConfig,
    scan,
)
from imu_app.gui._stream import DeviceEntry, NoAdapter
from imu_app.live import Source

__all__ = ["BluetoothProvider", "default_provider", "emulated_sensor_provider"]

logger = logging.getLogger(__name__)


class BluetoothProvider:
    """Lists supported sensors and connects to one of our profile.

    Parameters
    ----------
    central
        The Bluetooth stack.
    config
        Rate and ranges asked of a sensor.
    reconnect
        Backoff after a dropped link.
    keep
        Objects that must live as long as the provider (an emulated sensor and its virtual link).
    """

    def __init__(
        self,
        central: Central,
        config: StreamConfig | None = None,
        *,
        reconnect: ReconnectPolicy | None = None,
        keep: tuple[object, ...] = (),
    ) -> None:
        self.central = central
        self.config = config or StreamConfig()
        self.reconnect = reconnect
        self._keep = keep
        self._found: dict[str, FoundDevice] = {}

    async def aclose(self) -> None:
        """Release the central, and power off what it keeps (the emulated sensor's radio)."""
        await self.central.close()
        for obj in self._keep:
            device = getattr(obj, "device", None)
            if device is not None:
                with contextlib.suppress(Exception):
                    await device.power_off()
        device = getattr(self.central, "device", None)
        if device is not None and self._keep:
            with contextlib.suppress(Exception):
                await device.power_off()

    async def scan(self, timeout_s: float) -> list[DeviceEntry]:
        """Supported sensors in range, strongest first (:class:`AdapterError` says what to do otherwise).

        The battery is not advertised by our profile; it shows once connected, in the link health.
        """
        found = await scan(self.central, timeout_s)
        self._found = {d.address: d for d in found}
        return [
            DeviceEntry(
                address=d.address,
                name=d.name or "(no name)",
                kind=d.family.value if d.family.recordable else f"{d.family.value} (not supported yet)",
                rssi_dbm=d.rssi_dbm,
            )
            for d in found
        ]

    def source(self, entry: DeviceEntry) -> Source:
        """A source that connects when the session starts; refused for families not streamed yet."""
        found = self._found.get(entry.address)
        if found is not None and not found.family.recordable:
            raise DeviceError(
                f"{entry.name} is a {found.family.value} sensor; imu-app streams sensors of the Ankle IMU "
                "profile so far"
            )
        sensor = NativeSensor(
            self.central,
            entry.address,
            self.config,
            reconnect=self.reconnect,
            rssi_dbm=entry.rssi_dbm,
        )
        return SensorSource(sensor, name=entry.name if entry.name != "(no name)" else entry.address)


def default_provider(adapter: str | None = None) -> BluetoothProvider | NoAdapter:
    """Bluetooth through bleak where it can be imported, else :class:`NoAdapter` saying why.

    Whether an adapter is present and switched on is only known when scanning; the Connect screen scans at
    start-up and says so in one sentence.
    """
    try:
        from imu_app.devices.transport import BleakCentral
    except ImportError as exc:  # pragma: no cover - bleak is a dependency
        return NoAdapter(f"Bluetooth support is not installed ({exc}).")
    return BluetoothProvider(BleakCentral(adapter))


async def emulated_sensor_provider(exercise: str = "pogo_hops", seed: int = 0) -> BluetoothProvider:
    """The emulated sensor streaming the simulator, and a central, on bumble's in-process virtual link.

    Runs on the current event loop (the window's, through qasync), so scanning, connecting, a dropped link
    and the reconnection all go through the same code as with a real sensor.
    """
    from imu_app.devices.transport import BumbleCentral
    from imu_app.sim import EmulatedSensor, VirtualLink, samples_from_simulator, virtual_device

    link = VirtualLink()
    sensor = EmulatedSensor(
        virtual_device("sensor", link, "C0:98:E5:49:D0:01"), samples_from_simulator(exercise, seed=seed)
    )
    await sensor.start()
    try:
        central = await BumbleCentral.open(virtual_device("central", link, "C0:98:E5:49:D0:02"))
    except Exception as exc:
        with contextlib.suppress(Exception):
            await sensor.device.power_off()
        raise ImuAppError(f"the emulated sensor could not start: {exc}") from None
    return BluetoothProvider(
        central, reconnect=ReconnectPolicy(first_delay_s=0.1, max_delay_s=1.0), keep=(link, sensor)
    )
