"""The printable report of one athlete and period: a PDF drawn with matplotlib (no GUI backend).

Pages: a summary (what changed, what to watch), one page per exercise and leg (each week's trials as a
box, its mean, and the zone in which the mean counts as "no change" from the week before), left against
right, and load with rest warnings.
"""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from imu_app.history._dates import week_key, week_monday
from imu_app.history._errors import HistoryError
from imu_app.history._metrics import metrics_for_exercise
from imu_app.history._stats import LSI_FLAG_PERCENT, Verdict
from imu_app.history._store import HistoryStore
from imu_app.history._views import WeekComparison, compare_weeks, load_report, symmetry

__all__ = ["DEFAULT_WEEKS", "write_report"]

#: Weeks a report covers when no period is given: a training block of about three months.
DEFAULT_WEEKS = 12
_A4 = (8.27, 11.69)
_BETTER, _WORSE, _NEUTRAL, _GREY = "#1a7f37", "#c0392b", "#2c6fbb", "#888888"
_VERDICT_TEXT = {
    Verdict.CHANGE: "real change",
    Verdict.NO_CHANGE: "no change",
    Verdict.UNKNOWN: "cannot tell",
    Verdict.FIRST: "",
    Verdict.NO_DATA: "no sessions",
}


def _page(title: str, subtitle: str) -> Figure:
    fig = Figure(figsize=_A4)
    fig.text(0.07, 0.965, title, fontsize=15, weight="bold", va="top")
    fig.text(0.07, 0.94, subtitle, fontsize=9, color="#444444", va="top")
    return fig


#: Height of one table row as a fraction of the A4 page.
_ROW_H = 0.0175


def _table(
    fig: Figure,
    top: float,
    header: list[str],
    rows: list[list[str]],
    colors: dict[tuple[int, int], str] | None = None,
    *,
    left: float = 0.07,
    width: float = 0.88,
) -> float:
    """A table whose top edge is at ``top`` (page fraction); returns where its bottom edge is."""
    if not rows:
        fig.text(left, top, "nothing to show", fontsize=8.5, va="top")
        return top - 0.02
    height = _ROW_H * (len(rows) + 1)
    ax = fig.add_axes((left, top - height, width, height))
    ax.axis("off")
    tab = ax.table(cellText=rows, colLabels=header, cellLoc="center", bbox=(0, 0, 1, 1))
    tab.auto_set_font_size(False)
    tab.set_fontsize(7.5)
    # Columns as wide as their longest text (the bounding box then scales them to the table's width).
    chars = [max(len(str(x)) for x in [header[c], *(row[c] for row in rows)]) + 2 for c in range(len(header))]
    for (r, c), cell in tab.get_celld().items():
        cell.set_width(chars[c])
        cell.set_edgecolor("#cccccc")
        if r == 0:
            cell.set_facecolor("#eeeeee")
            cell.set_text_props(weight="bold")
        elif colors and (r - 1, c) in colors:
            cell.get_text().set_color(colors[(r - 1, c)])
    return top - height


def _verdict_color(row) -> str:  # type: ignore[no-untyped-def]
    if row.verdict is not Verdict.CHANGE:
        return "black"
    return {"better": _BETTER, "worse": _WORSE}.get(row.direction, _NEUTRAL)


