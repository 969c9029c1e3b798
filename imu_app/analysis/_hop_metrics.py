"""From contacts to the numbers a coach reads: flight time, jump height, RSI, roles and per-set statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from imu_app.analysis._contacts import MAX_LOOKAHEAD_S, ContactParams, HopContacts, contacts_from_data
from imu_app.analysis._sets import DEFAULT_MAX_REST_S, group_bouts, metric_stats
from imu_app.analysis.report import Contact, SetSummary
from imu_app.core import (
    STANDARD_GRAVITY_M_S2,
    ContactKind,
    ContactRole,
    ExerciseKind,
    ImuData,
    SetKind,
    exercise_spec,
)

__all__ = ["ContactAnalysis", "HopMetricsParams", "analyse_contacts", "hop_report", "jump_height_cm"]


@dataclass(frozen=True)
class HopMetricsParams:
    """Parameters of :func:`hop_report`.

    Attributes
    ----------
    max_reactive_contact_s
        Contacts longer than this are not reactive hop contacts but a landing with a pause (a hold, the leap
        landing, the platform of the step hop, the end of a set). Reactive contacts of hops and drop jumps
        last 0.1-0.5 s; the slowest pogo hops of a tired beginner stay under 0.8 s, while regaining balance
        on one leg takes over a second.
    max_rest_s
        Contacts further apart than this belong to different sets (see ``DEFAULT_MAX_REST_S``).
    drill_max_rest_s
        The same for the reps of a drill (``ExerciseSpec.is_drill``).
    """

    max_reactive_contact_s: float = 1.0
    max_rest_s: float = DEFAULT_MAX_REST_S
    drill_max_rest_s: float = 60.0
    """Drills' reps are separated by walking back or climbing a box: a series of them is one set unless the
    athlete rests longer than this (the programme's rest between sets is 60 s; a rep's walk back takes
    5-20 s)."""

    def max_rest_for(self, exercise: str | None) -> float:
        """The longest rest within a set of ``exercise``."""
        spec = exercise_spec(exercise)
        return self.drill_max_rest_s if spec is not None and spec.is_drill else self.max_rest_s


def jump_height_cm(flight_time_ms: np.ndarray | float) -> np.ndarray:
    """Jump height from flight time, ``h = g t^2 / 8``, in cm.

    Notes
    -----
    The flight-time method assumes that the centre of mass is at the same height at take-off and landing,
    so that the flight is a symmetric parabola [1]_, [2]_. Athletes land with more ankle and knee flexion
    than they take off with, which lengthens the flight and overestimates the height, by 2.5 cm on average
    in vertical jumps with arm swing [3]_ (a landing 1 cm lower adds roughly 4 ms to a 0.5 s flight); for
    forward and lateral hops the method gives the vertical lift of the centre of mass, not the distance. It
    is the same method as contact mats and optical systems, so the numbers compare with theirs.

    References
    ----------
    .. [1] Bosco, C., Luhtanen, P., & Komi, P. V. (1983). A simple method for measurement of mechanical
       power in jumping. European Journal of Applied Physiology and Occupational Physiology, 50(2), 273-282.
       https://doi.org/10.1007/BF00422166
    .. [2] Linthorne, N. P. (2001). Analysis of standing vertical jumps using a force platform. American
       Journal of Physics, 69(11), 1198-1204. https://doi.org/10.1119/1.1397460
    .. [3] Yamashita, D., Murata, M., & Inaba, Y. (2020). Effect of landing posture on jump height calculated
       from flight time. Applied Sciences, 10(3), 776. https://doi.org/10.3390/app10030776
    """
    t_s = np.asarray(flight_time_ms, dtype=np.float64) / 1000.0
    return 100.0 * STANDARD_GRAVITY_M_S2 * t_s**2 / 8.0


def _opt(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def hop_report(
    found: HopContacts, exercise: str | None = None, params: HopMetricsParams | None = None
) -> tuple[tuple[Contact, ...], tuple[SetSummary, ...]]:
    """Per-contact metrics, roles and per-set statistics of detected hop contacts.

    Parameters
    ----------
    found
        Output of :func:`~imu_app.analysis._contacts.detect_hop_contacts`.
    exercise
        Name of the exercise, which gives the contacts their roles (see Notes); ``None`` gives none.
    params
        See :class:`HopMetricsParams`.

    Returns
    -------
    contacts, sets
        Report contacts (time-ordered) and one ``SetSummary(kind="hops")`` per bout.

    Notes
    -----
    Per contact: ``contact_time_ms`` from landing to take-off; ``flight_time_ms`` of the flight that ended
    at this landing and ``jump_height_cm`` from it (:func:`jump_height_cm`); ``rsi``, the reactive strength
    index, is the height in metres of the jump this contact launched divided by this contact's time in
    seconds (m/s), and ``flight_contact_ratio`` is that jump's flight time over this contact time, the two
    forms in use for drop jumps and repeated hops [1]_.

    Roles: contacts longer than ``max_reactive_contact_s`` are pauses, not reactive contacts: ``"hold"`` in
    the hop and hold and the squat drop, ``"set_end"`` when the bout ends with them, ``"leap_landing"``
    (leap and hop) or ``"platform"`` (step hop) when reactive hops follow, ``"set_end"`` otherwise; a
    ``"set_end"`` has no contact time (standing is no contact of a hop), and a pause launches no jump.
    Reactive contacts are ``"rebound"`` in a drop jump, ``"hop"`` in leap and hop, ``"fast_hop"`` in the
    step hop. Set statistics use reactive contacts only, each with the jump it launched.

    References
    ----------
    .. [1] Flanagan, E. P., & Comyns, T. M. (2008). The use of contact time and the reactive strength index
       to optimize fast stretch-shortening cycle training. Strength and Conditioning Journal, 30(5), 32-38.
       https://doi.org/10.1519/SSC.0b013e318187e25b
    """
    p = params or HopMetricsParams()
    n = len(found)
    if n == 0:
        return (), ()
    ct_ms = found.contact_time_ms
    ft_ms = found.flight_before_ms
    height_cm = jump_height_cm(ft_ms)
    # The jump a contact launches is the flight ending at the next landing, when that flight followed it.
    launched_ft = found.flight_after_ms
    launched_h_m = jump_height_cm(launched_ft) / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = launched_h_m / (ct_ms / 1000.0)
        ratio = launched_ft / ct_ms
    reactive = np.isfinite(ct_ms) & (ct_ms <= 1000.0 * p.max_reactive_contact_s)

    spec = exercise_spec(exercise)
    bouts = group_bouts(found.landing_s, p.max_rest_for(exercise))
    set_of = np.empty(n, dtype=np.intp)
    for i, b in enumerate(bouts):
        set_of[b] = i
    last_of_set = np.r_[set_of[1:] != set_of[:-1], True]
    next_reactive = np.r_[reactive[1:], False] & ~last_of_set

    holds = spec is not None and spec.kind is ExerciseKind.LANDING_HOLDS
    pause_role = spec.pause_role if spec is not None else None
    roles: list[ContactRole | None] = []
    role: ContactRole | None
    for i in range(n):
        if not reactive[i]:
            if not np.isfinite(ct_ms[i]):
                role = None
            elif holds:
                role = ContactRole.HOLD
            elif last_of_set[i]:
                role = ContactRole.SET_END
            elif next_reactive[i] and pause_role is not None:
                role = pause_role
            else:
                role = ContactRole.SET_END
        else:
            role = spec.reactive_role if spec is not None else None
        roles.append(role)

    # A bout without a reactive contact (the landings of a hop and hold) is no set of hops: its contacts
    # belong to no hop set, and the set list has no empty entries.
    has_hops = [bool((reactive[b] & found.complete[b]).any()) for b in bouts]
    set_index_of_bout = {i: k for k, i in enumerate(i for i, h in enumerate(has_hops) if h)}

    # In a drop jump the flight before a rebound is the drop from the box, not a jump.
    dropped_in = np.array([r == ContactRole.REBOUND for r in roles])
    contacts = tuple(
        Contact(
            landing_s=float(found.landing_s[i]),
            takeoff_s=_opt(found.takeoff_s[i]),
            contact_time_ms=_opt(ct_ms[i]) if found.complete[i] and roles[i] != ContactRole.SET_END else None,
            flight_time_ms=_opt(ft_ms[i]),
            jump_height_cm=None if dropped_in[i] else _opt(height_cm[i]),
            next_flight_time_ms=_opt(launched_ft[i]) if reactive[i] else None,
            next_jump_height_cm=_opt(100.0 * launched_h_m[i]) if reactive[i] else None,
            rsi=_opt(rsi[i]) if found.complete[i] and reactive[i] else None,
            flight_contact_ratio=_opt(ratio[i]) if found.complete[i] and reactive[i] else None,
            kind=ContactKind.HOP,
            complete=bool(found.complete[i]),
            set_index=set_index_of_bout.get(int(set_of[i])),
            role=roles[i],
        )
        for i in range(n)
    )
    sets = []
    for i, b in enumerate(bouts):
        if i not in set_index_of_bout:
            continue
        idx = np.arange(b.start, b.stop)
        r = idx[reactive[idx] & found.complete[idx]]
        notes = []
        if not found.complete[idx].all():
            notes.append("a gap in the data cut some contacts; their durations are left out")
        sets.append(
            SetSummary(
                index=set_index_of_bout[i],
                kind=SetKind.HOPS,
                start_s=float(found.landing_s[b.start]),
                end_s=float(np.nanmax(np.r_[found.takeoff_s[idx], found.landing_s[idx]])),
                count=int(r.size),
                stats={
                    "contact_time_ms": metric_stats(ct_ms[r].tolist(), lower_is_better=True),
                    "flight_time_ms": metric_stats(launched_ft[r].tolist(), lower_is_better=False),
                    "jump_height_cm": metric_stats((100.0 * launched_h_m[r]).tolist(), lower_is_better=False),
                    "rsi": metric_stats(rsi[r].tolist(), lower_is_better=False),
                },
                notes=tuple(notes),
            )
        )
    return contacts, tuple(sets)


@dataclass(frozen=True)
class ContactAnalysis:
    """What :func:`analyse_contacts` adds to the report."""

    contacts: tuple[Contact, ...]
    sets: tuple[SetSummary, ...]
    parameters: dict[str, object]
    #: The detector's own result for hop exercises (``None`` for strides), so that the landing-hold
    #: analysis builds on the same contacts instead of detecting them again.
    hop_contacts: HopContacts | None = None


def analyse_contacts(data: ImuData, exercise: str | None = None) -> ContactAnalysis:
    """Contacts and hop/stride sets of a recording, with the parameters used (for the report)."""
    spec = exercise_spec(exercise)
    if spec is not None and spec.is_gait:
        from imu_app.analysis._strides import StrideParams, detect_strides, stride_report

        sp = StrideParams()
        strides = detect_strides(data, sp)
        contacts, sets = stride_report(strides)
        return ContactAnalysis(contacts, sets, {"strides": asdict(sp)})
    cp = ContactParams()
    found = contacts_from_data(data, cp)
    mp = HopMetricsParams()
    contacts, sets = hop_report(found, exercise, mp)
    return ContactAnalysis(
        contacts,
        sets,
        {"contacts": {**asdict(found.params), "max_lookahead_s": MAX_LOOKAHEAD_S}, "hop_metrics": asdict(mp)},
        hop_contacts=found,
    )
