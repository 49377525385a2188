"""Score the real-text development set (tests/realtext) with the project's scorer, by script.

The pages are verbatim excerpts of published news (see tests/realtext/SOURCES-*.md); each
<id>.txt has a <id>.gold.json in the format of ../shared/seeds. The scorer
(../shared/tools/score_claims.py) scores the real CLI's output page by page (the CLI run once
over all pages, so the models load once: extract_all); its JSON report is then split
by script with the rule of ../shared/tools/by_script.py: ids starting `zht` are traditional
Chinese, other `zh` ids simplified Chinese, the rest English.

Also checks the gold itself (no ../shared needed): every claim's `text` occurs verbatim in the
page, in the order of the claims, and its `sentence_contains` in the page too.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REALTEXT = TESTS / "realtext"
SHARED = TESTS.parent.parent / "shared"
SCORER = SHARED / "tools" / "score_claims.py"
BY_SCRIPT = SHARED / "tools" / "by_script.py"
SCRIPTS = ("en", "zh-Hans", "zh-Hant")
KINDS = ("gpu_count", "money", "power")
MAX_JOBS = 2  # two cores, shared: never more


def available() -> bool:
    return SCORER.is_file()


def script_of(page_id: str) -> str:
    """The same rule as ../shared/tools/by_script.py."""
    return "zh-Hant" if page_id.startswith("zht") else "zh-Hans" if page_id.startswith("zh") else "en"


def gold_files(root: Path = REALTEXT) -> list[Path]:
    return sorted(root.glob("*.gold.json"))


def check_gold(path: Path) -> list[str]:
    """Problems with one gold file (empty list when it is sound)."""
    problems = []
    gold = json.loads(path.read_text("utf-8"))
    stem = path.name[: -len(".gold.json")]
    if gold.get("id") != stem:
        problems.append(f"id {gold.get('id')!r} is not the file stem {stem!r}")
    page = path.with_name(stem + ".txt")
    if not page.is_file():
        return problems + [f"page {page.name} missing"]
    text = page.read_text("utf-8")
    title = text.split("\n", 1)[0]
    if gold.get("title") != title:
        problems.append("title is not the page's first line")
    pos = 0
    for i, c in enumerate(gold.get("claims", [])):
        where = f"claim {i} ({c.get('text')!r})"
        if c.get("kind") not in KINDS:
            problems.append(f"{where}: kind {c.get('kind')!r}")
        if not isinstance(c.get("value"), (int, float)):
            problems.append(f"{where}: value {c.get('value')!r}")
        vmax = c.get("value_max")
        if vmax is not None and not (isinstance(vmax, (int, float)) and vmax > c.get("value", 0)):
            problems.append(f"{where}: value_max {vmax!r} not above value")
        if c.get("kind") == "money" and not re.fullmatch(r"[A-Z]{3}", str(c.get("currency"))):
            problems.append(f"{where}: currency {c.get('currency')!r}")
        at = text.find(c.get("text") or "\0", pos)
        if at < 0:
            problems.append(f"{where}: text not found after offset {pos} (verbatim, in order)")
        else:
            pos = at + len(c["text"])
        if (c.get("sentence_contains") or "\0") not in text:
            problems.append(f"{where}: sentence_contains not in the page")
    for d in gold.get("distractors", []):
        if d not in text:
            problems.append(f"distractor {d!r} not in the page")
    return problems


PAGE_SUFFIXES = (".html", ".htm", ".txt")


def extract_all(pages: Path, into: Path, jobs: int = 1, timeout: float = 3000) -> None:
    """`computewatch extract` over every page in one call per job (the models load once, not
    once a page: 75 pages in ~40 s instead of ~5 min), its jsonl split by page into
    `into/<page file name>.jsonl` (empty for a page with no claims or refused)."""
    files = sorted(str(p.resolve()) for p in pages.iterdir() if p.suffix in PAGE_SUFFIXES)
    shares = [files[i::jobs] for i in range(jobs)]
    procs = [subprocess.Popen([sys.executable, "-m", "computewatch.cli", "extract", *share,
                               "--format", "jsonl"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=TESTS.parent) for share in shares if share]
    by_page: dict[str, list[str]] = {Path(f).name: [] for f in files}
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        if proc.returncode not in (0, 1):        # 1: a page refused (one line each on stderr)
            raise RuntimeError(f"extract failed ({proc.returncode}):\n{err[-3000:]}")
        for line in out.splitlines():
            if line.strip():
                by_page[Path(json.loads(line)["source"]).name].append(line)
    for name, lines in by_page.items():
        (into / f"{name}.jsonl").write_text("".join(ln + "\n" for ln in lines), "utf-8")


def run_scorer(jobs: int = 1, pages: Path = REALTEXT, verbose: bool = False,
               timeout: float = 3000) -> tuple[dict, str]:
    """Score the CLI's output with the shared scorer; return (JSON report, printed text).

    The claims come from `computewatch extract` itself (extract_all); the scorer's per-page
    command then reads that page's share, so what is scored is exactly the CLI's output."""
    import shlex
    import tempfile

    jobs = max(1, min(jobs, MAX_JOBS))
    with tempfile.TemporaryDirectory(prefix="realtext-") as tmp:
        extract_all(pages, Path(tmp), jobs=jobs, timeout=timeout)
        cli = f'cat {shlex.quote(tmp)}/"$(basename {{file}})".jsonl'
        cmd = [sys.executable, str(SCORER), "--cmd", cli, "--pages", str(pages), "--gold", str(pages),
               "--json", "--jobs", str(jobs)] + (["--verbose"] if verbose else [])
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=TESTS.parent)
    report = next((json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")), None)
    if report is None:
        raise RuntimeError(f"scorer printed no JSON report:\n{out.stdout}\n{out.stderr}")
    return report, out.stdout


def by_script(report: dict) -> dict[str, dict]:
    """Per script (and 'all'): pages, gold, pred, matched, P, R, F1, subject accuracy."""
    acc = {k: {"pages": 0, "gold": 0, "pred": 0, "matched": 0, "subj_ok": 0.0}
           for k in SCRIPTS + ("all",)}
    for p in report["pages"]:
        for k in (script_of(p["id"]), "all"):
            a = acc[k]
            a["pages"] += 1
            a["gold"] += p["gold"]
            a["pred"] += p["pred"]
            a["matched"] += p["matched"]
            a["subj_ok"] += p["subject_acc"] * p["matched"]
    for a in acc.values():
        pr = a["matched"] / a["pred"] if a["pred"] else 0.0
        rc = a["matched"] / a["gold"] if a["gold"] else 0.0
        a["P"], a["R"] = pr, rc
        a["F1"] = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        a["subject_acc"] = a["subj_ok"] / a["matched"] if a["matched"] else 0.0
    return acc


def by_script_tool(report_path: Path) -> str | None:
    """The shared by_script.py line for the same report (None when the tool is absent)."""
    if not BY_SCRIPT.is_file():
        return None
    out = subprocess.run([sys.executable, str(BY_SCRIPT), str(report_path)], capture_output=True,
                         text=True, timeout=60)
    return out.stdout.strip()


def format_table(scores: dict[str, dict]) -> str:
    rows = [f"{'script':8s} {'pages':>5s} {'gold':>5s} {'pred':>5s} {'match':>5s} "
            f"{'P':>6s} {'R':>6s} {'F1':>6s} {'subj':>6s}"]
    for k, a in scores.items():
        if a["pages"]:
            rows.append(f"{k:8s} {a['pages']:5d} {a['gold']:5d} {a['pred']:5d} {a['matched']:5d} "
                        f"{a['P']:6.3f} {a['R']:6.3f} {a['F1']:6.3f} {a['subject_acc']:6.3f}")
    return "\n".join(rows)
