"""What time a figure refers to, normalised: `2025`, `FY2025`, `2025Q2`, `2025H1`, `2025-2027`,
`by 2027-12`. Relative words (今年, next year, this quarter, 未来三年) are resolved against the
article's date.

The period nearest to the figure in its clause wins, else the nearest in its sentence. Full
dates ("March 5, 2025", 2025年3月5日) say when something was said, not what a figure covers:
they are masked first.
"""
from __future__ import annotations

import re
from datetime import date

from nlp.textnorm import fold

_ZH_NUM = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9, "十": 10}
_EN_NUM = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
           "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3, "fourth": 4}
_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")

Y = r"((?:19|20)\d{2})"
# Spans that are dates, not periods.
_DATES = re.compile(
    rf"(?i)\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{Y}\b"
    rf"|\b\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+{Y}\b"
    rf"|{Y}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*[日号號]"
    rf"|{Y}-\d{{2}}-\d{{2}}")

_EN_N = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten)"
_ZH_N = r"(\d+|[一二两兩三四五六七八九十])"

# (regex, builder(match, today) -> period). Order does not matter: the nearest match wins, the
# longest at one place.
_RULES: list[tuple[re.Pattern, callable]] = []


def _rule(pattern: str, flags=re.IGNORECASE):
    def wrap(fn):
        _RULES.append((re.compile(pattern, flags), fn))
        return fn
    return wrap


def _n(s: str) -> int:
    s = s.lower()
    if s.isdigit():
        return int(s)
    return _EN_NUM.get(s) or _ZH_NUM.get(s, 0)


def _quarter(today: date) -> int:
    return (today.month - 1) // 3 + 1


@_rule(rf"\b(?:FY\s?'?|fiscal(?:\s+year)?\s+){Y}\b")
def _fy(m, today):
    return f"FY{m[1]}"


@_rule(r"\bFY\s?'?(\d{2})\b")
def _fy2(m, today):
    return f"FY20{m[1]}"


@_rule(rf"{Y}\s*(?:财年|財年|财政年度|財政年度|会计年度|會計年度)")
def _fy_zh(m, today):
    return f"FY{m[1]}"


@_rule(r"\bthis\s+fiscal\s+year\b|本财年|本財年")
def _fy_this(m, today):
    return f"FY{today.year}"


@_rule(rf"\b(?:Q([1-4])|(first|second|third|fourth)\s+quarter)(?:\s+of)?(?:\s+(?:fiscal\s+)?{Y})?\b")
def _q_en(m, today):
    q = int(m[1]) if m[1] else _n(m[2])
    return f"{m[3] or today.year}Q{q}"


@_rule(rf"\b{Y}\s*Q([1-4])\b")
def _q_en2(m, today):
    return f"{m[1]}Q{m[2]}"


@_rule(rf"(?:{Y}\s*年\s*)?(?:第\s*)?([一二三四1-4])\s*季度|(?:{Y}\s*年\s*)?Q([1-4])(?![0-9])")
def _q_zh(m, today):
    q = _n(m[2]) if m[2] else int(m[4])
    return f"{m[1] or m[3] or today.year}Q{q}"


@_rule(r"\bthis\s+quarter\b|本季度|本季|当季|當季")
def _q_this(m, today):
    return f"{today.year}Q{_quarter(today)}"


@_rule(r"\bnext\s+quarter\b|下季度|下一季度|下个季度|下個季度")
def _q_next(m, today):
    q, y = _quarter(today) + 1, today.year
    return f"{y + 1}Q1" if q == 5 else f"{y}Q{q}"


@_rule(rf"\b(?:H([12])|(first|second)\s+half)(?:\s+of)?(?:\s+{Y})?\b")
def _h_en(m, today):
    h = int(m[1]) if m[1] else _n(m[2])
    return f"{m[3] or today.year}H{h}"


