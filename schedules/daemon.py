"""`computewatch daemon`: every enabled source crawled on its schedule, until SIGTERM or SIGINT.

- Jobs live in memory (APScheduler's MemoryJobStore: no job is ever unpickled from the database),
  one per enabled source, id `crawl:<name>`, on the source's interval or cron (cron in UTC), with
  coalescing, one running instance per job, a misfire grace time of one period (at least 30 s)
  and a jitter of a tenth of the period (at most 60 s). Their state is kept as plain rows in
  `schedule_state` (schedule, next run time, failure streak), written when it changes: a
  restarted daemon rebuilds the same schedule from them and the sources file; a job that came due
  while no daemon ran runs once, soon after the start.
- The sources file is synchronised with the job store at start and on SIGHUP: new sources are
  added (first run a second or so after, staggered by 2 s), changed schedules replaced, removed
  or disabled sources dropped; a broken file on SIGHUP is reported and the schedule kept.
- If stored pages were read by another extractor version, a one-shot `reprocess` job runs (alone).
- Each run is a child process (schedules.jobs): a crash, a hang or a dead site stays in it. The
  children watch a pipe the daemon holds (schedules.lifeline): if the daemon is killed, even
  with SIGKILL, they stop (and their process group is killed 30 s later); a new daemon does not
  start a crawl of a source whose earlier crawl process still runs.
- SIGTERM/SIGINT: no new runs; running crawls get SIGTERM (Scrapy's graceful shutdown: requests
  in flight finish, the extraction worker finishes its page, the run is closed as interrupted)
  and `fetch_timeout + 30` seconds to exit (then SIGKILL); the jobs' next times are stored; exit 0.
  A second signal kills the children at once.
- One daemon per database (schedules.lock); a second one exits 2 naming the first.
"""
from __future__ import annotations

import importlib
import logging
import os
import select
import signal
import socket
import time
from collections import Counter
from datetime import timedelta, timezone

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from schedules import jobs
from schedules.jobs import REPROCESS_JOB_ID, crawl_job_id, utcnow

log = logging.getLogger("computewatch.daemon")

MAX_PARALLEL_CRAWLS = 4       # job threads: min(sources, this) + 1 for reprocess = runs at once
HOUSEKEEPING_SECONDS = 30.0   # how often stranded jobs are mended and the schedule stored
LOCK_CHECK_SECONDS = 5.0      # how often the lock is verified (PostgreSQL: a SELECT 1)
RECONNECT_SECONDS = 2.0       # ... and how often while the database is unreachable
FIRST_RUN_DELAY = 1.0         # a new (or overdue) source runs this long after the start...
FIRST_RUN_STAGGER = 2.0       # ... plus this much for each one before it
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def jitter_for(period: float) -> float:
    return round(min(0.1 * period, 60.0), 3)


def misfire_grace(period: float) -> int:
    return int(max(period, 30.0))


def make_trigger(src, start=None):
    """The APScheduler trigger of a source (UTC). `start` anchors an interval's grid."""
    from crawler.sources import DEFAULT_INTERVAL

    if src.cron:
        trigger = CronTrigger.from_crontab(src.cron, timezone=timezone.utc)
        trigger.jitter = jitter_for(jobs.trigger_period(trigger, utcnow()))
        return trigger
    interval = src.interval or DEFAULT_INTERVAL
    return IntervalTrigger(seconds=interval, start_date=start or utcnow() + timedelta(seconds=interval),
                           timezone=timezone.utc, jitter=jitter_for(interval))


def trigger_key(trigger) -> tuple:
    """What makes two schedules the same (the jitter follows from it)."""
    if isinstance(trigger, IntervalTrigger):
        return ("interval", trigger.interval_length)
    if isinstance(trigger, CronTrigger):
        return ("cron", str(trigger))
    return (type(trigger).__name__, str(trigger))


