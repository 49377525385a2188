"""The data files under nlp/data, loaded once and compiled into matchers.

Lexicons are data (currencies, hedges, hardware, organisations, metrics): extending coverage
means editing a TOML file, not code.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


def load(name: str) -> dict:
    """A data file of nlp/data, parsed."""
    return tomllib.loads(resources.files("nlp").joinpath("data", name).read_text("utf-8"))


def _alternation(words: list[str]) -> str:
    """A regex alternation, longest first so that 'US$' wins over '$'."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


def _is_ascii_word(w: str) -> bool:
    return w[:1].isascii() and w[:1].isalpha()


@dataclass(frozen=True)
class CurrencyLexicon:
    before: re.Pattern          # matches a sign/word that ends right where a number starts
    after: re.Pattern           # matches a word that starts right where a number ends
    iso_before: dict            # (surface, lang) -> ISO
    iso_after: dict
    minor: re.Pattern           # a subunit word right after a number: 角, 分, cents
    minor_value: dict           # subunit word -> fraction of the main unit

    def sign_before(self, left: str, lang: str) -> tuple[int, str] | None:
        """The longest currency sign ending `left` that does not continue a word: (start, ISO).

        'Meta's $40 billion' is dollars, not Singapore dollars ("s $"); 'FORM 5' holds no ringgit.
        """
        for start in range(max(0, len(left) - 24), len(left)):
            if left[start].isspace():
                continue
            m = self.before.fullmatch(left, start)
            if not m:
                continue
            first, prev = m.group()[0], left[start - 1] if start else ""
            if re.fullmatch(r"a\s\$\s?", m.group()):
                continue                 # "a $20 million": the article, not A$ (tokenised "C $" is upper-case)
            if first.isascii() and first.isalpha() and prev and (
                    (prev.isascii() and prev.isalpha()) or prev in "'’"):
                continue
            iso = self.iso(self.iso_before, m.group(), lang)
            if iso:
                return start, iso
        return None

    def iso(self, table: dict, surface: str, lang: str) -> str | None:
        key = re.sub(r"\s+(?=\$)", "", surface.strip()).lower()     # "C $" is "C$"
        key = re.sub(r"^[个個枚]\s?", "", key)                         # 20个比特币
        return table.get((key, lang)) or table.get((key, "*"))


@cache
def currencies() -> CurrencyLexicon:
    iso_before: dict = {}
    iso_after: dict = {}
    before_words: list[str] = []
    after_words: list[str] = []
    data = load("currencies.toml")
    minor_value = {k.lower(): v for k, v in data["minor"].items()}
    minor = re.compile(rf"\s?(?:{_alternation(list(data['minor']))})(?![A-Za-z])", re.IGNORECASE)
    for c in data["currency"]:
        lang = "zh" if c.get("zh_only") else "en" if c.get("en_only") else "*"
        for w in c.get("before", []):
            iso_before.setdefault((w.lower(), lang), c["iso"])
            before_words.append(w)
        for w in c.get("after", []):
            iso_after.setdefault((w.lower(), lang), c["iso"])
            after_words.append(w)
    # A word currency must end at a word boundary (5 dollars, not 5 dollarsign); a sign need not.
    # "C $ 300 million", "hk $ 10": tokenised text puts a space inside the sign
    signs = _alternation(before_words).replace(r"\$", r"\s?\$")
    before = re.compile(rf"(?:{signs})\s?", re.IGNORECASE)
    # 20个比特币: a classifier may stand between the number and the currency
    after = re.compile(
        rf"\s?(?:[个個枚]\s?)?(?:{_alternation(after_words)})(?![A-Za-z])", re.IGNORECASE)
    return CurrencyLexicon(before, after, iso_before, iso_after, minor, minor_value)


@dataclass(frozen=True)
class HedgeLexicon:
    before: re.Pattern          # hedge ending where the number (or its currency) starts
    after: re.Pattern           # hedge starting where the mention ends
    kind_of: dict               # lower-cased surface -> about | over | under | up_to


