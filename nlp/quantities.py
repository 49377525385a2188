"""Stage one of the number grammar: find bare quantities (a number and its magnitude).

A quantity knows nothing about currencies, chips or hedges: `nlp.mentions` attaches those. The
scan runs on folded text (`nlp.textnorm.fold`), so offsets are offsets in the original text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from nlp import lexicon, numbers_en, numbers_zh
from nlp.numbers_zh import DIGIT_CHARS, UNIT_CHARS

_ARABIC = r"(?:\d{1,3}(?:[,，]\d{3})+(?![\d])|\d+)(?:\.\d+)?"
# A number glued to Latin letters or a hyphen after them is part of a name: H100, v5p, GPT-4.
_LEFT = r"(?<![A-Za-z0-9_.])(?<![A-Za-z]-)"
_RUN = (rf"(?:{_ARABIC}|[{DIGIT_CHARS}{UNIT_CHARS}数几])"
        rf"(?:{_ARABIC}|[{DIGIT_CHARS}{UNIT_CHARS}]|点(?=[{DIGIT_CHARS}])|[余多来](?=[{UNIT_CHARS}]))*")
_PERCENT_ZH = rf"百分之(?P<pct_run>{_RUN})"
_SCAN = re.compile(
    rf"(?P<pct>{_PERCENT_ZH})|{_LEFT}(?P<run>{_RUN})|(?P<words>{numbers_en.WORD_RUN.pattern})",
    re.IGNORECASE,
)
# English magnitude after digits: "1.5 billion", "$37bn", "16K", "1,674,200.5 M".
_EN_MAG = re.compile(
    r"(?:\s?(?P<word>thousand|millions?|billions?|trillion|mn|mln|bln|bn|tn|trn)"
    r"|(?P<abbr>[kKmMbBT]|MM)|\s(?P<cap>[KMBT]))(?![A-Za-z0-9])")


@dataclass(slots=True)
class Quantity:
    start: int
    end: int
    value: float
    value_max: float | None = None
    multiplier: float = 1.0          # the magnitude written (万, 亿, billion...), 1 when none
    percent: bool = False            # 百分之二十
    fill: bool = False               # 十余万, 三十多亿: "more than"
    bare_unit: bool = False          # 万, 百亿 with no digit: a number only when something attaches
    digits_only: bool = False        # 二〇二四
    arabic_int: bool = False         # plain digits without separators or decimals (years, codes)
    words: bool = False              # spelled out in English


def _skip_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in lexicon.non_numbers().finditer(text)]


def scan(text: str) -> list[Quantity]:
    """Every quantity in `text` (already folded), left to right, non-overlapping."""
    out: list[Quantity] = []
    skips = _skip_spans(text) if re.search(f"[{DIGIT_CHARS}{UNIT_CHARS}]", text) else []
    for m in _SCAN.finditer(text):
        if out and m.start() < out[-1].end:
            continue                     # inside a magnitude the previous quantity took
        if m.group("pct"):
            q = _zh_quantity(m.group("pct_run"), m.start("pct_run"))
            if q:
                q.start, q.percent = m.start(), True
                out.append(q)
        elif m.group("run"):
            start = m.start("run")
            if any(a <= start < b for a, b in skips):
                continue
            q = _run_quantity(text, m.group("run"), start)
            if q:
                out.append(q)
        else:
            v = numbers_en.parse_words(m.group("words"))
            if v is not None:
                out.append(Quantity(m.start(), m.end(), v, words=True,
                                    multiplier=_word_multiplier(m.group("words"))))
    return out


def _word_multiplier(run: str) -> float:
    low = run.lower()
    for word, mult in (("trillion", 1e12), ("billion", 1e9), ("million", 1e6), ("thousand", 1e3)):
        if word in low:
            return mult
    return 1.0


def _run_quantity(text: str, run: str, start: int) -> Quantity | None:
    """Value the longest prefix of `run` that parses (100万千瓦 -> 100万, then 千瓦)."""
    for length in range(len(run), 0, -1):
        q = _zh_quantity(run[:length], start)
        if q is None:
            continue
        if re.fullmatch(_ARABIC, run[:length]):
            q.arabic_int = run[:length].isdigit()
            mag = _EN_MAG.match(text, q.end)
            if mag:
                word = (mag.group("word") or mag.group("abbr") or mag.group("cap")).lower()
                mult = numbers_en.MAGNITUDES.get(word.rstrip("s") if word.endswith("s") and word != "mns" else word)
                mult = mult or numbers_en.MAGNITUDES.get(word)
                if mult:
                    q.value = numbers_zh.tidy(q.value * mult)
                    q.multiplier = mult
                    q.end = mag.end()
                    q.arabic_int = False
        return q
    return None


def _zh_quantity(run: str, start: int) -> Quantity | None:
    v = numbers_zh.parse(run)
    if v is None:
        return None
    has_digit = any(ch.isdigit() or ch in DIGIT_CHARS or ch in "数几" for ch in run)
    return Quantity(start, start + len(run), v.value, v.value_max, multiplier=float(v.magnitude),
                    fill=v.fill, bare_unit=not has_digit, digits_only=v.digits_only)
