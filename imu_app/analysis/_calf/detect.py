"""Calf raises from an ankle sensor: rep count, phase timing, range, partial reps, knee, tempo per set."""

from __future__ import annotations

from imu_app.analysis._calf.params import CalfRaiseParams, CalfRaiseResult
from imu_app.analysis._calf.stream import CalfRaiseStream
from imu_app.analysis._conditioning import Conditioner
from imu_app.analysis._stream import chunks_of
from imu_app.analysis.report import CalfRaises
from imu_app.core import ImuData


def detect_calf_raises(data: ImuData, params: CalfRaiseParams | None = None) -> CalfRaiseResult:
    """Count calf raises and time their four phases.

    Parameters
    ----------
    data
        The recording (sensor on the distal shank, any mounting; gyroscope optional).
    params
        Thresholds; see :class:`CalfRaiseParams`.

    Returns
    -------
    CalfRaiseResult
        Reps (full and partial, time-ordered), the calf-raise sets with tempo statistics, warnings.

    Notes
    -----
    A calf raise rotates the foot about the metatarsal heads: the ankle, and a sensor on the distal shank
    with it, rises by 5-9 cm, and the shank tilts by a few degrees (more with a bent knee). Postural sway
    tilts the shank too, by about a degree at 0.1-2.5 Hz on one leg, but hardly moves the ankle, so the
    *vertical acceleration* identifies and times a rep; the shank's angle finds knee bends and the knee.

    0. *Work rate.* The samples are averaged over blocks down to about ``work_rate_hz`` and the attitude
       (``estimate_gravity``) is estimated on the averages, so an hour at 1 kHz costs about as much as at
       100 Hz and the cost is linear in the length (``benchmarks/results/landings_calf.md``).
    1. *Finding rises.* The vertical acceleration (``|f| - 1 g``, independent of mounting) is integrated and
       high-passed; every positive lobe of this velocity with an area above ``min_rise_m`` (and a tenth of
       the typical rise) is a candidate rise.
    2. *Timing.* Rise and lowering are minimum-jerk movements of the foot's angle [1]_, as smooth voluntary
       movements are, so the ankle's vertical acceleration is ``L (cos(g) g'' - sin(g) g'^2)`` on its
       circle of radius ``L`` about the metatarsal heads. Onsets cannot be read off a threshold (a
       minimum-jerk movement has covered 0.1 % of its range at 5 % of its duration). Instead each
       transition is matched: for every candidate onset and duration on a grid the amplitudes (offset, a
       bias step, the movement) follow in closed form from a 3 x 3 linear least-squares problem, all
       transitions and candidates at once (:func:`refine`), on three successively finer grids, with the
       shape chosen among a few starting angles and ranges. A lowering is a rise backwards in time. Rises
       are timed first; lowerings are timed with the rises' fitted acceleration subtracted and their
       windows stopped at the next rise or knee bend; then the rises again with the lowerings subtracted,
       which separates a rise from a lowering that follows or precedes it without a pause. Last, each rep's
       rise and lowering are fitted together (:func:`joint_refine`: Levenberg-Marquardt on the four
       onsets and durations and the foot's starting angle and rotations, amplitudes in closed form), after
       the acceleration that the shank's rotation gives the sensor above the ankle has been removed with a
       gyroscope (:func:`without_rotation`). The shank's angle as a second matched signal times lowerings
       worse than the acceleration alone (sway), so it is used for knee bends and the knee only. Rise and
       lowering durations are what a smartphone-gyroscope study of
       the sitting heel-rise test reports [2]_; sensor studies of the heel-rise test mostly report the
       repetition count [3]_.
    3. *Checks.* A fitted rise longer than ``max_rise_s`` or reading four times its lobe's height is the
       high-pass's echo inside a slow lowering and is dropped, as is one whose lobe peaks at less than
       0.6 times the speed the fitted rise implies (a fit stretched over the slow lobe of a bottom pause and
       the knee bend that ends it). A rise comes to rest at its top: from its lobe's peak to half a rise
       past the top the velocity integrated without high-pass falls by half the lobe's peak (the
       velocity a rep's integral leaves over, high-passed, is a lobe like a rise's after a set's last rep,
       with no deceleration). A rep must come down again: before another
       rise its velocity falls by a third to three times its rise; after a set's last rise the fitted
       accelerations must show a lowering of half to two and a half times the rise.
    4. *Pause.* The bottom pause ends at the next movement: the next rep's rise (or a rise that no rep
       follows, e.g. stepping back to the flat), or a knee bend / straightening of ``posture_deg`` or
       more, timed by a fit of the shank's angle, whichever comes first. Other rises (the high-pass's echo
       of a slow lowering, the lift of a knee straightening) end no pause.
    5. *Partial reps and knee.* Partial reps cover less than ``partial_fraction`` of the set's full
       plantarflexion range: the foot's rotation (from one start for the whole set, below the step when
       the set's rises are higher than the flat foot reaches, :func:`_set_start`) plus the shank's tilt up
       to half of it (more is a knee bend, not the rise's tilt).
       Bent-knee reps rotate the shank by more than ``bent_tilt_deg`` per full rep.

    *Streaming.* This is :class:`~imu_app.analysis._calf.stream.CalfRaiseStream` fed the whole recording:
    the stream cuts the samples into pieces at rests of ``max_rest_s`` and runs steps 0-4 on each piece
    as a whole (:func:`~imu_app.analysis._calf.stream.find_reps`), so a live session gives the same reps
    to the microsecond. Within a piece a rep is decided once its pause has ended, at most
    ``max_pause_s`` after its bottom (the lowering's window reaches no further); that plus the last fit's
    window is :attr:`CalfRaiseParams.lookahead_s` (9 s with the defaults). The stream's own look-ahead
    (the result's ``lookahead_s``) is the rest that ends a piece (20 s), 200 s at worst without rest.

    *Accuracy limits.* The acceleration of a slow lowering is small: 5 cm over 5 s peaks at 0.012 m/s^2
    (1.2 mg), below the 4-mg noise of one sample; with the sensor's noise alone a 3-s lowering is timed to
    about 50 ms, a 5-s one to a few hundred (``docs/landings-and-calf-raises.md``).

    References
    ----------
    .. [1] Flash, T., & Hogan, N. (1985). The coordination of arm movements: an experimentally confirmed
       mathematical model. Journal of Neuroscience, 5(7), 1688-1703.
       https://doi.org/10.1523/JNEUROSCI.05-07-01688.1985
    .. [2] Hoffmann, G. O., Borba, E., Casarotto, E. H., et al. (2024). Smartphone assessment of the sitting
       heel-rise test. Sensors, 24(18), 6036. https://doi.org/10.3390/s24186036
    .. [3] Pires, I. M., Ponciano, V., Garcia, N. M., & Zdravevski, E. (2020). Analysis of the results of
       heel-rise test with sensors: a systematic review. Electronics, 9(7), 1154.
       https://doi.org/10.3390/electronics9071154
    """
    params = params or CalfRaiseParams()
    warnings: list[str] = []
    if len(data) < 10:
        return CalfRaiseResult(CalfRaises(), (), (), CalfRaiseStream(1.0, params).lookahead_s)
    if data.gyr_dps is None:
        warnings.append(
            "calf raises: no gyroscope; reps are timed from the accelerometer alone (less accurate for slow "
            "lowering), knee position and pause ends at knee bends are not reported"
        )
    if data.gaps:
        warnings.append(
            f"calf raises: {len(data.gaps)} gap(s) in the recording; reps are not sought across one"
        )
    cond = Conditioner(data.sample_rate_hz)
    stream = CalfRaiseStream(data.sample_rate_hz, params)
    parts = [stream.update(c) for chunk in chunks_of(data) for c in cond.update(chunk)]
    parts += [stream.update(c) for c in cond.finish()]
    parts.append(stream.finish())
    reps = tuple(r for p in parts for r in p.calf_raises.reps)
    count = sum(not r.partial for r in reps)
    return CalfRaiseResult(
        CalfRaises(count=count, partial_count=len(reps) - count, reps=reps),
        tuple(s for p in parts for s in p.sets),
        tuple(warnings),
        stream.lookahead_s,
    )
