"""Calf raises stream: live equals offline by construction.

Offline calf raises are :class:`CalfRaiseStream` fed the whole recording in one chunk; here the bundled
calf-raise recordings and simulated sessions (several sets with rests, 100 and 833 Hz, with and without
gyroscope) are cut into random chunks (hypothesis) and must give the same reps and sets to the
microsecond, with the stream's memory bounded by its pieces, not by the recording.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_app.analysis import CalfRaiseParams, CalfRaiseRep, SetSummary, detect_calf_raises
from imu_app.analysis._calf.stream import CalfRaiseStream, CalfStreamParams
from imu_app.analysis._conditioning import Conditioner
from imu_app.analysis._stream import chunks_of
from imu_app.core import ImuData
from imu_app.recordings import load
from imu_app.sim import SensorParams, simulate

from ._same_events import assert_same_events
from .paths import RECORDINGS
from .test_landing_stream import _with_gaps

RECORDED = ["eccentric_calf_raise", "single_leg_calf_raise"]
SIMULATED = ["eccentric@100", "eccentric@833-nogyro", "single@100-nogyro", "single@833", "single@100-gaps"]


@functools.cache
def _recording(name: str) -> ImuData:
    if "@" not in name:
        return load(RECORDINGS / f"{name}.csv")
    kind, rest = name.split("@")
    rate = float(rest.split("-")[0])
    exercise = "eccentric_calf_raise" if kind == "eccentric" else "single_leg_calf_raise"
    sim = simulate(
        exercise,
        SensorParams(sample_rate_hz=rate, mounting="random", with_gyro="nogyro" not in rest),
        seed=int(rate) % 5,
        n_sets=3,
        reps=(5, 7),
        rest_s=45.0,
    )
    data = sim.data
    if rest.endswith("gaps"):
        # Gaps inside the second and third sets: each cuts its piece (reps are not sought across one).
        data = _with_gaps(data, (75.0,), 0.3)
        data = _with_gaps(data, (130.0,), 0.01)
    return data


def _streamed(
    data: ImuData, sizes: list[int], sp: CalfStreamParams | None = None
) -> tuple[list[CalfRaiseRep], list[SetSummary], int]:
    """The stream fed ``data`` in chunks of ``sizes`` (repeated until the data are used up); its reps, sets
    and the most samples it held."""
    reps = -(-len(data) // max(sum(sizes), 1))
    cond = Conditioner(data.sample_rate_hz)
    stream = CalfRaiseStream(data.sample_rate_hz, CalfRaiseParams(), sp)
    out: list[CalfRaiseRep] = []
    sets: list[SetSummary] = []
    most = 0
    for chunk in chunks_of(data, sizes * reps):
        for c in cond.update(chunk):
            part = stream.update(c)
            out += part.calf_raises.reps
            sets += part.sets
            most = max(most, stream.buffered)
    for part in [*(stream.update(c) for c in cond.finish()), stream.finish()]:
        out += part.calf_raises.reps
        sets += part.sets
    return out, sets, most


@functools.cache
def _one_chunk(name: str) -> tuple[tuple[CalfRaiseRep, ...], tuple[SetSummary, ...]]:
    res = detect_calf_raises(_recording(name))
    return res.calf_raises.reps, res.sets


@pytest.mark.parametrize("name", RECORDED + SIMULATED)
@settings(max_examples=3, deadline=None)
@given(sizes=st.lists(st.integers(min_value=20, max_value=4000), min_size=1, max_size=30))
def test_random_chunkings_give_the_one_chunk_reps(name: str, sizes: list[int]) -> None:
    reps, sets = _one_chunk(name)
    assert len(reps) >= 3, "the recording has reps to compare"
    got, got_sets, _ = _streamed(_recording(name), sizes)
    assert_same_events(got, reps)
    assert_same_events(got_sets, sets)


def test_simulated_sessions_are_cut_at_their_rests_and_keep_their_sets() -> None:
    for name in SIMULATED:
        reps, sets = _one_chunk(name)
        assert len(sets) == 3 or (name.endswith("gaps") and len(sets) > 3), name
        assert sum(not r.partial for r in reps) == sum(s.count for s in sets)


def test_sample_by_sample_gives_the_one_chunk_reps() -> None:
    data = _recording("single_leg_calf_raise")
    got, got_sets, _ = _streamed(data, [1, 2, 1, 3, 7])
    reps, sets = _one_chunk("single_leg_calf_raise")
    assert_same_events(got, reps)
    assert_same_events(got_sets, sets)


def test_memory_is_bounded_by_the_longest_piece_not_the_recording() -> None:
    data = _recording("eccentric@100")
    # A stream cut without rest at a tenth of the default piece, so that the cap is what bounds it.
    sp = CalfStreamParams(max_piece_s=30.0, search_s=5.0)
    got, _, most = _streamed(data, [97], sp)
    stream = CalfRaiseStream(data.sample_rate_hz, None, sp)
    bound = (sp.max_piece_s + sp.search_s + sp.margin_s + 1.0) * data.sample_rate_hz
    assert data.duration_s * data.sample_rate_hz > 2 * bound, "the session is longer than the bound"
    assert most <= bound
    assert stream.lookahead_s == sp.max_piece_s + sp.search_s
    # And with the defaults, the rests bound it: no piece holds two sets.
    _, _, most = _streamed(data, [97])
    assert most < 0.6 * len(data)
    assert got, "the capped stream still finds reps"


def test_a_quiet_recording_and_a_short_one_give_no_reps() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(0, 60, 0.01)
    acc = np.tile([0.0, 0.0, 1.0], (t.size, 1)) + 0.004 * rng.standard_normal((t.size, 3))
    quiet = ImuData(t_s=t, acc_g=acc, gyr_dps=None, meta=_recording("eccentric@100").meta)
    assert detect_calf_raises(quiet).calf_raises.reps == ()
    assert detect_calf_raises(quiet.slice(0, 5)).calf_raises.reps == ()


def test_every_rep_is_decided_within_the_look_ahead_and_a_set_s_reps_soon_after_it() -> None:
    data = _recording("eccentric@100")
    cond = Conditioner(data.sample_rate_hz)
    stream = CalfRaiseStream(data.sample_rate_hz)
    lags = []
    for chunk in chunks_of(data, [50] * (len(data) // 50 + 1)):
        newest = float(chunk.t_s[-1] - data.t_s[0])
        for c in cond.update(chunk):
            part = stream.update(c)
            lags += [newest - r.end_s for r in part.calf_raises.reps if r.set_index is not None]
            for s in part.sets:
                # The rest after a set decides it: max_rest_s and a block or two after its last movement.
                assert newest - s.end_s <= stream.typical_lookahead_s + 2.0
    assert len(lags) >= 12
    assert max(lags) <= stream.lookahead_s
