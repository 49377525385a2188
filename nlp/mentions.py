"""Stage two of the number grammar: a quantity becomes a mention.

Around each quantity from `nlp.quantities` this attaches, in order: a hedge and a currency sign
before it; a range partner (385-410亿, $37bn-$40bn, between $60 billion and $65 billion) whose
magnitude and currency apply to both ends; then after it a percent sign, a power unit, a currency
word, or a chip (with classifier, vendor and modifiers), and a trailing hedge. What nothing
attaches to stays a plain `number`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from nlp import lexicon, numbers_zh, sentences
from nlp.quantities import Quantity, scan
from nlp.textnorm import detect_lang, fold
from nlp.types import Mention

_PERCENT = re.compile(r"\s?(?:%|percent(?:age points?)?(?![A-Za-z])|per cent(?![A-Za-z])"
                      r"|pct(?![A-Za-z])|个百分点|個百分點|百分点)", re.IGNORECASE)
# Power in watts. Energy (kWh, 千瓦时, GW-hours) is not power: the lookahead refuses it.
_POWER_UNITS = {"gw": 1e9, "gigawatt": 1e9, "gigawatts": 1e9, "吉瓦": 1e9, "千兆瓦": 1e9,
                "mw": 1e6, "megawatt": 1e6, "megawatts": 1e6, "兆瓦": 1e6,
                "kw": 1e3, "kilowatt": 1e3, "kilowatts": 1e3, "千瓦": 1e3,
                "tw": 1e12, "terawatt": 1e12, "terawatts": 1e12, "瓦": 1.0, "瓦特": 1.0, "瓩": 1e3}
# A Latin unit must end a word (MW, not MWh); a Han unit may run into a name (27兆瓦GB300資料中心).
# 瓩 is the Taiwanese kilowatt (百萬瓩 = 1e6 kW): 百萬 is read as part of the number.
_POWER = re.compile(
    r"\s?-?\s?(?:(GW|MW|kW|TW|gigawatts?|megawatts?|kilowatts?|terawatts?)(?![A-Za-z])"
    r"|(千兆瓦|吉瓦|兆瓦|千瓦|瓦特|瓩|瓦))"
    r"(?!\s?(?:h\b|hours?\b|时|時|小时|小時|·时|·時)|-?hours?)", re.IGNORECASE)
_CLASSIFIER = re.compile(r"\s?[块塊张張颗顆枚片台个個]")
_BARE_CLASSIFIER = "块塊张張颗顆枚片个個"    # a count of chips named earlier: 另一个集群配备24,000块
# English nouns that stand for the chip named earlier: "output will rise to 650,000 units"
_BARE_NOUN = re.compile(r"\s(?:units|processors)(?![A-Za-z])", re.IGNORECASE)
_BARE_NOUN_NEXT = re.compile(r"\s+(?:in|by|this|next|last|a|an|the|to|from|for|on|at|over)\b")
_CLAUSE_END = re.compile(r"\s*(?:$|[，。；、！？,.;!?）)」”]|的|用于|用來|用来|来|来自|组成|构成|搭建)")
_RANGE_SEP = re.compile(r"\s?(?:-{1,2}|~|〜|～|至|到|to(?![A-Za-z])|through(?![A-Za-z]))\s?", re.IGNORECASE)
_BETWEEN = re.compile(r"(?:between|介于|介於)\s?$", re.IGNORECASE)
_BETWEEN_AND = re.compile(r"\s?(?:and|和|与|與)\s?", re.IGNORECASE)
_BETWEEN_SEP = re.compile(r"\s?(?:and|和|与|與|至|到|-{1,2}|~|～)\s?", re.IGNORECASE)
_FROM = re.compile(r"(?:from|从|從|由)\s?\S{0,6}$", re.IGNORECASE)
_LETTER_AFTER = re.compile(r"[A-Za-z]")
_YEAR_AFTER = re.compile(r"\s?(?:年|财年|財年|年度|fiscal)")
_DATE_AFTER = re.compile(r"\s?(?:月|日|号|號|月份)")
_FIGURE = re.compile(r"\d|[〇○零一二三四五六七八九十百千萬万億亿兆]{2,}")
_PERCENT_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|percent\b|個百分點|个百分点)")
_FEW_WORDS_BACK = 160                        # how far back a bare count looks for its chip


@dataclass(slots=True)
class _Draft:
    kind: str
    start: int
    end: int
    value: float
    value_max: float | None = None
    unit: str | None = None
    currency: str | None = None
    approx: str | None = None
    flags: set | None = None


def find_mentions(text: str, lang: str | None = None) -> list[Mention]:
    """Every numeric mention in `text`, unfiltered, in order."""
    if not text:
        return []
    lang = lang or detect_lang(text)
    folded = fold(text)
    quantities = scan(folded)
    spans = None                       # sentence spans, computed when a bare count needs them
    out: list[Mention] = []
    covered = 0                        # end of the last mention: 2万块昇腾910B holds no second number
    i = 0
    while i < len(quantities):
        q = quantities[i]
        if q.start < covered:
            i += 1
            continue
        draft, consumed = _attach(folded, quantities, i, lang, covered)
        i += consumed
        if draft is None:
            continue
        if draft.kind == "bare_count":
            spans = spans or sentences.split(folded)
            chip = _chip_named_before(folded, spans, q.start)
            if chip is None:
                draft.kind, draft.end = "number", q.end
            else:
                draft.kind, draft.unit = "gpu_count", chip
        if q.bare_unit and draft.kind in ("number", "power"):
            continue                   # 万, 百亿 alone are words; 百萬瓦 alone names a unit (300MW（百萬瓦）)
        covered = draft.end
        out.append(Mention(
            kind=draft.kind, text=text[draft.start:draft.end], start=draft.start, end=draft.end,
            value=draft.value, value_max=draft.value_max, unit=draft.unit,
            currency=draft.currency, approx=draft.approx,
            flags=frozenset(draft.flags or ())))
    return out


def _attach(t: str, qs: list[Quantity], i: int, lang: str,
            covered: int = 0) -> tuple[_Draft | None, int]:
    """Build the mention that starts with quantity i; returns it and how many quantities it used.

    `covered` is where the previous mention ended: its currency word (4人民币 5美元) is not ours.
    """
    q = qs[i]
    consumed = 1
    d = _Draft("number", q.start, q.end, q.value, q.value_max, flags=set())
    if q.percent:
        d.kind, d.unit = "percent", "%"
        return d, 1
    # -- before: currency sign, then hedge
    cur_lex = lexicon.currencies()
    left = t[max(0, covered, q.start - 24):q.start]
    sign = cur_lex.sign_before(left, lang)
    inner_hedge = None
    if sign:
        d.kind, d.currency = "money", sign[1]
        d.start = q.start - (len(left) - sign[0])
    else:
        # 新台幣約12.5兆元, US$ about 5 billion: a hedge between the currency and the number
        h = _hedge_span_before(t, q.start, lang)
        if h:
            left2 = t[max(0, covered, h[0] - 24):h[0]]
            sign = cur_lex.sign_before(left2, lang)
            if sign:
                d.kind, d.currency = "money", sign[1]
                d.start = h[0] - (len(left2) - sign[0])
                inner_hedge = h[1]
    d.approx = _hedge_before(t, d.start, lang) or inner_hedge
    if q.fill:
        d.approx = d.approx or "over"
    if t[q.start] in numbers_zh.VAGUE:            # 数十亿, 數百萬: "several", no figure
        d.flags.add("vague")
        if q.value_max is not None and d.approx is None:
            d.approx = "about"
    # -- a range partner
    last = q
    if i + 1 < len(qs) and not q.percent:
        partner = _range_partner(t, q, qs[i + 1], d, lang)
        if partner:
            lo, hi, cur2 = partner
            d.value, d.value_max = lo, hi
            if cur2 and not d.currency:
                d.kind, d.currency = "money", cur2
            last = qs[i + 1]
            consumed = 2
    d.end = last.end
    pos = last.end
    # -- after: hedge glued to the number (30多万, 1,000-plus), then the unit of the mention
    pos, d.approx = _hedge_after(t, pos, lang, d.approx)
    if _VAGUE_PLURAL.match(t, pos):
        d.flags.add("vague")           # "$10s of millions": no figure
    unit_end = _attach_unit(t, pos, d, lang)
    if unit_end is None:
        if _LETTER_AFTER.match(t, pos) and not q.words:
            return None, consumed      # 5G, 3D, 7nm, 1st: a name or a unit we do not track
        if lang == "zh" and (_coordinated_currency(t, qs, i + consumed - 1, d, lang)
                             or _implied_money(t, q, d, pos)):
            return d, consumed
        _flag_plain(t, q, d)
        return d, consumed
    if d.kind == "gpu_count" and _PRODUCT_LINE_BEFORE(t, d.start):
        return None, consumed          # RTX PRO 6000 Blackwell: a model name, not 6000 chips
    d.end = unit_end
    while d.kind == "money" and i + consumed < len(qs) and _attach_minor(t, d, qs[i + consumed]):
        consumed += 1
    _, d.approx = _hedge_after(t, d.end, lang, d.approx)
    if d.kind in ("money", "gpu_count", "bare_count") and \
            _excluded(t, d, "gpu_count" if d.kind == "bare_count" else d.kind):
        d.flags.add("per_unit")         # $2.50 per share, 8 GPUs per server: prices and specs
    return d, consumed


def _hedge_before(t: str, start: int, lang: str) -> str | None:
    left = t[max(0, start - 20):start]
    for lg in ((lang, "en") if lang == "zh" else ("en",)):
        lex = lexicon.hedges(lg)
        m = lex.before.search(left)
        if m:
            return lex.kind_of.get(("before", m.group("hedge").strip().lower()))
    return None


def _hedge_span_before(t: str, start: int, lang: str) -> tuple[int, str] | None:
    """(where the hedge starts, its kind) for a hedge ending right at `start`."""
    left = t[max(0, start - 20):start]
    for lg in ((lang, "en") if lang == "zh" else ("en",)):
        lex = lexicon.hedges(lg)
        m = lex.before.search(left)
        if m:
            kind = lex.kind_of.get(("before", m.group("hedge").strip().lower()))
            return start - len(left) + m.start(), kind
    return None


_VAGUE_PLURAL = re.compile(r"s\s+of\s+(?:thousands|millions|billions|trillions)\b", re.IGNORECASE)
_COORDINATION = re.compile(r"\s?(?:和|与|與|及|、|或)\s?")
# After 億 with no currency word: a counted thing (10亿用户, 1.6億的股票) is not money.
_COUNTED_AFTER = re.compile(r"[人名位股張张个個件台次的户戶家條条顆颗块塊片枚部辆輛年月日天倍]")


def _coordinated_currency(t: str, qs: list[Quantity], i: int, d: _Draft, lang: str) -> bool:
    """645.5亿和448亿美元: the first figure of a pair takes the currency written after the second."""
    if i + 1 >= len(qs) or qs[i].multiplier != qs[i + 1].multiplier:
        return False
    nxt = qs[i + 1]
    if not _COORDINATION.fullmatch(t, d.end, nxt.start):
        return False
    cur_lex = lexicon.currencies()
    m = cur_lex.after.match(t, nxt.end)
    iso = cur_lex.iso(cur_lex.iso_after, m.group().strip(), lang) if m else None
    if not iso or _is_not_currency(t, m):
        return False
    d.kind, d.currency = "money", iso
    if m.group().strip() in ("元", "圆"):
        d.flags.add("generic_yuan")
    return True


def _implied_money(t: str, q: Quantity, d: _Draft, pos: int) -> bool:
    """資本開支215億, 日賺逾56億: 億 (or 兆) with no currency word where the clause speaks of money.

    The currency is left open (flag `implied_currency`); `nlp.currency_context` fills it from the
    paragraph or the page's locale."""
    if q.multiplier < 1e8 or q.value_max is not None or _COUNTED_AFTER.match(t, pos):
        return False
    clause = re.split(r"[，。；,;!?！？\n]", t[max(0, d.start - 16):d.start])[-1]
    if not lexicon.money_context().search(clause):
        return False
    if _excluded(t, d, "number") or _excluded(t, d, "money"):
        return False
    d.kind = "money"
    d.flags.add("implied_currency")
    return True


