"""English number words and magnitude suffixes.

`WORD_RUN` finds runs such as "twenty-four thousand", "one hundred and six", "a million",
"five and a half million"; `parse_words` values them. Digits with a magnitude ("1.5 billion",
"16K", "$37bn") are scanned in `nlp.quantities`, which asks `MAGNITUDES` for the multiplier.
"""
from __future__ import annotations

import re

ONES = {
    "zero": 0, "nought": 0, "naught": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
        "eighty": 80, "ninety": 90}
SCALES = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
          "trillion": 10**12}

# Magnitude words and abbreviations that may follow digits: 1.5 billion, 16K, $37bn, 2tn.
MAGNITUDES = {
    "thousand": 10**3, "k": 10**3,
    "million": 10**6, "millions": 10**6, "mn": 10**6, "mln": 10**6, "mil": 10**6, "m": 10**6,
    "mm": 10**6,
    "billion": 10**9, "billions": 10**9, "bn": 10**9, "bln": 10**9, "b": 10**9,
    "trillion": 10**12, "tn": 10**12, "trn": 10**12, "tln": 10**12, "t": 10**12,
    "hundred": 100, "lakh": 10**5, "crore": 10**7,     # 13 lakh, 1 crore: Indian English
}

_WORD = "|".join(sorted([*ONES, *TENS, *SCALES], key=len, reverse=True))
_JOIN = r"(?:\s+and\s+|\s*-\s*|\s+)"
_DIGIT_WORDS = "|".join(sorted([*ONES, *TENS], key=len, reverse=True))
WORD_RUN = re.compile(
    rf"\b(?:(?P<minus>minus|negative)\s+)?"
    rf"(?:(?:a|an|half\s+an?)\s+(?=(?:hundred|thousand|million|billion|trillion)\b))?"
    rf"(?:{_WORD})(?:{_JOIN}(?:a\s+half|(?:{_WORD})))*"
    rf"(?:\s+point(?:[\s-]+(?:{_DIGIT_WORDS}))+)?\b",
    re.IGNORECASE,
)


def parse_words(run: str) -> float | None:
    """Value a run of number words; None when the words do not form one number."""
    words = re.findall(r"[a-z]+", run.lower())
    sign = 1.0
    if words and words[0] in ("minus", "negative"):
        sign, words = -1.0, words[1:]
    if "point" in words:
        k = words.index("point")
        whole = parse_words(" ".join(words[:k])) if k else 0.0
        digits = []
        for w in words[k + 1:]:              # "point seventy-one": 7 then 1
            if w in ONES:
                digits.append(str(ONES[w]))
            elif w in TENS:
                digits.append(str(TENS[w] // 10))
            else:
                return None
        decimals = "".join(digits)
        if whole is None or not decimals:
            return None
        return sign * (whole + float("0." + decimals))
    if words[:1] == ["half"] and words[1:2] in (["a"], ["an"]):
        rest = parse_words(" ".join(words[1:]))   # half a trillion = 5e11
        return sign * rest / 2 if rest is not None else None
    if words and words[0] in SCALES:
        return None                      # "billion" alone is a word, not a number
    total = 0.0
    cur = 0.0
    seen_number = False
    last = None                          # "one two" and "twenty thirty" are two numbers, not one
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("a", "an"):
            if i + 1 < len(words) and words[i + 1] == "half":
                cur += 0.5
                i += 2
                seen_number = True
                continue
            cur = cur or 1.0
        elif w == "and":
            pass
        elif w in ONES:
            if last in ("ones", "teen") or (last == "tens" and ONES[w] >= 10):
                return None
            cur += ONES[w]
            seen_number = True
            last = "ones" if ONES[w] < 10 else "teen"
            i += 1
            continue
        elif w in TENS:
            if last in ("ones", "teen", "tens"):
                return None
            cur += TENS[w]
            seen_number = True
            last = "tens"
            i += 1
            continue
        elif w == "hundred":
            cur = (cur or 1.0) * 100
            seen_number = True
        elif w in SCALES:
            total += (cur or 1.0) * SCALES[w]
            cur = 0.0
            seen_number = True
        else:
            return None
        last = w
        i += 1
    return sign * (total + cur) if seen_number else None
