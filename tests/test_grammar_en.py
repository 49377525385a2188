"""English number grammar: `nlp.mentions.find_mentions` on English news-style sentences.

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

EN = "en"


# --------------------------------------------------------------------------- helpers


def case(id_, text, kind, sub, lang=EN, **expect):
    return grammar_cases.case(id_, text, kind, sub, lang=lang, **expect)


# --------------------------------------------------------------------------- positive cases

CASES = [
    # ---- money: magnitude words and abbreviations
    case("billion-span", "Microsoft plans to spend $80 billion on AI data centers this fiscal year.",
         "money", "80 billion", value=8e10, currency="USD", span="$80 billion",
         approx=None, value_max=None),
    case("bn", "Google raised its capital spending forecast to $85bn.",
         "money", "85bn", value=8.5e10, currency="USD"),
    case("B", "Amazon's capital expenditure reached $75B last year.",
         "money", "75B", value=7.5e10, currency="USD"),
    case("trillion", "OpenAI has committed to $1.4 trillion in compute spending.",
         "money", "1.4 trillion", value=1.4e12, currency="USD"),
    case("tn", "Analysts put cumulative AI infrastructure spending at $3tn by the end of the decade.",
         "money", "3tn", value=3e12, currency="USD"),
    case("million", "Oracle paid $500 million for the land around its Texas campus.",
         "money", "500 million", value=5e8, currency="USD"),
    case("M", "CoreWeave raised $650M in new debt to pay for GPUs.",
         "money", "650M", value=6.5e8, currency="USD"),
    case("mn", "Baidu set aside $300mn for chip purchases.",
         "money", "300mn", value=3e8, currency="USD"),
    case("K", "Nvidia prices each B200 at $40K for its largest customers.",
         "money", "40K", value=4e4, currency="USD"),
    case("thousands-separator-roughly", "Each Nvidia H100 costs roughly $30,000.",
         "money", "30,000", value=3e4, currency="USD", approx="about"),
    case("decimal-billion", "xAI raised $6.5 billion in its latest funding round.",
         "money", "6.5 billion", value=6.5e9, currency="USD"),

    # ---- currencies
    case("us-dollar-prefix-span", "Alibaba will invest US$10 billion in overseas cloud regions.",
         "money", "10 billion", value=1e10, currency="USD", span="US$10 billion"),
    case("usd-code", "Tencent's capital expenditure rose to USD 11 billion in the quarter.",
         "money", "11 billion", value=1.1e10, currency="USD"),
    case("dollars-word-span", "Huawei plans to spend 10 billion dollars on Ascend production lines.",
         "money", "10 billion", value=1e10, currency="USD", span="10 billion dollars"),
    case("us-dollars-word", "ByteDance budgeted 20 billion US dollars for AI chips this year.",
         "money", "20 billion", value=2e10, currency="USD"),
    case("euro-symbol-span", "Microsoft will invest €3.2 billion in German data centers.",
         "money", "3.2 billion", value=3.2e9, currency="EUR", span="€3.2 billion"),
    case("euros-word", "Google will spend 5 billion euros on its Belgian data centers.",
         "money", "5 billion", value=5e9, currency="EUR"),
    case("yen-word", "Oracle plans to invest 1.2 trillion yen in Japan over ten years.",
         "money", "1.2 trillion", value=1.2e12, currency="JPY"),
    case("pound-symbol", "Google announced a £5 billion investment in the UK.",
         "money", "5 billion", value=5e9, currency="GBP"),
    case("hk-dollar", "Alibaba raised HK$12 billion through a convertible bond.",
         "money", "12 billion", value=1.2e10, currency="HKD"),
    case("nt-dollar", "TSMC set this year's capital budget at NT$1.2 trillion.",
         "money", "1.2 trillion", value=1.2e12, currency="TWD"),
    case("rmb-code", "Alibaba will spend RMB 380 billion on cloud and AI infrastructure.",
         "money", "380 billion", value=3.8e11, currency="CNY"),
    case("two-amounts-first", "Microsoft and Google will spend $80 billion and $75 billion respectively.",
         "money", "80 billion", value=8e10, currency="USD", value_max=None),
    case("two-amounts-second", "Microsoft and Google will spend $80 billion and $75 billion respectively.",
         "money", "75 billion", value=7.5e10, currency="USD", value_max=None),

    # ---- ranges: magnitude / currency shared by both ends
    case("range-shared-magnitude-span", "Meta expects capital expenditures of $64-72 billion this year.",
         "money", "64-72 billion", value=6.4e10, value_max=7.2e10, currency="USD",
         span="$64-72 billion"),
    case("range-bn-both-ends-span", "Microsoft is expected to spend $60bn-$65bn next year.",
         "money", "60bn-$65bn", value=6e10, value_max=6.5e10, currency="USD",
         span="$60bn-$65bn"),
    case("range-between-and", "Amazon said it would invest between $10 billion and $12 billion in Georgia.",
         "money", "$10 billion and $12 billion", value=1e10, value_max=1.2e10, currency="USD"),
    case("range-between-power", "The new campus will draw between 1 and 2 gigawatts.",
         "power", "1 and 2 gigawatts", value=1e9, value_max=2e9, unit="W"),

    # ---- spelled-out numbers
    case("spelled-twenty-four-thousand", "Microsoft has twenty-four thousand GPUs in the cluster.",
         "gpu_count", "twenty-four thousand", value=2.4e4, unit="GPU"),
    case("spelled-hundred-and-six", "Amazon operates one hundred and six data centers in the region.",
         "number", "one hundred and six", value=106.0),
    case("spelled-a-million", "OpenAI wants to bring a million GPUs online by the end of the year.",
         "gpu_count", "million", value=1e6, unit="GPU"),
    case("spelled-two-million", "Microsoft aims to grow its fleet to two million GPUs.",
         "gpu_count", "two million", value=2e6, unit="GPU"),
    case("spelled-a-billion-dollars", "Baidu will spend a billion dollars on new servers.",
         "money", "billion", value=1e9, currency="USD"),
    case("spelled-power", "The site can supply three hundred megawatts.",
         "power", "three hundred", value=3e8, unit="W"),
    case("digits-thousand-word", "Tencent has 20 thousand H800s in its Shanghai cluster.",
         "gpu_count", "20 thousand", value=2e4, unit="H800"),

    # ---- GPU counts
    case("K-gpus", "xAI trained its first Grok model on 16K GPUs.",
         "gpu_count", "16K", value=1.6e4, unit="GPU"),
    case("K-h100s", "CoreWeave's new cluster holds 50K H100s.",
         "gpu_count", "50K", value=5e4, unit="H100"),
    case("h100s-plural", "Microsoft bought 150,000 H100s this year.",
         "gpu_count", "150,000", value=1.5e5, unit="H100"),
    case("nvidia-h100-chips", "Amazon ordered 50,000 Nvidia H100 chips.",
         "gpu_count", "50,000", value=5e4, unit="H100"),
    case("plain-gpus", "Oracle's cluster in Abilene will contain 100,000 GPUs.",
         "gpu_count", "100,000", value=1e5, unit="GPU"),
    case("a100s", "ByteDance bought 10,000 A100s before the export ban.",
         "gpu_count", "10,000", value=1e4, unit="A100"),
    case("b200-gpus", "Google ordered 20,000 Nvidia B200 GPUs.",
         "gpu_count", "20,000", value=2e4, unit="B200"),
    case("gb200-chips", "Microsoft will deploy 36,000 GB200 chips at its Atlanta site.",
         "gpu_count", "36,000", value=3.6e4, unit="GB200"),
    case("mi300x-accelerators", "Oracle will offer 30,000 AMD MI300X accelerators to its cloud customers.",
         "gpu_count", "30,000", value=3e4, unit="MI300X"),
    case("tpu-v5p", "Google links 8,960 TPU v5p chips in a single pod.",
         "gpu_count", "8,960", value=8960.0, unit="TPU v5p"),
    case("ascend-910b", "Huawei aims to ship 100,000 Ascend 910B chips this year.",
         "gpu_count", "100,000", value=1e5, unit="Ascend 910B"),
    case("h800-chips", "Tencent stockpiled 10,000 H800 chips.",
         "gpu_count", "10,000", value=1e4, unit="H800"),
    case("h200-gpus", "xAI added 50,000 H200 GPUs to its Memphis supercomputer.",
         "gpu_count", "50,000", value=5e4, unit="H200"),
    case("accelerators", "Amazon plans to deploy 400,000 accelerators next year.",
         "gpu_count", "400,000", value=4e5, unit="accelerator"),

    # ---- hedges
    case("hedge-about", "Alibaba will spend about $53 billion on AI infrastructure.",
         "money", "53 billion", value=5.3e10, currency="USD", approx="about"),
    case("hedge-nearly", "xAI's cluster already runs nearly 100,000 GPUs.",
         "gpu_count", "100,000", value=1e5, unit="GPU", approx="about"),
    case("hedge-roughly-gpus", "Meta's training fleet includes roughly 50,000 H100s.",
         "gpu_count", "50,000", value=5e4, unit="H100", approx="about"),
    case("hedge-more-than", "Amazon expects to spend more than $100 billion this year.",
         "money", "100 billion", value=1e11, currency="USD", approx="over"),
    case("hedge-less-than", "Baidu spent less than $5 billion on capital expenditure last year.",
         "money", "5 billion", value=5e9, currency="USD", approx="under"),
    case("hedge-up-to-gpus", "The Abilene campus could house up to 400,000 GPUs.",
         "gpu_count", "400,000", value=4e5, unit="GPU", approx="up_to"),
    case("hedge-up-to-money", "Microsoft may invest up to $10 billion in the startup.",
         "money", "10 billion", value=1e10, currency="USD", approx="up_to"),

    # ---- power
    case("megawatts-span", "CoreWeave leased 300 megawatts of capacity in Pennsylvania.",
         "power", "300", value=3e8, unit="W", span="300 megawatts"),
    case("MW-attached", "Google signed a deal for 500MW of nuclear power.",
         "power", "500MW", value=5e8, unit="W"),
    case("GW-spaced", "Microsoft's new Fairwater site will need 2 GW.",
         "power", "2 GW", value=2e9, unit="W"),
    case("gigawatts-decimal", "OpenAI's Stargate site in Texas will reach 1.2 gigawatts.",
         "power", "1.2", value=1.2e9, unit="W"),
    case("hyphenated-gigawatt-campus", "Amazon is building a 1-gigawatt campus in Pennsylvania.",
         "power", "1-gigawatt", value=1e9, unit="W"),
    case("MW-thousands-separator", "Meta's Ohio campus is designed for 1,000 MW.",
         "power", "1,000", value=1e9, unit="W"),
    case("power-about", "xAI needs about 1 gigawatt for the new cluster.",
         "power", "1 gigawatt", value=1e9, unit="W", approx="about"),
    case("power-up-to", "OpenAI will deploy up to 10 gigawatts of Nvidia systems.",
         "power", "10 gigawatts", value=1e10, unit="W", approx="up_to"),

    # ---- plain numbers and percentages (mentions, not claims)
    case("number-parameters", "Meta's largest model has 70 billion parameters.",
         "number", "70 billion", value=7e10),
    case("number-tokens", "The model was trained on 9 trillion tokens.",
         "number", "9 trillion", value=9e12),
    case("number-users", "Google says Gemini has 2 billion users.",
         "number", "2 billion", value=2e9),
    case("number-employees-span", "Oracle employs 24,000 engineers in India.",
         "number", "24,000", value=2.4e4, span="24,000"),
    case("number-million-plain", "The campus covers 2.5 million square feet.",
         "number", "2.5 million", value=2.5e6),
    case("number-year-flag", "In 2024, Microsoft doubled its data-center footprint.",
         "number", "2024", flag="year"),
    case("percent-symbol", "Azure revenue grew 40% in the quarter.",
         "percent", "40", unit="%"),
    case("percent-word", "Google Cloud revenue rose 32 percent.",
         "percent", "32", unit="%"),

    # ---- language not given: must still read English
    case("autodetect-money", "Amazon will invest $20 billion in Pennsylvania data centers.",
         "money", "20 billion", lang=None, value=2e10, currency="USD"),
    case("autodetect-gpu", "Oracle ordered 65,000 H200 GPUs.",
         "gpu_count", "65,000", lang=None, value=6.5e4, unit="H200"),
]


@pytest.mark.parametrize("text,lang,kind,sub,expect", CASES)
def test_en_mention(text, lang, kind, sub, expect):
    check(pick(text, lang, kind, sub), expect)


# --------------------------------------------------------------------------- must NOT be read as

NOT_CASES = [
    pytest.param("The Nvidia H100 remains the most sought-after AI chip.", "H100",
                 ("gpu_count", "money", "power"), id="h100-alone-not-count"),
    pytest.param("Meta released Llama 3.1 last summer.", "3.1",
                 ("gpu_count", "money", "power"), id="llama-version-not-amount"),
    pytest.param("OpenAI trained GPT-4 on Azure supercomputers.", "4",
                 ("gpu_count", "money", "power"), id="gpt4-not-amount"),
    pytest.param("Amazon's Virginia data centers used 500 GWh of electricity last quarter.", "500",
                 ("power",), id="gwh-energy-not-power"),
    pytest.param("The cluster consumed 1.2 million kWh in a month.", "1.2 million",
                 ("power",), id="kwh-energy-not-power"),
    pytest.param("Google's data centers used 30 terawatt-hours of electricity last year.", "30",
                 ("power",), id="terawatt-hours-energy-not-power"),
    pytest.param("Meta's largest model has 405 billion parameters.", "405 billion",
                 ("money", "gpu_count"), id="parameters-not-money"),
    pytest.param("In 2024, Microsoft doubled its data-center footprint.", "2024",
                 ("money", "gpu_count", "power"), id="year-not-amount"),
]


@pytest.mark.parametrize("text,sub,kinds", NOT_CASES)
def test_en_not_read_as(text, sub, kinds):
    start, end = locate(text, sub)
    mentions = find_mentions(text, EN)
    bad = [m for m in mentions if m.kind in kinds and m.start < end and m.end > start]
    assert not bad, f"{sub!r} in {text!r} wrongly read as:\n{describe(bad)}"


# --------------------------------------------------------------------------- contract invariants


def test_en_mentions_are_exact_slices_of_the_input():
    texts = {p.values[0] for p in CASES} | {p.values[0] for p in NOT_CASES}
    problems = []
    for text in sorted(texts):
        for m in find_mentions(text, EN):
            if m.kind not in MENTION_KINDS:
                problems.append(f"{text!r}: unknown kind {m.kind!r}")
            if not (0 <= m.start < m.end <= len(text)) or text[m.start:m.end] != m.text:
                problems.append(f"{text!r}: {m.text!r} is not text[{m.start}:{m.end}]")
            if m.value_max is not None and m.value_max < m.value:
                problems.append(f"{text!r}: {m.text!r} value_max {m.value_max} < value {m.value}")
    assert not problems, "\n".join(problems)
