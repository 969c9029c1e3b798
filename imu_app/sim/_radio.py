"""An in-process radio for the emulated sensor: bumble controllers on one virtual link.

Each controller is a complete Bluetooth LE controller in software; a host (bumble's, or the Linux kernel's
through ``/dev/vhci``) talks HCI to it, and the link carries advertising, connections and data between the
controllers of one process. Nothing here is timed: packets go through the event loop in order.
"""

from __future__ import annotations

import asyncio
import dataclasses

from bumble import core, hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

__all__ = [
    "LE_ACL_DATA_PACKET_LENGTH",
    "VirtualController",
    "VirtualLink",
    "virtual_controller",
    "virtual_device",
]

#: Largest LE data payload the virtual controllers announce. 251 bytes carry one 247-byte ATT MTU in one
#: link-layer packet (the profile, section 6); bumble's default of 27 cuts every notification into ten.
LE_ACL_DATA_PACKET_LENGTH = 251


class VirtualLink(LocalLink):
    """bumble's in-process link, routing each LE data packet by the connection it belongs to.

    Notes
    -----
    bumble 0.0.236's :class:`~bumble.link.LocalLink` labels every outgoing LE data packet with the sending
    controller's current *random* address. A host that connects with its *public* address (the Linux kernel
    does) then never receives a packet: the peer looks its connections up by the address they were made
    with, finds none and drops the data, and the central sees no characteristics. Here the source address is
    the one the connection itself was made with.
    """

    def send_acl_data(
        self,
        sender_controller: Controller,
        destination_address: hci.Address,
        transport: core.PhysicalTransport,
        data: bytes,
    ) -> None:
        if transport != core.PhysicalTransport.LE:
            super().send_acl_data(sender_controller, destination_address, transport, data)
            return
        connection = sender_controller.le_connections.get(destination_address)
        destination = self.find_le_controller(destination_address)
        if connection is None or destination is None:
            return
        source_address = connection.self_address
        asyncio.get_running_loop().call_soon(destination.on_link_acl_data, source_address, transport, data)


