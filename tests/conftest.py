"""Shared test setup: the tests folder is importable (conformance_eval), and paths to shared data."""
from __future__ import annotations

import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))
SHARED = TESTS.parent.parent / "shared"

# Scrapy (through tldextract) must never try to download the public suffix list.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
