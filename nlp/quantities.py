"""Stage one of the number grammar: find bare quantities (a number and its magnitude).

A quantity knows nothing about currencies, chips or hedges: `nlp.mentions` attaches those. The
scan runs on folded text (`nlp.textnorm.fold`), so offsets are offsets in the original text.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nlp import lexicon, numbers_en, numbers_zh
from nlp.numbers_zh import DIGIT_CHARS, UNIT_CHARS

# Thousands grouped by commas (24,000; 82，225 in Chinese text) or by single spaces (1 234 567).
# The full-width comma is punctuation in Chinese ("$20，300美圆" is two prices) unless the figure
# also has ASCII groups or a decimal part (233,333，333,434.34; 82，225.00).
_ARABIC = (r"(?:\d{1,3}(?:,\d{3})+(?:[,，]\d{3})*(?![\d])|\d{1,3}(?:[,，]\d{3})+(?=\.\d)"
           r"|\d{1,3}(?: \d{3})+(?![\d.,]?\d)|\d+)(?:\.\d+)?"
           r"|(?<![\d.])\.\d+")
# A number glued to Latin letters or a hyphen after them is part of a name: H100, v5p, GPT-4.
_LEFT = r"(?<![A-Za-z0-9_.])(?<![A-Za-z]-)"
# 兆 is a number unit only when it is not the SI prefix of a unit (兆瓦 MW, 兆字节 MB, 兆赫 MHz).
_ZH_UNIT = rf"(?:[{UNIT_CHARS.replace('兆', '')}]|兆(?![瓦赫字比位帕欧焦]))"
_ZH_CHAR = rf"(?:[{DIGIT_CHARS}]|{_ZH_UNIT})"
# Possessive (`*+`): a run is read once, greedily, and never re-split when what follows fails
# (den of 分之 below); with a plain `*` 25 digits in a row took minutes (exponential backtracking).
_RUN = (rf"(?:{_ARABIC}|{_ZH_CHAR}|[{numbers_zh.VAGUE}])"
        rf"(?:{_ARABIC}|{_ZH_CHAR}|[点點](?=[{DIGIT_CHARS}])|[几幾](?={_ZH_UNIT})"
        rf"|[余餘多来來个個](?={_ZH_UNIT})|\s{{1,2}}(?=[余餘]?{_ZH_CHAR}))*+")
_PERCENT_ZH = rf"百分之(?P<pct_run>{_RUN})"
# 五分之一 = 1/5, 三又三分之一 = 3 1/3 (百分之二十 is a percent, above)
_FRACTION_ZH = (rf"(?:(?P<whole>{_RUN})\s*又\s*)?(?P<den>{_RUN})\s*分\s*之\s*(?P<num>负?{_RUN})")
_NEGATIVE = r"(?P<neg>[负負]|(?<![\w.,)\-~])-(?=\d)|(?:minus|negative)\s+(?=\d))?"
# Every alternative starts with one of these characters: positions that hold none fail at once.
_FIRST = rf"(?=[0-9.\-{DIGIT_CHARS}{UNIT_CHARS}{numbers_zh.VAGUE}百负負abefhmnostzABEFHMNOSTZ])"
_SCAN = re.compile(
    rf"{_FIRST}(?:(?P<pct>{_PERCENT_ZH})|(?P<frac>{_NEGATIVE.replace('neg', 'fneg')}{_FRACTION_ZH})"
    rf"|{_LEFT}{_NEGATIVE}(?P<run>{_RUN})|(?P<words>{numbers_en.WORD_RUN.pattern}))",
    re.IGNORECASE,
)
# English magnitude after digits: "1.5 billion", "$37bn", "16K", "1,674,200.5 M"; the words in any
# case, as headlines write them ("The $48 Billion Bet").
_EN_MAG = re.compile(
    r"(?:\s?(?P<word>(?i:hundred|thousand|millions?|billions?|trillions?)|mn|mln|mil|bln|bn|tn|trn|tln"
    r"|lakhs?|crores?)"
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
    head: float | None = None        # the leading number: 410 of 410亿, 40 of "40 billion"


# No figure a newspaper prints has 40 numerals in a row: longer runs (digit strings, hashes, 万万万…)
# are masked before the scan, so every later step (prefix search, parse) sees bounded runs.
_MAX_NUMERALS = 40
_NUMERAL = rf"[0-9{DIGIT_CHARS}{UNIT_CHARS}余餘多来來个個{numbers_zh.VAGUE}]"
_LONG_RUN = re.compile(rf"(?:{_NUMERAL}(?:\s{{1,2}}|[,，.点點])?){{{_MAX_NUMERALS},}}+")


_HAN_BEFORE_ARABIC = re.compile(rf"[{DIGIT_CHARS}]+(?=\d)")


def _mask_long_runs(text: str) -> str:
    """`text` with over-long numeral runs blanked out, its length (and every offset) unchanged."""
    if not _LONG_RUN.search(text):
        return text
    return _LONG_RUN.sub(lambda m: "#" * len(m.group()), text)


def _skip_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in lexicon.non_numbers().finditer(text)]


def scan(text: str) -> list[Quantity]:
    """Every quantity in `text` (already folded), left to right, non-overlapping."""
    out: list[Quantity] = []
    text = _mask_long_runs(text)
    skips = _skip_spans(text) if re.search(f"[{DIGIT_CHARS}{UNIT_CHARS}]", text) else []
    for m in _SCAN.finditer(text):
        if out and m.start() < out[-1].end:
            continue                     # inside a magnitude the previous quantity took
        if m.group("pct"):
            q = _zh_quantity(m.group("pct_run"), m.start("pct_run"))
            if q:
                q.start, q.percent = m.start(), True
                out.append(q)
        elif m.group("frac"):
            q = _fraction(m)
            if q:
                out.append(q)
        elif m.group("run"):
            start = m.start("run")
            run = m.group("run").rstrip()
            glued = _HAN_BEFORE_ARABIC.match(run)
            if glued and numbers_zh.parse(run) is None:
                start += glued.end()         # 这一6000亿美元: 一 ends a word, the figure is 6000亿
                run = run[glued.end():]
            if any(a <= start < b for a, b in skips):
                continue
            if re.match(r"\d{1,3} \d{3}", run) and re.search(r"[A-Z][A-Za-z]*\s$", text[max(0, start - 20):start]):
                run = run.split(" ", 1)[0]   # "Llama 3 405B" is a model and a size, not 3,405
            q = _run_quantity(text, run, start)
            if q:
                if m.group("neg"):
                    q.value, q.start = -q.value, m.start()
                out.append(q)
        else:
            v = numbers_en.parse_words(m.group("words"))
            if v is not None:
                out.append(Quantity(m.start(), m.end(), v, words=True,
                                    multiplier=_word_multiplier(m.group("words"))))
    return out


def _fraction(m: re.Match) -> Quantity | None:
    den = numbers_zh.parse(m.group("den"))
    num_run = m.group("num")
    num = numbers_zh.parse(num_run.lstrip("负"))
    if not den or not num or den.value == 0:
        return None
    value = num.value / den.value * (-1 if num_run.startswith("负") else 1)
    if m.group("whole"):
        whole = numbers_zh.parse(m.group("whole"))
        if not whole:
            return None
        value += whole.value
    if m.group("fneg"):
        value = -value
    return Quantity(m.start(), m.end(), value)


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
                mult = numbers_en.MAGNITUDES.get(word) or numbers_en.MAGNITUDES.get(word[:-1])
                if mult:
                    q.value = numbers_zh.tidy(q.value * mult)
                    q.multiplier = mult
                    q.end = mag.end()
                    q.arabic_int = False
                    _continue_scales(text, q, mult)
        return q
    return None


_CONTINUATION = re.compile(
    r"\s+(?:and\s+)?(?P<num>\d+(?:\.\d+)?)(?:\s?(?P<scale>hundred|thousand|million|billion))?(?![\w.,]?\d)",
    re.IGNORECASE)


def _continue_scales(text: str, q: Quantity, last: float) -> None:
    """'4 thousand 3 hundred and 21': smaller scaled parts add to the number."""
    while True:
        m = _CONTINUATION.match(text, q.end)
        if not m:
            return
        scale = numbers_en.MAGNITUDES.get((m.group("scale") or "").lower(), 1)
        part = float(m.group("num")) * scale
        if scale >= last or part >= last:
            return
        q.value = numbers_zh.tidy(q.value + part)
        q.end, last = m.end(), scale
        if scale == 1:
            return


_MAX_MAGNITUDE = 10**48


def _zh_quantity(run: str, start: int) -> Quantity | None:
    v = numbers_zh.parse(run)
    if v is None or not math.isfinite(v.value) or v.magnitude > _MAX_MAGNITUDE:
        return None                      # 兆兆兆…: no float holds it, and no text means it
    # 万, 百亿 with no digit are words ("千万不要") unless a unit attaches; 十 alone is ten.
    bare = not any(ch.isdigit() or ch in DIGIT_CHARS or ch in numbers_zh.VAGUE + "十拾" for ch in run)
    return Quantity(start, start + len(run), v.value, v.value_max, multiplier=float(v.magnitude),
                    fill=v.fill, bare_unit=bare, digits_only=v.digits_only, head=_head(run))


def _head(run: str) -> float | None:
    """The leading number of a run (410 in 410亿, 3 in 三仟): ranges scale their low end by it."""
    m = re.match(rf"{_ARABIC}|[{DIGIT_CHARS}]", run)
    if not m:
        return None
    tok = m.group()
    if tok in numbers_zh.TENS_CHARS:
        return None
    return float(numbers_zh.DIGITS[tok]) if tok in numbers_zh.DIGITS else numbers_zh._arabic(tok)
