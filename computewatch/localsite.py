"""A small local HTTP server for the test fixture site and the offline demo site.

`LocalSite(root).start()` serves the directory `root` on 127.0.0.1 (an ephemeral port by default)
from a background thread and returns the base URL. Files are served as the bytes stored on disk,
except that the ASCII placeholder ``{base}`` in .html/.htm/.xml/.rss/.atom/.txt files is replaced by
the base URL (done on bytes, so GBK and Big5 pages are not touched otherwise).

Special behaviours are declared in ``<root>/_routes.toml``, keyed by URL path (query ignored)::

    ["/broken.html"]
    status = 500                    # answer with this status (body: `file` if given, else a stub)
    ["/moved.html"]
    redirect = "/hop2.html"         # 301 by default, `status = 302` (303, 307, 308) to override
    ["/slow.html"]
    delay = 5.0                     # seconds to wait before answering
    file = "articles/slow.html"     # body from this file (relative to root) instead of the URL path
    ["/huge.html"]
    generate_bytes = 30000000       # filler HTML of exactly this many bytes, streamed
    content_length = false          # no Content-Length: the body ends when the connection does
    ["/gbk-lies.html"]
    content_type = "text/html; charset=utf-8"   # the whole Content-Type header, as given
    ["/big5.html"]
    charset = "big5"                # add `; charset=big5` to the type guessed from the extension
    ["/feed.xml"]
    etag = true                     # ETag + Last-Modified; 304 on If-None-Match / If-Modified-Since
    ["/x"]
    headers = { "X-Robots-Tag" = "noindex" }    # extra response headers
    body = "inline text"            # body given inline (UTF-8), instead of a file

Paths not in the routes map to files under root (``index.html`` for a directory; a directory URL
without its trailing slash is redirected to it, as ordinary servers do). Missing files give 404.
``_routes.toml`` itself is never served. The server is quiet: nothing is logged to stderr.

Every request is recorded: ``.requests`` holds the raw request targets (path and query, e.g.
``/news/a.html?utm_source=rss``) in arrival order, ``.request_log`` the method, target and headers.

    python -m computewatch.localsite ROOT [--host H] [--port N]

serves ROOT until Ctrl-C and prints the base URL.
"""
from __future__ import annotations

import argparse
import email.utils
import hashlib
import mimetypes
import pathlib
import sys
import threading
import time
import tomllib
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import unquote, urljoin, urlsplit

__all__ = ["LocalSite", "RequestRecord", "ROUTES_FILE", "main"]

ROUTES_FILE = "_routes.toml"
PLACEHOLDER = b"{base}"

CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".md": "text/markdown",
    ".css": "text/css",
    ".js": "text/javascript",
    ".gz": "application/gzip",
}
# Extensions whose bodies get the {base} substitution.
TEXT_EXTENSIONS = {".html", ".htm", ".xml", ".rss", ".atom", ".txt"}

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024

_FILLER_HEAD = (
    b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Filler page</title></head>\n"
    b"<body>\n"
)
_FILLER_TAIL = b"</body></html>\n"
_FILLER_LINE = b"<p>Filler paragraph for a very large page. Nothing to see here, keep scrolling.</p>\n"


@dataclass(slots=True)
class RequestRecord:
    """One request as the server saw it."""

    method: str
    path: str                       # raw request target: path and query
    headers: dict[str, str] = field(default_factory=dict)
    time: float = 0.0


def content_type_for(path: pathlib.Path | str) -> str:
    """The Content-Type (without charset) for a file name, by its extension."""
    suffix = pathlib.PurePath(str(path)).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path))
    return guessed or "application/octet-stream"


