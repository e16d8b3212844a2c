"""One live process per folder: a run directory is owned by the process training it, a sweep
folder by the process that launched the sweep (its joblib, population or submitit workers own
only their jobs' folders).

The owner holds an exclusive flock on FOLDER/.lock (rundir.LOCK) while it uses the folder, with
its host, pid and start time written there for the message another launch prints. The kernel
drops a flock when its holder dies, however it dies, so a lock file left by a killed process is
simply taken over. On a file system without flock (some network mounts) the pid decides: a
process of this host that is gone, is a zombie (this machine's init reaps orphans slowly) or is
another process under a reused pid no longer owns the folder. The owner deletes the file when it
lets go.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import rundir

from .writer import RunDirError

HOST = socket.gethostname()


class FolderBusy(RunDirError):
    """Another live process owns the folder; one line naming the folder and the owner."""


@contextmanager
def own(folder: Path) -> Iterator[None]:
    """Holds `folder` for this process (made if missing); FolderBusy if a live process holds
    it."""
    fd = acquire(Path(folder))
    try:
        yield
    finally:
        release(Path(folder), fd)


def acquire(folder: Path) -> int:
    """Takes the folder's lock (see own); returns the descriptor that holds it."""
    path = folder / rundir.LOCK
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise rundir.WriteError(path, exc) from None
        try:
            _lock(fd, path)
            if _same_file(fd, path):  # not a file its last owner deleted as we opened it
                _write_owner(fd, path)
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def release(folder: Path, fd: int) -> None:
    path = folder / rundir.LOCK
    try:
        if _same_file(fd, path):
            path.unlink()
    except OSError:
        pass  # a read-only or vanished folder: the kernel drops the lock all the same
    os.close(fd)


def probe(folder: Path) -> None:
    """FolderBusy if a live process owns `folder`; takes nothing (the owner may be this
    process's parent)."""
    path = Path(folder) / rundir.LOCK
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # no lock file, or none readable: nobody to name
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        raise FolderBusy(_busy(path)) from None
    except OSError:
        if _alive(_owner(path)):
            raise FolderBusy(_busy(path)) from None
    finally:
        os.close(fd)


def _lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise FolderBusy(_busy(path)) from None
    except OSError as exc:  # no flock here: the recorded owner decides
        if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
            raise
        owner = _owner(path)
        if owner.get("pid") != os.getpid() and _alive(owner):
            raise FolderBusy(_busy(path)) from None


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _write_owner(fd: int, path: Path) -> None:
    owner = {"host": HOST, "pid": os.getpid(), "pid_start": _start_ticks(os.getpid()),
             "started": rundir.now(), "command": " ".join(sys.argv)}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(owner) + "\n").encode(), 0)
    except OSError as exc:
        raise rundir.WriteError(path, exc) from None


def _owner(path: Path) -> dict:
    try:
        owner = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return owner if isinstance(owner, dict) else {}


def _busy(path: Path) -> str:
    owner = _owner(path)
    who = f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')}"
    since = f" since {owner['started']}" if owner.get("started") else ""
    return (f"{path.parent} is in use by {who}{since}: wait for it to end, or choose another "
            "folder")


def _alive(owner: dict) -> bool:
    """Whether the recorded owner still runs; True where that cannot be told (another host,
    no record)."""
    pid = owner.get("pid")
    if owner.get("host") != HOST or not isinstance(pid, int):
        return bool(owner)
    state, start = _stat(pid)
    return state not in (None, "Z", "X") and start == owner.get("pid_start")


def _start_ticks(pid: int) -> int | None:
    return _stat(pid)[1]


def _stat(pid: int) -> tuple[str | None, int | None]:
    """(state, start time in clock ticks) of a process from /proc/PID/stat; (None, None) if it
    is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None, None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": comm may hold spaces
    return fields[0], int(fields[19])
