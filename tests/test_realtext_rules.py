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


# ----------------------------------------------------- subjects: the mechanisms of issue 8

def _subject_of(text: str, core: str, lang: str | None = None, title_end: int = 0):
    start = text.index(core)
    found = [c for c in extract_claims(text, lang, title_end=title_end)
             if c.start <= start and c.end >= start + len(core)]
    assert found, f"no claim covers {core!r} in {text!r}"
    return min(found, key=lambda c: c.end - c.start).subject


@pytest.mark.parametrize("text,core", [
    # a sum over several companies
    ("Microsoft, Alphabet, Amazon and Meta are on track to spend more than $400 billion on capex this year.", "$400 billion"),
    ("微软、谷歌、亚马逊三家公司今年资本开支合计将超过2500亿美元。", "2500亿美元"),
    ("這些雲端巨頭今年合計的資本支出將達5,000億美元，多數用於採購AI晶片。", "5,000億美元"),
    # the whole industry and unit-rate costs
    ("Industry estimates put the cost of a new AI campus at about $40 billion per gigawatt.", "$40 billion"),
    ("建成1GW智算中心的成本约为400亿美元。", "400亿美元"),
    ("全球AI伺服器市場規模明年可望達到2,500億美元。", "2,500億美元"),
    # a place's figure: approved investment, economic output
    ("The campus is expected to generate $2 billion in economic output for the county.", "$2 billion"),
    ("该项目预计每年为当地带来50亿元的经济效益。", "50亿元"),
    ("柔佛州上半年核准的資料中心投資額達300億馬幣。", "300億馬幣"),
])
def test_industry_wide_figures_have_no_subject(text, core):
    assert _subject_of(text, core) is None


