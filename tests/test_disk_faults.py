"""A write that fails (no space, read-only, no permission) ends the job with one line naming
the file and the error, and leaves the previous checkpoint and run.json intact.

Two layers: every atomic-write site of rundir/io.py with the failure patched in (any machine);
and real jobs on a real failing disk (a full tmpfs, a read-only bind mount, a folder without
write permission), which need root for the mounts and are skipped with the reason elsewhere.
"""

from __future__ import annotations

import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import torch

import rundir
from tests.helpers.app import TINY, app_command, env

FAULTS = {errno.ENOSPC: "No space left on device", errno.EROFS: "Read-only file system",
          errno.EACCES: "Permission denied"}

# each writer of rundir/io.py, as a call that writes `path`
SITES = {
    "write_text": lambda path: rundir.write_text(path, "new\n"),
    "write_bytes": lambda path: rundir.write_bytes(path, b"new\n"),
    "write_json": lambda path: rundir.write_json(path, {"new": 1}),
    "write_csv": lambda path: rundir.write_csv(path, [{"a": 1}]),
    "save_torch": lambda path: rundir.save_torch(path, {"format": rundir.FORMAT}),
    "atomic_path": lambda path: rundir.atomic_write(path, lambda tmp: tmp.write_text("new\n")),
}


def _fail(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


def _fail_fill(monkeypatch, code: int) -> None:
    """The temporary file exists, and filling it fails (every writer fills it through these)."""
    monkeypatch.setattr(Path, "write_text", _fail(code))
    monkeypatch.setattr(Path, "write_bytes", _fail(code))


# where a write fails: making the temporary file, filling it, renaming it over the target
STAGES = {
    "create": lambda mp, code: mp.setattr(tempfile, "mkstemp", _fail(code)),
    "fill": _fail_fill,
    "rename": lambda mp, code: mp.setattr(os, "replace", _fail(code)),
}


@pytest.mark.parametrize("code", sorted(FAULTS), ids=[FAULTS[c] for c in sorted(FAULTS)])
@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("site", sorted(SITES))
def test_every_write_site_names_the_file_and_keeps_its_previous_version(tmp_path, monkeypatch,
                                                                        site, stage, code):
    target = tmp_path / "run.json"
    target.write_text("old\n")
    STAGES[stage](monkeypatch, code)
    with pytest.raises(rundir.WriteError) as failed:
        SITES[site](target)
    message = str(failed.value)
    assert message == f"cannot write {target} ([Errno {code}] {FAULTS[code]})"
    assert failed.value.errno == code and isinstance(failed.value, OSError)
    monkeypatch.undo()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]  # no temporary file left


# -- real jobs on a failing disk (root) ------------------------------------------------------------
def _root_mount(*args: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a failing disk needs root (CI runs as root); the patched-write "
                    "tests above cover every write site")
    proc = subprocess.run(["mount", *args], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"mount {' '.join(args)} failed here: {proc.stderr.strip()}")


@pytest.fixture
def mounts():
    """Mount points to unmount at the end, whatever happens."""
    points: list[Path] = []
    yield points
    for point in reversed(points):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


JOB = [*TINY, "meta_iters=200000", "checkpoint_every=20", "log_every=20"]


# the app with its N+1-th file replacement failing as a full disk fails (where nothing can be
# mounted, this stands in for the disk)
FAIL_AFTER = """
import errno, os, sys
real, done, limit = os.replace, [0], int(sys.argv[1])
def replace(src, dst):
    done[0] += 1
    if done[0] > limit:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    real(src, dst)
os.replace = replace
sys.argv = ["train", *sys.argv[2:]]
import runpy
runpy.run_module("experiments.train", run_name="__main__", alter_sys=True)
"""