def current_extractor_version() -> str:
    """nlp.EXTRACTOR_VERSION as the files on disk give it now (a lexicon may have been edited
    since the daemon started; reloading nlp/__init__ is cheap and loads no model)."""
    import nlp

    return importlib.reload(nlp).EXTRACTOR_VERSION


class _Executor(ThreadPoolExecutor):
    """A thread pool that notes the run time each job was submitted for (the scheduling delay
    of a run is its child's start minus that time)."""

    def __init__(self, max_workers: int, runtime: jobs.Runtime):
        super().__init__(max_workers, pool_kwargs={"thread_name_prefix": "job"})
        self._runtime = runtime

    def _do_submit_job(self, job, run_times):
        self._runtime.scheduled[job.id] = run_times[-1]
        super()._do_submit_job(job, run_times)


class _Scheduler(BackgroundScheduler):
    """Submits nothing unless running: a timed wake-up racing the shutdown (state 'stopped', not
    'paused') would otherwise hand a job to an executor already shut down."""

    def _process_jobs(self):
        if self.state != STATE_RUNNING:
            return None
        return super()._process_jobs()


def check_sources_file(path: str | None) -> None:
    """Refuse a sources file that is not a regular file: opening a FIFO blocks until someone
    writes to it (the daemon would hang on SIGHUP, deaf to SIGTERM), a device never ends."""
    import stat

    from crawler.sources import SourcesError

    if not path:
        return
    try:
        mode = os.stat(os.path.expanduser(path)).st_mode
    except OSError:
        return                                  # missing or unreadable: the loader names it
    if not stat.S_ISREG(mode):
        raise SourcesError(f"{path}: not a regular file; the sources file must be one")


def schedulable(src, now) -> str | None:
    """Why `src` cannot be scheduled (its trigger cannot be built, or never fires), or None."""
    try:
        trigger = make_trigger(src, now)
        first = trigger.get_next_fire_time(None, now)
        jobs.trigger_period(trigger, now)
    except (ArithmeticError, ValueError, TypeError) as e:     # OverflowError: a huge interval
        return f"its schedule cannot be built ({type(e).__name__}: {e})"
    if first is None:
        return "its schedule never fires (no date matches the cron expression)"
    return None


def run(conf) -> int:
    """Run the daemon until stopped; the exit code. Raises SourcesError, DatabaseError (and its
    lock.AlreadyRunning) when it cannot start."""
    from crawler import sources as sources_mod
    from crawler.sources import SourcesError
    from schedules.lock import DaemonLock
    from storage.db import open_database

    check_sources_file(conf.sources)
    sources = sources_mod.load(conf.sources or None)
    if not any(s.enabled for s in sources):
        raise SourcesError(f"{conf.sources or 'the shipped sources'}: no enabled source: nothing to schedule")
    database = open_database(conf.db)
    lock = DaemonLock(database)
    try:
        lock.acquire()
        return Daemon(conf, database, lock).serve(sources)
    finally:
        lock.release()
        database.dispose()