def _PRODUCT_LINE_BEFORE(t: str, start: int) -> bool:
    return bool(lexicon.hardware().product_line_before.search(t, max(0, start - 16), start))


def _hedge_after(t: str, pos: int, lang: str, approx: str | None) -> tuple[int, str | None]:
    for lg in ((lang, "en") if lang == "zh" else ("en",)):
        lex = lexicon.hedges(lg)
        m = lex.after.match(t, pos)
        if m:
            word = m.group().strip().lower()
            kind = lex.kind_of.get(("after", word)) or lex.kind_of.get(("after", word.lstrip("-")))
            return m.end(), approx or kind
    return pos, approx


def _range_partner(t: str, q1: Quantity, q2: Quantity, d: _Draft, lang: str):
    """(low, high, currency of the second end) when q1 and q2 form one range, else None."""
    if q1.percent or q2.percent or q1.value_max is not None or q2.value_max is not None:
        return None
    between = _BETWEEN.search(t[max(0, d.start - 12):d.start])
    sep_re = _BETWEEN_SEP if between else _RANGE_SEP   # 介於380億至420億美元之間
    gap = t[q1.end:q2.start]
    cur_lex = lexicon.currencies()
    cur1 = None                        # 1万元-5万元: the first end may carry the currency word
    own = cur_lex.after.match(gap)
    if own:
        cur1 = cur_lex.iso(cur_lex.iso_after, own.group().strip(), lang)
        if cur1:
            gap = gap[own.end():]
    sep = sep_re.fullmatch(gap)
    cur2 = None
    if not sep:
        # $37bn-$40bn: a currency sign may open the second end too
        sep_m = sep_re.match(gap)
        if not sep_m:
            return None
        sign = cur_lex.sign_before(gap[sep_m.end():], lang)
        cur2 = sign[1] if sign and sign[0] == 0 else None
        if not cur2 or (d.currency and cur2 != d.currency):
            return None
    elif not between and sep.group().strip().lower() in ("至", "到", "to", "through") \
            and _FROM.search(t[max(0, d.start - 12):d.start]):
        return None                    # "from $5 billion to $8 billion" is a change, not a range
    lo, hi = q1.value, q2.value
    # 385-410亿, $37-40 billion, 一百二十到一百五十万: the second end's magnitude applies to both;
    # 两到三仟: a lone digit takes the second end's unit.
    if q1.multiplier == 1 and q2.multiplier > 1:
        scale = q2.multiplier
    elif q1.head == q1.value:
        scale = _unit_scale(q2)
    else:
        scale = 1.0
    if scale > 1 and lo * scale <= hi * 1.0000001:
        lo = lo * scale
    if not lo < hi:
        return None                    # 2024-25, 10-5: not a range of one quantity
    if cur1:
        # then the second end must carry the same currency word
        after = cur_lex.after.match(t, q2.end)
        if not after or cur_lex.iso(cur_lex.iso_after, after.group().strip(), lang) != cur1:
            return None
        cur2 = cur2 or cur1
    return lo, hi, cur2


