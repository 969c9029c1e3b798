"""``imu-app history ...``: the coach's history on the command line.

Results go to stdout as tables a person reads; progress and notes go to stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from imu_app.core import ImuAppError
from imu_app.history import (
    METRICS,
    HistoryStore,
    Verdict,
    compare_weeks,
    default_db_path,
    get_metric,
    load_report,
    metrics_for_exercise,
    parse_day,
    parse_when,
    symmetry,
)
from imu_app.history._bundle import BUNDLE_SUFFIX, import_bundle, write_bundle
from imu_app.history._export import export_athlete
from imu_app.history._importing import DATE_SOURCES, ImportProgress, import_recordings, reanalyse

__all__ = ["add_history_commands"]

_VERDICT_WORDS = {
    Verdict.CHANGE: "CHANGE",
    Verdict.NO_CHANGE: "no change",
    Verdict.UNKNOWN: "cannot tell",
    Verdict.FIRST: "-",
    Verdict.NO_DATA: "-",
}


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def add_history_commands(sub: Any, exercises: Sequence[str]) -> None:
    """Add ``history`` and its subcommands to the top-level subparsers ``sub``."""
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        default=argparse.SUPPRESS,
        help=f"history database file (default: {default_db_path()}, or under $XDG_DATA_HOME)",
    )
    # --db is taken before the subcommand too (imu-app history --db PATH compare ...).
    h = sub.add_parser(
        "history",
        parents=[db],
        help="the athletes' history: import sessions, compare weeks, reports, exports",
        description=(
            "A local history of every session (an SQLite file in your data folder, or --db PATH): import "
            "recordings, list athletes and sessions, compare weeks telling a change from the noise, "
            "left against right, load, a PDF report, CSV/JSON exports and session bundles."
        ),
    )
    hs = h.add_subparsers(dest="history_command", metavar="SUBCOMMAND", required=True)

    def athlete(p: argparse.ArgumentParser) -> None:
        p.add_argument("--athlete", "-a", required=True, metavar="NAME", help="athlete's name")

    def period(p: argparse.ArgumentParser) -> None:
        p.add_argument("--from", dest="date_from", metavar="DATE", help="first day, e.g. 2024-03-01")
        p.add_argument("--to", dest="date_to", metavar="DATE", help="last day, e.g. 2024-05-31")

    def exercise(p: argparse.ArgumentParser, required: bool = False) -> None:
        p.add_argument(
            "--exercise",
            "-e",
            choices=exercises,
            metavar="EXERCISE",
            required=required,
            help="one of: " + ", ".join(exercises),
        )

    def leg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--leg", choices=["left", "right"], help="instrumented leg")

    p = hs.add_parser(
        "import",
        parents=[db],
        help="import recordings as sessions of an athlete",
        description=(
            "Import recordings (any supported format, one file per session). Each is analysed and "
            "stored with its algorithm version; a file already in the history (same content) is "
            "skipped, so an interrupted import is resumed by running it again. The session's date is "
            "the recording's start time, else --date, else the file's modification time."
        ),
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    athlete(p)
    exercise(p)
    leg(p)
    p.add_argument("--date", metavar="ISO", help="date (and time) of sessions whose recording has none")
    p.set_defaults(run=_cmd_import)

    p = hs.add_parser("athletes", parents=[db], help="list the athletes")
    p.set_defaults(run=_cmd_athletes)

    p = hs.add_parser("sessions", parents=[db], help="list an athlete's sessions")
    athlete(p)
    exercise(p)
    leg(p)
    period(p)
    p.set_defaults(run=_cmd_sessions)

    p = hs.add_parser(
        "compare",
        parents=[db],
        help="week by week: change or no change beyond the noise",
        description=(
            "One row per ISO week: trials, mean, SD, median, and whether the mean changed from the "
            "previous week by more than both the noise (90 % limits from the typical error of the "
            "athlete's own repeated trials) and the smallest worthwhile change. See docs/history.md."
        ),
    )
    athlete(p)
    exercise(p, required=True)
    p.add_argument(
        "--metric",
        "-m",
        choices=[m.name for m in METRICS],
        metavar="METRIC",
        help="one of: " + ", ".join(m.name for m in METRICS) + " (default: the exercise's first)",
    )
    p.add_argument("--weeks", type=int, default=8, metavar="N", help="weeks to show (default 8)")
    leg(p)
    period(p)
    p.set_defaults(run=_cmd_compare)

    p = hs.add_parser("symmetry", parents=[db], help="left against right (limb symmetry index)")
    athlete(p)
    period(p)
    p.set_defaults(run=_cmd_symmetry)

    p = hs.add_parser("load", parents=[db], help="contacts per week and rest between plyometric sessions")
    athlete(p)
    period(p)
    p.set_defaults(run=_cmd_load)

    p = hs.add_parser("report", parents=[db], help="a printable PDF report of an athlete and period")
    athlete(p)
    period(p)
    p.add_argument("--output", "-o", type=Path, required=True, metavar="REPORT.pdf")
    p.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    p.set_defaults(run=_cmd_report)

    p = hs.add_parser(
        "export",
        parents=[db],
        help="write an athlete's history as CSV and JSON files",
        description="Write CSV files and history.json into DIR/<athlete's name> (nothing outside DIR).",
    )
    athlete(p)
    p.add_argument("--output", "-o", type=Path, required=True, metavar="DIR")
    p.set_defaults(run=_cmd_export)

    p = hs.add_parser(
        "bundle", parents=[db], help="write one session as a bundle to send to another computer"
    )
    p.add_argument("session_id", type=int, metavar="SESSION_ID")
    p.add_argument("--output", "-o", type=Path, required=True, metavar=f"FILE{BUNDLE_SUFFIX}")
    p.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    p.set_defaults(run=_cmd_bundle)

    p = hs.add_parser("import-bundle", parents=[db], help="add the sessions in bundles (no duplicates)")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.set_defaults(run=_cmd_import_bundle)

    p = hs.add_parser(
        "reanalyse",
        parents=[db],
        help="analyse an athlete's sessions again with this version of the algorithm",
        description=(
            "Analyse the kept recordings again. New numbers wait beside the old ones until accepted "
            "with 'history accept'; the history keeps showing the accepted numbers until then."
        ),
    )
    athlete(p)
    p.set_defaults(run=_cmd_reanalyse)

    p = hs.add_parser("accept", parents=[db], help="accept re-analyses waiting for an athlete's sessions")
    athlete(p)
    p.add_argument("analysis_ids", nargs="*", type=int, metavar="ANALYSIS_ID", help="default: all waiting")
    p.set_defaults(run=_cmd_accept)


# ------------------------------------------------------------------------------------------------ helpers
def _open(args: argparse.Namespace, *, create: bool = False) -> HistoryStore:
    path = getattr(args, "db", None) or default_db_path()
    if not create and not path.exists():
        raise ImuAppError(f"{path}: no history there yet; import recordings first ('imu-app history import')")
    return HistoryStore(path)


def _period(args: argparse.Namespace) -> tuple[Any, Any]:
    start = parse_day(args.date_from, what="--from") if getattr(args, "date_from", None) else None
    end = parse_day(args.date_to, what="--to", end=True) if getattr(args, "date_to", None) else None
    if start and end and end < start:
        raise ImuAppError("--to is before --from")
    return start, end


def _fmt(value: float | None, digits: int, sign: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], left: Sequence[int] = ()) -> list[str]:
    """Columns padded to their widest cell; columns in ``left`` are left-aligned, the rest right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(c).ljust(w) if i in left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(parts).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _print(lines: Sequence[str]) -> None:
    sys.stdout.write("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------------------- commands
def _cmd_import(args: argparse.Namespace) -> int:
    date = parse_when(args.date, what="--date") if args.date else None
    total = len(args.files)
    width = len(str(total))

    def progress(p: ImportProgress) -> None:
        _err(f"[{p.done:>{width}}/{p.total}] {p.item.path.name}: {p.item.message}")

    with _open(args, create=True) as store:
        _err(f"importing {total} file(s) into {store.path}")
        try:
            summary = import_recordings(
                store,
                args.files,
                athlete=args.athlete,
                exercise=args.exercise,
                leg=args.leg,
                date=date,
                progress=progress,
            )
        except KeyboardInterrupt:
            _err("interrupted; every session finished so far is kept. Run the same command again to resume.")
            raise
    n_new, n_old, n_bad = (summary.count(s) for s in ("imported", "already", "failed"))
    assumed = sorted({i.session.date_source for i in summary.items if i.status == "imported" and i.session})
    _err(
        f"done: {n_new} imported, {n_old} already in the history, {n_bad} failed"
        + (f"; dates from {', '.join(DATE_SOURCES.get(a, a) for a in assumed)}" if assumed else "")
    )
    return 1 if n_bad else 0


def _cmd_athletes(args: argparse.Namespace) -> int:
    with _open(args) as store:
        rows = store.athletes()
    if not rows:
        _err("the history holds no athletes yet")
        return 0
    _print(
        table(
            ["athlete", "sessions", "first", "last"],
            [[a.name, str(a.n_sessions), (a.first_at or "-")[:10], (a.last_at or "-")[:10]] for a in rows],
            left=(0,),
        )
    )
    return 0


def _cmd_sessions(args: argparse.Namespace) -> int:
    start, end = _period(args)
    with _open(args) as store:
        rows = store.sessions(args.athlete, exercise=args.exercise, leg=args.leg, start=start, end=end)
    if not rows:
        _err(f"no sessions of {args.athlete} match")
        return 0
    out = table(
        ["id", "started", "week", "exercise", "leg", "contacts", "holds", "reps", "date from", "file"],
        [
            [
                str(s.id),
                s.started_at[:16].replace("T", " "),
                f"{s.week_key // 100}-W{s.week_key % 100:02d}",
                s.exercise or "-",
                s.leg or "-",
                str(s.n_contacts),
                str(s.n_landings),
                str(s.n_reps),
                s.date_source + (" (re-analysis waiting)" if s.has_pending else ""),
                s.file_name or "-",
            ]
            for s in rows
        ],
        left=(3, 4, 8, 9),
    )
    _print([f"{rows[0].athlete}: {len(rows)} session(s)", *out])
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    start, end = _period(args)
    metric = get_metric(args.metric) if args.metric else metrics_for_exercise(args.exercise)[0]
    if args.weeks < 1:
        raise ImuAppError("--weeks must be at least 1")
    with _open(args) as store:
        legs = (
            [args.leg]
            if args.leg
            else sorted({leg for e, leg in store.exercises(args.athlete) if e == args.exercise}, key=str)
        )
        if not legs:
            raise ImuAppError(f"{args.athlete} has no {args.exercise} sessions in the history")
        blocks = []
        for leg in legs:
            cmp = compare_weeks(
                store, args.athlete, args.exercise, metric, leg=leg, weeks=args.weeks, start=start, end=end
            )
            blocks.append(cmp)
    d, unit = metric.digits, metric.unit
    out: list[str] = []
    for cmp in blocks:
        out.append(
            f"{cmp.athlete}, {cmp.exercise}, {cmp.leg or 'both legs'}: {metric.label} ({metric.name}, {unit})"
        )
        out.append("  " + cmp.noise.describe(unit, d))
        out.append(
            "  a change is real when it exceeds both the noise (90 % limits from the typical error and "
            "the trials) and the smallest worthwhile change"
        )
        if not cmp.rows:
            out += ["  no trials of this metric", ""]
            continue
        rows = [
            [
                r.stats.week,
                str(r.stats.n_sessions),
                str(r.stats.n),
                _fmt(r.stats.mean, d),
                _fmt(r.stats.sd, d),
                _fmt(r.stats.median, d),
                _fmt(r.change, d, sign=True),
                "-" if r.noise_limit is None else f"+-{r.noise_limit:.{d}f}",
                _VERDICT_WORDS[r.verdict],
                r.words,
            ]
            for r in cmp.rows
        ]
        out += table(
            ["week", "sessions", "n", "mean", "SD", "median", "change", "noise", "verdict", "in words"],
            rows,
            left=(0, 8, 9),
        )
        if cmp.trend_per_week is not None:
            out.append(f"  trend over the weeks shown: {cmp.trend_per_week:+.{d}f} {unit} per week")
        out.append(f"  {cmp.n_changes} real change(s) in {len(cmp.rows)} week(s)")
        out.append("")
    _print(out)
    return 0


def _cmd_symmetry(args: argparse.Namespace) -> int:
    start, end = _period(args)
    with _open(args) as store:
        rows = symmetry(store, args.athlete, start=start, end=end)
    if not rows:
        _err(f"{args.athlete} has no exercise recorded on both legs in this period")
        return 0
    _print(
        [
            f"{args.athlete}: left against right "
            "(limb symmetry index = weaker / stronger leg; flagged below 90 %)",
            *table(
                ["exercise", "metric", "left", "n", "right", "n", "LSI %", "weaker", ""],
                [
                    [
                        r.exercise,
                        r.metric.name,
                        _fmt(r.left_mean, r.metric.digits),
                        str(r.n_left),
                        _fmt(r.right_mean, r.metric.digits),
                        str(r.n_right),
                        _fmt(r.lsi_percent, 1),
                        r.weaker_leg or "-",
                        "FLAG: below 90 %" if r.flagged else "",
                    ]
                    for r in rows
                ],
                left=(0, 1, 7, 8),
            ),
        ]
    )
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    start, end = _period(args)
    with _open(args) as store:
        rep = load_report(store, args.athlete, start=start, end=end)
    if not rep.sessions:
        _err(f"no sessions of {args.athlete} in this period")
        return 0
    out = [f"{args.athlete}: load per week (contacts are ground contacts of the instrumented foot)"]
    out += table(
        [
            "week",
            "recordings",
            "plyo sessions",
            "plyo contacts",
            "all contacts",
            "calf raises",
            "rest warnings",
        ],
        [
            [
                w.week,
                str(w.recordings),
                str(w.plyometric_workouts),
                str(w.plyometric_contacts),
                str(w.contacts),
                str(w.calf_raises),
                str(w.rest_warnings or ""),
            ]
            for w in rep.weeks
        ],
        left=(0,),
    )
    if rep.warnings:
        out += ["", f"Rest warnings ({len(rep.warnings)}):"]
        out += [f"  {w.words}" for w in rep.warnings]
    else:
        out += ["", f"No plyometric sessions closer than {rep.min_rest_h:.0f} h."]
    _print(out)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from imu_app.history._report import write_report  # matplotlib is imported only for a report

    start, end = _period(args)
    if args.output.exists() and not args.force:
        raise ImuAppError(f"{args.output} exists; pass --force to overwrite it")
    with _open(args) as store:
        pages = write_report(store, args.athlete, args.output, start=start, end=end)
    _err(f"wrote {args.output} ({pages} pages)")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    with _open(args) as store:
        files = export_athlete(store, args.athlete, args.output)
    _err(f"wrote {len(files)} files into {files[0].parent}")
    for f in files:
        print(f)
    return 0


def _cmd_bundle(args: argparse.Namespace) -> int:
    with _open(args) as store:
        out = write_bundle(store, args.session_id, args.output, force=args.force)
    _err(f"wrote {out}")
    return 0


def _cmd_import_bundle(args: argparse.Namespace) -> int:
    with _open(args, create=True) as store:
        for f in args.files:
            session, added = import_bundle(store, f)
            if added:
                _err(
                    f"{f.name}: session {session.id} of {session.athlete} ({session.exercise}, {session.leg})"
                )
            else:
                _err(f"{f.name}: already in the history as session {session.id}; nothing added")
    return 0


def _cmd_reanalyse(args: argparse.Namespace) -> int:
    with _open(args) as store:
        sessions = store.sessions(args.athlete)
        items = reanalyse(store, [s.id for s in sessions])
    for it in items:
        _err(f"session {it.session_id}: {it.message}")
    waiting = sum(1 for it in items if it.analysis_id is not None)
    _err(f"{waiting} re-analysis(es) wait to be accepted ('imu-app history accept --athlete ...')")
    return 0


def _cmd_accept(args: argparse.Namespace) -> int:
    with _open(args) as store:
        pending = store.pending_analyses(args.athlete)
        ids = args.analysis_ids or [a for _, a in pending]
        if not ids:
            _err("no re-analyses wait to be accepted")
            return 0
        for aid in ids:
            res = store.accept_analysis(aid)
            note = ""
            if res.unmatched_corrections:
                note = (
                    f"; {len(res.unmatched_corrections)} hand correction(s) no longer find their event (kept)"
                )
            _err(f"session {res.session_id}: analysis {aid} accepted (replaces {res.replaced_id}){note}")
    return 0
