"""Door 3, nbgrader: the course's nbgrader configuration and the steps built on it.

solutions/ is nbgrader's source directory and lessons/ its release directory. A teacher's course
directory (`nncourse init`) holds a copy of solutions/ as source/ and an nbgrader_config.py written
here, so stock `nbgrader generate_assignment / autograde / generate_feedback / export` work on it.
"""
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

__all__ = ["REPO_ROOT", "SOLUTIONS", "LESSONS", "CrashSafeExecute", "KERNEL_ARGUMENTS", "KERNEL_DIED",
           "lesson_names", "config_text", "init_course", "nbgrader", "generate_release", "stale_release_files", "release"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO_ROOT / "solutions"
LESSONS = REPO_ROOT / "lessons"

# How a grading kernel starts: short tracebacks (a failing test cell shows the check's report, not the
# lines of its hidden tests) and no kernel log lines (its warning about TCP is not for the learner).
KERNEL_ARGUMENTS = ["--InteractiveShell.xmode=Minimal", "--IPKernelApp.log_level=ERROR"]

KERNEL_DIED = ("the Python kernel died while running this cell (the code ended the process: os._exit, "
               "sys.exit in a thread, a crash in a C extension or running out of memory); this cell and "
               "every one after it score 0")


class CrashSafeExecute(Execute):
    """nbgrader's Execute, except that a kernel that dies does not lose the submission.

    Stock autograde drops a notebook whose kernel dies (no grade, "needs manual grading"). Here the
    cell that killed the kernel and every cell after it get an error output saying why, so the
    notebook is saved and every test cell from there on is graded 0 with that reason.
    """

    def preprocess(self, nb, resources=None, km=None):
        self._kernel_dead = False
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            # The kernel died between cells or while shutting down; the cells already carry their outputs.
            return self.nb, self.resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if not self._kernel_dead:
            try:
                return super().preprocess_cell(cell, resources, index)
            except DeadKernelError:
                self._kernel_dead = True
        cell.outputs = [NotebookNode(output_type="error", ename="KernelDied", evalue=KERNEL_DIED,
                                     traceback=[f"KernelDied: {KERNEL_DIED}"])]
        return cell, resources


def lesson_names(root=SOLUTIONS):
    """The lesson folders (nbgrader assignments) under `root`, in course order: ["01_perceptron", ...]."""
    return sorted(p.name for p in Path(root).iterdir() if p.is_dir() and p.name[:2].isdigit() and
                  any(p.glob("*.ipynb")))


def config_text(db_url=None, timeout=60):
    """nbgrader_config.py for a course directory; SQLite in the directory unless db_url says otherwise."""
    db_line = f"c.CourseDirectory.db_url = {db_url!r}" if db_url else \
        'c.CourseDirectory.db_url = "sqlite:///" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradebook.db")'
    return f'''# nbgrader configuration for an nncourse course, written by `nncourse init`.
import os

c = get_config()  # noqa: F821 - provided by nbgrader
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
{db_line}

# Autograde: a cell may run {timeout} s; a kernel that dies is recorded as 0 with the reason, not dropped.
c.Execute.timeout = {timeout}
c.Autograde.autograde_preprocessors = [
    "grader.course.CrashSafeExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Short tracebacks (a failing test cell shows the check's report, not its hidden lines), no kernel logs.
c.Execute.extra_arguments = {KERNEL_ARGUMENTS!r}

# Feedback never shows the source of hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


def init_course(course_dir, db_url=None, lessons=None, force=False, timeout=60):
    """Set up an nbgrader course directory: nbgrader_config.py and source/<lesson>/ from solutions/."""
    course_dir = Path(course_dir)
    if course_dir.exists() and any(course_dir.iterdir()) and not force:
        raise FileExistsError(f"{course_dir} exists and is not empty; choose a new directory or pass --force")
    lessons = lessons or lesson_names()
    unknown = [name for name in lessons if not (SOLUTIONS / name).is_dir()]
    if unknown:
        raise ValueError(f"no lesson {', '.join(unknown)} in {SOLUTIONS}; lessons: {', '.join(lesson_names())}")
    (course_dir / "source").mkdir(parents=True, exist_ok=True)
    (course_dir / "submitted").mkdir(exist_ok=True)
    for name in lessons:
        shutil.copytree(SOLUTIONS / name, course_dir / "source" / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (course_dir / "nbgrader_config.py").write_text(config_text(db_url, timeout))
    return course_dir


def nbgrader(course_dir, *args, check=True):
    """Run a stock nbgrader command in `course_dir`; returns the CompletedProcess (output captured)."""
    command = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader starts `alembic` from PATH to create the gradebook: look next to this Python first.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run(command, cwd=course_dir, capture_output=True, text=True, env=env)
    if check and result.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed (exit {result.returncode}):\n"
                           f"{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return result


def _integral_floats_as_ints(value):
    """JSON as JavaScript writes it: a float with no fraction (points 1.0) becomes an int (1)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats_as_ints(item) for item in value]
    return value


def as_jupyterlab_saves(text):
    """A notebook's JSON text as JupyterLab writes it back after opening it, changing nothing.

    Measured in JupyterLab 4 (open, let the kernel start, save): it rewrites every integral float as an
    int (`"points": 1.0` -> `1`, since JavaScript has one number type) and replaces
    metadata.language_info with the kernel's full description, which names the Python version. A
    notebook stored in this form is not marked modified on opening, so git shows only what a learner
    changed. The version recorded is this Python's: the one a kernel started from here reports.
    """
    from ipykernel.ipkernel import IPythonKernel  # the kernel's own description, imported only here

    nb = _integral_floats_as_ints(json.loads(text))
    if nb.get("metadata", {}).get("kernelspec", {}).get("language") == "python":
        nb["metadata"]["language_info"] = dict(IPythonKernel.language_info)
    # jupyter_server saves through nbformat: one-space indent, sorted keys, UTF-8 kept, a final newline.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def normalise_notebooks(paths):
    """Rewrite each .ipynb file in `paths` as JupyterLab would save it; returns the files that changed."""
    changed = []
    for path in map(Path, paths):
        text = path.read_text(encoding="utf-8")
        saved = as_jupyterlab_saves(text)
        if saved != text:
            path.write_text(saved, encoding="utf-8")
            changed.append(path)
    return changed


def generate_release(lessons, out_dir):
    """Generate each lesson's release through stock nbgrader into out_dir/<lesson>/, stored as JupyterLab saves it."""
    with tempfile.TemporaryDirectory(prefix="nncourse-release-") as tmp:
        course = init_course(Path(tmp) / "course", lessons=lessons)
        for name in lessons:
            nbgrader(course, "generate_assignment", name, "--force")
            target = Path(out_dir) / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(course / "release" / name, target)
            normalise_notebooks(target.rglob("*.ipynb"))


def _same_release_file(fresh, stored):
    """Equal files; notebooks may differ only in the Python version that released them."""
    if fresh.suffix != ".ipynb":
        return filecmp.cmp(fresh, stored, shallow=False)
    try:
        notebooks = [json.loads(path.read_text(encoding="utf-8")) for path in (fresh, stored)]
    except (ValueError, UnicodeDecodeError):
        return False
    for nb in notebooks:
        nb.get("metadata", {}).get("language_info", {}).pop("version", None)
    return notebooks[0] == notebooks[1]


def stale_release_files(lessons=None):
    """Files of lessons/ that differ from what `release` would write (missing, changed or extra)."""
    lessons = lessons or lesson_names()
    with tempfile.TemporaryDirectory(prefix="nncourse-check-") as tmp:
        generate_release(lessons, tmp)
        stale = []
        for name in lessons:
            fresh, stored = Path(tmp) / name, LESSONS / name
            names = {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
            if stored.is_dir():
                names |= {p.relative_to(stored) for p in stored.rglob("*") if p.is_file()}
            for rel in sorted(names):
                a, b = fresh / rel, stored / rel
                if not (a.is_file() and b.is_file() and _same_release_file(a, b)):
                    stale.append(Path("lessons") / name / rel)
        return stale


def release(lessons=None):
    """Regenerate lessons/<lesson>/ from solutions/<lesson>/ for each lesson (all by default)."""
    lessons = lessons or lesson_names()
    generate_release(lessons, LESSONS)
    return lessons