def _unit_scale(q: Quantity) -> float:
    """The unit written after a quantity's leading digit: 1000 for 三仟, 100 for 3百; else 1."""
    if q.head:
        ratio = q.value / q.head
        power = round(math.log10(ratio)) if ratio > 0 else 0
        if power >= 1 and math.isclose(ratio, 10 ** power):
            return float(10 ** power)
    return 1.0


def _attach_unit(t: str, pos: int, d: _Draft, lang: str) -> int | None:
    """Attach a percent sign, power unit, currency word or chip after the number; its end."""
    if d.kind == "money":
        m = lexicon.currencies().after.match(t, pos)
        if m:                          # US$5 billion dollars: the word repeats the sign
            iso = lexicon.currencies().iso(lexicon.currencies().iso_after, m.group().strip(), lang)
            generic = m.group().strip() in ("元", "圆")     # 新台币177亿元: 元 is the unit of any dollar
            if (iso == d.currency or generic) and not _is_not_currency(t, m):
                return m.end()
        return pos
    m = _PERCENT.match(t, pos)
    if m:
        d.kind, d.unit = "percent", "%"
        return m.end()
    m = _POWER.match(t, pos)
    if m:
        d.kind, d.unit = "power", "W"
        mult = _POWER_UNITS[(m.group(1) or m.group(2)).lower()]
        d.value *= mult
        if d.value_max is not None:
            d.value_max *= mult
        return m.end()
    cur_lex = lexicon.currencies()
    m = cur_lex.after.match(t, pos)
    if m and not _is_not_currency(t, m):
        iso = cur_lex.iso(cur_lex.iso_after, m.group().strip(), lang)
        if iso:
            d.kind, d.currency = "money", iso
            if m.group().strip() in ("元", "圆"):
                d.flags.add("generic_yuan")      # 元 alone: the page's dollar (TWD, HKD) or yuan
            return m.end()
    return _attach_chip(t, pos, d)