def filler_chunks(size: int) -> Iterator[bytes]:
    """Exactly `size` bytes of harmless HTML, in chunks (nothing large is built in memory)."""
    if size <= 0:
        return
    if size < len(_FILLER_HEAD) + len(_FILLER_TAIL):
        yield (_FILLER_HEAD + _FILLER_TAIL)[:size]
        return
    yield _FILLER_HEAD
    middle = size - len(_FILLER_HEAD) - len(_FILLER_TAIL)
    lines_per_chunk = max(1, CHUNK // len(_FILLER_LINE))
    block = _FILLER_LINE * lines_per_chunk
    while middle >= len(block):
        yield block
        middle -= len(block)
    whole_lines, rest = divmod(middle, len(_FILLER_LINE))
    if whole_lines:
        yield _FILLER_LINE * whole_lines
    if rest:
        yield b" " * (rest - 1) + b"\n" if rest > 1 else b"\n"
    yield _FILLER_TAIL


def load_routes(root: pathlib.Path) -> dict[str, dict[str, Any]]:
    """Read `<root>/_routes.toml` (no file: no routes)."""
    path = root / ROUTES_FILE
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    routes: dict[str, dict[str, Any]] = {}
    for key, spec in data.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{path}: route {key!r} must be a table, got {type(spec).__name__}")
        routes[key] = spec
    return routes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog (5) drops the SYNs of a crawler's concurrent connections,
    # which then retry after a second: a crawl would look 50 times slower than it is.
    request_queue_size = 128
    site: "LocalSite"

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - stdlib signature
        # Clients hang up on purpose in tests (timeouts, size limits): stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    server_version = "computewatch-localsite/1"
    sys_version = ""
    timeout = 120  # a client that connects and never sends a request does not pin a thread forever

    # -- quiet ---------------------------------------------------------------------------------
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError, OSError):
            pass

    # -- methods -------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve(head=False)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(head=True)

    # -- the work ------------------------------------------------------------------------------
    def _serve(self, head: bool) -> None:
        site = self.server.site
        site._record(self.command, self.path, dict(self.headers.items()))
        url_path = urlsplit(self.path).path or "/"
        route = site.routes.get(url_path)
        if route is None:
            route = site.routes.get(unquote(url_path))
        route = route or {}
        if "\x00" in unquote(url_path):      # no file name holds a NUL: a bad request, not a crash
            self._error(400, head, {})
            return

        delay = float(route.get("delay", 0) or 0)
        if delay > 0 and site._stopping.wait(delay):
            return  # the server is stopping: drop the connection

        status = int(route.get("status", 200))
        extra_headers = {str(k): str(v) for k, v in (route.get("headers") or {}).items()}

        if "redirect" in route:
            if status not in REDIRECT_STATUSES:
                status = 301
            target = str(route["redirect"]).replace("{base}", site.base_url)
            location = urljoin(site.base_url + url_path, target)
            body = (f'<html><body>Moved to <a href="{location}">{location}</a></body></html>\n'
                    .encode("ascii", "xmlcharrefreplace"))
            self._send(status, "text/html", [body], len(body), head,
                       {"Location": location, **extra_headers})
            return

        if "generate_bytes" in route:
            size = int(route["generate_bytes"])
            ctype = route.get("content_type") or self._with_charset("text/html", route)
            length = size if route.get("content_length", True) else None
            self._send(status, ctype, filler_chunks(size), length, head, extra_headers)
            return

        if "body" in route:
            body = str(route["body"]).replace("{base}", site.base_url).encode("utf-8")
            ctype = route.get("content_type") or self._with_charset(
                content_type_for(url_path), route)
            self._send(status, ctype, [body], len(body), head, extra_headers)
            return

        if url_path.rsplit("/", 1)[-1] == ROUTES_FILE and "file" not in route:
            self._error(404, head, extra_headers)
            return

        if "file" in route:
            file_path = site._resolve(str(route["file"]))
        else:
            file_path = site._resolve(unquote(url_path))
            if file_path is not None and file_path.is_dir():
                if not url_path.endswith("/"):
                    location = site.base_url + url_path + "/"
                    query = urlsplit(self.path).query
                    if query:
                        location += "?" + query
                    self._send(301, "text/html", [b""], 0, head, {"Location": location})
                    return
                file_path = file_path / "index.html"

        if file_path is None or not file_path.is_file() or file_path.name == ROUTES_FILE:
            if status >= 400:  # declared error with no page of its own: a stub page
                self._error(status, head, extra_headers)
            else:
                self._error(404, head, extra_headers)
            return

        try:
            body = file_path.read_bytes()
            mtime = file_path.stat().st_mtime
        except OSError:
            self._error(404, head, extra_headers)
            return
        if file_path.suffix.lower() in TEXT_EXTENSIONS:
            body = body.replace(PLACEHOLDER, site.base_url.encode("ascii"))

        if route.get("etag") and status == 200:
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            last_modified = email.utils.formatdate(int(mtime), usegmt=True)
            extra_headers = {"ETag": etag, "Last-Modified": last_modified, **extra_headers}
            if self._not_modified(etag, int(mtime)):
                self._send(304, None, [], None, True, extra_headers)
                return

        ctype = route.get("content_type") or self._with_charset(content_type_for(file_path), route)
        self._send(status, ctype, [body], len(body), head, extra_headers)

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _with_charset(ctype: str, route: dict[str, Any]) -> str:
        charset = route.get("charset")
        return f"{ctype}; charset={charset}" if charset else ctype

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            bare = etag.strip('"')
            return any(t == "*" or t.removeprefix("W/").strip('"') == bare for t in tags)
        ims = self.headers.get("If-Modified-Since")
        if ims:
            try:
                since = email.utils.parsedate_to_datetime(ims)
            except (TypeError, ValueError, IndexError):
                return False
            if since is None:
                return False
            return mtime <= int(since.timestamp())
        return False

    def _error(self, status: int, head: bool, extra_headers: dict[str, str]) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = (f"<!DOCTYPE html><html><head><title>{status} {phrase}</title></head>"
                f"<body><h1>{status} {phrase}</h1></body></html>\n").encode("ascii")
        self._send(status, "text/html", [body], len(body), head, extra_headers)

    def _send(self, status: int, ctype: str | None, chunks: Any, length: int | None,
              head: bool, headers: dict[str, str]) -> None:
        site = self.server.site
        try:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            if length is not None:
                self.send_header("Content-Length", str(length))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if head:
                return
            for chunk in chunks:
                if site._stopping.is_set():
                    break
                if chunk:
                    self.wfile.write(chunk)
            self.wfile.flush()
        except (ConnectionError, TimeoutError, OSError):
            # The client went away (a timeout or a size limit on its side): nothing to do.
            self.close_connection = True


