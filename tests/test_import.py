"""`computewatch import`: WARC archives built with warcio from the fixture site's pages, imported
for real into SQLite and PostgreSQL, checked on the database.

The archive holds what a CC-NEWS file holds: HTML responses from a listed domain (English, GBK
and Big5 Chinese, an off-topic story), a PDF, a 404, a revisit record, request and warcinfo
records, and pages from a domain nobody listed.
"""
from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
from pathlib import Path


from crawl_helpers import EXPECTED, FIXTURE, ROOT, cli_env, query, run_cli

HOST = "news.fixture.test"
BASE = f"https://{HOST}"
WARC_DAY = "2024-03-05"
UNDATED = """<html><head><title>Oracle books more AI capacity</title></head><body><article>
<h1>Oracle books more AI capacity</h1>
<p>Oracle said it will spend $25 billion on new data centers for AI workloads, and that its
cloud unit will install 64,000 Nvidia GB200 GPUs in a new cluster.</p>
<p>The company said demand for AI infrastructure keeps rising and that the data center
investment would be spread over several years, with power contracts already signed.</p>
</article></body></html>"""

KEPT = ["/news/en-capex.html", "/news/en-meta.html", "/news/en-power.html", "/news/zh-gbk.html",
        "/news/zh-big5.html"]


def _http(status: str, ctype: str):
    from warcio.statusandheaders import StatusAndHeaders

    return StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")


def write_warc(path: Path, gzipped: bool = True, extra=()) -> Path:
    """The test archive; `extra` adds (url, status, content type, body) responses."""
    from warcio.warcwriter import WARCWriter

    with open(path, "wb") as out:
        w = WARCWriter(out, gzip=gzipped)
        w.write_record(w.create_warcinfo_record(path.name, {"software": "computewatch tests"}))

        def response(url, status, ctype, body, date=f"{WARC_DAY}T10:00:00Z"):
            w.write_record(w.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=_http(status, ctype),
                warc_headers_dict={"WARC-Date": date}))

        for p in KEPT + ["/news/en-sports.html"]:
            w.write_record(w.create_warc_record(BASE + p, "request", payload=io.BytesIO(b"GET " + p.encode() + b" HTTP/1.1\r\n\r\n"),
                                                warc_headers_dict={"WARC-Date": f"{WARC_DAY}T10:00:00Z"}))
            response(BASE + p, "200 OK", "text/html; charset=utf-8" if "gbk" not in p and "big5" not in p else "text/html",
                     (FIXTURE / p.lstrip("/")).read_bytes())
        response(BASE + "/news/undated.html", "200 OK", "text/html", UNDATED.encode(),
                 date="2023-11-17T08:30:00Z")
        response(BASE + "/files/report.pdf", "200 OK", "application/pdf", (FIXTURE / "files/report.pdf").read_bytes())
        response(BASE + "/gone.html", "404 Not Found", "text/html", b"<html>gone</html>")
        w.write_record(w.create_revisit_record(BASE + "/news/en-capex.html", digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                               refers_to_uri=BASE + "/news/en-capex.html",
                                               refers_to_date=f"{WARC_DAY}T10:00:00Z",
                                               http_headers=_http("200 OK", "text/html")))
        response("https://elsewhere.example/news/en-meta.html", "200 OK", "text/html",
                 (FIXTURE / "news/en-meta.html").read_bytes())
        for url, status, ctype, body in extra:
            response(url, status, ctype, body)
    return path


def domains(tmp_path: Path) -> Path:
    f = tmp_path / "domains.txt"
    f.write_text(f"# the fixture outlet\n{HOST}\n", "utf-8")
    return f


def sources_for(tmp_path: Path) -> Path:
    """A sources file whose one source lives on HOST: its domain is what import keeps by default."""
    f = tmp_path / "sources.toml"
    f.write_text(f'include_defaults = false\n\n[[source]]\nname = "fixture"\nlang = "en"\n'
                 f'feeds = ["{BASE}/feed.xml"]\ninterval = "1h"\n', "utf-8")
    return f


def stored_claims(url: str) -> list[tuple]:
    return query(url, "SELECT a.url, c.kind, c.value, c.value_max, c.currency, c.subject FROM claims c "
                      "JOIN articles a ON a.id = c.article_id ORDER BY a.url, c.start")


def expected_claims() -> list[tuple]:
    rows = []
    for p in KEPT:
        for c in EXPECTED["articles"][p]["claims"]:
            rows.append((BASE + p, c["kind"], c["value"], c["value_max"], c["currency"], c["subject"]))
    return sorted(rows, key=lambda r: r[0])


