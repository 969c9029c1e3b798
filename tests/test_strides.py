"""Stance detection in walking: real foot-worn IMU data with motion-capture events (gaitmap example)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imu_app.analysis._strides import detect_strides
from imu_app.core import ImuData, RecordingMeta


def load_gaitmap_foot(folder: Path, foot: str) -> tuple[ImuData, np.ndarray, np.ndarray]:
    """One foot of ``imu_sample.csv`` (m/s^2 -> g) and its reference stances (IC, next TC) in seconds."""
    pd = pytest.importorskip("pandas")
    fs = 204.8
    df = pd.read_csv(folder / "imu_sample.csv", header=[0, 1], index_col=0)
    ev = pd.read_csv(folder / "stride_events_sample.csv")
    sensor = df[f"{foot}_sensor"]
    acc = sensor[["acc_x", "acc_y", "acc_z"]].to_numpy() / 9.80665
    gyr = sensor[["gyr_x", "gyr_y", "gyr_z"]].to_numpy()
    t = np.arange(len(acc)) / fs
    e = ev[ev.foot == foot].sort_values("start")
    ic = e.ic.to_numpy()[:-1] / fs
    tc_next = e.tc.to_numpy()[1:] / fs
    return ImuData(t_s=t, acc_g=acc, gyr_dps=gyr, meta=RecordingMeta(sample_rate_hz=fs)), ic, tc_next


@pytest.mark.parametrize("foot", ["left", "right"])
def test_gaitmap_walking_events(shared_data: Path, foot: str) -> None:
    data, ref_ic, ref_to = load_gaitmap_foot(shared_data / "gaitmap-example", foot)
    # Treat the mounting as unknown: turn the sensor frame arbitrarily.
    rot, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(3, 3)))
    data = ImuData(t_s=data.t_s, acc_g=data.acc_g @ rot.T, gyr_dps=data.gyr_dps @ rot.T, meta=data.meta)
    st = detect_strides(data)
    # Only the reference's span is labelled.
    inside = (st.initial_contact_s > ref_ic[0] - 0.3) & (st.initial_contact_s < ref_ic[-1] + 0.3)
    ic, to = st.initial_contact_s[inside], st.toe_off_s[inside]
    d = np.abs(ic[:, None] - ref_ic[None, :])
    j = d.argmin(axis=1)
    hit = d[np.arange(j.size), j] < 0.1
    recall = np.unique(j[hit]).size / ref_ic.size
    precision = hit.mean()
    assert recall >= 0.98 and precision >= 0.9
    assert np.median(np.abs(ic[hit] - ref_ic[j[hit]])) < 0.015
    assert np.median(np.abs(to[hit] - ref_to[j[hit]])) < 0.015