class LocalSite:
    """Serve a site directory on 127.0.0.1 from a background thread.

        with LocalSite(root) as site:
            urllib.request.urlopen(site.base_url + "/feed.xml")
    """

    def __init__(self, root: pathlib.Path | str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = pathlib.Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"site root is not a directory: {self.root}")
        self.host = host
        self.port = port
        self.routes: dict[str, dict[str, Any]] = load_routes(self.root)
        self.requests: list[str] = []
        self.request_log: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> str:
        """Start serving (idempotent) and return the base URL, e.g. ``http://127.0.0.1:40123``."""
        if self._server is not None:
            return self.base_url
        self._stopping.clear()
        server = _Server((self.host, self.port), _Handler)
        server.site = self
        host, port = server.server_address[:2]
        self.port = port
        shown = f"[{host}]" if ":" in str(host) else str(host)
        self.base_url = f"http://{shown}:{port}"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"localsite-{port}", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving (idempotent). Requests still waiting on a `delay` are dropped."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> "LocalSite":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers -------------------------------------------------------------------------------
    def url(self, path: str = "/") -> str:
        """The absolute URL of a path on this site."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def reload_routes(self) -> None:
        """Re-read `_routes.toml` (after a test edited it)."""
        self.routes = load_routes(self.root)

    def reset_requests(self) -> None:
        with self._lock:
            self.requests.clear()
            self.request_log.clear()

    def _record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(path)
            self.request_log.append(RequestRecord(method, path, headers, time.time()))

    def _resolve(self, rel: str) -> pathlib.Path | None:
        """A path under root, or None if it would escape it."""
        candidate = (self.root / rel.lstrip("/")).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            return None
        return candidate

    def __repr__(self) -> str:
        state = self.base_url or "stopped"
        return f"LocalSite({str(self.root)!r}, {state})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m computewatch.localsite",
                                     description="Serve a local test/demo site until Ctrl-C.")
    parser.add_argument("root", type=pathlib.Path, help="the site directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    args = parser.parse_args(argv)
    try:
        site = LocalSite(args.root, host=args.host, port=args.port)
    except (NotADirectoryError, ValueError, tomllib.TOMLDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    base = site.start()
    print(base, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
