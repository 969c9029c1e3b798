"""Build a demo history: eight weeks of one athlete's pogo hops on both legs, simulated, deterministic.

Run from the project root: ``python scripts/make_history_demo.py OUT.sqlite``. The right leg hops twice a
week and its contact times come down over the block, with a clear step in the sixth week; the left leg,
once a week, stays slower (so left against right is flagged); one week has two plyometric sessions a
day apart (a rest warning). The window's History screen shot in ``docs/screenshots/history.png`` is
taken on it::

    python scripts/make_history_demo.py /tmp/demo/imu-app/history.sqlite
    XDG_DATA_HOME=/tmp/demo imu-app gui --screen history --snapshot history.png --after 1
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from imu_app.history import HistoryStore
from imu_app.history._importing import import_recordings
from imu_app.recordings import write_native
from imu_app.sim import SensorParams, simulate

#: (week, day offset from Monday, leg, contact-time range in ms)
PLAN: list[tuple[int, int, str, tuple[float, float]]] = []
_RIGHT = [(238, 262), (236, 258), (232, 256), (230, 252), (228, 250), (206, 226), (204, 224), (200, 222)]
_LEFT = [(262, 290), (262, 288), (258, 286), (258, 284), (256, 282), (252, 278), (250, 276), (248, 274)]
for _w, ((r_lo, r_hi), (l_lo, l_hi)) in enumerate(zip(_RIGHT, _LEFT, strict=True)):
    PLAN.append((_w, 0, "right", (r_lo, r_hi)))
    PLAN.append((_w, 3 if _w != 4 else 1, "right", (r_lo + 2, r_hi + 2)))
    PLAN.append((_w, 3 if _w != 4 else 4, "left", (l_lo, l_hi)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path, help="the history database to create (it must not exist)")
    ap.add_argument("--athlete", default="Anna")
    ap.add_argument("--first-monday", default="2024-03-04")
    args = ap.parse_args()
    if args.db.exists():
        ap.error(f"{args.db} exists; choose a new file")
    monday = datetime.fromisoformat(args.first_monday).replace(hour=17).astimezone()
    with tempfile.TemporaryDirectory() as tmp, HistoryStore(args.db) as store:
        for k, (week, day, leg, contact_ms) in enumerate(PLAN):
            sim = simulate(
                "pogo_hops",
                SensorParams(sample_rate_hz=208),
                seed=100 + k,
                n_sets=2,
                reps=(12, 12),
                contact_time_ms=contact_ms,
                leg=leg,
            )
            path = Path(tmp) / f"pogo_{week + 1}_{day}_{leg}.csv"
            write_native(path, sim.data)
            when = monday + timedelta(weeks=week, days=day, minutes=30 if leg == "left" else 0)
            summary = import_recordings(store, [path], athlete=args.athlete, date=when)
            print(f"{path.name}: {summary.items[0].message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