class Daemon:
    def __init__(self, conf, database, lock):
        self.conf = conf
        self.database = database
        self.lock = lock
        self.rt = jobs.Runtime(conf=conf, database=database)
        self.scheduler: BackgroundScheduler | None = None
        from schedules.workers import WorkerPool
        self.workers = WorkerPool(conf.workers, self.rt.child_env())

    # --- life ----------------------------------------------------------------------------------
    def serve(self, sources) -> int:
        rsock, wsock = socket.socketpair()
        rsock.setblocking(False)
        wsock.setblocking(False)
        # Signals only wake the main thread (the byte written is the signal number): nothing
        # runs inside a signal handler, so no lock can be re-entered there.
        old_fd = signal.set_wakeup_fd(wsock.fileno(), warn_on_full_buffer=False)
        old_handlers = {sig: signal.signal(sig, lambda *_: None) for sig in (*_STOP_SIGNALS, signal.SIGHUP)}
        from schedules import lifeline

        # Held until this process ends, however it ends: the children stop when it closes.
        self.rt.lifeline, lifeline_w = lifeline.open_pipe()
        try:
            try:
                self._start(sources)
            except BaseException:
                if self.scheduler is not None and self.scheduler.running:
                    self.scheduler.shutdown(wait=False)
                self.workers.stop(5.0)
                raise
            code, extra_stops = self._loop(rsock)
            self._shutdown(rsock, extra_stops)
            return code
        finally:
            signal.set_wakeup_fd(old_fd)
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)
            rsock.close()
            wsock.close()
            jobs.install(None)
            os.close(lifeline_w)
            os.close(self.rt.lifeline)

    def _start(self, sources) -> None:
        from storage import runs

        with self.database.session(write=True) as s:
            closed = runs.close_abandoned(s, None, "interrupted")
        enabled = [src for src in sources if src.enabled]
        workers = min(len(enabled), MAX_PARALLEL_CRAWLS) + 1          # + the reprocess job
        self.scheduler = _Scheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": _Executor(workers, self.rt)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone=timezone.utc)
        self.rt.scheduler = self.scheduler
        jobs.install(self.rt)
        self.scheduler.start(paused=True)
        counts = self.sync(sources, jobs.load_state(self.database))
        reprocess = self.check_reprocess()
        self.workers.ensure()
        self.scheduler.resume()
        from storage.db import describe

        log.info("daemon started", extra={"fields": {
            "pid": os.getpid(), "db": describe(self.conf.db),
            "sources": self.conf.sources or "(shipped list)", "enabled": len(enabled),
            "workers": workers, "processing_workers": self.workers.pids, **counts,
            "abandoned_runs_closed": closed,
            "reprocess_pages": reprocess}})

    def _loop(self, rsock) -> tuple[int, int]:
        """Wait for signals; (exit code, stop signals received beyond the first)."""
        next_check = time.monotonic() + HOUSEKEEPING_SECONDS
        next_lock = time.monotonic() + LOCK_CHECK_SECONDS
        away_since = None            # monotonic time the database was found unreachable
        while True:
            wait = max(0.0, min(next_check, next_lock) - time.monotonic())
            ready, _, _ = select.select([rsock], [], [], wait)
            if ready:
                stops = 0
                for signum in _drain(rsock):
                    if signum in _STOP_SIGNALS:
                        if not stops:
                            log.info("stop requested", extra={"fields": {
                                "signal": signal.Signals(signum).name, "running": self.rt.active()}})
                        stops += 1
                    elif signum == signal.SIGHUP and not stops:
                        try:
                            self.reload()
                        except Exception as e:          # the database is away: keep going
                            log.error("reload failed", extra={"fields": {"error": str(e).splitlines()[0]}})
                if stops:
                    return 0, stops - 1
            now = time.monotonic()
            if now >= next_lock:
                held = self.lock.verify()
                if held is False:
                    log.error("another daemon may have taken the database: stopping")
                    return 1, 0
                if held is None:
                    # PostgreSQL restarting or down: no new runs without the lock; wait for it.
                    if away_since is None:
                        away_since = now
                        self.scheduler.pause()
                        log.warning("database unreachable: runs paused, reconnecting", extra={
                            "fields": {"db": self._db_name(), "every": RECONNECT_SECONDS}})
                    next_lock = now + RECONNECT_SECONDS
                    next_check = max(next_check, now + HOUSEKEEPING_SECONDS)
                    continue
                if away_since is not None:
                    log.info("database reachable again: lock taken, runs resumed", extra={
                        "fields": {"db": self._db_name(), "away_seconds": round(now - away_since, 1)}})
                    away_since = None
                    self.scheduler.resume()
                next_lock = now + LOCK_CHECK_SECONDS
            if now >= next_check:
                self.mend()
                self.workers.ensure()
                next_check = time.monotonic() + HOUSEKEEPING_SECONDS

    def _db_name(self) -> str:
        from storage.db import describe

        return describe(self.conf.db)

    def _shutdown(self, rsock, extra_stops: int) -> None:
        rt = self.rt
        rt.stopping.set()                   # jobs not yet started return at once
        self.scheduler.pause()              # nothing new is submitted
        if extra_stops:
            rt.killing.set()
        # Each job thread sends its child SIGTERM (once: Scrapy reads a second one as "force"),
        # then SIGKILL after the grace, records the run and stores the job's next time.
        deadline = time.monotonic() + rt.stop_grace + 10.0
        while rt.active() and time.monotonic() < deadline:
            ready, _, _ = select.select([rsock], [], [], 0.2)
            if ready and any(s in _STOP_SIGNALS for s in _drain(rsock)) and not rt.killing.is_set():
                log.info("second stop signal: killing the running crawls")
                rt.killing.set()
        if rt.active():
            rt.killing.set()
            end = time.monotonic() + 10.0
            while rt.active() and time.monotonic() < end:
                time.sleep(0.1)
        try:
            jobs.save_state(rt)                          # the next start resumes from here
        except Exception as e:
            log.warning("schedule not stored", extra={"fields": {"error": str(e).splitlines()[0]}})
        try:
            self.scheduler.shutdown(wait=False)
        except Exception:                                # already down: nothing to do
            pass
        self.workers.stop(0.0 if rt.killing.is_set() else rt.stop_grace)
        log.info("daemon stopped", extra={"fields": {"pid": os.getpid(), "left_running": rt.active()}})

    # --- the schedule --------------------------------------------------------------------------
    def sync(self, sources, stored: dict | None = None) -> dict:
        """Make the crawl jobs match `sources`; counts of what changed. `stored` (at start: the
        schedule_state rows) gives the schedule a job had before the restart."""
        rt, sch = self.rt, self.scheduler
        now = utcnow()
        desired = []
        for src in sources:
            problem = schedulable(src, now) if src.enabled else "disabled"
            if problem is None:
                desired.append(src)
            elif problem != "disabled":         # reported and skipped: the others go on
                log.error("source not scheduled", extra={"fields": {
                    "source": src.name, "schedule": _schedule_of(src), "reason": problem}})
        stored = stored or {}
        counts = Counter(added=0, changed=0, removed=0, kept=0, overdue=0)
        with rt.jobs_lock:
            existing = {j.id: j for j in sch.get_jobs() if j.id.startswith("crawl:")}
            wanted = {crawl_job_id(src.name) for src in desired}
            for job_id in sorted(set(existing) - wanted):
                sch.remove_job(job_id)
                counts["removed"] += 1
            gone = sorted(name for name in stored if crawl_job_id(name) not in wanted)
            counts["removed"] += len(gone)
            slot = 0
            for src in desired:
                job_id = crawl_job_id(src.name)
                job = existing.get(job_id)
                running = job_id in rt.running
                soon = now + timedelta(seconds=FIRST_RUN_DELAY + FIRST_RUN_STAGGER * slot)
                period = jobs.trigger_period(make_trigger(src, now), now)
                options = dict(func=jobs.crawl, args=(src.name,), name=src.name,
                               misfire_grace_time=misfire_grace(period), coalesce=True,
                               max_instances=1)
                if job is None and src.name in stored:
                    # A restart: the stored schedule, its next run on the grid it had.
                    schedule, next_run, _ = stored[src.name]
                    trigger = make_trigger(src, next_run)
                    if jobs.schedule_text(trigger) != schedule:    # changed while stopped
                        trigger = make_trigger(src)
                        sch.add_job(trigger=trigger, id=job_id,
                                    next_run_time=trigger.get_next_fire_time(None, now), **options)
                        counts["changed"] += 1
                        continue
                    if next_run is None or next_run < now - timedelta(seconds=1):
                        next_run = soon                      # came due while no daemon ran
                        counts["overdue"] += 1
                        slot += 1
                    sch.add_job(trigger=trigger, id=job_id, next_run_time=next_run, **options)
                    counts["kept"] += 1
                    continue
                if job is None:
                    sch.add_job(trigger=make_trigger(src, soon), id=job_id, next_run_time=soon,
                                replace_existing=True, **options)
                    counts["added"] += 1
                    slot += 1
                    continue
                trigger = make_trigger(src)
                if trigger_key(job.trigger) != trigger_key(trigger):
                    next_run = None if running else trigger.get_next_fire_time(None, now)
                    sch.modify_job(job_id, trigger=trigger, next_run_time=next_run, **options)
                    counts["changed"] += 1
                    continue
                changes = dict(options)
                if not running and (job.next_run_time is None
                                    or job.next_run_time < now - timedelta(seconds=1)):
                    changes["next_run_time"] = soon          # left paused: run it again
                    counts["overdue"] += 1
                    slot += 1
                sch.modify_job(job_id, **changes)
                counts["kept"] += 1
        try:
            jobs.forget_state(rt, gone + [j.removeprefix("crawl:") for j in set(existing) - wanted])
            jobs.save_state(rt)
        except Exception as e:          # the database is away: mend() stores it later
            log.warning("schedule not stored", extra={"fields": {"error": str(e).splitlines()[0]}})
        return dict(counts)

    def check_reprocess(self) -> int:
        """Schedule the reprocess job if stored pages were read by another extractor version."""
        from storage import pages

        version = current_extractor_version()
        with self.database.session() as s:
            outdated = pages.count_pending(s, version) or 0
        if outdated:
            with self.rt.jobs_lock:
                if self.scheduler.get_job(REPROCESS_JOB_ID) is None and REPROCESS_JOB_ID not in self.rt.running:
                    # First in line: crawls wait for it (a crawl would otherwise re-read the same
                    # pages beside it); the hold lapses if it somehow never starts.
                    self.rt.gate.reserve(60.0)
                    self.scheduler.add_job(
                        jobs.reprocess, DateTrigger(utcnow(), timezone=timezone.utc),
                        id=REPROCESS_JOB_ID, name="reprocess", misfire_grace_time=None,
                        coalesce=True, max_instances=1, replace_existing=True)
                    log.info("reprocess scheduled", extra={"fields": {"pages": outdated,
                                                                      "version": version}})
        return outdated

    def reload(self) -> None:
        from crawler import sources as sources_mod
        from crawler.sources import SourcesError

        try:
            check_sources_file(self.conf.sources)
            sources = sources_mod.load(self.conf.sources or None)
        except SourcesError as e:
            log.error("reload failed: the schedule is unchanged", extra={"fields": {"error": str(e)}})
            return
        counts = self.sync(sources)
        self.check_reprocess()
        log.info("sources reloaded", extra={"fields": {
            "enabled": sum(1 for s in sources if s.enabled), **counts}})

    def mend(self) -> None:
        """A job left paused by a run whose bookkeeping failed (the database was away) runs again."""
        now = utcnow()
        with self.rt.jobs_lock:
            try:
                stranded = [j for j in self.scheduler.get_jobs()
                            if j.id.startswith("crawl:") and j.next_run_time is None
                            and j.id not in self.rt.running]
                for job in stranded:
                    self.scheduler.modify_job(job.id, next_run_time=now + timedelta(seconds=FIRST_RUN_DELAY))
                    log.warning("stranded job resumed", extra={"fields": {"job": job.id}})
            except Exception as e:
                log.warning("housekeeping failed", extra={"fields": {"error": str(e).splitlines()[0]}})
        try:
            jobs.save_state(self.rt)                     # what a failed save left behind
        except Exception as e:                           # the database is away: next time
            log.warning("housekeeping failed", extra={"fields": {"error": str(e).splitlines()[0]}})


def _schedule_of(src) -> str:
    try:
        return src.schedule_text()
    except Exception:                           # a value too odd even to print
        return repr(src.cron or src.interval)


def _drain(rsock) -> list[int]:
    out: list[int] = []
    while True:
        try:
            data = rsock.recv(64)
        except (BlockingIOError, InterruptedError):
            return out
        if not data:
            return out
        out.extend(data)
