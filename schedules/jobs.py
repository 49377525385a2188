"""The daemon's jobs: each run is a child process, watched, recorded and logged.

The jobs live in memory (APScheduler's MemoryJobStore): nothing is ever unpickled from the
database. What must outlive the daemon — each source's schedule, next run time and failure
streak — is kept as plain rows in `schedule_state` (`save_state`), from which the next daemon
rebuilds its jobs together with the sources file. The job functions (`crawl`, `reprocess`) find
settings, database and scheduler in the `Runtime` the running daemon installed here.

One crawl run:
1. the job pauses itself (next_run_time = None, stored too) so that a crawl longer than its
   interval is not started again, nor reported as skipped, while it runs;
2. `python -m computewatch crawl --source NAME` runs in its own session (process group), its
   output captured (logged at DEBUG), with a wall-clock limit: past it, SIGTERM (Scrapy's graceful
   shutdown), then SIGKILL to the whole group after a grace period;
3. the run's crawl_runs row (the child's pid and source) is read back, and closed if the child
   could not close it (killed, crashed), or written if the child died before opening it;
4. the next run is set: the trigger's next time after now, or after a failure the backoff delay
   (schedules.backoff) from now;
5. one INFO line: source, status, counts, seconds, exit code, scheduled/started times, delay.

Crawls of different sources run side by side (the executor's threads). The reprocess job runs
alone: it waits for the running crawls to end, and crawls due meanwhile wait for it to finish
(both would otherwise extract the same stored pages).
"""
from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from schedules import backoff

log = logging.getLogger("computewatch.daemon")

STARTUP_ALLOWANCE = 30.0    # seconds a crawl child may take to start, on top of crawl_time_limit
OUTPUT_TAIL = 8192          # bytes of a child's output kept for the log and error messages

_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(dt: datetime | None) -> str | None:
    """Aware or naive-UTC datetime -> '2026-11-29T09:06:10.084+00:00' (None stays None)."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def crawl_job_id(name: str) -> str:
    return f"crawl:{name}"


REPROCESS_JOB_ID = "reprocess"


# --- what the jobs share with the daemon ---------------------------------------------------------

class Gate:
    """Crawls run side by side; the reprocess job runs alone: a crawl due meanwhile waits for it
    (paused, so it runs once when the reprocess is over)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._crawls = 0
        self._exclusive = False
        self._reserved_until = 0.0

    def _blocked(self) -> bool:
        return self._exclusive or time.monotonic() < self._reserved_until

    def reserve(self, seconds: float) -> None:
        """Hold crawls back for the reprocess job about to start (at most `seconds`)."""
        with self._cond:
            self._reserved_until = time.monotonic() + seconds

    def enter_crawl(self, should_stop) -> bool:
        with self._cond:
            while self._blocked():
                if should_stop():
                    return False
                self._cond.wait(0.5)
            self._crawls += 1
            return True

    def leave_crawl(self) -> None:
        with self._cond:
            self._crawls -= 1
            self._cond.notify_all()

    def enter_exclusive(self, should_stop) -> bool:
        """Bar new crawls and wait for the running ones; False if told to stop meanwhile."""
        with self._cond:
            self._exclusive = True
            self._reserved_until = 0.0
            while self._crawls and not should_stop():
                self._cond.wait(0.5)
            return not should_stop()

    def leave_exclusive(self) -> None:
        with self._cond:
            self._exclusive = False
            self._cond.notify_all()


