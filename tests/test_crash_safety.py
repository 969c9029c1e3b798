"""A recording survives its writer being killed: a real child process is SIGKILLed while it writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from imu_app.core import RecordingMeta
from imu_app.recordings import NativeWriter, load

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")

# The child appends chunks of a known signal forever and reports on stdout how many samples each append
# returned after; sample i has t = i ms, acc = (i/1000, -i/1000, 1), gyr = (i/2, 0, -i/4), seq = i // 5.
CHILD = """
import sys, time
import numpy as np
from imu_app.core import RecordingMeta
from imu_app.recordings import NativeWriter

path, chunk, pause_s = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
writer = NativeWriter(path, RecordingMeta(device="crash test", sample_rate_hz=1000.0))
i = 0
while True:
    idx = np.arange(i, i + chunk)
    acc = np.column_stack([idx / 1000, -idx / 1000, np.ones(chunk)])
    gyr = np.column_stack([idx / 2, np.zeros(chunk), -idx / 4])
    writer.append(idx / 1000, acc, gyr, seq=idx // 5)
    i += chunk
    print(i, flush=True)
    time.sleep(pause_s)
"""


def _run_and_kill(path: Path, chunk: int, pause_s: float, reports_before_kill: int) -> int:
    """Start the writer, SIGKILL it after some appends; return the last sample count it reported."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(chunk), str(pause_s)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        reported = 0
        deadline = time.monotonic() + 30
        for _ in range(reports_before_kill):
            line = proc.stdout.readline()
            assert line, f"writer exited early: {proc.stderr.read()}"
            reported = int(line)
            assert time.monotonic() < deadline
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # Lines the child printed after we stopped reading are appends that also completed.
    return max([reported, *(int(x) for x in out.split())])


def _check_content(path: Path, reported: int) -> None:
    data = load(path)
    n = len(data)
    assert n >= reported, f"samples lost: {n} in the file, {reported} appended before the kill"
    idx = np.arange(n)
    assert np.allclose(data.t_s, idx / 1000, atol=5e-7, rtol=0)
    assert np.allclose(data.acc_g, np.column_stack([idx / 1000, -idx / 1000, np.ones(n)]), atol=5e-7, rtol=0)
    assert np.allclose(data.gyr_dps, np.column_stack([idx / 2, np.zeros(n), -idx / 4]), atol=5e-5, rtol=0)
    assert np.array_equal(data.seq, idx // 5)
    assert data.meta.device == "crash test"
    ends_mid_row = not path.read_bytes().endswith(b"\n")
    assert any("incomplete" in w for w in data.warnings) == ends_mid_row


def test_sigkill_during_a_steady_stream_loses_nothing_appended(tmp_path: Path) -> None:
    path = tmp_path / "live.csv"
    reported = _run_and_kill(path, chunk=25, pause_s=0.002, reports_before_kill=60)
    _check_content(path, reported)


def test_sigkill_during_large_writes_leaves_a_loadable_file(tmp_path: Path) -> None:
    # Appends of 40 000 rows (2.6 MB each) make it likely that the kill lands inside a write; whatever the
    # kernel had taken before the kill loads, and a row cut in half is dropped with a warning.
    path = tmp_path / "bulk.csv"
    reported = _run_and_kill(path, chunk=40_000, pause_s=0.0, reports_before_kill=3)
    _check_content(path, reported)


def test_partial_row_left_by_a_kill_is_dropped(tmp_path: Path) -> None:
    # The kernel can stop a large write at a page boundary when the process is killed; this is the file such
    # a kill leaves (the same bytes, cut inside a row), read after a real killed session.
    path = tmp_path / "live.csv"
    reported = _run_and_kill(path, chunk=10, pause_s=0.001, reports_before_kill=20)
    content = path.read_bytes()
    cut = path.with_name("cut.csv")
    cut.write_bytes(content[: content.rstrip(b"\n").rfind(b"\n") + 12])
    data = load(cut)
    assert len(load(path)) >= reported
    assert len(data) == len(load(path)) - 1
    assert "incomplete" in data.warnings[0]


def test_fsync_at_least_once_a_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import imu_app.recordings._native as native

    clock_ms = [100_000]
    synced_ms: list[int] = []
    monkeypatch.setattr(native.time, "monotonic", lambda: clock_ms[0] / 1000)
    real_fsync = os.fsync
    monkeypatch.setattr(native.os, "fsync", lambda fd: (synced_ms.append(clock_ms[0]), real_fsync(fd)))
    with NativeWriter(tmp_path / "s.csv", RecordingMeta(), has_gyro=False) as writer:
        for i in range(50):  # appends 0.1 s to 0.4 s apart: about 12 s of recording
            clock_ms[0] += 100 * (1 + i % 4)
            writer.append([i / 10], [[0, 0, 1]])
    assert max(np.diff([100_000, *synced_ms])) <= 1000
    assert synced_ms[-1] == clock_ms[0]  # close() syncs
