"""Chinese number grammar: `nlp.mentions.find_mentions` on Chinese news-style sentences.

Cases are written from the specification (DESIGN.md claim schema + the grammar issue),
not from the implementation's output.  Each row names:

    text, lang, kind, sub, expectations

`sub` is the numeric core of the mention (it must occur once in `text`); the test picks the
mention of `kind` whose span covers `sub` (the shortest such mention) and checks only the
fields listed in `expectations`:

    value, value_max (None = must be a single value), currency, unit, approx (None = no hedge),
    span (the mention's exact text), flag (a flag that must be present).
"""
from __future__ import annotations


import pytest

from nlp.mentions import find_mentions

import grammar_cases
from grammar_cases import check, describe, locate, pick
from nlp.types import MENTION_KINDS

ZH = "zh"


# --------------------------------------------------------------------------- helpers


def case(id_, text, kind, sub, lang=ZH, **expect):
    return grammar_cases.case(id_, text, kind, sub, lang=lang, **expect)


# --------------------------------------------------------------------------- positive cases

CASES = [
    # ---- Chinese numerals
    case("numeral-ershisiwan-gpu", "字节跳动计划在明年前囤积二十四万块GPU。",
         "gpu_count", "二十四万", value=2.4e5, unit="GPU"),
    case("numeral-liangwansiqian-h800", "腾讯的训练集群目前有两万四千块H800。",
         "gpu_count", "两万四千", value=2.4e4, unit="H800"),
    case("numeral-yiqianwubaiyi-cny", "阿里巴巴宣布未来三年将投入一千五百亿元建设云计算基础设施。",
         "money", "一千五百亿", value=1.5e11, currency="CNY"),
    case("numeral-sanshiyi-cny", "百度向智能云业务追加投资三十亿元。",
         "money", "三十亿", value=3e9, currency="CNY"),
    case("numeral-shierwan-ascend", "华为今年可交付十二万片昇腾910B。",
         "gpu_count", "十二万", value=1.2e5, unit="Ascend 910B"),
    case("numeral-yiwanlingwubai-gpu", "百度的新集群由一万零五百块GPU组成。",
         "gpu_count", "一万零五百", value=10500.0, unit="GPU"),
    case("numeral-liangqian-a100", "这家初创公司手里只有两千块A100。",
         "gpu_count", "两千", value=2e3, unit="A100"),
    case("numeral-sanqianwan-usd", "字节跳动向该项目注资三千万美元。",
         "money", "三千万", value=3e7, currency="USD"),
    case("numeral-yiwanyi-jpy", "甲骨文宣布将在日本投入一万亿日元建设AI数据中心。",
         "money", "一万亿", value=1e12, currency="JPY"),
    case("numeral-sanqianyi-jpy", "微软计划在日本投入三千亿日元。",
         "money", "三千亿", value=3e11, currency="JPY"),
    case("numeral-shiyi-usd", "谷歌将在泰国投资十亿美元建设云区域。",
         "money", "十亿", value=1e9, currency="USD"),
    case("numeral-liangbaiyi-usd", "亚马逊计划在当地投入两百亿美元。",
         "money", "两百亿", value=2e10, currency="USD"),

    # ---- mixed digit + magnitude forms
    case("mixed-wan-gpu", "xAI的孟菲斯集群已扩展到20万块GPU。",
         "gpu_count", "20万", value=2e5, unit="GPU"),
    case("mixed-decimal-wanyi-cny", "该计划的总投资规模为1.5万亿元。",
         "money", "1.5万亿", value=1.5e12, currency="CNY"),
    case("mixed-3wan4000-ascend", "华为上季度交付了3万4000片昇腾910B。",
         "gpu_count", "3万4000", value=3.4e4, unit="Ascend 910B"),
    case("mixed-25wan6qian-gpu", "该数据中心可容纳25万6千块GPU。",
         "gpu_count", "25万6千", value=2.56e5, unit="GPU"),
    case("mixed-comma-decimal-yi-cny", "腾讯第三季度营收为1,100.9亿元。",
         "money", "1,100.9亿", value=1.1009e11, currency="CNY", span="1,100.9亿元"),
    case("mixed-yi-wan-usd", "OpenAI向这家芯片初创公司投资了1亿2000万美元。",
         "money", "1亿2000万", value=1.2e8, currency="USD"),
    case("mixed-decimal-wan-gpu", "阿里云本季度新增了3.5万块GPU。",
         "gpu_count", "3.5万", value=3.5e4, unit="GPU"),
    case("mixed-wan-cny", "百度为该项目拨款8000万元。",
         "money", "8000万", value=8e7, currency="CNY"),

    # ---- full-width digits and thousands separators
    case("fullwidth-gpu-h100", "字节跳动在该园区部署了２４０００块H100。",
         "gpu_count", "２４０００", value=2.4e4, unit="H100"),
    case("fullwidth-money-cny", "腾讯将向该数据中心投入１２０亿元。",
         "money", "１２０亿", value=1.2e10, currency="CNY"),
    case("fullwidth-number-staff", "华为在该基地有２４０００名员工。",
         "number", "２４０００", value=2.4e4),
    case("comma-gpu", "微软为OpenAI准备了24,000块GPU。",
         "gpu_count", "24,000", value=2.4e4, unit="GPU"),
    case("comma-wan-usd", "该项目的合同金额为1,200万美元。",
         "money", "1,200万", value=1.2e7, currency="USD"),

    # ---- currencies
    case("usd-meiyuan-span", "微软今年将投入800亿美元建设数据中心。",
         "money", "800亿", value=8e10, currency="USD", span="800亿美元",
         approx=None, value_max=None),
    case("usd-meijin", "字节跳动明年的AI基础设施预算为120亿美金。",
         "money", "120亿", value=1.2e10, currency="USD"),
    case("cny-yiyuan-span", "华为去年研发投入1647亿元。",
         "money", "1647亿", value=1.647e11, currency="CNY", span="1647亿元",
         approx=None, value_max=None),
    case("cny-renminbi-suffix", "阿里巴巴将投资1000亿人民币建设数据中心。",
         "money", "1000亿", value=1e11, currency="CNY"),
    case("cny-renminbi-prefix", "腾讯计划投入人民币500亿元用于AI算力。",
         "money", "500亿", value=5e10, currency="CNY"),
    case("cny-yuan-plain-hedged", "一台满配的H800服务器售价约200万元。",
         "money", "200万", value=2e6, currency="CNY", approx="about"),
    case("hkd-gangyuan", "腾讯昨日斥资10亿港元回购股份。",
         "money", "10亿", value=1e9, currency="HKD"),
    case("hkd-gangbi", "阿里巴巴在香港发行了50亿港币的可转债。",
         "money", "50亿", value=5e9, currency="HKD"),
    case("twd-prefix", "台积电今年的资本支出为新台币9000亿元。",
         "money", "9000亿", value=9e11, currency="TWD"),
    case("twd-suffix", "鸿海计划投资3000亿新台币扩建AI服务器产能。",
         "money", "3000亿", value=3e11, currency="TWD"),
    case("eur-span", "微软将在德国投资32亿欧元扩建数据中心。",
         "money", "32亿", value=3.2e9, currency="EUR", span="32亿欧元"),
    case("jpy", "微软宣布未来两年在日本投资4400亿日元。",
         "money", "4400亿", value=4.4e11, currency="JPY"),
    case("gbp", "谷歌将在英国投资50亿英镑。",
         "money", "50亿", value=5e9, currency="GBP"),
    case("two-amounts-first", "微软和谷歌今年分别投入800亿美元和750亿美元。",
         "money", "800亿", value=8e10, currency="USD", value_max=None),
    case("two-amounts-second", "微软和谷歌今年分别投入800亿美元和750亿美元。",
         "money", "750亿", value=7.5e10, currency="USD", value_max=None),

    # ---- ranges: magnitude / currency shared by both ends
    case("range-dash-shared-magnitude", "Meta预计今年资本开支为640-720亿美元。",
         "money", "640-720亿", value=6.4e10, value_max=7.2e10, currency="USD",
         span="640-720亿美元"),
    case("range-zhi-both-magnitudes", "谷歌预计全年资本开支在750亿至800亿美元之间。",
         "money", "750亿至800亿", value=7.5e10, value_max=8e10, currency="USD",
         span="750亿至800亿美元"),
    case("range-dash-both-magnitudes-cny", "阿里巴巴本财年资本开支预计为1200亿-1300亿元。",
         "money", "1200亿-1300亿", value=1.2e11, value_max=1.3e11, currency="CNY"),
    case("range-zhi-shared-magnitude", "字节跳动将在该项目上投入5至10亿美元。",
         "money", "5至10亿", value=5e8, value_max=1e9, currency="USD"),
    case("range-gpu", "腾讯计划为新集群采购1万至2万块GPU。",
         "gpu_count", "1万至2万", value=1e4, value_max=2e4, unit="GPU"),
    case("range-power-mw", "该园区的电力容量为300-500兆瓦。",
         "power", "300-500", value=3e8, value_max=5e8, unit="W"),
    case("range-power-gw", "该园区一期装机为1至2吉瓦。",
         "power", "1至2", value=1e9, value_max=2e9, unit="W"),
    case("range-shushiyi-usd", "多家科技巨头在东南亚投入数十亿美元建设数据中心。",
         "money", "数十亿", value=1e9, value_max=1e10, currency="USD", approx="about"),

    # ---- hedges
    case("hedge-yue-about", "亚马逊今年的资本开支约1000亿美元。",
         "money", "1000亿", value=1e11, currency="USD", approx="about"),
    case("hedge-dayue-about", "字节跳动目前大约拥有5万块H800。",
         "gpu_count", "5万", value=5e4, unit="H800", approx="about"),
    case("hedge-jin-about", "xAI的集群已有近10万块H100。",
         "gpu_count", "10万", value=1e5, unit="H100", approx="about"),
    case("hedge-chaoguo-over", "阿里巴巴过去一年在AI上的投入超过1000亿元。",
         "money", "1000亿", value=1e11, currency="CNY", approx="over"),
    case("hedge-yu-over", "谷歌今年的资本开支逾500亿美元。",
         "money", "500亿", value=5e10, currency="USD", approx="over"),
    case("hedge-duoda-up-to", "甲骨文的新集群将配备多达13万块GPU。",
         "gpu_count", "13万", value=1.3e5, unit="GPU", approx="up_to"),
    case("hedge-budao-under", "百度今年的算力投入不到50亿元。",
         "money", "50亿", value=5e9, currency="CNY", approx="under"),
    case("hedge-jin-qianyi", "腾讯今年在AI基础设施上的投入近千亿元。",
         "money", "千亿", value=1e11, currency="CNY", approx="about"),
    case("hedge-yu-baiyi", "华为在昇腾生态上累计投入逾百亿元。",
         "money", "百亿", value=1e10, currency="CNY", approx="over"),

    # ---- GPU counts: classifiers, hardware names
    case("classifier-kuai-is-gpu", "字节跳动预计年底拥有24万块GPU。",
         "gpu_count", "24万", value=2.4e5, unit="GPU"),
    case("classifier-zhang-a100", "百度去年采购了5万张A100。",
         "gpu_count", "5万", value=5e4, unit="A100"),
    case("classifier-ke-tpu-v5p", "谷歌为该项目准备了8960颗TPU v5p。",
         "gpu_count", "8960", value=8960.0, unit="TPU v5p"),
    case("classifier-mei-gb200", "微软订购了2万枚GB200。",
         "gpu_count", "2万", value=2e4, unit="GB200"),
    case("classifier-pian-ascend-chips", "华为今年计划生产10万片昇腾910B芯片。",
         "gpu_count", "10万", value=1e5, unit="Ascend 910B"),
    case("chip-mi300x-with-vendor", "甲骨文将部署3万块AMD MI300X。",
         "gpu_count", "3万", value=3e4, unit="MI300X"),
    case("chip-b200", "微软已收到1.2万块B200。",
         "gpu_count", "1.2万", value=1.2e4, unit="B200"),
    case("chip-h200-nvidia-chips", "亚马逊订购了6.5万块英伟达H200芯片。",
         "gpu_count", "6.5万", value=6.5e4, unit="H200"),
    case("wanka-cluster", "百度正在建设万卡集群。",
         "gpu_count", "万卡", value=1e4),
    case("10wanka-cluster", "阿里云计划搭建10万卡集群。",
         "gpu_count", "10万卡", value=1e5),
    case("backref-first-named", "腾讯北京机房部署了8000块H800，上海机房则有1.2万块。",
         "gpu_count", "8000", value=8e3, unit="H800"),
    case("backref-bare-classifier", "腾讯北京机房部署了8000块H800，上海机房则有1.2万块。",
         "gpu_count", "1.2万", value=1.2e4, unit="H800"),

    # ---- power
    case("power-zhaowa-span", "阿里巴巴张北数据中心的供电容量为300兆瓦。",
         "power", "300", value=3e8, unit="W", span="300兆瓦"),
    case("power-jiwa", "微软在威斯康星州的园区规划容量为1吉瓦。",
         "power", "1吉瓦", value=1e9, unit="W"),
    case("power-qianzhaowa", "OpenAI计划建设5千兆瓦的算力中心。",
         "power", "5", value=5e9, unit="W"),
    case("power-decimal-jiwa", "xAI为新集群争取到1.2吉瓦的电力。",
         "power", "1.2", value=1.2e9, unit="W"),
    case("power-hedged", "谷歌在该州的数据中心用电负荷约2吉瓦。",
         "power", "2吉瓦", value=2e9, unit="W", approx="about"),

    # ---- plain numbers and percentages (mentions, not claims)
    case("number-parameters", "该模型拥有2600亿参数。",
         "number", "2600亿", value=2.6e11),
    case("number-users", "字节跳动旗下应用拥有10亿用户。",
         "number", "10亿", value=1e9),
    case("number-year-flag", "华为于2025年发布了新一代昇腾芯片。",
         "number", "2025", flag="year"),
    case("percent", "微软智能云收入同比增长35%。",
         "percent", "35", unit="%"),

    # ---- language not given: must still read Chinese
    case("autodetect-cny", "华为今年向昇腾项目追加了200亿元投资。",
         "money", "200亿", lang=None, value=2e10, currency="CNY"),
    case("autodetect-gpu", "字节跳动已经囤积了10万块H800。",
         "gpu_count", "10万", lang=None, value=1e5, unit="H800"),
]


