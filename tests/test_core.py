import numpy as np
import pytest

from imu_app.core import (
    ACC_UNITS,
    GYR_UNITS,
    TIME_UNITS,
    ImuAppError,
    ImuData,
    RecordingFormatError,
    RecordingMeta,
    find_gaps,
    normalise_unit,
)


def _data(n=10, rate=100.0, **kw):
    t = np.arange(n) / rate
    return ImuData(t_s=t, acc_g=np.tile([0.0, 0.0, 1.0], (n, 1)), **kw)


def test_imudata_validates_shapes_and_order():
    with pytest.raises(ImuAppError, match="acc_g must have shape"):
        ImuData(t_s=np.arange(3.0), acc_g=np.zeros((3, 2)))
    with pytest.raises(ImuAppError, match="gyr_dps must have shape"):
        ImuData(t_s=np.arange(3.0), acc_g=np.zeros((3, 3)), gyr_dps=np.zeros((2, 3)))
    with pytest.raises(ImuAppError, match="strictly increasing"):
        ImuData(t_s=np.array([0.0, 0.1, 0.1]), acc_g=np.zeros((3, 3)))


def test_irregular_timestamps_are_kept_as_they_are():
    t = np.array([0.0, 0.011, 0.019, 0.031])
    d = ImuData(t_s=t, acc_g=np.zeros((4, 3)))
    assert np.array_equal(d.t_s, t)
    assert d.sample_rate_hz == pytest.approx(1 / 0.011)  # median step


def test_sample_rate_prefers_metadata():
    d = _data(meta=RecordingMeta(sample_rate_hz=104.0))
    assert d.sample_rate_hz == 104.0
    assert not d.has_gyro
    assert d.duration_s == pytest.approx(0.09)


def test_find_gaps_from_time_and_sequence():
    t = np.array([0.00, 0.01, 0.02, 0.05, 0.06])
    (gap,) = find_gaps(t, 100.0)
    assert (gap.before_idx, gap.n_missing) == (2, 2)
    assert gap.duration_s == pytest.approx(0.03)
    # a sequence jump flags a gap even where the timestamps were rewritten evenly
    seq = np.array([1, 2, 3, 6, 7])
    gaps = find_gaps(np.arange(5) / 100.0, 100.0, seq)
    assert [g.before_idx for g in gaps] == [2]
    # the 16-bit sequence wrap is not a gap
    assert find_gaps(np.arange(3) / 100.0, 100.0, np.array([65534, 65535, 0])) == ()


def test_slice_keeps_gaps_inside():
    t = np.r_[np.arange(5), np.arange(7, 12)] / 100.0
    d = ImuData(t_s=t, acc_g=np.zeros((10, 3)), gaps=find_gaps(t, 100.0))
    assert [g.before_idx for g in d.slice(2, 10).gaps] == [2]
    assert d.slice(5, 10).gaps == ()


@pytest.mark.parametrize(
    ("spelling", "table", "factor"),
    [
        ("m/s^2", ACC_UNITS, 1 / 9.80665),
        ("M/S²", ACC_UNITS, 1 / 9.80665),
        ("mg", ACC_UNITS, 1e-3),
        ("dps", GYR_UNITS, 1.0),
        ("rad/s", GYR_UNITS, 57.29577951308232),
        ("ms", TIME_UNITS, 1e-3),
        ("ns", TIME_UNITS, 1e-9),
    ],
)
def test_units(spelling, table, factor):
    assert table[normalise_unit(spelling)] == pytest.approx(factor)


def test_format_error_says_where():
    e = RecordingFormatError("rec.csv", "not a number: 'abc'", line=12, column=3, column_name="acc_y_g")
    assert str(e) == "rec.csv, line 12, column 3 (acc_y_g): not a number: 'abc'"
