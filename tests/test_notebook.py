"""docs/quickstart.ipynb runs top to bottom in a Jupyter kernel (nbclient), so it never rots."""

from __future__ import annotations

import nbformat
import pytest

from tests.helpers.app import ROOT

NOTEBOOK = ROOT / "docs" / "quickstart.ipynb"


def test_quickstart_is_committed_without_outputs():
    """Outputs would be stale the day they are committed; the test below makes fresh ones."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
def test_quickstart_runs_and_shows_its_figures_inline(tmp_path):
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    # after the notebook: importing the packages left the notebook's backend as it was
    nb.cells.append(nbformat.v4.new_code_cell("import matplotlib; print(matplotlib.get_backend())"))
    NotebookClient(nb, kernel_name="python3", timeout=600,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) >= 3  # the run's fit.png, the axes drawn into, a figure of its own
    assert "inline" in outputs[-1]["text"]
    assert len(list((tmp_path / "quickstart" / "sweep").glob("*/run.json"))) == 6
    report = tmp_path / "quickstart" / "report"
    assert (report / "report.md").is_file() and (report / "report.html").is_file()
