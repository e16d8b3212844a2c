"""Preemption: a training job told to stop writes a checkpoint at once, then exits, so that the
job requeued (SLURM) or launched again resumes from the iteration it had reached.

The signals are those a cluster sends: SIGUSR2, submitit's warning before the time limit
(`#SBATCH --signal=USR2@...`), and SIGTERM, SLURM's at the time limit, at preemption, on
`scancel` and `scontrol requeue` (and `kill`'s default). While `watch()` is active:

- inside `deferred()` (meta-training) a signal is only recorded: the trainer asks `requested()`
  between iterations, where every job's state is whole, checkpoints its jobs and calls `stop()`;
- inside `on_signal(act)` (the final evaluation, whose state is the last iteration's) the signal
  calls `act` at once, which checkpoints and stops;
- anywhere else (setting up, between jobs) there is nothing to save since the last checkpoint,
  and the signal stops the process at once.

`stop()` hands the signal to whatever handled it before: submitit's USR2 handler requeues the
job and exits; otherwise the process exits with status 128 + the signal's number. A signal that
arrives as the last job ends is left to the job's normal end under submitit (its result is then
written) and ends a plain process.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

SIGNALS = (signal.SIGTERM, signal.SIGUSR2)

_received: list[int] = []  # the signals recorded while watching, in order
_previous: dict[int, object] = {}  # the handlers watch() replaced
_acts: list[Callable[[], object] | None] = []  # innermost last; None: defer to the trainer


def _handle(signum: int, _frame) -> None:
    first = not _received
    _received.append(signum)
    act = _acts[-1] if _acts else _nothing_to_save
    if first and act is not None:
        act()


def _nothing_to_save() -> None:
    stop(f"{signal_name()}: stopped; nothing was trained since the last checkpoint")


@contextmanager
def watch() -> Iterator[None]:
    """Handles SIGTERM and SIGUSR2 as above (main thread only: Python runs handlers there;
    elsewhere the signals keep their handlers). Nested use is a no-op."""
    if _previous or threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    for signum in SIGNALS:
        _previous[signum] = signal.signal(signum, _handle)
    try:
        yield
    finally:
        pending, previous = _restore()
    if pending is not None and previous[pending] in (signal.SIG_DFL, None):
        sys.exit(128 + pending)  # every job has ended; the process was told to stop


@contextmanager
def deferred() -> Iterator[None]:
    """Signals are recorded for the caller to act on (requested(), then stop())."""
    _acts.append(None)
    try:
        yield
    finally:
        _acts.pop()


@contextmanager
def on_signal(act: Callable[[], object]) -> Iterator[None]:
    """A signal calls `act` (which checkpoints and calls stop()) at once; so does one that
    arrived before the block began."""
    _acts.append(act)
    try:
        if _received and _previous:
            act()
        yield
    finally:
        _acts.pop()


def requested() -> bool:
    """Whether a stop signal arrived since watch() began."""
    return bool(_received)


def signal_name() -> str:
    return signal.Signals(_received[0]).name if _received else ""


def stop(message: str) -> NoReturn:
    """Once the caller has checkpointed every job: prints `message`, then hands the signal to
    the handler that was there before (submitit's requeues and exits), else exits 128 +
    signum."""
    pending, previous = _restore()
    print(message, file=sys.stderr, flush=True)
    handler = previous.get(pending)
    if callable(handler):
        handler(pending, None)  # submitit: USR2 requeues and exits; SIGTERM is only logged
    sys.exit(128 + pending)


def _restore() -> tuple[int | None, dict[int, object]]:
    """Puts the previous handlers back; returns the first signal received and those handlers."""
    previous = dict(_previous)
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    _previous.clear()
    pending = _received[0] if _received else None
    _received.clear()
    return pending, previous
