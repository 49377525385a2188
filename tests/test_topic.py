"""The topic filter (nlp/topic.py): AI infrastructure / compute spending, or not?

Real pages are read where they live (the fixture site, the bundled sample site, ../shared/seeds and
../shared/conformance), never copied; short hand-written cases pin down behaviour in both languages.
"""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from conftest import SHARED
from nlp import lexicon, topic
from nlp.article import from_bytes

REPO = Path(__file__).resolve().parents[1]
FIXTURE_SITE = REPO / "tests" / "fixtures" / "site"
SAMPLE_SITE = REPO / "computewatch" / "sample_site"
SEEDS = SHARED / "seeds"
CONFORMANCE = SHARED / "conformance"
THRESHOLD = lexicon.topic().params["threshold"]


def _read(path: Path) -> topic.TopicScore:
    body = path.read_bytes()
    if path.suffix == ".gz":
        body = gzip.decompress(body)
    art = from_bytes(body, url=str(path).removesuffix(".gz"))
    return topic.score(art.text, art.lang, art.title)


def _site_file(site: Path, url_path: str) -> Path:
    """A site path (/news/a.html, /tag/x, /list/) as the file that serves it."""
    p = site / url_path.lstrip("/")
    if url_path.endswith("/"):
        return p / "index.html"
    return p if p.suffix else p.with_suffix(".html")


# ---------------------------------------------------------------- the crawler fixture site

FIXTURE = json.loads((FIXTURE_SITE / "EXPECTED.json").read_text("utf-8"))
FIXTURE_OFF_TOPIC = sorted(
    list(FIXTURE["irrelevant"])
    + [p for p in FIXTURE["not_articles"] if _site_file(FIXTURE_SITE, p).suffix == ".html"])


@pytest.mark.parametrize("url_path", sorted(FIXTURE["articles"]))
def test_fixture_site_articles_are_relevant(url_path):
    r = _read(_site_file(FIXTURE_SITE, url_path))
    assert r.relevant, (url_path, r)


@pytest.mark.parametrize("url_path", FIXTURE_OFF_TOPIC)
def test_fixture_site_sports_and_non_articles_are_not(url_path):
    assert "/news/en-sports.html" in FIXTURE_OFF_TOPIC and "/about.html" in FIXTURE_OFF_TOPIC
    r = _read(_site_file(FIXTURE_SITE, url_path))
    assert not r.relevant, (url_path, r)


# ---------------------------------------------------------------- the bundled sample site

def _sample_stories() -> list[tuple[str, bool]]:
    """(path, relevant) of the 8 stories of EXPECTED.md; a story marked Irrelevant is not."""
    md = (SAMPLE_SITE / "EXPECTED.md").read_text("utf-8")
    sections = re.split(r"^### \d+\. ", md, flags=re.MULTILINE)[1:]
    out = []
    for s in sections:
        path = re.match(r"`([^`]+)`", s).group(1)
        out.append((path, "irrelevant to ai infrastructure" not in s.lower()))
    return out


SAMPLE_STORIES = _sample_stories()


def test_sample_site_expectations_were_read():
    assert len(SAMPLE_STORIES) == 8
    assert [p for p, relevant in SAMPLE_STORIES if not relevant] == [
        "/news/2026/02/harbour-united-derby.html"]


@pytest.mark.parametrize("url_path,relevant", SAMPLE_STORIES)
def test_sample_site_stories(url_path, relevant):
    r = _read(_site_file(SAMPLE_SITE, url_path))
    assert r.relevant is relevant, (url_path, r)


def test_sample_site_briefs_page_is_not_relevant():
    # numbers everywhere (phones, jets, box office), no compute
    assert not _read(SAMPLE_SITE / "briefs" / "index.html").relevant


# ---------------------------------------------------------------- the seed article

@pytest.mark.skipif(not SEEDS.is_dir() or not list(SEEDS.glob("*.txt")),
                    reason=f"seed articles absent at {SEEDS}")
@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
def test_seed_article_is_relevant(name):
    r = _read(SEEDS / name)
    assert r.relevant and r.score >= 0.7, r
    assert {"GPU", "英伟达", "H100", "算力"} <= set(r.terms)


# ---------------------------------------------------------------- general news (real pages)

def _conformance_pages() -> list[Path]:
    return sorted(list((CONFORMANCE / "articles" / "html").glob("*.html.gz"))
                  + list((CONFORMANCE / "articles_zh").glob("*/html/*.html.gz")))


@pytest.mark.conformance
@pytest.mark.skipif(not (CONFORMANCE / "articles").is_dir(),
                    reason=f"conformance news pages absent at {CONFORMANCE}")
