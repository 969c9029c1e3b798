"""The streaming engine: live equals offline by construction.

Offline strides are the stride stream fed the whole recording in one chunk; here the same recordings are
cut into random chunks (hypothesis) and must give the same strides to the microsecond, the stream's memory
must stay bounded by its look-ahead however long it runs, and the conditioning must not depend on the cut.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_app.analysis._conditioning import Conditioner, ZeroPhaseLowPass, zero_phase_kernel
from imu_app.analysis._contacts import ContactParams, HopContacts, HopContactStream, contacts_from_data
from imu_app.analysis._stream import Detector, Samples, chunks_of
from imu_app.analysis._strides import Strides, StrideStream, concat_strides, detect_strides
from imu_app.core import Gap, ImuData, RecordingMeta
from imu_app.recordings import load
from imu_app.sim import SensorParams, simulate

from .paths import RECORDINGS

#: Events of a chunked stream must equal the one-chunk ones to the microsecond.
US = 1e-6


def _streamed(data: ImuData, sizes: list[int]) -> tuple[Strides, StrideStream]:
    """The stride stream fed ``data`` in chunks of ``sizes`` (repeated until the data are used up)."""
    reps = -(-len(data) // max(sum(sizes), 1))
    cond = Conditioner(data.sample_rate_hz)
    stream = StrideStream(data.sample_rate_hz, cond.block)
    parts = [stream.update(c) for s in chunks_of(data, sizes * reps) for c in cond.update(s)]
    parts += [stream.update(c) for c in cond.finish()]
    parts.append(stream.finish())
    return concat_strides(parts), stream


def _assert_same(got: Strides, ref: Strides) -> None:
    assert len(got) == len(ref)
    np.testing.assert_allclose(got.initial_contact_s, ref.initial_contact_s, rtol=0, atol=US)
    np.testing.assert_allclose(got.toe_off_s, ref.toe_off_s, rtol=0, atol=US)
    np.testing.assert_allclose(got.swing_before_ms, ref.swing_before_ms, rtol=0, atol=1000 * US)


def _rest(n: int, rate_hz: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of a sensor lying still: 1 g along one axis, noise, a gyroscope bias of 1-2 deg/s."""
    rng = np.random.default_rng(seed)
    acc = np.array([0.0, 0.0, 1.0]) + 0.005 * rng.standard_normal((n, 3))
    gyr = np.array([1.5, -1.0, 0.5]) + 0.3 * rng.standard_normal((n, 3))
    return acc, gyr


def _session(rate_hz: float, seed: int) -> ImuData:
    """Rest, walking, rest, running, rest; a gap of 0.3 s in the walking and one in the running."""
    parts_acc, parts_gyr = [], []
    for i, what in enumerate(("rest", "walking", "rest", "running", "rest")):
        if what == "rest":
            acc, gyr = _rest(int(8 * rate_hz), rate_hz, seed + i)
        else:
            sim = simulate(
                what, SensorParams(sample_rate_hz=rate_hz, mounting="random"), seed=seed, duration_s=20.0
            )
            acc, gyr = sim.data.acc_g, sim.data.gyr_dps
        parts_acc.append(acc)
        parts_gyr.append(gyr)
    acc, gyr = np.concatenate(parts_acc), np.concatenate(parts_gyr)
    t = np.arange(acc.shape[0]) / rate_hz
    keep = np.ones(t.size, dtype=bool)
    cuts = [(int(15 * rate_hz), int(15.3 * rate_hz)), (int(45 * rate_hz), int(45.3 * rate_hz))]
    for a, b in cuts:
        keep[a:b] = False
    idx = np.flatnonzero(keep)
    gaps = tuple(
        Gap(before_idx=int(np.searchsorted(idx, a)) - 1, start_s=t[a - 1], end_s=t[b], n_missing=b - a)
        for a, b in cuts
    )
    return ImuData(
        t_s=t[keep], acc_g=acc[keep], gyr_dps=gyr[keep], gaps=gaps, meta=RecordingMeta(sample_rate_hz=rate_hz)
    )


