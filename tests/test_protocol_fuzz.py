"""Fuzzing every decoder: random bytes and mutated valid packets.

Whatever arrives, a decoder either returns a packet or raises :class:`ProtocolError`; nothing else escapes,
and a packet it returns encodes and decodes back to itself. The default run keeps the counts modest (the
``imu-app`` hypothesis profile in ``conftest.py``); ``benchmarks/fuzz_decoders.py`` runs 100,000 and more per
decoder.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imu_app.core.errors import ProtocolError

from ._protocol_packets import CASES, DecoderCase, mutate


def _check(case: DecoderCase, data: bytes) -> None:
    try:
        decoded = case.decode(data)
    except ProtocolError as exc:
        assert str(exc), "a ProtocolError must say what is wrong"
        return
    encoded = bytes(decoded)  # type: ignore[call-overload]
    again = type(decoded).from_bytes(encoded)  # type: ignore[attr-defined]
    assert again == decoded
    if case.canonical:
        assert encoded == data


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_only_protocol_error(case: DecoderCase, data: bytes) -> None:
    _check(case, data)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_packets_raise_only_protocol_error(case: DecoderCase, seed: int) -> None:
    rng = random.Random(seed)
    _check(case, mutate(case.make_valid(rng), rng))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@settings(max_examples=200)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_valid_packets_decode(case: DecoderCase, seed: int) -> None:
    data = case.make_valid(random.Random(seed))
    decoded = case.decode(data)
    assert type(decoded).from_bytes(bytes(decoded)) == decoded  # type: ignore[attr-defined]


def test_non_bytes_input_is_a_protocol_error() -> None:
    for case in CASES:
        with pytest.raises(ProtocolError, match="expected bytes"):
            case.decode("55 61 00")  # type: ignore[arg-type]
