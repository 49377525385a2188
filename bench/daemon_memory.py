"""Resident memory of a daemon crawling 4 sources at once: the daemon and all its descendants
(crawl children, workers), summed, sampled every 0.2 s with psutil (`python bench/daemon_memory.py
[TREE]`: TREE is a checkout to measure, default this one; its own code is run).

Each source has its own listing page of 40 stories on one local site, all due at the start, so
the four crawls overlap. Prints the peak total, the peak number of processes, and how many held
more than 150 MB at once (a process with spaCy loaded) — once per crawl before the processing
queue, once for the daemon's one worker after.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

TREE = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent).resolve()
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from daemon_soak import article  # noqa: E402

from computewatch.localsite import LocalSite  # noqa: E402

SOURCES = 4
STORIES = 40
SECONDS = float(os.environ.get("MEMORY_SECONDS", "90"))


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        for s in range(SOURCES):
            (root / f"l{s}").mkdir(parents=True)
            (root / f"n{s}").mkdir()
            links = ""
            for n in range(STORIES):
                (root / f"n{s}" / f"{n}.html").write_text(article(s * 1000 + n), "utf-8")
                links += f'<a href="/n{s}/{n}.html">{n}</a>'
            (root / f"l{s}" / "index.html").write_text(f"<html><body>{links}</body></html>", "utf-8")
        (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
        with LocalSite(root) as site:
            lines = ["include_defaults = false"]
            for s in range(SOURCES):
                lines += ["[[source]]", f'name = "s{s}"', 'lang = "en"',
                          f'start_urls = ["{site.base_url}/l{s}/"]', f'allow = ["/n{s}/"]',
                          'interval = "1h"']
            sources = Path(tmp) / "sources.toml"
            sources.write_text("\n".join(lines) + "\n", "utf-8")
            env = {k: v for k, v in os.environ.items() if not k.startswith("COMPUTEWATCH_")}
            env.update({"COMPUTEWATCH_CONFIG": os.devnull, "COMPUTEWATCH_DOWNLOAD_DELAY": "0",
                        "COMPUTEWATCH_AUTOTHROTTLE": "false", "PYTHONPATH": str(TREE)})
            db = f"sqlite:///{tmp}/cw.db"
            daemon = subprocess.Popen([sys.executable, "-m", "computewatch", "daemon", "--sources",
                                       str(sources), "--db", db], cwd=TREE, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            parent = psutil.Process(daemon.pid)
            peak_total = peak_procs = peak_big = 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                procs = [parent, *parent.children(recursive=True)]
                rss = []
                for p in procs:
                    try:
                        rss.append(p.memory_info().rss)
                    except psutil.Error:
                        pass
                peak_total = max(peak_total, sum(rss))
                peak_procs = max(peak_procs, len(rss))
                peak_big = max(peak_big, sum(1 for r in rss if r > 150 * 2**20))
                time.sleep(0.2)
            daemon.terminate()
            daemon.wait(60)
            import sqlalchemy as sa
            engine = sa.create_engine(db)
            with engine.connect() as conn:
                articles = conn.execute(sa.text("SELECT COUNT(*) FROM articles")).scalar()
            engine.dispose()
    print(f"daemon_memory tree={TREE} sources={SOURCES} peak_rss_mb={peak_total / 2**20:.0f} "
          f"peak_processes={peak_procs} peak_over_150mb={peak_big} articles={articles}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