@pytest.mark.parametrize("text,core,subject", [
    # a sum word with one company named stays that company's
    ("阿里巴巴过去四个季度资本开支合计超过1000亿元。", "1000亿元", "Alibaba"),
    ("Meta said its data centers will draw 5 gigawatts combined by 2030.", "5 gigawatts", "Meta"),
    # a joint venture named, or called one, with two of its partners
    ("The joint venture of OpenAI, SoftBank and Oracle, Stargate, will deploy $100 billion at first.", "$100 billion", "Stargate"),
    ("软银、OpenAI与甲骨文共同推进的“星门”项目首期投入1000亿美元。", "1000亿美元", "Stargate"),
    ("軟銀與OpenAI合資的星際之門將在德州建置1.2吉瓦資料中心。", "1.2吉瓦", "Stargate"),
    # one partner named with the venture: the partner's own figure
    ("Beyond Stargate, OpenAI expects its own compute to reach 20 gigawatts.", "20 gigawatts", "OpenAI"),
    # the organisations listed after a counterparty word are counterparties too; so is a
    # bracketed repeat of a counterparty's name
    ("OpenAI signed deals with Oracle, Microsoft and CoreWeave worth $1 trillion over a decade.", "$1 trillion", "OpenAI"),
    ("Anthropic已通过与谷歌、亚马逊及微软的合作锁定超过500亿美元的算力。", "500亿美元", "Anthropic"),
    ("OpenAI與甲骨文（Oracle）簽署總額3,000億美元的合約。", "3,000億美元", "OpenAI"),
    # a supplier's revenue, its customers named as what it benefits from
    ("TSMC, benefiting from Nvidia and AMD orders, posted revenue of $30 billion.", "$30 billion", "TSMC"),
    ("台积电受益于英伟达、AMD等客户的强劲需求，季度营收达到300亿美元。", "300亿美元", "TSMC"),
    ("台積電受惠蘋果、輝達等大客戶拉貨，第三季營收達新台幣9,000億元。", "9,000億元", "TSMC"),
    # the investee after 对/對
    ("英伟达已对OpenAI投资300亿美元。", "300亿美元", "Nvidia"),
    ("輝達近期對OpenAI投資300億美元。", "300億美元", "Nvidia"),
    # the winner of a procurement tender is paid: the buyer is the tenderer
    ("云南算力科技有限公司公布智算服务器采购结果，浪潮电子信息产业股份有限公司以2.5亿元中标。", "2.5亿元", "云南算力科技有限公司"),
    ("高雄智算科技有限公司公布伺服器採購結果，台北雲端資訊股份有限公司以新台幣12億元得標。", "12億元", "高雄智算科技有限公司"),
    # a vendor's own figures: a chip's price, inventory
    ("輝達旗下H200晶片售價約3萬美元。", "3萬美元", "Nvidia"),
    # a capacity or chip count written right before a name is that organisation's
    ("Microsoft is watching OpenAI's 10-gigawatt Stargate buildout closely.", "10-gigawatt", "Stargate"),
    ("微软关注OpenAI的10吉瓦星际之门计划进展。", "10吉瓦", "Stargate"),
    ("微軟關注OpenAI的10吉瓦「星際之門」計畫進度。", "10吉瓦", "Stargate"),
    ("Meta will buy 350,000 Nvidia H100s this year.", "350,000", "Meta"),
    # a contract with a seller of compute is the customer's
    ("CoreWeave expanded its agreement with Meta in a deal worth $14 billion.", "$14 billion", "Meta"),
    ("甲骨文与Meta签署价值200亿美元的云计算合同。", "200亿美元", "Meta"),
    ("CoreWeave與Meta簽署價值142億美元的合約。", "142億美元", "Meta"),
    # a parent named by its child
    ("Google's parent expects capital expenditures of $85 billion.", "$85 billion", "Alphabet"),
    ("Google的母公司今年資本開支估計達1,800億美元。", "1,800億美元", "Alphabet"),
    # an apposition is not "the company": 初创公司月之暗面
    ("人工智能初创公司月之暗面完成10亿美元融资。", "10亿美元", "Moonshot AI"),
    # governments
    ("港府推出20億元算力資助計劃。", "20億元", "Hong Kong government"),
    # a bare 政府 is the government of the page's locale (Hong Kong or Taiwan)
    ("為支持香港創科發展，政府撥款20億元設立算力中心。", "20億元", "Hong Kong government"),
    ("為發展台灣AI產業，政府將投入新台幣100億元建置算力中心。", "100億元", "Taiwan government"),
    # the investee after 为/為 of a spending figure
    ("英伟达为OpenAI新一轮融资注资200亿美元。", "200亿美元", "Nvidia"),
    ("輝達上月為OpenAI挹注300億美元。", "300億美元", "Nvidia"),
    ("Macron unveiled a €20 billion plan for AI computing in France.", "€20 billion", "French government"),
    ("SpaceX提供20亿美元的过桥融资。", "20亿美元", "SpaceX"),
])
def test_subject_mechanisms(text, core, subject):
    assert _subject_of(text, core) == subject


