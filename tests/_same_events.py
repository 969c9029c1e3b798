"""One comparison for the streaming tests: two events are the same when every field is equal, floats to the
microsecond (NaN equal to NaN)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

#: Events of a chunked stream must equal the one-chunk ones to the microsecond.
US = 1e-6


def assert_same_events(got: Sequence, ref: Sequence, *, ignore: tuple[str, ...] = ()) -> None:
    """``got`` and ``ref`` (dataclasses) field by field, the fields in ``ignore`` left out."""
    assert len(got) == len(ref)
    for a, b in zip(got, ref, strict=True):
        da, db = dataclasses.asdict(a), dataclasses.asdict(b)
        for key, x in da.items():
            if key in ignore:
                continue
            y = db[key]
            if isinstance(x, float) and isinstance(y, float):
                assert abs(x - y) <= US or (math.isnan(x) and math.isnan(y)), (key, x, y)
            else:
                assert x == y, (key, x, y)
