"""The topic filter's cost per 5 KB article, English and Chinese (goal: under 1 ms), against
reading the same text once with str.lower() (a floor no scoring can beat), in one run.

    .venv/bin/python bench/topic_bench.py [--n 500]

The articles are the on-topic and off-topic examples of tests/test_topic.py, repeated to 5 KB.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=500)
    args = ap.parse_args()
    from nlp import topic
    from test_topic import IRRELEVANT, RELEVANT

    title, text, _ = RELEVANT["en wire: GPU cluster"]
    en = (text + " " + IRRELEVANT["en politics"][1] + " ") * 12
    zh = (RELEVANT["zh 数据中心 investment"][1] + IRRELEVANT["zh politics"][1]) * 14
    topic.score(en, "en", title)                     # vocabulary compiled outside the timing
    for label, body, lang in (("en", en, "en"), ("zh", zh, "zh")):
        t0 = time.process_time()
        for _ in range(args.n):
            topic.score(body, lang, title)
        per = (time.process_time() - t0) / args.n
        t0 = time.process_time()
        for _ in range(args.n):
            body.lower()
        floor = (time.process_time() - t0) / args.n
        print(f"topic {label}: {len(body.encode()):,} bytes, {per * 1e6:.0f} µs CPU per article "
              f"(lower() alone {floor * 1e6:.1f} µs); goal < 1000 µs: {'met' if per < 0.001 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
