"""Connection management for a sensor speaking our profile: connect, configure, stream, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from imu_app.core.errors import ProtocolError
from imu_app.devices.protocols._common import hex_preview
from imu_app.devices.protocols.native import (
    CONTROL_UUID,
    DATA_UUID,
    ControlCommand,
    ControlReply,
    DataPacket,
    Opcode,
    StateFlags,
    Status,
)
from imu_app.devices.transport._central import Central, Link
from imu_app.devices.transport._sequencer import PacketSequencer
from imu_app.devices.transport._types import (
    AdapterError,
    DeviceChunk,
    DeviceError,
    DeviceInfo,
    LinkHealth,
    LinkState,
    ReconnectPolicy,
    StreamConfig,
)

__all__ = ["BATTERY_LEVEL_UUID", "NativeSensor"]

log = logging.getLogger(__name__)

BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
_DIS_UUIDS = {
    "manufacturer": "00002a29-0000-1000-8000-00805f9b34fb",
    "model": "00002a24-0000-1000-8000-00805f9b34fb",
    "serial": "00002a25-0000-1000-8000-00805f9b34fb",
    "hardware": "00002a27-0000-1000-8000-00805f9b34fb",
    "firmware": "00002a26-0000-1000-8000-00805f9b34fb",
}

_STATUS_ADVICE = {
    Status.BUSY_STREAMING: "the sensor is streaming; stop it first",
    Status.MTU_TOO_SMALL: "the link's MTU cannot carry one sample; use a computer or phone that grants 185+",
    Status.SENSOR_FAULT: "its IMU does not respond; power-cycle the sensor",
    Status.BATTERY_LOW: "its battery is too low to stream; charge it",
    Status.INVALID_PARAMETER: "it does not support the rate or ranges asked for",
}


class _ConnectFailed(DeviceError):
    """The link could not be made (as opposed to a sensor that answered and refused)."""


@dataclass(frozen=True)
class _Notification:
    """What a notification callback enqueues: the host arrival time and the decoded packet (or the error)."""

    arrival_s: float
    packet: DataPacket | None
    error: str = ""
    raw: bytes = b""


class NativeSensor:
    """One sensor speaking our profile (``firmware_notes/gatt-profile.md``), as a stream of chunks.

    Parameters
    ----------
    central
        The Bluetooth stack (:class:`~imu_app.devices.transport.BleakCentral` in the app).
    address
        The sensor's address, as found by :func:`~imu_app.devices.transport.scan`.
    config
        Rate and ranges written before START.
    reconnect
        Backoff after a dropped link.
    stall_timeout_s
        Silence after which the stream is reported STALLED (packets come at least every 50 ms).
    stall_reconnect_s
        Silence after which the link is dropped and re-established, in case the sensor's firmware or the
        link hangs without the stack noticing.
    rssi_dbm
        Signal strength from the scan, reported in :attr:`health`.
    on_health
        Called with a new :class:`LinkHealth` whenever the state changes.
    initial_attempts
        Connection attempts by :meth:`start` before it gives up (with the reconnection backoff between).

    Notes
    -----
    The order on every connection is the profile's (section 1): connect and exchange the MTU, discover,
    enable indications on IMU Control and notifications on IMU Data, read the device information and
    battery, write SET_RATE and SET_RANGES, and only then START, because notifications sent before the
    central's subscription settles are lost on some stacks.

    The notification callback only stamps the host time, decodes and enqueues (as in bleak's
    ``examples/async_callback_with_queue.py``); sequencing, gap marking and health accounting happen in
    :meth:`chunks`, so a slow consumer delays them but never loses a packet: the queue is unbounded, and
    nothing in it is dropped on a disconnection. After a drop the link is re-established with backoff and
    START written again; START restarts the sensor's clock and sequence numbers, and the
    :class:`~imu_app.devices.transport.PacketSequencer` marks the gap across the restart. The dropped link
    is released first (:meth:`Link.disconnect`, which makes no callback): on BlueZ a dropped client that is
    not released keeps its notification subscriptions, and the new connection receives every packet twice.

    References
    ----------
    bleak issue #2002, "Starting Notifications on reconnected device doubles notification callback",
    https://github.com/hbldh/bleak/issues/2002
    """

    def __init__(
        self,
        central: Central,
        address: str,
        config: StreamConfig | None = None,
        *,
        reconnect: ReconnectPolicy | None = None,
        stall_timeout_s: float = 1.0,
        stall_reconnect_s: float = 5.0,
        rssi_dbm: int | None = None,
        on_health: Callable[[LinkHealth], None] | None = None,
        initial_attempts: int = 3,
    ) -> None:
        self.central = central
        self.address = address
        self.config = config or StreamConfig()
        self.reconnect_policy = reconnect or ReconnectPolicy()
        self.stall_timeout_s = float(stall_timeout_s)
        self.stall_reconnect_s = float(stall_reconnect_s)
        self.initial_attempts = max(1, int(initial_attempts))
        self.info = DeviceInfo(address=address, config=self.config)
        self._health_listeners: list[Callable[[LinkHealth], None]] = [on_health] if on_health else []
        self._health = LinkHealth(rssi_dbm=rssi_dbm)
        self._queue: asyncio.Queue[_Notification | None] = asyncio.Queue()
        self._replies: asyncio.Queue[ControlReply] = asyncio.Queue()
        self._link: Link | None = None
        self._dropped = asyncio.Event()
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None
        self._last_arrival_s: float | None = None
        self._sequencer = PacketSequencer()
        self.resumed_at_s: list[float] = []  # host times at which streaming resumed after a drop
        self.dropped_at_s: list[float] = []  # host times at which a drop was noticed

    # ----------------------------------------------------------------------------------------------- health
    @property
    def health(self) -> LinkHealth:
        age = None if self._last_arrival_s is None else time.monotonic() - self._last_arrival_s
        mtu = self._link.mtu if self._link is not None and self._link.is_connected else self._health.mtu
        return replace(self._health, last_packet_age_s=age, mtu=mtu)

    def on_health(self, listener: Callable[[LinkHealth], None]) -> None:
        """Also call ``listener`` with the new :class:`LinkHealth` whenever the state changes."""
        self._health_listeners.append(listener)

    def _set(self, **changes: object) -> None:
        old_state = self._health.state
        self._health = replace(self._health, **changes)  # type: ignore[arg-type]
        if "state" in changes and changes["state"] is not old_state:
            log.info("%s: %s %s", self.address, self._health.state.value, self._health.message)
            for listener in list(self._health_listeners):
                listener(self.health)

    # ------------------------------------------------------------------------------------------- callbacks
    def _on_data(self, data: bytes) -> None:
        arrival_s = self._last_arrival_s = time.monotonic()
        try:
            item = _Notification(arrival_s, DataPacket.from_bytes(data))
        except ProtocolError as exc:
            item = _Notification(arrival_s, None, str(exc), bytes(data))
        self._queue.put_nowait(item)

    def _on_control(self, data: bytes) -> None:
        try:
            reply = ControlReply.from_bytes(data)
        except ProtocolError as exc:
            log.warning("%s: %s", self.address, exc)
            return
        if reply.opcode is Opcode.NOTICE:
            advice = _STATUS_ADVICE.get(reply.status, reply.status.name)
            self._set(message=f"the sensor stopped streaming: {advice}")
            return
        self._replies.put_nowait(reply)

    def _on_battery(self, data: bytes) -> None:
        if len(data) == 1:
            self._set(battery_pct=int(data[0]))

    def _on_disconnect(self) -> None:
        self.dropped_at_s.append(time.monotonic())
        log.warning("%s: link dropped", self.address)
        self._dropped.set()

    # ------------------------------------------------------------------------------------------ connection
    async def _command(self, link: Link, command: ControlCommand, timeout_s: float = 5.0) -> ControlReply:
        while not self._replies.empty():
            self._replies.get_nowait()
        await link.write(CONTROL_UUID, bytes(command))
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    reply = await self._replies.get()
                    if reply.opcode is command.opcode:
                        break
        except TimeoutError:
            raise DeviceError(
                f"{self.address} did not answer {command.opcode.name} within {timeout_s:g} s"
            ) from None
        if not reply.ok:
            advice = _STATUS_ADVICE.get(reply.status, "")
            raise DeviceError(
                f"{self.address} refused {command.opcode.name} ({reply.status.name})"
                + (f": {advice}" if advice else "")
            )
        return reply

    async def _open(self) -> Link:
        """Connect, subscribe, configure and START: one connection attempt."""
        timeout_s = self.reconnect_policy.connect_timeout_s
        try:
            link = await self.central.connect(self.address, self._on_disconnect, timeout_s)
        except DeviceError as exc:
            if isinstance(exc, AdapterError):
                raise
            raise _ConnectFailed(str(exc)) from None
        try:
            for uuid in (DATA_UUID, CONTROL_UUID):
                if not link.has_characteristic(uuid):
                    raise DeviceError(
                        f"{self.address} does not offer the Ankle IMU service ({uuid} missing): "
                        "it is not a sensor imu-app can record from"
                    )
            await link.subscribe(CONTROL_UUID, self._on_control)
            await link.subscribe(DATA_UUID, self._on_data)
            await self._read_info(link)
            await self._command(link, ControlCommand.stop())
            await self._command(link, ControlCommand.set_rate(self.config.rate))
            await self._command(
                link, ControlCommand.set_ranges(self.config.acc_range, self.config.gyro_range)
            )
            reply = await self._command(link, ControlCommand.start())
            if not reply.state & StateFlags.STREAMING:
                raise DeviceError(f"{self.address} acknowledged START but does not say it is streaming")
        except BaseException:
            await link.disconnect()
            raise
        return link

    async def _read_info(self, link: Link) -> None:
        fields: dict[str, str] = {}
        for name, uuid in _DIS_UUIDS.items():
            if link.has_characteristic(uuid):
                with contextlib.suppress(Exception):
                    fields[name] = (await link.read(uuid)).decode("utf-8", "replace")
        self.info = DeviceInfo(address=self.address, name=self.info.name, config=self.config, **fields)
        if link.has_characteristic(BATTERY_LEVEL_UUID):
            with contextlib.suppress(Exception):
                self._on_battery(await link.read(BATTERY_LEVEL_UUID))
                await link.subscribe(BATTERY_LEVEL_UUID, self._on_battery)

    async def start(self) -> DeviceInfo:
        """Connect and start streaming; raise :class:`DeviceError` when the first connection fails."""
        if self._supervisor is not None:
            raise DeviceError(f"{self.address}: already started")
        self._stopping = False
        self._set(state=LinkState.CONNECTING, message="")
        attempts = self.initial_attempts
        for attempt in range(attempts):
            try:
                self._link = await self._open()
                break
            except _ConnectFailed as exc:
                # A stack still tearing down the previous link answers "busy" for a moment.
                if attempt + 1 < attempts:
                    log.info("%s: connection attempt %d failed: %s", self.address, attempt + 1, exc)
                    await asyncio.sleep(self.reconnect_policy.delay_s(attempt))
                    continue
                self._set(state=LinkState.FAILED, message=str(exc))
                raise DeviceError(str(exc)) from None
            except BaseException as exc:
                self._set(state=LinkState.FAILED, message=str(exc))
                raise
        self._set(state=LinkState.STREAMING, message="", mtu=self._link.mtu)
        self._supervisor = asyncio.create_task(self._supervise(), name=f"imu-app {self.address}")
        return self.info

    async def _supervise(self) -> None:
        """Watch for a dropped or silent link and re-establish it with backoff."""
        silent_since: float | None = None
        while not self._stopping:
            try:
                async with asyncio.timeout(min(self.stall_timeout_s, 0.25)):
                    await self._dropped.wait()
            except TimeoutError:
                pass
            if self._stopping:
                return
            if not self._dropped.is_set():
                silent_for = time.monotonic() - (self._last_arrival_s or time.monotonic())
                if silent_for > self.stall_timeout_s and self._health.state is LinkState.STREAMING:
                    silent_since = time.monotonic()
                    self._set(
                        state=LinkState.STALLED,
                        message=f"no data for {silent_for:.1f} s; the sensor may be out of range or hung",
                    )
                elif silent_for <= self.stall_timeout_s and self._health.state is LinkState.STALLED:
                    self._set(state=LinkState.STREAMING, message="")
                if silent_since is not None and time.monotonic() - silent_since > self.stall_reconnect_s:
                    silent_since = None
                    log.warning("%s: silent for too long, reconnecting", self.address)
                    if self._link is not None:
                        await self._link.disconnect()
                    self._dropped.set()
                continue
            silent_since = None
            await self._reestablish()

    async def _reestablish(self) -> None:
        self._dropped.clear()
        dropped, self._link = self._link, None
        if dropped is not None:
            # Release what the stack still holds for the dropped link before connecting again: bleak keeps
            # the D-Bus connection of a client whose link dropped until disconnect() is called, BlueZ keeps
            # that client's notification sessions with it and re-enables them on the next connection, and
            # every notification then arrives twice (bleak issue #2002).
            with contextlib.suppress(Exception):
                await dropped.disconnect()
        policy = self.reconnect_policy
        attempt = 0
        while not self._stopping:
            self._set(
                state=LinkState.RECONNECTING,
                message=f"link lost; reconnecting (attempt {attempt + 1}), recording continues",
            )
            await asyncio.sleep(policy.delay_s(attempt))
            if self._stopping:
                return
            try:
                link = await self._open()
            except (DeviceError, TimeoutError) as exc:
                log.info("%s: reconnection attempt %d failed: %s", self.address, attempt + 1, exc)
                self._dropped.clear()
                attempt += 1
                if policy.max_attempts is not None and attempt >= policy.max_attempts:
                    self._set(state=LinkState.FAILED, message=f"could not reconnect after {attempt} attempts")
                    self._queue.put_nowait(None)
                    return
                continue
            self._link = link
            self.resumed_at_s.append(time.monotonic())
            self._set(
                state=LinkState.STREAMING, message="", reconnects=self._health.reconnects + 1, mtu=link.mtu
            )
            return

    async def stop(self) -> None:
        """Write STOP, disconnect and end :meth:`chunks` after what was received."""
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        link, self._link = self._link, None
        if link is not None and link.is_connected:
            with contextlib.suppress(Exception):
                await self._command(link, ControlCommand.stop(), timeout_s=2.0)
            await link.disconnect()
        self._set(state=LinkState.STOPPED, message="")
        self._queue.put_nowait(None)

    async def __aenter__(self) -> NativeSensor:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------------------------------ the stream
    async def chunks(self) -> AsyncIterator[DeviceChunk]:
        """Every packet received, in order, as chunks on the session's time line, until :meth:`stop`.

        Packets that do not decode are counted in :attr:`health` (``bad_packets``), logged with their
        bytes, and skipped; the stream goes on.
        """
        while True:
            item = await self._queue.get()
            if item is None:
                return
            chunk = self._accept(item)
            if chunk is not None:
                yield chunk

    def drain(self) -> list[DeviceChunk]:
        """The chunks already queued, without waiting (for a final flush after :meth:`stop`)."""
        out = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None and (chunk := self._accept(item)) is not None:
                out.append(chunk)
        return out

    def _accept(self, item: _Notification) -> DeviceChunk | None:
        h = self._health
        if item.packet is None:
            if h.bad_packets < 10:
                log.warning(
                    "%s: bad packet skipped: %s (%s)", self.address, item.error, hex_preview(item.raw)
                )
            self._health = replace(
                h, bad_packets=h.bad_packets + 1, message=f"the sensor sent a malformed packet: {item.error}"
            )
            return None
        placed = self._sequencer.push(item.packet, item.arrival_s)
        self._health = replace(
            h,
            packets=h.packets + 1,
            samples=h.samples + len(placed.chunk),
            lost_packets=h.lost_packets + placed.lost_packets,
            lost_samples=h.lost_samples + placed.lost_samples,
        )
        return placed.chunk
