"""Import speed and memory: `computewatch import`'s reading and filtering against warcio alone.

One run, one synthetic CC-NEWS-like archive: 10,000 gzip-member response records of ~30 KB
HTML, 95 % from domains nobody listed (as in CC-NEWS, where a watch list is a sliver of the
news). Timed in the same process, same file, page cache warm for both:
  - warcio: ArchiveIterator over the file, reading each record's headers (its own iteration);
  - import: the importer's read-filter-store loop into a fresh SQLite file (extraction, which
    runs after and is measured by extract_bench.py, is left out).
Then the same with a file 4x as long, to show memory stays flat with file size.
Last line: `import records=.. warcio_rps=.. import_rps=.. ratio=.. rss_10k_mb=.. rss_40k_mb=..`.
Goal: ratio >= 0.8, RSS flat.
"""
from __future__ import annotations

import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LISTED = "news.listed.test"
OTHERS = [f"site{i}.example" for i in range(200)]


def make_archive(path: Path, records: int, seed: int = 7) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    rnd = random.Random(seed)
    filler = "".join(f"<p>Paragraph {i} of an ordinary news story with numbers like {i * 37}.</p>\n"
                     for i in range(400))
    with open(path, "wb") as out:
        w = WARCWriter(out, gzip=True)
        for i in range(records):
            host = LISTED if rnd.random() < 0.05 else rnd.choice(OTHERS)
            body = f"<html><body><h1>Story {i}</h1>{filler}</body></html>".encode()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(f"https://{host}/news/{i}.html", "response",
                                                payload=io.BytesIO(body), http_headers=http,
                                                warc_headers_dict={"WARC-Date": "2024-05-01T00:00:00Z"}))


def time_warcio(path: Path) -> tuple[int, float]:
    from warcio.archiveiterator import ArchiveIterator

    start = time.perf_counter()
    n = 0
    with open(path, "rb") as fh:
        for record in ArchiveIterator(fh):
            record.rec_headers.get_header("WARC-Target-URI")
            n += 1
    return n, time.perf_counter() - start


def time_import(path: Path, workdir: Path) -> tuple[int, int, float]:
    from computewatch.importer import Filters, Importer
    from storage.db import open_database

    workdir.mkdir(parents=True, exist_ok=True)
    database = open_database(f"sqlite:///{workdir / f'bench-{path.stem}.db'}")
    importer = Importer(database, Filters(frozenset({LISTED})), lambda host: None, warn=print)
    start = time.perf_counter()
    rep = importer.import_file(str(path))
    seconds = time.perf_counter() - start
    database.dispose()
    return rep.records, rep.kept, seconds


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small, big = tmp / "cc-news-10k.warc.gz", tmp / "cc-news-40k.warc.gz"
        make_archive(small, 10_000)
        make_archive(big, 40_000, seed=8)
        print(f"archives: {small.stat().st_size / 1e6:.0f} MB and {big.stat().st_size / 1e6:.0f} MB")
        time_warcio(small)                                 # warm the page cache for both
        # Best of 3 each, alternating, so a busy machine hurts neither more than the other.
        warcio_runs, import_runs = [], []
        for round_ in range(3):
            n, s = time_warcio(small)
            warcio_runs.append(s)
            records, kept, s = time_import(small, tmp / f"r{round_}")
            import_runs.append(s)
        warcio_s, import_s = min(warcio_runs), min(import_runs)
        rss_small = rss_mb()
        records_big, kept_big, import_big_s = time_import(big, tmp)
        rss_big = rss_mb()
        warcio_rps, import_rps = n / warcio_s, records / import_s
        print(f"warcio alone: {n} records in {warcio_s:.2f} s ({warcio_rps:.0f}/s)")
        print(f"import: {records} records, {kept} kept, in {import_s:.2f} s ({import_rps:.0f}/s)")
        print(f"import 4x file: {records_big} records, {kept_big} kept, in {import_big_s:.2f} s "
              f"({records_big / import_big_s:.0f}/s)")
        print(f"resident memory after 10k: {rss_small:.0f} MB, after 40k: {rss_big:.0f} MB")
        print(f"import records={records} warcio_rps={warcio_rps:.0f} import_rps={import_rps:.0f} "
              f"ratio={import_rps / warcio_rps:.2f} rss_10k_mb={rss_small:.0f} rss_40k_mb={rss_big:.0f}")


if __name__ == "__main__":
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    main()
