"""Stance detection on real foot-worn IMU walking data against motion capture, ours beside gaitmap's.

Data: ``../shared/data/gaitmap-example`` (204.8 Hz, two feet, mocap IC/TC). Ours runs on the IMU alone with
the sensor frame turned arbitrarily (mounting unknown); gaitmap's RamppEventDetection runs in gaitmap's foot
frame on the hand-labelled stride borders, as its documentation prescribes. Run with
``.venv-bench/bin/python benchmarks/bench_gaitmap.py`` (see ``setup_gaitmap_env.sh``) for both, or with
``.venv/bin/python`` for ours alone. Writes ``benchmarks/results/gaitmap.md``.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from imu_app.analysis._strides import detect_strides
from imu_app.core import ImuData, RecordingMeta

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "gaitmap-example"
OUT = ROOT / "benchmarks" / "results" / "gaitmap.md"
FS = 204.8
MATCH_S = 0.1


def score(ic: np.ndarray, to: np.ndarray, ref_ic: np.ndarray, ref_to: np.ndarray) -> dict:
    inside = (ic > ref_ic[0] - 0.3) & (ic < ref_ic[-1] + 0.3)
    ic, to = ic[inside], to[inside]
    d = np.abs(ic[:, None] - ref_ic[None, :])
    j = d.argmin(axis=1)
    hit = d[np.arange(j.size), j] < MATCH_S
    tp = np.unique(j[hit]).size
    prec, rec = tp / max(ic.size, 1), tp / ref_ic.size
    e_ic = 1000 * np.abs(ic[hit] - ref_ic[j[hit]])
    e_to = 1000 * np.abs(to[hit] - ref_to[j[hit]])
    e_to = e_to[np.isfinite(e_to)]
    return {
        "P": prec,
        "R": rec,
        "F1": 2 * prec * rec / max(prec + rec, 1e-9),
        "ic": (np.median(e_ic), np.percentile(e_ic, 95)),
        "to": (np.median(e_to), np.percentile(e_to, 95)),
    }


def main() -> None:
    df = pd.read_csv(DATA / "imu_sample.csv", header=[0, 1], index_col=0)
    ev = pd.read_csv(DATA / "stride_events_sample.csv")
    borders = pd.read_csv(DATA / "stride_borders_sample.csv")
    rot, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(3, 3)))
    rows = []
    for foot in ("left", "right"):
        sensor = df[f"{foot}_sensor"]
        acc = sensor[["acc_x", "acc_y", "acc_z"]].to_numpy() / 9.80665
        gyr = sensor[["gyr_x", "gyr_y", "gyr_z"]].to_numpy()
        t = np.arange(len(acc)) / FS
        e = ev[ev.foot == foot].sort_values("start")
        ref_ic, ref_to = e.ic.to_numpy()[:-1] / FS, e.tc.to_numpy()[1:] / FS
        data = ImuData(t_s=t, acc_g=acc @ rot.T, gyr_dps=gyr @ rot.T, meta=RecordingMeta(sample_rate_hz=FS))
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            st = detect_strides(data)
            times.append(time.perf_counter() - t0)
        s = score(st.initial_contact_s, st.toe_off_s, ref_ic, ref_to)
        rows.append(("imu-app (any mounting)", foot, s, 1000 * np.median(times)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from gaitmap.event_detection import RamppEventDetection
                from gaitmap.utils.coordinate_conversion import convert_to_fbf
        except ImportError as exc:
            rows.append((f"gaitmap: not installed ({exc.__class__.__name__})", foot, None, None))
            continue
        sensor_df = df[f"{foot}_sensor"].copy()
        fbf = convert_to_fbf({f"{foot}_sensor": sensor_df}, left_like="left_", right_like="right_")
        sl = borders[borders.foot == foot][["s_id", "start", "end"]].set_index("s_id")
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            det = RamppEventDetection().detect(fbf, {f"{foot}_sensor": sl}, sampling_rate_hz=FS)
            times.append(time.perf_counter() - t0)
        mes = det.min_vel_event_list_[f"{foot}_sensor"].sort_values("start")
        # min_vel strides: start=min_vel, ic inside; stance = ic of one stride to tc of the next
        g_ic = mes.ic.to_numpy()[:-1] / FS
        g_tc = mes.tc.to_numpy()[1:] / FS
        s = score(g_ic, g_tc, ref_ic, ref_to)
        rows.append(("gaitmap RamppEventDetection (ref. stride borders)", foot, s, 1000 * np.median(times)))
    lines = [
        "# Stance detection on real walking data (gaitmap example, 204.8 Hz, foot-mounted, mocap reference)",
        "",
        "Errors are |detected - mocap| in ms (median / 95th percentile), over matched stances (IC within",
        f"{1000 * MATCH_S:.0f} ms); precision/recall within the span the reference labels.",
        "",
        "| method | foot | precision | recall | F1 | IC err median / p95 | TO err median / p95 | time ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, foot, s, ms in rows:
        if s is None:
            lines.append(f"| {name} | {foot} | - | - | - | - | - | - |")
            continue
        lines.append(
            f"| {name} | {foot} | {s['P']:.3f} | {s['R']:.3f} | {s['F1']:.3f} | "
            f"{s['ic'][0]:.1f} / {s['ic'][1]:.1f} | {s['to'][0]:.1f} / {s['to'][1]:.1f} | {ms:.1f} |"
        )
    text = "\n".join(lines)
    print(text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
