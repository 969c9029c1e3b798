"""Sound cues: a short tone per kind of cue, played with QtMultimedia where a sound device exists."""

from __future__ import annotations

import logging
import math
import struct
import tempfile
import wave
from pathlib import Path

from PySide6.QtCore import QUrl

from imu_app.training import Cue, CueKind

__all__ = ["CuePlayer"]

logger = logging.getLogger(__name__)

#: Pitch (Hz) and length (s) of each cue: a short high tick per contact, lower longer tones for the rest.
TONES: dict[CueKind, tuple[float, float]] = {
    CueKind.TICK: (1760.0, 0.03),
    CueKind.COUNT: (1320.0, 0.08),
    CueKind.BEAT: (990.0, 0.05),
    CueKind.HOLD: (660.0, 0.25),
    CueKind.HELD: (1320.0, 0.3),
    CueKind.GO: (880.0, 0.4),
    CueKind.COUNTDOWN: (740.0, 0.12),
    CueKind.SET_DONE: (523.0, 0.5),
    CueKind.DONE: (440.0, 0.8),
}


def _write_tone(path: Path, hz: float, seconds: float, rate: int = 22050) -> None:
    n = int(rate * seconds)
    fade = max(1, int(rate * 0.005))
    frames = bytearray()
    for i in range(n):
        env = min(1.0, i / fade, (n - i) / fade)
        frames += struct.pack("<h", int(0.6 * 32767 * env * math.sin(2 * math.pi * hz * i / rate)))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(frames))


class CuePlayer:
    """Plays cues; where QtMultimedia or a sound device is missing it says so in :attr:`note` and stays
    silent (the cues are still shown on screen)."""

    def __init__(self, enabled: bool = True) -> None:
        self.available = False
        self.note = ""
        self.volume = 0.7
        self.muted = False
        self.played: list[CueKind] = []
        self._effects: dict[CueKind, object] = {}
        if not enabled:
            self.note = "Sound cues are off."
            return
        try:
            from PySide6.QtMultimedia import QMediaDevices, QSoundEffect
        except ImportError as exc:
            self.note = (
                f"Sound cues are unavailable (QtMultimedia could not be loaded: {exc}); cues are shown."
            )
            return
        if not QMediaDevices.audioOutputs():
            self.note = "No sound device was found; cues are shown on screen only."
            return
        self._dir = tempfile.TemporaryDirectory(prefix="imu-app-cues-")
        for kind, (hz, s) in TONES.items():
            path = Path(self._dir.name) / f"{kind.value}.wav"
            _write_tone(path, hz, s)
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            self._effects[kind] = effect
        self.available = True

    def set_volume(self, percent: int, muted: bool) -> None:
        self.volume = max(0, min(100, percent)) / 100.0
        self.muted = muted

    def play(self, cue: Cue) -> None:
        if self.muted:
            return
        self.played.append(cue.kind)
        effect = self._effects.get(cue.kind)
        if effect is not None:
            effect.setVolume(self.volume)  # type: ignore[attr-defined]
            effect.play()  # type: ignore[attr-defined]
