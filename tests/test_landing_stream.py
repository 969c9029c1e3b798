"""Landing holds stream: live equals offline by construction.

Offline holds are :class:`LandingStream` fed the whole recording in one chunk; here the bundled recordings
with holds and simulated sessions are cut into random chunks (hypothesis) and must give the same holds to
the microsecond, with the stream's memory bounded by its look-ahead, not by the recording.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_app.analysis import Landing, LandingParams, detect_landings
from imu_app.analysis._conditioning import Conditioner
from imu_app.analysis._contacts import contacts_from_data
from imu_app.analysis._landing import LandingStream
from imu_app.analysis._stream import chunks_of
from imu_app.core import Gap, ImuData
from imu_app.recordings import load
from imu_app.sim import SensorParams, simulate

from ._same_events import assert_same_events
from .paths import RECORDINGS

RECORDED = ["forward_hop_hold", "squat_drop", "step_hop", "leap_and_hop"]
SIMULATED = ["holds@52", "holds@208", "holds@1000", "squat@104-nogyro", "holds@416-gaps"]


def _with_gaps(data: ImuData, at_s: tuple[float, ...], width_s: float) -> ImuData:
    """``data`` with ``width_s`` of samples missing at each of ``at_s`` (s from its start)."""
    t = data.t_s - data.t_s[0]
    keep = np.ones(t.size, dtype=bool)
    for a in at_s:
        keep &= ~((t >= a) & (t < a + width_s))
    idx = np.flatnonzero(keep)
    missing = np.diff(idx) - 1
    for g in data.gaps:  # the gaps already there
        missing[int(np.searchsorted(idx, g.before_idx))] += g.n_missing
    before = np.flatnonzero(missing > 0)
    gaps = tuple(
        Gap(
            before_idx=int(i),
            start_s=float(data.t_s[idx[i]]),
            end_s=float(data.t_s[idx[i + 1]]),
            n_missing=int(missing[i]),
        )
        for i in before
    )
    return ImuData(
        t_s=data.t_s[keep],
        acc_g=data.acc_g[keep],
        gyr_dps=None if data.gyr_dps is None else data.gyr_dps[keep],
        gaps=gaps,
        meta=data.meta,
    )


@functools.cache
def _recording(name: str) -> ImuData:
    if "@" not in name:
        return load(RECORDINGS / f"{name}.csv")
    kind, rest = name.split("@")
    rate = float(rest.split("-")[0])
    exercise = "forward_hop_hold" if kind == "holds" else "squat_drop"
    sim = simulate(
        exercise,
        SensorParams(sample_rate_hz=rate, mounting="random", with_gyro="nogyro" not in rest),
        seed=int(rate) % 7,
        reps=4,
        hold_failure=["other_foot", "stumble", "hop"],
    )
    data = sim.data
    if rest.endswith("gaps"):
        # A long gap (cuts a hold's run) and a few lost packets (bridged) in the middle of the session.
        span = data.duration_s
        data = _with_gaps(data, (0.31 * span, 0.62 * span), 0.2)
        data = _with_gaps(data, (0.45 * span,), 0.01)
    return data


def _streamed(data: ImuData, sizes: list[int], params: LandingParams | None = None) -> tuple[list, int]:
    """The stream fed ``data`` in chunks of ``sizes`` (repeated until the data are used up); its holds and
    the most samples it held."""
    reps = -(-len(data) // max(sum(sizes), 1))
    cond = Conditioner(data.sample_rate_hz)
    stream = LandingStream(data.sample_rate_hz, params, acc_range_g=data.meta.acc_range_g or None)
    out: list[Landing] = []
    most = 0
    for chunk in chunks_of(data, sizes * reps):
        for c in cond.update(chunk):
            out += stream.update(c)
            most = max(most, stream.buffered)
    for c in cond.finish():
        out += stream.update(c)
    out += stream.finish()
    return out, most


@functools.cache
def _one_chunk(name: str) -> tuple[Landing, ...]:
    return detect_landings(_recording(name)).landings


@pytest.mark.parametrize("name", RECORDED + SIMULATED)
@settings(max_examples=3, deadline=None)
@given(sizes=st.lists(st.integers(min_value=20, max_value=4000), min_size=1, max_size=30))
def test_random_chunkings_give_the_one_chunk_holds(name: str, sizes: list[int]) -> None:
    ref = _one_chunk(name)
    assert len(ref) >= 1, "the recording has holds to compare"
    got, _ = _streamed(_recording(name), sizes)
    assert_same_events(got, ref, ignore=("set_index",))


def test_sample_by_sample_gives_the_one_chunk_holds() -> None:
    got, _ = _streamed(_recording("holds@52"), [1, 2, 1, 3])
    assert_same_events(got, _one_chunk("holds@52"), ignore=("set_index",))


def test_the_given_contacts_give_the_holds_of_the_stream_s_own() -> None:
    for name in ["step_hop", "holds@416-gaps"]:
        data = _recording(name)
        given_contacts = detect_landings(data, contacts=contacts_from_data(data)).landings
        assert_same_events(list(given_contacts), _one_chunk(name), ignore=("set_index",))


def test_memory_is_bounded_by_the_look_ahead_not_the_recording() -> None:
    data = _recording("holds@1000")
    params = LandingParams()
    _, most = _streamed(data, [200], params)
    stream = LandingStream(data.sample_rate_hz, params)
    # The samples of one hold's analysis (touch-down to its longest end and the look-ahead after it), a
    # chunk, and what the contact detector may still report.
    bound = (stream.lookahead_s + 4.0) * data.sample_rate_hz
    assert data.duration_s * data.sample_rate_hz > 2 * bound, "the session is longer than the bound"
    assert most <= bound


def test_every_hold_is_decided_within_the_look_ahead_of_its_touch_down() -> None:
    data = _recording("holds@208")
    cond = Conditioner(data.sample_rate_hz)
    stream = LandingStream(data.sample_rate_hz)
    seen = 0
    for chunk in chunks_of(data, [52] * (len(data) // 52 + 1)):
        for c in cond.update(chunk):
            for h in stream.update(c):
                newest = float(chunk.t_s[-1] - data.t_s[0])
                assert newest - h.landing_s <= stream.lookahead_s + 52 / data.sample_rate_hz
                seen += 1
    assert seen >= 3
