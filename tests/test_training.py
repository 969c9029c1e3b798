"""The protocol runner, driven by made-up events and times (no clock, no Qt)."""

from __future__ import annotations

from imu_app.analysis import Contact
from imu_app.training import PROGRAMME, CueKind, Phase, ProtocolRunner, exercise


def _hop(k: int, ct_ms: float) -> Contact:
    return Contact(landing_s=k * 0.5, takeoff_s=k * 0.5 + ct_ms / 1000, contact_time_ms=ct_ms)


def test_sets_rest_countdown_and_summary():
    r = ProtocolRunner(exercise("pogo_hops"), sets=2, reps_per_set=3, rest_s=60)
    cues = r.start(0.0)
    assert [c.kind for c in cues] == [CueKind.GO] and r.phase is Phase.WORK
    kinds = []
    for k, ct in enumerate((180.0, 190.0, 200.0)):
        kinds += [c.kind for c in r.on_contact(_hop(k, ct), 1.0 + k)]
    assert kinds.count(CueKind.TICK) == 3 and CueKind.SET_DONE in kinds
    assert r.phase is Phase.REST
    res = r.results[0]
    assert res.count == 3 and res.contact_time_ms.mean == 190.0 and res.contact_time_ms.best == 180.0
    assert res.contact_time_ms.drift_per_rep == 10.0
    assert r.on_contact(_hop(9, 150.0), 4.0) == []  # walking back during the rest is not counted
    said = [c.text for t in (50.5, 57.5, 58.5, 59.5) for c in r.tick(3.0 + t) if c.kind is CueKind.COUNTDOWN]
    assert said == ["10", "3", "2", "1"]
    assert r.state.rest_left_s is not None and r.state.rest_left_s < 1
    assert [c.kind for c in r.tick(63.1)] == [CueKind.GO] and r.state.set_number == 2
    r.end_set(70.0)
    assert r.phase is Phase.DONE and len(r.results) == 2 and r.results[1].count == 0


def test_metronome_beats_the_calf_tempo():
    r = ProtocolRunner(exercise("eccentric_calf_raise"))  # 1-0-3-2: up 1 s, down 3 s, pause 2 s
    r.start(100.0)
    beats = [c.text for t in range(13) for c in r.tick(100.0 + t * 0.5) if c.kind is CueKind.BEAT]
    assert beats == ["up", "down", "pause", "up"]
    assert [c.kind for c in r.on_rep(partial=True, now_s=101)] == []
    assert r.on_rep(partial=False, now_s=102)[0].text == "1"


def test_holds_count_and_every_exercise_is_runnable():
    r = ProtocolRunner(exercise("forward_hop_hold"), reps_per_set=2)
    r.start(0)
    assert [c.kind for c in r.on_hold_started(1)] == [CueKind.HOLD]
    r.on_hold_ended(5.2, True, 7)
    r.on_hold_ended(3.0, False, 12)
    assert r.phase is Phase.DONE and r.results[0].holds_met == 1
    for key, ex in PROGRAMME.items():
        assert ex.key == key and ex.reps_per_set > 0 and ex.rest_s == 60.0
