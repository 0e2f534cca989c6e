"""What a teacher sees of a class being graded: a progress bar, a summary line, a log per submission.

The bar (tqdm, on stderr, only when stderr is a terminal) counts graded, failed and remaining
submissions and estimates the time left. The summary line is always written: how many were graded,
how many reached full marks, and the recorded failures by kind ("3 timed out, 1 kernel died"). Each
graded or failed submission gets .nncourse/logs/<assignment>/<student>.log in the course directory:
its score, its timings and every reason recorded.
"""
import sys
import time
from collections import Counter
from pathlib import Path

__all__ = ["FAILURE_KINDS", "failure_kind", "summary", "write_log", "ClassProgress"]

# (kind, phrases of the reasons runner and sandbox record), the first that matches names the kind
FAILURE_KINDS = (
    ("timed out", ("ran past its time limit", "did not finish within", "stopped taking requests")),
    ("kernel died", ("kernel died",)),
    ("ran out of memory", ("ran out of memory",)),
    ("hit the process limit", ("could not start another process",)),
    ("could not be read", ("not valid JSON", "not UTF-8", "is empty", "notebook format", "not a plain file",
                           "was not submitted", "not a Jupyter notebook", "is malformed", "is larger than")),
    ("printed too much", ("characters more than",)),
)


def failure_kind(outcome):
    """The kind of the first recorded failure of a graded outcome ("timed out", ...), "grader error" for an
    outcome the grader could not grade, or None when nothing went wrong that has a kind."""
    if outcome.status == "failed":
        return "grader error"
    for reason in outcome.reasons:
        for kind, phrases in FAILURE_KINDS:
            if any(phrase in reason for phrase in phrases):
                return kind
    return None


def summary(outcomes, seconds=None):
    """One line: graded, at full marks (every point graded here; answers a person grades aside), skipped,
    and the failures by kind."""
    graded = [o for o in outcomes if o.status == "graded"]
    full = sum(1 for o in graded if o.auto_max_score > 0 and o.score == o.auto_max_score)
    skipped = sum(1 for o in outcomes if o.status == "skipped")
    kinds = Counter(kind for kind in map(failure_kind, outcomes) if kind)
    parts = [f"{len(graded)} graded", f"{full} at full marks"]
    if skipped:
        parts.append(f"{skipped} skipped (graded before; --force grades them again)")
    if kinds:
        parts.append("failures: " + ", ".join(f"{count} {kind}" for kind, count in kinds.most_common()))
    else:
        parts.append("no failures recorded")
    if seconds is not None:
        parts.append(f"in {seconds:.1f} s")
    return "; ".join(parts)


def log_path(course_root, assignment, student):
    return Path(course_root) / ".nncourse" / "logs" / assignment / f"{student}.log"


def write_log(course_root, assignment, outcome, notebook_seconds=None):
    """Write one submission's log (replacing the previous run's); notebook_seconds: {notebook: seconds}."""
    path = log_path(course_root, assignment, outcome.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"student: {outcome.student}", f"assignment: {assignment}",
             f"graded at: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}", f"status: {outcome.status}"]
    if outcome.status == "graded":
        lines.append(f"score: {outcome.score:g} / {outcome.max_score:g}")
    lines.append(f"seconds: {outcome.seconds:.2f}")
    lines += [f"seconds in {name}: {seconds:.2f}" for name, seconds in (notebook_seconds or {}).items()]
    kind = failure_kind(outcome)
    if kind:
        lines.append(f"failure: {kind}")
    if outcome.error:
        lines.append(f"error: {outcome.error}")
    lines += [f"reason: {reason}" for reason in outcome.reasons]
    path.write_text("\n".join(lines) + "\n")
    return path


class ClassProgress:
    """The bar for one run: `start(total)` when the submissions to grade are known, `update(outcome)` after
    each, `close()` at the end; `write(line)` prints above the bar. stream: where the bar goes (stderr);
    it is drawn only when that is a terminal (or when enabled=True)."""

    def __init__(self, stream=None, enabled=None):
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.bar = None
        self.counts = Counter()

    def start(self, total):
        if self.enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=self.stream, unit="submission", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}] {postfix}")
            self._describe()

    def update(self, outcome):
        if outcome.status == "skipped":
            return
        self.counts["failed" if failure_kind(outcome) else "graded"] += 1
        if self.bar is not None:
            self.bar.update(1)
            self._describe()

    def _describe(self):
        remaining = self.bar.total - self.bar.n
        self.bar.set_postfix_str(f"graded {self.counts['graded']}, failed {self.counts['failed']}, "
                                 f"remaining {remaining}", refresh=True)

    def write(self, line, file=None):
        if self.bar is not None:
            self.bar.write(line, file=file or sys.stdout)
        else:
            print(line, file=file or sys.stdout)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
