"""`computewatch worker`: takes pending pages from the queue (storage.queue) and processes them.

Any number of workers, on one host or many, share a database: each leases a batch, processes it
page by page (computewatch.processing) and leases the next. The same loop runs in three places:
- `computewatch worker [--once]`, by hand or under systemd, and the daemon's long-lived workers;
- the worker process a one-off `crawl` starts beside Scrapy (CrawlWorker): it processes what the
  crawl stores while it runs and drains the queue's new pages before the crawl exits;
- `reprocess`, in its own process, over the pages it marked pending.
A database fault hands the batch back and the worker waits and retries (it never marks a page
for a fault that is not the page's); a stop (SIGTERM, or the parent going away) ends it after
the page in hand, its other pages handed back.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

log = logging.getLogger("computewatch.worker")

DEFAULT_BATCH = 20
IDLE_SECONDS = 1.0              # wait between polls of an empty queue
RETRY_SECONDS = (1, 2, 5, 10, 30)   # waits after successive database faults
STATS_EVERY = 600.0             # seconds between planner statistics refreshes (SQLite's ANALYZE)


# Workers scale by processes, one a core: a worker's math libraries (numpy's BLAS under spaCy)
# each starting a thread a core would have two workers on two cores fight over them
# (bench/scale_bench.py on 2 cores: two workers 1.14-1.16x one without this, 1.39-1.62x with it;
# the bench is noisy at this size). A user's own setting is kept.
_THREAD_LIMITS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_thread_per_process() -> None:
    """Before the models are imported: the math libraries of this process use one thread."""
    for name in _THREAD_LIMITS:
        os.environ.setdefault(name, "1")


def new_owner() -> str:
    """Who holds a lease: host, pid and a nonce (a pid may come back after a restart)."""
    return f"{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _host() -> str:
    return socket.gethostname()[:40]


def owner_gone(owner: str) -> bool:
    """A lease owner (new_owner) of this host whose process has ended: killed, or its machine
    restarted. Another host's owners are never judged (their leases run out). Containers given
    one hostname but not one pid namespace would misjudge each other: a page is then processed
    twice, which changes nothing (writes are keyed)."""
    from storage.runs import pid_alive

    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    return host == _host() and pid.isdigit() and not pid_alive(int(pid))


@dataclass
class WorkerReport:
    pages: int = 0
    outcomes: Counter = field(default_factory=Counter)
    new_articles: int = 0
    claims: int = 0
    faults: int = 0               # database faults survived
    seconds: float = 0.0

    @property
    def errors(self) -> int:
        return self.outcomes.get("error", 0)

    def summary(self, what: str = "processed") -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return (f"{what} {self.pages} page(s) in {self.seconds:.1f} s"
                + (f": {parts}" if parts else "")
                + (f"; {self.faults} database fault(s) survived" if self.faults else ""))


class Worker:
    """The loop: lease a batch, process it, until told to stop (or the queue is empty and
    `finish()` says so)."""

    def __init__(self, database, version: str, *, batch: int = DEFAULT_BATCH,
                 lease: float | None = None, scope=None, should_stop=lambda: False,
                 idle: float = IDLE_SECONDS, on_page=None, wait_for_others: bool = True,
                 give_up_finishing_after: int | None = None):
        from storage import queue

        self.database = database
        self.version = version
        self.batch = batch
        self.lease = lease or queue.DEFAULT_LEASE
        self.scope = scope or queue.Scope()
        self.should_stop = should_stop
        self.idle = idle
        self.on_page = on_page or (lambda processed: None)
        self.owner = new_owner()
        self.report = WorkerReport()
        # Finishing, pages leased by other workers still count as pending (they come back if
        # their worker dies), except for a crawl's worker, which drains only what is free.
        self.wait_for_others = wait_for_others
        # A one-off crawl's worker, once finishing, gives up after this many database faults in
        # a row (the pages stay pending) instead of retrying until the crawl's time limit.
        self.give_up_finishing_after = give_up_finishing_after
        self._pages_at_stats, self._next_stats = 0, 0.0
        self.warmed = False

    def run(self, finish=lambda: True) -> WorkerReport:
        """Until stopped, or until the queue is empty while `finish()` is true (checked before
        the poll, so pages stored just before `finish` turned true are still taken)."""
        from sqlalchemy.exc import SQLAlchemyError

        started, faults_in_a_row = time.monotonic(), 0
        while not self.should_stop():
            finishing = finish()
            if finishing and self.give_up_finishing_after is not None \
                    and faults_in_a_row >= self.give_up_finishing_after:
                log.warning("gave up after %d database faults in a row: the pages stay pending",
                            faults_in_a_row)
                break
            try:
                ids = self._claim()
                faults_in_a_row = 0
            except SQLAlchemyError as e:
                faults_in_a_row = self._fault(e, faults_in_a_row, None)
                continue
            if not ids:
                if self._reclaim():             # a dead worker's batch: take it now
                    continue
                self._refresh_stats_if_due()
                if finishing and not (self.wait_for_others and self._others_hold_pages()):
                    break
                self._sleep(self.idle)
                continue
            faults_in_a_row = self._work(ids, faults_in_a_row)
        self._hand_back(None)
        self.report.seconds = time.monotonic() - started
        return self.report

    def _refresh_stats_if_due(self) -> None:
        """The queue is empty after work: refresh the planner's statistics, at most every
        STATS_EVERY seconds (a long-lived worker keeps a growing database's queries fast)."""
        if self.report.pages > self._pages_at_stats and time.monotonic() >= self._next_stats:
            self.database.refresh_planner_stats()
            self._pages_at_stats = self.report.pages
            self._next_stats = time.monotonic() + STATS_EVERY

    def _claim(self) -> list[int]:
        from storage import queue

        with self.database.session(write=True) as s:
            return queue.claim(s, self.owner, self.version, self.batch, self.lease, self.scope)

    def _reclaim(self) -> int:
        """Free the leases of workers of this host that died (their pages would wait for the
        lease to run out, worker_lease: 5 minutes by default)."""
        from sqlalchemy.exc import SQLAlchemyError

        from storage import queue

        try:
            with self.database.session() as s:       # a read: the write lock only if needed
                gone = [o for o in queue.lease_owners(s) if owner_gone(o)]
            if not gone:
                return 0
            with self.database.session(write=True) as s:
                n = queue.release_owners(s, gone)
        except SQLAlchemyError:
            return 0
        if n:
            log.info("%d page(s) leased by workers that died handed back", n)
        return n

    def _others_hold_pages(self) -> bool:
        from sqlalchemy.exc import SQLAlchemyError

        from storage import queue

        try:
            with self.database.session() as s:
                return queue.depth(s, self.version, self.scope).pending > 0
        except SQLAlchemyError:
            return True

    def _work(self, ids: list[int], faults_in_a_row: int) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        from computewatch.processing import process_stored_page, warm_up

        if not self.warmed:          # once, with the first batch (an empty queue costs nothing)
            warm_up()
            self.warmed = True
        for n, page_id in enumerate(ids):
            if self.should_stop():
                break
            try:
                p = process_stored_page(self.database, page_id, self.version, self.owner, self.lease)
            except SQLAlchemyError as e:
                return self._fault(e, faults_in_a_row, page_id)
            if p.outcome is None:
                continue
            r = self.report
            r.pages += 1
            r.outcomes[str(p.outcome)] += 1
            if p.new_article and p.outcome == "article":
                r.new_articles += 1
                r.claims += p.claims
            self.on_page(p)
        return 0

    def _fault(self, e, faults_in_a_row: int, page_id: int | None) -> int:
        """The database failed us: not the page's fault. Hand everything back, wait, go on."""
        self.report.faults += 1
        wait = RETRY_SECONDS[min(faults_in_a_row, len(RETRY_SECONDS) - 1)]
        log.warning("database fault, pages handed back, retrying in %ss: %s", wait,
                    str(e).splitlines()[0][:300])
        self._hand_back(page_id)
        self._sleep(wait)
        return faults_in_a_row + 1

    def _hand_back(self, page_in_hand: int | None) -> None:
        """Release what this worker still holds (best effort: else its lease runs out)."""
        from storage import queue

        try:
            with self.database.session(write=True) as s:
                queue.release(s, self.owner, undo_attempt=page_in_hand)
        except Exception as e:        # still away: the leases expire by themselves
            log.debug("hand back failed: %s", e)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.should_stop() and time.monotonic() < end:
            time.sleep(min(0.1, end - time.monotonic()))


def run_worker(conf, batch: int = DEFAULT_BATCH, once: bool = False,
               exit_with_parent: bool = False) -> WorkerReport:
    """`computewatch worker`: until SIGTERM/SIGINT (after the page in hand), or with `once`
    until no page is pending."""
    from nlp import EXTRACTOR_VERSION
    from storage.db import open_database

    one_thread_per_process()
    parent = os.getppid()
    if exit_with_parent:
        die_with_parent()
    stopped: list = []
    stop_on_signals(stopped, sigint=True)
    database = open_database(conf.db)
    try:
        worker = Worker(database, EXTRACTOR_VERSION, batch=batch, lease=conf.worker_lease,
                        should_stop=lambda: bool(stopped) or (exit_with_parent and os.getppid() != parent))
        report = worker.run(finish=lambda: once)
    finally:
        database.dispose()
    log.info("worker", extra={"fields": {"version": EXTRACTOR_VERSION, "pages": report.pages,
                                         **report.outcomes, "faults": report.faults,
                                         "seconds": round(report.seconds, 1)}})
    return report


# --- dying with the parent --------------------------------------------------------------------

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask Linux to send `sig` when the parent goes (a kill -9 of a crawl or of the daemon must
    not leave its workers running). Elsewhere a no-op: the worker also polls its parent."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def stop_on_signals(flag: list, sigint: bool = False) -> None:
    """SIGTERM and SIGHUP (and SIGINT if asked) end the worker after its page in hand. A worker
    with a parent leaves SIGINT to it (a Ctrl-C reaches the whole process group)."""
    def stop(signum, frame):
        flag.append(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP, *([signal.SIGINT] if sigint else [])):
        signal.signal(sig, stop)


# --- the worker process beside a one-off crawl --------------------------------------------------

def _crawl_worker_main(db_url: str, lease: float, batch: int, parent_pid: int, finish, stop,
                       counters) -> None:
    die_with_parent()
    if os.getppid() != parent_pid:        # the parent died before prctl took effect
        return
    one_thread_per_process()
    stopped: list = []
    stop_on_signals(stopped)
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the crawl decides (it sets `stop`)
    try:
        os.nice(19)                # the crawl comes first: processing catches up when it idles
    except OSError:
        pass
    from computewatch.logs import setup
    from nlp import EXTRACTOR_VERSION
    from storage import queue
    from storage.db import DatabaseError, open_database

    setup(logging.WARNING, "text", None)

    def on_page(p):
        with counters.get_lock():
            counters[0] += 1
            if p.new_article and p.outcome == "article":
                counters[1] += 1
                counters[2] += p.claims

    try:
        database = open_database(db_url, migrate=False)
    except DatabaseError as e:       # away already: the crawl meets it too and says so, once
        log.warning("extraction worker not started: %s", e)
        return
    try:
        Worker(database, EXTRACTOR_VERSION, batch=batch, lease=lease,
               scope=queue.Scope(new_only=True), idle=0.3, on_page=on_page, wait_for_others=False,
               give_up_finishing_after=3,
               should_stop=lambda: bool(stopped) or stop.is_set()
               or os.getppid() != parent_pid).run(finish=finish.is_set)
    finally:
        database.dispose()


class CrawlWorker:
    """The crawl's worker process, seen from the crawl (a spawned interpreter: no Twisted
    reactor inherited). Takes pages never processed, whichever run or source stored them."""

    def __init__(self, db_url: str, lease: float, batch: int = DEFAULT_BATCH):
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        self.finish_flag = ctx.Event()
        self.stop_flag = ctx.Event()
        self.counters = ctx.Array("q", 3)          # pages, new articles, their claims
        self.process = ctx.Process(
            target=_crawl_worker_main, name="computewatch-worker", daemon=True,
            args=(db_url, lease, batch, os.getpid(), self.finish_flag, self.stop_flag, self.counters))

    def start(self) -> None:
        self.process.start()

    @property
    def done(self) -> tuple[int, int, int]:
        with self.counters.get_lock():
            return tuple(self.counters)

    def finish(self) -> None:
        """No more pages coming: process what is pending, then exit."""
        self.finish_flag.set()

    def stop(self) -> None:
        """Exit after the page in hand; the rest stays pending for the next worker."""
        self.stop_flag.set()

    def wait(self, deadline: float, on_tick=lambda: None, grace: float = 20.0) -> bool:
        """Wait for it to exit by `deadline` (monotonic); past it, stop it, then kill it after
        `grace`. True if it exited by itself in time."""
        while self.process.is_alive() and time.monotonic() < deadline:
            self.process.join(0.25)
            on_tick()
        if not self.process.is_alive():
            return True
        self.stop()
        self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()     # a hung page: its lease expires, its attempt counts
            self.process.join(5)
        return False
