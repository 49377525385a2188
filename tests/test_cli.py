"""End-to-end tests of the command line: `computewatch extract` and `computewatch mentions`.

Every test runs the real CLI as a subprocess (`python -m computewatch.cli ...`, with the Python that
runs pytest) on files written to tmp_path or on pages served over HTTP by computewatch.localsite
(tests/fixtures/site and the demo site computewatch/sample_site), and checks what a user sees:
exit code, stdout (claims as JSON lines / CSV / a table) and stderr (one line per bad input).

Starting the CLI costs ~2.5 s whenever claims are extracted (spaCy loads), so the mixed
good-and-bad runs are started concurrently in one module fixture.
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from computewatch.localsite import LocalSite

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "site"
SAMPLE = ROOT / "computewatch" / "sample_site"
EXPECTED = json.loads((FIXTURE / "EXPECTED.json").read_text("utf-8"))

# The claim schema of DESIGN.md, in its order: the contract of `extract --format jsonl` and the
# header of `--format csv`.
# The claim schema of DESIGN.md, then what the extractor adds to say how it read the figure.
SCHEMA = ["kind", "value", "value_max", "unit", "currency", "approx", "subject", "metric",
          "status", "period", "value_usd", "value_usd_max", "h100e",
          "text", "sentence", "start", "end", "lang", "source", "earlier", "referent"]
MENTION_FIELDS = ["kind", "text", "start", "end", "value", "value_max", "unit", "currency"]

GOOD_TITLE = "Big Tech keeps buying chips"
GOOD_BODY = ("Microsoft said it would spend $80 billion on AI data centers in fiscal 2025, "
             "and Meta plans to buy 350,000 Nvidia H100 GPUs.")
GOOD_TEXT = f"{GOOD_TITLE}\n{GOOD_BODY}\n"
ZH_TEXT = "字节跳动计划今年采购10万块英伟达H20芯片。\n"


# --------------------------------------------------------------------------- helpers

def run_cli(*args: str, env_extra: dict[str, str] | None = None, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, isolated from any user config or COMPUTEWATCH_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
    env.update({
        "COMPUTEWATCH_CONFIG": os.devnull,      # not a regular file: no config file is read
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "200",                       # rich: wide enough that the table title is one line
    })
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "computewatch.cli", *args],
        input=stdin, capture_output=True, text=True, encoding="utf-8", errors="replace",
        env=env, cwd=ROOT, timeout=timeout)


def describe(r: subprocess.CompletedProcess) -> str:
    return (f"\n$ {' '.join(map(str, r.args))}\nexit {r.returncode}\n"
            f"--- stdout ---\n{r.stdout[-3000:]}\n--- stderr ---\n{r.stderr[-3000:]}")


def json_lines(r: subprocess.CompletedProcess) -> list[dict]:
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    out = []
    for line in lines:
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"stdout line is not JSON: {line!r}" + describe(r))
        assert isinstance(obj, dict), f"not a JSON object: {line!r}" + describe(r)
        out.append(obj)
    return out


def stderr_lines(r: subprocess.CompletedProcess) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.strip()]


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


def find(claims: list[dict], **want) -> list[dict]:
    hits = []
    for c in claims:
        ok = True
        for k, v in want.items():
            if k in ("value", "value_max"):
                ok = ok and close(c.get(k), v)
            else:
                ok = ok and c.get(k) == v
        if ok:
            hits.append(c)
    return hits


def assert_good_claims(claims: list[dict], source: str, r: subprocess.CompletedProcess) -> None:
    """The two claims of GOOD_TEXT, read from `source`."""
    mine = [c for c in claims if c.get("source") == source]
    assert find(mine, kind="money", value=8e10, currency="USD", subject="Microsoft"), \
        f"no money 8e10 USD Microsoft claim from {source}" + describe(r)
    assert find(mine, kind="gpu_count", value=350000, unit="H100", subject="Meta"), \
        f"no gpu_count 350000 H100 Meta claim from {source}" + describe(r)


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def site():
    s = LocalSite(FIXTURE)
    base = s.start()
    yield base
    s.stop()


@pytest.fixture(scope="module")
def sample_site():
    s = LocalSite(SAMPLE)
    base = s.start()
    yield base
    s.stop()


@pytest.fixture(scope="module")
def dead_port():
    """A port bound on 127.0.0.1 but never listening: connecting to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def good_article(workdir) -> Path:
    p = workdir / "good-article.txt"
    p.write_bytes(GOOD_TEXT.encode("utf-8"))
    return p


