"""Landing holds: time to stabilisation after a single-leg landing, the hold, how it ended, and its sway.

:class:`LandingStream` finds the holds as the samples stream in, each once it is decidable, and
:func:`detect_landings` is that stream fed the whole recording, so a live session and the analysis of its
file give the same holds. The hold's end is found by :mod:`imu_app.analysis._hold_end`; parameters and
result are in :mod:`imu_app.analysis._landing_params`.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from imu_app.analysis._conditioning import Conditioned, Conditioner
from imu_app.analysis._contacts import MAX_LOOKAHEAD_S, ContactParams, HopContacts, HopContactStream
from imu_app.analysis._hold_end import ACTIVITY_WINDOW_S, HoldSignals, hold_end
from imu_app.analysis._landing_params import ENDINGS, LandingParams, LandingResult
from imu_app.analysis._sets import group_bouts, metric_stats
from imu_app.analysis._signal import moving_mean
from imu_app.analysis._stream import chunks_of
from imu_app.analysis.report import Landing, SetSummary
from imu_app.core import HoldEnd, ImuData, SetKind
from imu_app.core.stabilisation import balance_end_s, time_to_stabilisation

__all__ = ["ENDINGS", "LandingParams", "LandingResult", "LandingStream", "detect_landings", "landing_sets"]


@dataclass(frozen=True)
class _Hold:
    """A hold: touch-down and end (s), what ended it, its target (s), its first and last sample at the
    analysis' rate, and when it stabilised (s; ``None`` when it did not or without a gyroscope)."""

    landing_s: float
    end_s: float
    ended_by: HoldEnd
    target_s: float
    i0: int
    i1: int
    stabilised_s: float | None = None


@dataclass(frozen=True)
class _Prepared:
    """The signals around one hold at the analysis' rate: what the hold-end detectors read, the squared
    bias-free angular rate (``None`` without a gyroscope) and the specific force's deviation from its 1-s
    mean (g)."""

    sig: HoldSignals
    rate2: np.ndarray | None
    dev_acc: np.ndarray


@dataclass
class _Candidate:
    """A touch-down after a flight, whose hold is not decided yet: its time (s from the stream's first
    sample) and the take-off that ends its contact (NaN: a gap or the end of the stream; ``None``: not
    known yet)."""

    landing_s: float
    takeoff_s: float | None


#: The hold's events are looked for at no more than this rate (Hz): the other foot's touch-down, the
#: sharpest of them, rises within 10 ms, so 250 Hz keeps its timing to 2 ms while a 1 kHz recording costs
#: a quarter as much.
_MAX_RATE_HZ = 250.0


#: Gaps shorter than this (a few lost packets) do not cut a hold. Nothing that ends a hold fits inside
#: one: the other foot's touch-down rings for about 40 ms and a stumble or a hop's push-off lasts far
#: longer; the hop contact detector bridges the same gaps (its ``min_flight_s``).
_BRIDGED_GAP_S = 0.03

#: A hold's signals are computed from this long before its touch-down (s): the 1-s mean that the specific
#: force's sway is measured about and the activity's windows are whole from the touch-down on.
_BEFORE_S = 1.0
#: ... to this long after the last instant the hold may reach (s): a stumble is confirmed by the calm up to
#: 2 s after its burst, the weight shift onto both feet is fitted up to 1.6 s after the touch-down it times,
#: and the activity's window reaches a quarter of a second further. It exceeds the hop contact detector's
#: look-ahead, so a take-off before the hold's longest end is known by then.
_AFTER_S = 2.5

#: Quiet samples (slower than this, deg/s) give the gyroscope's bias: the per-axis median of their rate.
_QUIET_RATE_DPS = 30.0
#: ... taken at about this rate (Hz; plenty for a median, and cheap) ...
_QUIET_EVERY_HZ = 25.0
#: ... over the last this many of them before the hold's end: two minutes of quiet moments, over which the
#: sway of the holds and of two-leg stance averages out, and within which the bias's drift with temperature
#: (minutes) does not move it.
_QUIET_KEPT = 3000

#: A landing within this long (s) after a hold that a hop ended is the corrective hop's: nothing is asked
#: of it.
_CORRECTIVE_WITHIN_S = 1.5
#: Without a gyroscope two-leg stance is told by the specific force about its mean, in the activity's
#: units (deg/s for 1 rad/s per g).
_TWO_LEG_WITHOUT_GYRO = 0.5