@dataclass
class Runtime:
    """The running daemon as the jobs see it."""

    conf: object                         # computewatch.settings.Settings
    database: object                     # storage.db.Database
    scheduler: object = None             # apscheduler BackgroundScheduler
    stopping: threading.Event = field(default_factory=threading.Event)   # first SIGTERM/SIGINT
    killing: threading.Event = field(default_factory=threading.Event)    # second one: no grace
    jobs_lock: threading.RLock = field(default_factory=threading.RLock)  # job store edits
    gate: Gate = field(default_factory=Gate)
    scheduled: dict = field(default_factory=dict)        # job id -> run time it was submitted for
    running: dict = field(default_factory=dict)          # job id -> child Popen (None: starting)
    saved: dict = field(default_factory=dict)            # source -> schedule_state row as stored
    lifeline: int | None = None                          # read end of the pipe children watch
    _count_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def time_limit(self) -> float:
        return float(self.conf.crawl_time_limit) + STARTUP_ALLOWANCE

    @property
    def stop_grace(self) -> float:
        """After SIGTERM, how long a child may take: Scrapy lets requests in flight finish (up to
        fetch_timeout), then the extraction worker its current page (crawl.GRACE_SECONDS, 20 s)."""
        return float(self.conf.fetch_timeout) + 30.0

    def child_env(self) -> dict:
        env = dict(os.environ)
        env["COMPUTEWATCH_DB"] = self.conf.db          # in the environment, not on the command
        if self.conf.sources:                          # line: `ps` would show a password
            env["COMPUTEWATCH_SOURCES"] = os.path.abspath(os.path.expanduser(self.conf.sources))
        env["COMPUTEWATCH_LOG_FORMAT"] = self.conf.log_format
        env.setdefault("PYTHONIOENCODING", "utf-8")
        if self.lifeline is not None:
            from schedules.lifeline import ENV

            env[ENV] = str(self.lifeline)
        return env

    @property
    def pass_fds(self) -> tuple:
        return (self.lifeline,) if self.lifeline is not None else ()

    def begin(self, job_id: str) -> bool:
        with self._count_lock:
            if self.stopping.is_set() or job_id in self.running:
                return False
            self.running[job_id] = None
            return True

    def end(self, job_id: str) -> None:
        with self._count_lock:
            self.running.pop(job_id, None)

    def active(self) -> int:
        with self._count_lock:
            return len(self.running)


# --- one child process, watched -------------------------------------------------------------

@dataclass
class ChildResult:
    pid: int
    exit_code: int
    started: datetime                # aware UTC, when it was spawned
    ended: datetime
    seconds: float
    stop_reason: str | None = None   # "time limit" | "daemon stopping", when we sent SIGTERM
    killed: bool = False             # it had to be SIGKILLed
    output: str = ""                 # the tail of its stdout+stderr

    def last_line(self) -> str:
        lines = [ln.strip() for ln in self.output.splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower() or ln.startswith("Traceback")]
        return (errors[-1] if errors else lines[-1] if lines else "")[:300]


def supervise(cmd: list[str], env: dict, time_limit: float | None, grace: float,
              stopping: threading.Event, killing: threading.Event, on_spawn=None,
              pass_fds: tuple = ()) -> ChildResult:
    """Run `cmd` in its own process group until it exits; stop it at `time_limit` seconds or when
    `stopping` is set (SIGTERM, then SIGKILL to its group `grace` seconds later, or at once when
    `killing` is set)."""
    with tempfile.TemporaryFile() as out:
        started, t0 = utcnow(), time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True, close_fds=True,
                                pass_fds=pass_fds)
        if on_spawn:
            on_spawn(proc)
        reason, term_at, killed = None, None, False
        while True:
            try:
                code = proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if term_at is None:
                if stopping.is_set():
                    reason = "daemon stopping"
                elif time_limit is not None and now - t0 > time_limit:
                    reason = "time limit"
                if reason:
                    _send(proc, signal.SIGTERM)
                    term_at = now
            elif killing.is_set() or now - term_at > grace:
                _send(proc, signal.SIGKILL, group=True)
                killed = True
                code = proc.wait()
                break
        if code < 0 and not killed:
            _send(proc, signal.SIGKILL, group=True)      # its extraction worker, if orphaned
        seconds = time.monotonic() - t0
        out.seek(0, os.SEEK_END)
        size = out.tell()
        out.seek(max(0, size - OUTPUT_TAIL))
        tail = out.read().decode("utf-8", "replace")
    return ChildResult(proc.pid, code, started, utcnow(), seconds, reason, killed, tail)


def _send(proc, sig: int, group: bool = False) -> None:
    try:
        if group:
            os.killpg(proc.pid, sig)         # the child leads its own group (start_new_session)
        else:
            proc.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass


def _relay(result: ChildResult, what: str) -> None:
    if log.isEnabledFor(logging.DEBUG):
        for line in result.output.splitlines():
            if line.strip():
                log.debug("child output", extra={"fields": {"job": what, "pid": result.pid,
                                                            "line": line.rstrip()}})


# --- the crawl job --------------------------------------------------------------------------