def _metric_panel(fig: Figure, rect: list[float], cmp: WeekComparison) -> None:
    """Each week's trials as a box with its mean; the grey zone is where this week's mean would count as
    no change from the week before (the earlier mean +- the larger of noise limit and SWC)."""
    m, d = cmp.metric, cmp.metric.digits
    ax = fig.add_axes(rect)
    x = np.arange(len(cmp.rows))
    data = [np.asarray(s) for s in cmp.samples]
    have = [i for i, v in enumerate(data) if v.size]
    if have:
        ax.boxplot(
            [data[i] for i in have],
            positions=[x[i] for i in have],
            widths=0.5,
            whis=(5, 95),
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": "#dde8f5", "edgecolor": "#7a9cc6"},
            medianprops={"color": "#7a9cc6"},
            whiskerprops={"color": "#7a9cc6"},
            capprops={"color": "#7a9cc6"},
        )
    prev_mean = None
    for i, r in enumerate(cmp.rows):
        if r.change is not None and r.stats.mean is not None:
            prev_mean = r.stats.mean - r.change
            half = max(r.noise_limit or 0.0, cmp.noise.swc or 0.0)
            if half > 0:
                ax.fill_between(
                    [i - 0.42, i + 0.42],
                    prev_mean - half,
                    prev_mean + half,
                    color="#bbbbbb",
                    alpha=0.45,
                    lw=0,
                )
                ax.plot([i - 0.42, i + 0.42], [prev_mean, prev_mean], color=_GREY, lw=0.8, ls=":")
        if r.stats.mean is not None:
            ax.plot(i, r.stats.mean, "o", color=_verdict_color(r), ms=6, zorder=5)
            if r.verdict is Verdict.CHANGE:
                ax.annotate(
                    f"{r.change:+.{d}f}",
                    (i, r.stats.mean),
                    xytext=(8, 0),
                    textcoords="offset points",
                    fontsize=7.5,
                    color=_verdict_color(r),
                    va="center",
                    weight="bold",
                )
    means = [r.stats.mean for r in cmp.rows if r.stats.mean is not None]
    if len(means) >= 2:
        ax.plot(
            [i for i, r in enumerate(cmp.rows) if r.stats.mean is not None],
            means,
            color="#555555",
            lw=0.8,
            zorder=4,
        )
    ax.set_xticks(x)
    ax.set_xticklabels([r.stats.week.split("-")[1] for r in cmp.rows], fontsize=7.5)
    ax.set_xlim(-0.6, len(cmp.rows) - 0.4)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylabel(f"{m.label} ({m.unit})", fontsize=8.5)
    ax.grid(axis="y", color="#eeeeee")
    ax.set_axisbelow(True)
    better = {"lower": " (lower is better)", "higher": " (higher is better)"}.get(m.better or "", "")
    ax.set_title(f"{m.label}{better}", fontsize=10, loc="left")
    te = cmp.noise.typical_error
    swc = cmp.noise.swc
    note = (
        f"box: middle half of the week's trials, whiskers 5-95 %; dot: week mean (green better, red worse "
        f"if a real change); grey zone: no change from the week before.   typical error "
        f"{'-' if te is None else f'{te:.{d}f}'} {m.unit}, smallest worthwhile change "
        f"{'-' if swc is None else f'{swc:.{d}f}'} {m.unit}"
    )
    ax.text(
        0,
        -0.16,
        "\n".join(textwrap.wrap(note, 125)),
        transform=ax.transAxes,
        fontsize=6.5,
        color="#555555",
        va="top",
    )


def _week_table_rows(cmp: WeekComparison) -> tuple[list[list[str]], dict[tuple[int, int], str]]:
    d = cmp.metric.digits
    rows, colors = [], {}
    for i, r in enumerate(x for x in cmp.rows if x.stats.n):
        st = r.stats
        verdict = _VERDICT_TEXT[r.verdict]
        if r.verdict is Verdict.CHANGE and r.direction:
            verdict += f" ({r.direction})"
        rows.append(
            [
                st.week,
                str(st.n_sessions),
                str(st.n),
                f"{st.mean:.{d}f}",
                "-" if st.sd is None else f"{st.sd:.{d}f}",
                f"{st.median:.{d}f}",
                "-" if r.change is None else f"{r.change:+.{d}f}",
                "-" if r.noise_limit is None else f"{r.noise_limit:.{d}f}",
                verdict,
            ]
        )
        colors[(i, 8)] = _verdict_color(r)
    return rows, colors


