"""Render an analysis report as a readable table, JSON, or CSV."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from imu_app.analysis import AnalysisReport, report_csv, report_json

__all__ = ["FORMATTERS", "format_csv", "format_json", "format_table"]

Column = tuple[str, str, str]  # (heading, field name, format spec)


def _cell(value: Any, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int) and spec:
        return format(value, spec)
    return str(value)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[Column]) -> list[str]:
    """Right-aligned columns; a column with no value in any row is left out."""
    columns = [c for c in columns if any(r.get(c[1]) is not None for r in rows)]
    cells = [[h for h, _, _ in columns]]
    cells += [[_cell(r.get(name), spec) for _, name, spec in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return ["  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]


_CONTACT_COLUMNS: tuple[Column, ...] = (
    ("#", "n", "d"),
    ("set", "set", ""),
    ("kind", "kind", ""),
    ("landing s", "landing_s", ".3f"),
    ("takeoff s", "takeoff_s", ".3f"),
    ("contact ms", "contact_time_ms", ".1f"),
    ("flight ms", "next_flight_time_ms", ".1f"),
    ("swing ms", "swing_time_ms", ".1f"),
    ("height cm", "next_jump_height_cm", ".1f"),
    ("RSI", "rsi", ".2f"),
    ("role", "role", ""),
    ("complete", "complete", ""),
)

_LANDING_COLUMNS: tuple[Column, ...] = (
    ("#", "n", "d"),
    ("set", "set", ""),
    ("landing s", "landing_s", ".3f"),
    ("stable s", "stabilised_s", ".3f"),
    ("TTS s", "time_to_stabilisation_s", ".2f"),
    ("hold s", "hold_s", ".2f"),
    ("target s", "hold_target_s", ".1f"),
    ("met", "hold_target_met", ""),
    ("ended by", "ended_by", ""),
    ("sway deg/s", "sway_gyr_rms_dps", ".2f"),
    ("sway g", "sway_acc_rms_g", ".3f"),
)

_REP_COLUMNS: tuple[Column, ...] = (
    ("#", "n", "d"),
    ("set", "set", ""),
    ("start s", "start_s", ".2f"),
    ("rise s", "concentric_s", ".2f"),
    ("top s", "top_hold_s", ".2f"),
    ("lower s", "eccentric_s", ".2f"),
    ("pause s", "bottom_pause_s", ".2f"),
    ("range deg", "range_deg", ".1f"),
    ("knee", "knee", ""),
    ("partial", "partial", ""),
)


def _numbered(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**it, "n": k + 1, "set": None if it.get("set_index") is None else it["set_index"] + 1}
        for k, it in enumerate(items)
    ]


def format_table(report: AnalysisReport) -> str:
    """The report as a person reads it: what was analysed, then sets, then each event."""
    d = report.to_dict()
    rec = d["recording"]
    sensors = "acc + gyro" if rec["has_gyro"] else "accelerometer only"
    out = [
        f"Recording  {rec['path'] or '-'}",
        f"           {rec['sample_rate_hz']:.4g} Hz, {rec['duration_s']:.1f} s, {rec['n_samples']} samples, "
        f"{sensors}, {rec['n_gaps']} gap(s); exercise {rec['exercise'] or 'not given'}, "
        f"leg {rec['leg'] or 'not given'}",
    ]
    out += [f"Warning    {w}" for w in rec["warnings"]]
    active = [b for b in d.get("bouts", []) if b["activity"] not in ("rest", "other")]
    if active:
        guessed = " (recognised, not given)" if rec["exercise"] is None else ""
        out.append(f"Activity   {len(active)} bout(s){guessed}:")
        out += [
            f"             {b['start_s']:7.1f}-{b['end_s']:7.1f} s  {b['activity'].replace('_', ' ')}"
            f"  (confidence {100 * b['confidence']:.0f} %)"
            for b in active
        ]

    out.append("")
    if d["sets"]:
        out.append(f"Sets ({len(d['sets'])})")
        for s in d["sets"]:
            out.append(
                f"  set {s['index'] + 1}: {s['kind']}, {s['count']} from {s['start_s']:.1f} s "
                f"to {s['end_s']:.1f} s"
            )
            for name, stats in s["stats"].items():
                mean, median, best = (_cell(stats[k], ".2f") for k in ("mean", "median", "best"))
                cv, drift = _cell(stats["cv_percent"], ".1f"), _cell(stats["drift_per_rep"], "+.2f")
                out.append(
                    f"    {name:<22} mean {mean:>8}  median {median:>8}  best {best:>8}  "
                    f"CV {cv:>5} %  drift {drift}/rep"
                )
            out += [f"    note: {n}" for n in s.get("notes", [])]
    else:
        out.append("Sets: none found")

    out.append("")
    if d["contacts"]:
        out.append(f"Contacts ({len(d['contacts'])})")
        if any(c["kind"] == "hop" for c in d["contacts"]):
            out.append("  each row: a ground contact, then the flight and jump height it launched")
        out += _table(_numbered(d["contacts"]), _CONTACT_COLUMNS)
    else:
        out.append("Contacts: none found")

    if d["landings"]:
        out += ["", f"Landing holds ({len(d['landings'])})"]
        out += _table(_numbered(d["landings"]), _LANDING_COLUMNS)

    cr = d["calf_raises"]
    if cr["reps"]:
        out += ["", f"Calf raises: {cr['count']} full rep(s), {cr['partial_count']} partial"]
        out += _table(_numbered(cr["reps"]), _REP_COLUMNS)

    alg = d["algorithm"]
    out += ["", f"Algorithm  {alg['name']} {alg['version']}  (report schema {d['schema']})", ""]
    return "\n".join(out)


format_json = report_json
format_csv = report_csv


FORMATTERS: dict[str, Callable[[AnalysisReport], str]] = {
    "table": format_table,
    "json": format_json,
    "csv": format_csv,
}
