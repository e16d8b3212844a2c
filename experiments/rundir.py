"""Writing the run directory (docs/run-directory.md): every file atomically, so a killed job
leaves each file whole or absent, never half-written."""

from __future__ import annotations

import io
import json
import os
import platform
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import hydra
import pandas as pd

import reptile

FORMAT = 1  # of run.json, weights.pt and checkpoint.pt; readers refuse other formats
FINAL = ("done", "diverged")  # statuses of a job that has ended: a relaunch leaves it alone
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """write(temp_path) fills a temporary file beside `path`, which then replaces `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for sharing
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def write_json(path: Path, obj: dict) -> None:
    write_text(path, json.dumps(obj, indent=2) + "\n")


def write_csv(path: Path, rows: list[dict] | pd.DataFrame) -> None:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    write_text(path, frame.to_csv(index=False))


def save_torch(path: Path, obj: dict) -> None:
    import torch  # lazily: the sweep bookkeeping imports this module and needs no torch

    # via memory: saved to a file, torch names the archive after it, and the random temporary
    # name would make two identical runs differ in their bytes
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def load_torch(path: Path) -> dict:
    """Loads a weights or checkpoint file of this format (weights_only: no code runs)."""
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise ValueError(f"{path}: format {found} is not supported (this version reads {FORMAT})")
    return obj


def flatten(tree: dict, prefix: str = "") -> dict:
    """A nested config dict as {"model.width": 64, ...}; lists as JSON text, one value each."""
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[prefix + str(key)] = json.dumps(value) if isinstance(value, list) else value
    return flat


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def versions() -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "hydra": hydra.__version__,
        "reptile_sine": reptile.__version__,
    }


def read_run_json(run_dir: Path) -> dict | None:
    path = run_dir / "run.json"
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        found = info.get("format") if isinstance(info, dict) else None
        raise ValueError(f"format {found} is not supported (this version reads {FORMAT})")
    return info
