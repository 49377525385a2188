"""Who a claim is about: the buyer or spender rather than the vendor.

In the sentence: the nearest organisation before the figure (news puts the actor first:
"Meta will buy 350,000 Nvidia H100s"), skipping vendors when a buyer is present, unless the
figure is the vendor's own revenue or profit, and skipping counterparties (pay Oracle, 向英伟达,
the organisations listed with them, a tender's winner, the customers a supplier benefits from).
No organisation in the sentence: the nearest one mentioned earlier in the article; none earlier:
the article's main organisation. Media (Reuters, The Information) are never subjects.

Before that (nlp.claims calls them in order, the rules' words are data in subjects.toml):
- a figure of the whole industry or a sum over several companies has no subject (`industry_wide`);
- "respectively"/分别 pairs the n-th figure with the n-th organisation listed;
- a capacity written right before a name is that organisation's (`premodified`);
- a figure named again in a sentence naming no one keeps the subject it had;
- a bare 政府 is the government of the page's locale;
- "the company"/公司/管理层 before the figure, or a company's own figure (revenue, inventory, a
  charge) in a sentence naming no one: the topic of the sentence before, else the organisation the
  article is about (`salient`), not the last one named in passing.
After it: a parent named by its child (Google母公司), and a joint venture named with two or more of
its partners (`joint_venture`).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from nlp import lexicon
from nlp.entities import OrgMention

OWN = "own"                               # the metric given for a vendor's own figure (库存, buyback)
OWN_FIGURES = {"revenue", "profit", "shipments", "charge", OWN}   # metrics where a vendor speaks of itself
# A vendor's own spending: the investor, not the investee (輝達投資OpenAI), its own capex.
SPENDER_FIGURES = {"capex", "investment", "spend"}
_LOOKBACK_BUYER = 400                      # chars: how far a fallback prefers a buyer to a vendor


def in_sentence(orgs: list[OrgMention], offset: int, metric: str | None,
                text: str = "", buyers_only: bool = False, money: bool = True) -> str | None:
    """Subject among the organisations of the claim's sentence (offsets into `text`).

    An organisation introduced as the other party ("pay Oracle", "从微软") is passed over while
    another one is there. With `buyers_only`, a sentence naming only vendors gives None, so
    the caller can look for the buyer in the sentences before ("向英伟达采购10万块H20").
    """
    orgs = [o for o in orgs if o.role != "media"]
    # organisations the lexicon knows outrank guesses of the statistical NER ("Abilene")
    orgs = [o for o in orgs if o.known] or orgs
    if not orgs:
        return None
    principal = principals(orgs, text)
    r = _rules()
    if metric in r.seller_metrics and any(o.name not in r.sellers for o in orgs) \
            and any(o.name in r.sellers for o in orgs):
        # the compute seller's customer pays the contract
        principal = {o for o in principal if o.name not in r.sellers} or principal
        orgs = [o for o in orgs if o.name not in r.sellers]
    before = [o for o in reversed(orgs) if o.end <= offset]      # nearest first
    after = [o for o in orgs if o.start >= offset]
    if metric in OWN_FIGURES and before:
        # the nearest that is not a customer listed as a counterparty (受惠輝達、博通等客戶)
        return next((o for o in before if o in principal), before[0]).name
    if metric in SPENDER_FIGURES and money:
        # the principal that spends, whatever its role; the investee is a counterparty
        investee = _rules().investee
        principal = {o for o in principal if not investee.search(text[max(0, o.start - 4):o.start])}
        for group in ([o for o in before if o in principal], [o for o in after if o in principal]):
            if group:
                return group[0].name
    buyers_only = buyers_only and metric not in OWN_FIGURES
    buyers_first = (
        [o for o in before if o.role != "vendor" and o in principal],
        [o for o in after if o.role != "vendor" and o in principal],
        # a sentence naming only counterparties (为Anthropic训练) leaves the subject to the
        # sentences before, when the caller asks for buyers only
        [o for o in before if o.role != "vendor"],
        [o for o in after if o.role != "vendor"],
        before if not buyers_only else [], after if not buyers_only else [],
    )
    for group in buyers_first:
        if group:
            return group[0].name
    return None


def from_context(article_orgs: list[OrgMention], offset: int, metric: str | None,
                 buyers_only: bool = False) -> str | None:
    """The nearest organisation named earlier in the article, preferring a nearby buyer."""
    earlier = [o for o in article_orgs if o.end <= offset and o.role != "media"]
    if buyers_only and metric not in OWN_FIGURES | SPENDER_FIGURES:
        earlier = [o for o in earlier if o.role != "vendor"]
    if not earlier:
        return None
    nearest = earlier[-1]
    if nearest.role == "vendor" and metric not in OWN_FIGURES:
        for o in reversed(earlier):
            if offset - o.end > _LOOKBACK_BUYER:
                break
            if o.role != "vendor":
                return o.name
    return nearest.name


def main_organisation(article_orgs: list[OrgMention], title_end: int) -> str | None:
    """The article's main organisation: the most named buyer (title mentions count double)."""
    counts: Counter = Counter()
    for o in article_orgs:
        if o.role == "media":
            continue
        counts[o.name] += (2 if o.start < title_end else 1) * (1 if o.role != "vendor" else 0.5)
    return counts.most_common(1)[0][0] if counts else None