def _block_means(x: np.ndarray, step: int, *, partial: bool) -> np.ndarray:
    """Means of consecutive blocks of ``step`` rows of ``x`` (``(n, 3)``), and of the shorter remainder
    when ``partial``; the sums run over the block's samples in order, so that a block's mean does not
    depend on what else is in ``x``."""
    n_full = x.shape[0] // step
    # Block means as a sum of the block's columns with the samples laid side by side: several times
    # cheaper than a mean over a reshaped axis.
    wide = np.ascontiguousarray(x[: n_full * step]).reshape(n_full, step * 3)
    blocks = wide[:, :3] + wide[:, 3:6] if step > 1 else wide[:, :3].copy()
    for j in range(2, step):
        blocks += wide[:, 3 * j : 3 * j + 3]
    blocks /= step
    if partial and x.shape[0] % step:
        blocks = np.concatenate([blocks, x[n_full * step :].mean(axis=0, keepdims=True)])
    return blocks


def _block_times(t: np.ndarray, step: int, *, partial: bool) -> np.ndarray:
    """A block's time: midway between its first and last sample (the mean for a steady rate)."""
    n_full = t.size // step
    times = 0.5 * (t[: n_full * step : step] + t[step - 1 : n_full * step : step])
    if partial and t.size % step:
        times = np.r_[times, t[n_full * step :].mean()]
    return times


def _prepare(  # noqa: PLR0917 (one private call site)
    t: np.ndarray,
    acc: np.ndarray,
    gyr: np.ndarray | None,
    bias: np.ndarray | None,
    step: int,
    fs: float,
    closes: bool,
    params: LandingParams,
) -> _Prepared:
    """The samples around a hold (one gap-free run from the start of a block) at no more than
    :data:`_MAX_RATE_HZ`: specific force and its magnitude, the angular rate less ``bias``, and the
    activity (angular rate, or without a gyroscope the specific force about its mean, scaled so that
    1 g ~ 57 deg/s, the rate of a 1-rad swing per second) over 0.1 s and over the RMS window. ``closes``:
    the run ends with the samples (its last, shorter block counts)."""
    tb = _block_times(t, step, partial=closes)
    acc_b = _block_means(acc, step, partial=closes)
    mag = np.sqrt(np.einsum("ij,ij->i", acc_b, acc_b))
    gyr_b = None
    if gyr is not None:
        gyr_b = _block_means(gyr, step, partial=closes) - (np.zeros(3) if bias is None else bias)
    rate2 = None if gyr_b is None else np.einsum("ij,ij->i", gyr_b, gyr_b)
    # The specific force about its one-second mean: gravity (and slow tilts) removed.
    dev = acc_b - moving_mean(acc_b, max(1, round(fs)))
    dev_acc = np.sqrt(np.einsum("ij,ij->i", dev, dev))
    power = rate2 if rate2 is not None else np.degrees(dev_acc) ** 2
    sig = HoldSignals(
        t=tb,
        acc=acc_b,
        mag=mag,
        gyr=gyr_b,
        act=np.sqrt(moving_mean(power, max(1, round(0.1 * fs)))),
        env=np.sqrt(moving_mean(power, max(1, round(ACTIVITY_WINDOW_S * fs)))),
        fs=fs,
        two_leg=params.single_leg_sway_dps if rate2 is not None else _TWO_LEG_WITHOUT_GYRO,
        burst_min=params.burst_min_dps if rate2 is not None else math.degrees(params.burst_min_g),
    )
    return _Prepared(sig, rate2, dev_acc)


