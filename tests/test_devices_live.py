"""Tier 1: the emulated sensor through the whole live session (sequencer, recorder, analysis, link health).

The sensor streams simulated pogo hops at 833 Hz on bumble's in-process virtual link; the app's
:class:`~imu_app.devices.transport.SensorSource` feeds a :class:`~imu_app.live.Session` with recording and
analysis on. Nothing is timed: the script waits for counts of packets, with generous timeouts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math

import numpy as np
import pytest

from imu_app.analysis import analyse
from imu_app.core import ImuData, RecordingMeta, find_gaps
from imu_app.devices.transport import (
    DeviceChunk,
    DeviceGap,
    LinkState,
    NativeSensor,
    ReconnectPolicy,
    SensorSource,
    StreamConfig,
    to_live_chunk,
)
from imu_app.devices.transport import GapReason as DeviceGapReason
from imu_app.live import (
    Chunk,
    ContactDone,
    GapMarked,
    GapReason,
    LinkNotice,
    LinkReport,
    NoticeKind,
    Published,
    RecordingNotice,
    Sequencer,
    Session,
    SourceInfo,
    make_engine,
)
from imu_app.recordings import load
from imu_app.sim import samples_from_simulator

from ._ble_virtual import SENSOR_ADDRESS, bench, expected_samples

FAST_RECONNECT = ReconnectPolicy(first_delay_s=0.05, max_delay_s=0.5)
#: A short set of pogo hops, so that both sides of the drop hold several whole hops.
POGO = {"n_sets": 1, "reps": 12, "lead_in_s": 1.0, "lead_out_s": 2.0}


def _same_contacts(live, offline, *, exact: bool) -> bool:
    """The same contacts, every float field to 1e-6 (``exact``), or to the recording's resolution.

    The recording keeps times to the microsecond while the sensor's sample interval (1200480 ns at 833 Hz)
    gives finer ones; the analysis interpolates its edges between samples through a filter, so from the
    file an edge moves by a few microseconds (a few thousandths of a sample) and what is derived from it
    by as little.
    """
    if len(live) != len(offline):
        return False
    for a, b in zip(live, offline, strict=True):
        da, db = dataclasses.asdict(a), dataclasses.asdict(b)
        da.pop("set_index"), db.pop("set_index")
        for key, x in da.items():
            y = db[key]
            if isinstance(x, float) and isinstance(y, float):
                if exact:
                    rel, tol = 0.0, 1e-6
                else:
                    rel, tol = 1e-4, 5e-6 if key.endswith("_s") else 5e-3 if key.endswith("_ms") else 0.0
                if not (math.isclose(x, y, rel_tol=rel, abs_tol=tol) or (math.isnan(x) and math.isnan(y))):
                    return False
            elif x != y:
                return False
    return True


def test_a_sensor_streams_hops_through_the_session_across_a_drop_and_the_recording_is_what_it_sent(tmp_path):
    path = tmp_path / "live.csv"
    events: list[Published] = []
    delivered: list[Chunk] = []

    async def run():
        async with bench(samples_from_simulator("pogo_hops", seed=3, **POGO)) as b:
            sensor = NativeSensor(b.central, SENSOR_ADDRESS, StreamConfig(), reconnect=FAST_RECONNECT)
            source = SensorSource(sensor, meta=RecordingMeta(exercise="pogo_hops", leg="right"))
            await source.start()
            engine = make_engine(source.info.sample_rate_hz, source.info.meta, exercise="pogo_hops")
            session = Session(source, engine)
            session.subscribe(events.append)
            session.on_samples(delivered.append)
            session.start_recording(path)
            running = asyncio.create_task(session.run())
            await b.wait_packets_built(200)  # 4.6 s: the lead-in and several hops
            await b.sensor.drop_link()
            await b.wait_for(lambda: sensor.health.reconnects == 1, "the reconnection")
            await b.wait_packets_built(330)  # the whole set again after the restart
            session.stop()
            async with asyncio.timeout(60):
                summary = await running
            return b, sensor, summary

    b, sensor, summary = asyncio.run(run())
    # everything the sensor sent is in the recording, sample by sample, in order
    data = load(path)
    acc, gyr, seq = expected_samples(b.sensor.sent)
    assert len(data) == len(acc) == summary.n_samples
    np.testing.assert_allclose(data.acc_g, acc, atol=1e-6)
    np.testing.assert_allclose(data.gyr_dps, gyr, atol=1e-4)
    np.testing.assert_array_equal(data.seq, seq)
    assert np.all(np.diff(data.t_s) > 0)
    assert data.meta.firmware == "1.0.0+p1" and data.meta.exercise == "pogo_hops"
    assert data.meta.sample_rate_hz == 833.0 and "AnkleIMU-emulated" in data.meta.device
    # one gap, the reconnection, marked once by the sensor and not shifted again by the session
    assert len(data.gaps) == 1
    gaps = [p.event for p in events if isinstance(p.event, GapMarked)]
    assert [g.reason for g in gaps] == [GapReason.RESET]
    assert math.isclose(gaps[0].t_s + data.t_s[0], data.t_s[data.gaps[0].before_idx + 1], abs_tol=1e-6)
    # the events are the analysis of the recording
    live = [p.event.contact for p in events if isinstance(p.event, ContactDone)]
    offline = analyse(data).contacts
    assert len(live) >= 8
    assert _same_contacts(live, offline, exact=False)
    # and, to the microsecond, the analysis of the samples as the session received them
    t = np.concatenate([c.t_s for c in delivered])
    q = np.concatenate([c.seq for c in delivered])
    whole = ImuData(
        t_s=t,
        acc_g=np.concatenate([c.acc_g for c in delivered]),
        gyr_dps=np.concatenate([c.gyr_dps for c in delivered]),
        seq=q,
        gaps=find_gaps(t, 833.0, q),
        meta=data.meta,
    )
    assert _same_contacts(live, analyse(whole).contacts, exact=True)
    # link health: the reconnection and the restart flow into the session's health, the state is told
    h = summary.health
    assert (h.reconnects, h.restarts, h.lost) == (1, 1, gaps[0].n_missing)
    assert h.battery_percent == 87 and h.source_state == "stopped"
    told = [p.event.message for p in events if isinstance(p.event, LinkNotice)]
    assert any("reconnecting" in m for m in told) and any("streams again" in m for m in told)
    assert [p.event.kind for p in events if isinstance(p.event, LinkNotice)].count(NoticeKind.CONNECTION) >= 2
    assert isinstance(events[-1].event, LinkReport)
    assert [e.event.started for e in events if isinstance(e.event, RecordingNotice)] == [True, False]
    assert sensor.health.state is LinkState.STOPPED and sensor.health.lost_packets == 0


def test_a_reset_gap_from_the_sensor_is_not_shifted_again():
    """The sensor's time line continues across a restart; the live sequencer keeps it as it is."""

    period = 1 / 833.0
    first = DeviceChunk(np.arange(19) * period, np.zeros((19, 3)), np.zeros((19, 3)), np.full(19, 7), 1.0)
    t1 = 19 * period + 0.5
    gap = DeviceGap(18 * period, t1, round((t1 - 18 * period) / period) - 1, DeviceGapReason.RESET)
    second = DeviceChunk(t1 + np.arange(19) * period, np.ones((19, 3)), None, np.zeros(19), 1.5, gap)
    seqr = Sequencer(SourceInfo("sensor", 833.0, clock_wrap_s=None, seq_modulus=65536))
    out: list[Chunk] = seqr.push(to_live_chunk(first)) + seqr.push(to_live_chunk(second))
    assert len(out) == 2
    np.testing.assert_array_equal(out[1].t_s, second.t_s)
    assert out[1].gap_before.reason is GapReason.RESET and out[1].gap_before.n_missing == gap.n_missing
    assert seqr.counts.restarts == 1


@pytest.mark.parametrize("gyro", [True, False])
def test_source_info_follows_the_stream_config(gyro):
    from imu_app.devices.protocols.native import GyroRange, SampleRate

    config = StreamConfig(rate=SampleRate.HZ_1666, gyro_range=GyroRange.DPS2000 if gyro else GyroRange.OFF)
    source = SensorSource(NativeSensor(None, "AA:BB:CC:DD:EE:FF", config))  # type: ignore[arg-type]
    info = source.info
    assert (info.sample_rate_hz, info.has_gyro, info.realtime) == (1666.0, gyro, True)
    assert info.clock_wrap_s is None and info.seq_modulus == 65536
    assert info.meta.gyr_range_dps == (2000.0 if gyro else None) and info.meta.acc_range_g == 32.0