def test_general_news_rarely_passes():
    """80 English and Chinese news pages on plague, elections, cars, 5G phones, chip imports,
    solar power, a supercomputer simulation...: none is about AI infrastructure spending."""
    pages = _conformance_pages()
    assert len(pages) >= 60
    passed = [(p.name, r.score, r.terms) for p in pages if (r := _read(p)).relevant]
    print(f"\ngeneral news passing the topic filter: {len(passed)}/{len(pages)}", passed)
    assert len(passed) <= 1, passed


# ---------------------------------------------------------------- hand-written cases

RELEVANT = {
    "en wire: GPU cluster": (
        "xAI switches on 100,000-GPU supercomputer in Memphis",
        "MEMPHIS, Tenn. (Reuters) - Elon Musk's artificial intelligence start-up xAI has switched on "
        "a cluster of 100,000 Nvidia H100 GPUs at a former factory in Memphis, the company said on "
        "Monday. The system will be used to train the next version of its Grok chatbot.", "en"),
    "en one line, no title": (
        None, "Microsoft will spend $80 billion on AI data centers this fiscal year, the company said.",
        "en"),
    "en data-centre power": (
        "Amazon buys nuclear-powered data center campus",
        "Amazon Web Services has agreed to buy a data center campus next to the Susquehanna nuclear "
        "plant in Pennsylvania, which can supply up to 960 megawatts of power.", "en"),
    "en TPU": (
        "Google unveils seventh-generation TPU for its cloud",
        "Google on Wednesday unveiled Ironwood, its seventh-generation tensor processing unit, saying "
        "a pod of 9,216 of the chips delivers more compute than the world's largest supercomputer.",
        "en"),
    "zh 数据中心 investment": (
        "腾讯拟投资200亿元建设西部数据中心",
        "据悉，腾讯计划投资约200亿元在重庆建设新的数据中心集群，一期将部署约10万台服务器，主要用于"
        "云计算和人工智能训练业务。项目预计2027年投入使用。", "zh"),
    "zh 算力 policy": (
        "加快建设全国一体化算力网络",
        "国家发展改革委等部门近日印发通知，提出加快建设全国一体化算力网络国家枢纽节点，推动数据中心"
        "集约化、绿色化发展，到2025年智算中心算力规模占比超过35%。", "zh"),
    "zh 昇腾 shipments": (
        "华为昇腾芯片出货量大增",
        "据供应链消息，华为今年昇腾910C芯片出货量有望达到数十万颗，国内多家互联网公司正加紧采购，"
        "以弥补英伟达H20供应的不足。", "zh"),
    "zh traditional, AI servers": (
        "輝達AI伺服器需求強勁",
        "台灣供應鏈指出，輝達GB200 AI伺服器出貨量持續攀升，鴻海與廣達預計第三季出貨將倍增，液冷機櫃需求"
        "同步增加。", "zh"),
}

_COUNCIL = " ".join(f"The council discussed item {i} of the agenda, a proposal about parking, schools "
                    "and the budget for the next year." for i in range(250))     # 5,000 words

IRRELEVANT = {
    "en sport": (
        "City beat United in Manchester derby",
        "Manchester City beat United 2-1 at the Etihad on Sunday. Erling Haaland scored twice, and the "
        "champions moved three points clear at the top of the Premier League table after 20 games.",
        "en"),
    "zh sport": (
        "国足1比0战胜对手 晋级下一阶段",
        "在昨晚进行的世界杯预选赛中，中国男足主场1比0战胜对手，武磊第70分钟打入制胜球。赛后主教练"
        "表示，球队在防守端表现出色，下一场比赛将全力争胜。", "zh"),
    "en politics": (
        "Senate passes spending bill to avert shutdown",
        "The U.S. Senate passed a stopgap spending bill late on Friday, averting a government shutdown "
        "hours before the deadline. The measure funds federal agencies through March.", "en"),
    "zh politics": (
        "全国人大常委会会议在京闭幕",
        "十四届全国人大常委会第十次会议在北京人民大会堂闭幕。会议表决通过了有关法律修正案，并听取了"
        "国务院关于财政预算执行情况的报告。", "zh"),
    "en phone review, chip once": (
        "Pixel 9 review: a better camera and battery life",
        "The Pixel 9 has a 6.3-inch display, a brighter screen and a much better battery than last "
        "year's phone. Google's Tensor G4 chip keeps it quick in daily use, and the 50-megapixel camera "
        "takes sharp photos even at night. At $799, it is the best Android phone for most people.",
        "en"),
    "en AI once in passing": (
        "Walmart raises annual forecast as shoppers hunt bargains",
        "Walmart raised its full-year sales forecast on Thursday after strong grocery demand. The "
        "retailer said e-commerce sales rose 22%, and it plans to use AI to help manage inventory in "
        "some stores. Shares rose 3% in early trading.", "en"),
    "zh stock market, 芯片 once": (
        "A股三大指数集体收涨 成交额超万亿",
        "周三，A股三大指数集体收涨，沪指涨0.8%，深成指涨1.2%，创业板指涨1.5%。两市成交额超过1万亿元。"
        "板块方面，券商、白酒、芯片板块涨幅居前，煤炭、银行板块走弱。北向资金净买入超过50亿元。", "zh"),
    "zh 5G phone chip": (
        "华为发布新款麒麟芯片手机",
        "华为今天发布了搭载新款麒麟5G芯片的旗舰手机，续航和拍照能力大幅提升，屏幕刷新率达到120Hz。"
        "该芯片采用先进工艺，手机售价5999元起。", "zh"),
    "en solar farm, megawatts in the title": (
        "500 MW solar farm approved in Nevada",
        "Regulators approved a 500-megawatt solar farm in Nevada on Tuesday. The project will supply "
        "power to about 150,000 homes once it is completed in 2027. The power grid operator welcomed "
        "the decision.", "en"),
    "en gaming graphics card": (
        "Nvidia GeForce RTX 5090 review: the fastest graphics card yet",
        "The GeForce RTX 5090 is the fastest gaming graphics card you can buy. In our tests the GPU ran "
        "every game at 4K above 100 frames per second. It costs $1,999 and draws 575 watts.", "en"),
    "en chatbot feature": (
        "OpenAI adds voice mode to ChatGPT for all users",
        "OpenAI said on Tuesday that ChatGPT's advanced voice mode is now available to all users. The "
        "AI model can respond in real time and change its tone.", "en"),
    "en 5,000 words, GPU once": (
        "Town council debates budget for the coming year",
        _COUNCIL + " One resident said his son had bought a GPU for his computer. " + _COUNCIL, "en"),
}


