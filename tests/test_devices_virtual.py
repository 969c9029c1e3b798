"""Tier 1: the app's transport against the emulated sensor on bumble's in-process virtual link.

Every run. The central is bumble's (the app's :class:`~imu_app.devices.transport.NativeSensor` on a
:class:`~imu_app.devices.transport.BumbleCentral`), the peripheral is :class:`imu_app.sim.EmulatedSensor`;
every byte goes through two complete software controllers and hosts. Nothing is timed: tests wait for
counts of packets, with generous timeouts that only turn a hang into a failure.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from bumble import hci

from imu_app.devices.protocols.native import AccRange, GyroRange, SampleRate
from imu_app.devices.transport import (
    Central,
    DeviceError,
    GapReason,
    LinkState,
    NativeSensor,
    ReconnectPolicy,
    SensorFamily,
    StreamConfig,
    scan,
)
from imu_app.sim import VirtualLink, samples_from_recording, virtual_controller

from ._ble_virtual import SENSOR_ADDRESS, bench, expected_samples, joined, ramp_samples, streaming

FAST_RECONNECT = ReconnectPolicy(first_delay_s=0.05, max_delay_s=0.5)


def test_scan_finds_the_sensor_by_service_and_name_with_rssi():
    async def run():
        async with bench() as b:
            return await scan(b.central, timeout_s=0.5), b.sensor.name

    found, name = asyncio.run(run())
    assert len(found) == 1
    assert found[0].address == SENSOR_ADDRESS
    assert found[0].name == name == "AnkleIMU-0001"
    assert found[0].family is SensorFamily.NATIVE
    assert found[0].rssi_dbm is not None


@pytest.mark.parametrize("rate", [SampleRate.HZ_833, SampleRate.HZ_1666])
def test_stream_is_received_sample_by_sample_without_loss(rate):
    async def run():
        async with bench() as b:
            source = NativeSensor(b.central, SENSOR_ADDRESS, StreamConfig(rate=rate))
            async with streaming(b, source):
                await b.wait_packets_built(int(rate.hz * 1.5 / 19))
            return b, source

    b, source = asyncio.run(run())
    sent = b.sensor.sent
    acc, gyr, seq = expected_samples(sent)
    t, racc, rgyr, rseq = joined(b.received)
    assert len(t) == len(acc) > rate.hz
    np.testing.assert_array_equal(racc, acc)
    np.testing.assert_array_equal(rgyr, gyr)
    np.testing.assert_array_equal(rseq, seq)
    assert np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), sent[0].interval_s, atol=1e-6)  # time stamps are in us
    assert all(c.gap_before is None for c in b.received)
    h = source.health
    assert (h.lost_packets, h.lost_samples, h.bad_packets) == (0, 0, 0)
    assert h.packets == len(sent) and h.samples == len(acc)
    assert h.state is LinkState.STOPPED
    assert h.battery_pct == 87
    assert h.mtu == 247
    assert source.info.firmware == "1.0.0+p1"
    # 19 samples per packet at MTU 247 (the profile's table, section 7)
    assert {p.n_samples for p in sent} == {19}


def test_dropped_link_reconnects_resumes_and_marks_the_gap():
    async def run():
        async with bench() as b:
            source = NativeSensor(b.central, SENSOR_ADDRESS, reconnect=FAST_RECONNECT)
            async with streaming(b, source):
                await b.wait_packets_built(30)
                await b.sensor.drop_link()
                await b.wait_for(lambda: source.health.reconnects == 1, "the reconnection")
                await b.wait_packets_built(30)
            return b, source

    b, source = asyncio.run(run())
    acc, gyr, seq = expected_samples(b.sensor.sent)
    t, racc, rgyr, rseq = joined(b.received)
    np.testing.assert_array_equal(racc, acc)  # everything that reached the host is in the recording
    np.testing.assert_array_equal(rgyr, gyr)
    np.testing.assert_array_equal(rseq, seq)
    assert np.all(np.diff(t) > 0)
    gaps = [c.gap_before for c in b.received if c.gap_before is not None]
    assert len(gaps) == 1
    assert gaps[0].reason is GapReason.RESET
    assert gaps[0].end_s > gaps[0].start_s
    assert source.health.reconnects == 1 and b.sensor.faults.drops == 1
    assert len(source.dropped_at_s) == len(source.resumed_at_s) == 1


class _Logged(Central):
    """The bench's central, logging every connection and every release of a link, in order."""

    def __init__(self, inner: Central) -> None:
        self.inner = inner
        self.events: list[tuple[str, int]] = []

    async def scan(self, timeout_s):
        return await self.inner.scan(timeout_s)

    async def connect(self, address, on_disconnect, timeout_s):
        link = await self.inner.connect(address, on_disconnect, timeout_s)
        n = sum(1 for kind, _ in self.events if kind == "connect")
        self.events.append(("connect", n))
        release = link.disconnect

        async def disconnect():
            self.events.append(("release", n))
            await release()

        link.disconnect = disconnect
        return link


