"""Physical units and their conversion into the app's canonical units (s, g, deg/s).

The canonical units are the ones inertial sensors report natively, so a round trip through the app never
rescales a sensor's own numbers: time in seconds, acceleration in g (standard gravity), angular rate in deg/s.
"""

from __future__ import annotations

import math

__all__ = [
    "ACC_UNITS",
    "GYR_UNITS",
    "STANDARD_GRAVITY_M_S2",
    "TIME_UNITS",
    "normalise_unit",
]

#: Standard gravity (CGPM 1901), the definition of 1 g.
STANDARD_GRAVITY_M_S2 = 9.80665

#: Factor from each time unit to seconds.
TIME_UNITS: dict[str, float] = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}

#: Factor from each acceleration unit to g.
ACC_UNITS: dict[str, float] = {
    "g": 1.0,
    "mg": 1e-3,
    "m/s^2": 1.0 / STANDARD_GRAVITY_M_S2,
}

#: Factor from each angular-rate unit to deg/s.
GYR_UNITS: dict[str, float] = {
    "deg/s": 1.0,
    "mdeg/s": 1e-3,
    "rad/s": 180.0 / math.pi,
}

# Spellings seen in other tools' exports (lower case, spaces removed), mapped onto the keys above.
_ALIASES = {
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "msec": "ms",
    "millisecond": "ms",
    "milliseconds": "ms",
    "µs": "us",
    "μs": "us",
    "usec": "us",
    "microseconds": "us",
    "nsec": "ns",
    "nanoseconds": "ns",
    "m/s2": "m/s^2",
    "m/s²": "m/s^2",
    "ms^-2": "m/s^2",
    "ms-2": "m/s^2",
    "m*s^-2": "m/s^2",
    "mps2": "m/s^2",
    "dps": "deg/s",
    "°/s": "deg/s",
    "degree/s": "deg/s",
    "degrees/s": "deg/s",
    "degs^-1": "deg/s",
    "mdps": "mdeg/s",
    "rads^-1": "rad/s",
    "rps": "rad/s",
}


def normalise_unit(unit: str) -> str:
    """Return the canonical spelling of ``unit`` (a key of one of the tables above).

    Matching ignores case and spaces, which never change the meaning of these units in IMU exports
    (``MG`` is milli-g, not megagram). An unknown unit comes back lower-cased, for the caller to reject.
    """
    u = unit.strip().lower().replace(" ", "")
    return _ALIASES.get(u, u)