@functools.cache
def _recording(name: str) -> ImuData:
    if name.startswith("session"):
        return _session(float(name.split("@")[1]), seed=3)
    if name.endswith("sim"):
        sim = simulate(
            name[:-4], SensorParams(sample_rate_hz=416.0, mounting="random"), seed=5, duration_s=30.0
        )
        return sim.data
    return load(RECORDINGS / f"{name}.csv")


@functools.cache
def _one_chunk(name: str) -> Strides:
    return detect_strides(_recording(name))


SOURCES = ["walking", "running", "walking_sim", "running_sim", "session@104", "session@208"]


@pytest.mark.parametrize("name", SOURCES)
@settings(max_examples=5)
@given(sizes=st.lists(st.integers(min_value=1, max_value=3000), min_size=1, max_size=40))
def test_random_chunkings_give_the_one_chunk_strides(name: str, sizes: list[int]) -> None:
    ref = _one_chunk(name)
    assert len(ref) >= 15, "the recording has strides to compare"
    got, _ = _streamed(_recording(name), sizes)
    _assert_same(got, ref)


@pytest.mark.parametrize("name", ["walking", "session@104"])
def test_sample_by_sample_gives_the_one_chunk_strides(name: str) -> None:
    data = _recording(name)
    got, _ = _streamed(data, [1, 2, 1, 3])
    _assert_same(got, _one_chunk(name))


def test_offline_analysis_is_the_stream() -> None:
    """``analyse`` on walking reports exactly the stream's strides."""
    from imu_app.analysis import AnalysisOptions, analyse

    data = _recording("walking")
    report = analyse(data, AnalysisOptions(exercise="walking"))
    got, _ = _streamed(data, [160])
    np.testing.assert_allclose([c.landing_s for c in report.contacts], got.initial_contact_s, rtol=0, atol=US)
    np.testing.assert_allclose([c.takeoff_s for c in report.contacts], got.toe_off_s, rtol=0, atol=US)


def test_memory_stays_bounded_over_a_long_stream_of_rest_and_walking() -> None:
    """Ten minutes at 416 Hz in 50-ms chunks: rest, then walking and rest in turn; the samples held stay
    within twice the look-ahead once the axis has settled, and within the settling window before."""
    rate = 416.0
    walk = simulate(
        "walking", SensorParams(sample_rate_hz=rate, mounting="random"), seed=2, duration_s=30.0
    ).data
    rest_acc, rest_gyr = _rest(int(60 * rate), rate, 1)
    acc = np.concatenate([rest_acc, *([walk.acc_g, rest_acc] * 5), rest_acc])
    gyr = np.concatenate([rest_gyr, *([walk.gyr_dps, rest_gyr] * 5), rest_gyr])
    cond = Conditioner(rate)
    stream = StrideStream(rate, cond.block)
    n = int(0.05 * rate)
    held, settled_held, found = [], [], 0
    for i in range(0, acc.shape[0], n):
        chunk = Samples(
            t_s=np.arange(i, min(i + n, acc.shape[0])) / rate, acc_g=acc[i : i + n], gyr_dps=gyr[i : i + n]
        )
        for c in cond.update(chunk):
            found += len(stream.update(c))
        (settled_held if stream.settled else held).append(stream.buffered)
    assert acc.shape[0] / rate >= 600
    assert found > 4 * 20, "the walking bouts' strides were found"
    assert max(held) <= (stream.p.settle_window_s + 1.0) * rate
    assert max(settled_held) <= 2 * stream.lookahead_s * rate
    third = len(settled_held) // 3
    assert max(settled_held[-third:]) <= max(settled_held[third : 2 * third]) + n


