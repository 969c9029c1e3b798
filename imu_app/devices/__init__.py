"""Bluetooth LE sensors: pure packet decoders per sensor family (:mod:`imu_app.devices.protocols`).

The transport (scan, connect, reconnect on bleak) will live beside the decoders and is the only part of the
app that imports bleak; the decoders import nothing but :mod:`imu_app.core`, numpy and the standard
library, so that the simulator's emulated sensor and the tests can use them without a radio.
"""