def test_a_dropped_link_is_released_before_the_next_connection():
    # On BlueZ, a dropped bleak client that is never disconnected keeps its notification sessions, and the
    # next connection then receives every notification twice.
    async def run():
        async with bench() as b:
            central = _Logged(b.central)
            source = NativeSensor(central, SENSOR_ADDRESS, reconnect=FAST_RECONNECT)
            async with streaming(b, source):
                await b.wait_packets_built(10)
                await b.sensor.drop_link()
                await b.wait_for(lambda: source.health.reconnects == 1, "the reconnection")
            return central.events

    events = asyncio.run(run())
    assert events[:3] == [("connect", 0), ("release", 0), ("connect", 1)]


def test_lost_packets_are_counted_and_marked():
    async def run():
        async with bench() as b:
            source = NativeSensor(b.central, SENSOR_ADDRESS)
            async with streaming(b, source):
                await b.wait_packets_built(10)
                b.sensor.lose_packets(3)
                await b.wait_packets_built(10)
            return b, source

    b, source = asyncio.run(run())
    gaps = [c.gap_before for c in b.received if c.gap_before is not None]
    assert len(gaps) == 1 and gaps[0].reason is GapReason.LOST
    assert gaps[0].n_missing == 3 * 19
    h = source.health
    assert (h.lost_packets, h.lost_samples) == (3, 57)
    acc, _, _ = expected_samples(b.sensor.sent)
    np.testing.assert_array_equal(joined(b.received)[1], acc)


def test_stall_is_reported_and_the_stream_goes_on():
    states = []

    async def run():
        async with bench() as b:
            source = NativeSensor(
                b.central, SENSOR_ADDRESS, stall_timeout_s=0.3, stall_reconnect_s=60, on_health=states.append
            )
            async with streaming(b, source):
                await b.wait_packets_built(10)
                b.sensor.stall(1.5)
                await b.wait_for(lambda: source.health.state is LinkState.STALLED, "the stall")
                stalled = source.health
                await b.wait_for(lambda: source.health.state is LinkState.STREAMING, "the end of the stall")
                await b.wait_packets_built(10)
            return b, source, stalled

    b, source, stalled = asyncio.run(run())
    assert "no data" in stalled.message
    assert [s.state for s in states].count(LinkState.STALLED) == 1
    gaps = [c.gap_before for c in b.received if c.gap_before is not None]
    assert len(gaps) == 1 and gaps[0].reason is GapReason.LOST and gaps[0].n_missing > 0
    assert source.health.lost_packets == 0 and source.health.lost_samples == gaps[0].n_missing


def test_clock_reset_keeps_the_time_line_increasing():
    async def run():
        async with bench() as b:
            source = NativeSensor(b.central, SENSOR_ADDRESS)
            async with streaming(b, source):
                await b.wait_packets_built(10)
                b.sensor.clock_reset()
                await b.wait_packets_built(10)
            return b

    b = asyncio.run(run())
    t = joined(b.received)[0]
    assert np.all(np.diff(t) > 0)
    gaps = [c.gap_before for c in b.received if c.gap_before is not None]
    assert [g.reason for g in gaps] == [GapReason.RESET]


