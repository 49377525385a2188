"""Quality gate on real published text: tests/realtext scored through the real CLI, by script.

The gold checks always run. The scoring needs ../shared/tools/score_claims.py and skips, saying
so, when ../shared is absent (a clone outside this project's CI). Floors: realtext_floors.toml.
"""
from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

import realtext_eval

FLOORS = tomllib.loads((Path(__file__).parent / "realtext_floors.toml").read_text("utf-8"))
GOLD = realtext_eval.gold_files()


def test_realtext_set_is_there():
    assert len(GOLD) >= 28, f"only {len(GOLD)} gold pages in {realtext_eval.REALTEXT}"
    ids = [p.name[: -len(".gold.json")] for p in GOLD]
    assert all(realtext_eval.script_of(i) in realtext_eval.SCRIPTS for i in ids)


@pytest.mark.parametrize("path", GOLD, ids=lambda p: p.name[: -len(".gold.json")])
def test_gold_is_verbatim_and_in_order(path):
    assert realtext_eval.check_gold(path) == []


scoring = pytest.mark.skipif(not realtext_eval.available(),
                             reason=f"scorer absent at {realtext_eval.SCORER}")


@pytest.fixture(scope="module")
def scores(tmp_path_factory):
    report, printed = realtext_eval.run_scorer(jobs=2)
    path = tmp_path_factory.mktemp("realtext") / "report.json"
    path.write_text(json.dumps(report), "utf-8")
    result = realtext_eval.by_script(report)
    print("\n" + realtext_eval.format_table(result))
    tool_line = realtext_eval.by_script_tool(path)
    if tool_line:
        print(tool_line)
    return report, result, tool_line


@scoring
def test_every_page_was_scored(scores):
    report, _result, _line = scores
    failed = {p["id"]: p["failed"] for p in report["pages"] if p.get("failed")}
    assert failed == {}
    assert len(report["pages"]) == len(GOLD)


@scoring
def test_split_agrees_with_shared_by_script_tool(scores):
    _report, result, line = scores
    if not line:
        pytest.skip("../shared/tools/by_script.py absent")
    for script in realtext_eval.SCRIPTS:
        if result[script]["gold"]:
            assert f"{script} F1={result[script]['F1']:.3f}" in line, line


@scoring
@pytest.mark.parametrize("script", realtext_eval.SCRIPTS)
def test_f1_and_subject_accuracy_stay_above_floor(scores, script):
    _report, result, _line = scores
    r = result[script]
    if not r["pages"]:
        pytest.skip(f"no {script} pages in tests/realtext yet")
    assert script in FLOORS, f"{script} has {r['pages']} pages but no floors in realtext_floors.toml"
    floor = FLOORS[script]
    assert r["F1"] >= floor["f1"], (
        f"{script}: F1 {r['F1']:.3f} < floor {floor['f1']} (P={r['P']:.3f} R={r['R']:.3f})")
    assert r["subject_acc"] >= floor["subject_acc"], (
        f"{script}: subject accuracy {r['subject_acc']:.3f} < floor {floor['subject_acc']}")
