"""Crawl children die with their daemon, even when it is killed with SIGKILL.

The daemon holds the write end of a pipe for its whole life; each child gets the read end (its
number in COMPUTEWATCH_LIFELINE) and watches it from a thread. When the daemon dies, however it
dies, the kernel closes the write end and the read returns EOF: the child stops as on SIGTERM
(Scrapy's graceful shutdown, the run closed as interrupted) and, if it is still alive GRACE
seconds later, kills its whole process group (itself and its extraction worker) with SIGKILL.
Unlike PR_SET_PDEATHSIG this does not depend on which of the daemon's threads spawned the child.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time

ENV = "COMPUTEWATCH_LIFELINE"
GRACE = 30.0        # seconds an orphaned crawl gets to stop gracefully before its group is killed

log = logging.getLogger("computewatch.lifeline")


def open_pipe() -> tuple[int, int]:
    """(read end, write end) for the daemon; both non-inheritable (only pass_fds hands r on)."""
    return os.pipe()


def watch() -> None:
    """In a child: if the daemon gave us a lifeline, stop when it breaks. The variable is removed
    so that grandchildren (the extraction worker) do not watch a descriptor they lack."""
    value = os.environ.pop(ENV, "")
    if not value:
        return
    try:
        fd = int(value)
        os.fstat(fd)
    except (ValueError, OSError):
        return
    threading.Thread(target=_wait, args=(fd,), name="lifeline", daemon=True).start()


def _wait(fd: int) -> None:
    while True:
        try:
            if os.read(fd, 64) == b"":
                break                       # EOF: every write end is closed, the daemon is gone
        except InterruptedError:
            continue
        except OSError:
            return
    log.warning("the daemon is gone: stopping", extra={"fields": {"pid": os.getpid()}})
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE)
    try:
        os.killpg(os.getpgrp(), signal.SIGKILL)     # the child leads its group (start_new_session)
    except OSError:
        os._exit(137)
