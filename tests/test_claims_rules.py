"""Claim-level rules: `nlp.claims.extract_claims` keeps only gpu_count / money / power claims,
attributes them to the buyer or spender, and drops the non-claims of DESIGN.md (percentages,
years and dates, parameter/token/user counts, per-share prices, model and version names).

Cases are written from the specification, not from the implementation's output.
Each expected claim is located by its kind and a substring (the numeric core) that the
claim's span must cover; only the fields given are checked.
"""
from __future__ import annotations

import math

import pytest

from nlp.claims import extract_claims
from nlp.types import CLAIM_KINDS


# --------------------------------------------------------------------------- helpers


def _locate(text: str, sub: str) -> tuple[int, int]:
    assert text.count(sub) == 1, f"test data error: {sub!r} must occur exactly once in {text!r}"
    pos = text.index(sub)
    return pos, pos + len(sub)


def _describe(claims) -> str:
    return "\n".join(
        f"  {c.kind:9} {c.text!r} [{c.start}:{c.end}] value={c.value} max={c.value_max} "
        f"unit={c.unit} cur={c.currency} approx={c.approx} subject={c.subject} metric={c.metric}"
        for c in claims
    ) or "  (no claims)"


def _find(claims, text: str, kind: str, sub: str):
    start, end = _locate(text, sub)
    covering = [c for c in claims if c.kind == kind and c.start <= start and c.end >= end]
    assert covering, f"no {kind} claim covers {sub!r} in {text!r}; got:\n{_describe(claims)}"
    return min(covering, key=lambda c: c.end - c.start)


def _check(c, expect: dict) -> None:
    if "value" in expect:
        assert math.isclose(c.value, expect["value"], rel_tol=1e-6), (
            f"value {c.value!r} != {expect['value']!r} for {c.text!r}"
        )
    if "value_max" in expect:
        if expect["value_max"] is None:
            assert c.value_max is None, f"value_max should be None, got {c.value_max!r}"
        else:
            assert c.value_max is not None, f"value_max missing for range {c.text!r}"
            assert math.isclose(c.value_max, expect["value_max"], rel_tol=1e-6), (
                f"value_max {c.value_max!r} != {expect['value_max']!r} for {c.text!r}"
            )
    for field in ("currency", "unit", "approx", "subject"):
        if field in expect:
            assert getattr(c, field) == expect[field], (
                f"{field} {getattr(c, field)!r} != {expect[field]!r} for {c.text!r}"
            )


def claim(kind, sub, **expect):
    return (kind, sub, expect)


def case(id_, text, lang, *expected):
    """`expected` is the complete list of claims the text must yield (no more, no fewer)."""
    return pytest.param(text, lang, list(expected), id=id_)


# --------------------------------------------------------------------------- claims expected