@pytest.mark.parametrize("name", sorted(RELEVANT))
def test_relevant_cases(name):
    title, text, lang = RELEVANT[name]
    r = topic.score(text, lang, title)
    assert r.relevant, (name, r)
    assert THRESHOLD <= r.score <= 1


@pytest.mark.parametrize("name", sorted(IRRELEVANT))
def test_irrelevant_cases(name):
    title, text, lang = IRRELEVANT[name]
    r = topic.score(text, lang, title)
    assert not r.relevant, (name, r)
    assert 0 <= r.score < THRESHOLD


def test_ai_needs_upper_case_and_word_boundaries():
    assert topic.score("He said the plan was fair, the chair maintained.", "en").terms == ()
    assert topic.score("Ai Weiwei opened a show; an ai-generated fake spread.", "en").terms == ()
    assert topic.score("AI-enabled tools, A.I. and AI's rise.", "en").terms == ("AI", "A.I.")
    # "AI chip" is one mention (the AI-chip concept), not AI plus chip
    assert topic.score("Its new AI chips ship in May.", "en").terms == ("AI chip",)


def test_latin_words_match_whole_words_plurals_and_hyphens():
    r = topic.score("Microchips and GPUDirect; two data-centres and 5 hyperscalers.", "en")
    assert r.terms == ("data centre", "hyperscaler")
    assert topic.score("英伟达H100芯片", "zh").terms[:2] == ("英伟达", "H100")


def test_ignored_phrases_count_for_nothing():
    assert topic.score("Blue-chip stocks rose; the blue chip index gained.", "en").terms == ()


def test_distinct_evidence_beats_repetition():
    repeated = topic.score("GPU. " * 30, "en")
    distinct = topic.score("GPU. Nvidia. Data center.", "en")
    assert distinct.score > repeated.score
    assert distinct.relevant


def test_title_counts_extra():
    text = "The company will add servers and expand a data center in Ohio."
    assert topic.score(text, "en", "Data center expansion in Ohio").score > topic.score(text, "en").score


def test_a_passing_mention_counts_less_in_a_long_article():
    item = "Nvidia shipped more H100 GPUs to the data center."
    short = topic.score(item, "en")
    long = topic.score(_COUNCIL + " " + item + " " + _COUNCIL, "en")
    assert short.relevant and not long.relevant
    assert long.score < short.score


def test_context_words_alone_never_pass():
    text = ("Artificial intelligence is changing the cloud. AI models, inference and training of "
            "AI, 人工智能, 云计算, 模型、训练与推理: AI everywhere. ") * 5
    r = topic.score(text, "en", "AI, AI and more AI")
    assert r.score == 0 and not r.relevant


def test_empty_and_score_range():
    assert topic.score("", "en") == topic.TopicScore(0.0, False, ())
    r = topic.score(RELEVANT["en wire: GPU cluster"][1], "en", RELEVANT["en wire: GPU cluster"][0])
    assert 0 <= r.score <= 1 and r.relevant == (r.score >= THRESHOLD)
