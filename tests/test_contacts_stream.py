"""The streaming contact detector keeps a bounded buffer through long rests and still equals offline."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.analysis._contacts import MAX_LOOKAHEAD_S, ContactParams, HopContactStream, contacts_from_data
from imu_app.core import Gap, ImuData
from imu_app.sim import SensorParams, simulate

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
