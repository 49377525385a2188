"""Read what the user named on the command line: a file path or an http(s) URL.

Every input is bounded: at most `max_bytes` are read from it, only regular files are opened
(a device such as /dev/zero never ends, a FIFO blocks until a writer comes), and a URL has
`timeout` seconds in all, not per read (a server trickling a byte a second never trips a
per-read timeout).
"""
from __future__ import annotations

import http.client
import os
import stat
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

_CHUNK = 64 * 1024


class InputError(Exception):
    """An input that cannot be read; the message is one line a user can act on."""


@dataclass(slots=True)
class RawInput:
    source: str                 # as the user wrote it
    body: bytes
    content_type: str | None
    url: str | None             # final URL after redirects, for http inputs


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read(source: str, max_bytes: int, timeout: float, user_agent: str) -> RawInput:
    if is_url(source):
        return _fetch(source, max_bytes, timeout, user_agent)
    return RawInput(source, _read_file(source, max_bytes), None, None)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _read_file(source: str, max_bytes: int) -> bytes:
    # O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on the open
    # descriptor (fstat), so a path swapped after the check cannot slip a device in.
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise InputError("no such file") from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError("is a directory, not a page")
        raise InputError(f"{_file_kind(st.st_mode)}, not a regular file: only files and "
                         "http(s) URLs are read")
    with os.fdopen(fd, "rb", buffering=0) as f:
        if st.st_size > max_bytes:
            raise InputError(f"too large ({st.st_size / 1e6:.1f} MB; the limit is "
                             f"{max_bytes / 1e6:.0f} MB)")
        try:
            body = _read_at_most(f, max_bytes)
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror or e}") from None
    return body


def _read_at_most(f, max_bytes: int, deadline: float | None = None,
                  cancelled: threading.Event | None = None) -> bytes:
    """At most max_bytes (InputError past that: a file that grew, a body longer than declared)."""
    parts, size = [], 0
    read = getattr(f, "read1", None) or f.read   # read1: what has arrived, without waiting for a full chunk
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > max_bytes:
            raise InputError(f"too large (over the {max_bytes / 1e6:.0f} MB limit)")
        parts.append(chunk)
        if cancelled is not None and cancelled.is_set():
            raise InputError("cancelled")
        if deadline is not None and time.monotonic() > deadline:
            raise InputError("timed out")


def _fetch(url: str, max_bytes: int, timeout: float, user_agent: str) -> RawInput:
    """The whole fetch (connect, headers, body) within `timeout` seconds.

    urllib's timeout applies to each socket operation; the status line and headers are read
    inside urlopen, beyond any loop of ours, so the fetch runs in a daemon thread that the
    caller stops waiting for at the deadline (the thread then stops at its next read)."""
    done: dict = {}
    cancelled = threading.Event()
    deadline = time.monotonic() + timeout

    def work() -> None:
        try:
            done["result"] = _fetch_blocking(url, max_bytes, timeout, user_agent, deadline, cancelled)
        except BaseException as e:  # handed to the caller's thread
            done["error"] = e

    worker = threading.Thread(target=work, name=f"fetch {url}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        cancelled.set()
        raise InputError(f"timed out: no complete answer within {timeout:g} s (fetch_timeout)")
    if "error" in done:
        raise done["error"]
    return done["result"]


def _fetch_blocking(url: str, max_bytes: int, timeout: float, user_agent: str, deadline: float,
                    cancelled: threading.Event) -> RawInput:
    req = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept": "text/html,*/*"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InputError(f"too large ({int(declared) / 1e6:.1f} MB; the limit is "
                                 f"{max_bytes / 1e6:.0f} MB)")
            body = _read_at_most(resp, max_bytes, deadline, cancelled)
            return RawInput(url, body, resp.headers.get("Content-Type"), resp.geturl())
    except urllib.error.HTTPError as e:
        raise InputError(f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise InputError(f"unreachable: {e.reason}") from None
    except (TimeoutError, OSError) as e:
        raise InputError(f"unreachable: {e}") from None
    except (http.client.HTTPException, ValueError) as e:  # a bad port, a broken answer
        raise InputError(f"bad URL or answer: {type(e).__name__}: {e}".rstrip(": ")) from None