def crawl(source: str) -> None:
    """Job function: one crawl of `source` in a child process."""
    rt = _runtime
    if rt is None:
        return
    job_id = crawl_job_id(source)
    scheduled = rt.scheduled.pop(job_id, None)
    if not rt.begin(job_id):
        return
    try:
        _run_crawl(rt, source, job_id, scheduled)
    finally:
        rt.end(job_id)


def crawl_command(source: str) -> list[str]:
    # --fetch-only: the daemon's workers (schedules.workers) process the pages it stores; the
    # crawl waits for them (--await-workers) so that its run's figures are complete.
    return [sys.executable, "-m", "computewatch", "crawl", "--source", source, "--fetch-only",
            "--await-workers", "--log-file", os.devnull]


def _run_crawl(rt: Runtime, source: str, job_id: str, scheduled: datetime | None) -> None:
    from apscheduler.jobstores.base import JobLookupError

    with rt.jobs_lock:
        try:       # paused while it runs: not started twice, not reported as skipped
            rt.scheduler.modify_job(job_id, next_run_time=None)
        except JobLookupError:
            return                                      # removed (SIGHUP) since it was due
    _save_quietly(rt, [job_id])

    def spawned(proc):
        with rt._count_lock:
            rt.running[job_id] = proc

    if not rt.gate.enter_crawl(rt.stopping.is_set):    # the reprocess job is running
        _reschedule(rt, source, job_id, "interrupted", 0)
        return
    try:
        if _previous_still_running(rt, source):
            _reschedule(rt, source, job_id, "interrupted", 0)
            return
        result = supervise(crawl_command(source), rt.child_env(), rt.time_limit, rt.stop_grace,
                           rt.stopping, rt.killing, on_spawn=spawned, pass_fds=rt.pass_fds)
    except OSError as e:                                # could not even start it
        now = utcnow()
        result = ChildResult(0, -1, now, now, 0.0, output=f"cannot start the crawl: {e}")
    finally:
        rt.gate.leave_crawl()
    _relay(result, job_id)
    try:
        run = _record(rt, source, result)
        failures = _failures(rt, source)
    except Exception as e:          # the database is away: log the run as the child ended it
        status, message = _verdict(rt, result) if result.exit_code not in (0, 3, 130) else (
            {0: "ok", 3: "failed", 130: "interrupted"}[result.exit_code], None)
        run = {"id": None, "status": status, "pages": None, "new_articles": None,
               "new_claims": None, "errors": None,
               "message": f"not recorded: {str(e).splitlines()[0]}" + (f"; {message}" if message else "")}
        failures = 0
    try:
        next_run = _reschedule(rt, source, job_id, run["status"], failures)
    except Exception as e:          # stays paused; Daemon.mend() resumes it
        log.warning("job not rescheduled", extra={"fields": {"source": source,
                                                             "error": str(e).splitlines()[0]}})
        next_run = None
    delay = (result.started - scheduled).total_seconds() if scheduled else None
    fields = {"source": source, "run": run["id"], "status": run["status"],
              "pages": run["pages"], "new_articles": run["new_articles"],
              "new_claims": run["new_claims"], "errors": run["errors"],
              "seconds": round(result.seconds, 2), "exit_code": result.exit_code,
              "scheduled_at": iso(scheduled), "started_at": iso(result.started),
              "delay": round(delay, 3) if delay is not None else None,
              "failures": failures, "next_run": iso(next_run)}
    if run["message"] and run["status"] != "ok":
        fields["message"] = run["message"]
    log.info("run", extra={"fields": fields})


def crawl_alive(pid: int) -> bool:
    """Whether `pid` is a live computewatch process (not a recycled pid of something else)."""
    from storage.runs import pid_alive

    if not pid or not pid_alive(pid):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"computewatch" in f.read()
    except FileNotFoundError:
        return False
    except OSError:               # no /proc: trust the pid
        return True


def _previous_still_running(rt: Runtime, source: str) -> bool:
    """A crawl of `source` that no job of ours started (a killed daemon's child in its grace, a
    hand-started `crawl`) still runs: do not start a second one beside it."""
    from storage import runs

    try:
        with rt.database.session() as s:
            others = [r.pid for r in runs.last_runs(s, source, 5)
                      if r.status == "running" and r.pid and r.pid != os.getpid()]
    except Exception:             # the database is away: the crawl will say so itself
        return False
    alive = [pid for pid in others if crawl_alive(pid)]
    if alive:
        log.warning("crawl not started: an earlier crawl of the source still runs",
                    extra={"fields": {"source": source, "pid": alive[0]}})
    return bool(alive)


