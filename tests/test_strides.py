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


def _frame(data: ImuData, m: np.ndarray) -> ImuData:
    return ImuData(t_s=data.t_s, acc_g=data.acc_g @ m.T, gyr_dps=data.gyr_dps @ m.T, meta=data.meta)


def _resampled(data: ImuData, up: int, down: int) -> ImuData:
    """The recording through scipy's polyphase resampler (anti-alias filter included)."""
    from scipy.signal import resample_poly

    acc = resample_poly(data.acc_g, up, down, axis=0)
    gyr = resample_poly(data.gyr_dps, up, down, axis=0)
    fs = data.sample_rate_hz * up / down
    return ImuData(
        t_s=np.arange(len(acc)) / fs, acc_g=acc, gyr_dps=gyr, meta=RecordingMeta(sample_rate_hz=fs)
    )


def _scores(data: ImuData, ref_ic: np.ndarray, ref_to: np.ndarray) -> tuple[float, float, float, float]:
    """Recall, precision and the median |IC| and |TO| errors (s) within the span the reference labels."""
    st = detect_strides(data)
    inside = (st.initial_contact_s > ref_ic[0] - 0.3) & (st.initial_contact_s < ref_ic[-1] + 0.3)
    ic, to = st.initial_contact_s[inside], st.toe_off_s[inside]
    d = np.abs(ic[:, None] - ref_ic[None, :])
    j = d.argmin(axis=1)
    hit = d[np.arange(j.size), j] < 0.1
    recall = np.unique(j[hit]).size / ref_ic.size
    return (
        recall,
        float(hit.mean()),
        float(np.median(np.abs(ic[hit] - ref_ic[j[hit]]))),
        float(np.median(np.abs(to[hit] - ref_to[j[hit]]))),
    )


@pytest.mark.parametrize("foot", ["left", "right"])
def test_gaitmap_walking_events(shared_data: Path, foot: str) -> None:
    data, ref_ic, ref_to = load_gaitmap_foot(shared_data / "gaitmap-example", foot)
    # Treat the mounting as unknown: turn the sensor frame arbitrarily.
    rot, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(3, 3)))
    recall, precision, e_ic, e_to = _scores(_frame(data, rot), ref_ic, ref_to)
    assert recall >= 0.98 and precision >= 0.95
    assert e_ic <= 0.010 and e_to <= 0.010


@pytest.mark.parametrize(
    ("foot", "perm", "signs"),
    [("left", (1, 2, 0), (1, -1, 1)), ("right", (2, 0, 1), (-1, -1, 1)), ("left", (0, 2, 1), (1, 1, -1))],
)
def test_gaitmap_walking_any_axes_at_100_hz(shared_data: Path, foot: str, perm, signs) -> None:
    """Axes swapped and signs flipped (the last a mirror image, like a left sensor mounted as a right one),
    resampled to 100 Hz."""
    data, ref_ic, ref_to = load_gaitmap_foot(shared_data / "gaitmap-example", foot)
    m = np.zeros((3, 3))
    m[range(3), perm] = signs
    for d in (_frame(data, m), _resampled(_frame(data, m), 125, 256)):
        recall, precision, e_ic, e_to = _scores(d, ref_ic, ref_to)
        assert recall >= 0.98 and precision >= 0.95, d.sample_rate_hz
        assert e_ic <= 0.010 and e_to <= 0.012, (d.sample_rate_hz, e_ic, e_to)


@pytest.mark.parametrize("foot", ["left", "right"])
def test_gaitmap_second_subject_stances(shared_data: Path, foot: str) -> None:
    """Another sensor frame at 102.4 Hz whose impacts ring through the gyroscope (up to 700 deg/s on a
    non-sagittal axis): every hand-labelled initial contact found, and each stance ends at its toe-off, not
    at the next heel strike (the stance takes 55-70 % of the stride, not all of it)."""
    pd = pytest.importorskip("pandas")
    folder = shared_data / "gaitmap-example"
    fs = 102.4
    sensor = pd.read_csv(folder / "imu_sample_ic_stride.csv", header=[0, 1], index_col=0)[f"{foot}_sensor"]
    borders = pd.read_csv(folder / "stride_borders_sample_ic_stride.csv")
    acc = sensor[["acc_x", "acc_y", "acc_z"]].to_numpy() / 9.80665
    gyr = sensor[["gyr_x", "gyr_y", "gyr_z"]].to_numpy()
    data = ImuData(
        t_s=np.arange(len(acc)) / fs, acc_g=acc, gyr_dps=gyr, meta=RecordingMeta(sample_rate_hz=fs)
    )
    b = borders[borders.foot == foot]
    ref = np.unique(np.r_[b.start.to_numpy(), b.end.to_numpy()]) / fs
    st = detect_strides(data)
    d = np.abs(st.initial_contact_s[:, None] - ref[None, :])
    assert (d.min(axis=0) < 0.05).all(), "every labelled initial contact found within 50 ms"
    stride = np.diff(st.initial_contact_s)
    share = ((st.toe_off_s - st.initial_contact_s)[:-1] / stride)[stride < 1.5]
    assert 0.55 <= np.median(share) <= 0.7
