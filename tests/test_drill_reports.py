"""How drills are reported: one row per rebound or hop with the jump it launched, one set per series."""

from __future__ import annotations

import numpy as np
import pytest

from imu_app.analysis._contacts import HopContacts
from imu_app.analysis._hop_metrics import hop_report, jump_height_cm


def _contacts(landing_s, takeoff_s) -> HopContacts:
    landing = np.asarray(landing_s, dtype=float)
    takeoff = np.asarray(takeoff_s, dtype=float)
    flight_before = 1000 * (landing - np.r_[np.nan, takeoff[:-1]])
    flight_after = np.r_[flight_before[1:], np.nan]
    return HopContacts(
        landing_s=landing,
        takeoff_s=takeoff,
        flight_before_ms=flight_before,
        flight_after_ms=flight_after,
        complete=np.ones(landing.size, dtype=bool),
        landing_idx=np.zeros(landing.size, dtype=np.intp),
        takeoff_idx=np.zeros(landing.size, dtype=np.intp),
    )


def _drop_jump_series(rest_s: float) -> HopContacts:
    """Reps of: drop from the box, a 250-ms rebound, a 400-ms flight, stand, walk back, rest."""
    landing, takeoff = [], []
    t = 2.0
    for _ in range(3):
        landing += [t, t + 0.65]
        takeoff += [t + 0.25, t + 0.65 + rest_s]
        t += 0.65 + rest_s + 0.3  # the next drop lasts 0.3 s
    return _contacts(landing, takeoff)


def test_a_drop_jump_row_is_the_rebound_with_its_flight_height_and_rsi() -> None:
    contacts, _ = hop_report(_drop_jump_series(rest_s=30.0), "drop_jump")
    rebounds = [c for c in contacts if c.role == "rebound"]
    assert len(rebounds) == 3
    for c in rebounds:
        assert c.contact_time_ms == pytest.approx(250.0)
        assert c.next_flight_time_ms == pytest.approx(400.0)
        assert c.next_jump_height_cm == pytest.approx(float(jump_height_cm(400.0)))
        assert c.rsi == pytest.approx(c.next_jump_height_cm / 100 / 0.25)
    # The flight before each rebound is the drop from the box, which is no jump.
    assert all(c.jump_height_cm is None for c in rebounds)


def test_standing_after_the_last_landing_is_no_contact() -> None:
    contacts, _ = hop_report(_drop_jump_series(rest_s=30.0), "drop_jump")
    stands = [c for c in contacts if c.role == "set_end"]
    assert len(stands) == 3
    assert all(c.contact_time_ms is None and c.next_flight_time_ms is None and c.rsi is None for c in stands)


@pytest.mark.parametrize(("rest_s", "n_sets"), [(30.0, 1), (75.0, 3)])
def test_a_drop_jump_series_is_one_set_unless_the_athlete_rests(rest_s: float, n_sets: int) -> None:
    _, sets = hop_report(_drop_jump_series(rest_s=rest_s), "drop_jump")
    assert len(sets) == n_sets
    assert sum(s.count for s in sets) == 3
    assert sets[0].stats["flight_time_ms"].mean == pytest.approx(400.0)
    assert sets[0].stats["contact_time_ms"].mean == pytest.approx(250.0)


def test_pogo_hops_split_into_sets_at_a_shorter_rest() -> None:
    # Three hops, a 30-s rest, three hops: two sets of pogo hops (no walk back between reps).
    landing = [1.0, 1.6, 2.2, 32.8, 33.4, 34.0, 34.6]
    takeoff = [1.2, 1.8, 2.4, 33.0, 33.6, 34.2, 40.0]
    _, sets = hop_report(_contacts(landing, takeoff), "pogo_hops")
    assert len(sets) == 2
