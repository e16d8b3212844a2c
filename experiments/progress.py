"""Word of a long stage: what the job is doing while its progress bar cannot move (a one-off
compile, the first iteration of a large config, an evaluation of many tasks).

A stage that lasts NOTE_AFTER seconds is named in a line on stderr, and again each time its
elapsed time doubles; through tqdm.write, so the line sits above a progress bar on a terminal and
reaches a log (SLURM, a pipe) where the bar is off. A short stage prints nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tqdm import tqdm

NOTE_AFTER = 10.0  # seconds


@contextmanager
def stage(what: str) -> Iterator[None]:
    """Runs the block; names `what` with its elapsed time while it takes long."""
    done, start = threading.Event(), time.monotonic()

    def notes() -> None:
        wait = NOTE_AFTER
        while not done.wait(max(0.0, start + wait - time.monotonic())):
            tqdm.write(f"{what}: {time.monotonic() - start:.0f} s so far", file=sys.stderr)
            wait *= 2

    thread = threading.Thread(target=notes, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
