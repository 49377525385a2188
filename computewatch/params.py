"""Query parameters shared by the command line and the web app: one reading, one error text."""
from __future__ import annotations

import re
from datetime import date, timedelta

_RELATIVE = re.compile(r"^(\d{1,5})([dwmy])$")
_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


class BadValue(ValueError):
    """A value that cannot be used; the message says what is expected."""


def day(text: str, today: date | None = None) -> date:
    """YYYY-MM-DD, or a span back from today: 30d, 2w, 6m (30 days each), 1y."""
    text = text.strip()
    m = _RELATIVE.match(text)
    if m:
        return (today or date.today()) - timedelta(days=int(m.group(1)) * _DAYS[m.group(2)])
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadValue(f"not a date (YYYY-MM-DD, or 30d, 2w, 6m, 1y back from today): {text!r}") from None
