"""Ground truth of a simulated session: the events the analyses are meant to find, and their JSON form.

All times are seconds from the recording's first sample on the sensor clock, the convention of the analysis
report, so that a truth file and a report can be compared field by field.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from imu_app.core import ContactKind, HoldEnd, Knee, SetKind, SimulationError

__all__ = [
    "TRUTH_SCHEMA",
    "Truth",
    "TruthContact",
    "TruthLanding",
    "TruthRep",
    "TruthSet",
    "read_truth",
    "write_truth",
]

#: Version tag of the truth JSON; bump it when a field is removed or changes meaning. Version 2: a
#: landing's ``stabilised_s`` is the app's settling method on the true angular rate (in version 1 it was the
#: instant the landing transient's envelope fell to the sway, now ``ringing_settled_s``).
TRUTH_SCHEMA = "imu-app.truth/2"

# The truth's words are the domain's vocabularies (``imu_app.core.vocabulary``); its JSON holds their values.
CONTACT_KINDS = tuple(ContactKind)
LANDING_ENDINGS = tuple(HoldEnd)
KNEE_POSITIONS = tuple(Knee)
SET_KINDS = tuple(SetKind)


@dataclass(frozen=True)
class TruthContact:
    """One ground contact of the instrumented foot.

    Attributes
    ----------
    landing_s
        The instant the foot first touches the ground (ground reaction force rises from zero).
    takeoff_s
        The instant the ground reaction force returns to zero. Only contacts that both begin and end inside
        the recording are listed; a final landing after which the foot stays down has no takeoff and is
        not a contact (it is in ``Truth.landings`` when a hold follows).
    kind
        ``"hop"`` or ``"stride"`` (walking, running).
    role
        What the contact is in the exercise: ``None`` for an ordinary hop or stride, ``"rebound"`` (drop
        jump), ``"leap_landing"``, ``"hop"`` (the 8 hops of leap and hop), ``"platform"``, ``"fast_hop"``
        (step hop), ``"hold"`` (a landing whose hold is ended by a hop), ``"set_end"`` (the last landing of a
        bout, which lasts through the rest until the next push-off).
    """

    landing_s: float
    takeoff_s: float
    kind: str = "hop"
    role: str | None = None

    @property
    def contact_time_ms(self) -> float:
        return 1000.0 * (self.takeoff_s - self.landing_s)


@dataclass(frozen=True)
class TruthLanding:
    """A landing followed by a single-leg hold.

    Attributes
    ----------
    landing_s
        Touch-down.
    stabilised_s
        Time to stabilisation by the app's method (:func:`imu_app.core.stabilisation.time_to_stabilisation`:
        moving RMS of the shank's resultant angular rate over 0.5 s settling below 2.5 times the RMS of the
        hold's last 1.5 s of balance) applied to the true angular rate of the shank (the motion's own, free
        of sensor noise, bias and filter), plus ``landing_s``; ``None`` where the method gives none (a
        balance shorter than 2.3 s).
    hold_end_s
        When the hold ends (other foot down, a hop's takeoff, a stumble's onset, or the last sample).
    hold_target_s
        The hold the exercise asks for (5 s for the hop and hold).
    ended_by
        ``"other_foot"``, ``"hop"``, ``"stumble"`` or ``"end_of_recording"``.
    ringing_settled_s
        The instant the hidden landing transient's envelope ``A exp(-(t - landing)/tau)`` falls to the RMS
        sway angular rate this hold realised (from the end of the landing's absorption to the end of the
        hold): ``landing_s + tau ln(A / sigma)``. A property of the generator's model, kept for comparison:
        the sway has components in the transient's band, so a recording does not show ``A`` and ``tau``
        to the precision this instant needs, and no method on the recording can be expected to find it.
    """

    landing_s: float
    stabilised_s: float | None
    hold_end_s: float
    hold_target_s: float
    ended_by: str
    ringing_settled_s: float | None = None

    @property
    def hold_s(self) -> float:
        return self.hold_end_s - self.landing_s


@dataclass(frozen=True)
class TruthRep:
    """One calf raise, phases as in the analysis report.

    ``start_s`` onset of the rise, ``top_s`` top reached, ``lower_s`` onset of lowering, ``bottom_s`` lowest
    point reached, ``end_s`` end of the bottom pause. ``range_deg`` is the ankle plantarflexion range (foot
    relative to shank) from the bottom of this rep to its top; ``partial`` marks reps below 40 % of the
    set's full range.
    """

    start_s: float
    top_s: float
    lower_s: float
    bottom_s: float
    end_s: float
    range_deg: float
    partial: bool
    knee: str


@dataclass(frozen=True)
class TruthSet:
    """A bout of one activity: ``kind`` is ``"hops"``, ``"strides"``, ``"landings"`` or ``"calf_raises"``."""

    start_s: float
    end_s: float
    kind: str


_ITEM_TYPES: dict[str, type] = {
    "contacts": TruthContact,
    "landings": TruthLanding,
    "calf_raises": TruthRep,
    "sets": TruthSet,
}


@dataclass(frozen=True)
class Truth:
    """Everything the simulator knows about a session; tuples are time-ordered."""

    exercise: str
    contacts: tuple[TruthContact, ...] = ()
    landings: tuple[TruthLanding, ...] = ()
    calf_raises: tuple[TruthRep, ...] = ()
    sets: tuple[TruthSet, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary, tagged with :data:`TRUTH_SCHEMA`."""
        out: dict[str, Any] = {"schema": TRUTH_SCHEMA, "exercise": self.exercise}
        for name in _ITEM_TYPES:
            out[name] = [asdict(item) for item in getattr(self, name)]
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Truth:
        """Inverse of :meth:`to_dict`; raises :class:`SimulationError` on a foreign or malformed document."""
        if not isinstance(d, dict):
            raise SimulationError(f"truth must be a JSON object, got {type(d).__name__}")
        schema = d.get("schema", TRUTH_SCHEMA)
        if schema != TRUTH_SCHEMA:
            raise SimulationError(
                f"unsupported truth schema {schema!r}; this version reads {TRUTH_SCHEMA!r} "
                "(simulate the session again to get a current truth file)"
            )
        if "exercise" not in d:
            raise SimulationError("truth has no 'exercise' field")
        parts: dict[str, tuple[Any, ...]] = {}
        for name, item_type in _ITEM_TYPES.items():
            allowed = {f.name for f in fields(item_type)}
            items = []
            for i, raw in enumerate(d.get(name, [])):
                if not isinstance(raw, dict):
                    raise SimulationError(f"truth {name}[{i}] must be an object")
                unknown = set(raw) - allowed
                if unknown:
                    raise SimulationError(
                        f"truth {name}[{i}] has unknown fields {sorted(unknown)}; allowed: {sorted(allowed)}"
                    )
                try:
                    items.append(item_type(**raw))
                except TypeError as exc:
                    raise SimulationError(f"truth {name}[{i}] is incomplete: {exc}") from exc
            parts[name] = tuple(items)
        return cls(exercise=str(d["exercise"]), **parts)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        raise SimulationError("truth contains a non-finite number")
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def write_truth(path: str | Path, truth: Truth) -> None:
    """Write ``truth`` as JSON (conventionally ``NAME.truth.json`` beside ``NAME.csv``)."""
    text = json.dumps(_finite(truth.to_dict()), indent=1)
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_truth(path: str | Path) -> Truth:
    """Read a truth file written by :func:`write_truth`."""
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SimulationError(f"{p}: no such truth file") from exc
    except json.JSONDecodeError as exc:
        raise SimulationError(f"{p}: not valid JSON ({exc})") from exc
    return Truth.from_dict(d)
