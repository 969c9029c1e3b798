"""The analysis report as text a program reads: JSON (the schema of ``docs/analysis-report.md``) and CSV.

Shared by the command line (``--format json|csv``) and the desktop app's export, so both write the same
bytes for the same report.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from imu_app.analysis.report import AnalysisReport

__all__ = ["report_csv", "report_json"]


def report_json(report: AnalysisReport) -> str:
    """The machine-readable report (``docs/analysis-report.md``)."""
    return json.dumps(report.to_dict(), indent=2) + "\n"


def report_csv(report: AnalysisReport) -> str:
    """One row per event (contact, landing hold, calf raise), for a spreadsheet.

    The ``event`` column says which kind a row is; columns a kind does not have are left empty.
    """
    d = report.to_dict()
    rows: list[dict[str, Any]] = []
    rows += [{"event": "contact", **c} for c in d["contacts"]]
    rows += [{"event": "landing", **x} for x in d["landings"]]
    rows += [{"event": "calf_raise", **r} for r in d["calf_raises"]["reps"]]
    fields: list[str] = ["event"]
    for r in rows:
        fields += [k for k in r if k not in fields]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows({k: _csv_cell(v) for k, v in r.items()} for r in rows)
    return buf.getvalue()


def _csv_cell(value: Any) -> Any:
    """Times and durations to 0.1 ms (0.0001 s) and metrics to four decimals; booleans as in the JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return round(value, 4)
    return value
