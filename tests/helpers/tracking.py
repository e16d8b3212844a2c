"""Reading back what the trackers wrote: TensorBoard event files through tensorboard's own
EventAccumulator, MLflow runs through mlflow.search_runs."""

from __future__ import annotations

from pathlib import Path

import rundir


def read_tensorboard(run_dir: Path) -> dict:
    """A run directory's (or a sweep folder's) events: scalars {tag: [(step, value)]}, images
    {tag: [png bytes]}, hparams {name: value}, group (its row in the HParams table), end
    status, and the HParams experiment (the sweep folder's: {"hparams": [...], "metrics":
    [...]})."""
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.plugins.hparams import metadata

    acc = ea.EventAccumulator(str(run_dir), size_guidance={ea.SCALARS: 0, ea.IMAGES: 0,
                                                           ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    out = {"scalars": {t: [(e.step, e.value) for e in acc.Scalars(t)] for t in tags["scalars"]},
           "images": {t: [e.encoded_image_string for e in acc.Images(t)]
                      for t in tags["images"]},
           "hparams": {}, "group": None, "status": None, "experiment": None}
    try:
        content = acc.PluginTagToContent(metadata.PLUGIN_NAME)
    except KeyError:
        content = {}
    if metadata.SESSION_START_INFO_TAG in content:
        start = metadata.parse_session_start_info_plugin_data(
            content[metadata.SESSION_START_INFO_TAG])
        out["hparams"] = {k: getattr(v, v.WhichOneof("kind")) for k, v in start.hparams.items()}
        out["group"] = start.group_name
    if metadata.SESSION_END_INFO_TAG in content:
        out["status"] = metadata.parse_session_end_info_plugin_data(
            content[metadata.SESSION_END_INFO_TAG]).status
    if metadata.EXPERIMENT_TAG in content:
        exp = metadata.parse_experiment_plugin_data(content[metadata.EXPERIMENT_TAG])
        out["experiment"] = {"hparams": [h.name for h in exp.hparam_infos],
                             "metrics": [m.name.tag for m in exp.metric_infos]}
    return out


def mlflow_runs(folder: Path, experiment: str):
    """mlflow.search_runs of the experiment in folder's store (a DataFrame), and the client."""
    import mlflow

    uri = f"sqlite:///{folder / rundir.MLFLOW_STORE}"
    mlflow.set_tracking_uri(uri)  # search_runs takes no URI: it reads the process-wide one
    try:
        return mlflow.search_runs(experiment_names=[experiment]), mlflow.MlflowClient(uri)
    finally:
        mlflow.set_tracking_uri(None)