@pytest.mark.parametrize("text,lang,kind,sub,expect", CASES)
def test_zh_mention(text, lang, kind, sub, expect):
    check(pick(text, lang, kind, sub), expect)


# --------------------------------------------------------------------------- must NOT be read as

NOT_CASES = [
    # 块 is a classifier here, not colloquial yuan
    pytest.param("字节跳动预计年底拥有24万块GPU。", "24万", ("money",), id="kuai-classifier-not-money"),
    pytest.param("英伟达向腾讯交付了两万块H800。", "两万", ("money",), id="kuai-numeral-not-money"),
    # energy is not power
    pytest.param("该数据中心全年用电量约为20亿千瓦时。", "20亿", ("power",), id="qianwashi-energy-not-power"),
    pytest.param("该集群每年耗电约800吉瓦时。", "800", ("power",), id="jiwashi-energy-not-power"),
    # model names with digits are not counts
    pytest.param("英伟达H100目前供不应求。", "H100", ("gpu_count", "money", "power"), id="h100-alone-not-count"),
    pytest.param("华为昇腾910B的性能接近英伟达A100。", "910B", ("gpu_count",), id="910b-digits-not-count"),
    pytest.param("华为昇腾910B的性能接近英伟达A100。", "A100", ("gpu_count",), id="a100-alone-not-count"),
    # dates and years are not amounts
    pytest.param("腾讯9月份发布了混元大模型的新版本。", "9月份", ("money", "gpu_count", "power"), id="month-not-amount"),
    pytest.param("2025年阿里巴巴将继续加大算力投入。", "2025", ("money", "gpu_count", "power"), id="year-not-amount"),
    # parameter counts are not money even with 亿
    pytest.param("该模型拥有2600亿参数。", "2600亿", ("money", "gpu_count"), id="parameters-not-money"),
]


@pytest.mark.parametrize("text,sub,kinds", NOT_CASES)
def test_zh_not_read_as(text, sub, kinds):
    start, end = locate(text, sub)
    mentions = find_mentions(text, ZH)
    bad = [m for m in mentions if m.kind in kinds and m.start < end and m.end > start]
    assert not bad, f"{sub!r} in {text!r} wrongly read as:\n{describe(bad)}"


# --------------------------------------------------------------------------- contract invariants


def test_zh_mentions_are_exact_slices_of_the_input():
    texts = {p.values[0] for p in CASES} | {p.values[0] for p in NOT_CASES}
    problems = []
    for text in sorted(texts):
        for m in find_mentions(text, ZH):
            if m.kind not in MENTION_KINDS:
                problems.append(f"{text!r}: unknown kind {m.kind!r}")
            if not (0 <= m.start < m.end <= len(text)) or text[m.start:m.end] != m.text:
                problems.append(f"{text!r}: {m.text!r} is not text[{m.start}:{m.end}]")
            if m.value_max is not None and m.value_max < m.value:
                problems.append(f"{text!r}: {m.text!r} value_max {m.value_max} < value {m.value}")
    assert not problems, "\n".join(problems)
