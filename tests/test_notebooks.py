"""The notebooks for the three users run top to bottom in a Jupyter kernel (nbclient, as nbmake).

Each notebook ends with a cell of assertions about what it showed (làng O2 is the mobile gap,
the site added near it closes it, the imported files give the demo's answers), so a notebook
that runs but shows something else fails here. They run in a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tests need nbclient (pip install nbmake)")
nbclient = pytest.importorskip("nbclient", reason="notebook tests need nbclient (pip install nbmake)")

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def test_the_three_users_have_notebooks() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "01_planner_gap_map",
        "02_telco_uncovered_villages",
        "03_bring_your_own_data",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell that failed
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
