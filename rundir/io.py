"""Reading and writing run-directory files (docs/run-directory.md).

Every write goes to a temporary file in the target's folder, renamed over the target once
complete, so a reader sees the old file or the new one, never half of one; a write that fails
(no space, a read-only disk, no permission) raises WriteError naming the file, and leaves its
previous version as it was. Every reader refuses
what it cannot trust with a one-line ContractError naming the file: a run.json of another format
or with an unknown status, a CSV file cut off mid-write, a weights file of another format.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from .contract import CONFIG, FORMAT, RUN_FIELD_TYPES, RUN_JSON, STATUSES
from .derived import resolve_config

__all__ = [
    "ContractError", "WriteError", "atomic_path", "atomic_write", "write_text", "write_bytes",
    "write_json", "write_csv", "save_torch", "now", "load_torch", "read_run_json", "read_yaml",
    "read_config", "read_columns",
]

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader: big sweeps


class WriteError(OSError):
    """A file could not be written (no space, read-only, permission): "cannot write PATH
    (reason)", one line. Writes are atomic, so the file's previous version is intact."""

    def __init__(self, path: str | os.PathLike, error: OSError):
        self.path, self.error = Path(path), error
        reason = error.strerror or _one_line(error) or type(error).__name__
        super().__init__(error.errno, f"cannot write {self.path} ([Errno {error.errno}] "
                         f"{reason})")

    def __str__(self) -> str:
        return self.args[1]


class ContractError(ValueError):
    """A file of the contract is missing, damaged or of another format: "PATH: reason", one
    line; the parts are .path and .reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path, self.reason = Path(path), _one_line(reason)
        super().__init__(f"{self.path}: {self.reason}")


# -- writing -----------------------------------------------------------------------------------
@cache
def _umask() -> int:
    """The process's umask, read without changing it where /proc says it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path beside `path` (same suffix: savefig and to_parquet read it); it
    replaces `path` when the block ends without error, and is removed otherwise."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=f".tmp{target.suffix}")
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; results are for sharing
    except OSError as exc:
        raise WriteError(target, exc) from None
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # a read-only folder keeps its temporary file
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(target, exc) from None
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """write(temporary path) fills the file that then replaces `path`."""
    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


def write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_json(path: str | os.PathLike, obj: dict) -> Path:
    return write_text(path, json.dumps(obj, indent=2) + "\n")


def write_csv(path: str | os.PathLike, rows) -> Path:
    """rows: a pandas DataFrame or a list of dicts (one per row)."""
    import pandas as pd

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    return write_text(path, frame.to_csv(index=False))


def save_torch(path: str | os.PathLike, obj: dict) -> Path:
    import torch  # the readers of this module need no torch

    # via memory: saved to a file, torch names the archive after it, and the random temporary
    # name would make two identical runs differ in their bytes
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return write_bytes(path, buffer.getvalue())


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


# -- reading -----------------------------------------------------------------------------------
def load_torch(path: str | os.PathLike) -> dict:
    """A weights or checkpoint file of this format (weights_only: no code runs)."""
    import torch

    obj = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise ContractError(path, f"format {found} is not supported (this version reads "
                            f"{FORMAT})")
    return obj


def read_run_json(run_dir: str | os.PathLike, missing_ok: bool = True) -> dict | None:
    """RUN_DIR/run.json, checked: None if absent (and missing_ok), ContractError if it is not
    whole JSON, of another format or with an unknown status."""
    path = Path(run_dir) / RUN_JSON
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if missing_ok:
            return None
        raise ContractError(path, "missing run.json (the job started but never wrote "
                            "it)") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ContractError(path, f"unreadable ({_one_line(err)})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        found = info.get("format") if isinstance(info, dict) else None
        raise ContractError(path, f"format {found!r} is not supported (this version reads "
                            f"{FORMAT})")
    if info.get("status") not in STATUSES:
        raise ContractError(path, f"unknown status {info.get('status')!r} (one of "
                            f"{', '.join(STATUSES)})")
    for name, kind in RUN_FIELD_TYPES.items():
        value = info.get(name)
        if value is not None and not _holds(value, kind):
            raise ContractError(path, f"field {name} holds a {type(value).__name__}, not a "
                                f"{kind.__name__}")
    bad = [name for name, value in (info.get("metrics") or {}).items()
           if value is not None and not _holds(value, float)]
    if bad:
        raise ContractError(path, f"metric {bad[0]} is not a number")
    return info


def _holds(value, kind: type) -> bool:
    """isinstance, where a float may be an int and a bool is no number."""
    if kind in (int, float) and isinstance(value, bool):
        return False
    return isinstance(value, (int, float) if kind is float else kind)


def read_yaml(path: str | os.PathLike, kind: type = dict):
    """A YAML file that must hold a `kind` (dict or list); ContractError otherwise."""
    path = Path(path)
    try:
        value = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except FileNotFoundError:
        raise ContractError(path, "missing") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ContractError(path, f"unparseable YAML ({_one_line(err)[:120]})") from None
    if not isinstance(value, kind):
        raise ContractError(path, f"unparseable YAML (expected a {kind.__name__})")
    return value


def read_config(run_dir: str | os.PathLike, resolve: bool = True) -> dict:
    """The job's composed config, RUN_DIR/.hydra/config.yaml, as nested dicts; with `resolve`,
    its derived defaults and references computed (rundir.derived; as written where they do not
    resolve)."""
    config = read_yaml(Path(run_dir) / CONFIG, dict)
    return (resolve_config(config) or config) if resolve else config


def read_columns(path: str | os.PathLike, required: Iterable[str] = (),
                 text: Iterable[str] = ()) -> dict[str, np.ndarray]:
    """A CSV file of the contract as {column: array}: floats, except the `text` columns.

    pandas pads a short last line with NaN, so a file cut off mid-write would pass as data with
    holes. Files of the contract end with a newline, so a missing final newline, a row with the
    wrong number of fields or an unparseable number is a ContractError naming the file.
    """
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise ContractError(path, "missing") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ContractError(path, f"unreadable ({_one_line(err)})") from None
    if not content.strip():
        raise ContractError(path, "empty file")
    if not content.endswith("\n"):
        raise ContractError(path, "truncated (no final newline)")
    rows = list(csv.reader(io.StringIO(content)))
    header, body = rows[0], [row for row in rows[1:] if row]
    missing = [name for name in required if name not in header]
    if missing:
        raise ContractError(path, f"missing column(s) {', '.join(missing)}")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ContractError(path, f"truncated (line {number} has {len(row)} of "
                                f"{len(header)} fields)")
    text = set(text)
    columns = zip(*body, strict=True) if body else [()] * len(header)
    out: dict[str, np.ndarray] = {}
    for name, values in zip(header, columns, strict=True):
        if name in text:
            out[name] = np.array(values, dtype=str)
            continue
        try:
            out[name] = np.array([value or "nan" for value in values], dtype=float)  # NaN: ""
        except ValueError:
            raise ContractError(path, f"column {name} holds a value that is not a "
                                "number") from None
    return out


def _one_line(text: object) -> str:
    return " ".join(str(text).split())