@_rule(rf"(?:{Y}\s*年\s*|(今年|明年|去年))?(上|下)半年")
def _h_zh(m, today):
    y = int(m[1]) if m[1] else today.year + {"今年": 0, "明年": 1, "去年": -1, None: 0}[m[2]]
    return f"{y}H{1 if m[3] == '上' else 2}"


@_rule(rf"\b{Y}\s*(?:-|to|through|until)\s*{Y}\b|\bbetween\s+{Y}\s+and\s+{Y}\b")
def _range_en(m, today):
    a, b = (m[1], m[2]) if m[1] else (m[3], m[4])
    return f"{a}-{b}" if a < b else None


@_rule(rf"{Y}\s*年?\s*(?:至|到|-|~|～)\s*{Y}\s*年")
def _range_zh(m, today):
    return f"{m[1]}-{m[2]}" if m[1] < m[2] else None


@_rule(rf"\b(?:over|in|during|for)\s+the\s+next\s+{_EN_N}\s+years\b|\bnext\s+{_EN_N}\s+years\b")
def _next_years(m, today):
    n = _n(m[1] or m[2])
    return f"{today.year}-{today.year + n - 1}" if 1 < n <= 20 else None


@_rule(rf"(?:未来|未來|今后|今後)\s*{_ZH_N}\s*年")
def _next_years_zh(m, today):
    n = _n(m[1])
    return f"{today.year}-{today.year + n - 1}" if 1 < n <= 20 else None


@_rule(rf"\bby\s+(?:the\s+)?(end|mid|middle|start|beginning)?(?:\s+of|-)?\s*{Y}\b")
def _by_en(m, today):
    month = {"mid": "06", "middle": "06", "start": "01", "beginning": "01"}.get((m[1] or "").lower(), "12")
    return f"by {m[2]}-{month}"


@_rule(rf"(?:到|至|在)\s*{Y}\s*年\s*(底|年底|末|年中|中)?(?:前|之前)?|{Y}\s*年\s*(底|末)?\s*(?:前|之前)")
def _by_zh(m, today):
    if m[1]:
        # 到2027年 is a target date; 在2025年 is the year itself.
        if m.group().startswith("在"):
            return m[1]
        return f"by {m[1]}-{'06' if m[2] in ('年中', '中') else '12'}"
    return f"by {m[3]}-12"


@_rule(r"\bthis\s+year(?:'s)?\b|今年|本年度")
def _this_year(m, today):
    return str(today.year)


@_rule(r"\bnext\s+year(?:'s)?\b|明年|來年|来年")
def _next_year(m, today):
    return str(today.year + 1)


@_rule(r"\blast\s+year(?:'s)?\b|去年|上年")
def _last_year(m, today):
    return str(today.year - 1)


@_rule(rf"(?<![\d.]){Y}(?:\s*年(?!\s*\d{{1,2}}\s*月\s*\d)|'s|\b)")
def _year(m, today):
    return m[1]


def find(text: str, lo: int, hi: int, at: int, today: date) -> str | None:
    """The period nearest to offset `at` in text[lo:hi] (text before `at` wins a tie)."""
    window = fold(text[lo:hi])
    masked = _DATES.sub(lambda d: " " * len(d.group()), window)
    best = None
    for pattern, build in _RULES:
        for m in pattern.finditer(masked):
            start, end = m.start() + lo, m.end() + lo
            if start <= at < end:
                continue               # the figure itself (no year is a figure, but be safe)
            dist = at - end if end <= at else (start - at) + 0.5
            key = (dist, -(end - start))
            if best is None or key < best[0]:
                value = build(m, today)
                if value:
                    best = (key, value)
    return best[1] if best else None


def previous(period: str | None, today: date) -> str:
    """The period a year before `period` ("$64 billion a year earlier")."""
    m = re.fullmatch(r"(FY)?(\d{4})(.*)", period or "")
    if not m or m[3].startswith("-"):
        return str(today.year - 1)
    return f"{m[1] or ''}{int(m[2]) - 1}{m[3]}"
