"""A strict reader for the small CSV files of the run-directory contract.

pandas pads a short last line with NaN, so a file cut off mid-write would pass as data with
holes. The runner writes every file atomically and ends it with a newline, so this reader treats
a missing final newline, a row with the wrong number of fields or an unparseable number as a
truncated or corrupt file. It needs only numpy, so the quick-look figure stays cheap to import.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable

import numpy as np


class CsvError(ValueError):
    """The file is missing, empty, truncated or malformed; the message says which."""


def read_columns(
    path: str | os.PathLike, required: Iterable[str], text: Iterable[str] = ()
) -> dict[str, np.ndarray]:
    """Read `path` into {column: array}: float arrays, except the `text` columns (str arrays).

    Raises CsvError when a `required` column is absent or the file is not whole.
    """
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise CsvError("missing") from None
    except (OSError, UnicodeDecodeError) as err:
        raise CsvError(f"unreadable ({err})") from None
    if not content.strip():
        raise CsvError("empty file")
    if not content.endswith("\n"):
        raise CsvError("truncated (no final newline)")
    rows = list(csv.reader(io.StringIO(content)))
    header, body = rows[0], [row for row in rows[1:] if row]
    missing = [name for name in required if name not in header]
    if missing:
        raise CsvError(f"missing column(s) {', '.join(missing)}")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise CsvError(f"truncated (line {number} has {len(row)} of {len(header)} fields)")
    text = set(text)
    columns = zip(*body, strict=True) if body else [()] * len(header)
    out: dict[str, np.ndarray] = {}
    for name, values in zip(header, columns, strict=True):
        if name in text:
            out[name] = np.array(values, dtype=str)
            continue
        try:
            # pandas writes NaN as an empty field by default
            out[name] = np.array([value or "nan" for value in values], dtype=float)
        except ValueError:
            raise CsvError(f"column {name} holds a value that is not a number") from None
    return out
