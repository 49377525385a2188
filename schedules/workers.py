"""The daemon's processing workers: `conf.workers` long-lived `computewatch worker` processes
beside its crawls, so spaCy and jieba are loaded once per worker, not once per crawl (the crawl
children run with --fetch-only: they fetch and store, the workers process).

A worker that exits (a crash, a page that killed it) is started again at the next housekeeping;
each dies with the daemon (--exit-with-parent: PR_SET_PDEATHSIG on Linux, and a parent check).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

log = logging.getLogger("computewatch.daemon")


def worker_command() -> list[str]:
    return [sys.executable, "-m", "computewatch", "worker", "--exit-with-parent",
            "--log-file", os.devnull]


class WorkerPool:
    def __init__(self, count: int, env: dict):
        self.count = count
        self.env = env
        self.procs: list[subprocess.Popen] = []

    def ensure(self) -> None:
        """Start workers until `count` are running (at start, and after one exited)."""
        for p in [p for p in self.procs if p.poll() is not None]:
            log.warning("worker exited", extra={"fields": {"pid": p.pid, "exit_code": p.returncode}})
            self.procs.remove(p)
        while len(self.procs) < self.count:
            p = subprocess.Popen(worker_command(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 env=self.env, start_new_session=True, close_fds=True)
            self.procs.append(p)
            log.info("worker started", extra={"fields": {"pid": p.pid}})

    def stop(self, grace: float) -> None:
        """SIGTERM (each finishes its page and hands the rest back), SIGKILL after `grace`."""
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + grace
        for p in self.procs:
            try:
                p.wait(max(0.0, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.clear()

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]
