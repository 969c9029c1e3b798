"""The two things the connection manager needs from a Bluetooth stack: a central that scans and connects,
and the link it returns. Implemented on bleak (:mod:`._bleak`, the app) and on bumble (:mod:`._bumble`,
a controller the app drives itself: a USB dongle, or the in-process virtual link of the tests)."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Advert", "Central", "Link"]

#: Called with the bytes of every notification or indication, on the event loop, as they arrive.
NotifyCallback = Callable[[bytes], None]


@dataclass(frozen=True)
class Advert:
    """One device heard while scanning, with everything it advertised during the scan merged.

    Attributes
    ----------
    address
        What :meth:`Central.connect` takes.
    name
        Local name (advertising data or scan response), or ``""``.
    rssi_dbm
        Strongest signal strength heard, or ``None`` when the stack does not report it.
    service_uuids
        128-bit service UUIDs as lower-case strings (16-bit ones expanded on the Bluetooth base UUID).
    """

    address: str
    name: str
    rssi_dbm: int | None
    service_uuids: frozenset[str]


class Link(abc.ABC):
    """A connection to one peripheral, with its services discovered."""

    address: str

    @property
    @abc.abstractmethod
    def mtu(self) -> int:
        """The ATT MTU in force (23 until negotiated)."""

    @property
    @abc.abstractmethod
    def is_connected(self) -> bool: ...

    @abc.abstractmethod
    def has_characteristic(self, uuid: str) -> bool: ...

    @abc.abstractmethod
    async def subscribe(self, uuid: str, callback: NotifyCallback) -> None:
        """Enable notifications or indications of ``uuid``; return when the peer acknowledged it."""

    @abc.abstractmethod
    async def write(self, uuid: str, data: bytes) -> None:
        """Write with response."""

    @abc.abstractmethod
    async def read(self, uuid: str) -> bytes: ...

    @abc.abstractmethod
    async def disconnect(self) -> None:
        """Close the link; no disconnection callback is made for a disconnection asked for here."""


class Central(abc.ABC):
    """A Bluetooth LE central: scans, and connects to a peripheral."""

    @abc.abstractmethod
    async def scan(self, timeout_s: float) -> list[Advert]:
        """Every connectable device heard within ``timeout_s``."""

    @abc.abstractmethod
    async def connect(self, address: str, on_disconnect: Callable[[], None], timeout_s: float) -> Link:
        """Connect to ``address``, exchange the MTU and discover services.

        ``on_disconnect`` is called (on the event loop) when the link drops without :meth:`Link.disconnect`.
        """

    async def close(self) -> None:  # noqa: B027 - optional hook, most centrals hold nothing to release
        """Release the stack (a bumble transport); the bleak central holds nothing."""
