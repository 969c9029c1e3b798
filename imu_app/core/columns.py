"""Column names of the native recording, in one place.

Units are part of every name (``_s``, ``_g``, ``_dps``) so that a column can never be read in the wrong unit.
"""

from __future__ import annotations

__all__ = [
    "ACC_COLUMNS",
    "ALL_COLUMNS",
    "GYR_COLUMNS",
    "SEQ",
    "T_S",
]

T_S = "t_s"
ACC_X_G, ACC_Y_G, ACC_Z_G = "acc_x_g", "acc_y_g", "acc_z_g"
GYR_X_DPS, GYR_Y_DPS, GYR_Z_DPS = "gyr_x_dps", "gyr_y_dps", "gyr_z_dps"
SEQ = "seq"

ACC_COLUMNS = (ACC_X_G, ACC_Y_G, ACC_Z_G)
GYR_COLUMNS = (GYR_X_DPS, GYR_Y_DPS, GYR_Z_DPS)
ALL_COLUMNS = (T_S, *ACC_COLUMNS, *GYR_COLUMNS, SEQ)
