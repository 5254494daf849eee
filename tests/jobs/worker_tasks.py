"""Imported by the test worker (``FORUM_JOBS_IMPORTS``) and by the broker tests.

- ``test.flaky_once``: fails on its first run (while its ``marker`` file is absent),
  then succeeds: the retry with backoff.
- With ``FORUM_TEST_SLOW_MAIL_MARKER`` set: the first ``mail.send`` whose subject says
  ``SLOW`` delivers its mail, writes the pool process's pid to the marker and then hangs
  before its commit, so the test can SIGKILL the process at the worst moment."""

import os
import time
from pathlib import Path

from forum import jobqueue

_MARKER = os.environ.get("FORUM_TEST_SLOW_MAIL_MARKER")


@jobqueue.job("test.flaky_once")
def flaky_once(*, note: str, marker: str) -> None:
    path = Path(marker)
    if not path.exists():
        path.write_text("failed once")
        raise RuntimeError(f"first try of {note} fails")


if _MARKER:
    _real_send = jobqueue.TASKS["mail.send"]

    def _slow_send(**payload) -> None:
        _real_send(**payload)
        marker = Path(_MARKER)
        if "SLOW" in payload["subject"] and not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(60)  # killed here: mailed, not yet marked done

    jobqueue.TASKS["mail.send"] = _slow_send
