#!/usr/bin/env python3
"""Print how `computewatch extract` scores on the real-text set (tests/realtext), per script.

usage: bench/realtext_report.py [--jobs N] [--verbose] [--json FILE]
  --jobs     pages scored in parallel (1 or 2; the machine has two shared cores)
  --verbose  also print the scorer's per-page report with misses and false positives
  --json     also write the scorer's full JSON report to FILE
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import realtext_eval  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1, help="pages in parallel (at most 2)")
    ap.add_argument("--verbose", action="store_true", help="print misses and false positives")
    ap.add_argument("--json", type=Path, help="write the scorer's JSON report here")
    args = ap.parse_args()
    bad = {p.name: pr for p in realtext_eval.gold_files() if (pr := realtext_eval.check_gold(p))}
    for name, problems in bad.items():
        print(f"GOLD {name}: {'; '.join(problems)}", file=sys.stderr)
    if not realtext_eval.available():
        print(f"scorer not found at {realtext_eval.SCORER}", file=sys.stderr)
        return 2
    report, printed = realtext_eval.run_scorer(jobs=args.jobs, verbose=args.verbose)
    if args.verbose:
        print("\n".join(line for line in printed.splitlines() if not line.startswith("{")))
        print()
    if args.json:
        args.json.write_text(json.dumps(report), "utf-8")
    print(realtext_eval.format_table(realtext_eval.by_script(report)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
