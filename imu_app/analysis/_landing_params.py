"""Parameters and result of the landing-hold analysis."""

from __future__ import annotations

from dataclasses import dataclass

from imu_app.analysis._sets import DEFAULT_MAX_REST_S
from imu_app.analysis.report import Landing, SetSummary
from imu_app.core import AnalysisError, HoldEnd
from imu_app.core.stabilisation import TTS_ABSORPTION_S, TTS_PUSHOFF_S, TTS_WINDOW_S

__all__ = ["ENDINGS", "LandingParams", "LandingResult"]

#: What can end a hold, as in the report.
ENDINGS = tuple(HoldEnd)


@dataclass(frozen=True)
class LandingParams:
    """Parameters of :func:`detect_landings`; the defaults need no tuning.

    Attributes
    ----------
    hold_target_s
        The hold asked for ("hold the landing 5 s").
    target_tolerance_s
        A hold counts as met when it lasts at least ``hold_target_s`` minus this. Athletes put the other foot
        down on the count of "five", not after it; 0.2 s is well below the shortest failed hold that matters
        to a coach and above the timing error of the hold's end (a few hundredths of a second).
    min_hold_s
        A landing is a hold when the athlete stays on the landing leg at least this long. Reactive hop
        contacts last 0.1-0.3 s and the last landing of a hop bout, which the other foot joins at once,
        about 0.4 s; a deliberate balance lasts a second or more.
    settle_s
        Start of the stabilisation assessment after touch-down. The first 0.3 s are the absorption of the
        landing (knee flexion, foot slap): large, but not the balance the method measures.
    window_s
        Moving-RMS window of the time to stabilisation (see :mod:`imu_app.core.stabilisation`), reported
        with every landing: published TTS values depend on it.
    impact_min_g, impact_sigmas
        The other foot's touch-down reaches the stance shank as a sharp bump of 0.05-0.15 g: a sample of the
        high-passed specific-force magnitude above both this level and this many noise SDs marks it.
    burst_min_dps, burst_sigmas
        A stumble is a burst of angular rate above both this level and this many times the steady sway
        (single-leg sway is 2-4 deg/s RMS; a loss of balance swings the shank at tens of deg/s), shortly
        before the foot that catches it lands.
    burst_min_g
        The same without a gyroscope, on the specific force about its 1-s mean: a stumble's swing moves it
        by 0.15-0.2 g (the tilt changes gravity's direction), the other foot's touch-down and single-leg
        sway by at most 0.06 g.
    impact_after_s
        The other foot is looked for from this long after touch-down: the landing's own impact is over
        within 30 ms, and the last landing of a hop bout is joined by the other foot from about 0.35 s.
    single_leg_sway_dps, early_s
        Confirmation of a touch-down by the drop of sway after it (see ``_other_foot``): two-leg stance
        sways the shank at 0.5-1 deg/s RMS, one-leg stance at 2-4 deg/s, and a landing rings far above both.
        Spikes within ``early_s`` of the start of the search always need it.
    pushoff_s
        A hold that a hop ends lasts until its take-off; what happens in the push-off before it (up to half
        a second of countermovement and push, with large accelerations) is not looked at for other endings
        nor counted in the sway.
    max_rest_s
        Holds further apart than this belong to different sets.
    max_hold_s
        A hold is followed for at most this long after its touch-down (``None``: twice the target, and at
        least the target plus 5 s); one that lasts longer is reported this long, ended by the other foot.
        It bounds how long after a touch-down its hold is decided (:attr:`lookahead_s`) and so how much a
        live analysis holds in memory: a hold is measured against its target, and what happens long after
        the target has passed does not change whether it was met.
    """

    hold_target_s: float = 5.0
    target_tolerance_s: float = 0.2
    min_hold_s: float = 0.6
    settle_s: float = TTS_ABSORPTION_S
    window_s: float = TTS_WINDOW_S
    impact_min_g: float = 0.02
    impact_sigmas: float = 6.0
    burst_min_dps: float = 20.0
    burst_min_g: float = 0.09
    burst_sigmas: float = 5.0
    pushoff_s: float = TTS_PUSHOFF_S
    single_leg_sway_dps: float = 1.6
    early_s: float = 0.3
    impact_after_s: float = 0.3
    max_rest_s: float = DEFAULT_MAX_REST_S
    max_hold_s: float | None = None

    @property
    def hold_cap_s(self) -> float:
        """The longest hold followed (s): ``max_hold_s`` or its default (see the attribute)."""
        if self.max_hold_s is not None:
            return self.max_hold_s
        return max(2.0 * self.hold_target_s, self.hold_target_s + 5.0)

    def __post_init__(self) -> None:
        if self.hold_target_s < 0 or self.target_tolerance_s < 0:
            raise AnalysisError("landings: hold_target_s and target_tolerance_s must not be negative")
        if self.window_s <= 0 or self.settle_s < 0 or self.min_hold_s <= 0:
            raise AnalysisError("landings: window_s and min_hold_s must be positive, settle_s non-negative")
        if self.max_hold_s is not None and self.max_hold_s < max(self.hold_target_s, self.min_hold_s):
            raise AnalysisError("landings: max_hold_s must be at least hold_target_s and min_hold_s")


@dataclass(frozen=True)
class LandingResult:
    """Holds, their sets and what the user should know about the analysis.

    ``sway_reference_dps`` is the median over the holds of their sway (``sway_gyr_rms_dps``, RMS angular
    rate after stabilisation); ``lookahead_s`` bounds how long after a hold's end it is decided.
    """

    landings: tuple[Landing, ...]
    sets: tuple[SetSummary, ...]
    warnings: tuple[str, ...]
    sway_reference_dps: float | None
    lookahead_s: float
