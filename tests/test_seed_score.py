"""The seed article scored by the project's scorer, through the real CLI, as a user would run it."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import SHARED

SCORER = SHARED / "tools" / "score_claims.py"
SEEDS = SHARED / "seeds"


@pytest.mark.skipif(not SCORER.is_file(), reason=f"scorer absent at {SCORER}")
def test_seed_article_f1_and_subject_accuracy():
    cli = f"{sys.executable} -m computewatch.cli extract {{file}} --format jsonl"
    out = subprocess.run([sys.executable, str(SCORER), "--cmd", cli, "--pages", str(SEEDS),
                          "--gold", str(SEEDS)], capture_output=True, text=True, timeout=300)
    last = out.stdout.strip().splitlines()[-1]
    print(last)
    m = re.search(r"F1=([\d.]+) P=([\d.]+) R=([\d.]+) subject_acc=([\d.]+) pages_failed=(\d+)", last)
    assert m, out.stdout + out.stderr
    f1, _p, _r, subj, failed = float(m[1]), m[2], m[3], float(m[4]), int(m[5])
    assert failed == 0
    assert f1 >= 0.95
    assert subj >= 0.90