@cache
def hedges(lang: str) -> HedgeLexicon:
    data = dict(load("hedges.toml")[lang])
    bridge = data.pop("bridge", [])
    kind_of: dict = {}
    before_words: list[str] = []
    after_words: list[str] = []
    for kind, where in data.items():
        for w in where.get("before", []):
            kind_of.setdefault(("before", w.lower()), kind)
            before_words.append(w)
        for w in where.get("after", []):
            kind_of.setdefault(("after", w.lower()), kind)
            after_words.append(w)
    if lang == "en":
        before = re.compile(rf"(?<![A-Za-z])(?P<hedge>{_alternation(before_words)})\s+$", re.IGNORECASE)
        after = re.compile(rf"(?:\s+|\s?(?=[-+]))(?:{_alternation(after_words)})(?![A-Za-z])",
                           re.IGNORECASE)
    else:
        verbs = rf"(?:{_alternation(bridge)})?" if bridge else ""
        before = re.compile(rf"(?P<hedge>{_alternation(before_words)})\s?{verbs}\s?$")
        after = re.compile(rf"\s?(?:{_alternation(after_words)})")
    return HedgeLexicon(before, after, kind_of)


@dataclass(frozen=True)
class Chip:
    name: str                   # canonical, may hold "{0}" filled from the pattern's group
    pattern: re.Pattern
    lower: bool = False         # the filled-in part is written lower-case (TPU v5p), else upper


@dataclass(frozen=True)
class HardwareLexicon:
    chips: tuple[Chip, ...]
    any_chip: re.Pattern        # any chip name, for finding the chip a bare count refers to
    generic_noun: re.Pattern    # "GPUs", "chips", "芯片" after a named chip
    vendor: re.Pattern          # vendor names and modifiers between a count and the chip
    product_line_before: re.Pattern   # RTX PRO 6000: a product line's word right before a number

    def match_at(self, text: str, pos: int) -> tuple[str, int] | None:
        """The longest chip name starting exactly at `pos`: (canonical name, end offset)."""
        best = None
        for chip in self.chips:
            m = chip.pattern.match(text, pos)
            if m and (best is None or m.end() > best[1]):
                parts = [(g.lower() if chip.lower else g.upper()) if g else "" for g in m.groups()]
                name = chip.name.format(*parts) if parts else chip.name
                best = (name.strip(), m.end())
        return best


_CHIP_TAIL = r"(?:s(?![A-Za-z]))?"      # H100s


@cache
def hardware() -> HardwareLexicon:
    data = load("hardware.toml")
    chips = []
    alts = []
    for c in data["chip"]:
        for p in c["patterns"]:
            # A Latin chip name must not run into more letters or digits: H100 is not H1000.
            guard = r"(?![A-Za-z0-9])" if re.search(r"[A-Za-z0-9]\)?\??$", p) else ""
            full = rf"(?:{p}){_CHIP_TAIL}{guard}" if guard else rf"(?:{p}){_CHIP_TAIL}"
            chips.append(Chip(c["name"], re.compile(full, re.IGNORECASE), c.get("case") == "lower"))
            alts.append(re.sub(r"\((?!\?)", "(?:", p))
    any_chip = re.compile(rf"(?<![A-Za-z0-9])(?:{'|'.join(alts)})", re.IGNORECASE)
    generic = re.compile(rf"\s?(?:{_alternation(data['generic_nouns'])})(?![A-Za-z])",
                         re.IGNORECASE)
    words = data["vendors"] + data["modifiers"]
    latin = [w for w in words if _is_ascii_word(w) or w.startswith("'")]
    han = [w for w in words if w not in latin]
    # Latin words end at a word boundary (AI, not AIR); Han words run straight into the chip (英伟达H100).
    vendor = re.compile(rf"\s?(?:(?:{_alternation(latin)})(?:'s|’s)?(?![A-Za-z0-9])|(?:{_alternation(han)}))",
                        re.IGNORECASE)
    # Chinese chip words are matched case-sensitively anyway (no case); Latin ones ignore case.
    product = re.compile(rf"(?<![A-Za-z])(?:{_alternation(data['product_lines'])})\s?$")
    return HardwareLexicon(tuple(chips), any_chip, generic, vendor, product)


@dataclass(frozen=True)
class Org:
    name: str
    role: str                   # buyer | vendor | media