def test_import_keeps_listed_html_and_its_claims(db_url, tmp_path):
    archive = write_warc(tmp_path / "news.warc.gz")
    r = run_cli("import", str(archive), "--sources", str(sources_for(tmp_path)), "--db", db_url)
    assert r.returncode == 0, r.stderr
    pages = query(db_url, "SELECT p.final_url, s.name FROM pages p LEFT JOIN sources s ON s.id = p.source_id ORDER BY p.final_url")
    assert [p for p, _ in pages] == sorted(BASE + p for p in KEPT + ["/news/en-sports.html", "/news/undated.html"])
    assert {s for _, s in pages} == {"fixture"}            # credited to the source of the domain
    # Claims as the crawler finds them on the same pages (EXPECTED.json), plus the undated page's.
    got = [c for c in stored_claims(db_url) if not c[0].endswith("undated.html")]
    assert sorted(got, key=lambda r: r[0]) == expected_claims()
    undated = [c[1:] for c in stored_claims(db_url) if c[0].endswith("undated.html")]
    assert ("money", 25e9, None, "USD", "Oracle") in undated
    # Dates come from the WARC records: the fetch date, and reported_on where no date is printed.
    fetched = dict(query(db_url, "SELECT final_url, fetched_at FROM pages"))
    assert str(fetched[BASE + "/news/undated.html"]).startswith("2023-11-17 08:30")
    assert str(fetched[BASE + "/news/en-capex.html"]).startswith(WARC_DAY)
    reported = dict(query(db_url, "SELECT url, reported_on FROM articles"))
    assert str(reported[BASE + "/news/undated.html"]) == "2023-11-17"
    assert str(reported[BASE + "/news/en-capex.html"]) == EXPECTED["articles"]["/news/en-capex.html"]["published"]
    relevant = dict(query(db_url, "SELECT url, relevant FROM articles"))
    assert not relevant[BASE + "/news/en-sports.html"]
    assert "import summary" in r.stdout


def test_second_import_and_crawled_pages_store_nothing_new(db_url, tmp_path):
    archive = write_warc(tmp_path / "news.warc.gz")
    args = ("import", str(archive), "--domains", str(domains(tmp_path)), "--db", db_url)
    assert run_cli(*args).returncode == 0
    before = (query(db_url, "SELECT count(*) FROM pages"), query(db_url, "SELECT count(*) FROM articles"),
              stored_claims(db_url))
    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    assert "already imported" in again.stdout
    # A copy of the same archive under another name: every record is read, none stored again.
    copy = tmp_path / "copy.warc.gz"
    copy.write_bytes(archive.read_bytes())
    third = run_cli("import", str(copy), "--domains", str(domains(tmp_path)), "--db", db_url)
    assert third.returncode == 0, third.stderr
    after = (query(db_url, "SELECT count(*) FROM pages"), query(db_url, "SELECT count(*) FROM articles"),
             stored_claims(db_url))
    assert after == before


