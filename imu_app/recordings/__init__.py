"""Recordings on disk: the native CSV format (read, write, stream) and importers of other tools' exports.

``load`` detects each file's format from its header, converts units to s / g / deg/s and merges the parts
of one recording (accelerometer and gyroscope exported as separate files) onto one time base.
"""

from imu_app.recordings._detect import FORMATS, detect_format
from imu_app.recordings._load import load
from imu_app.recordings._native import NativeWriter, write_native

__all__ = ["FORMATS", "NativeWriter", "detect_format", "load", "write_native"]
