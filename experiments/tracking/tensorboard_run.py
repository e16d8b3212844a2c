"""TensorBoard: each job's event file in its own run directory, the sweep's HParams experiment in
the sweep folder, so `tensorboard --logdir SWEEP_DIR` shows a run per job and compares them.

Written with tensorboard's own event writer and the protos of its hparams plugin
(summary_v2.hparams_pb / hparams_config_pb): no TensorFlow, no torch.utils.tensorboard. Not
SummaryWriter.add_hparams either: it writes a second run per job (a folder named by the time)
holding the hyperparameters apart from the curves.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.plugins.hparams import summary_v2 as hp
from tensorboard.summary.writer.event_file_writer import EventFileWriter

import rundir


class _Writer:
    def __init__(self, logdir: Path):
        self.writer = EventFileWriter(str(logdir))

    def add(self, summary: Summary, step: int = 0) -> None:
        self.writer.add_event(Event(wall_time=time.time(), step=step, summary=summary))
        self.writer.flush()  # a curve point is visible while the job trains

    def close(self) -> None:
        self.writer.close()


class TensorBoardRun:
    """One job: its hyperparameters (the HParams session), its curve, its final metrics under
    final/ (the HParams table's metric columns), fit.png, and its end status."""

    def __init__(self, out: Path, name: str, hparams: dict):
        self.writer = _Writer(out)
        # trial_id names the job's row (session group) in the HParams table
        self.writer.add(hp.hparams_pb(hparams, trial_id=name, start_time_secs=time.time()))
        self.step = 0

    def curve(self, iteration: int, values: dict[str, float]) -> None:
        self.step = iteration
        self.writer.add(Summary(value=[Summary.Value(tag=tag, simple_value=value)
                                       for tag, value in values.items()]), iteration)

    def end(self, status: str, metrics: dict | None, figure: Path | None) -> None:
        from . import final_metrics

        if metrics:
            self.writer.add(Summary(value=[Summary.Value(tag=tag, simple_value=value) for
                                           tag, value in final_metrics(metrics).items()]),
                            self.step)
        if figure is not None and figure.is_file():
            png = figure.read_bytes()
            width, height = struct.unpack(">II", png[16:24])  # the PNG's IHDR chunk
            image = Summary.Image(height=height, width=width, colorspace=4,
                                  encoded_image_string=png)
            self.writer.add(Summary(value=[Summary.Value(tag=figure.stem, image=image)]),
                            self.step)
        done = api_pb2.STATUS_SUCCESS if status == "done" else api_pb2.STATUS_FAILURE
        data = plugin_data_pb2.HParamsPluginData(session_end_info=plugin_data_pb2.SessionEndInfo(
            status=done, end_time_secs=time.time()))
        value = Summary.Value(tag=metadata.SESSION_END_INFO_TAG,
                              metadata=metadata.create_summary_metadata(data))
        value.tensor.CopyFrom(metadata.NULL_TENSOR)
        self.writer.add(Summary(value=[value]), self.step)
        self.writer.close()


def write_experiment(sweep_dir: Path, keys: list[str], metrics: list[str]) -> None:
    """The sweep's HParams experiment: its table shows these keys and these metrics (not all
    of the config's keys). Replaces an earlier launch's."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    for old in sweep_dir.glob(f"{rundir.EVENTS}*"):
        old.unlink()
    writer = _Writer(sweep_dir)
    writer.add(hp.hparams_config_pb([hp.HParam(key) for key in keys],
                                    [hp.Metric(metric) for metric in metrics]))
    writer.close()
