"""Parameters and result of the calf-raise analysis."""

from __future__ import annotations

from dataclasses import dataclass

from imu_app.analysis._sets import DEFAULT_MAX_REST_S
from imu_app.analysis.report import CalfRaises, SetSummary
from imu_app.core import AnalysisError

#: How far (s) the last fit of a rep looks beyond the end of its pause.
FINAL_WINDOW_S = 1.0
#: The recording's typical full rise is this quantile of its rises (``noise_fraction``).
TYPICAL_RISE_QUANTILE = 0.9
#: A set's full range is this quantile of its reps' ranges (``partial_fraction``), its full rise that of
#: its rises.
FULL_QUANTILE = 0.75


@dataclass(frozen=True)
class CalfRaiseParams:
    """Parameters of :func:`detect_calf_raises`; the defaults need no tuning.

    Attributes
    ----------
    work_rate_hz
        Rate at which the signals are analysed: the samples are averaged over blocks of
        ``floor(fs / work_rate_hz)`` (the anti-alias filter), so 52-104 Hz data are analysed at their own
        rate and 1 kHz data at 100 Hz. The fastest transition of a calf raise (a quick rise of about 0.3 s)
        still spans 30 samples at 100 Hz, a 10-ms block passes it practically untouched, and every time is
        fitted, not read off a sample; the cost after the averaging no longer depends on the sensor's rate.
    highpass_hz
        Cut-off of the zero-phase high-pass that keeps the integrated vertical acceleration (the velocity,
        used to *find* rises and lowerings, never to time them) from drifting. A rise (0.3-2 s) passes
        untouched; a slow lowering's velocity is attenuated and may split into lobes, which is why the
        lowering is checked by the sum of its lobes and timed by the fit.
    min_rise_m
        Smallest rise of the ankle looked at as a (possibly partial) rep. A full raise lifts the ankle 5-9 cm
        and a partial one (a sixth to a third of the range) 1-3 cm; sway and knee bends move a shank sensor
        vertically by less than 7 mm (and are not followed by a lowering).
    noise_fraction
        Rises smaller than this fraction of the recording's typical full rise (90th percentile of the rises)
        are not reps; partial reps rise a sixth of the range or more.
    partial_fraction
        A rep whose range is below this fraction of the set's full range (75th percentile) is partial
        (listed, not counted). 40 % of the range is the usual "at least half-way up" coaching cue with room
        for error. The range is the plantarflexion angle (as in the reps' ``range_deg``, from the set's
        start: the flat foot or below the step) that lifts the ankle by the smaller of the velocity lobe's
        and the fitted acceleration's rise: a lobe can merge with a posture change after the set's last
        rep, a fit rarely reads high. It is compared as an
        angle, not as a height, because the ankle rises on a circle, faster near the bottom than near the
        top: a third of the angle lifts it by 40 % of the full height, which a height fraction would count.
    max_transition_s
        Longest rise or lowering accepted (a 10-second eccentric is already twice the slowest prescription).
    max_rise_s
        Longest rise accepted. Rises are prescribed at about 1 s and done in 0.3-2 s; a fitted "rise" that
        stretches longer is a slow positive lobe of the high-passed velocity inside a slow lowering, not a
        rise.
    max_pause_s
        Longest bottom pause: a rep whose pause is not ended by a movement within this time ends here. It
        bounds the look-ahead of a live analysis.
    posture_deg
        A change of the shank's angle at least this large between the bottom and the next rise, made
        within ``posture_s`` (bending or straightening the knee, 12-20 deg), ends the pause when it starts
        and cuts the lowering's and the next rise's fitting windows. Single-leg sway turns the shank by up
        to 2 deg within a second and by several degrees over a 6-s rep (its slowest components), so both
        the angle before the next rise and the fitted change itself must reach this; a smaller shift of
        stance cannot be told from sway.
    posture_s
        Durations a knee bend or straightening takes (s); slower changes of the shank's angle are the
        stance drifting with sway and do not end the pause.
    bent_tilt_deg
        A set whose full reps tilt the shank by more than this (median, start to top) is a bent-knee set.
        With the knee straight the shank follows the heel's rise almost without rotating (2-4 deg); with the
        knee bent the knee stays put while the ankle moves forward along its arc, so the shank rotates about
        twice as much (5-8 deg). The gyroscope's angle about the flexion axis reads a little less than the
        sagittal tilt (the axis is found from the data and sway blurs the plateaus); 3.5 deg separates the
        two.
    knee_split_deg
        A set whose reps start from shank angles spread by more than this mixes straight- and bent-knee reps
        (a knee bend tilts the shank forward by 12-20 deg, sway and stance changes by a few degrees).
    foot_lever_m
        Distance from the metatarsal heads to the ankle joint centre (13 cm behind, 8 cm above, adult
        anthropometrics). The ankle moves on a circle of this radius about the metatarsal heads, which turns
        its rise into the plantarflexion range.
    max_rest_s
        Reps further apart than this belong to different sets.
    target_tempo_s
        Target durations of rise, top hold, lowering and bottom pause, e.g. the eccentric programme's
        1-0-3-2 s. ``None`` judges each set against its own opening tempo: the median of its first
        :data:`OPENING_REPS` full reps, which is how a set without a prescribed tempo shows where it fell
        off.
    tempo_tolerance_s
        A phase more than this far off its target counts as off-tempo in the set's notes.
    """

    work_rate_hz: float = 100.0
    highpass_hz: float = 0.1
    min_rise_m: float = 0.008
    noise_fraction: float = 0.12
    partial_fraction: float = 0.4
    max_transition_s: float = 10.0
    max_rise_s: float = 2.2
    max_pause_s: float = 8.0
    posture_deg: float = 5.0
    posture_s: tuple[float, float] = (0.2, 1.5)
    bent_tilt_deg: float = 3.5
    knee_split_deg: float = 10.0
    foot_lever_m: float = 0.152
    max_rest_s: float = DEFAULT_MAX_REST_S
    target_tempo_s: tuple[float, float, float, float] | None = None
    tempo_tolerance_s: float = 0.5

    @property
    def reach_s(self) -> float:
        """How far after a rep's top its lowering and bottom pause may reach (s): the longest lowering and
        the longest pause."""
        return self.max_transition_s + self.max_pause_s

    @property
    def lookahead_s(self) -> float:
        """How long after a rep's bottom the rep is decided (s): its pause ends within ``max_pause_s``
        (the lowering's window reaches no further), and the last fit's window reaches
        :data:`FINAL_WINDOW_S` beyond."""
        return self.max_pause_s + FINAL_WINDOW_S

    def __post_init__(self) -> None:
        if self.work_rate_hz <= 0 or self.highpass_hz <= 0:
            raise AnalysisError("calf raises: work_rate_hz and highpass_hz must be positive")
        if not 0.0 < self.partial_fraction < 1.0:
            raise AnalysisError("calf raises: partial_fraction must lie between 0 and 1")
        if self.target_tempo_s is not None and (
            len(self.target_tempo_s) != 4 or min(self.target_tempo_s) < 0
        ):
            raise AnalysisError("calf raises: target_tempo_s needs four non-negative durations (s)")


@dataclass(frozen=True)
class CalfRaiseResult:
    """Reps, the calf-raise sets and what the user should know about the analysis.

    ``lookahead_s`` is the longest sensor time after a rep that the stream needs before the rep is decided
    (:class:`~imu_app.analysis._calf.stream.CalfRaiseStream`: 200 s at worst with the defaults, without
    any rest; about 20 s after a set followed by rest). A live analysis reports every rep at most this
    late.
    """

    calf_raises: CalfRaises
    sets: tuple[SetSummary, ...]
    warnings: tuple[str, ...]
    lookahead_s: float
