"""Tests of computewatch.localsite (the local HTTP server for the fixture and demo sites).

Real HTTP requests with urllib/http.client against a LocalSite on 127.0.0.1; plus sanity checks of
the fixture site (tests/fixtures/site) and of the bundled demo site (computewatch/sample_site).
"""
from __future__ import annotations

import email.utils
import http.client
import json
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import urllib.robotparser
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest

from computewatch.localsite import LocalSite, filler_chunks

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "site"
SAMPLE = pathlib.Path(__file__).resolve().parent.parent / "computewatch" / "sample_site"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


NO_REDIRECT = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5,
        opener=None):  # noqa: ANN001
    """(status, headers, body, final_url); HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, headers=headers or {})
    open_ = (opener or urllib.request.build_opener()).open
    try:
        with open_(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read(), resp.geturl()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers, exc.read(), exc.geturl()


@pytest.fixture(scope="module")
def site():
    with LocalSite(FIXTURE) as s:
        yield s


def make_root(tmp_path: pathlib.Path, routes: str, files: dict[str, bytes] | None = None) -> pathlib.Path:
    (tmp_path / "_routes.toml").write_text(routes, encoding="utf-8")
    for name, data in (files or {}).items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return tmp_path


# --------------------------------------------------------------------------- lifecycle

def test_start_returns_base_url_on_ephemeral_port(tmp_path):
    site = LocalSite(tmp_path)
    base = site.start()
    try:
        parts = urlsplit(base)
        assert parts.scheme == "http" and parts.hostname == "127.0.0.1"
        assert parts.port and parts.port > 0
        assert site.base_url == base
        assert site.start() == base  # idempotent
    finally:
        site.stop()
    site.stop()  # idempotent
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", parts.port), timeout=1).close()


def test_two_sites_side_by_side(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "index.html").write_bytes(b"A")
    (tmp_path / "b" / "index.html").write_bytes(b"B")
    with LocalSite(tmp_path / "a") as a, LocalSite(tmp_path / "b") as b:
        assert a.base_url != b.base_url
        assert get(a.base_url + "/")[2] == b"A"
        assert get(b.base_url + "/")[2] == b"B"


def test_root_must_be_a_directory(tmp_path):
    with pytest.raises(NotADirectoryError):
        LocalSite(tmp_path / "missing")


# --------------------------------------------------------------------------- plain files

def test_200_with_body_and_content_type(site):
    status, headers, body, _ = get(site.base_url + "/news/en-capex.html")
    assert status == 200
    assert b"Microsoft will spend $80 billion on AI data centers this fiscal year." in body
    assert headers["Content-Type"] == "text/html"  # no charset unless the routes say so
    assert int(headers["Content-Length"]) == len(body)


@pytest.mark.parametrize("path, ctype", [
    ("/feed.xml", "application/xml"),
    ("/atom.xml", "application/xml"),
    ("/robots.txt", "text/plain"),
    ("/files/report.pdf", "application/pdf"),
    ("/tag/x", "text/html"),
])
def test_content_types(site, path, ctype):
    status, headers, body, _ = get(site.base_url + path)
    assert status == 200
    assert headers["Content-Type"] == ctype


def test_pdf_is_served_unchanged(site):
    _, _, body, _ = get(site.base_url + "/files/report.pdf")
    assert body == (FIXTURE / "files" / "report.pdf").read_bytes()
    assert body.startswith(b"%PDF-")


def test_directory_index_and_slash_redirect(site):
    status, headers, body, _ = get(site.base_url + "/list/")
    assert status == 200 and b"Latest stories" in body
    status, headers, _, _ = get(site.base_url + "/list", opener=NO_REDIRECT)
    assert status == 301
    assert headers["Location"] == site.base_url + "/list/"
    status, _, body, final = get(site.base_url + "/")
    assert status == 200 and b"Fixture Daily" in body


def test_query_string_is_ignored_for_files(site):
    status, _, body, _ = get(site.base_url + "/news/en-meta.html?utm_source=rss&utm_medium=feed")
    assert status == 200
    assert body == get(site.base_url + "/news/en-meta.html")[2]


def test_head_request(site):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    try:
        conn.request("HEAD", "/news/en-capex.html")
        resp = conn.getresponse()
        assert resp.status == 200
        assert int(resp.getheader("Content-Length")) > 0
        assert resp.read() == b""
    finally:
        conn.close()


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("path", ["/gone.html", "/no/such/page.html", "/_routes.toml"])
def test_404(site, path):
    status, headers, body, _ = get(site.base_url + path)
    assert status == 404
    assert b"404" in body
    assert b"redirect" not in body  # in particular, _routes.toml is never served


def test_path_traversal_is_refused(site):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    try:
        conn.request("GET", "/../../test_localsite.py")
        resp = conn.getresponse()
        assert resp.status == 404
        resp.read()
    finally:
        conn.close()


def test_500(site):
    status, headers, body, _ = get(site.base_url + "/broken.html")
    assert status == 500
    assert headers["Content-Type"] == "text/html"


# --------------------------------------------------------------------------- redirects

def test_redirect_statuses_and_locations(site):
    status, headers, _, _ = get(site.base_url + "/old/a.html", opener=NO_REDIRECT)
    assert status == 301
    assert headers["Location"] == site.base_url + "/old/b.html"
    status, headers, _, _ = get(site.base_url + "/old/b.html", opener=NO_REDIRECT)
    assert status == 302
    assert headers["Location"] == site.base_url + "/news/en-redirected.html"


def test_redirect_chain_is_followed_to_the_article(site):
    status, _, body, final = get(site.base_url + "/old/a.html")
    assert status == 200
    assert final == site.base_url + "/news/en-redirected.html"
    assert b"Google will invest $75 billion" in body


def test_redirect_loop(site):
    status, headers, _, _ = get(site.base_url + "/loop/1.html", opener=NO_REDIRECT)
    assert status == 301 and headers["Location"].endswith("/loop/2.html")
    status, headers, _, _ = get(site.base_url + "/loop/2.html", opener=NO_REDIRECT)
    assert status == 301 and headers["Location"].endswith("/loop/1.html")
    # urllib gives up on the loop with the redirect's own status
    assert get(site.base_url + "/loop/1.html")[0] == 301


# --------------------------------------------------------------------------- conditional GET

def test_etag_and_304(site):
    status, headers, body, _ = get(site.base_url + "/feed.xml")
    assert status == 200
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and etag.endswith('"')
    assert email.utils.parsedate_to_datetime(last_modified) is not None

    status, headers, body, _ = get(site.base_url + "/feed.xml", {"If-None-Match": etag})
    assert status == 304 and body == b""
    assert headers["ETag"] == etag
    status, _, _, _ = get(site.base_url + "/feed.xml", {"If-None-Match": f'W/{etag}, "other"'})
    assert status == 304
    status, _, body, _ = get(site.base_url + "/feed.xml", {"If-None-Match": '"stale"'})
    assert status == 200 and body

    status, _, body, _ = get(site.base_url + "/feed.xml", {"If-Modified-Since": last_modified})
    assert status == 304
    status, _, body, _ = get(site.base_url + "/feed.xml",
                             {"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert status == 200 and body


def test_no_etag_unless_declared(site):
    _, headers, _, _ = get(site.base_url + "/news/en-meta.html")
    assert headers.get("ETag") is None


# --------------------------------------------------------------------------- {base}

def test_base_substitution_in_feed(site):
    _, _, body, _ = get(site.base_url + "/feed.xml")
    assert b"{base}" not in body
    assert f"<link>{site.base_url}/news/en-capex.html</link>".encode() in body
    assert (FIXTURE / "feed.xml").read_bytes().count(b"{base}") == body.count(site.base_url.encode())
    ET.fromstring(body)  # still well-formed


def test_base_substitution_in_robots_and_html(site):
    _, _, body, _ = get(site.base_url + "/robots.txt")
    assert f"Sitemap: {site.base_url}/sitemap_index.xml".encode() in body
    _, _, body, _ = get(site.base_url + "/mirror/en-meta-copy.html")
    assert f'<link rel="canonical" href="{site.base_url}/news/en-meta.html">'.encode() in body


# --------------------------------------------------------------------------- encodings

def test_gbk_bytes_served_unchanged_with_lying_header(site):
    status, headers, body, _ = get(site.base_url + "/news/zh-gbk.html")
    assert status == 200
    stored = (FIXTURE / "news" / "zh-gbk.html").read_bytes()
    assert body == stored.replace(b"{base}", site.base_url.encode())
    assert headers["Content-Type"] == "text/html; charset=utf-8"  # the lie
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("gbk")
    assert '<meta charset="gbk">' in text
    assert "阿里巴巴将在未来三年投入3800亿元人民币" in text


def test_big5_bytes_with_charset_from_routes(site):
    status, headers, body, _ = get(site.base_url + "/news/zh-big5.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=big5"
    stored = (FIXTURE / "news" / "zh-big5.html").read_bytes()
    assert body == stored.replace(b"{base}", site.base_url.encode())
    assert "台積電將投資新台幣5000億元" in body.decode("big5")


# --------------------------------------------------------------------------- delay, size

def test_delay(tmp_path):
    root = make_root(tmp_path, '["/slow.html"]\ndelay = 0.5\n\n["/late.html"]\ndelay = 0.5\nfile = "x.html"\n',
                     {"slow.html": b"<p>slow</p>", "x.html": b"<p>from x</p>"})
    with LocalSite(root) as s:
        t0 = time.monotonic()
        status, _, body, _ = get(s.base_url + "/slow.html")
        assert time.monotonic() - t0 >= 0.45
        assert status == 200 and body == b"<p>slow</p>"
        assert get(s.base_url + "/late.html")[2] == b"<p>from x</p>"
        with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
            urllib.request.urlopen(s.base_url + "/slow.html", timeout=0.1).read()
        # a fast page is not held up by a slow one (threaded server)
        (root / "fast.html").write_bytes(b"fast")
        t0 = time.monotonic()
        assert get(s.base_url + "/fast.html")[2] == b"fast"
        assert time.monotonic() - t0 < 0.4


def test_stop_does_not_wait_for_a_delayed_request(tmp_path):
    root = make_root(tmp_path, '["/slow.html"]\ndelay = 30\n', {"slow.html": b"x"})
    s = LocalSite(root)
    s.start()
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    sock.sendall(b"GET /slow.html HTTP/1.0\r\n\r\n")
    time.sleep(0.2)
    t0 = time.monotonic()
    s.stop()
    assert time.monotonic() - t0 < 5
    sock.close()


@pytest.mark.parametrize("size", [0, 10, 200, 12345, 300_000])
def test_generate_bytes(tmp_path, size):
    root = make_root(tmp_path, f'["/big.html"]\ngenerate_bytes = {size}\n')
    with LocalSite(root) as s:
        status, headers, body, _ = get(s.base_url + "/big.html")
    assert status == 200
    assert headers["Content-Type"] == "text/html"
    assert int(headers["Content-Length"]) == size
    assert len(body) == size
    if size >= 200:
        assert body.startswith(b"<!DOCTYPE html>") and body.endswith(b"</html>\n")


def test_filler_chunks_exact_sizes():
    for size in [0, 1, 99, 100, 101, 65536, 65537, 1_000_003]:
        assert sum(len(c) for c in filler_chunks(size)) == size


def test_huge_fixture_announces_30_mb(site):
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
    try:
        conn.request("HEAD", "/huge.html")
        resp = conn.getresponse()
        assert resp.status == 200
        assert int(resp.getheader("Content-Length")) == 30_000_000
        resp.read()
        # A client that reads a little and hangs up does not disturb the server.
        conn2 = http.client.HTTPConnection("127.0.0.1", site.port, timeout=5)
        conn2.request("GET", "/huge.html")
        r2 = conn2.getresponse()
        assert len(r2.read(100_000)) == 100_000
        conn2.close()
        assert get(site.base_url + "/about.html")[0] == 200
    finally:
        conn.close()


# --------------------------------------------------------------------------- routes odds and ends

def test_route_headers_body_and_redirect_status(tmp_path):
    root = make_root(tmp_path, """
