"""The recorder: the native CSV written as samples arrive, started and stopped while the stream runs."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imu_app.core import ImuAppError, RecordingMeta
from imu_app.live._chunk import Chunk
from imu_app.recordings import NativeWriter

__all__ = ["Recorder", "RecorderError", "RecordingSummary", "WriterFactory"]

logger = logging.getLogger(__name__)

#: Opens the writer of one recording: ``(path, meta, has_gyro=..., has_seq=...)``. Tests pass a writer
#: whose disk fills up.
WriterFactory = Callable[..., NativeWriter]


class RecorderError(ImuAppError):
    """The recording could not go on (disk full, folder gone, no permission); the stream does."""


@dataclass(frozen=True)
class RecordingSummary:
    """One recording the recorder made (or tried to).

    Attributes
    ----------
    path
        The file.
    n_samples
        Samples written; every sample that arrived between start and stop unless ``error`` says otherwise.
    n_gaps
        Gaps inside the recording (each shows in the file as a step of time or sequence number).
    error
        Why the recording stopped early, in words, or ``None``.
    n_not_written
        Samples that arrived after the error and are not in the file.
    """

    path: Path
    n_samples: int
    n_gaps: int
    error: str | None = None
    n_not_written: int = 0


def _describe(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"{path}: the disk is full; the recording stops here (the samples before are in the file)"
    if exc.errno == errno.EDQUOT:
        return f"{path}: the disk quota is used up; the recording stops here"
    if exc.errno in (errno.ENOENT, errno.ESTALE, errno.ENOTDIR):
        return f"{path}: the folder is gone (removed, or a disk was unplugged); the recording stops here"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path}: cannot write there ({exc.strerror or 'permission denied'})"
    return f"{path}: writing failed ({exc.strerror or exc}); the recording stops here"


class Recorder:
    """Writes the session's samples to a native recording while it is being recorded.

    The writer is :class:`imu_app.recordings.NativeWriter`: each chunk is in the operating system when
    :meth:`write` returns (a killed process loses nothing written), and ``fsync`` runs at least twice a
    second (a power cut loses at most a second). Gaps need no marker of their own: the file carries the
    sensor's times and sequence numbers, and a step of either marks a gap exactly as the session saw it
    (the sequencer leaves a step of at least two periods at a restart of the sensor's clock).

    A write that fails (a full disk, a folder removed, an unplugged drive) ends the recording with a
    :class:`RecorderError` message; the stream, the analysis and the live display go on.

    Parameters
    ----------
    writer_factory
        How a recording is opened; :class:`~imu_app.recordings.NativeWriter` by default.
    """

    def __init__(self, writer_factory: WriterFactory | None = None) -> None:
        self._factory = writer_factory or NativeWriter
        self._writer: NativeWriter | None = None
        self._path: Path | None = None
        self._n_gaps = 0
        self._error: str | None = None
        self._not_written = 0
        self.summaries: list[RecordingSummary] = []

    @property
    def recording(self) -> bool:
        return self._writer is not None

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def error(self) -> str | None:
        """Why the current (or last) recording stopped early."""
        return self._error

    def start(
        self, path: str | os.PathLike[str], meta: RecordingMeta, *, has_gyro: bool, has_seq: bool | None
    ) -> None:
        """Open a new recording; samples written from now on go into it.

        Raises
        ------
        RecorderError
            The file cannot be created (no such folder, no permission); nothing is recording then.
        """
        if self._writer is not None:
            self.stop()
        path = Path(path)
        extra = dict(meta.extra)
        extra.setdefault("recorded_by", "imu-app live session")
        meta = meta.replace(
            start_time=meta.start_time or datetime.now(UTC).isoformat(timespec="milliseconds"),
            extra=extra,
            source_format=None,
        )
        try:
            self._writer = self._factory(path, meta, has_gyro=has_gyro, has_seq=has_seq)
        except OSError as exc:
            self._writer = None
            raise RecorderError(_describe(exc, path)) from exc
        self._path = path
        self._n_gaps = 0
        self._error = None
        self._not_written = 0
        logger.info("recording to %s", path)

    def write(self, chunk: Chunk) -> str | None:
        """Append a chunk; returns the error message when this write ended the recording, else ``None``."""
        if self._writer is None:
            if self._error is not None:
                self._not_written += len(chunk)
            return None
        try:
            if chunk.gap_before is not None and self._writer.n_written:
                self._n_gaps += 1
            self._writer.append(chunk.t_s, chunk.acc_g, chunk.gyr_dps, chunk.seq)
        except OSError as exc:
            assert self._path is not None
            message = _describe(exc, self._path)
            logger.error("%s", message)
            self._error = message
            self._not_written += len(chunk)
            self._close(failed=True)
            return message
        return None

    def _close(self, *, failed: bool) -> RecordingSummary | None:
        writer, self._writer = self._writer, None
        if writer is None or self._path is None:
            return None
        try:
            writer.close()
        except OSError as exc:
            if not failed:
                self._error = _describe(exc, self._path)
                logger.error("%s", self._error)
        summary = RecordingSummary(self._path, writer.n_written, self._n_gaps, self._error, self._not_written)
        self.summaries.append(summary)
        return summary

    def stop(self) -> RecordingSummary | None:
        """Close the recording (``fsync`` first); ``None`` when none was running."""
        if self._writer is None:
            if self.summaries and self.summaries[-1].path == self._path and self._not_written:
                last = self.summaries[-1]
                self.summaries[-1] = RecordingSummary(
                    last.path, last.n_samples, last.n_gaps, last.error, self._not_written
                )
                self._error = None
                return self.summaries[-1]
            return None
        return self._close(failed=False)