def principals(orgs: list[OrgMention], text: str) -> set[OrgMention]:
    """The organisations of a sentence that are not a deal's counterparty.

    A counterparty word before an organisation ("pay Oracle", 向英伟达) makes it a counterparty,
    and so the organisations listed with it (与英伟达、博通及微软) and a repeat of its name in
    brackets (甲骨文(Oracle)).
    """
    marker = lexicon.counterparty_marker()
    after = lexicon.counterparty_after()
    sep = _rules().list_sep
    out: set = set()
    prev = None
    for o in orgs:
        counter = bool(marker.search(text[max(0, o.start - 16):o.start])) \
            or bool(after and after.search(text[o.end:o.end + 40]))
        if not counter and prev is not None and prev not in out:
            gap = text[prev.end:o.start]
            counter = bool(sep.fullmatch(gap) or re.fullmatch(r"\s*[(（]\s*", gap))
        if not counter:
            out.add(o)
        prev = o
    return out


@dataclass(frozen=True)
class _Rules:
    aggregate: re.Pattern
    aggregate_clause: re.Pattern
    unit_rate: re.Pattern
    list_sep: re.Pattern
    list_min: int
    anaphora: re.Pattern
    joint: re.Pattern
    government: re.Pattern
    government_of: dict
    investee: re.Pattern
    sellers: frozenset
    seller_metrics: frozenset
    respectively: re.Pattern
    own: re.Pattern
    parent_after: re.Pattern


def _words(words: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{w})" for w in words), re.IGNORECASE)


@cache
def _rules() -> _Rules:
    d = lexicon.load("subjects.toml")
    return _Rules(
        aggregate=_words(d["aggregate"]["words"]),
        aggregate_clause=_words(d["aggregate"]["clause_words"]), unit_rate=_words(d["aggregate"]["unit_rate"]),
        list_sep=re.compile(d["aggregate"]["list_separator"], re.IGNORECASE),
        list_min=int(d["aggregate"]["list_min"]),
        anaphora=_words(d["anaphora"]["words"]),
        respectively=_words(d["respectively"]["words"]),
        government=_words(d["government"]["words"]),
        government_of=dict(d["government"]["by_locale"]),
        investee=re.compile(rf"(?:{'|'.join(map(re.escape, d['investee']['before']))})\s?$"),
        sellers=frozenset(d["compute_sellers"]["names"]),
        seller_metrics=frozenset(d["compute_sellers"]["metrics"]),
        joint=_words([rf"\b{w}\b" if w.isascii() else w for w in d["joint"]["words"]]),
        own=_words([rf"\b{w}\b" if w.isascii() else w for w in d["own"]["words"]]),
        parent_after=re.compile(rf"\s?(?:{'|'.join(d['parent']['after'])})\s?", re.IGNORECASE),
    )


