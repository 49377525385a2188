"""Mechanisms real published text needs (issue 8), in both scripts, distractors included.

Each case is written here to show one mechanism: chip counts whose noun is elsewhere, Traditional
Chinese and regional usage, currency from context, ranges and vague amounts, and subjects.
"""
from __future__ import annotations

import pytest

from nlp.claims import extract_claims
from nlp.mentions import find_mentions


def _mention(text: str, core: str, lang: str | None = None):
    start = text.index(core)
    found = [m for m in find_mentions(text, lang) if m.start <= start and m.end >= start + len(core)]
    assert found, f"no mention covers {core!r} in {text!r}"
    return min(found, key=lambda m: m.end - m.start)


def _claim(text: str, core: str, lang: str | None = None, source: str | None = None):
    start = text.index(core)
    found = [c for c in extract_claims(text, lang, source=source)
             if c.start <= start and c.end >= start + len(core)]
    assert found, f"no claim covers {core!r} in {text!r}"
    return min(found, key=lambda c: c.end - c.start)


def _no_claim(text: str, core: str, lang: str | None = None, source: str | None = None):
    start = text.index(core)
    hit = [c for c in extract_claims(text, lang, source=source)
           if c.start <= start < c.end]
    assert not hit, f"{core!r} should be no claim in {text!r}; got {hit}"


# --------------------------------------------------------------------------- number grammar

@pytest.mark.parametrize("text,core,kind,value,value_max,extra", [
    # positional digits, 〇/○ as zero
    ("該公司本季營收將落在三四六億至三五八億美元。", "三四六億", "money", 3.46e10, 3.58e10, {"currency": "USD"}),
    ("淨利七五○億元，創下新高。", "七五○億", "money", 7.5e10, None, {}),
    ("約合新台幣一兆一一二三億元。", "一兆一一二三億", "money", 1.1123e12, None, {"currency": "TWD"}),
    ("单季营收一点〇五万亿元。", "一点〇五万亿", "money", 1.05e12, None, {"currency": "CNY"}),
    # 廿 and 卅 are 二十 and 三十
    ("該廠將部署廿萬顆GPU。", "廿萬", "gpu_count", 2e5, None, {"unit": "GPU"}),
    ("集团追加卅亿元投资。", "卅亿", "money", 3e9, None, {"currency": "CNY"}),
    # a hedge between the currency word and the number
    ("去年資本支出為新台幣約1.2兆元。", "1.2兆", "money", 1.2e12, None, {"currency": "TWD", "approx": "about"}),
    # 兆 is 10^12 in money but mega in 兆瓦; 瓩 is kW; a Han unit runs into a name
    ("鴻海將打造27兆瓦GB300資料中心。", "27兆瓦", "power", 2.7e7, None, {}),
    ("園區總用電達30萬瓩。", "30萬瓩", "power", 3e8, None, {}),
    ("首期容量500百萬瓦。", "500百萬瓦", "power", 5e8, None, {}),
    # full-width Latin and digits
    ("新機房容量１５０ＭＷ。", "１５０ＭＷ", "power", 1.5e8, None, {}),
    # 介於…至…之間 is one range, currency on both ends
    ("本季營收介於380億美元至420億美元之間。", "380億美元", "money", 3.8e10, 4.2e10, {"currency": "USD"}),
    # regional currency words
    ("該項目投資約50億令吉。", "50億令吉", "money", 5e9, None, {"currency": "MYR"}),
    ("數據中心耗資12億新元。", "12億新元", "money", 1.2e9, None, {"currency": "SGD"}),
    ("营收达到约一點二四兆元台幣。", "一點二四兆", "money", 1.24e12, None, {"currency": "TWD"}),
    # English headline case, half a trillion, 2+ gigawatts
    ("The $48 Billion Bet On AI Data Centers", "$48 Billion", "money", 4.8e10, None, {"currency": "USD"}),
    ("The group plans half a trillion dollars of spending.", "half a trillion", "money", 5e11, None, {"currency": "USD"}),
    ("The campus will draw 2+ gigawatts when complete.", "2+ gigawatts", "power", 2e9, None, {"approx": "over"}),
    # chip counts with a measure word only, or a stand-alone noun, the chip named before
    ("昇騰晶片今年出貨約55萬片，其中一半供應雲端業務。", "55萬片", "gpu_count", 5.5e5, None, {"unit": "Ascend"}),
    ("最大買家依次是Meta（18.6萬個H100）與字節跳動（15萬個）。", "15萬個", "gpu_count", 1.5e5, None, {"unit": "H100"}),
    ("Blackwell output is ramping. Shipments will reach 650,000 units in the third quarter.",
     "650,000 units", "gpu_count", 6.5e5, None, {"unit": "Blackwell"}),
    ("該公司採購了12,000顆圖形處理器。", "12,000", "gpu_count", 1.2e4, None, {"unit": "GPU"}),
    ("The startup bought 3,000 processors for its cluster.", "3,000", "gpu_count", 3e3, None, {}),
])
def test_real_text_grammar(text, core, kind, value, value_max, extra):
    m = _mention(text, core)
    assert m.kind == kind, m
    assert m.value == pytest.approx(value, rel=1e-9), m
    assert (m.value_max is None) if value_max is None else m.value_max == pytest.approx(value_max), m
    for k, v in extra.items():
        assert getattr(m, k) == v, (k, m)