def _start(out: Path, wrapper: list[str] = (), fail_after: int | None = None) -> subprocess.Popen:
    command = app_command(*JOB, f"hydra.run.dir={out}")
    if fail_after is not None:
        command = [command[0], "-c", FAIL_AFTER, str(fail_after), *command[3:]]
    return subprocess.Popen([*wrapper, *command],
                            cwd=Path(__file__).resolve().parents[1], env=env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def _after_a_checkpoint(out: Path, proc: subprocess.Popen) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            if json.loads((out / "run.json").read_text())["iteration"] >= 40:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError("no checkpoint within 2 minutes")


def _ended_in_one_line(proc: subprocess.Popen, out: Path, code: int) -> None:
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: cannot write {out}/") and \
        f"[Errno {code}] {FAULTS[code]}" in lines[0], lines[0]
    info = json.loads((out / "run.json").read_text())  # whole, and still resumable
    checkpoint = torch.load(out / "checkpoint.pt", weights_only=True)
    assert info["status"] == "running" and info["iteration"] >= 40
    # checkpoint.pt is written before run.json: a disk that fails between the two leaves the
    # checkpoint one interval ahead, and the relaunch resumes from the checkpoint
    every = int(next(arg for arg in JOB if arg.startswith("checkpoint_every=")).split("=")[1])
    assert checkpoint["learner"]["iteration"] in (info["iteration"], info["iteration"] + every)


def _resumes(out: Path) -> None:
    """The same job relaunched on a good disk continues from the kept checkpoint."""
    start = torch.load(out / "checkpoint.pt", weights_only=True)["learner"]["iteration"]
    proc = _start(out)
    _after_a_checkpoint(out, proc)  # iteration >= 40 holds already: wait for a newer one
    deadline = time.time() + 120
    while json.loads((out / "run.json").read_text())["iteration"] <= start:
        assert time.time() < deadline and proc.poll() is None
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    points = [(row["iteration"], row["k"]) for row in csv.DictReader(open(out / "curve.csv"))]
    assert len(points) == len(set(points)) and int(points[-1][0]) > start  # no point twice


def test_a_write_failing_mid_run_ends_the_job_in_one_line_and_keeps_its_checkpoint(tmp_path):
    """The patched stand-in, on any machine: run.json at the start, then three checkpoints of
    three files each, and the fourth checkpoint's first file fails."""
    out = tmp_path / "run"
    proc = _start(out, fail_after=10)
    _ended_in_one_line(proc, out, errno.ENOSPC)
    assert json.loads((out / "run.json").read_text())["iteration"] == 60
    _resumes(out)


@pytest.mark.slow
def test_a_full_disk_ends_the_job_in_one_line_and_keeps_its_checkpoint(tmp_path, mounts):
    disk = tmp_path / "disk"
    disk.mkdir()
    _root_mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk))
    mounts.append(disk)
    out = disk / "run"
    proc = _start(out)
    _after_a_checkpoint(out, proc)
    with open(disk / "filler", "wb") as filler:  # every free byte
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    _ended_in_one_line(proc, out, errno.ENOSPC)
    (disk / "filler").unlink()
    _resumes(out)


@pytest.mark.slow
def test_a_disk_turned_read_only_ends_the_job_in_one_line(tmp_path, mounts):
    out = tmp_path / "run"
    proc = _start(out)
    _after_a_checkpoint(out, proc)
    _root_mount("--bind", "-o", "ro", str(out), str(out))
    mounts.append(out)
    _ended_in_one_line(proc, out, errno.EROFS)
    subprocess.run(["umount", str(out)], check=True)
    mounts.remove(out)
    _resumes(out)


@pytest.mark.slow
def test_a_folder_without_write_permission_ends_the_job_in_one_line(tmp_path):
    wrapper = []
    if os.geteuid() == 0:  # root writes anywhere: run the job without that capability
        if not shutil.which("setpriv"):
            pytest.skip("root needs setpriv (util-linux) to drop CAP_DAC_OVERRIDE")
        caps = "-dac_override,-dac_read_search"
        wrapper = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--"]
    out = tmp_path / "run"
    proc = _start(out, wrapper)
    _after_a_checkpoint(out, proc)
    out.chmod(0o555)
    try:
        _ended_in_one_line(proc, out, errno.EACCES)
    finally:
        out.chmod(0o755)
    _resumes(out)


