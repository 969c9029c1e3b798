"""The streaming contact detector keeps a bounded buffer through long rests and still equals offline."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_app.analysis._contacts import (
    MAX_LOOKAHEAD_S,
    ContactParams,
    HopContacts,
    HopContactStream,
    contacts_from_data,
)
from imu_app.core import Gap, ImuData
from imu_app.recordings import load
from imu_app.sim import SensorParams, simulate

from .paths import RECORDINGS

RATE_HZ = 200.0


def _stream(data: ImuData, rng: np.random.Generator, max_chunk: int, gaps_at: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    stream = HopContactStream(data.sample_rate_hz, ContactParams(acc_range_g=data.meta.acc_range_g))
    parts, held, i = [], 0, 0
    while i < len(data):
        j = min(len(data), i + int(rng.integers(1, max_chunk)))
        gaps = tuple(
            Gap(before_idx=g - i, start_s=float(data.t_s[g]), end_s=float(data.t_s[g + 1]), n_missing=1)
            for g in gaps_at
            if i <= g < j - 1
        )
        parts.append(stream.feed(data.t_s[i:j], data.acc_g[i:j], gaps))
        held = max(held, stream.buffered)
        i = j
    parts.append(stream.finish())
    return parts, held, stream


def _same_as_offline(parts, offline) -> None:  # type: ignore[no-untyped-def]
    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    assert cat("landing_s").size == len(offline)
    for name in ("landing_s", "takeoff_s", "flight_before_ms", "flight_after_ms"):
        np.testing.assert_allclose(cat(name), getattr(offline, name), rtol=0, atol=1e-9, err_msg=name)
    for name in ("complete", "landing_idx", "takeoff_idx"):
        np.testing.assert_array_equal(cat(name), getattr(offline, name), err_msg=name)


@pytest.mark.parametrize("seed", [0, 1])
def test_long_rest_keeps_the_buffer_bounded_and_events_identical(seed: int) -> None:
    sim = simulate(
        "pogo_hops", SensorParams(sample_rate_hz=RATE_HZ), seed=seed, n_sets=2, reps=(4, 6), rest_s=300.0
    )
    data = sim.data
    offline = contacts_from_data(data)
    parts, held, stream = _stream(data, np.random.default_rng(seed), max_chunk=60)
    _same_as_offline(parts, offline)
    # The set's last landing waits through the rest for its take-off, with a bounded buffer.
    bound_s = stream.max_buffer_s + 2 * MAX_LOOKAHEAD_S + 60 / RATE_HZ
    assert held <= bound_s * RATE_HZ
    assert held < 0.1 * len(data)


def test_a_gap_in_a_long_rest_still_gives_the_offline_events() -> None:
    sim = simulate("pogo_hops", SensorParams(sample_rate_hz=RATE_HZ), seed=3, n_sets=2, reps=4, rest_s=120.0)
    d = sim.data
    t_mid = 0.5 * (d.t_s[0] + d.t_s[-1])
    lo = int(np.searchsorted(d.t_s, t_mid))
    keep = np.r_[0:lo, lo + 20 : len(d)]
    gap = Gap(before_idx=lo - 1, start_s=float(d.t_s[lo - 1]), end_s=float(d.t_s[lo + 20]), n_missing=20)
    data = ImuData(t_s=d.t_s[keep], acc_g=d.acc_g[keep], gaps=(gap,), meta=d.meta)
    offline = contacts_from_data(data)
    parts, held, _ = _stream(data, np.random.default_rng(4), max_chunk=80, gaps_at=(lo - 1,))
    _same_as_offline(parts, offline)
    assert held < 0.2 * len(data)


# --- the stream skips the detector on chunks that cannot release a contact --------------------------------


@functools.cache
def _source(name: str) -> ImuData:
    """Hops at several rates, with a gap, and the bundled recordings."""
    if name.endswith(".csv"):
        d = load(RECORDINGS / name)
        return d.slice(0, min(len(d), int(15 * d.sample_rate_hz)))
    exercise, rate, seed = name.split("@")
    sim = simulate(exercise, SensorParams(sample_rate_hz=float(rate)), seed=int(seed))
    d = sim.data.slice(0, min(len(sim.data), int(10 * float(rate))))
    if seed != "3":
        return d
    # Cut 0.2 s out of the middle: a gap inside a set.
    lo = len(d) // 2
    keep = np.r_[0:lo, lo + int(0.2 * float(rate)) : len(d)]
    return ImuData(t_s=d.t_s[keep], acc_g=d.acc_g[keep], meta=d.meta)


def _same(a: HopContacts, b: HopContacts) -> None:
    for name in ("landing_s", "takeoff_s", "flight_before_ms", "flight_after_ms", "complete"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("landing_idx", "takeoff_idx"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def _feed_both(data: ImuData, sizes: list[int]) -> tuple[int, int]:
    """Feed the same chunks to a skipping stream and to one that reruns the detector on every chunk; each
    call must return the same contacts. Returns the chunks fed and the detector's runs when skipping."""
    params = ContactParams(acc_range_g=data.meta.acc_range_g)
    skipping = HopContactStream(data.sample_rate_hz, params)
    every = HopContactStream(data.sample_rate_hz, params)
    every.every_chunk = True
    runs = 0
    real_release = skipping._release

    def counted(*, final: bool) -> HopContacts:
        nonlocal runs
        runs += 1
        return real_release(final=final)

    skipping._release = counted  # type: ignore[method-assign]
    i, k, n_chunks = 0, 0, 0
    while i < len(data):
        j = min(len(data), i + sizes[k % len(sizes)])
        k += 1
        n_chunks += 1
        _same(skipping.feed(data.t_s[i:j], data.acc_g[i:j]), every.feed(data.t_s[i:j], data.acc_g[i:j]))
        i = j
    _same(skipping.finish(), every.finish())
    return n_chunks, runs


SKIP_SOURCES = ["pogo_hops@1666@2", "pogo_hops@104@3", "leap_and_hop@400@1", "drop_jump@52@3", "step_hop.csv"]


@pytest.mark.parametrize("name", SKIP_SOURCES)
@settings(max_examples=4, deadline=None)
@given(sizes=st.lists(st.integers(min_value=10, max_value=150), min_size=1, max_size=12))
def test_skipping_the_detector_changes_no_release(name: str, sizes: list[int]) -> None:
    data = _source(name)
    _feed_both(data, [max(1, round(ms * data.sample_rate_hz / 1000)) for ms in sizes])


def test_the_detector_runs_on_few_chunks_of_continuous_hops() -> None:
    """20-ms chunks at 1666 Hz: the detector runs where a flight starts, where a contact may be released,
    and after each release; not on every chunk."""
    n_chunks, runs = _feed_both(_source("pogo_hops@1666@2"), [33])
    assert runs < 0.4 * n_chunks


def test_the_buffer_restarts_after_the_landing_s_dip_at_104_hz() -> None:
    """At 104 Hz the sample two after a released landing can still lie below flight_max_g: the buffer
    restarts past it, or the restarted detector would find the contact once more with another landing."""
    d = simulate("pogo_hops", SensorParams(sample_rate_hz=104.0), seed=3).data
    d = d.slice(0, int(10 * 104.0))
    offline = contacts_from_data(d)
    parts, _, _ = _stream(d, np.random.default_rng(0), max_chunk=3)
    _same_as_offline(parts, offline)