def test_kangxi_radicals_and_full_width_keep_offsets():
    text = "集群共有2萬⽚ＧＰＵ，耗電１２０ＭＷ。"       # ⽚ is the Kangxi radical for 片
    for m in find_mentions(text):
        assert text[m.start:m.end] == m.text
    power = _mention(text, "１２０ＭＷ")
    assert power.kind == "power" and power.value == 1.2e8


@pytest.mark.parametrize("text,core", [
    ("公司計劃在未來十年打造數十GW的算力。", "數十GW"),                  # vague
    ("业内预计将采购数百万块GPU。", "数百万块"),
    ("他們將投入數十億美元。", "數十億美元"),
    ("The deal is worth $10s of millions to the vendor.", "$10"),
    ("Hyperscalers will spend tens of billions of dollars.", "tens of billions"),
    ("Earnings per share is expected to be $6.75.", "$6.75"),           # per-share figures
    ("輝達預計以每股六點○一美元的價格入股。", "六點○一美元"),
    ("鴻海股價一度大漲，截至上午暫報228元。", "228元"),
    ("該股成交量2.9萬張。", "2.9萬張"),                                 # trading lots, not chips
    ("伺服器搭載RTX PRO 6000 Blackwell GPU。", "6000"),                 # a model name
])
def test_real_text_not_claims(text, core):
    _no_claim(text, core)


def test_per_share_cue_belongs_to_its_own_figure():
    text = "輝達以每股6.01美元的價格投資諾基亞十億美元。"
    assert _claim(text, "十億美元").value == 1e9
    _no_claim(text, "6.01美元")


def test_unit_gloss_is_no_second_claim_but_a_conversion_is():
    gloss = "該園區規劃300MW（百萬瓦）的電力。"
    assert [c.kind for c in extract_claims(gloss)] == ["power"]
    conv = "阿里巴巴投入2500亿元人民币（约合465亿新元）建设云设施。"
    assert [(c.value, c.currency) for c in extract_claims(conv)] == [(2.5e11, "CNY"), (4.65e10, "SGD")]


def test_long_runs_of_digits_in_chinese_text_are_no_figure():
    text = "編號" + "3" * 50 + "的訂單共有1萬張GPU。"
    claims = extract_claims(text)
    assert [c.value for c in claims] == [1e4]


# --------------------------------------------------------------------------- currency from context