@dataclass(frozen=True)
class OrgLexicon:
    orgs: dict                  # alias (as written) -> Org
    pattern: re.Pattern         # every alias, for a cheap scan of whole articles

    def lookup(self, surface: str) -> Org | None:
        return self.orgs.get(surface) or self.orgs.get(surface.lower())


@cache
def organisations() -> OrgLexicon:
    orgs: dict = {}
    words: list[str] = []
    for o in load("organizations.toml")["org"]:
        org = Org(o["name"], o["role"])
        for alias in o["aliases"]:
            orgs.setdefault(alias, org)
            orgs.setdefault(alias.lower(), org)
            words.append(alias)
    # Latin aliases need word boundaries (Meta, not Metaverse; AMD, not AMDahl).
    latin = [w for w in words if _is_ascii_word(w)]
    han = [w for w in words if not _is_ascii_word(w)]
    pattern = re.compile(
        rf"(?<![A-Za-z0-9])(?:{_alternation(latin)})(?![A-Za-z0-9])|(?:{_alternation(han)})")
    return OrgLexicon(orgs, pattern)


@cache
def money_context() -> re.Pattern:
    """Words that make a clause speak of money (營收, 資本開支, 賺): 215億 there is an amount."""
    return re.compile(_words_regex(load("currencies.toml")["context"]["money_words"]), re.IGNORECASE)


@cache
def metrics() -> dict[str, str]:
    """keyword (lower-cased) -> metric label."""
    out: dict = {}
    for metric, words in load("metrics.toml").items():
        for w in words:
            out.setdefault(w.lower(), metric)
    return out


@cache
def metric_pattern() -> re.Pattern:
    words = list(metrics())
    latin = [w for w in words if _is_ascii_word(w)]
    han = [w for w in words if not _is_ascii_word(w)]
    return re.compile(rf"(?<![A-Za-z])(?:{_alternation(latin)})(?![A-Za-z])|(?:{_alternation(han)})",
                      re.IGNORECASE)


@cache
def non_numbers() -> re.Pattern:
    """Words that contain numeral characters but are not numbers (一切, 万一, 统一)."""
    words = load("non_numbers.toml")["zh"]
    return re.compile(_alternation(words))


@cache
def exclusions() -> dict:
    return load("exclusions.toml")


def _words_regex(words: list[str]) -> str:
    """Alternation where Latin words need word boundaries (per, not percent) and Han words do not."""
    latin = [w for w in words if _is_ascii_word(w)]
    other = [w for w in words if not _is_ascii_word(w)]
    parts = []
    if latin:
        parts.append(rf"(?<![A-Za-z])(?:{_alternation(latin)})(?![A-Za-z])")
    if other:
        parts.append(rf"(?:{_alternation(other)})")
    return "|".join(parts)


@cache
def exclusion_patterns(table: str) -> tuple[re.Pattern | None, re.Pattern | None]:
    """(text right after a mention, text shortly before it) that make it no claim."""
    ex = exclusions().get(table, {})
    after = re.compile(rf"\s*(?:{_words_regex(ex['after'])})", re.IGNORECASE) if ex.get("after") else None
    before = re.compile(_words_regex(ex["before"]), re.IGNORECASE) if ex.get("before") else None
    return after, before


@cache
def counterparty_marker() -> re.Pattern:
    """Matches when the text before an organisation makes it a deal's counterparty."""
    words = load("roles.toml")["counterparty_before"]
    return re.compile(rf"(?:{_words_regex(words)})\s?(?:the\s)?$", re.IGNORECASE)


@cache
def counterparty_after() -> re.Pattern | None:
    """Matches the text right after an organisation that makes it a counterparty (以…中标)."""
    words = load("roles.toml").get("counterparty_after", [])
    return re.compile("|".join(f"(?:{w})" for w in words), re.IGNORECASE) if words else None


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def topic_key(surface: str) -> str:
    """A topic word as looked up: lower-case, hyphens and white space as one space ("Data-Center")."""
    return re.sub(r"[\s\-]+", " ", surface.strip()).lower()


@dataclass(frozen=True)
class TopicConcept:
    name: str
    weight: float
    kind: str                   # strong | context | negative | ignore (matched, counts for nothing)