def test_filters_by_date_and_declared_language(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    archive = write_warc(tmp_path / "news.warc.gz", extra=[
        (BASE + "/news/declared-zh.html", "200 OK", "text/html",
         b'<html lang="zh-CN"><body><p>\xe5\x8d\x8e\xe4\xb8\xba</p></body></html>')])
    r = run_cli("import", str(archive), "--domains", str(domains(tmp_path)), "--since", "2024-01-01",
                "--lang", "en", "--db", db)
    assert r.returncode == 0, r.stderr
    urls = {u for (u,) in query(db, "SELECT final_url FROM pages")}
    assert BASE + "/news/declared-zh.html" not in urls      # declares Chinese
    assert BASE + "/news/zh-gbk.html" not in urls           # <html lang="zh-CN">
    assert BASE + "/news/en-meta.html" in urls              # <html lang="en">
    # undated.html declares no language but was fetched in 2023, before --since
    assert BASE + "/news/undated.html" not in urls
    r = run_cli("import", str(archive), "--domains", str(domains(tmp_path)), "--lang", "en",
                "--until", "2023-12-31", "--db", f"sqlite:///{tmp_path / 'old.db'}")
    assert r.returncode == 0, r.stderr
    old = {u for (u,) in query(f"sqlite:///{tmp_path / 'old.db'}", "SELECT final_url FROM pages")}
    assert old == {BASE + "/news/undated.html"}            # no language declared: kept


def _record_offsets(data: bytes) -> list[int]:
    from warcio.archiveiterator import ArchiveIterator

    it = ArchiveIterator(io.BytesIO(data))
    return [it.get_record_offset() for _ in it]


def _corrupt_member(data: bytes, index: int) -> tuple[bytes, int]:
    """The archive with gzip member `index` damaged in its middle; and that member's offset."""
    offsets = _record_offsets(data)
    start, end = offsets[index], offsets[index + 1]
    mid = start + (end - start) // 2
    return data[:mid] + bytes(b ^ 0x5A for b in data[mid:mid + 40]) + data[mid + 40:], start


def test_corrupt_member_broken_header_and_bad_files_are_reported_and_skipped(db_url, tmp_path):
    data = write_warc(tmp_path / "ok.warc.gz").read_bytes()
    # Member 0 is warcinfo, then request/response pairs: 2 is the first response (en-capex).
    broken, offset = _corrupt_member(data, 2)
    (tmp_path / "broken.warc.gz").write_bytes(broken)
    # An uncompressed archive whose second response has an HTTP header that cannot be parsed.
    plain = write_warc(tmp_path / "plain.warc", gzipped=False).read_bytes()
    bad_at = plain.find(b"HTTP/1.1 200 OK", plain.find(b"en-meta.html"))
    plain = plain[:bad_at] + b"HTTP/1.1 2xx OK" + plain[bad_at + len(b"HTTP/1.1 200 OK"):]
    (tmp_path / "plain.warc").write_bytes(plain)
    (tmp_path / "notes.warc").write_text("this is not an archive\n", "utf-8")
    r = run_cli("import", str(tmp_path / "broken.warc.gz"), str(tmp_path / "plain.warc"),
                str(tmp_path / "notes.warc"), str(tmp_path / "missing.warc.gz"), str(tmp_path / "none-*.warc"),
                "--domains", str(domains(tmp_path)), "--db", db_url)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert all(line.startswith("computewatch: error: ") for line in lines), r.stderr
    assert "Traceback" not in r.stderr
    assert any(f"broken.warc.gz: offset {offset}:" in line for line in lines), r.stderr
    assert any("plain.warc: offset" in line for line in lines), r.stderr
    assert any("notes.warc: not a WARC or ARC file" in line for line in lines)
    assert any("missing.warc.gz: no such file" in line for line in lines)
    assert any("none-*.warc: no file matches" in line for line in lines)
    urls = {u for (u,) in query(db_url, "SELECT final_url FROM pages")}
    # The damaged record is lost, every other one is there (from one file or the other).
    assert BASE + "/news/en-power.html" in urls and BASE + "/news/zh-big5.html" in urls
    assert BASE + "/news/en-capex.html" in urls          # from plain.warc, whose record is sound
    errors = dict(query(db_url, "SELECT path, errors FROM import_files"))
    assert errors[str(tmp_path / "broken.warc.gz")] == 1
    assert errors[str(tmp_path / "plain.warc")] == 1


def test_oversized_record_is_skipped_with_its_offset(tmp_path):
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    huge = b"<html><body>" + b"<p>filler</p>" * 100_000 + b"</body></html>"       # 1.3 MB
    archive = write_warc(tmp_path / "news.warc.gz", extra=[(BASE + "/huge.html", "200 OK", "text/html", huge)])
    r = run_cli("import", str(archive), "--domains", str(domains(tmp_path)), "--db", db,
                env={"COMPUTEWATCH_MAX_PAGE_BYTES": "1000000"})
    assert r.returncode == 1
    assert "huge.html: record over max_page_bytes" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    urls = {u for (u,) in query(db, "SELECT final_url FROM pages")}
    assert BASE + "/huge.html" not in urls and BASE + "/news/en-meta.html" in urls


def test_killed_import_resumes_where_it_stopped(tmp_path):
    """SIGKILL mid-file, then the same command: every record read once, every page stored once."""
    db = f"sqlite:///{tmp_path / 'cw.db'}"
    body = (FIXTURE / "news/en-sports.html").read_bytes()     # off topic: quick to process
    n = 600
    extra = [(f"{BASE}/archive/{i}.html", "200 OK", "text/html",
              body.replace(b"</body>", f"<p>story {i}</p></body>".encode())) for i in range(n)]
    archive = write_warc(tmp_path / "big.warc.gz", extra=extra)
    cmd = [sys.executable, "-m", "computewatch.cli", "import", str(archive), "--domains",
           str(domains(tmp_path)), "--db", db]
    proc = subprocess.Popen(cmd, env=cli_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    offset = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            rows = query(db, "SELECT \"offset\" FROM import_files")
        except Exception:
            rows = []
        offset = rows[0][0] if rows else 0
        if offset > 0:
            break
        time.sleep(0.05)
    assert proc.poll() is None and offset > 0, "the import ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (done,) = query(db, "SELECT done FROM import_files")[0]
    assert not done
    r = run_cli("import", str(archive), "--domains", str(domains(tmp_path)), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "resumed at offset" in r.stdout
    records, kept, done = query(db, "SELECT records, kept, done FROM import_files")[0]
    # warcinfo, 6 request/response pairs, undated, pdf, 404, revisit, elsewhere, and the n stories
    total_records = 1 + 12 + 1 + 1 + 1 + 1 + 1 + n
    assert done and records == total_records
    (pages,) = query(db, "SELECT count(*) FROM pages")[0]
    assert pages == kept == 6 + 1 + n
    # Every stored page was processed: none left behind by the kill.
    (unprocessed,) = query(db, "SELECT count(*) FROM pages WHERE processed_version IS NULL")[0]
    assert unprocessed == 0
