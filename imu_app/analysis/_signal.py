"""Signal helpers shared by the detectors: gap-free runs, spans, moving and block means, interpolation
from blocks, row-wise vector operations.

Each works along axis 0 of an array of samples and costs a few passes over it, whatever its parameters.
"""

from __future__ import annotations

import itertools

import numpy as np

from imu_app.core import Gap

__all__ = [
    "CHUNK_SAMPLES",
    "block_means",
    "block_sums",
    "cross",
    "from_blocks",
    "in_spans",
    "moving_mean",
    "normalise_rows",
    "segment_bounds",
    "unit",
    "weighted_block_sums",
]


def segment_bounds(n: int, gaps: tuple[Gap, ...] | list[Gap] = ()) -> list[tuple[int, int]]:
    """Index ranges ``[start, stop)`` of the runs of samples that no gap interrupts."""
    cuts = sorted({g.before_idx + 1 for g in gaps if 0 <= g.before_idx < n - 1})
    edges = [0, *cuts, n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def in_spans(n: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Whether each of ``n`` samples lies in one of the spans ``starts[k] <= i < stops[k]`` (spans may
    overlap; ``stops`` up to ``n``)."""
    marks = np.zeros(n + 1, dtype=np.intp)
    np.add.at(marks, starts, 1)
    np.add.at(marks, stops, -1)
    return np.cumsum(marks[:-1]) > 0


def moving_mean(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving mean of ``width`` samples along axis 0 with shrinking windows at the ends.

    Implemented with a cumulative sum, so its cost does not depend on ``width``.
    """
    x = np.asarray(x)
    n = x.shape[0]
    width = max(1, min(int(width), n))
    half = width // 2
    csum = np.concatenate([np.zeros((1, *x.shape[1:]), dtype=x.dtype), np.cumsum(x, axis=0)], axis=0)
    out = np.empty(x.shape, dtype=np.result_type(x.dtype, np.float64))
    # Full windows (samples half .. n - width + half) are slices; only the ends shrink and need indices.
    lo_full, hi_full = half, n - width + half + 1
    np.subtract(csum[width:], csum[: n - width + 1], out=out[lo_full:hi_full])
    out[lo_full:hi_full] /= width
    idx = np.r_[0:lo_full, hi_full:n]
    lo = np.clip(idx - half, 0, n)
    hi = np.clip(idx - half + width, 0, n)
    count = (hi - lo).astype(np.float64)
    shape = (idx.size,) + (1,) * (x.ndim - 1)
    out[idx] = (csum[hi] - csum[lo]) / count.reshape(shape)
    return out


#: Samples per chunk of the passes over the samples: their temporaries (a few arrays of this many rows)
#: then stay in the processor's cache instead of streaming through memory once per operation.
CHUNK_SAMPLES = 65536


def block_sums(x: np.ndarray, k: int) -> np.ndarray:
    """Sums of ``x`` along axis 0 over consecutive blocks of ``k`` samples (the last one may be shorter)."""
    m = x.shape[0]
    full = m // k
    # einsum: numpy's sum over a short middle axis of the (blocks, k, ...) view is several times slower.
    out = np.einsum("bk...->b...", x[: full * k].reshape(full, k, *x.shape[1:]))
    if full * k < m:
        out = np.concatenate([out, x[full * k :].sum(axis=0, keepdims=True)])
    return out


def block_means(x: np.ndarray, k: int) -> np.ndarray:
    """Means of ``x`` along axis 0 over consecutive blocks of ``k`` samples (the last one may be shorter).

    Row-major first, so that a column-major input (as the CSV reader returns) gives the same sums to the bit.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if k == 1:
        return x
    sums = block_sums(x, k)
    counts = np.full(sums.shape[0], float(k))
    counts[-1] = x.shape[0] - k * (sums.shape[0] - 1)
    return sums / counts.reshape((-1,) + (1,) * (x.ndim - 1))


def weighted_block_sums(x: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """``block_sums(x * w[:, None], k)`` without forming the weighted copy of ``x`` (memory-bound)."""
    m = x.shape[0]
    full = (m // k) * k
    out = np.einsum("bki,bk->bi", x[:full].reshape(-1, k, x.shape[1]), w[:full].reshape(-1, k))
    if full < m:
        out = np.vstack([out, w[full:] @ x[full:]])
    return out


def from_blocks(
    yb: np.ndarray, k: int, m: int, out: np.ndarray | None = None, *, normalise: bool = False
) -> np.ndarray:
    """Linear interpolation of block values (at the block centres) back to ``m`` samples, along axis 0.

    Written into ``out`` (shape ``(m,)`` or ``(m, d)``, C-contiguous) when given, which saves a copy of the
    result. Before the first and after the last centre the value is held, as :func:`numpy.interp` does.

    Inside, sample ``j`` of block ``b`` is a fixed mix of the values of blocks ``b - 1``, ``b``, ``b + 1``
    (centres ``k`` samples apart; ``j - (k - 1) / 2`` samples from the centre of ``b``), so the samples of
    all inner blocks are one product ``(blocks, 3 d) x (3 d, k d)`` written straight into the
    output: a single pass over it, several times faster than :func:`numpy.interp` per column at 1 kHz.
    The first and the last blocks, whose neighbours are missing or closer, use :func:`numpy.interp`.
    ``normalise=True`` scales every ``(m, d)`` row to unit length while it is still in the cache.
    """
    if out is None:
        out = np.empty((m, *yb.shape[1:]))
    if k == 1:
        out[...] = yb
        if normalise:
            _normalise_inplace(out)
        return out
    nb = yb.shape[0]
    y = yb.reshape(nb, -1)
    o = out.reshape(m, -1)
    d = y.shape[1]
    centre = np.arange(nb) * float(k) + 0.5 * (k - 1)
    # The centre of the last (possibly shorter) block is the middle of its own samples.
    centre[-1] = 0.5 * ((nb - 1) * k + m - 1)
    fb = m // k  # full blocks
    inner = fb - 2  # blocks 1 .. fb - 2: both neighbours exist and are k samples away
    if inner > 0:
        off = (np.arange(k) - 0.5 * (k - 1)) / k
        w = np.zeros((k, 3))  # weights of blocks b - 1, b, b + 1 for each sample of block b
        w[:, 1] = 1.0 - np.abs(off)
        w[:, 0] = np.where(off < 0, -off, 0.0)
        w[:, 2] = np.where(off > 0, off, 0.0)
        mix = np.kron(w.T, np.eye(d))
        # In chunks of blocks whose result stays in the cache until it is normalised.
        step = max(1, CHUNK_SAMPLES // k)
        for b0 in range(1, inner + 1, step):
            b1 = min(b0 + step, inner + 1)
            stacked = np.concatenate([y[b0 - 1 : b1 - 1], y[b0:b1], y[b0 + 1 : b1 + 1]], axis=1)
            rows = o[b0 * k : b1 * k]
            # einsum, not matmul: a multithreaded BLAS gains nothing on a 9-wide product and stalls when the
            # cores are busy.
            np.einsum("bl,lj->bj", stacked, mix, out=rows.reshape(b1 - b0, k * d))
            if normalise:
                _normalise_inplace(rows)
        spans = ((0, k), ((inner + 1) * k, m))
    else:
        spans = ((0, m),)
    for lo, hi in spans:
        idx = np.arange(lo, hi, dtype=np.float64)
        for j in range(d):
            o[lo:hi, j] = np.interp(idx, centre, y[:, j])
        if normalise:
            _normalise_inplace(o[lo:hi])
    return out


def _normalise_inplace(v: np.ndarray) -> None:
    norm = np.einsum("ij,ij->i", v, v)
    np.sqrt(norm, out=norm)
    np.maximum(norm, 1e-12, out=norm)
    v /= norm[:, None]


def normalise_rows(v: np.ndarray) -> np.ndarray:
    norm = np.sqrt(np.einsum("ij,ij->i", v, v))
    return v / np.maximum(norm, 1e-12)[:, None]


def cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross products of ``(n, 3)`` vectors (``b`` may be one ``(3,)`` vector), column by column: several
    times faster than ``np.cross`` on long arrays."""
    ax, ay, az = a[:, 0], a[:, 1], a[:, 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    return np.column_stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx])


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` (one vector or rows of vectors, last axis) scaled to unit length (zero vectors stay tiny)."""
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