CASES = [
    # ---- English: subject is the buyer / spender, aliases canonicalised
    case("en-buyer-not-vendor", "Microsoft will buy 500,000 Nvidia GB200 chips next year.", "en",
         claim("gpu_count", "500,000", value=5e5, unit="GB200", subject="Microsoft")),
    case("en-vendor-is-sentence-subject", "Nvidia agreed to sell 200,000 GB200 chips to Oracle.", "en",
         claim("gpu_count", "200,000", value=2e5, unit="GB200", subject="Oracle")),
    case("en-zuckerberg-alias", "Zuckerberg said the company will end the year with 600,000 GPUs.", "en",
         claim("gpu_count", "600,000", value=6e5, unit="GPU", subject="Meta")),
    case("en-facebook-alias", "Facebook plans to spend $10 billion on a new data center in Louisiana.", "en",
         claim("money", "10 billion", value=1e10, currency="USD", subject="Meta")),
    case("en-xai-gpus", "xAI's Colossus supercomputer in Memphis now runs 200,000 GPUs.", "en",
         claim("gpu_count", "200,000", value=2e5, unit="GPU", subject="xAI")),
    case("en-amazon-over-with-year", "Amazon expects to spend more than $100 billion on capital expenditures in 2025.", "en",
         claim("money", "100 billion", value=1e11, currency="USD", approx="over", subject="Amazon")),
    case("en-google-invest", "Google will invest $40 billion in new data centers in Texas through 2027.", "en",
         claim("money", "40 billion", value=4e10, currency="USD", subject="Google")),
    case("en-openai-pays-oracle", "OpenAI agreed to pay Oracle $30 billion a year for data-center capacity.", "en",
         claim("money", "30 billion", value=3e10, currency="USD", subject="OpenAI")),
    case("en-microsoft-pays-coreweave", "Microsoft will pay CoreWeave $10 billion for GPU capacity.", "en",
         claim("money", "10 billion", value=1e10, currency="USD", subject="Microsoft")),
    case("en-power-gigawatts", "Microsoft's new Wisconsin campus will draw 1.5 gigawatts.", "en",
         claim("power", "1.5", value=1.5e9, unit="W", subject="Microsoft")),
    case("en-power-1-gigawatt-campus", "Amazon is building a 1-gigawatt campus next to a nuclear plant.", "en",
         claim("power", "1-gigawatt", value=1e9, unit="W", subject="Amazon")),
    case("en-power-up-to", "OpenAI will deploy up to 10 gigawatts of Nvidia systems.", "en",
         claim("power", "10 gigawatts", value=1e10, unit="W", approx="up_to", subject="OpenAI")),
    case("en-subject-from-previous-sentence",
         "Oracle reported strong cloud demand on Tuesday. "
         "The company expects capital spending of about $25 billion this fiscal year.", "en",
         claim("money", "25 billion", value=2.5e10, currency="USD", approx="about", subject="Oracle")),
    case("en-parameters-beside-real-claim",
         "Meta, whose newest model has 70 billion parameters, plans to spend $65 billion on capex this year.", "en",
         claim("money", "65 billion", value=6.5e10, currency="USD", subject="Meta")),
    case("en-range-is-one-claim",
         "Microsoft is expected to spend between $60 billion and $65 billion next year.", "en",
         claim("money", "$60 billion and $65 billion", value=6e10, value_max=6.5e10,
               currency="USD", subject="Microsoft")),

    # ---- Chinese
    case("zh-xiaozha-alias", "小扎表示，到年底公司将拥有60万块GPU。", "zh",
         claim("gpu_count", "60万", value=6e5, unit="GPU", subject="Meta")),
    case("zh-lianshu-alias", "脸书计划今年在数据中心上投入650亿美元。", "zh",
         claim("money", "650亿", value=6.5e10, currency="USD", subject="Meta")),
    case("zh-laohuang-alias", "老黄透露，英伟达本季度数据中心营收达到300亿美元。", "zh",
         claim("money", "300亿", value=3e10, currency="USD", subject="Nvidia")),
    case("zh-weiruan-fiscal-year-hedge", "微软将在2025财年投入约800亿美元建设AI数据中心。", "zh",
         claim("money", "800亿", value=8e10, currency="USD", approx="about", subject="Microsoft")),
    case("zh-aliyun-alias", "阿里云宣布未来三年投入3800亿元用于云和AI基础设施建设。", "zh",
         claim("money", "3800亿", value=3.8e11, currency="CNY", subject="Alibaba")),
    case("zh-zijie-short-alias", "字节今年的AI资本开支预计达到1600亿元。", "zh",
         claim("money", "1600亿", value=1.6e11, currency="CNY", subject="ByteDance")),
    case("zh-subject-from-previous-sentence", "腾讯昨日发布了第三季度财报。公司该季度资本开支为130亿元。", "zh",
         claim("money", "130亿", value=1.3e10, currency="CNY", subject="Tencent")),
    case("zh-baidu-ascend", "百度在阳泉的数据中心部署了3万块昇腾910B。", "zh",
         claim("gpu_count", "3万", value=3e4, unit="Ascend 910B", subject="Baidu")),
    case("zh-buyer-after-vendor", "英伟达将向字节跳动交付10万块H800。", "zh",
         claim("gpu_count", "10万", value=1e5, unit="H800", subject="ByteDance")),
    case("zh-buyer-orders-from-vendor", "阿里巴巴向英伟达订购了5万块H800。", "zh",
         claim("gpu_count", "5万", value=5e4, unit="H800", subject="Alibaba")),
    case("zh-power-zhaowa", "阿里巴巴张北数据中心的供电容量为300兆瓦。", "zh",
         claim("power", "300", value=3e8, unit="W", subject="Alibaba")),
    case("zh-kuai-gpu-not-money", "字节跳动计划明年拥有24万块GPU。", "zh",
         claim("gpu_count", "24万", value=2.4e5, unit="GPU", subject="ByteDance")),
    case("zh-backref-bare-classifier", "字节跳动在乌兰察布的集群有2万块H800，在芜湖的集群另有1.5万块。", "zh",
         claim("gpu_count", "2万", value=2e4, unit="H800", subject="ByteDance"),
         claim("gpu_count", "1.5万", value=1.5e4, unit="H800", subject="ByteDance")),
    case("zh-huawei-wanka", "华为宣布在贵安建成万卡集群。", "zh",
         claim("gpu_count", "万卡", value=1e4, subject="Huawei")),
    case("zh-range-is-one-claim", "谷歌预计全年资本开支在750亿至800亿美元之间。", "zh",
         claim("money", "750亿至800亿", value=7.5e10, value_max=8e10, currency="USD", subject="Google")),
]


