"""What the crawler hands over: one fetched page, as fetched (DESIGN.md: Page).

Defined here, with the crawler that makes it; storage only reads its fields (issue 11)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


def _utcnow() -> datetime:
    """Naive UTC: both database dialects store it alike."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(slots=True)
class FetchedPage:
    url: str                    # canonicalised URL that was requested
    final_url: str              # after redirects
    status: int
    headers: dict
    body: bytes
    fetched_at: datetime = field(default_factory=_utcnow)
