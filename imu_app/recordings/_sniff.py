"""Reading the start of a file safely: is it text at all, and what does its first line say.

Users rename files, pick the wrong one in a dialog, or export a spreadsheet instead of a CSV. Every reader
therefore looks at the first bytes before parsing, so that a PNG renamed ``.csv`` gives a message naming
what the file seems to be instead of a ``UnicodeDecodeError`` from deep inside a parser.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from imu_app.core import RecordingFormatError

__all__ = ["HEAD_BYTES", "check_text", "read_head"]

#: How much of a file detection looks at: enough for any header and a few hundred rows.
HEAD_BYTES = 64 * 1024

# Signatures of binary files people commonly mistake for recordings (first bytes -> what they are).
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one: export it as CSV instead)"),
    (b"\x1f\x8b", "a gzip-compressed file (decompress it first)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document (export it as CSV instead)"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


def read_head(path: Path, n_bytes: int = HEAD_BYTES) -> bytes:
    """Up to ``n_bytes`` from the start of ``path``; a missing file is a :class:`RecordingFormatError`."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n_bytes)
    except FileNotFoundError:
        raise RecordingFormatError(path, "file not found") from None
    except IsADirectoryError:
        raise RecordingFormatError(path, "is a directory, not a recording file") from None
    except OSError as exc:
        raise RecordingFormatError(path, f"cannot be read: {exc.strerror or exc}") from None


def check_text(path: Path, data: bytes, *, first_line: int = 1, final: bool = False) -> str:
    """Decode ``data`` as UTF-8 text or raise a :class:`RecordingFormatError` saying why it is not text.

    Parameters
    ----------
    path
        The file, for the message.
    data
        Bytes from the file; when ``final`` is false they may end in the middle of a multi-byte character,
        which is not an error (the rest is simply not read yet).
    first_line
        1-based line number of the first line in ``data``, so that messages point into the whole file.
    final
        Whether ``data`` reaches the end of the file.

    Notes
    -----
    A NUL byte never occurs in a text export, and invalid UTF-8 in the first kilobytes almost always means a
    binary file, so both are reported as "not a text file" with the line where the binary data starts.
    """
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise RecordingFormatError(
                path, f"is not a text recording: it looks like {what}", line=first_line
            )
    nul = data.find(b"\x00")
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        text = decoder.decode(data if nul < 0 else data[:nul], final=final or nul >= 0)
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise RecordingFormatError(
            path,
            f"is not a UTF-8 text file (undecodable byte 0x{data[exc.start]:02x} at byte {exc.start}); "
            "it may be a binary file, or text in another encoding: re-export it as UTF-8 CSV",
            line=line,
        ) from None
    if nul >= 0:
        line = first_line + data.count(b"\n", 0, nul)
        raise RecordingFormatError(
            path, f"is not a text file: it contains binary data (a NUL byte at byte {nul})", line=line
        )
    return text.removeprefix("\ufeff")
