"""The run directory: the one contract between the trainer (experiments/, which writes it) and
analysis/ (which reads it), described in docs/run-directory.md.

    contract   file names, format version, statuses, columns, run.json fields, flatten
    io         atomic writes and the checked readers (run.json, config, strict CSV, torch files)
    sweep      a sweep's planned jobs, from Hydra's override parser
    quicklook  the quick-look figure fit.png and the sine-fit panel analysis shares

Torch-free: torch is imported only to save or load a .pt file.
"""

from . import contract, io
from .contract import *  # noqa: F403
from .io import *  # noqa: F403

__all__ = [*contract.__all__, *io.__all__]
