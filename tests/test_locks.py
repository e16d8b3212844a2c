"""One live process per run or sweep folder (experiments/lock.py): a second launch is refused
at once naming the owner; a lock left by a dead process is taken over."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import rundir
from experiments import lock
from tests.helpers.app import ROOT, TINY, run_app, start_app

HOLD = """
import sys, time
from pathlib import Path
from experiments import lock
lock.acquire(Path(sys.argv[1]))
print("held", flush=True)
time.sleep(600)
"""


def holder(folder: Path) -> subprocess.Popen:
    """Another process that owns `folder` until it is killed."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_folder_held_by_a_live_process_is_refused_naming_it(tmp_path):
    proc = holder(tmp_path)
    try:
        for attempt in (lock.acquire, lock.probe):
            with pytest.raises(lock.FolderBusy) as busy:
                attempt(tmp_path)
            message = str(busy.value)
            assert message.startswith(f"{tmp_path} is in use by pid {proc.pid} on host "
                                      f"{socket.gethostname()}") and "\n" not in message
    finally:
        proc.kill()
        proc.wait()


def test_a_lock_left_by_a_killed_process_is_taken_over_and_removed_on_release(tmp_path):
    proc = holder(tmp_path)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = json.loads((tmp_path / rundir.LOCK).read_text())
    assert left["pid"] == proc.pid  # the dead owner's record is still there
    with lock.own(tmp_path):
        assert json.loads((tmp_path / rundir.LOCK).read_text())["pid"] == os.getpid()
    assert not (tmp_path / rundir.LOCK).exists()


def test_without_flock_a_zombie_owner_counts_as_dead_and_a_live_one_as_alive(tmp_path,
                                                                               monkeypatch):
    def no_flock(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    zombie = subprocess.Popen(["true"])  # exits at once; unreaped, it stays a zombie
    deadline = time.time() + 10
    while lock._stat(zombie.pid)[0] != "Z" and time.time() < deadline:
        time.sleep(0.05)
    live = subprocess.Popen(["sleep", "60"])
    try:
        monkeypatch.setattr(fcntl, "flock", no_flock)
        for proc, busy in ((zombie, False), (live, True)):
            record = {"host": lock.HOST, "pid": proc.pid, "pid_start": lock._stat(proc.pid)[1]}
            (tmp_path / rundir.LOCK).write_text(json.dumps(record))
            if busy:
                with pytest.raises(lock.FolderBusy, match=f"pid {proc.pid} "):
                    lock.acquire(tmp_path)
            else:
                lock.release(tmp_path, lock.acquire(tmp_path))
        # a live pid that started at another time is another process under a reused pid
        record["pid_start"] = (record["pid_start"] or 0) + 1
        (tmp_path / rundir.LOCK).write_text(json.dumps(record))
        lock.release(tmp_path, lock.acquire(tmp_path))
    finally:
        live.kill()
        live.wait()
        zombie.wait()


# -- two real launches -------------------------------------------------------------------------
LONG = [*TINY, "meta_iters=200000", "checkpoint_every=100"]


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


@pytest.mark.slow
def test_a_second_run_into_a_live_runs_folder_is_refused_and_a_dead_ones_is_resumed(tmp_path):
    out = tmp_path / "run"
    first = start_app(*LONG, f"hydra.run.dir={out}")
    try:
        wait_for(out / "checkpoint.pt", first)
        config = (out / ".hydra" / "config.yaml").read_bytes()
        second = run_app(*LONG, "inner_lr=0.03", f"hydra.run.dir={out}")
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"error: {out} is in use by pid {first.pid} on host {socket.gethostname()}"), lines
        assert (out / ".hydra" / "config.yaml").read_bytes() == config  # untouched
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert json.loads((out / rundir.LOCK).read_text())["pid"] == first.pid  # left behind
    resumed = start_app(*LONG, f"hydra.run.dir={out}")  # takes the dead process's lock over
    try:
        wait_for(out / rundir.LOCK, resumed)
        deadline = time.time() + 60
        while json.loads((out / rundir.LOCK).read_text() or "{}").get("pid") != resumed.pid:
            assert time.time() < deadline and resumed.poll() is None
            time.sleep(0.05)
    finally:
        resumed.send_signal(signal.SIGTERM)
        resumed.wait(timeout=120)
    assert resumed.returncode == 128 + signal.SIGTERM
    assert not (out / rundir.LOCK).exists()


@pytest.mark.slow
def test_a_second_sweep_into_a_live_sweeps_folder_is_refused_at_once(tmp_path):
    sweep = tmp_path / "sweep"
    first = start_app("-m", *LONG, "seed=0,1", "hydra/launcher=basic",
                      f"hydra.sweep.dir={sweep}")
    try:
        wait_for(sweep / "0" / "checkpoint.pt", first)
        plan = (sweep / "multirun.yaml").read_bytes()
        second = run_app("-m", *LONG, "seed=0,1", f"hydra.sweep.dir={sweep}")
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(
            f"error: {sweep} is in use by pid {first.pid} on host "), lines
        assert (sweep / "multirun.yaml").read_bytes() == plan
        # the job's own folder is the job's: a single run pointed into it is refused too
        into_job = run_app(*LONG, f"hydra.run.dir={sweep / '0'}")
        assert into_job.returncode == 2 and f"{sweep / '0'} is in use" in into_job.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
