"""Helpers shared by the grammar case tables (tests/test_grammar_en.py, tests/test_grammar_zh.py)."""
from __future__ import annotations

import math

import pytest

from nlp.mentions import find_mentions


def locate(text: str, sub: str) -> tuple[int, int]:
    assert text.count(sub) == 1, f"test data error: {sub!r} must occur exactly once in {text!r}"
    pos = text.index(sub)
    return pos, pos + len(sub)


def describe(mentions) -> str:
    return "\n".join(
        f"  {m.kind:9} {m.text!r} [{m.start}:{m.end}] value={m.value} max={m.value_max} "
        f"unit={m.unit} cur={m.currency} approx={m.approx} flags={sorted(m.flags)}"
        for m in mentions
    ) or "  (no mentions)"


def pick(text: str, lang: str | None, kind: str, sub: str):
    """The mention of `kind` whose span covers `sub` (the shortest if several)."""
    start, end = locate(text, sub)
    mentions = find_mentions(text, lang)
    covering = [m for m in mentions if m.kind == kind and m.start <= start and m.end >= end]
    assert covering, (
        f"no {kind} mention covers {sub!r} in {text!r}; found:\n{describe(mentions)}"
    )
    return min(covering, key=lambda m: m.end - m.start)


def check(m, expect: dict) -> None:
    if "value" in expect:
        assert math.isclose(m.value, expect["value"], rel_tol=1e-6), (
            f"value {m.value!r} != {expect['value']!r} for {m.text!r}"
        )
    if "value_max" in expect:
        if expect["value_max"] is None:
            assert m.value_max is None, f"value_max should be None, got {m.value_max!r} for {m.text!r}"
        else:
            assert m.value_max is not None, f"value_max missing for range {m.text!r}"
            assert math.isclose(m.value_max, expect["value_max"], rel_tol=1e-6), (
                f"value_max {m.value_max!r} != {expect['value_max']!r} for {m.text!r}"
            )
    for field in ("currency", "unit", "approx"):
        if field in expect:
            assert getattr(m, field) == expect[field], (
                f"{field} {getattr(m, field)!r} != {expect[field]!r} for {m.text!r}"
            )
    if "span" in expect:
        assert m.text == expect["span"], f"span {m.text!r} != {expect['span']!r}"
    if "flag" in expect:
        assert expect["flag"] in m.flags, f"flag {expect['flag']!r} missing: {sorted(m.flags)}"


def case(id_, text, kind, sub, lang=None, **expect):
    return pytest.param(text, lang, kind, sub, expect, id=id_)
