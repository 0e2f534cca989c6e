"""What `nncourse check` costs next to executing the notebook and next to stock `nbgrader autograde`.

    python -m grader.bench [LESSON ...] [--repeats R]

For each lesson's solution notebook, four runs are timed alternately (so a noisy machine slows all
alike): execution in this process with nbclient (no start-up costs), `jupyter nbconvert --execute`
(executing it from the command line), `nncourse check`, and `nbgrader autograde` of the same notebook
submitted in a temporary course. The table gives medians and ratios.
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .course import SOLUTIONS, init_course, lesson_names, nbgrader


def _execute(path):
    nb = nbformat.read(path, 4)
    NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()


def _nbconvert(path):
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--stdout",
                    str(path)], capture_output=True, check=False)


def _check(path):
    subprocess.run([sys.executable, "-m", "grader.cli", "check", str(path)], capture_output=True, check=False)


def _autograde(course, lesson, path):
    target = course / "submitted" / "student" / lesson
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target / path.name)
    nbgrader(course, "autograde", lesson, "--force")


def _timed(step):
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson folders (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'lesson':<14} {'in-process s':>12} {'nbconvert s':>12} {'check s':>8} {'autograde s':>12} "
          f"{'check/nbconvert':>16} {'check/autograde':>16}")
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-") as tmp:
        for lesson in args.lessons or lesson_names():
            path = next((SOLUTIONS / lesson).glob("*.ipynb"))
            course = init_course(Path(tmp) / lesson, lessons=[lesson])
            nbgrader(course, "generate_assignment", lesson)
            runs = {"execute": [], "nbconvert": [], "check": [], "autograde": []}
            for _ in range(args.repeats):
                runs["execute"].append(_timed(lambda: _execute(path)))
                runs["nbconvert"].append(_timed(lambda: _nbconvert(path)))
                runs["check"].append(_timed(lambda: _check(path)))
                runs["autograde"].append(_timed(lambda: _autograde(course, lesson, path)))
            e, n, c, a = (statistics.median(runs[k]) for k in ("execute", "nbconvert", "check", "autograde"))
            print(f"{lesson:<14} {e:>12.1f} {n:>12.1f} {c:>8.1f} {a:>12.1f} {c / n:>16.2f} {c / a:>16.2f}")


if __name__ == "__main__":
    main()