def _record(rt: Runtime, source: str, result: ChildResult) -> dict:
    """The child's crawl_runs row, closed or written here if the child could not do it."""
    from storage import runs

    with rt.database.session(write=True) as s:
        # The child's row: its pid, opened after it was spawned (pids repeat across restarts).
        spawned = result.started.replace(tzinfo=None) - timedelta(seconds=5)
        mine = [r for r in runs.last_runs(s, source, 20)
                if r.pid == result.pid and r.started_at >= spawned]
        row = mine[0] if mine else None
        if row is None or row.status == "running":
            status, message = _verdict(rt, result)
            if row is None and result.stop_reason == "daemon stopping":
                # Stopped before it opened its run: nothing happened, nothing to record.
                return {"id": None, "status": status, "pages": 0, "new_articles": 0,
                        "new_claims": 0, "errors": 0, "message": message}
            if row is None:
                run_id = runs.record_run(s, source, status, result.started.replace(tzinfo=None),
                                         result.ended.replace(tzinfo=None), result.pid or None,
                                         message)
                return {"id": run_id, "status": status, "pages": 0, "new_articles": 0,
                        "new_claims": 0, "errors": 0, "message": message}
            runs.set_status(s, row.id, status, message)
            row.status, row.message = status, message
        return {"id": row.id, "status": row.status, "pages": row.pages or 0,
                "new_articles": row.new_articles or 0, "new_claims": row.new_claims or 0,
                "errors": row.errors or 0, "message": row.message}


def _verdict(rt: Runtime, result: ChildResult) -> tuple[str, str]:
    """Status and message of a run the child left open (or never opened)."""
    if result.stop_reason == "time limit":
        how = "killed" if result.killed else "stopped"
        return "killed", (f"{how} after the wall-clock limit of {rt.time_limit:g} s "
                          f"(crawl_time_limit {rt.conf.crawl_time_limit:g} s + start-up)")
    if result.stop_reason == "daemon stopping":
        return "interrupted", ("the daemon stopped" +
                               (f"; killed after {rt.stop_grace:g} s" if result.killed else ""))
    if not result.pid:
        return "failed", result.output
    code = result.exit_code
    what = f"killed by signal {-code}" if code < 0 else f"exited with code {code}"
    detail = result.last_line()
    return "failed", f"the crawl process {what}" + (f": {detail}" if detail else "")


def _failures(rt: Runtime, source: str) -> int:
    from storage import runs

    with rt.database.session() as s:
        return backoff.consecutive_failures(r.status for r in runs.last_runs(s, source, 50))


def _reschedule(rt: Runtime, source: str, job_id: str, status: str, failures: int):
    """Un-pause the job: its next ordinary time, or a backoff delay after repeated failures."""
    from apscheduler.jobstores.base import JobLookupError

    with rt.jobs_lock:
        job = rt.scheduler.get_job(job_id)
        if job is None:
            return None                                 # removed while it ran (SIGHUP)
        now = utcnow()
        if status in backoff.FAILED and failures >= 2:
            period = trigger_period(job.trigger, now)
            next_run = now + timedelta(seconds=backoff.delay(failures, period))
        else:
            next_run = job.trigger.get_next_fire_time(None, now)
        try:
            rt.scheduler.modify_job(job_id, next_run_time=next_run)
        except JobLookupError:
            return None
    try:
        save_state(rt, [job_id], {source: failures})
    except Exception as e:          # the database is away: Daemon.mend() saves it later
        log.warning("schedule not stored", extra={"fields": {"source": source,
                                                             "error": str(e).splitlines()[0]}})
    return next_run


# --- the schedule as plain rows (schedule_state) --------------------------------------------------

def schedule_text(trigger) -> str:
    """What makes two schedules the same, as stored: 'interval 3600.0', 'cron cron[...]'."""
    length = getattr(trigger, "interval_length", None)
    if length:
        return f"interval {float(length)}"
    return f"cron {trigger}"


