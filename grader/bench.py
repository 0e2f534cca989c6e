"""What `nncourse check` costs next to executing the notebook and next to stock `nbgrader autograde`;
and what grading a class costs.

    python -m grader.bench [LESSON ...] [--repeats R]
    python -m grader.bench --class N [--workers W]

For each lesson's solution notebook, four runs are timed alternately (so a noisy machine slows all
alike): execution in this process with nbclient (no start-up costs), `jupyter nbconvert --execute`
(executing it from the command line), `nncourse check`, and `nbgrader autograde` of the same notebook
submitted in a temporary course. The table gives medians and ratios.

--class N generates a class of N lesson 02 submissions from the demo's students in fixed shares (CLASS_MIX:
mostly correct, some with typical mistakes, a few whose kernel crashes or that loop without end) and
grades it three times in copies of one course: stock `nbgrader autograde`, `nncourse autograde
--workers 1` and `nncourse autograde --workers W` (default: this machine's cores). The table gives
seconds per submission, submissions per second and each one's speed-up over stock nbgrader.
"""
import argparse
import os
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

# share of the class, demo student: what a class hands in, roughly (a few percent break the kernel or hang)
CLASS_MIX = ((0.6, "ada_correct"), (0.25, "ben_backward_mistakes"), (0.08, "cy_kernel_crash"),
             (0.07, "dee_endless_loop"))
HONEST = ("ada_correct", "ben_backward_mistakes")  # what stock autograde grades as it should
CLASS_TIMEOUT = 20  # seconds a cell may run, for stock and nncourse alike: what an endless loop costs


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


def class_members(size):
    """The demo student each of `size` submissions copies, by CLASS_MIX's shares (largest remainder)."""
    counts = [int(share * size) for share, _ in CLASS_MIX]
    by_remainder = sorted(range(len(CLASS_MIX)), key=lambda i: CLASS_MIX[i][0] * size - counts[i], reverse=True)
    for index in by_remainder[:size - sum(counts)]:
        counts[index] += 1
    return [name for (_, name), count in zip(CLASS_MIX, counts) for _ in range(count)]


def _make_class(root, size):
    from .demo import fill_answers, student_code

    course = init_course(root / "course", lessons=["02_mlp"], timeout=CLASS_TIMEOUT)
    nbgrader(course, "generate_assignment", "02_mlp")
    released = nbformat.read(course / "release" / "02_mlp" / "mlp.ipynb", 4)
    for number, name in enumerate(class_members(size)):
        folder = course / "submitted" / f"s{number:04d}_{name}" / "02_mlp"
        folder.mkdir(parents=True)
        nbformat.write(fill_answers(nbformat.from_dict(released), student_code(name)), folder / "mlp.ipynb")
    return course


def bench_class(size, workers):
    """Grade a generated class of `size` three ways; print the table."""
    with tempfile.TemporaryDirectory(prefix="nncourse-bench-class-") as tmp:
        original = _make_class(Path(tmp), size)
        runs = [("stock nbgrader autograde", None), ("nncourse autograde, 1 worker", 1),
                (f"nncourse autograde, {workers} workers", workers)]
        seconds = {}
        for index, (label, count) in enumerate(runs):
            course = Path(tmp) / f"course-{index}"
            shutil.copytree(original, course)
            if count is None:
                seconds[label] = _timed(lambda: nbgrader(course, "autograde", "02_mlp", check=False))
            else:
                seconds[label] = _timed(lambda: subprocess.run(
                    [sys.executable, "-m", "grader.cli", "autograde", "02_mlp", "--course-dir", str(course),
                     "--workers", str(count)], capture_output=True, check=False))
        same = _totals(Path(tmp) / "course-1") == _totals(Path(tmp) / "course-2")
        stock_totals, ours = _totals(Path(tmp) / "course-0"), _totals(Path(tmp) / "course-1")
        honest = [s for s in ours if s.endswith(HONEST)]
        agree = sum(1 for s in honest if stock_totals.get(s) == ours[s])
        spent = _seconds_by_kind(Path(tmp) / "course-1")
    stock = seconds[runs[0][0]]
    mix = ", ".join(f"{class_members(size).count(name)} {name}" for _, name in CLASS_MIX)
    print(f"class of {size} lesson 02 submissions ({mix}); cell time limit {CLASS_TIMEOUT} s; "
          f"{len(os.sched_getaffinity(0))} cores")
    print(f"{'grader':<34} {'s/submission':>12} {'submissions/s':>14} {'speed-up':>9}")
    for label, _ in runs:
        print(f"{label:<34} {seconds[label] / size:>12.2f} {size / seconds[label]:>14.3f} "
              f"{stock / seconds[label]:>8.1f}x")
    print(f"1 worker and {workers} workers wrote {'the same' if same else 'DIFFERENT'} grades; stock nbgrader and "
          f"nncourse gave the same points to {agree} of the {len(honest)} honest submissions")
    total = sum(sum(times) for times in spent.values()) or 1.0
    print("where nncourse's time went (1 worker, from the logs): " + "; ".join(
        f"{name} {statistics.mean(times):.2f} s each, {100 * sum(times) / total:.0f}% of the class's"
        for name, times in sorted(spent.items(), key=lambda item: -sum(item[1]))))


def _seconds_by_kind(course):
    """{demo student: [seconds of each submission copying it]} from the grading logs."""
    spent = {}
    for log in (course / ".nncourse" / "logs" / "02_mlp").glob("*.log"):
        lines = dict(line.split(": ", 1) for line in log.read_text().splitlines() if ": " in line)
        if "seconds" in lines:
            spent.setdefault(lines["student"].split("_", 1)[1], []).append(float(lines["seconds"]))
    return spent


def _totals(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {s.student.id: [(g.name, g.auto_score) for g in sorted(s.notebooks[0].grades, key=lambda g: g.name)]
                for s in gradebook.find_assignment("02_mlp").submissions}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson folders (default: all)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--class", dest="class_size", type=int, default=None, metavar="N",
                        help="grade a generated class of N lesson 02 submissions three ways instead")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="workers for the parallel nncourse run of --class (default: this machine's cores)")
    args = parser.parse_args(argv)
    if args.class_size is not None:
        if args.class_size < 1 or args.workers < 1:
            parser.error("--class and --workers take 1 or more")
        bench_class(args.class_size, args.workers)
        return
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