_MINOR_GAP = re.compile(r"\s?(?:又|and\s)?\s?", re.IGNORECASE)


def _attach_minor(t: str, d: _Draft, q: Quantity) -> bool:
    """五元三毛, 123元1角1分, 3 dollars 50 cents: a subunit adds to the amount."""
    cur = lexicon.currencies()
    gap = _MINOR_GAP.fullmatch(t, d.end, q.start)
    unit = cur.minor.match(t, q.end) if gap else None
    if not unit or d.value_max is not None:
        return False
    d.value = round(d.value + q.value * cur.minor_value[unit.group().strip().lower()], 6)
    d.end = unit.end()
    return True


def _is_not_currency(t: str, m: re.Match) -> bool:
    """元 in 元宇宙/元素, 'won' the verb: currency words that are something else here."""
    word = m.group().strip()
    nxt = t[m.end():m.end() + 1]
    if word in ("元", "圆") and nxt and nxt in "宇素件旦首老气代":
        return True
    if word.lower() == "won" and t[m.end():m.end() + 4].strip().lower().startswith(("the", "a ")):
        return True
    return False


def _attach_chip(t: str, pos: int, d: _Draft) -> int | None:
    hw = lexicon.hardware()
    p = pos
    cls = _CLASSIFIER.match(t, p)
    if cls:
        p = cls.end()
    for _ in range(4):                 # vendor and modifiers: 35万块英伟达H100, 100,000 of Nvidia's
        m = hw.vendor.match(t, p)
        if not m:
            break
        # a vendor word that is itself the chip's start (Ascend 910B) is left for the chip
        if hw.match_at(t, p + (1 if t[p:p + 1] == " " else 0)) and m.group().strip() in ("Ascend", "昇腾"):
            break
        p = m.end()
    q = p + 1 if t[p:p + 1] == " " else p
    chip = hw.match_at(t, q)
    if chip:
        name, end = chip
        if name not in ("GPU", "accelerator"):
            g = hw.generic_noun.match(t, end)
            if g:
                end = g.end()
        d.kind, d.unit = "gpu_count", name
        return end
    if cls and cls.group().strip() in _BARE_CLASSIFIER and p == cls.end() and _CLAUSE_END.match(t, p):
        d.kind = "bare_count"
        return cls.end()
    noun = _BARE_NOUN.match(t, pos)
    if noun and (_CLAUSE_END.match(t, noun.end()) or _BARE_NOUN_NEXT.match(t, noun.end())):
        d.kind = "bare_count"
        return noun.end()
    return None


