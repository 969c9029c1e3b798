"""The live pipeline: sources, sequencing and clock mapping, recorder, streaming analysis, session, model.

Everything a live sensor, a replayed file or the simulator streams goes the same way::

    Source --chunks--> Session: Sequencer (order, duplicates, wraps, restarts, gaps)
                                 -> ClockMapper (sensor time -> host time)
                                 -> Recorder (native CSV, crash-safe)
                                 -> Engine (final events) --Published--> subscribers (LiveModel, CLI, ...)

No Qt and no Bluetooth here: devices provide a :class:`Source`, the GUI subscribes a :class:`LiveModel`.
"""

from imu_app.live._chunk import Chunk, ChunkGap, GapReason, SourceInfo, SourceStatus
from imu_app.live._clock import (
    Clock,
    ClockMapper,
    ClockMapperParams,
    ClockMapping,
    FakeClock,
    MonotonicClock,
)
from imu_app.live._engine import (
    CalfRaiseEngine,
    CompositeEngine,
    Engine,
    HopEngine,
    StrideEngine,
    make_engine,
)
from imu_app.live._events import (
    ContactDone,
    EngineEvent,
    Event,
    GapMarked,
    HoldEnded,
    HoldStarted,
    LinkNotice,
    NoticeKind,
    Published,
    RecordingNotice,
    RepDone,
    RepSeen,
    SetDone,
)
from imu_app.live._health import HealthParams, LinkHealth, LinkMonitor, LinkReport
from imu_app.live._model import LiveModel, RingBuffer
from imu_app.live._recorder import Recorder, RecorderError, RecordingSummary
from imu_app.live._sequencer import Sequencer, SequencerCounts, SequencerParams
from imu_app.live._session import Session, SessionParams, SessionSummary, Subscriber
from imu_app.live._sources import ReplaySource, Source

__all__ = [
    "CalfRaiseEngine",
    "Chunk",
    "ChunkGap",
    "Clock",
    "ClockMapper",
    "ClockMapperParams",
    "ClockMapping",
    "CompositeEngine",
    "ContactDone",
    "Engine",
    "EngineEvent",
    "Event",
    "FakeClock",
    "GapMarked",
    "GapReason",
    "HealthParams",
    "HoldEnded",
    "HoldStarted",
    "HopEngine",
    "LinkHealth",
    "LinkMonitor",
    "LinkNotice",
    "LinkReport",
    "LiveModel",
    "MonotonicClock",
    "NoticeKind",
    "Published",
    "Recorder",
    "RecorderError",
    "RecordingNotice",
    "RecordingSummary",
    "RepDone",
    "RepSeen",
    "ReplaySource",
    "RingBuffer",
    "Sequencer",
    "SequencerCounts",
    "SequencerParams",
    "Session",
    "SessionParams",
    "SessionSummary",
    "SetDone",
    "Source",
    "SourceInfo",
    "SourceStatus",
    "StrideEngine",
    "Subscriber",
    "make_engine",
]
