"""Calf raises from an ankle sensor: rep count, phase timing, range, partial reps, knee, tempo per set.

The modules follow the analysis: :mod:`.params` (what can be tuned), :mod:`.signals` (conditioning at the
work rate) and :mod:`.lever` (the shank's turning removed), :mod:`.shapes` and :mod:`.transitions` (rises
and lowerings timed one at a time), :mod:`.joint_fit` (each rep's rise and lowering together),
:mod:`.knee` (knee bends and the knee), :mod:`.segmentation` (reps of one stretch), :mod:`.sets` (sets,
ranges and tempo), :mod:`.stream` (pieces cut at rests, each analysed as a whole), :mod:`.detect` (the whole
analysis).
"""

from imu_app.analysis._calf.detect import detect_calf_raises
from imu_app.analysis._calf.params import CalfRaiseParams, CalfRaiseResult
from imu_app.analysis._calf.shapes import min_jerk_fraction_time

__all__ = ["CalfRaiseParams", "CalfRaiseResult", "detect_calf_raises", "min_jerk_fraction_time"]
