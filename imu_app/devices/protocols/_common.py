"""What every decoder shares: turning input into bytes, the decoded-samples type, hex for messages."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imu_app.core.errors import ProtocolError

__all__ = ["SampleBlock", "as_bytes", "hex_preview"]


def as_bytes(data: object, what: str) -> bytes:
    """``data`` as ``bytes``; anything that is not bytes-like is a :class:`ProtocolError` naming ``what``.

    BLE stacks hand notifications over as ``bytearray`` (bleak) or ``bytes`` (bumble); both are accepted,
    and so is a ``memoryview``.
    """
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise ProtocolError(f"{what}: expected bytes, got {type(data).__name__}")


def hex_preview(data: bytes, limit: int = 24) -> str:
    """The first ``limit`` bytes as spaced hex, for error messages a firmware engineer can read."""
    shown = data[:limit].hex(" ")
    return shown + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


@dataclass(frozen=True, eq=False)
class SampleBlock:
    """Samples decoded from one packet, in the app's units.

    Attributes
    ----------
    t_s
        Sample times in seconds on the sensor's clock, shape ``(n,)``. The epoch is the sensor's own (its
        boot, a clock reset, or a vendor epoch such as 2000-01-01 for Polar); mapping it to wall time is the
        live pipeline's job.
    acc_g
        Specific force in g, shape ``(n, 3)``, or ``None`` when the packet carries no accelerometer data.
    gyr_dps
        Angular rate in deg/s, shape ``(n, 3)``, or ``None`` when the packet carries no gyroscope data.
    """

    t_s: np.ndarray
    acc_g: np.ndarray | None = None
    gyr_dps: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = np.asarray(self.t_s, dtype=np.float64).reshape(-1)
        object.__setattr__(self, "t_s", t)
        for name in ("acc_g", "gyr_dps"):
            value = getattr(self, name)
            if value is not None:
                arr = np.asarray(value, dtype=np.float64).reshape(t.shape[0], 3)
                object.__setattr__(self, name, arr)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])
