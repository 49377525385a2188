"""Score `find_mentions` on third-party number specs read from ../shared/conformance.

Recognizers-Text number specs: plain cardinal expectations (integers and decimals, no fractions,
ordinals or powers); currency specs: money with the right value, and the right ISO code when the
spec names one. JionLP money cases: value, and both ends for a range. An expected entity counts
as found when a mention overlapping its span carries its value (relative tolerance 1e-6).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from nlp.mentions import find_mentions

CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
NUMBER_FILES = {"zh_number": "zh", "en_number": "en"}
CURRENCY_FILES = {"zh_currency": "zh", "en_currency": "en"}
JIONLP_FILE = "zh_money_jionlp"


def available() -> bool:
    return (CONFORMANCE / "numbers").is_dir()


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _float(s) -> float | None:
    try:
        v = float(str(s).replace(",", ""))
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _cases(name: str):
    with open(CONFORMANCE / "numbers" / f"{name}.jsonl", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _overlapping(mentions, start: int, end_exclusive: int):
    return [m for m in mentions if m.start < end_exclusive and start < m.end]


def score_numbers(name: str, lang: str) -> dict:
    found = total = 0
    misses = []
    for case in _cases(name):
        if case.get("not_supported"):
            continue
        wanted = [e for e in case["expected"] if e.get("type") == "number"
                  and e.get("subtype") not in ("fraction", "power", "ordinal")
                  and _float(e.get("value")) is not None]
        if not wanted:
            continue
        mentions = find_mentions(case["input"], lang)
        for e in wanted:
            total += 1
            hits = _overlapping(mentions, e["start"], e["end"] + 1)
            if any(_close(m.value, _float(e["value"])) for m in hits):
                found += 1
            else:
                misses.append((case["input"], e["value"], [(m.text, m.value) for m in hits]))
    return {"file": name, "expected": total, "found": found,
            "share": round(found / total, 4) if total else 0.0, "misses": misses}


def score_currency(name: str, lang: str) -> dict:
    found = total = 0
    misses = []
    for case in _cases(name):
        if case.get("not_supported"):
            continue
        wanted = [e for e in case["expected"] if e.get("type") == "currency"
                  and _float(e.get("value")) is not None]
        if not wanted:
            continue
        mentions = find_mentions(case["input"], lang)
        for e in wanted:
            total += 1
            hits = [m for m in _overlapping(mentions, e["start"], e["end"] + 1) if m.kind == "money"]
            iso = e.get("iso")
            if any(_close(m.value, _float(e["value"])) and (not iso or m.currency == iso) for m in hits):
                found += 1
            else:
                misses.append((case["input"], e["value"], iso,
                               [(m.text, m.value, m.currency) for m in hits]))
    return {"file": name, "expected": total, "found": found,
            "share": round(found / total, 4) if total else 0.0, "misses": misses}


def score_jionlp() -> dict:
    found = total = 0
    misses = []
    for case in _cases(JIONLP_FILE):
        num = case["expected"]["num"]
        lo, hi = (num if isinstance(num, list) else (num, None))
        lo, hi = _float(lo), _float(hi)
        total += 1
        mentions = find_mentions(case["input"], "zh")
        if any(_close(m.value, lo) and _close(m.value_max, hi) for m in mentions):
            found += 1
        else:
            misses.append((case["input"], num, [(m.text, m.value, m.value_max) for m in mentions]))
    return {"file": JIONLP_FILE, "expected": total, "found": found,
            "share": round(found / total, 4) if total else 0.0, "misses": misses}


def score_all() -> list[dict]:
    out = [score_numbers(n, lg) for n, lg in NUMBER_FILES.items()]
    out += [score_currency(n, lg) for n, lg in CURRENCY_FILES.items()]
    out.append(score_jionlp())
    return out