def test_strides_come_within_the_look_ahead_once_settled() -> None:
    rate = 208.0
    data = simulate(
        "walking", SensorParams(sample_rate_hz=rate, mounting="random"), seed=6, duration_s=60.0
    ).data
    cond = Conditioner(rate)
    stream = StrideStream(rate, cond.block)
    n = int(0.02 * rate)
    lags = []
    for s in chunks_of(data, [n] * (len(data) // n + 1)):
        was = stream.settled
        for c in cond.update(s):
            out = stream.update(c)
            if was:
                lags += (s.t_s[-1] - data.t_s[0] - out.toe_off_s).tolist()
    assert len(lags) >= 20
    assert max(lags) <= stream.lookahead_s + n / rate


def test_the_zero_phase_low_pass_streams_and_matches_filtfilt_inside() -> None:
    from scipy.signal import butter, sosfiltfilt

    rng = np.random.default_rng(0)
    x = np.cumsum(rng.standard_normal((3000, 2)), axis=0)
    kernel = zero_phase_kernel(100.0, 6.0)
    one = ZeroPhaseLowPass(kernel, 2).update(x, closes=True)
    lp = ZeroPhaseLowPass(kernel, 2)
    cuts = np.cumsum(rng.integers(1, 70, size=200))
    pieces = [lp.update(p) for p in np.split(x, cuts[cuts < 3000])[:-1]]
    pieces.append(lp.update(x[cuts[cuts < 3000][-1] :], closes=True))
    np.testing.assert_array_equal(np.concatenate(pieces), one)
    ref = sosfiltfilt(butter(2, 6.0, fs=100.0, output="sos"), x, axis=0)
    inside = slice(200, 2800)
    assert np.max(np.abs(one[inside] - ref[inside])) < 1e-3 * np.max(np.abs(x))


def test_the_gyroscope_bias_settles_within_seconds() -> None:
    rate = 416.0
    acc, gyr = _rest(int(20 * rate), rate, 4)
    cond = Conditioner(rate)
    pieces = cond.update(Samples(t_s=np.arange(acc.shape[0]) / rate, acc_g=acc, gyr_dps=gyr))
    bias = np.concatenate([c.gyr_bias_dps for c in pieces])
    after_s = np.arange(bias.shape[0]) * cond.block / rate
    settled = bias[after_s >= 10.0]
    np.testing.assert_allclose(settled, np.broadcast_to([1.5, -1.0, 0.5], settled.shape), atol=0.05)


def test_conditioning_cuts_stretches_at_gaps_and_long_steps() -> None:
    rate = 100.0
    acc, gyr = _rest(50, rate, 0)
    t = np.arange(50) / rate
    t[30:] += 0.05  # a step of six periods: a gap although nobody marked it
    cond = Conditioner(rate)
    pieces = cond.update(Samples(t_s=t, acc_g=acc, gyr_dps=gyr, gaps_after_idx=(9,)))
    pieces += cond.finish()
    assert [(c.stretch, c.closes, c.t_s.size) for c in pieces] == [
        (0, False, 10),
        (0, True, 0),
        (1, False, 20),
        (1, True, 0),
        (2, False, 20),
        (2, True, 0),
    ]


@settings(max_examples=3)
@given(sizes=st.lists(st.integers(min_value=100, max_value=3000), min_size=1, max_size=30))
def test_hop_contacts_through_the_detector_protocol_are_the_offline_ones(sizes: list[int]) -> None:
    data = _recording("pogo_hops")
    ref = contacts_from_data(data)
    cond = Conditioner(data.sample_rate_hz)
    stream: Detector[HopContacts] = HopContactStream(
        data.sample_rate_hz, ContactParams(acc_range_g=data.meta.acc_range_g)
    )
    reps = -(-len(data) // sum(sizes))
    parts = [stream.update(c) for s in chunks_of(data, sizes * reps) for c in cond.update(s)]
    parts += [stream.update(c) for c in cond.finish()]
    parts.append(stream.finish())
    landing = np.concatenate([p.landing_s for p in parts])
    takeoff = np.concatenate([p.takeoff_s for p in parts])
    assert landing.size == len(ref) >= 10
    np.testing.assert_allclose(landing, ref.landing_s, rtol=0, atol=US)
    np.testing.assert_allclose(takeoff, ref.takeoff_s, rtol=0, atol=US)
