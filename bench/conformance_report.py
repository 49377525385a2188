#!/usr/bin/env python3
"""Print how much of the third-party number specs `computewatch mentions` gets right.

usage: bench/conformance_report.py [--misses N]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import conformance_eval  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", type=int, default=0, help="list up to N misses per file")
    args = ap.parse_args()
    if not conformance_eval.available():
        print(f"conformance data not found at {conformance_eval.CONFORMANCE}", file=sys.stderr)
        return 2
    print(f"{'file':20s} {'expected':>8s} {'found':>6s} {'share':>6s}")
    for r in conformance_eval.score_all():
        print(f"{r['file']:20s} {r['expected']:8d} {r['found']:6d} {r['share']:6.3f}")
        for miss in r["misses"][:args.misses]:
            print("    MISS", *miss)
    return 0


if __name__ == "__main__":
    sys.exit(main())
