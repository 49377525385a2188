"""Chinese numerals, and Chinese numerals mixed with Arabic digits.

Handles 二十四万, 两万四千, 一千五百亿, 三十亿, 肆佰陆拾, 24万, 1.5万亿, 3万4000, 25万6千,
1,100.9亿, 二〇二四, 三点五, the colloquial 一万五 (= 15000), and the vague 数十亿 / 几十万 /
三四十亿 (ranges). The scanner (`nlp.quantities`) finds the run; this module only values it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DIGITS = {
    "零": 0, "〇": 0, "○": 0,
    "一": 1, "壹": 1, "幺": 1,
    "二": 2, "两": 2, "兩": 2, "倆": 2, "俩": 2, "贰": 2, "貳": 2,
    "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
# 兆 is 10^12 in Taiwanese and formal usage (台積電營收2兆元); as "mega" (兆瓦) the scanner
# never lets it into a number run.
BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12}
UNITS = {**SMALL_UNITS, **BIG_UNITS}
VAGUE = "数數几幾"      # 数十亿, 几十万, 數十億: "several"

# 廿 and 卅 are 二十 and 三十 in one character (廿九日, 卅萬): read as those two.
TENS_CHARS = {"廿": "二十", "卅": "三十", "卌": "四十"}
DIGIT_CHARS = "".join(DIGITS) + "".join(TENS_CHARS)
UNIT_CHARS = "".join(UNITS)

_ARABIC = r"\d{1,3}(?:[,，]\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_TOKEN = re.compile(rf"(?P<arabic>{_ARABIC})|(?P<digit>[{''.join(DIGITS)}])|(?P<unit>[{UNIT_CHARS}])"
                    rf"|(?P<point>[点點])|(?P<vague>[{VAGUE}])|(?P<fill>[余餘多来來])|(?P<space>\s+|个|個)")


@dataclass(slots=True)
class ZhValue:
    value: float
    value_max: float | None = None   # vague or adjacent-digit ranges: 数十亿, 三四十亿
    magnitude: int = 1               # the largest big unit (万/亿) in the run; 1 when none
    has_unit: bool = False           # any of 十百千万亿
    digits_only: bool = False        # 二〇二四: digit-by-digit, like a year or a code
    fill: bool = False               # 十余万, 三十多亿: "more than"


def _arabic(s: str) -> float:
    return float(s.replace(",", "").replace("，", "").replace(" ", ""))


def parse(run: str) -> ZhValue | None:
    """Value a run such as '1.5万亿' or '两万四千'; None when it is not a number."""
    for ch, tens in TENS_CHARS.items():
        run = run.replace(ch, tens)
    toks = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(run)]
    if not toks or "".join(t for _, t in toks) != run:
        return None
    # spaces inside a numeral (十 余 万, 7万 5千) and the colloquial 两个亿 carry no value
    toks = [t for t in toks if t[0] != "space"]
    # 几 after a unit is an unknown lower digit (二十几万 -> 二十万 at least)
    toks = [("digit", "零") if k == "vague" and i > 0 else (k, t) for i, (k, t) in enumerate(toks)]
    if not toks:
        return None
    kinds = [k for k, _ in toks]
    # digit-by-digit (二〇二四, 一九九八): no units, several digits
    if all(k == "digit" for k in kinds) and len(toks) > 1:
        v = int("".join(str(DIGITS[t]) for _, t in toks))
        return ZhValue(float(v), digits_only=True)
    # decimal written in words: 三点五, 一点二五万
    if "point" in kinds:
        i = kinds.index("point")
        head, tail = toks[:i], toks[i + 1:]
        frac = ""
        j = 0
        while j < len(tail) and tail[j][0] == "digit":
            frac += str(DIGITS[tail[j][1]])
            j += 1
        if not frac or not head:
            return None
        head_val = parse("".join(t for _, t in head))
        if head_val is None or head_val.has_unit and head_val.magnitude > 1:
            return None
        base = head_val.value + float("0." + frac)
        rest = "".join(t for _, t in tail[j:])
        if not rest:
            return ZhValue(base)
        mult = parse("1" + rest) if all(k == "unit" for k, _ in tail[j:]) else None
        if mult is None:
            return None
        return ZhValue(tidy(base * mult.value), magnitude=mult.magnitude, has_unit=True)
    toks = _positional(toks)
    # adjacent digits give a range: 三四十亿 -> 三十亿..四十亿, 四五千 -> 四千..五千
    for i in range(len(toks) - 1):
        (k1, t1), (k2, t2) = toks[i], toks[i + 1]
        if k1 == k2 == "digit" and DIGITS[t1] > 0 and DIGITS[t2] == DIGITS[t1] + 1 \
                and i + 2 < len(toks):
            low = _parse_units(toks[:i + 1] + toks[i + 2:])
            high = _parse_units(toks[:i] + toks[i + 1:])
            if low is None or high is None:
                return None
            low.value_max = high.value
            return low
    # 数十亿, 几十万: "several" -> one to ten times the unit
    if kinds.count("vague") == 1 and kinds[0] == "vague" and len(toks) > 1:
        low = _parse_units([("digit", "一")] + toks[1:])
        if low is not None:
            low.value_max = low.value * 10
        return low
    return _parse_units(toks)


def _positional(toks: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Digits written place by place before a big unit or at the end: 三四六億 = 346億,
    七五○億 = 750億, 一兆一一二三億 = 1兆1123億, 二一二 = 212. Two consecutive digits stay
    the colloquial range (三四万 = 3-4万); before 十百千 digits stay a range (三五百)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(toks):
        j = i
        while j < len(toks) and toks[j][0] == "digit":
            j += 1
        run = toks[i:j]
        nxt = toks[j] if j < len(toks) else None
        if len(run) >= 2 and (nxt is None or nxt[0] == "unit" and UNITS[nxt[1]] >= 10**4) \
                and not (len(run) == 2 and DIGITS[run[0][1]] > 0
                         and DIGITS[run[1][1]] == DIGITS[run[0][1]] + 1) \
                and not (DIGITS[run[0][1]] == 0 and i > 0):
            out.append(("arabic", "".join(str(DIGITS[t]) for _, t in run)))
            i = j
            continue
        out.extend(toks[i:j] or toks[i:i + 1])
        i = max(j, i + 1)
    return out


def _parse_units(toks: list[tuple[str, str]]) -> ZhValue | None:
    """Fold units into terms: a unit absorbs every earlier term of smaller magnitude.

    一千五百亿 -> terms (1000, 千) (500, 百), then 亿 folds both: (1500e8, 亿).
    """
    terms: list[tuple[float, int]] = []
    cur: float | None = None
    fill = has_unit = after_zero = False
    last_unit = biggest = 1
    prev_kind = None
    for n, (kind, tok) in enumerate(toks):
        if kind == "digit" and DIGITS[tok] == 0 and (prev_kind == "unit" or (
                n + 1 < len(toks) and toks[n + 1][0] == "unit")):
            after_zero = True            # 一百零五, 零十: 零 only marks a skipped place
            continue
        if kind in ("digit", "arabic"):
            if cur is not None and prev_kind in ("digit", "arabic"):
                return None              # two numbers with nothing between: not one number
            cur = float(DIGITS[tok]) if kind == "digit" else _arabic(tok)
        elif kind == "fill":
            if prev_kind not in ("unit", "arabic", "digit") or fill:
                return None
            fill = True
        elif kind == "unit":
            u = UNITS[tok]
            has_unit = True
            if cur is None:
                if prev_kind is None or (after_zero and u == 10):
                    cur = 1.0            # 十五 = 15, 十亿, 万卡, 一万零十二: a bare unit counts as one
                elif prev_kind == "unit" and u >= 10**4 and u <= last_unit:
                    # 万万 is 亿 (四万万 = 4e8): the unit multiplies everything so far
                    terms = [(v * u, mag * u) for v, mag in terms]
                    last_unit = biggest = max(biggest, terms[-1][1])
                    prev_kind = kind
                    continue
                elif u >= 10**4 and terms:
                    cur = 0.0            # 十万, 一千万: the big unit multiplies what is before
                else:
                    return None
            lower = sum(v for v, mag in terms if mag < u) + cur
            terms = [(v, mag) for v, mag in terms if mag >= u] + [(lower * u, u)]
            cur = None
            last_unit = u
            if u >= 10**4:
                biggest = max(biggest, u)
        else:
            return None
        prev_kind = kind
    total = sum(v for v, _ in terms)
    if cur is not None:
        # 一万五 = 15000, 两千三 = 2300: a trailing lone digit counts in the next unit down
        if prev_kind == "digit" and last_unit >= 100 and not after_zero:
            cur *= last_unit / 10
        total += cur
    return ZhValue(tidy(total), magnitude=biggest, has_unit=has_unit, fill=fill)


def tidy(value: float) -> float:
    """Drop binary noise from decimal scaling: 1100.9 * 1e8 is 110090000000, not ...00002."""
    return float(f"{value:.15g}")
