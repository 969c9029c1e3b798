"""``load``: one entry point for every supported file, merging the parts of one recording."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from imu_app.core import GAP_FACTOR, ImuData, RecordingFormatError, RecordingMeta, find_gaps
from imu_app.recordings._detect import Sniffed, sniff
from imu_app.recordings._importers import (
    Part,
    iso_time,
    parse_generic,
    read_generic,
    read_mbientlab,
    read_phyphox,
    read_polar,
)
from imu_app.recordings._native import estimate_rate_hz, read_native

__all__ = ["load"]


_READERS = {"mbientlab": read_mbientlab, "polar": read_polar, "phyphox": read_phyphox}


def _read_part(path: Path, sniffed: Sniffed) -> Part:
    header = sniffed.header
    assert header is not None  # only the native format comes without one
    if sniffed.fmt in _READERS:
        return _READERS[sniffed.fmt](path, header)
    return read_generic(path, parse_generic(path, header))


def load(path_or_paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> ImuData:
    """Load a recording from one file, or from several files that are parts of one recording.

    Parameters
    ----------
    path_or_paths
        A native recording or another tool's export (format detected from the header), or a sequence of
        exports of one session in which accelerometer and gyroscope come as separate files (MbientLab
        MetaBase, Polar Sensor Logger, phyphox). Parts must come from the same tool.

    Returns
    -------
    ImuData
        Times in s, acceleration in g, angular rate in deg/s; ``meta.source_format`` names the format,
        ``gaps`` come from :func:`imu_app.core.find_gaps`, ``warnings`` say what was repaired or merged.

    Raises
    ------
    RecordingFormatError
        Naming the file (and line and column where there is one) for anything unusable.
    """
    if isinstance(path_or_paths, (str, os.PathLike)):
        paths = [Path(path_or_paths)]
    else:
        paths = [Path(p) for p in path_or_paths]
    if not paths:
        raise RecordingFormatError(None, "no file given")
    sniffed = [(p, sniff(p)) for p in paths]
    natives = [p for p, s in sniffed if s.fmt == "native"]
    if natives:
        if len(paths) > 1:
            raise RecordingFormatError(
                natives[0], "a native recording is complete in itself; load it alone, not with other files"
            )
        return read_native(paths[0])
    formats = {s.fmt for _, s in sniffed}
    if len(formats) > 1:
        raise RecordingFormatError(
            paths[1],
            f"parts of one recording must come from the same tool, got {', '.join(sorted(formats))}: "
            "their clocks cannot be aligned",
        )
    parts = [_read_part(p, s) for p, s in sniffed]
    return _merge(parts)


def _merge(parts: list[Part]) -> ImuData:
    acc_parts = [p for p in parts if p.acc_g is not None]
    gyr_parts = [p for p in parts if p.gyr_dps is not None]
    if not acc_parts:
        raise RecordingFormatError(
            parts[0].path,
            "is a gyroscope-only file; give the accelerometer file of the same session too "
            "(the analyses need acceleration)",
        )
    if len(acc_parts) > 1 or len(gyr_parts) > 1:
        doubled = acc_parts if len(acc_parts) > 1 else gyr_parts
        raise RecordingFormatError(
            doubled[1].path,
            f"two {doubled[0].kind} files given ({doubled[0].path.name}, {doubled[1].path.name}); "
            "give one accelerometer file and at most one gyroscope file of one session",
        )
    acc = acc_parts[0]
    warnings = [w for p in parts for w in p.warnings]
    meta_fields: dict[str, object] = {}
    for p in parts:
        for k, v in p.meta.items():
            meta_fields.setdefault(k, v)
    origin_ns = min(p.origin_ns for p in parts)
    t = acc.t_s + (acc.origin_ns - origin_ns) / 1e9
    acc_g = acc.acc_g
    gyr = acc.gyr_dps
    seq = acc.seq
    if gyr_parts and gyr_parts[0] is not acc:
        g = gyr_parts[0]
        tg = g.t_s + (g.origin_ns - origin_ns) / 1e9
        keep = (t >= tg[0]) & (t <= tg[-1])
        if not keep.any():
            raise RecordingFormatError(
                g.path,
                f"does not overlap in time with {acc.path.name} (accelerometer {t[0]:.3f}-{t[-1]:.3f} s, "
                "gyroscope "
                f"{tg[0]:.3f}-{tg[-1]:.3f} s on the same clock); are they from the same session?",
            )
        # Interpolating across a gyroscope gap would invent rotation: accelerometer samples inside one go.
        g_rate = estimate_rate_hz(tg)
        in_gap = np.zeros(t.size, dtype=bool)
        if g_rate:
            gap_after = np.flatnonzero(np.diff(tg) > GAP_FACTOR / g_rate)
            for i in gap_after:
                in_gap |= (t > tg[i]) & (t < tg[i + 1])
        n_outside = int((~keep).sum())
        keep &= ~in_gap
        t, acc_g = t[keep], acc_g[keep]
        seq = None if seq is None else seq[keep]
        gyr = np.column_stack([np.interp(t, tg, g.gyr_dps[:, k]) for k in range(3)])
        msg = (
            f"merged {g.path.name} onto the accelerometer times of {acc.path.name} by linear interpolation "
            f"within their overlap ({t[0]:.3f}-{t[-1]:.3f} s)"
        )
        if n_outside:
            msg += f"; dropped {n_outside} accelerometer samples outside it"
        if in_gap.any():
            msg += f"; dropped {int(in_gap.sum())} accelerometer samples inside gyroscope gaps"
        warnings.append(msg)
    if "start_time" not in meta_fields and acc.unix_clock:
        meta_fields["start_time"] = iso_time(origin_ns + round(float(t[0]) * 1e9), acc.local_tz)
    # Times count from the first kept sample, so that written files start near 0.
    t = t - t[0] if t.size else t
    rate = estimate_rate_hz(t)
    extra = {"source_files": ", ".join(p.path.name for p in parts)}
    if rate:
        extra["sample_rate_source"] = "estimated from the median sample period"
    meta = RecordingMeta(
        sample_rate_hz=round(rate, 3) if rate else None,
        source_format=acc.source_format,
        extra=extra,
        **meta_fields,  # type: ignore[arg-type]
    )
    gaps = find_gaps(t, rate, seq) if rate else ()
    return ImuData(t_s=t, acc_g=acc_g, gyr_dps=gyr, seq=seq, gaps=gaps, meta=meta, warnings=tuple(warnings))