@pytest.mark.parametrize("text,core,subject", [
    # "the company", 管理层, 公司 in a sentence naming no one before the figure: the organisation
    # the article has been about, not the last one named in passing
    ("Amazon shares rose after Amazon raised its outlook, while Google held steady. "
     "Management now expects capital spending of $125 billion.", "$125 billion", "Amazon"),
    ("阿里巴巴周四公布财报，阿里巴巴云业务增长强劲，腾讯股价同日下跌。管理层表示未来三年将投入3800亿元。",
     "3800亿元", "Alibaba"),
    ("鴻海今天公布財報，鴻海AI伺服器營收大增，廣達同日股價下跌。公司表示今年資本支出將達新台幣1,000億元。",
     "1,000億元", "Foxconn"),
    # "this supercomputer", 该数据中心: a facility named before, the article's organisation's
    ("xAI built its cluster in Memphis, and xAI plans to double it. Tesla also trains models there. "
     "This supercomputer draws 150 MW from the grid.", "150 MW", "xAI"),
    ("字节跳动在柔佛建设智算中心，字节跳动计划扩建。阿里巴巴也有布局。该数据中心规划容量300兆瓦。", "300兆瓦", "ByteDance"),
    ("微軟在威斯康辛州興建資料中心，微軟表示將擴建。Google也在附近設點。這座資料中心耗電達500兆瓦。", "500兆瓦", "Microsoft"),
    # the word opens the sentence; the organisation after the figure is a comparison
    ("百度发布财报，百度称云业务加速。管理层宣布全年资本开支预计达300亿元，超过腾讯此前设定的250亿元。",
     "300亿元", "Baidu"),
    # a vendor's own figure in a sentence naming no one
    ("英伟达公布财报，英伟达称合作伙伴富士康已开始出货。董事会新增500亿美元股票回购授权。", "500亿美元", "Nvidia"),
    ("Nvidia beat estimates as Nvidia's data center sales grew, and partner Foxconn rose. "
     "It also released $180 million of H20 inventory.", "$180 million", "Nvidia"),
    ("輝達公布財報，輝達表示合作夥伴鴻海已開始出貨。本季釋出H20庫存，銷售額約12億美元。",
     "12億美元", "Nvidia"),
    # a company's own figure in a sentence naming no one, after a sentence of the same paragraph
    # that opens with another company: that one (the topic carries over)
    ("廣達11月營收創新高，廣達股價大漲。緯創11月營收約2,800億元，月增五成；今年前11月營收1.9兆元。",
     "1.9兆元", "Wistron"),
    ("腾讯第三季度营收增长，腾讯股价上涨。阿里巴巴本季营收2478亿元，同比增长5%；前三季度营收7000亿元。",
     "7000亿元", "Alibaba"),
    ("Quanta's sales rose, and Quanta shares jumped. Wistron posted record November sales. "
     "Revenue for the first eleven months reached $60 billion.", "$60 billion", "Wistron"),
    # a one-off charge is the company's own figure too
    ("Meta beat revenue forecasts, and Meta raised its outlook; rival Google also rose. "
     "Net income fell after a one-off charge of $12 billion.", "$12 billion", "Meta"),
    ("阿里巴巴公布财报，阿里巴巴股价上涨，腾讯同日下跌。本季计提减值费用30亿元。", "30亿元", "Alibaba"),
    ("台積電公布財報，台積電股價上漲，鴻海同日下跌。本季認列減值費用新台幣50億元。", "50億元", "TSMC"),
    # a figure named again in a sentence naming no one keeps its subject
    ("Anthropic will spend $50 billion on US data centers. Amazon remains its main cloud partner. "
     "The $50 billion figure is modest next to rivals.", "The $50 billion", "Anthropic"),
    ("百度将投入200亿元建设智算中心。阿里巴巴也在扩张。这笔200亿元的投资将分三年到位。", "这笔200亿元", "Baidu"),
    ("中華電信將投資新台幣150億元建置AI資料中心。台積電同日公布營收。這筆150億元投資預計三年完成。",
     "這筆150億元", "Chunghwa Telecom"),
])
def test_subject_from_the_article(text, core, subject):
    core_start = text.index(core)
    digits = next(i for i in range(core_start, len(text)) if text[i].isdigit() or text[i] in "$€")
    start = digits
    found = [c for c in extract_claims(text) if c.start <= start < c.end]
    assert found, f"no claim at {core!r}"
    assert found[0].subject == subject


@pytest.mark.parametrize("text,first,second", [
    ("緯創與英業達10月營收分別為新台幣2,000億元及600億元。", ("2,000億元", "Wistron"), ("600億元", "Inventec")),
    ("阿里巴巴和腾讯本季资本开支分别为380亿元和230亿元。", ("380亿元", "Alibaba"), ("230亿元", "Tencent")),
    ("Microsoft and Meta reported capital expenditures of $34.9 billion and $19.4 billion, respectively.",
     ("$34.9 billion", "Microsoft"), ("$19.4 billion", "Meta")),
])
def test_respectively_pairs_figures_with_organisations(text, first, second):
    for core, subject in (first, second):
        assert _subject_of(text, core) == subject