class VirtualController(Controller):
    """bumble's software controller with two fixes a real controller does not need.

    Notes
    -----
    bumble 0.0.236's controller reports the advertising data a second time as the scan response, so a
    name sent in the scan response (as the profile asks, section 1) never reaches the scanner. The link
    carries only the advertising PDU; here the scan response is looked up on the advertiser's controller.
    It also never completes a cancelled connection attempt (see
    :meth:`on_hci_le_create_connection_cancel_command`), and it reports every new connection with the
    legacy LE Connection Complete event even when the host asked for the enhanced one (see
    :meth:`_enhanced`).
    """

    def on_hci_le_create_connection_cancel_command(
        self, command: hci.HCI_LE_Create_Connection_Cancel_Command
    ) -> hci.HCI_StatusReturnParameters:
        """Cancel a pending connection and report it, as the core specification asks (Vol 4, Part E,
        7.8.13): bumble 0.0.236's controller acknowledges the cancel but keeps the connection pending and
        never sends the LE Connection Complete event the host waits for, so a timed-out connection attempt
        hangs and every later one is refused."""
        pending = self.pending_le_connection
        if pending is None:
            return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.COMMAND_DISALLOWED_ERROR)
        self.pending_le_connection = None
        event = hci.HCI_LE_Connection_Complete_Event(
            status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
            connection_handle=0,
            role=hci.Role.CENTRAL,
            peer_address_type=pending.peer_address.address_type,
            peer_address=pending.peer_address,
            connection_interval=0,
            peripheral_latency=0,
            supervision_timeout=0,
            central_clock_accuracy=0,
        )
        asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    def _scan_response_of(self, address: hci.Address) -> bytes | None:
        for other in self.link.controllers:
            legacy = other.le_legacy_advertiser
            if legacy.enabled and legacy.address == address:
                return bytes(legacy.scan_response_data)
            for adv_set in other.advertising_sets.values():
                if adv_set.enabled and adv_set.address == address:
                    return bytes(adv_set.scan_response_data)
        return None

    def _enhanced(self, event: hci.HCI_LE_Connection_Complete_Event) -> hci.HCI_Packet:
        """The LE Enhanced Connection Complete event for ``event`` when the host unmasked it.

        The core specification (Vol 4, Part E, 7.7.65.10) sends only the enhanced event when the host has
        unmasked both; the Linux kernel unmasks it on a controller with extended advertising and waits for
        it after LE Create Connection. With the legacy event the connection works, but the kernel's
        connection request times out 4 s later, tries to cancel the established connection, and from then
        on ignores the host's request to disconnect it: the link stays up after the app disconnected, the
        sensor never advertises again, and the next connection fails with "Device or resource busy".
        """
        enhanced_bit = 1 << (hci.HCI_LE_ENHANCED_CONNECTION_COMPLETE_EVENT - 1)
        if not self.le_event_mask & enhanced_bit:
            return event
        return hci.HCI_LE_Enhanced_Connection_Complete_Event(
            status=event.status,
            connection_handle=event.connection_handle,
            role=event.role,
            peer_address_type=event.peer_address_type,
            peer_address=event.peer_address,
            local_resolvable_private_address=hci.Address.ANY_RANDOM,
            peer_resolvable_private_address=hci.Address.ANY_RANDOM,
            connection_interval=event.connection_interval,
            peripheral_latency=event.peripheral_latency,
            supervision_timeout=event.supervision_timeout,
            central_clock_accuracy=event.central_clock_accuracy,
        )

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if isinstance(packet, hci.HCI_LE_Connection_Complete_Event):
            packet = self._enhanced(packet)
        legacy_rsp = hci.HCI_LE_Advertising_Report_Event.EventType.SCAN_RSP
        ext_rsp = hci.HCI_LE_Extended_Advertising_Report_Event.EventType.SCAN_RESPONSE
        if isinstance(packet, hci.HCI_LE_Advertising_Report_Event):
            reports = packet.reports
            if any(r.event_type == legacy_rsp for r in reports):
                packet = hci.HCI_LE_Advertising_Report_Event([self._fixed(r) for r in reports])
        elif isinstance(packet, hci.HCI_LE_Extended_Advertising_Report_Event):
            reports = packet.reports
            if any(r.event_type & ext_rsp for r in reports):
                packet = hci.HCI_LE_Extended_Advertising_Report_Event([self._fixed(r) for r in reports])
        super().send_hci_packet(packet)

    def _fixed(self, report):
        is_rsp = report.event_type == hci.HCI_LE_Advertising_Report_Event.EventType.SCAN_RSP or (
            isinstance(report, hci.HCI_LE_Extended_Advertising_Report_Event.Report)
            and report.event_type & hci.HCI_LE_Extended_Advertising_Report_Event.EventType.SCAN_RESPONSE
        )
        data = self._scan_response_of(report.address) if is_rsp else None
        return report if data is None else dataclasses.replace(report, data=data)


def virtual_controller(
    name: str, link: LocalLink, public_address: str | None = None, **host_pipe
) -> Controller:
    """A controller on ``link`` with 251-byte LE data buffers; ``host_pipe`` as bumble's Controller takes it
    (``host_source``, ``host_sink``: an external host such as the kernel on ``/dev/vhci``)."""
    kwargs = dict(host_pipe)
    if public_address is not None:
        kwargs["public_address"] = public_address
    controller = VirtualController(name, link=link, **kwargs)
    controller.le_acl_data_packet_length = LE_ACL_DATA_PACKET_LENGTH
    return controller


def virtual_device(name: str, link: LocalLink, address: str) -> Device:
    """A bumble host and device on a new controller of ``link``, with static random address ``address``."""
    controller = virtual_controller(name, link)
    return Device(name=name, address=hci.Address(address), host=Host(controller, AsyncPipeSink(controller)))