@pytest.mark.parametrize("text,lang,expected", CASES)
def test_claims(text, lang, expected):
    claims = extract_claims(text, lang)
    for kind, sub, expect in expected:
        _check(_find(claims, text, kind, sub), expect)
    assert len(claims) == len(expected), (
        f"expected exactly {len(expected)} claim(s) in {text!r}; got:\n{_describe(claims)}"
    )


# --------------------------------------------------------------------------- distractors: no claims

DISTRACTORS = [
    # English
    pytest.param("Meta's new model has 70 billion parameters and was trained on 9 trillion tokens.", "en",
                 id="en-parameters-and-tokens"),
    pytest.param("Google says its Gemini app now has 400 million monthly users.", "en",
                 id="en-user-count"),
    pytest.param("Meta's apps reach 3.4 billion users every day.", "en",
                 id="en-user-count-billion"),
    pytest.param("Microsoft shares rose 4% to $420.50 per share on Tuesday.", "en",
                 id="en-share-price-and-percent"),
    pytest.param("Oracle reported adjusted earnings of $1.47 per share.", "en",
                 id="en-earnings-per-share"),
    pytest.param("In 2024, Amazon's cloud unit grew 19% from a year earlier.", "en",
                 id="en-year-and-percent"),
    pytest.param("OpenAI launched GPT-4 in March 2023, and Meta followed with Llama 3.1.", "en",
                 id="en-model-versions-and-dates"),
    pytest.param("Meta sold more Quest 3 headsets than analysts expected.", "en",
                 id="en-product-version"),
    pytest.param("The Nvidia H100 remains the most sought-after AI chip.", "en",
                 id="en-chip-name-alone"),
    pytest.param("Google's data centers consumed 30 terawatt-hours of electricity last year.", "en",
                 id="en-energy-not-power"),
    # Chinese
    pytest.param("该模型拥有2600亿参数，训练数据达10万亿token。", "zh",
                 id="zh-parameters-and-tokens"),
    pytest.param("阿里巴巴旗下淘宝拥有近10亿用户。", "zh",
                 id="zh-user-count"),
    pytest.param("华为于2024年9月份发布了Mate 70系列手机。", "zh",
                 id="zh-date-and-model-name"),
    pytest.param("腾讯股价上涨3.5%，收于每股480港元。", "zh",
                 id="zh-share-price-and-percent"),
    pytest.param("阿里巴巴本季度每股收益为2.1美元。", "zh",
                 id="zh-earnings-per-share"),
    pytest.param("英伟达H100是目前最抢手的AI芯片。", "zh",
                 id="zh-chip-name-alone"),
    pytest.param("该数据中心全年用电量约为20亿千瓦时。", "zh",
                 id="zh-energy-not-power"),
    pytest.param("微软智能云收入同比增长20%。", "zh",
                 id="zh-percent"),
    pytest.param("OpenAI于2023年3月发布了GPT-4。", "zh",
                 id="zh-date-and-version"),
    pytest.param("Meta开源了Llama 3.1模型。", "zh",
                 id="zh-model-version"),
]


@pytest.mark.parametrize("text,lang", DISTRACTORS)
def test_no_claims(text, lang):
    claims = extract_claims(text, lang)
    assert claims == [], f"expected no claims in {text!r}; got:\n{_describe(claims)}"


# --------------------------------------------------------------------------- contract invariants


def test_claims_are_exact_slices_with_their_sentence():
    problems = []
    for p in CASES:
        text, lang, _ = p.values
        for c in extract_claims(text, lang):
            if c.kind not in CLAIM_KINDS:
                problems.append(f"{text!r}: kind {c.kind!r} is not a claim kind")
            if not (0 <= c.start < c.end <= len(text)) or text[c.start:c.end] != c.text:
                problems.append(f"{text!r}: {c.text!r} is not text[{c.start}:{c.end}]")
            if c.text not in c.sentence or c.sentence not in text:
                problems.append(f"{text!r}: sentence {c.sentence!r} does not hold {c.text!r}")
            if c.lang != lang:
                problems.append(f"{text!r}: lang {c.lang!r} != {lang!r}")
            if c.kind == "money" and not c.currency:
                problems.append(f"{text!r}: money claim {c.text!r} without currency")
            if c.kind == "power" and c.unit != "W":
                problems.append(f"{text!r}: power claim {c.text!r} with unit {c.unit!r}")
    assert not problems, "\n".join(problems)
