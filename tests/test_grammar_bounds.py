"""The number grammar does work proportional to its input, whatever the input holds.

One page with a long digit string (a hash, a table cell, a base64 blob of digits) must not stop
a crawl: the time for a run of 4N characters is compared with the time for N, within a generous
ratio (linear would be 4x; quadratic 16x; the old exponential regex never finished).
"""
from __future__ import annotations

import time

import pytest

from nlp.mentions import find_mentions
from nlp.numbers_zh import parse
from nlp.quantities import scan

RATIO = 9.0          # 4x the input may take at most 9x the time (linear is 4x, quadratic 16x)


def _seconds(fn, text: str) -> float:
    best = float("inf")
    for _ in range(3):                 # the best of three: the machine is shared
        t0 = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - t0)
    return best


def _linear(make, n: int, fn=find_mentions) -> None:
    fn(make(64))                       # warm the lexicons
    small, big = _seconds(fn, make(n)), _seconds(fn, make(4 * n))
    assert big <= RATIO * max(small, 0.002), (small, big)


@pytest.mark.parametrize("make", [
    lambda n: "x" + "1" * n + " y",                  # digits glued to a letter (no left guard)
    lambda n: "1" * n,
    lambda n: "共" + "7" * n + "分之一",               # the fraction pattern reads the run then fails
    lambda n: "1" + "万" * n,
    lambda n: "兆" * n + "元",
    lambda n: "三 " * n,
    lambda n: "1,000," * n,
], ids=["digits-after-letter", "digits", "fraction", "wan", "zhao", "spaced", "groups"])
def test_long_numeral_runs_are_linear(make):
    _linear(make, 20000)


def test_25_digits_finish_at_once():
    t0 = time.perf_counter()
    for n in (22, 25, 30, 60):
        find_mentions("编号" + "9" * n + "的订单")
        find_mentions("order x" + "9" * n + "z")
    assert time.perf_counter() - t0 < 2.0


def test_huge_magnitudes_are_no_number_and_no_error():
    assert [q for q in scan("100" + "万" * 100000)] == []       # was OverflowError
    assert parse("1" + "兆" * 30) is not None                  # the parser itself stays finite
    assert all(m.kind == "number" for m in find_mentions("1" + "兆" * 39 + "元"))


def test_ten_megabyte_line():
    # prose with a figure now and then, and no line break anywhere
    sentence = ("The company said the new campus would be built over several years, according "
                "to people familiar with the plans, who asked not to be named because the talks "
                "are private; it would cost $40 billion. 该项目分三期建设，首期将于明年投入使用，"
                "公司表示将继续加大在人工智能基础设施方面的投入，预计耗资约400亿元；")
    line = lambda n: (sentence * (n // len(sentence) + 1))[:n]
    find_mentions(line(1000))
    t0 = time.perf_counter()
    find_mentions(line(2_500_000))
    small = time.perf_counter() - t0
    t0 = time.perf_counter()
    find_mentions(line(10_000_000))
    big = time.perf_counter() - t0
    assert big <= RATIO * small, (small, big)


def test_long_runs_stay_numbers_when_short():
    ms = find_mentions("它有1234567890123块GPU")          # 13 digits is still read as a figure
    assert [m.value for m in ms if m.kind == "gpu_count"] == [1234567890123]