class LandingStream:
    """Single-leg landing holds as the samples stream in, each once it is decided (see
    :func:`detect_landings` for what is measured).

    Parameters
    ----------
    sample_rate_hz
        Nominal rate.
    params
        See :class:`LandingParams`.
    acc_range_g
        Accelerometer range, for the hop contact detector (clipped samples).
    contacts
        The stream's hop contacts with their ``final_landing_s``, when an offline caller has them already;
        otherwise the stream finds them with its own :class:`~imu_app.analysis._contacts.HopContactStream`.

    Notes
    -----
    The stream takes the pieces of a :class:`~imu_app.analysis._conditioning.Conditioner` (the detector
    protocol of :mod:`imu_app.analysis._stream`). Every touch-down after a flight is a candidate, known
    once the hop contact detector has decided it (its contact, or the landing that no take-off has
    followed yet). Its hold is decided from a stretch of samples that depends on the touch-down and the
    parameters only, never on how the stream was cut: from :data:`_BEFORE_S` before the touch-down to
    :data:`_AFTER_S` after the last instant the hold can reach, which is the take-off ending its contact,
    the end of its gap-free run, or ``hold_cap_s`` after the touch-down, whichever comes first. The
    gyroscope's bias is the median of the quiet samples (:data:`_QUIET_EVERY_HZ` a second, the last
    :data:`_QUIET_KEPT`) up to that instant, not a statistic of the whole recording. A hold is thus decided
    at most :attr:`lookahead_s` after its touch-down, the buffer holds no more than that, and holds come
    out in order, each never revised.
    """

    def __init__(
        self,
        sample_rate_hz: float,
        params: LandingParams | None = None,
        *,
        acc_range_g: float | None = None,
        contacts: HopContacts | None = None,
    ) -> None:
        self.params = params or LandingParams()
        self.sample_rate_hz = float(sample_rate_hz)
        self.step = max(1, int(self.sample_rate_hz // _MAX_RATE_HZ))
        self.fs = self.sample_rate_hz / self.step
        self.cap_s = self.params.hold_cap_s
        self.warnings: list[str] = []
        self._contacts: HopContactStream | None = None
        self._candidates: collections.deque[_Candidate] = collections.deque()
        self._last_known = -np.inf  # the latest touch-down made a candidate (s)
        if contacts is None:
            cp = ContactParams(acc_range_g=float(acc_range_g) if acc_range_g else None)
            self._contacts = HopContactStream(self.sample_rate_hz, cp, every_chunk=True)
        else:
            self._add(contacts)
            if np.isfinite(contacts.final_landing_s) and np.isfinite(contacts.final_flight_before_ms):
                self._candidates.append(_Candidate(float(contacts.final_landing_s), float("nan")))
        self._t0: float | None = None
        self._t = np.empty(0)  # times of the buffered samples (s from the stream's first sample)
        self._acc = np.empty((0, 3))
        self._gyr: np.ndarray | None = None
        self._first = 0  # stream index of the first buffered sample
        self._n = 0  # samples seen
        self._seg_starts: list[int] = []  # stream index of each gap-free run's first sample (kept ones)
        self._every = max(1, round(self.sample_rate_hz / _QUIET_EVERY_HZ))
        self._quiet_idx = np.empty(0, dtype=np.int64)  # stream index of each quiet sample kept
        self._quiet = np.empty((0, 3))  # its angular rate
        self._finished = False
        self._prev_end_by: HoldEnd | None = None
        self._prev_end_s = -np.inf

    @property
    def lookahead_s(self) -> float:
        """The longest sensor time after a touch-down before its hold is returned: the longest hold
        followed, the look-ahead after it (:data:`_AFTER_S`) and a block of the analysis' rate."""
        return self.cap_s + _AFTER_S + 1.0 / self.fs

    @property
    def buffered(self) -> int:
        """Samples held at the full rate."""
        return int(self._t.size)

    @property
    def holding_s(self) -> tuple[float, ...]:
        """Touch-downs after a flight whose holds are not decided yet and whose foot has stayed down at
        least ``min_hold_s`` or has not left the ground yet (s from the stream's first sample)."""
        least = self.params.min_hold_s
        return tuple(
            c.landing_s for c in self._candidates if c.takeoff_s is None or c.takeoff_s - c.landing_s >= least
        )

    def update(self, chunk: Conditioned) -> tuple[Landing, ...]:
        """Take one conditioned piece; return the holds that became final (without their set)."""
        self._push(chunk)
        if self._contacts is not None:
            self._add(self._contacts.update(chunk))
            self._add_pending()
        out = self._decide(final=False)
        self._trim()
        return out

    def finish(self) -> tuple[Landing, ...]:
        """The stream ended (its last piece closed its stretch): every hold still held back."""
        if self._contacts is not None:
            self._add(self._contacts.finish())
            self._add_pending()
        self._finished = True
        return self._decide(final=True)

    # -- input
    def _push(self, c: Conditioned) -> None:
        if c.t_s.size == 0:
            return
        if c.gyr_dps is not None:
            first = -(-c.idx0 // self._every) * self._every - c.idx0
            g = c.gyr_dps[first :: self._every]
            quiet = np.einsum("ij,ij->i", g, g) < _QUIET_RATE_DPS**2
            idx = c.idx0 + first + self._every * np.flatnonzero(quiet)
            self._quiet_idx = np.r_[self._quiet_idx, idx]
            self._quiet = np.concatenate([self._quiet, g[quiet]])
        if self._t0 is None:
            self._t0 = float(c.t_s[0])
        t = c.t_s - self._t0
        if not self._seg_starts or (
            c.gap_before and (self._t.size == 0 or t[0] - self._t[-1] >= _BRIDGED_GAP_S)
        ):
            self._seg_starts.append(c.idx0)
        if self._t.size == 0:
            self._first = c.idx0
        self._t = np.r_[self._t, t]
        self._acc = np.concatenate([self._acc, c.acc_g])
        if c.gyr_dps is not None:
            self._gyr = c.gyr_dps.copy() if self._gyr is None else np.concatenate([self._gyr, c.gyr_dps])
        self._n = c.idx0 + t.size

    def _add(self, found: HopContacts) -> None:
        """Candidates from contacts that became final: those after a flight, each with its take-off."""
        for land, takeoff, flight in zip(
            found.landing_s.tolist(), found.takeoff_s.tolist(), found.flight_before_ms.tolist(), strict=True
        ):
            # Only the latest candidate can be the pending landing this contact completes.
            last = self._candidates[-1] if self._candidates else None
            if last is not None and last.takeoff_s is None and abs(last.landing_s - land) < 1e-9:
                last.takeoff_s = takeoff
            elif math.isfinite(flight) and land > self._last_known:
                self._candidates.append(_Candidate(land, takeoff))
                self._last_known = land

    def _add_pending(self) -> None:
        """The latest touch-down that no take-off followed yet, once final: a candidate whose take-off is
        not known."""
        assert self._contacts is not None
        land = self._contacts.pending_landing_s
        flight_seen = math.isfinite(self._contacts.pending_flight_before_ms)
        if math.isfinite(land) and flight_seen and land > self._last_known + 1e-9:
            self._candidates.append(_Candidate(land, None))
            self._last_known = land

    # -- decisions
    def _decide(self, *, final: bool) -> tuple[Landing, ...]:
        out: list[Landing] = []
        while self._candidates:
            c = self._candidates[0]
            ready, landing = self._hold(c, final=final)
            if not ready:
                break
            self._candidates.popleft()
            if landing is not None:
                out.append(landing)
        return tuple(out)

    def _hold(self, c: _Candidate, *, final: bool) -> tuple[bool, Landing | None]:
        """Whether the hold of candidate ``c`` is decided, and if so the hold (``None``: it is none)."""
        p, step, t = self.params, self.step, self._t
        land = c.landing_s
        cap = land + self.cap_s
        t_last = float(t[-1]) if t.size else -np.inf
        if c.takeoff_s is None and not final:
            # Its take-off would be known by now had it come before the longest hold's end.
            if t_last < cap + _AFTER_S:
                return False, None
            limit0 = cap
        else:
            takeoff = c.takeoff_s if c.takeoff_s is not None else float("nan")
            limit0 = min(takeoff, cap) if math.isfinite(takeoff) else cap
        k_land = self._first + int(np.searchsorted(t, land))
        if k_land >= self._n:
            return final, None
        s = int(np.searchsorted(self._seg_starts, k_land, side="right")) - 1
        seg0 = self._seg_starts[s]
        seg1 = self._seg_starts[s + 1] if s + 1 < len(self._seg_starts) else (self._n if final else None)
        k0 = max(seg0, self._first + int(np.searchsorted(t, land - _BEFORE_S)))
        k0 = seg0 + (k0 - seg0) // step * step
        k1 = self._first + int(np.searchsorted(t, limit0 + _AFTER_S, side="right"))
        k1 = seg0 + -(-(k1 - seg0) // step) * step
        closes = seg1 is not None and k1 >= seg1
        if closes:
            k1 = seg1
        elif k1 >= self._n:
            return False, None  # wait for the samples after the hold
        a, b = k0 - self._first, k1 - self._first
        # The bias as of the hold's last possible instant (no later than the run's end).
        k_limit = min(self._first + int(np.searchsorted(t, limit0)), k1)
        bias = None
        if self._gyr is not None:
            j = int(np.searchsorted(self._quiet_idx, k_limit))
            quiet = self._quiet[max(0, j - _QUIET_KEPT) : j]
            bias = np.median(quiet, axis=0) if quiet.shape[0] > 10 else np.zeros(3)
        prepared = _prepare(
            t[a:b],
            self._acc[a:b],
            None if self._gyr is None else self._gyr[a:b],
            bias,
            step,
            self.fs,
            closes,
            p,
        )
        return True, self._measure(prepared, land, limit0, closes=closes)

    def _measure(self, prepared: _Prepared, land: float, limit0: float, *, closes: bool) -> Landing | None:
        """The hold from ``land`` that cannot outlast ``limit0`` (take-off or longest hold) nor its
        gap-free run (whose end the signals reach when ``closes``), or ``None``."""
        p, sig = self.params, prepared.sig
        t, fs, n = sig.t, sig.fs, sig.t.size
        i0 = int(np.searchsorted(t, land))
        if i0 >= n:
            return None
        run_end = float(t[-1]) if closes else np.inf
        limit = min(limit0, run_end)
        at_end = closes and limit >= run_end - 2.0 / fs
        capped = not at_end and limit >= land + self.cap_s
        if limit - land < p.min_hold_s:
            return None
        ending = hold_end(sig, land=land, limit=limit, at_end=at_end, params=p, capped=capped)
        end_s, doubt_s = ending.end_s, ending.doubt_s
        if end_s - land < p.min_hold_s:
            return None
        corrective = self._prev_end_by == HoldEnd.HOP and land - self._prev_end_s < _CORRECTIVE_WITHIN_S
        target = 0.0 if corrective else p.hold_target_s
        needed = target - p.target_tolerance_s
        if target > 0 and abs(end_s - land - needed) < doubt_s:
            self.warnings.append(
                f"landings: the hold from {land:.2f} s ends between {end_s - doubt_s:.2f} and "
                f"{end_s + doubt_s:.2f} s (the other foot's spike and the weight shift disagree), so whether "
                f"it met the {target:g} s target is undecided"
            )
        self._prev_end_by, self._prev_end_s = ending.ended_by, end_s
        h = _Hold(land, end_s, ending.ended_by, target, i0, int(np.searchsorted(t, end_s)))
        if sig.gyr is not None:
            h = _stabilise(t, sig.gyr, h, params=p)
        return _landing(h, prepared, p)

    def _trim(self) -> None:
        """Drop the samples no hold can need any more: before the first undecided touch-down's signals,
        or (none waiting) before those of a touch-down the contact detector may still report."""
        if self._t.size == 0:
            return
        # A touch-down not reported yet is either the landing of a contact the detector has found but not
        # released, or so recent that the detector could not yet decide it.
        keep_s = float(self._t[-1]) - MAX_LOOKAHEAD_S - _BEFORE_S
        if self._candidates:
            keep_s = min(keep_s, self._candidates[0].landing_s - _BEFORE_S)
        if self._contacts is not None and math.isfinite(self._contacts.unreleased_landing_s):
            keep_s = min(keep_s, self._contacts.unreleased_landing_s - _BEFORE_S)
        k = int(np.searchsorted(self._t, keep_s)) - self.step - 1
        if k <= 0:
            return
        self._t = self._t[k:]
        self._acc = self._acc[k:]
        if self._gyr is not None:
            self._gyr = self._gyr[k:]
        self._first += k
        # The run the first kept sample lies in, and the quiet samples a hold's end from there may use.
        s = int(np.searchsorted(self._seg_starts, self._first, side="right")) - 1
        self._seg_starts = self._seg_starts[max(s, 0) :]
        j = int(np.searchsorted(self._quiet_idx, self._first)) - _QUIET_KEPT
        if j > 0:
            self._quiet_idx, self._quiet = self._quiet_idx[j:], self._quiet[j:]


def detect_landings(
    data: ImuData,
    params: LandingParams | None = None,
    *,
    contacts: HopContacts | None = None,
) -> LandingResult:
    """Find single-leg landing holds and measure time to stabilisation, hold, ending and sway.

    Parameters
    ----------
    data
        The recording (sensor on the distal shank, any mounting). Time to stabilisation and angular sway
        need a gyroscope; without one they are ``None`` and a warning says so.
    params
        See :class:`LandingParams`.
    contacts
        Ground contacts of ``data`` from the hop contact detector (with its ``final_landing_s``), if the
        caller has them; otherwise they are detected here.

    Returns
    -------
    LandingResult

    Notes
    -----
    This is :class:`LandingStream` fed the whole recording: a live session gives the same holds.

    *Holds.* Every landing after a flight (from the hop contact detector) whose foot stays down for at
    least ``min_hold_s`` is a hold. It ends at the first of: the other foot's touch-down (a sharp bump of
    the specific force), a stumble (a burst of angular rate; its onset, extrapolated back with the rate's
    quadratic growth, ends the hold), the push-off of a hop (the onset of the vertical acceleration before
    the next take-off, extrapolated back linearly from its crossings of one and two fifths of
    ``pushoff_level_g``), the end of the recording, or ``hold_cap_s`` after the touch-down.

    *Time to stabilisation* is defined by its method (:mod:`imu_app.core.stabilisation`, with its
    references; the simulator's truth comes from there as well): the moving RMS over ``window_s`` (0.5 s)
    of the shank's resultant angular rate (bias removed, so any mounting) settles below 2.5 times the RMS
    of the hold's last 1.5 s of balance, its own quiet single-leg stance (the published force-plate
    methods take their stable state from quiet stance or from the trial itself); TTS is the first instant
    from ``settle_s`` after touch-down after which it stays below until the balance ends (before a hop's
    push-off, 0.2 s before any other end). A balance shorter than 2.3 s has none. TTS values depend on
    the method and strongly on the trial length; ``window_s`` is reported with every landing. The
    gyroscope's bias is the conditioning's running estimate over the still moments up to the hold's end.

    *Sway* is the RMS angular rate (gyroscope bias removed) and the RMS of the specific force about its
    1-s mean (gravity removed) from stabilisation to the end of the hold.

    *Low sample rates.* Below about 150 Hz the other foot's spike is a sample wide or falls between
    samples. A spike that needs the calm after it to count, or none at all (the sway dropping to two-leg
    stance for good), is then timed by the weight shift onto both feet: the frontal tilt of the stance
    shank (a step of gravity's direction in the specific force, with its lever-arm acceleration) and its
    rate, fitted together with a minimum-jerk step. Where the spike and the weight shift point to instants
    on either side of the target, the verdict is reported as undecided in a warning rather than guessed.

    A hold is decided at most ``lookahead_s`` (of the result) after its touch-down; stabilisation uses the
    hold's own samples only.
    """
    params = params or LandingParams()
    rate = data.sample_rate_hz
    stream = LandingStream(rate, params, acc_range_g=data.meta.acc_range_g or None, contacts=contacts)
    if len(data) < 10:
        return LandingResult((), (), (), None, stream.lookahead_s)
    cond = Conditioner(rate)
    found: list[Landing] = []
    for piece in chunks_of(data):
        for c in cond.update(piece):
            found += stream.update(c)
    for c in cond.finish():
        found += stream.update(c)
    found += stream.finish()
    warnings = list(stream.warnings)
    if data.gyr_dps is None:
        warnings.insert(
            0, "landings: no gyroscope; time to stabilisation and angular sway need one and are left empty"
        )
    landings_t, sets = landing_sets(found, params)
    sways = [x.sway_gyr_rms_dps for x in landings_t if x.sway_gyr_rms_dps is not None]
    sway_reference = float(np.median(sways)) if sways else None
    return LandingResult(landings_t, sets, tuple(warnings), sway_reference, stream.lookahead_s)


def _landing(h: _Hold, prepared: _Prepared, params: LandingParams) -> Landing:
    """The report's landing of a hold, with its sway from stabilisation (or a second after touch-down) to
    its end, not into a hop's push-off; a hold that stabilised late (or never): its last half second."""
    t, fs, rate2 = prepared.sig.t, prepared.sig.fs, prepared.rate2
    w0 = int(np.searchsorted(t, h.stabilised_s if h.stabilised_s is not None else h.landing_s + 1.0))
    w1 = int(np.searchsorted(t, h.end_s - (params.pushoff_s if h.ended_by == HoldEnd.HOP else 0.0)))
    w0 = min(w0, w1 - max(1, round(0.5 * fs)))
    w1 = max(w1, w0 + 1)
    sway_gyr = None if rate2 is None else float(np.sqrt(np.mean(rate2[w0:w1])))
    sway_acc = float(np.sqrt(np.mean(prepared.dev_acc[w0:w1] ** 2)))
    hold_s = h.end_s - h.landing_s
    return Landing(
        landing_s=h.landing_s,
        stabilised_s=h.stabilised_s,
        time_to_stabilisation_s=None if h.stabilised_s is None else h.stabilised_s - h.landing_s,
        hold_s=hold_s,
        hold_target_s=h.target_s,
        hold_target_met=bool(hold_s >= h.target_s - params.target_tolerance_s),
        ended_by=h.ended_by,
        sway_gyr_rms_dps=sway_gyr,
        sway_acc_rms_g=sway_acc,
        window_s=None if rate2 is None else params.window_s,
    )


def _stabilise(t: np.ndarray, gyr: np.ndarray, h: _Hold, *, params: LandingParams) -> _Hold:
    """The hold with its stabilisation by :func:`imu_app.core.stabilisation.time_to_stabilisation` on the
    bias-free angular rate, from touch-down to the end of its balance (before a hop's push-off)."""
    # Only the hold's own samples: the method needs nothing outside them.
    a, b = max(h.i0 - 1, 0), min(h.i1 + 1, t.size)
    tts = time_to_stabilisation(
        t[a:b],
        gyr[a:b],
        h.landing_s,
        balance_end_s(h.end_s, h.ended_by),
        window_s=params.window_s,
        absorption_s=params.settle_s,
    )
    return dataclasses.replace(h, stabilised_s=None if tts is None else h.landing_s + tts)


def landing_sets(
    landings: list[Landing] | tuple[Landing, ...], params: LandingParams, *, first_index: int = 0
) -> tuple[tuple[Landing, ...], tuple[SetSummary, ...]]:
    """Time-ordered holds grouped into sets (holds more than ``max_rest_s`` apart start a new one), each
    hold with its set's index (from ``first_index``), and each set's summary."""
    if not landings:
        return (), ()
    bouts = group_bouts([x.landing_s for x in landings], params.max_rest_s)
    out: list[Landing] = []
    sets: list[SetSummary] = []
    for index, bout in enumerate(bouts, start=first_index):
        members = [dataclasses.replace(x, set_index=index) for x in landings[bout]]
        out.extend(members)
        asked = [x for x in members if x.hold_target_s > 0]
        met = sum(x.hold_target_met for x in asked)
        notes = []
        if asked:
            notes.append(f"{met} of {len(asked)} holds met the {asked[0].hold_target_s:g} s target")
        for ending in (HoldEnd.STUMBLE, HoldEnd.HOP, HoldEnd.OTHER_FOOT):
            early = [i + 1 for i, x in enumerate(members) if not x.hold_target_met and x.ended_by == ending]
            if early:
                notes.append(
                    f"ended early by {ending.replace('_', ' ')}: hold(s) {', '.join(map(str, early))}"
                )
        sets.append(
            SetSummary(
                index=index,
                kind=SetKind.LANDINGS,
                start_s=members[0].landing_s,
                end_s=members[-1].landing_s + members[-1].hold_s,
                count=len(members),
                stats={
                    "time_to_stabilisation_s": metric_stats(
                        [x.time_to_stabilisation_s for x in members], lower_is_better=True
                    ),
                    "hold_s": metric_stats([x.hold_s for x in members], lower_is_better=False),
                    "sway_gyr_rms_dps": metric_stats(
                        [x.sway_gyr_rms_dps for x in members], lower_is_better=True
                    ),
                    "sway_acc_rms_g": metric_stats([x.sway_acc_rms_g for x in members], lower_is_better=True),
                },
                notes=tuple(notes),
            )
        )
    return tuple(out), tuple(sets)