def test_garbage_and_a_packet_cut_short_leave_a_clear_status():
    async def run():
        async with bench() as b:
            source = NativeSensor(b.central, SENSOR_ADDRESS)
            async with streaming(b, source):
                await b.wait_packets_built(5)
                await b.sensor.send_raw(b"\xde\xad\xbe\xef")
                whole = bytes(b.sensor.sent[-1])
                await b.sensor.send_raw(whole[: len(whole) // 2])
                await b.wait_packets_built(5)
                await b.wait_for(lambda: source.health.bad_packets == 2, "the bad packets")
                health = source.health
            return b, health

    b, health = asyncio.run(run())
    assert health.bad_packets == 2
    assert "malformed packet" in health.message
    assert health.state is LinkState.STREAMING
    acc, _, _ = expected_samples(b.sensor.sent)
    np.testing.assert_array_equal(joined(b.received)[1], acc)


def test_a_rate_the_sensor_does_not_offer_is_refused_in_plain_words():
    recording = ramp_samples(833.0)
    recording = type(recording)(
        t_s=recording.t_s,
        acc_g=recording.acc_g,
        gyr_dps=recording.gyr_dps,
        meta=recording.meta.replace(sample_rate_hz=833.0),
    )

    async def run():
        async with bench(samples_from_recording(recording)) as b:
            source = NativeSensor(b.central, SENSOR_ADDRESS, StreamConfig(rate=SampleRate.HZ_1666))
            with pytest.raises(
                DeviceError, match=r"refused SET_RATE \(INVALID_PARAMETER\): it does not support"
            ):
                await source.start()
            return source

    source = asyncio.run(run())
    assert source.health.state is LinkState.FAILED


def test_ranges_and_gyroscope_off_are_applied():
    async def run():
        async with bench() as b:
            config = StreamConfig(rate=SampleRate.HZ_208, acc_range=AccRange.G16, gyro_range=GyroRange.OFF)
            source = NativeSensor(b.central, SENSOR_ADDRESS, config)
            async with streaming(b, source):
                await b.wait_packets_built(5)
            return b

    b = asyncio.run(run())
    assert all(c.gyr_dps is None for c in b.received)
    assert {p.acc_range for p in b.sensor.sent} == {AccRange.G16}
    # accelerometer only at 208 Hz: the 50 ms flush, floor(0.05 * 208) + 1 = 11 samples per packet
    assert {p.n_samples for p in b.sensor.sent} == {11}


def test_connecting_to_nobody_fails_with_a_device_error():
    async def run():
        async with bench() as b:
            source = NativeSensor(
                b.central, "C0:98:E5:49:00:99", reconnect=ReconnectPolicy(connect_timeout_s=1.0)
            )
            with pytest.raises(DeviceError, match="did not answer"):
                await source.start()

    asyncio.run(run())


def test_after_the_app_disconnects_the_sensor_advertises_again_and_a_new_connection_streams():
    """The central ends the link (STOP, disconnect); a second session scans, finds and streams again."""

    async def run():
        async with bench() as b:
            first = NativeSensor(b.central, SENSOR_ADDRESS)
            async with streaming(b, first):
                await b.wait_packets_built(10)
            n_first = len(b.received)
            found = await scan(b.central, timeout_s=0.5)
            second = NativeSensor(b.central, SENSOR_ADDRESS)
            async with streaming(b, second):
                await b.wait_packets_built(10)
            return b, first, second, n_first, found

    b, first, second, n_first, found = asyncio.run(run())
    assert [d.address for d in found] == [SENSOR_ADDRESS]
    assert first.health.state is second.health.state is LinkState.STOPPED
    assert 0 < n_first < len(b.received)
    acc, _, _ = expected_samples(b.sensor.sent)
    np.testing.assert_array_equal(joined(b.received)[1], acc)


@pytest.mark.parametrize("unmasked", [False, True])
def test_a_new_connection_is_reported_with_the_event_the_host_unmasked(unmasked):
    # The Linux kernel unmasks LE Enhanced Connection Complete and waits for it; with only the legacy event
    # its connection request times out and it then ignores the request to disconnect.
    class Sink:
        def __init__(self):
            self.packets = []

        def on_packet(self, packet):
            self.packets.append(hci.HCI_Packet.from_bytes(packet))

    async def run():
        sink = Sink()
        controller = virtual_controller("kernel", VirtualLink(), "F0:F1:F2:F3:F4:F5", host_sink=sink)
        enhanced_bit = 1 << (hci.HCI_LE_ENHANCED_CONNECTION_COMPLETE_EVENT - 1)
        controller.le_event_mask = 0x1F | (enhanced_bit if unmasked else 0)
        peer = hci.Address(SENSOR_ADDRESS)
        controller.send_hci_packet(
            hci.HCI_LE_Connection_Complete_Event(
                status=hci.HCI_SUCCESS,
                connection_handle=1,
                role=hci.Role.CENTRAL,
                peer_address_type=peer.address_type,
                peer_address=peer,
                connection_interval=24,
                peripheral_latency=0,
                supervision_timeout=42,
                central_clock_accuracy=0,
            )
        )
        await asyncio.sleep(0)
        return sink.packets

    (event,) = asyncio.run(run())
    expected = (
        hci.HCI_LE_Enhanced_Connection_Complete_Event if unmasked else hci.HCI_LE_Connection_Complete_Event
    )
    assert type(event) is expected
    assert (event.connection_handle, event.peer_address, event.supervision_timeout) == (
        1,
        hci.Address(SENSOR_ADDRESS),
        42,
    )