@dataclass(frozen=True, eq=False)          # hashed by identity: a text collects its groups in a set
class TopicGroup:
    """The words that start alike (same first Latin token, or same first character), one pattern."""
    pattern: re.Pattern         # the words, longest first; spaces match white space or hyphens
    case_sensitive: bool        # run on the text as it is, else on the lower-cased text
    left_guard: bool            # Latin words: a match must not continue a word ("SAID" holds no AI)
    words: dict                 # lookup form -> (concept index, word as written in topic.toml)

    def word_of(self, matched: str) -> tuple[int, str] | None:
        """(concept, word) of a matched text; a plural (GPUs, data centres) finds its singular."""
        key = matched if self.case_sensitive else topic_key(matched)
        for k in (key, key[:-1], key[:-2]):
            if k in self.words:
                return self.words[k]
        return None


TOPIC_TOKEN = re.compile(r"[a-z0-9]+")     # Latin tokens of lower-cased text, the index's keys


@dataclass(frozen=True)
class TopicLexicon:
    concepts: tuple[TopicConcept, ...]
    by_token: dict              # first Latin token of a word, lower-case, also with s/es -> groups
    by_char: dict               # first character of a Han (or other) word -> groups
    han_first: re.Pattern       # any character of by_char, to collect those in a text quickly
    params: dict                # threshold, half_evidence, title_bonus... (see topic.toml)


@cache
def topic() -> TopicLexicon:
    """The vocabulary of topic.toml, compiled for nlp/topic.py.

    Words are grouped by how they start (first Latin token, or first character) and indexed by it:
    a text is scanned once for its tokens and characters, and only the groups whose start occurs
    in it run their pattern. One alternation of all the words would try each of them at every
    character and cost milliseconds on a long article.
    """
    data = load("topic.toml")
    kinds = {kind: data.get(kind, []) for kind in ("strong", "context", "negative")}
    kinds["ignore"] = [{"name": "ignore", "weight": 0, "words": data.get("ignore", [])}]
    concepts: list[TopicConcept] = []
    grouped: dict = {}          # (first token or char, case-sensitive) -> {key: (concept, word)}
    for kind, entries in kinds.items():
        for c in entries:
            index = len(concepts)
            concepts.append(TopicConcept(c["name"], float(c["weight"]), kind))
            for w, exact in [(w, False) for w in c.get("words", [])] + \
                            [(w, True) for w in c.get("case_sensitive", [])]:
                key = w.strip() if exact else topic_key(w)
                lead = TOPIC_TOKEN.match(key.lower())
                start = lead.group() if lead else key[0].lower()
                grouped.setdefault((start, exact), {}).setdefault(key, (index, w))
    by_token: dict = {}
    by_char: dict = {}
    for (start, exact), words in grouped.items():
        alts = []
        for key in sorted(words, key=len, reverse=True):
            body = r"[\s\-]+".join(re.escape(part) for part in re.split(r"[\s\-]+", key))
            # A Latin word must end a word (GPU, not GPUDirect) but may take a plural (GPUs);
            # a Han word may run into anything (数据中心园区).
            alts.append(body + (r"(?:es|s)?(?![A-Za-z0-9])" if _is_ascii_alnum(key[-1]) else ""))
        latin = _is_ascii_alnum(start[0])
        group = TopicGroup(re.compile("|".join(alts)), exact, latin, words)
        if latin:
            # "gpus" in a text finds the GPU group; "data" the "data center" group
            single = any(TOPIC_TOKEN.fullmatch(k.lower()) for k in words)
            for form in {start, start + "s", start + "es"} if single else {start}:
                by_token.setdefault(form, []).append(group)
        else:
            by_char.setdefault(start, []).append(group)
    han_first = re.compile("[" + "".join(re.escape(ch) for ch in sorted(by_char)) + "]")
    params = {k: v for k, v in data.items() if k not in ("strong", "context", "negative", "ignore")}
    return TopicLexicon(tuple(concepts), {k: tuple(v) for k, v in by_token.items()},
                        {k: tuple(v) for k, v in by_char.items()}, han_first, params)
