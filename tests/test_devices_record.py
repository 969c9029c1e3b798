"""``imu-app record``'s session on the virtual link: the native CSV holds every sample the sensor sent."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest

from imu_app.cli import main
from imu_app.cli._devices import record_session
from imu_app.core import RecordingMeta
from imu_app.devices.transport import DeviceError, ReconnectPolicy, StreamConfig
from imu_app.recordings import load

from ._ble_virtual import bench, expected_samples


def test_record_session_writes_what_was_sent_across_a_drop(tmp_path):
    path = tmp_path / "rec.csv"
    healths = []
    out = io.StringIO()

    async def run():
        async with bench() as b:
            stop = asyncio.Event()

            async def script():
                await b.wait_packets_built(30)
                await b.sensor.drop_link()
                await b.wait_packets_built(60)
                stop.set()

            task = asyncio.create_task(script())
            result = await record_session(
                b.central,
                "AnkleIMU-0001",
                path,
                config=StreamConfig(),
                meta=RecordingMeta(exercise="pogo_hops", leg="left"),
                stop=stop,
                scan_timeout_s=0.5,
                on_health=healths.append,
                out=out,
                sensor_kw={"reconnect": ReconnectPolicy(first_delay_s=0.05)},
            )
            await task
            return b, result

    b, result = asyncio.run(run())
    data = load(path)
    acc, gyr, seq = expected_samples(b.sensor.sent)
    # Recording stops while the sensor may still have one packet on the air: what arrived is all kept, in
    # order, and nothing but that last packet may be missing.
    n = len(data)
    assert result.n_samples == n
    assert 0 <= len(acc) - n <= max(p.n_samples for p in b.sensor.sent)
    np.testing.assert_allclose(data.acc_g, acc[:n], atol=1e-6)  # the CSV keeps 6+ significant digits
    np.testing.assert_allclose(data.gyr_dps, gyr[:n], atol=1e-4)
    np.testing.assert_array_equal(data.seq, seq[:n])
    assert data.meta.exercise == "pogo_hops" and data.meta.leg == "left"
    assert data.meta.firmware == "1.0.0+p1"
    assert data.meta.sample_rate_hz == 833.0
    assert "AnkleIMU-0001" in data.meta.device
    assert len(data.gaps) == 1  # the reconnection
    assert result.health.reconnects == 1
    assert any(h.state.value == "reconnecting" for h in healths)
    assert result.session_health.reconnects == 1 and result.session_health.battery_percent == 87
    # printed as replay prints: the recording, the link's changes, the gap, and link health
    lines = out.getvalue().splitlines()
    assert lines[0].endswith(f"recording to {path}")
    assert any("link: link lost; reconnecting" in line for line in lines)
    assert any("gap:" in line and "reset)" in line for line in lines)
    assert any(line.split("] ", 1)[1].startswith("link: ") and "reconnects 1" in line for line in lines)
    assert any(f"recording stopped: {len(data)} samples" in line for line in lines)


def test_record_session_names_the_sensors_it_saw_when_the_name_is_wrong(tmp_path):
    async def run():
        async with bench() as b:
            with pytest.raises(DeviceError, match=r"no sensor named 'Shoe' .*AnkleIMU-0001"):
                await record_session(
                    b.central,
                    "Shoe",
                    tmp_path / "x.csv",
                    config=StreamConfig(),
                    meta=RecordingMeta(),
                    stop=asyncio.Event(),
                    scan_timeout_s=0.3,
                )

    asyncio.run(run())


def test_cli_device_commands_exist(capsys):
    for command in ("scan", "record", "emulate"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
    assert "--recording" in capsys.readouterr().out


def test_cli_record_with_an_athlete_saves_the_session_to_the_history(tmp_path, monkeypatch, capsys):
    """``imu-app record --athlete`` on the virtual link, stopped by Ctrl-C (SIGINT) once the sensor has sent
    enough: the recording is written, then saved to the history, and the command says where."""
    import contextlib
    import signal

    from imu_app.cli import _devices
    from imu_app.history import HistoryStore

    @contextlib.asynccontextmanager
    async def virtual_central(adapter):
        async with bench() as b:

            async def ctrl_c():
                await b.wait_packets_built(150)
                signal.raise_signal(signal.SIGINT)  # the loop's handler sets the stop event

            task = asyncio.ensure_future(ctrl_c())
            try:
                yield b.central
            finally:
                task.cancel()

    monkeypatch.setattr(_devices, "open_central", virtual_central)
    out, db = tmp_path / "rec.csv", tmp_path / "history.sqlite"
    argv = ["record", "-d", "AnkleIMU-0001", "-o", str(out), "-e", "pogo_hops", "--leg", "left"]
    assert main([*argv, "--athlete", "Anna", "--db", str(db), "--scan-timeout", "0.5"]) == 0
    err = capsys.readouterr().err
    data = load(out)
    assert len(data) > 0 and data.meta.athlete == "Anna"
    with HistoryStore(db, create=False) as store:
        (s,) = store.sessions(athlete="Anna")
        assert (s.exercise, s.leg) == ("pogo_hops", "left")
    assert f"saved to the history at {db}: session {s.id} (pogo_hops, left)" in err
    assert "from the app's clock" in err


def test_a_duration_ends_the_recording_it_counts_from(tmp_path):
    # --duration counts from the start of the recording, not from the scan: the session ends by itself.
    path = tmp_path / "rec.csv"

    async def run():
        async with bench() as b:
            stop = asyncio.Event()
            result = await record_session(
                b.central,
                "AnkleIMU-0001",
                path,
                config=StreamConfig(),
                meta=RecordingMeta(exercise="pogo_hops"),
                stop=stop,
                scan_timeout_s=0.5,
                duration_s=0.3,
            )
            return stop.is_set(), result

    stopped, result = asyncio.run(run())
    assert stopped
    assert result.n_samples == len(load(path))