@cache
def _org_table() -> dict[str, dict]:
    return {o["name"]: o for o in lexicon.load("organizations.toml")["org"]}


def own_figure(text: str, c_start: int, c_end: int) -> bool:
    """A vendor's own figure named in the clause: its inventory, buyback, dividend, a chip's price."""
    return bool(_rules().own.search(text, c_start, c_end))


def industry_wide(text: str, s_start: int, s_end: int, offset: int,
                  orgs: list[OrgMention]) -> bool:
    """A figure of the whole industry or a sum over several companies: no subject.

    An aggregate word (合计, 市场规模, "industry estimates") or a unit-rate cost ("the cost of
    building 1 gigawatt") in a sentence naming no organisation or several; or three or more
    organisations listed together before the figure in its clause (微软、谷歌、Meta、亚马逊等).
    """
    r = _rules()
    c_start, c_end = clause_of(text, s_start, s_end, offset)
    principal = principals(orgs, text)
    buyers = {o.name for o in orgs if o.role not in ("media", "vendor") and o in principal}
    in_clause = {o.name for o in orgs if o.role not in ("media", "vendor") and o in principal
                 and c_start <= o.start < c_end}
    if r.unit_rate.search(text, c_start, c_end) and len(buyers) != 1:
        return True
    if r.aggregate.search(text, s_start, s_end) or r.aggregate_clause.search(text, c_start, c_end):
        if len(in_clause) >= 2:
            return True
        if not buyers and not r.anaphora.search(text, s_start, offset):
            return True
    return _listed_before(text, s_start, offset, orgs) >= r.list_min


def clause_of(text: str, s_start: int, s_end: int, offset: int) -> tuple[int, int]:
    """The clause around `offset`: from the punctuation before it to the one after."""
    punct = re.compile(r"[，,；;：:。！？!?]")
    c_start = max([s_start] + [x.end() for x in punct.finditer(text, s_start, offset)])
    nxt = punct.search(text, offset, s_end)
    return c_start, (nxt.start() if nxt else s_end)


def _listed_before(text: str, s_start: int, offset: int, orgs: list[OrgMention]) -> int:
    """How many distinct principal organisations form the longest list before `offset`."""
    r = _rules()
    clause_start = max([s_start] + [m.end() for m in re.finditer(r"[，。；;：:！？!?]", text[:offset])
                                    if m.end() >= s_start])
    principal = principals(orgs, text)
    before = [o for o in orgs if o.end <= offset and o.start >= clause_start and o.role != "media"]
    best, run, prev = 0, [], None
    for o in before:
        if o not in principal:
            run, prev = [], o
            continue
        if prev is not None and run and r.list_sep.fullmatch(text[prev.end:o.start]):
            run.append(o)
        else:
            run = [o]
        best = max(best, len({x.name for x in run}))
        prev = o
    return best


def anaphor_before(text: str, s_start: int, s_end: int, offset: int,
                   orgs: list[OrgMention]) -> bool:
    """The figure's sentence is about "the company", 该公司 or 管理层: the word comes before any
    organisation of the sentence, and the figure's clause names none before the figure."""
    named = [o for o in orgs if o.role != "media" and o.end <= offset]
    starts = {o.start for o in named}
    a = next((a for a in _rules().anaphora.finditer(text, s_start, offset)
              if not starts & set(range(a.end(), a.end() + 3))), None)   # not 初创公司xAI
    if not a:
        return False
    if named and named[0].start < a.start():
        return False
    c_start, _ = clause_of(text, s_start, s_end, offset)
    return not any(o.start >= c_start for o in named)


def topic_before(text: str, article_orgs: list[OrgMention], prev: tuple[int, int] | None,
                 title_end: int = 0) -> str | None:
    """What the sentence before (in the same paragraph) was about: the organisation it opens with,
    or, when it opens with "the company"/公司, the organisation the article is about."""
    if prev is None or "\n" in text[prev[0]:prev[1]].strip("\n"):
        return None
    if "\n" in text[prev[1]:prev[1] + 2]:
        return None
    orgs = [o for o in article_orgs if prev[0] <= o.start and o.end <= prev[1] and o.role != "media"]
    a = _rules().anaphora.search(text, prev[0], orgs[0].start if orgs else prev[1])
    if a:
        return salient(article_orgs, prev[0], title_end)
    principal = principals(orgs, text)
    first = next((o for o in orgs if o in principal), None)
    return first.name if first else None