_WEEK_HEADER = ["week", "sessions", "trials", "mean", "SD", "median", "change", "noise +-", "verdict"]


def write_report(
    store: HistoryStore,
    athlete: str,
    path: str | Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> int:
    """Write the PDF report of ``athlete`` from ``start`` to ``end`` (default: the last
    :data:`DEFAULT_WEEKS` weeks up to the last session) and return the number of pages."""
    sessions = store.sessions(athlete, start=start, end=end)
    if not sessions:
        raise HistoryError(f"{athlete} has no sessions in this period; nothing to report")
    name = sessions[0].athlete
    if start is None:
        last = week_key(datetime.fromisoformat(sessions[-1].started_at) if end is None else end)
        first = week_key(datetime.fromisoformat(sessions[0].started_at))
        monday = max(week_monday(last) - timedelta(weeks=DEFAULT_WEEKS - 1), week_monday(first))
        start = datetime.combine(monday, datetime.min.time()).astimezone()
        sessions = store.sessions(athlete, start=start, end=end)
    first_day = sessions[0].started_at[:10]
    last_day = end.date().isoformat() if end else sessions[-1].started_at[:10]
    period = f"{start.date().isoformat()} to {last_day}"
    generated = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    subtitle = f"{period}  |  {len(sessions)} sessions  |  generated {generated} by imu-app"

    comparisons: list[tuple[str, str | None, list[WeekComparison]]] = []
    for exercise, leg in store.exercises(name):
        if not any(s.exercise == exercise and s.leg == leg for s in sessions):
            continue
        cmps = []
        for m in metrics_for_exercise(exercise)[:2]:
            cmp = compare_weeks(store, name, exercise, m, leg=leg, start=start, end=end)
            if any(r.stats.n for r in cmp.rows):
                cmps.append(cmp)
        if cmps:
            comparisons.append((exercise, leg, cmps))
    sym = symmetry(store, name, start=start, end=end)
    load = load_report(store, name, start=start, end=end)

    out = Path(path)
    tmp = out.with_name(f".{out.name}.tmp")
    pages = 0
    with PdfPages(tmp, metadata={"Title": f"Training history: {name}", "Creator": "imu-app"}) as pdf:
        pdf.savefig(_summary_page(name, subtitle, first_day, comparisons, sym, load=load))
        pages += 1
        for exercise, leg, cmps in comparisons:
            fig = _page(f"{exercise.replace('_', ' ')}, {leg or 'leg unknown'} leg", f"{name}  |  {period}")
            n = len(cmps)
            for j, cmp in enumerate(cmps):
                top = 0.90 - j * (0.86 / n)
                h = 0.86 / n
                _metric_panel(fig, [0.1, top - h * 0.47, 0.85, h * 0.44], cmp)
                rows, colors = _week_table_rows(cmp)
                skip = max(0, len(rows) - 10)  # the table lists the last ten weeks with trials
                shown = {(i - skip, c): v for (i, c), v in colors.items() if i >= skip}
                _table(fig, top - h * 0.6, _WEEK_HEADER, rows[skip:], shown, left=0.1, width=0.85)
            pdf.savefig(fig)
            pages += 1
        pdf.savefig(_symmetry_page(name, subtitle, sym))
        pages += 1
        pdf.savefig(_load_page(name, subtitle, load))
        pages += 1
    tmp.replace(out)
    return pages


def _summary_page(name, subtitle, first_day, comparisons, sym, *, load) -> Figure:  # type: ignore[no-untyped-def]
    fig = _page(f"Training history: {name}", subtitle)
    rows, colors = [], {}
    for exercise, leg, cmps in comparisons:
        for cmp in cmps:
            m = cmp.metric
            with_data = [r for r in cmp.rows if r.stats.n]
            last = with_data[-1]
            verdict = _VERDICT_TEXT[last.verdict] or "first week"
            if last.verdict is Verdict.CHANGE and last.direction:
                verdict += f" ({last.direction})"
            colors[(len(rows), 5)] = _verdict_color(last)
            rows.append(
                [
                    exercise.replace("_", " "),
                    leg or "-",
                    m.label,
                    last.stats.week,
                    f"{last.stats.mean:.{m.digits}f} {m.unit}",
                    verdict,
                    str(cmp.n_changes),
                ]
            )
    fig.text(0.07, 0.90, "Latest week against the week before", fontsize=11, weight="bold")
    bottom = _table(
        fig,
        0.885,
        ["exercise", "leg", "metric", "latest week", "mean", "verdict", "real changes in period"],
        rows[:30],
        colors,
    )
    y = bottom - 0.04
    flagged = [r for r in sym if r.flagged]
    lines = [
        ("What to watch", True),
        (
            f"Left against right: {len(flagged)} of {len(sym)} metrics below {LSI_FLAG_PERCENT:.0f} % "
            "(limb symmetry index)"
            if sym
            else "Left against right: no exercise recorded on both legs.",
            False,
        ),
    ]
    lines += [
        (
            f"    {r.exercise.replace('_', ' ')}, {r.metric.label}: {r.lsi_percent:.0f} %, "
            f"weaker {r.weaker_leg}",
            False,
        )
        for r in flagged[:6]
    ]
    lines.append(
        (
            f"Rest: {len(load.warnings)} time(s) plyometric sessions were closer than "
            f"{load.min_rest_h:.0f} h."
            if load.warnings
            else f"Rest: plyometric sessions were always at least {load.min_rest_h:.0f} h apart.",
            False,
        )
    )
    lines += [(f"    {w.words}", False) for w in load.warnings[:6]]
    lines += [
        ("", False),
        ("How to read the verdicts", True),
        (
            "Typical error: the spread of the athlete's repeated trials within a session (pooled over all "
            "their sessions of that exercise; Hopkins 2000). Smallest worthwhile change (SWC): 0.2 x the "
            "spread between athletes of the squad when the history holds 5 or more, else 0.2 x the spread "
            "between this athlete's sessions. A week's mean is a real change from the week before only "
            "when the difference exceeds both the SWC and the noise (90 % limits: 1.645 x typical error x "
            "sqrt(1/n1 + 1/n2) for n1 and n2 trials). Otherwise it is reported as no change.",
            False,
        ),
    ]
    for text, bold in lines:
        for part in textwrap.wrap(text, 110) or [""]:
            fig.text(
                0.07, y, part, fontsize=10 if bold else 8.5, weight="bold" if bold else "normal", va="top"
            )
            y -= 0.022 if bold else 0.017
    fig.text(
        0.07,
        0.03,
        f"First session in the period: {first_day}. Numbers include the coach's hand corrections.",
        fontsize=7,
        color="#666666",
    )
    return fig


def _symmetry_page(name, subtitle, sym) -> Figure:  # type: ignore[no-untyped-def]
    fig = _page("Left against right", subtitle)
    if not sym:
        fig.text(0.07, 0.85, "No exercise was recorded on both legs in this period.", fontsize=10)
        return fig
    ax = fig.add_axes([0.36, 0.52, 0.58, 0.38])
    labels = [f"{r.exercise.replace('_', ' ')}: {r.metric.label}" for r in sym]
    vals = [r.lsi_percent or 0 for r in sym]
    colors = [_WORSE if r.flagged else ("#bbbbbb" if r.metric.better is None else _NEUTRAL) for r in sym]
    y = np.arange(len(sym))[::-1]
    ax.barh(y, vals, color=colors, height=0.6)
    ax.axvline(LSI_FLAG_PERCENT, color=_WORSE, ls="--", lw=1)
    ax.text(LSI_FLAG_PERCENT, -0.75, f" {LSI_FLAG_PERCENT:.0f} %", color=_WORSE, fontsize=8, va="bottom")
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlim(min(70.0, min(vals) - 5), 104)
    ax.set_ylim(-0.8, len(sym) - 0.4)
    ax.set_xlabel("limb symmetry index (%): weaker leg / stronger leg", fontsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    for yi, v in zip(y, vals, strict=True):
        ax.text(v + 0.3, yi, f"{v:.0f}", va="center", fontsize=7.5)
    rows = [
        [
            r.exercise.replace("_", " "),
            r.metric.label,
            f"{r.left_mean:.{r.metric.digits}f} ({r.n_left})",
            f"{r.right_mean:.{r.metric.digits}f} ({r.n_right})",
            "-" if r.lsi_percent is None else f"{r.lsi_percent:.1f}",
            r.weaker_leg or "-",
            "below 90 %" if r.flagged else "",
        ]
        for r in sym
    ]
    colors_t = {(i, 6): _WORSE for i, r in enumerate(sym) if r.flagged}
    _table(
        fig,
        0.44,
        ["exercise", "metric", "left (trials)", "right (trials)", "LSI %", "weaker", ""],
        rows,
        colors_t,
    )
    fig.text(
        0.07,
        0.465,
        "Means of the period's trials per leg. Grey bars: tempo measures, where neither leg is better "
        "(not flagged).",
        fontsize=7.5,
        color="#555555",
    )
    return fig


def _load_page(name, subtitle, load) -> Figure:  # type: ignore[no-untyped-def]
    fig = _page("Load and recovery", subtitle)
    weeks = load.weeks
    ax = fig.add_axes([0.1, 0.58, 0.85, 0.32])
    x = np.arange(len(weeks))
    plyo = np.array([w.plyometric_contacts for w in weeks])
    other = np.array([w.contacts - w.plyometric_contacts for w in weeks])
    ax.bar(x, plyo, color=_NEUTRAL, label="plyometric contacts")
    ax.bar(x, other, bottom=plyo, color="#c9d9ee", label="other contacts (running, walking)")
    for i, w in enumerate(weeks):
        if w.rest_warnings:
            ax.text(
                i, plyo[i] + other[i], "!", color=_WORSE, ha="center", va="bottom", fontsize=12, weight="bold"
            )
    ax.set_xticks(x)
    ax.set_xticklabels([w.week.split("-")[1] for w in weeks], fontsize=7.5)
    ax.set_ylabel("ground contacts per week", fontsize=8.5)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(axis="y", color="#eeeeee")
    ax.set_axisbelow(True)
    ax.set_ylim(0, max(1.0, float((plyo + other).max())) * 1.25)
    ax.legend(fontsize=7.5, frameon=False, loc="upper left", ncols=2)
    ax.set_title("Contacts per week (! a rest warning that week)", fontsize=10, loc="left")
    rows = [
        [
            w.week,
            str(w.recordings),
            str(w.plyometric_workouts),
            str(w.plyometric_contacts),
            str(w.contacts),
            str(w.calf_raises),
            str(w.rest_warnings or ""),
        ]
        for w in weeks
    ]
    bottom = _table(
        fig,
        0.5,
        [
            "week",
            "recordings",
            "plyometric sessions",
            "plyometric contacts",
            "all contacts",
            "calf raises",
            "rest warnings",
        ],
        rows[-14:],
    )
    y = bottom - 0.03
    head = (
        f"Rest warnings: plyometric sessions less than {load.min_rest_h:.0f} h apart ({len(load.warnings)})"
        if load.warnings
        else f"No plyometric sessions were less than {load.min_rest_h:.0f} h apart."
    )
    fig.text(0.07, y, head, fontsize=10, weight="bold", va="top")
    y -= 0.025
    for w in load.warnings[:8]:
        fig.text(0.07, y, "- " + w.words, fontsize=8.5, va="top", color=_WORSE)
        y -= 0.018
    fig.text(
        0.07,
        0.03,
        "Recordings that start within 3 h of each other count as one training session.",
        fontsize=7,
        color="#666666",
    )
    return fig
