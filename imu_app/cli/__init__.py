"""The ``imu-app`` command line."""

from imu_app.cli._main import main

__all__ = ["main"]
