#!/usr/bin/env python3
"""Speed of the whole extract pipeline against trafilatura alone, on the same pages, in one run.

Pages: the English and Chinese news HTML of ../shared/conformance (gzip). For each language, each
page goes through (a) trafilatura.extract alone, (b) computewatch's extract_page (decode,
trafilatura with metadata, number grammar, claims, spaCy/jieba on candidate sentences). Model
loading is done once before timing and reported apart. Goal: (b) costs at most 2x (a).

usage: bench/extract_bench.py [--rounds N] [--conformance DIR]
"""
from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFORMANCE = ROOT.parent / "shared" / "conformance"


def load_pages(conformance: Path) -> dict[str, list[tuple[str, bytes]]]:
    sets = {"en": sorted((conformance / "articles" / "html").glob("*.html.gz")),
            "zh": sorted((conformance / "articles_zh" / "gold" / "html").glob("*.html.gz"))
            + sorted((conformance / "articles_zh" / "gne" / "html").glob("*.html.gz"))}
    return {lang: [(p.name, gzip.decompress(p.read_bytes())) for p in paths]
            for lang, paths in sets.items()}


def time_trafilatura(pages) -> float:
    import trafilatura

    t0 = time.perf_counter()
    for _name, body in pages:
        trafilatura.extract(body)
    return time.perf_counter() - t0


def time_pipeline(pages) -> tuple[float, int]:
    from nlp.article import NotAnArticle
    from nlp.pipeline import extract_page

    claims = 0
    t0 = time.perf_counter()
    for name, body in pages:
        try:
            claims += len(extract_page(body, name).claims)
        except NotAnArticle:
            pass
    return time.perf_counter() - t0, claims


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="timed rounds; the median is reported")
    ap.add_argument("--conformance", type=Path, default=DEFAULT_CONFORMANCE)
    args = ap.parse_args()
    if not args.conformance.is_dir():
        print(f"extract_bench: no conformance data at {args.conformance}", file=sys.stderr)
        return 2
    pages = load_pages(args.conformance)

    t0 = time.perf_counter()
    from nlp import entities
    from nlp.pipeline import extract_page
    for lang in ("en", "zh"):
        entities.pipeline(lang)
    extract_page(pages["en"][0][1], "warmup")          # trafilatura and lexicons warm too
    load_s = time.perf_counter() - t0

    print(f"model and lexicon load (once per process): {load_s:.2f} s")
    print(f"{'lang':5s} {'pages':>5s} {'trafilatura p/s':>16s} {'pipeline p/s':>13s} {'ratio':>6s} {'claims':>6s}")
    tot_a = tot_b = 0.0
    n_all = 0
    for lang, ps in pages.items():
        a = statistics.median(time_trafilatura(ps) for _ in range(args.rounds))
        runs = [time_pipeline(ps) for _ in range(args.rounds)]
        b = statistics.median(r[0] for r in runs)
        claims = runs[0][1]
        tot_a, tot_b, n_all = tot_a + a, tot_b + b, n_all + len(ps)
        print(f"{lang:5s} {len(ps):5d} {len(ps) / a:16.1f} {len(ps) / b:13.1f} {b / a:6.2f} {claims:6d}")
    print(f"{'all':5s} {n_all:5d} {n_all / tot_a:16.1f} {n_all / tot_b:13.1f} {tot_b / tot_a:6.2f}")
    print(f"cost ratio pipeline/trafilatura = {tot_b / tot_a:.2f} (goal <= 2.00)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
