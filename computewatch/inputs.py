"""Read what the user named on the command line: a file path or an http(s) URL."""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from dataclasses import dataclass


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
    if not os.path.exists(source):
        raise InputError("no such file")
    if os.path.isdir(source):
        raise InputError("is a directory, not a page")
    size = os.path.getsize(source)
    if size > max_bytes:
        raise InputError(f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
    try:
        with open(source, "rb") as f:
            body = f.read()
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}") from None
    return RawInput(source, body, None, None)


def _fetch(url: str, max_bytes: int, timeout: float, user_agent: str) -> RawInput:
    req = urllib.request.Request(url, headers={"User-Agent": user_agent, "Accept": "text/html,*/*"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise InputError(f"too large ({int(declared) / 1e6:.1f} MB; the limit is "
                                 f"{max_bytes / 1e6:.0f} MB)")
            body = resp.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise InputError(f"too large (over the {max_bytes / 1e6:.0f} MB limit)")
            return RawInput(url, body, resp.headers.get("Content-Type"), resp.geturl())
    except urllib.error.HTTPError as e:
        raise InputError(f"HTTP {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        raise InputError(f"unreachable: {e.reason}") from None
    except (TimeoutError, OSError) as e:
        raise InputError(f"unreachable: {e}") from None