@pytest.fixture(scope="module")
def zh_article(workdir) -> Path:
    p = workdir / "zh-article.txt"
    p.write_bytes(ZH_TEXT.encode("utf-8"))
    return p


BAD_CASES = ["missing_file", "directory", "binary_png", "empty_file", "undecodable_bytes",
             "over_size_limit_env", "over_size_limit_50mb", "unreachable_url", "http_404"]

# Each bad case: (the input as given on the command line, extra env, regex the reason must match).
@pytest.fixture(scope="module")
def bad_inputs(workdir, site, dead_port) -> dict[str, tuple[str, dict[str, str], str]]:
    d = workdir / "bad"
    d.mkdir()
    rnd = random.Random(20260101)

    a_dir = d / "a-directory.html"
    a_dir.mkdir()

    png = d / "picture.html"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(rnd.randrange(256) for _ in range(4096)))

    empty = d / "empty.html"
    empty.write_bytes(b"")

    # High bytes at random: not UTF-8, not GBK/Big5 text, no declared charset.
    junk = d / "junk.txt"
    junk.write_bytes(bytes(rnd.randrange(0x80, 0x100) for _ in range(8192)))

    # 2 MB of real HTML against a 1 MB limit set through the environment.
    big = d / "two-megabytes.html"
    para = "<p>Filler paragraph about nothing in particular, repeated to make the page large.</p>\n"
    big.write_text("<html><head><title>Big</title></head><body><article>\n"
                   + para * (2_000_000 // len(para) + 1) + "</article></body></html>\n", "utf-8")
    assert big.stat().st_size > 2_000_000

    # 50 MB against the default limit, written sparsely: an HTML header, then a hole.
    huge = d / "fifty-megabytes.html"
    with open(huge, "wb") as f:
        f.write(b"<!DOCTYPE html><html><head><title>Huge</title></head><body><p>")
        f.truncate(50 * 1024 * 1024)
    assert huge.stat().st_size == 50 * 1024 * 1024

    return {
        "missing_file": (str(d / "no-such-page.html"), {}, r"no such file|not found|does not exist"),
        "directory": (str(a_dir), {}, r"director"),
        "binary_png": (str(png), {}, r"binary|image|not a web page"),
        "empty_file": (str(empty), {}, r"empty"),
        "undecodable_bytes": (str(junk), {}, r"decod|charset|encoding|not .*text"),
        "over_size_limit_env": (str(big), {"COMPUTEWATCH_MAX_PAGE_BYTES": "1000000"},
                                r"too large|limit"),
        "over_size_limit_50mb": (str(huge), {}, r"too large|limit"),
        "unreachable_url": (f"http://127.0.0.1:{dead_port}/x.html", {},
                            r"unreachable|refused|connect"),
        "http_404": (f"{site}/gone.html", {}, r"404"),
    }


def check_one_error_line(r: subprocess.CompletedProcess, source: str, reason: str) -> None:
    assert "Traceback" not in r.stderr, "traceback on stderr" + describe(r)
    lines = stderr_lines(r)
    assert len(lines) == 1, f"expected exactly one stderr line, got {len(lines)}" + describe(r)
    assert source in lines[0], f"the stderr line does not name the input {source!r}" + describe(r)
    assert re.search(reason, lines[0], re.IGNORECASE), \
        f"the stderr line gives no reason matching /{reason}/" + describe(r)


@pytest.fixture(scope="module")
def mixed_runs(bad_inputs, good_article) -> dict[tuple[str, str], subprocess.CompletedProcess]:
    """Every bad input together with the good article in one call, good first and good last.

    Run concurrently: each call loads the NLP models, which dominates the time."""
    jobs = {}
    for case in BAD_CASES:
        source, env, _ = bad_inputs[case]
        jobs[(case, "good_first")] = (["extract", "--format", "jsonl", str(good_article), source], env)
        jobs[(case, "good_last")] = (["extract", "--format", "jsonl", source, str(good_article)], env)
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        futures = {key: pool.submit(run_cli, *args, env_extra=env)
                   for key, (args, env) in jobs.items()}
        return {key: f.result() for key, f in futures.items()}


@pytest.fixture(scope="module")
def good_jsonl(good_article) -> tuple[subprocess.CompletedProcess, list[dict]]:
    r = run_cli("extract", "--format", "jsonl", str(good_article))
    return r, json_lines(r)


# --------------------------------------------------------------------------- 1. bad inputs

@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_alone_one_line_exit_1(case, bad_inputs):
    source, env, reason = bad_inputs[case]
    r = run_cli("extract", "--format", "jsonl", source, env_extra=env)
    assert r.returncode == 1, f"exit code {r.returncode}, expected 1" + describe(r)
    check_one_error_line(r, source, reason)
    assert r.stdout.strip() == "", "a bad input alone printed claims" + describe(r)


@pytest.mark.parametrize("position", ["good_first", "good_last"])
@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_mixed_with_good_still_prints_good(case, position, bad_inputs, good_article,
                                                    mixed_runs):
    source, _, reason = bad_inputs[case]
    r = mixed_runs[(case, position)]
    assert r.returncode == 1, f"exit code {r.returncode}, expected 1" + describe(r)
    check_one_error_line(r, source, reason)
    claims = json_lines(r)
    assert claims, "the good input's claims were not printed" + describe(r)
    assert all(c.get("source") == str(good_article) for c in claims), \
        "claims attributed to something other than the good input" + describe(r)
    assert_good_claims(claims, str(good_article), r)


# --------------------------------------------------------------------------- 2. jsonl schema

def test_extract_jsonl_schema_offsets_and_claims(good_jsonl, good_article):
    r, claims = good_jsonl
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    assert r.stderr.strip() == "", "warnings or errors on stderr for a good input" + describe(r)
    article_text = good_article.read_text("utf-8")
    assert len(claims) == 2, f"expected exactly the 2 claims, got {len(claims)}" + describe(r)
    for c in claims:
        missing = [f for f in SCHEMA if f not in c]
        assert not missing, f"claim lacks schema fields {missing}: {c}"
        assert c["kind"] in ("gpu_count", "money", "power"), c
        assert isinstance(c["start"], int) and isinstance(c["end"], int), c
        assert 0 <= c["start"] < c["end"] <= len(article_text), c
        assert article_text[c["start"]:c["end"]] == c["text"], \
            f"text {c['text']!r} != article[{c['start']}:{c['end']}] " \
            f"{article_text[c['start']:c['end']]!r}"
        assert c["text"] in c["sentence"], c
        assert c["sentence"] in article_text, c
        assert c["lang"] == "en", c
        assert c["source"] == str(good_article), c
    [money] = find(claims, kind="money")
    assert close(money["value"], 8e10) and money["value_max"] is None, money
    assert money["currency"] == "USD" and money["unit"] is None, money
    assert money["subject"] == "Microsoft", money
    assert "$80 billion" in money["text"], money
    [gpus] = find(claims, kind="gpu_count")
    assert close(gpus["value"], 350000) and gpus["value_max"] is None, gpus
    assert gpus["unit"] == "H100" and gpus["currency"] is None, gpus
    assert gpus["subject"] == "Meta", gpus
    assert "350,000" in gpus["text"], gpus
    # "fiscal 2025" is a year, not a claim
    assert not find(claims, value=2025), claims


# --------------------------------------------------------------------------- 3. HTTP, encodings

ZH_PATHS = ["/news/zh-gbk.html", "/news/zh-big5.html"]


@pytest.fixture(scope="module")
def zh_http(site) -> tuple[subprocess.CompletedProcess, list[dict]]:
    r = run_cli("extract", "--format", "jsonl", *[site + p for p in ZH_PATHS])
    return r, json_lines(r)


def _key(c: dict) -> tuple:
    return (c["kind"], round(float(c["value"]), 3),
            None if c.get("value_max") is None else round(float(c["value_max"]), 3),
            c.get("currency"), c.get("unit"), c.get("approx"), c.get("subject"))


@pytest.mark.parametrize("path", ZH_PATHS)
def test_extract_http_chinese_encodings_give_expected_claims(path, zh_http, site):
    r, claims = zh_http
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    url = site + path
    mine = [c for c in claims if c.get("source") == url]
    for c in mine:
        assert c["lang"] == "zh", c
        assert "\ufffd" not in c["sentence"] and "\ufffd" not in c["text"], \
            f"mis-decoded text (replacement characters): {c}"
    expected = EXPECTED["articles"][path]["claims"]
    # kind, value, value_max, currency, unit, approx (a hedge is part of the figure) and subject
    # (EXPECTED names one for every claim); metric is only a suggestion in EXPECTED.
    got = sorted(map(_key, mine), key=repr)
    want = sorted(map(_key, expected), key=repr)
    assert got == want, f"{path}: claims differ\n got: {got}\nwant: {want}" + describe(r)


def test_extract_http_boilerplate_aside_numbers_are_not_claims(sample_site):
    """Numbers in the "Related stories" / "相关报道" asides of the demo pages give no claims."""
    pages = {
        # only in the aside: 苹果...2000万部手机 (2e7), 特斯拉...约500亿元 (5e10 CNY)
        "/news/2026/02/us-giants-ai-spending.html": ({2e7, 5e10}, 8e10),
        # only in the aside: 20 million phones, 9 million subscribers, 50 jets, $7 billion
        "/news/2026/01/big-tech-capex-race.html": ({2e7, 9e6, 50, 7e9}, 8e10),
    }
    # Sanity: the aside numbers are figures the grammar reads, so their absence means something.
    m = run_cli("mentions", "特斯拉上海超级工厂累计投资约500亿元")
    assert find(json_lines(m), kind="money", value=5e10, currency="CNY"), describe(m)
    m = run_cli("mentions", "Airline orders 50 jets in a deal worth $7 billion")
    assert find(json_lines(m), kind="money", value=7e9, currency="USD"), describe(m)

    r = run_cli("extract", "--format", "jsonl", *[sample_site + p for p in pages])
    assert r.returncode == 0, describe(r)
    claims = json_lines(r)
    for path, (aside_values, article_value) in pages.items():
        mine = [c for c in claims if c.get("source") == sample_site + path]
        assert find(mine, kind="money", value=article_value), \
            f"{path}: the article's own $80 billion claim is missing" + describe(r)
        for c in mine:
            assert not any(close(c["value"], v) for v in aside_values), \
                f"{path}: a number from the related-stories aside became a claim: {c}"
            for phrase in ("苹果", "特斯拉", "Apple sold", "Streaming", "Airline"):
                assert phrase not in c["sentence"], f"{path}: claim from the aside: {c}"


# --------------------------------------------------------------------------- 4. csv and table

def test_extract_csv_header_and_one_row_per_claim(good_article, zh_article, good_jsonl):
    _, jsonl_claims = good_jsonl
    r = run_cli("extract", "--format", "csv", str(good_article), str(zh_article))
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    rows = list(csv.reader(io.StringIO(r.stdout)))
    rows = [row for row in rows if row]
    assert rows, describe(r)
    assert rows[0] == SCHEMA, f"CSV header {rows[0]} != schema {SCHEMA}"
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert all(len(row) == len(SCHEMA) for row in rows[1:]), describe(r)
    assert not any(row == SCHEMA for row in rows[1:]), "header repeated for the second input"
    en_rows = [row for row in body if row["source"] == str(good_article)]
    zh_rows = [row for row in body if row["source"] == str(zh_article)]
    assert len(en_rows) == len(jsonl_claims) == 2, describe(r)
    assert len(zh_rows) == 1, describe(r)
    assert len(body) == 3, describe(r)
    assert sorted(row["text"] for row in en_rows) == sorted(c["text"] for c in jsonl_claims)
    money = next(row for row in en_rows if row["kind"] == "money")
    assert float(money["value"]) == 8e10 and money["currency"] == "USD", money
    assert money["subject"] == "Microsoft", money
    gpu = zh_rows[0]
    assert gpu["kind"] == "gpu_count" and float(gpu["value"]) == 100000, gpu
    assert gpu["unit"] == "H20" and gpu["lang"] == "zh", gpu


def test_extract_table_prints_title(good_article):
    r = run_cli("extract", "--format", "table", str(good_article))
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    assert GOOD_TITLE in r.stderr, "table title missing" + describe(r)   # piped: TSV on stdout
    assert "Microsoft" in r.stdout and "Meta" in r.stdout, describe(r)


# --------------------------------------------------------------------------- 5. mentions

def test_mentions_text_prints_json_lines():
    text = "Meta plans to buy 350,000 Nvidia H100 GPUs for $10 billion, up 12% on last year."
    r = run_cli("mentions", text)
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    ms = json_lines(r)
    assert ms, describe(r)
    for m in ms:
        missing = [f for f in MENTION_FIELDS if f not in m]
        assert not missing, f"mention lacks {missing}: {m}"
        assert text[m["start"]:m["end"]] == m["text"], m
    assert find(ms, kind="gpu_count", value=350000, unit="H100"), describe(r)
    assert find(ms, kind="money", value=1e10, currency="USD"), describe(r)
    assert find(ms, kind="percent"), "the percentage is a mention too (unfiltered)" + describe(r)


def test_mentions_stdin_one_json_line_per_input_line():
    lines = ["Microsoft will spend $80 billion on data centers.", "字节跳动今年将采购24万块GPU。", ""]
    r = run_cli("mentions", "-", stdin="\n".join(lines) + "\n")
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    out = json_lines(r)
    assert len(r.stdout.splitlines()) == 3 and len(out) == 3, describe(r)
    assert [o.get("line") for o in out] == [1, 2, 3], describe(r)
    assert all(isinstance(o.get("mentions"), list) for o in out), describe(r)
    for o, text in zip(out, lines):
        for m in o["mentions"]:
            assert text[m["start"]:m["end"]] == m["text"], (o["line"], m)
    assert find(out[0]["mentions"], kind="money", value=8e10, currency="USD"), out[0]
    assert find(out[1]["mentions"], kind="gpu_count", value=240000, unit="GPU"), out[1]
    assert out[2]["mentions"] == [], out[2]


# --------------------------------------------------------------------------- 6. many inputs

def test_extract_many_inputs_in_one_call(good_article, zh_article):
    r = run_cli("extract", "--format", "jsonl", str(good_article), str(zh_article))
    assert r.returncode == 0, describe(r)
    assert "Traceback" not in r.stderr, describe(r)
    claims = json_lines(r)
    assert_good_claims(claims, str(good_article), r)
    zh = [c for c in claims if c["source"] == str(zh_article)]
    assert find(zh, kind="gpu_count", value=100000, unit="H20", subject="ByteDance"), describe(r)
    assert all(c["lang"] == "zh" for c in zh), zh
    # in input order: the first file's claims come first
    sources = [c["source"] for c in claims]
    assert sources == sorted(sources, key=[str(good_article), str(zh_article)].index), sources


# --------------------------------------------------------------------------- 6. tables

def _on_a_terminal(width: int):
    """stdout as a terminal of `width` columns (rich reads COLUMNS), collecting what is printed."""
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    os.environ["COLUMNS"] = str(width)
    return Terminal()


HOSTILE = {"kind": "money", "value": 4e10, "value_max": None, "currency": "USD", "unit": None,
           "approx": None, "subject": "[bold]Meta[/]", "metric": "capex", "source": "[red]src",
           "sentence": "Meta [Reuters] will spend $40 billion [/] on [link=x]data centers[/link].",
           "url": "http://127.0.0.1/a[1].html", "published": "2026-01-02"}


@pytest.mark.parametrize("width", [80, 200])
def test_claims_table_shows_markup_as_text_and_fits_the_terminal(width, monkeypatch):
    from computewatch import output

    monkeypatch.setenv("COLUMNS", str(width))
    out = _on_a_terminal(width)
    monkeypatch.setattr(sys, "stdout", out)
    output.write_claims_table([HOSTILE, {**HOSTILE, "subject": "Microsoft"}])
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    lines = text.splitlines()
    assert max(len(ln) for ln in lines) <= width, text
    flat = " ".join(" ".join(ln.split()) for ln in lines)
    for words in ("[bold]Meta[/]", "[Reuters]", "[/]", "[link=x]data"):
        assert words in flat, (words, text)
    assert "40B USD" in flat
    if width == 80:     # the least needed columns are left out, not the sentence squeezed
        assert "source" not in lines[2] and "sentence" in text
    else:
        assert "[red]src" in flat


def test_tables_are_tsv_when_piped(monkeypatch):
    from computewatch import output

    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    output.write_claims_table([HOSTILE, {**HOSTILE, "sentence": "two\tcells\nand lines"}])
    header, first, second = out.getvalue().splitlines()
    assert header.split("\t") == ["reported", "kind", "figure", "subject", "metric", "source",
                                  "sentence", "url"]
    assert first.split("\t") == ["2026-01-02", "money", "40B USD", "[bold]Meta[/]", "capex", "[red]src",
                                 HOSTILE["sentence"], HOSTILE["url"]]
    assert second.split("\t")[6] == "two cells and lines"     # a tab or newline never splits a row


def test_log_lines_do_not_break_the_live_status_line(tmp_path):
    """Under a terminal (script(1) gives a pty), a line logged while the status line is live is
    printed whole on its own line."""
    import shutil

    if not shutil.which("script"):
        pytest.skip("script(1) not installed")
    program = tmp_path / "live.py"
    program.write_text(
        "import logging, time\n"
        "from computewatch import logs\n"
        "from computewatch.crawl import LiveDisplay\n"
        "logs.setup(logging.INFO)\n"
        "p = dict(sources=1, pages=0, articles=0, claims=0, errors=0, processing=None)\n"
        "with LiveDisplay() as d:\n"
        "    for n in range(6):\n"
        "        d.update({**p, 'pages': n}); time.sleep(0.3)\n"
        "        if n == 3: logging.getLogger('computewatch.test').warning('a whole log line')\n", "utf-8")
    r = subprocess.run(["script", "-qec", f"{sys.executable} {program}", "/dev/null"],
                       capture_output=True, text=True, timeout=60, cwd=ROOT,
                       env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
    assert r.returncode == 0, r.stdout + r.stderr
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", r.stdout).replace("\r", "\n")
    logged = [ln for ln in screen.splitlines() if "a whole log line" in ln]
    assert logged and all(re.fullmatch(r"\S+Z WARNING computewatch\.test a whole log line\s*", ln)
                          for ln in logged), repr(screen)
