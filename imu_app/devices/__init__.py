"""Bluetooth LE sensors: pure packet decoders per sensor family (:mod:`imu_app.devices.protocols`) and the
transport (:mod:`imu_app.devices.transport`: scan, connect, stream, reconnect, on bleak or bumble).

The decoders import nothing but :mod:`imu_app.core`, numpy and the standard library, so that the
simulator's emulated sensor and the tests can use them without a radio; the transport is the only part of
the app that imports bleak.
"""