["/inline.txt"]
body = "base is {base}"
headers = { "X-Test" = "yes" }

["/tmp"]
redirect = "https://elsewhere.invalid/x"
status = 307

["/teapot.html"]
status = 418

["/soft404.html"]
status = 404
file = "page.html"

["/latin.html"]
charset = "iso-8859-1"
file = "page.html"
""", {"page.html": b"<p>a page</p>"})
    with LocalSite(root) as s:
        status, headers, body, _ = get(s.base_url + "/inline.txt")
        assert status == 200 and body == f"base is {s.base_url}".encode()
        assert headers["X-Test"] == "yes" and headers["Content-Type"] == "text/plain"
        status, headers, _, _ = get(s.base_url + "/tmp", opener=NO_REDIRECT)
        assert status == 307 and headers["Location"] == "https://elsewhere.invalid/x"
        assert get(s.base_url + "/teapot.html")[0] == 418
        status, _, body, _ = get(s.base_url + "/soft404.html")
        assert status == 404 and body == b"<p>a page</p>"
        assert get(s.base_url + "/latin.html")[1]["Content-Type"] == "text/html; charset=iso-8859-1"


def test_no_routes_file(tmp_path):
    (tmp_path / "index.html").write_bytes(b"hi {base}")
    with LocalSite(tmp_path) as s:
        assert s.routes == {}
        assert get(s.base_url + "/")[2] == f"hi {s.base_url}".encode()


# --------------------------------------------------------------------------- request log

def test_requests_are_recorded_and_reset(tmp_path):
    (tmp_path / "a.html").write_bytes(b"a")
    with LocalSite(tmp_path) as s:
        get(s.base_url + "/a.html?x=1")
        get(s.base_url + "/missing.html", {"User-Agent": "computewatch-test"})
        assert s.requests == ["/a.html?x=1", "/missing.html"]
        assert s.request_log[1].method == "GET"
        assert s.request_log[1].headers["User-Agent"] == "computewatch-test"
        s.reset_requests()
        assert s.requests == [] and s.request_log == []
        get(s.base_url + "/a.html")
        assert s.requests == ["/a.html"]


def test_requests_are_thread_safe(tmp_path):
    import concurrent.futures

    (tmp_path / "a.html").write_bytes(b"a")
    with LocalSite(tmp_path) as s:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: get(f"{s.base_url}/a.html?i={i}"), range(64)))
        assert sorted(s.requests) == sorted(f"/a.html?i={i}" for i in range(64))


def test_quiet(tmp_path, capfd):
    (tmp_path / "a.html").write_bytes(b"a")
    with LocalSite(tmp_path) as s:
        get(s.base_url + "/a.html")
        get(s.base_url + "/nope.html")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# --------------------------------------------------------------------------- command line

def test_command_line_entry(tmp_path):
    (tmp_path / "index.html").write_bytes(b"served by the CLI")
    with subprocess.Popen([sys.executable, "-m", "computewatch.localsite", str(tmp_path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            base = proc.stdout.readline().strip()
            assert base.startswith("http://127.0.0.1:")
            assert get(base + "/")[2] == b"served by the CLI"
            proc.send_signal(signal.SIGINT)  # Ctrl-C: a clean exit
            assert proc.wait(timeout=10) == 0
            assert proc.stderr.read() == ""
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


# --------------------------------------------------------------------------- the fixture site itself

EXPECTED = json.loads((FIXTURE / "EXPECTED.json").read_text(encoding="utf-8"))


def test_fixture_expected_articles_are_served(site):
    for path, info in EXPECTED["articles"].items():
        status, _, body, final = get(site.base_url + path if path != "/news/en-redirected.html"
                                     else site.base_url + info["reached_from"])
        assert status == 200, path
        text = body.decode(info["encoding"])
        assert "<article>" in text and info["title"] in text, path
        assert f'content="{info["published"]}' in text, path
        assert info["claims"], path
        for c in info["claims"]:
            assert set(c) >= {"kind", "value", "value_max", "currency", "unit", "subject"}
            assert c["kind"] in ("gpu_count", "money", "power")


def test_fixture_xml_is_well_formed_and_discovery_matches(site):
    ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
          "atom": "http://www.w3.org/2005/Atom",
          "news": "http://www.google.com/schemas/sitemap-news/0.9"}

    def rel(url: str) -> str:
        assert url.startswith(site.base_url), url
        return url[len(site.base_url):]

    rss = ET.fromstring(get(site.base_url + "/feed.xml")[2])
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert [rel(e.text) for e in rss.iter("link")][1:] == EXPECTED["discovery"]["/feed.xml"]
    atom = ET.fromstring(get(site.base_url + "/atom.xml")[2])
    links = [rel(e.get("href")) for e in atom.findall("atom:entry/atom:link", ns)]
    assert links == EXPECTED["discovery"]["/atom.xml"]
    index = ET.fromstring(get(site.base_url + "/sitemap_index.xml")[2])
    assert [rel(e.text) for e in index.findall("sm:sitemap/sm:loc", ns)] == \
        EXPECTED["discovery"]["/sitemap_index.xml"]
    news = ET.fromstring(get(site.base_url + "/sitemap_news.xml")[2])
    assert [rel(e.text) for e in news.findall("sm:url/sm:loc", ns)] == \
        EXPECTED["discovery"]["/sitemap_news.xml"]
    assert len(news.findall("sm:url/news:news/news:publication_date", ns)) == 6
    pages = ET.fromstring(get(site.base_url + "/sitemap_pages.xml")[2])
    assert [rel(e.text) for e in pages.findall("sm:url/sm:loc", ns)] == \
        EXPECTED["discovery"]["/sitemap_pages.xml"]


def test_fixture_robots_and_must_not_store(site):
    rp = urllib.robotparser.RobotFileParser(site.base_url + "/robots.txt")
    rp.parse(get(site.base_url + "/robots.txt")[2].decode().splitlines())
    for path in EXPECTED["must_not_store"]:
        assert not rp.can_fetch("computewatch", site.base_url + path), path
    for path in EXPECTED["articles"]:
        assert rp.can_fetch("computewatch", site.base_url + path), path
    assert "/private/secret.html" in EXPECTED["discovery"]["/feed.xml"]


def test_fixture_errors_behave_as_documented(site):
    assert get(site.base_url + "/broken.html")[0] == 500
    assert get(site.base_url + "/gone.html")[0] == 404
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        urllib.request.urlopen(site.base_url + "/slow.html", timeout=0.3).read()
    listing = get(site.base_url + "/list/")[2].decode()
    for path in ["/broken.html", "/gone.html", "/files/report.pdf", "/about.html", "/tag/x"]:
        assert f'href="{path}"' in listing


def test_fixture_duplicates(site):
    a = get(site.base_url + "/news/en-meta.html")[2].decode()
    b = get(site.base_url + "/mirror/en-meta-copy.html")[2].decode()
    art = lambda s: s[s.index("<article>"):s.index("</article>")]  # noqa: E731
    assert art(a) == art(b)
    assert f'<link rel="canonical" href="{site.base_url}/news/en-meta.html">' in b


def test_fixture_sports_has_no_infra_vocabulary():
    text = (FIXTURE / "news" / "en-sports.html").read_text(encoding="utf-8").lower()
    assert "$20 million transfer fee" in text
    for word in ["gpu", "data center", "chip", "megawatt", "gigawatt", "capital expenditure", "nvidia"]:
        assert word not in text


# --------------------------------------------------------------------------- the demo site

def test_sample_site_serves_and_parses():
    with LocalSite(SAMPLE) as s:
        rss = ET.fromstring(get(s.base_url + "/feed.xml")[2])
        items = [e.text for e in rss.iter("link")][1:]
        assert len(items) == 4 and all(u.startswith(s.base_url + "/news/") for u in items)
        ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        sm = ET.fromstring(get(s.base_url + "/sitemap.xml")[2])
        urls = [e.text for e in sm.findall("sm:url/sm:loc", ns)]
        articles = [u for u in urls if "/news/" in u]
        assert len(articles) == 8
        assert any("harbour-united" in u for u in articles)
        for u in articles:
            status, _, body, _ = get(u)
            assert status == 200, u
            charset = "gbk" if b'<meta charset="gbk">' in body else "utf-8"
            text = body.decode(charset)
            assert '<meta property="article:published_time" content="2026-' in text
            assert '<meta name="author"' in text and "<nav" in text and "<article>" in text
            assert 'class="related"' in text and "&copy; 2026" in text
        gbk = [u for u in articles if "alibaba" in u]
        body = get(gbk[0])[2]
        with pytest.raises(UnicodeDecodeError):
            body.decode("utf-8")
        assert "人民币3800亿元" in body.decode("gbk")
        robots = get(s.base_url + "/robots.txt")[2].decode()
        assert "Disallow: /private/" in robots