def test_bare_yuan_follows_the_page_locale():
    tw = "台積電第四季營收達8,000億元，創新高，台灣供應鏈同步受惠。"
    assert _claim(tw, "8,000億元").currency == "TWD"
    hk = "香港數據中心營運商去年營收達120億元，港股同步走高。這項業務將繼續擴張。"
    assert _claim(hk, "120億元").currency == "HKD"
    cn = "腾讯第三季度资本开支达130亿元，创下新高。"
    assert _claim(cn, "130亿元").currency == "CNY"
    # the source's domain decides before the script does
    assert _claim(cn, "130亿元", source="https://news.example.com.tw/a/1").currency == "TWD"


def test_a_paragraph_sets_the_currency_once():
    text = ("若以人民幣計價，該公司本季資本開支達386億元。\n"
            "鴻海第三季營收2兆元，創新高。")
    assert _claim(text, "386億元").currency == "CNY"
    assert _claim(text, "2兆元").currency == "TWD"         # the next paragraph: the page's own


def test_a_gloss_with_xiatong_holds_for_the_article():
    text = ("阿里巴巴本季營收2476.52億元（人民幣，下同），年增10%。\n"
            "淨利423.82億元，年增76%。")
    assert _claim(text, "423.82億元").currency == "CNY"


def test_yi_with_no_currency_in_a_money_clause():
    text = "台積電Q4財報 日賺逾56億\n台積電單季稅後純益五○五七點四億元。"
    c = _claim(text, "56億")
    assert (c.kind, c.value, c.currency, c.approx) == ("money", 5.6e9, "TWD", "over")
    title_then_body = "亚马逊资本支出将达2000亿\n亚马逊预计今年资本支出约2000亿美元。"
    assert _claim(title_then_body, "2000亿\n".strip()).currency == "USD"
    # a count of people or shares is not money
    _no_claim("該公司市值提升後，購入逾一點六億的諾基亞股票。", "一點六億")
    _no_claim("该平台用户达10亿人。", "10亿")


def test_coordinated_figures_share_the_currency():
    text = "微软2025和2024财年资本支出分别为645.5亿和448亿美元。"
    c = _claim(text, "645.5亿")
    assert (c.value, c.currency) == (6.455e10, "USD")


# --------------------------------------------------------------------------- subjects

@pytest.mark.parametrize("text,core,subject", [
    # the investor, not the investee, even when the investor is a chip vendor
    ("輝達將分階段投資OpenAI最多1,000億美元。", "1,000億美元", "Nvidia"),
    ("英伟达向OpenAI投资1000亿美元。", "1000亿美元", "Nvidia"),
    ("Amazon will invest $8 billion in Anthropic.", "$8 billion", "Amazon"),
    ("Nvidia said it would invest up to $100 billion in OpenAI over several years.", "$100 billion", "Nvidia"),
    # a joint venture is its own entity
    ("星際之門計畫在德州新增4.5吉瓦容量。", "4.5吉瓦", "Stargate"),
    ("星际之门项目总投资5000亿美元。", "5000亿美元", "Stargate"),
    # a vendor's own capex and revenue
    ("台積電今年資本支出約400億美元。", "400億美元", "TSMC"),
    ("英偉達第二季營收467億美元。", "467億美元", "Nvidia"),
    # traditional spellings and regional names
    ("鴻海將在高雄建置100兆瓦資料中心。", "100兆瓦", "Foxconn"),
    ("中國移動今年算力投資373億元。", "373億元", "China Mobile"),
    ("廣達11月營收1929.47億元。", "1929.47億元", "Quanta"),
    # a registered Chinese company name, no lexicon entry
    ("海西天防科技有限公司中标智算中心项目，金额12.42亿元。", "12.42亿元", "海西天防科技有限公司"),
    # a parent in the lexicon: the claim keeps the organisation the text names
    ("Alphabet expects capital expenditures of $75 billion this year.", "$75 billion", "Alphabet"),
    ("Google will spend $40 billion on data centers in Texas.", "$40 billion", "Google"),
    # units and analyst houses are never subjects
    ("xAI's site in Memphis draws 150 MW from the grid.", "150 MW", "xAI"),
])
def test_real_text_subjects(text, core, subject):
    assert _claim(text, core).subject == subject