def _naive(dt: datetime | None) -> datetime | None:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt is not None else None


def save_state(rt: Runtime, job_ids=None, failures: dict | None = None) -> int:
    """Store the crawl jobs' schedules (those of `job_ids`, else all) in schedule_state; only rows
    that changed are written. Raises when the database is away (the caller's saves retry)."""
    from storage.models import ScheduleState

    failures = failures or {}
    with rt.jobs_lock:
        rows = {j.args[0]: (schedule_text(j.trigger), _naive(j.next_run_time))
                for j in rt.scheduler.get_jobs()
                if j.id.startswith("crawl:") and (job_ids is None or j.id in job_ids)}
    changed = {name: row for name, row in rows.items()
               if rt.saved.get(name) != row or name in failures}
    if not changed:
        return 0
    now = _naive(utcnow())
    with rt.database.session(write=True) as s:
        for name, (schedule, next_run) in changed.items():
            row = s.get(ScheduleState, name)
            if row is None:
                row = ScheduleState(source=name, consecutive_failures=0)
                s.add(row)
            row.schedule, row.next_run_time, row.updated_at = schedule, next_run, now
            if name in failures:
                row.consecutive_failures = failures[name]
    rt.saved.update(changed)
    return len(changed)


def _save_quietly(rt: Runtime, job_ids=None) -> None:
    try:
        save_state(rt, job_ids)
    except Exception as e:          # the database is away: Daemon.mend() saves it later
        log.warning("schedule not stored", extra={"fields": {"jobs": job_ids or "all",
                                                             "error": str(e).splitlines()[0]}})


def load_state(database) -> dict:
    """source -> (schedule text, next run time aware UTC or None, consecutive failures)."""
    from sqlalchemy import select

    from storage.models import ScheduleState

    with database.session() as s:
        return {r.source: (r.schedule, r.next_run_time.replace(tzinfo=timezone.utc)
                           if r.next_run_time else None, r.consecutive_failures)
                for r in s.scalars(select(ScheduleState))}


def forget_state(rt: Runtime, sources) -> None:
    """Drop the rows of sources no longer scheduled (removed or disabled)."""
    from sqlalchemy import delete

    from storage.models import ScheduleState

    sources = list(sources)
    if not sources:
        return
    with rt.database.session(write=True) as s:
        s.execute(delete(ScheduleState).where(ScheduleState.source.in_(sources)))
    for name in sources:
        rt.saved.pop(name, None)


def trigger_period(trigger, now: datetime) -> float:
    """Seconds between runs: an interval trigger's interval, a cron trigger's next gap."""
    length = getattr(trigger, "interval_length", None)
    if length:
        return float(length)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    if first and second and second > first:
        return max(1.0, (second - first).total_seconds())
    return 3600.0


# --- the reprocess job ----------------------------------------------------------------------

def reprocess() -> None:
    """Job function: `computewatch reprocess` in a child process, with no crawl running."""
    rt = _runtime
    if rt is None or rt.stopping.is_set():
        return
    if not rt.begin(REPROCESS_JOB_ID):
        return
    try:
        log.info("reprocess waiting for crawls", extra={"fields": {"running": rt.active() - 1}})
        if not rt.gate.enter_exclusive(rt.stopping.is_set):
            return

        def spawned(proc):
            with rt._count_lock:
                rt.running[REPROCESS_JOB_ID] = proc

        cmd = [sys.executable, "-m", "computewatch", "reprocess", "--log-file", os.devnull]
        result = supervise(cmd, rt.child_env(), None, rt.stop_grace, rt.stopping, rt.killing,
                           on_spawn=spawned, pass_fds=rt.pass_fds)
        _relay(result, REPROCESS_JOB_ID)
        m = re.search(r"reprocessed (\d+) page", result.output)
        status = ("interrupted" if result.stop_reason else "ok" if result.exit_code == 0
                  else "failed")
        fields = {"status": status, "pages": int(m.group(1)) if m else None,
                  "exit_code": result.exit_code, "seconds": round(result.seconds, 2),
                  "started_at": iso(result.started)}
        if status == "failed":
            fields["message"] = result.last_line()
        log.info("reprocess", extra={"fields": fields})
    finally:
        rt.gate.leave_exclusive()
        rt.end(REPROCESS_JOB_ID)
