"""The live pipeline: replay equals offline analysis, and every fault of a link or a disk is survived.

No test depends on timing: replays run as fast as possible or paced by a fake clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import math
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from imu_app.analysis import analyse
from imu_app.cli import main
from imu_app.core import ImuData, RecordingMeta
from imu_app.live import (
    Chunk,
    ClockMapper,
    ContactDone,
    FakeClock,
    GapMarked,
    GapReason,
    HoldEnded,
    HoldStarted,
    LinkMonitor,
    LinkNotice,
    LiveModel,
    NoticeKind,
    Published,
    Recorder,
    RecordingNotice,
    RepDone,
    ReplaySource,
    RepSeen,
    RingBuffer,
    Sequencer,
    Session,
    SessionParams,
    SetDone,
    Source,
    SourceInfo,
    make_engine,
)
from imu_app.recordings import NativeWriter, load

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def _contact_key(c) -> dict:
    d = dataclasses.asdict(c)
    d.pop("set_index")
    return d


def _same_contacts(live, offline) -> bool:
    if len(live) != len(offline):
        return False
    for a, b in zip(live, offline, strict=True):
        for x, y in zip(_contact_key(a).values(), _contact_key(b).values(), strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if not (abs(x - y) <= 1e-6 or (math.isnan(x) and math.isnan(y))):
                    return False
            elif x != y:
                return False
    return True


def _run(
    source: Source,
    data_meta: RecordingMeta,
    *,
    clock=None,
    record: Path | None = None,
    recorder: Recorder | None = None,
    subscribers: tuple[Callable[[Published], None], ...] = (),
    params: SessionParams | None = None,
    exercise: str | None = None,
):
    engine = make_engine(source.info.sample_rate_hz, data_meta, exercise=exercise)
    session = Session(source, engine, clock=clock, recorder=recorder, params=params)
    events: list[Published] = []
    session.subscribe(events.append)
    for s in subscribers:
        session.subscribe(s)
    if record is not None:
        session.start_recording(record)
    summary = asyncio.run(session.run())
    return session, summary, events


def _contacts(events) -> list:
    return [p.event.contact for p in events if isinstance(p.event, ContactDone)]


def _assert_as_offline(live, offline) -> None:  # type: ignore[no-untyped-def]
    """Every field of every live event equals the offline one, floats to the microsecond (set numbers left
    out: the live session numbers sets per kind)."""
    for a, b in zip(live, offline, strict=True):
        got, ref = dataclasses.asdict(a), dataclasses.asdict(b)
        got.pop("set_index"), ref.pop("set_index")
        for key, x in got.items():
            y = ref[key]
            assert x == y or (isinstance(x, float) and isinstance(y, float) and abs(x - y) <= 1e-6), key


def _of(events, kind) -> list:
    return [p.event for p in events if isinstance(p.event, kind)]


# --------------------------------------------------------------------------------- replay equals offline


@pytest.mark.parametrize(
    "name", ["pogo_hops", "drop_jump", "step_hop", "leap_and_hop", "lateral_hops", "walking", "running"]
)
def test_replay_at_max_speed_gives_the_contacts_of_analyse(name: str) -> None:
    data = load(RECORDINGS / f"{name}.csv")
    _, summary, events = _run(ReplaySource(data, speed=None), data.meta)
    assert summary.n_samples == len(data)
    assert _same_contacts(_contacts(events), analyse(data).contacts)
    # Hop sets come in order, each after its last contact.
    hop_sets = [s.summary.index for s in _of(events, SetDone) if s.summary.kind == "hops"]
    assert hop_sets == list(range(len(hop_sets)))
    # Strides come through the same stream as offline, their sets with the same statistics.
    stride_sets = [s.summary for s in _of(events, SetDone) if s.summary.kind == "strides"]
    assert [s.stats for s in stride_sets] == [s.stats for s in analyse(data).sets if s.kind == "strides"]


def test_paced_replay_on_a_fake_clock_is_the_same_and_stamps_real_time_latencies() -> None:
    data = load(RECORDINGS / "pogo_hops.csv")
    clock = FakeClock()
    start = clock.now()
    source = ReplaySource(data, speed=1.0, clock=clock)
    _, summary, events = _run(source, data.meta, clock=clock)
    assert _same_contacts(_contacts(events), analyse(data).contacts)
    # Paced in real time: the replay took the recording's duration on the (fake) host clock.
    assert clock.now() - start == pytest.approx(data.duration_s, abs=0.03)
    # Each contact is published when it is decided: its take-off plus the detector's look-ahead, paced.
    for p in events:
        if isinstance(p.event, ContactDone):
            assert p.latency_s >= 0
            decided = start + p.event.contact.takeoff_s
            assert p.published_s >= decided
            assert p.host_s == pytest.approx(start + p.event.t_s, abs=0.03)
    assert summary.health.effective_rate_hz == pytest.approx(1000, rel=0.02)
    assert summary.health.clock_residual_ms < 1.0


@pytest.mark.parametrize("name", ["forward_hop_hold", "squat_drop", "step_hop", "leap_and_hop"])
def test_holds_are_reported_once_in_order_and_equal_analyse(name: str) -> None:
    data = load(RECORDINGS / f"{name}.csv")
    _, _, events = _run(ReplaySource(data, speed=None), data.meta)
    started, ended = _of(events, HoldStarted), _of(events, HoldEnded)
    offline = analyse(data).landings
    assert len(ended) == len(offline) >= 1
    assert [e.number for e in ended] == list(range(1, len(ended) + 1))
    # Every hold was announced at its touch-down under its number; a touch-down the foot stayed down after
    # may be announced and then turn out no hold (the next hold takes its number).
    announced = {(s.t_s, s.number) for s in started}
    assert all((e.landing.landing_s, e.number) in announced for e in ended)
    assert len(started) - len(ended) <= 1
    # The same stream as offline: every field of every hold to the microsecond (sets are numbered per kind).
    _assert_as_offline([e.landing for e in ended], offline)


def test_reps_are_reported_once_in_order_and_are_the_offline_reps() -> None:
    calf = load(RECORDINGS / "single_leg_calf_raise.csv")
    _, _, events = _run(ReplaySource(calf, speed=None), calf.meta)
    reps = _of(events, RepDone)
    starts = [r.rep.start_s for r in reps]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert [r.number for r in reps] == list(range(1, len(reps) + 1))
    # The same stream as offline: every field of every rep to the microsecond.
    offline = analyse(calf).calf_raises.reps
    assert len(reps) == len(offline) >= 10
    _assert_as_offline([e.rep for e in reps], offline)
    done = [e for e in _of(events, SetDone) if e.summary.kind == "calf_raises"]
    assert len(done) == 1 and done[0].summary.count == sum(not r.partial for r in offline)


def test_reps_are_counted_live_while_the_set_goes_on() -> None:
    """The training's cues follow ``RepSeen``: one per rep, each about a second after the rep's bottom,
    all before the set is over and its final reps come."""
    calf = load(RECORDINGS / "single_leg_calf_raise.csv")
    _, _, events = _run(ReplaySource(calf, speed=None), calf.meta)
    kinds = [type(p.event) for p in events]
    seen = _of(events, RepSeen)
    offline = [r for r in analyse(calf).calf_raises.reps if not r.partial]
    assert [e.number for e in seen] == list(range(1, len(offline) + 1))
    assert max(i for i, k in enumerate(kinds) if k is RepSeen) < kinds.index(RepDone)
    for e, rep in zip(seen, offline, strict=True):
        assert abs(e.t_s - rep.bottom_s) < 0.3


# ------------------------------------------------------------------------------------------------- faults


class FaultySource(Source):
    """Replays ``data`` in 20-ms chunks through a list of faults applied to the chunk sequence."""

    def __init__(
        self,
        data: ImuData,
        *,
        clock: FakeClock | None = None,
        drop: tuple[int, ...] = (),
        duplicate: tuple[int, ...] = (),
        swap: tuple[int, ...] = (),
        restart_at: int | None = None,
        fail_at: int | None = None,
        stall_at: int | None = None,
        resume: asyncio.Event | None = None,
    ) -> None:
        self.inner = ReplaySource(data, speed=None)
        self.info = dataclasses.replace(self.inner.info, realtime=True)
        self.clock = clock or FakeClock()
        self.drop, self.duplicate, self.swap = drop, duplicate, swap
        self.restart_at, self.fail_at, self.stall_at, self.resume = restart_at, fail_at, stall_at, resume

    async def chunks(self) -> AsyncIterator[Chunk]:
        chunks = [c async for c in self.inner.chunks()]
        order = list(range(len(chunks)))
        for k in self.swap:
            order[k], order[k + 1] = order[k + 1], order[k]
        for i, k in enumerate(order):
            if i == self.fail_at:
                raise ConnectionError("the sensor went away")
            if i == self.stall_at:
                self.clock.advance(3.0)
                assert self.resume is not None
                await self.resume.wait()
            if k in self.drop:
                continue
            c = chunks[k]
            t = c.t_s - (1000.0 if self.restart_at is not None and k >= self.restart_at else 0.0)
            self.clock.advance(0.02)
            arrived = Chunk(t, c.acc_g, c.gyr_dps, c.seq, self.clock.now())
            yield arrived
            if k in self.duplicate:
                yield arrived
            await asyncio.sleep(0)


@pytest.fixture(scope="module")
def pogo() -> ImuData:
    return load(RECORDINGS / "pogo_hops.csv")


def test_out_of_order_and_duplicated_packets_lose_nothing_and_change_nothing(
    pogo: ImuData, tmp_path: Path
) -> None:
    swaps = tuple(range(10, 700, 37))
    dups = tuple(range(5, 700, 53))
    clock = FakeClock()
    source = FaultySource(pogo, clock=clock, swap=swaps, duplicate=dups)
    _, summary, events = _run(source, pogo.meta, clock=clock, record=tmp_path / "r.csv")
    rec = load(tmp_path / "r.csv")
    np.testing.assert_allclose(rec.t_s, pogo.t_s, atol=5e-7)
    np.testing.assert_allclose(rec.acc_g, pogo.acc_g, atol=5e-7)
    assert rec.gaps == ()
    assert not _of(events, GapMarked)
    assert _same_contacts(_contacts(events), analyse(pogo).contacts)
    assert summary.health.duplicates == 20 * len(dups)
    assert any(n.kind is NoticeKind.DUPLICATES for n in _of(events, LinkNotice))


def test_dropped_packets_are_gaps_in_the_recording_and_the_analysis_does_not_cross_them(
    pogo: ImuData, tmp_path: Path
) -> None:
    # Chunks 299-300 (5.98-6.02 s) lie inside a hop's contact; 500 in a flight.
    clock = FakeClock()
    source = FaultySource(pogo, clock=clock, drop=(299, 300, 500))
    _, summary, events = _run(source, pogo.meta, clock=clock, record=tmp_path / "r.csv")
    rec = load(tmp_path / "r.csv")
    assert len(rec) == len(pogo) - 60
    assert [g.n_missing for g in rec.gaps] == [40, 20]
    gaps = _of(events, GapMarked)
    assert [(g.n_missing, g.reason) for g in gaps] == [(40, GapReason.LOST), (20, GapReason.LOST)]
    assert summary.health.lost == 60
    contacts = _contacts(events)
    # Exactly what the offline analysis makes of the recording with its gaps.
    assert _same_contacts(contacts, analyse(rec).contacts)
    # A gap that could hide a flight (30 ms or more) cuts the contact it falls in; a shorter one cannot
    # hide a take-off and a landing, and the contact detector measures across it (as offline).
    cut = [c for c in contacts if c.landing_s < gaps[0].t_s < (c.takeoff_s or np.inf)]
    assert len(cut) == 1 and not cut[0].complete and cut[0].contact_time_ms is None


def test_a_sensor_clock_restart_is_a_gap_and_the_session_goes_on(pogo: ImuData, tmp_path: Path) -> None:
    clock = FakeClock()
    source = FaultySource(pogo, clock=clock, restart_at=400)
    session, summary, events = _run(source, pogo.meta, clock=clock, record=tmp_path / "r.csv")
    rec = load(tmp_path / "r.csv")
    assert len(rec) == len(pogo)  # every sample that arrived
    assert np.all(np.diff(rec.t_s) > 0)
    assert len(rec.gaps) == 1
    assert [g.reason for g in _of(events, GapMarked)] == [GapReason.RESET]
    assert any(n.kind is NoticeKind.RESTART for n in _of(events, LinkNotice))
    assert summary.health.restarts == 1
    assert session.mapper.restarts == 1


def test_counter_wrap_is_unwrapped() -> None:
    info = SourceInfo(name="wrap", sample_rate_hz=100.0, clock_wrap_s=65.536)
    seq = Sequencer(info)
    out = []
    for i in range(2000):  # 200 s: three wraps
        t_true = np.arange(i * 10, i * 10 + 10) / 100.0
        out += seq.push(Chunk(np.mod(t_true, 65.536), np.zeros((10, 3)), None, None, float(i)))
    t = np.concatenate([c.t_s for c in out])
    np.testing.assert_allclose(t, np.arange(20000) / 100.0, atol=1e-9)
    assert seq.counts.wraps == 3 and seq.counts.lost == 0 and not seq.counts.gaps


def test_a_source_that_ends_early_ends_the_session_cleanly(pogo: ImuData, tmp_path: Path) -> None:
    clock = FakeClock()
    source = FaultySource(pogo, clock=clock, fail_at=400)
    _, summary, events = _run(source, pogo.meta, clock=clock, record=tmp_path / "r.csv")
    assert summary.source_error is not None and "went away" in summary.source_error
    assert any(n.kind is NoticeKind.ENDED for n in _of(events, LinkNotice))
    assert len(load(tmp_path / "r.csv")) == 400 * 20
    cut = pogo.slice(0, 8000)
    assert _same_contacts(_contacts(events), analyse(cut).contacts)


def test_a_stalled_source_is_reported_and_resumes(pogo: ImuData) -> None:
    clock = FakeClock()
    resume = asyncio.Event()

    def on_event(p: Published) -> None:
        if isinstance(p.event, LinkNotice) and p.event.kind is NoticeKind.STALLED:
            resume.set()

    source = FaultySource(pogo, clock=clock, stall_at=200, resume=resume)
    params = SessionParams(tick_s=0.01)
    _, summary, events = _run(source, pogo.meta, clock=clock, subscribers=(on_event,), params=params)
    kinds = [n.kind for n in _of(events, LinkNotice)]
    assert kinds.count(NoticeKind.STALLED) == 1 and kinds.count(NoticeKind.RESUMED) == 1
    assert summary.health.stalls == 1 and summary.n_samples == len(pogo)
    assert _same_contacts(_contacts(events), analyse(pogo).contacts)


def test_link_monitor_reports_a_stall_from_the_clock_alone() -> None:
    mon = LinkMonitor(100.0)
    mon.on_arrival(Chunk(np.arange(2) / 100, np.zeros((2, 3)), None, None, 10.0), 1)
    assert mon.tick(10.5) == []
    assert [k for k, _ in mon.tick(11.2)] == [NoticeKind.STALLED]
    assert mon.tick(12.0) == []  # said once
    notes = mon.on_arrival(Chunk(np.arange(2, 4) / 100, np.zeros((2, 3)), None, None, 13.0), 1)
    assert [k for k, _ in notes] == [NoticeKind.RESUMED]


class _DiskFillsUp(NativeWriter):
    """A writer on a disk with ``room`` bytes: the write that does not fit fails with ENOSPC."""

    room = 200_000

    def _write(self, text: str) -> None:
        n = len(text.encode())
        if n > type(self).room:
            raise OSError(errno.ENOSPC, "No space left on device")
        type(self).room -= n
        super()._write(text)


def test_a_full_disk_ends_the_recording_with_a_clear_error_and_the_stream_goes_on(
    pogo: ImuData, tmp_path: Path
) -> None:
    _DiskFillsUp.room = 200_000
    recorder = Recorder(writer_factory=_DiskFillsUp)
    _, summary, events = _run(
        ReplaySource(pogo, speed=None), pogo.meta, record=tmp_path / "r.csv", recorder=recorder
    )
    errors = [n for n in _of(events, RecordingNotice) if n.error]
    assert len(errors) == 1 and "disk is full" in errors[0].error
    assert _same_contacts(_contacts(events), analyse(pogo).contacts)
    rec = load(tmp_path / "r.csv")
    (made,) = summary.recordings
    assert len(rec) == made.n_samples > 0
    assert made.n_samples + made.n_not_written == len(pogo)
    np.testing.assert_allclose(rec.t_s, pogo.t_s[: len(rec)], atol=5e-7)


def test_a_vanished_folder_is_a_clear_error(pogo: ImuData, tmp_path: Path) -> None:
    _, summary, events = _run(ReplaySource(pogo, speed=None), pogo.meta, record=tmp_path / "gone" / "r.csv")
    (note,) = _of(events, RecordingNotice)
    assert note.error and "folder is gone" in note.error
    assert summary.n_samples == len(pogo)
    assert len(_contacts(events)) == len(analyse(pogo).contacts)


def test_recording_starts_and_stops_while_streaming(pogo: ImuData, tmp_path: Path) -> None:
    path = tmp_path / "part.csv"
    source = ReplaySource(pogo, speed=None)
    engine = make_engine(source.info.sample_rate_hz, pogo.meta)
    session = Session(source, engine)

    def control(p: Published) -> None:
        if isinstance(p.event, ContactDone) and p.event.number == 3:
            session.start_recording(path)
        if isinstance(p.event, ContactDone) and p.event.number == 8:
            session.stop_recording()

    session.subscribe(control)
    asyncio.run(session.run())
    rec = load(path)
    assert 2000 < len(rec) < len(pogo)
    i0 = int(np.searchsorted(pogo.t_s, rec.t_s[0] - 1e-7))
    np.testing.assert_allclose(rec.t_s, pogo.t_s[i0 : i0 + len(rec)], atol=5e-7)
    assert rec.meta.exercise == pogo.meta.exercise
    assert rec.meta.extra.get("recorded_by")


def test_a_subscriber_that_raises_is_isolated(pogo: ImuData) -> None:
    def broken(p: Published) -> None:
        raise RuntimeError("display crashed")

    _, summary, events = _run(ReplaySource(pogo, speed=None), pogo.meta, subscribers=(broken,))
    assert summary.subscriber_errors > 10
    failed = [n for n in _of(events, LinkNotice) if n.kind is NoticeKind.SUBSCRIBER_FAILED]
    assert len(failed) == 1
    assert _same_contacts(_contacts(events), analyse(pogo).contacts)


# --------------------------------------------------------------------------------- clock, model, CLI


def test_clock_mapping_follows_drift_through_jitter_and_wraps() -> None:
    rng = np.random.default_rng(3)
    rate, per = 1000.0, 20
    info = SourceInfo(name="sim", sample_rate_hz=rate, clock_wrap_s=65.536)
    seq, mapper = Sequencer(info), ClockMapper()
    errors = []
    for i in range(30_000):  # 10 minutes of 20-ms packets
        true_host = 100.0 + (i + 1) * per / rate  # when the packet's last sample was measured
        t_sensor = (np.arange(i * per, (i + 1) * per) / rate) * (1 + 50e-6)
        arrival = true_host + 0.005 + rng.uniform(0, 0.020)
        for c in seq.push(Chunk(np.mod(t_sensor, 65.536), np.zeros((per, 3)), None, None, arrival)):
            mapper.update(float(c.t_s[-1]), c.arrival_s)
            if i > 1500:
                errors.append(float(mapper.mapping.to_host(c.t_s[-1])) - (true_host + 0.005))
    assert np.max(np.abs(errors)) < 0.002
    assert mapper.mapping.drift_ppm == pytest.approx(-50, abs=2)


def test_ring_buffer_keeps_the_last_rows_in_order() -> None:
    ring = RingBuffer(5, 1)
    for start in (0, 3, 6):
        ring.append(np.arange(start, start + 3, dtype=float)[:, None])
    np.testing.assert_array_equal(ring.view()[:, 0], [4, 5, 6, 7, 8])
    ring.append(np.arange(100, 112, dtype=float)[:, None])
    np.testing.assert_array_equal(ring.view()[:, 0], np.arange(107, 112))


def test_live_model_follows_the_session(pogo: ImuData) -> None:
    source = ReplaySource(pogo, speed=None)
    session = Session(source, make_engine(source.info.sample_rate_hz, pogo.meta))
    model = LiveModel(source.info.sample_rate_hz, seconds=2.0)
    session.subscribe(model)
    session.on_samples(model.on_samples)
    asyncio.run(session.run())
    offline = analyse(pogo).contacts
    assert model.contacts == len(offline) and model.sets == 1
    assert model.last_contact is not None and model.last_contact.landing_s == pytest.approx(
        offline[-1].landing_s
    )
    sig = model.signal.view()
    assert sig.shape == (2000, 7)
    assert sig[-1, 0] == pytest.approx(pogo.t_s[-1] - pogo.t_s[0])
    assert model.health is not None and model.health.received == len(pogo)


def test_cli_replay_prints_hops_and_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rec.csv"
    assert main(["replay", str(RECORDINGS / "pogo_hops.csv"), "--speed", "max", "--record", str(out)]) == 0
    text = capsys.readouterr().out
    assert "hop 7: contact " in text and " ms, flight " in text and "RSI " in text
    assert "set 1 done: 15 hops" in text and "link: " in text
    assert len(load(out)) == len(load(RECORDINGS / "pogo_hops.csv"))
    with pytest.raises(SystemExit):
        main(["replay", str(RECORDINGS / "pogo_hops.csv"), "--speed", "0"])
    assert "--speed" in capsys.readouterr().err


def test_cli_simulate_live(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # Live prints every contact the offline analysis of the same simulation finds, each once.
    assert main(["simulate", "--live", "drop_jump", "--speed", "max", "--set", "reps=2"]) == 0
    live = capsys.readouterr().out.count(": contact ")
    out = tmp_path / "dj.csv"
    assert main(["simulate", "drop_jump", "--set", "reps=2", "-o", str(out)]) == 0
    capsys.readouterr()
    offline = [c for c in analyse(load(out)).contacts if c.contact_time_ms is not None]
    assert live == len(offline) >= 1
    assert main(["simulate", "drop_jump"]) == 1