def _chip_named_before(t: str, spans: list[tuple[int, int]], offset: int) -> str | None:
    """The chip a bare count refers back to: the last one named earlier in the sentence or the one before."""
    k = sentences.index_of(spans, offset)
    start = spans[k - 1][0] if k > 0 else spans[k][0]
    start = max(start, offset - _FEW_WORDS_BACK)
    hw = lexicon.hardware()
    last = prev = None
    for m in hw.any_chip.finditer(t, start, offset):
        # 昇騰晶片: a generic noun right after a named chip names that chip
        if last is not None and last.end() == m.start():
            prev = last
        else:
            prev = None
        last = m
    if last is None:
        return None
    if prev is not None:
        last = prev
    found = hw.match_at(t, last.start())
    return found[0] if found else None


def _flag_plain(t: str, q: Quantity, d: _Draft) -> None:
    year_word = _YEAR_AFTER.match(t, q.end)
    if (q.arabic_int and (year_word or (1900 <= q.value <= 2100 and q.end - q.start == 4))) \
            or (q.digits_only and year_word):
        d.flags.add("year")
    if _DATE_AFTER.match(t, q.end):
        d.flags.add("date")
    if _excluded(t, d, "number"):
        d.flags.add("not_claim")


def _excluded(t: str, d: _Draft, table: str) -> bool:
    after_re, before_re = lexicon.exclusion_patterns(table)
    # the words before may be a few characters off: 每股收益为2.1美元, price target of $500
    before = re.split(r"[，。；,;!?！？\n]|\.\s", t[max(0, d.start - 40):d.start])[-1]
    # a cue belongs to the nearest figure after it: 以每股6.01美元的價格投資諾基亞十億美元; a
    # percentage is no such figure ("shares climbed 7% to $158.20" is still a share price)
    before = _FIGURE.split(_PERCENT_FIGURE.sub(" ", before))[-1]
    return bool(after_re and after_re.match(t, d.end)) or bool(before_re and before_re.search(before))
