"""Who a claim is about: the buyer or spender rather than the vendor.

In the sentence: the nearest organisation before the figure (news puts the actor first:
"Meta will buy 350,000 Nvidia H100s"), skipping vendors when a buyer is present, unless the
figure is the vendor's own revenue or profit. No organisation in the sentence: the nearest one
mentioned earlier in the article; none earlier: the article's main organisation.
Media (Reuters, The Information) are never subjects.
"""
from __future__ import annotations

from collections import Counter

from nlp import lexicon
from nlp.entities import OrgMention

OWN_FIGURES = {"revenue", "profit"}       # metrics where a vendor speaks of itself
# A vendor's own spending: the investor, not the investee (輝達投資OpenAI), its own capex.
SPENDER_FIGURES = {"capex", "investment"}
_LOOKBACK_BUYER = 400                      # chars: how far a fallback prefers a buyer to a vendor


def in_sentence(orgs: list[OrgMention], offset: int, metric: str | None,
                text: str = "", buyers_only: bool = False) -> str | None:
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
    marker = lexicon.counterparty_marker()
    principal = {o for o in orgs if not marker.search(text[max(0, o.start - 16):o.start])}
    before = [o for o in reversed(orgs) if o.end <= offset]      # nearest first
    after = [o for o in orgs if o.start >= offset]
    if metric in OWN_FIGURES and before:
        return before[0].name
    if metric in SPENDER_FIGURES:
        # the principal that spends, whatever its role; the investee is a counterparty
        for group in ([o for o in before if o in principal], [o for o in after if o in principal]):
            if group:
                return group[0].name
    buyers_only = buyers_only and metric not in OWN_FIGURES
    buyers_first = (
        [o for o in before if o.role != "vendor" and o in principal],
        [o for o in after if o.role != "vendor" and o in principal],
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