def salient(article_orgs: list[OrgMention], offset: int, title_end: int = 0) -> str | None:
    """The organisation the article has been about so far: the most named before `offset` (title
    mentions count double, vendors in full), the nearest of equals. What "the company" stands for."""
    counts: Counter = Counter()
    last: dict = {}
    for o in article_orgs:
        if o.end > offset or o.role == "media":
            continue
        counts[o.name] += 2 if o.start < title_end else 1
        last[o.name] = o.start
    if not counts:
        return None
    return max(counts, key=lambda n: (counts[n], last[n]))


def joint_venture(text: str, s_start: int, s_end: int, orgs: list[OrgMention],
                  article_orgs: list[OrgMention], subject: str | None) -> str | None:
    """The joint venture a figure is about, when its sentence names two or more of its partners and
    the venture itself (or calls the deal a joint venture, the venture being named in the article)."""
    table = _org_table()
    named = {o.name for o in orgs}
    for o in table.values():
        partners = set(o.get("partners", ()))
        if not partners or len(partners & named) < 2 or (subject and subject not in partners):
            continue
        if o["name"] in named:
            return o["name"]
        if _rules().joint.search(text, s_start, s_end) and \
                any(a.name == o["name"] for a in article_orgs):
            return o["name"]
    return None


def parent_named(text: str, orgs: list[OrgMention], subject: str | None) -> str | None:
    """Google母公司字母, "Google's parent Alphabet": the parent, when the text says so."""
    for o in orgs:
        if o.name != subject:
            continue
        parent = _org_table().get(o.name, {}).get("parent")
        if parent and _rules().parent_after.match(text, o.end):
            return parent
    return None


def respectively(text: str, s_start: int, s_end: int, offset: int, orgs: list[OrgMention],
                 figures: list[tuple[int, str]]) -> str | None:
    """廣達與緯創營收分別為A及B, "X and Y reported A and B respectively": the n-th figure of the
    n-th organisation. `figures`: (start, kind) of the sentence's claims."""
    r = _rules()
    word = next(iter(r.respectively.finditer(text, s_start, s_end)), None)
    if word is None:
        return None
    listed: list[OrgMention] = []
    for o in orgs:
        if o.end > word.start():
            break
        if listed and r.list_sep.fullmatch(text[listed[-1].end:o.start]):
            listed.append(o)
        else:
            listed = [o]
    kind = next((k for st, k in figures if st == offset), None)
    # Chinese puts the word before the figures, English after them
    if word.start() < offset:
        same = [st for st, k in figures if k == kind and st > word.start()]
    else:
        same = [st for st, k in figures if k == kind and st < word.start()]
    if len(listed) < 2 or len(same) != len({o.name for o in listed}) or offset not in same:
        return None
    return listed[same.index(offset)].name


def government(text: str, s_start: int, offset: int, orgs: list[OrgMention],
               locale: str | None) -> str | None:
    """政府推出30億元資助計劃 on a Hong Kong page: the Hong Kong government."""
    r = _rules()
    if not locale or any(o.end <= offset and o.role != "media" for o in orgs):
        return None
    if r.government.search(text, s_start, offset):
        return r.government_of.get(locale)
    return None


_PREMODIFIED = re.compile(r"[\s\-]*[“\"'‘「『]?\s*")


def premodified(text: str, end: int, kind: str, orgs: list[OrgMention]) -> str | None:
    """"OpenAI's 33-gigawatt Stargate", "the 100,000-GPU Colossus": a capacity or chip count
    written right before a name is that organisation's (not a vendor's: 350,000 Nvidia H100s)."""
    if kind not in ("power", "gpu_count"):
        return None
    m = _PREMODIFIED.match(text, end)
    for o in orgs:
        if o.start == m.end() and o.role not in ("vendor", "media"):
            return o.name
    return None
