"""The report's documentation and its dataclasses stay in step, and its JSON is plain."""

import dataclasses
import json
import re

import numpy as np

from imu_app.analysis import (
    SCHEMA,
    AnalysisReport,
    Bout,
    CalfRaiseRep,
    Contact,
    Landing,
    RecordingInfo,
    SetSummary,
    analyse,
)
from imu_app.core import ImuData

from .paths import ROOT

DOC = (ROOT / "docs" / "analysis-report.md").read_text(encoding="utf-8")


def _documented(section: str) -> set[str]:
    body = DOC.split(f"## `{section}`", 1)[1].split("\n## ", 1)[0]
    names = set()
    for cell in re.findall(r"^\| (`[^|]+) \|", body, flags=re.M):
        names.update(re.findall(r"`(\w+)`", cell))
    return names


def test_every_field_is_documented():
    for section, cls in [
        ("recording", RecordingInfo),
        ("contacts[]", Contact),
        ("landings[]", Landing),
        ("calf_raises", CalfRaiseRep),
        ("sets[]", SetSummary),
        ("bouts[]", Bout),
    ]:
        fields = {f.name for f in dataclasses.fields(cls)}
        assert fields == _documented(section), section
    assert f"`{SCHEMA}`" in DOC


def test_empty_recording_gives_an_empty_but_complete_report():
    t = np.arange(200) / 100.0
    data = ImuData(t_s=t, acc_g=np.tile([0.0, 0.0, 1.0], (200, 1)))
    report = analyse(data)
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["schema"] == SCHEMA
    assert set(d) == {
        "schema",
        "recording",
        "contacts",
        "landings",
        "calf_raises",
        "sets",
        "bouts",
        "algorithm",
    }
    assert [b["activity"] for b in d["bouts"]] == ["rest"]
    assert d["contacts"] == [] and d["landings"] == [] and d["sets"] == []
    assert d["calf_raises"]["count"] == 0
    assert d["recording"]["n_samples"] == 200


def test_non_finite_numbers_become_null():
    rec = RecordingInfo(path=None, sample_rate_hz=float("nan"), duration_s=1.0, n_samples=1, has_gyro=False)
    report = AnalysisReport(
        recording=rec, algorithm=analyse(ImuData(np.arange(3.0), np.zeros((3, 3)))).algorithm
    )
    assert report.to_dict()["recording"]["sample_rate_hz"] is None
