"""The check engine: a registry of checks keyed by exercise id, and `run_check`, which runs one.

A check works in three steps, each its own piece so that batch grading can move the middle one into a
sandboxed process without touching any check:

1. draw the cases' inputs from seeds (grader.inputs): `Check.cases(hidden)`;
2. call the learner's functions through a Caller (grader.calling), plain arrays in and out, every call
   guarded (time limit, exceptions, wrong results, mutated inputs, output and warnings captured):
   `Check.call_learner(caller, case)`;
3. in the trusted process, compute what reference_impl gives on the same inputs
   (`Check.expected(case)`), compare (grader.compare) and, on a mismatch, name the mistake by
   running the check's mistake variants on the same inputs (`Check.mistakes(case)`, grader.mistakes).

A check is made of parts, each worth points (affine_backward: dx, dW, db, one point each). A part
earns its points when it is right on every case that decides it; the report shows the first case
where it went wrong. `hidden=True` adds more seeds and edge cases to the visible ones.
"""
import difflib
import functools
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from .calling import LearnerError, LocalCaller
from .compare import compare_arrays, tolerance_for
from .inputs import describe_inputs
from .mistakes import generic_diagnosis, match_mistakes

__all__ = ["Case", "Check", "Result", "register", "get_check", "run_check", "grade", "max_score", "exercises",
           "UnknownExercise"]

LESSON_ORDER = ("perceptron", "mlp", "backprop", "cnn", "rnn_lstm", "transformer", "gnn")


@dataclass
class Case:
    """One set of inputs. `label` lets a learner reproduce it; `sizes` names the sizes a wrong factor
    may come from ({"N (the batch size)": 4}); `parts` limits the parts this case decides; `extra`
    holds trusted values the check adds itself (a backward's upstream gradient)."""

    label: str
    inputs: dict
    dtype: np.dtype = np.dtype(np.float64)
    sizes: dict = field(default_factory=dict)
    parts: tuple = None
    hidden: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class Result:
    """What run_check returns. figures: {part: {"points", "max_points", "passed", "case", "problem",
    "mistake", "hidden", and the comparison's numbers: shape_expected/got, dtype_expected/got, max_abs_error,
    max_rel_error, where, expected_at, got_at}}."""

    exercise_id: str
    passed: bool
    score: float
    max_score: float
    message: str
    figures: dict = field(default_factory=dict)
    blamed: list = field(default_factory=list)  # exercise ids of failing building blocks the check uses


class Check:
    """Base class of every check; subclasses set the class attributes and the four methods."""

    exercise_id = ""
    functions = ()
    parts = {}  # part name -> points, in report order

    def cases(self, hidden):
        raise NotImplementedError

    def call_learner(self, caller, case):
        """{part: the learner's output (plain values) or a LearnerError for that part alone}."""
        raise NotImplementedError

    def expected(self, case):
        """{part: the reference's output} for the same inputs."""
        raise NotImplementedError

    def mistakes(self, case, expected):
        """Known-mistake variants (grader.mistakes.Mistake) on this case's inputs."""
        return []

    def compare(self, part, expected, got, case):
        return compare_arrays(expected, got, tolerance_for(case.dtype), name=part)

    @property
    def lesson(self):
        return self.exercise_id.split(".")[0]

    @property
    def max_score(self):
        return float(sum(self.parts.values()))


_REGISTRY = {}


def register(check_class):
    """Class decorator: add one instance of the check to the registry under its exercise id."""
    check = check_class()
    if check.exercise_id in _REGISTRY:
        raise ValueError(f"exercise {check.exercise_id!r} is registered twice")
    if check.lesson not in LESSON_ORDER:
        raise ValueError(f"exercise {check.exercise_id!r}: unknown lesson {check.lesson!r}")
    _REGISTRY[check.exercise_id] = check
    return check_class


class UnknownExercise(LookupError):
    def __str__(self):
        return self.args[0]


def get_check(exercise_id):
    _load_checks()
    try:
        return _REGISTRY[exercise_id]
    except KeyError:
        close = difflib.get_close_matches(str(exercise_id), list(_REGISTRY), n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownExercise(
            f"unknown exercise id {exercise_id!r}.{hint} Known ids: {', '.join(exercises())}") from None


def _load_checks():
    from . import checks  # noqa: F401 - importing registers every lesson's checks


def exercises(lesson=None):
    """Exercise ids in course order (lesson order, then the order the lesson's module defines them)."""
    _load_checks()
    if lesson is not None and lesson not in LESSON_ORDER:
        raise ValueError(f"unknown lesson {lesson!r}; lessons: {', '.join(LESSON_ORDER)}")
    ids = [i for i in _REGISTRY if lesson is None or i.split(".")[0] == lesson]
    return sorted(ids, key=lambda i: LESSON_ORDER.index(i.split(".")[0]))


def max_score(exercise_id):
    return get_check(exercise_id).max_score


def run_check(exercise_id, *functions, hidden=False, time_limit=None, namespace=None):
    """Run the check `exercise_id` on the learner's functions. Never raises because of the learner's code.

    time_limit: seconds per call of the learner's code (grader.calling.DEFAULT_TIME_LIMIT by default).
    namespace: the learner's other functions by name (a notebook's globals), where the check looks for
    the building blocks it uses when it fails.
    Raises UnknownExercise for an unknown id and TypeError when the number of functions is wrong.
    """
    check = get_check(exercise_id)
    if len(functions) != len(check.functions):
        takes = ", ".join(check.functions)
        raise TypeError(
            f"check({exercise_id!r}, ...) takes {len(check.functions)} function{'s' if len(check.functions) > 1 else ''}"
            f" after the id: {takes}; got {len(functions)}")
    caller = LocalCaller(dict(zip(check.functions, functions)), time_limit=time_limit, namespace=namespace)
    return grade(exercise_id, caller, hidden)


def grade(exercise_id, caller, hidden=False, blame=True, known=None):
    """Run the check `exercise_id` with the learner's side reached through `caller` (a grader.calling.Caller
    that knows the check's function names): the entry point for callers other than the in-process one.

    blame: when the check fails, also run the checks of the building blocks it `uses` (the learner's own
    functions of other exercises, found through `caller.subcaller`) and name the ones that fail.
    known: {exercise id: Result} of building blocks already graded on the same functions, reused for the
    blame instead of grading them again (a blame line changes the report, never the score).
    """
    check = get_check(exercise_id)
    failures = {}
    for case in check.cases(hidden):
        parts = case.parts or tuple(check.parts)
        deciding = [p for p in parts if p not in failures]
        # A part that failed with several mistakes fitting keeps being compared, to tell them apart.
        narrowing = [p for p in parts if p in failures and len(failures[p].get("candidates", ())) > 1]
        if not deciding and not narrowing:
            continue
        try:
            got = check.call_learner(caller, case)
        except LearnerError as err:
            for part in deciding:
                failures[part] = {"case": case, "text": err.message, "problem": err.kind}
            if err.stop:
                break
            continue
        with _quiet():
            expected = check.expected(case)

        @functools.cache
        def variants():  # the mistake variants cost time and only a failure needs them
            with _quiet():
                return check.mistakes(case, expected)

        for part in deciding:
            answer = got.get(part)
            if isinstance(answer, LearnerError):
                failures[part] = {"case": case, "text": answer.message, "problem": answer.kind}
                continue
            comparison = check.compare(part, expected[part], answer, case)
            if comparison.ok:
                continue
            failures[part] = {"case": case, "text": comparison.text, "problem": comparison.problem,
                              "figures": comparison.figures,
                              "candidates": match_mistakes(part, answer, expected[part], variants())}
            if not failures[part]["candidates"]:
                with _quiet():
                    failures[part]["relation"] = generic_diagnosis(answer, expected[part], case.sizes)
        for part in narrowing:
            answer = got.get(part)
            if not isinstance(answer, LearnerError):
                failure = failures[part]
                failure["candidates"] = _narrow(check, part, answer, expected[part], case, variants(),
                                                failure["candidates"])
    blamed = _blame(check, caller, hidden, known or {}) if blame and failures else []
    return _result(check, failures, caller, blamed)


def _narrow(check, part, answer, expected, case, variants, candidates):
    """The candidate mistakes that also explain the learner's answer on this case: a mistake whose output
    here differs from the right one is ruled out when the answer is right, or is not that output."""
    by_name = {m.name: m for m in variants}
    with _quiet():
        right = check.compare(part, expected, answer, case).ok
        fitting = {m.name for m in match_mistakes(part, answer, expected, variants)}
    kept = []
    for mistake in candidates:
        here = by_name.get(mistake.name)
        if here is None or here.outputs.get(part) is None:
            kept.append(mistake)  # this case says nothing about that mistake
        elif right:
            with _quiet():
                if check.compare(part, expected, here.outputs[part], case).ok:
                    kept.append(mistake)  # the mistake changes nothing on these inputs
        elif mistake.name in fitting:
            kept.append(mistake)
    return kept or candidates[:1]


def _blame(check, caller, hidden, known):
    """[(exercise id, Result)] for each building block the check uses whose own check the learner's
    functions fail."""
    failing = []
    for used_id in getattr(check, "uses", ()):
        if used_id in known:
            if not known[used_id].passed:
                failing.append((used_id, known[used_id]))
            continue
        used = get_check(used_id)
        sub = caller.subcaller(used.functions)
        if sub is None:
            continue  # the learner has not written it (or the caller cannot reach it)
        result = grade(used_id, sub, hidden, blame=False)
        if not result.passed:
            failing.append((used_id, result))
    return failing
class _quiet(warnings.catch_warnings):
    """The reference and its mistake variants on edge cases (overflow on purpose) must not warn."""

    def __enter__(self):
        super().__enter__()
        warnings.simplefilter("ignore")
        self._errstate = np.errstate(all="ignore")
        self._errstate.__enter__()

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        return super().__exit__(*exc)


def _diagnosis(failure):
    """{"mistake", "text"} naming what the learner's answer looks like, or None."""
    mistakes = failure.get("candidates") or []
    if mistakes:
        text = mistakes[0].describe()
        if len(mistakes) > 1:  # no input told them apart
            text += f"; or like {mistakes[1].name}: {mistakes[1].fix}"
        return {"mistake": mistakes[0].name, "text": text}
    if failure.get("relation"):
        return {"mistake": None, "text": failure["relation"]}
    return None


def _where(case):
    """Where a part went wrong: a visible case by its label (reproducible), a hidden one by its kind only."""
    if not case.hidden:
        return f"case {case.label}"
    return f"a hidden case: {_SEED_PREFIX.sub('', case.label)}"


_SEED_PREFIX = re.compile(r"^seed \d+: ")


def _result(check, failures, caller, blamed=()):
    lines, figures = [], {}
    score = 0.0
    for used_id, used in blamed:
        name = get_check(used_id).functions[-1]  # a backward check's last function is the backward itself
        lines.append(f"  Your {name} fails its own check ({used_id}: {_points(used.score)}/"
                     f"{_points(used.max_score)} points), and this exercise uses it: fix it first.")
    for part, points in check.parts.items():
        failure = failures.get(part)
        entry = {"points": 0.0 if failure else float(points), "max_points": float(points), "passed": not failure}
        if failure is None:
            score += points
            lines.append(f"  \u2713 {part}")
        else:
            case = failure["case"]
            lines.append(f"  \u2717 {part}: {failure['text']}")
            lines.append(f"      on {_where(case)}")
            diagnosis = _diagnosis(failure)
            if diagnosis:
                lines.append(f"      {diagnosis['text'][0].upper()}{diagnosis['text'][1:]}")
            entry.update(case=case.label, hidden=case.hidden, problem=failure["problem"],
                         mistake=diagnosis["mistake"] if diagnosis else None, **failure.get("figures", {}))
        figures[part] = entry
    if failures and caller.warnings:
        lines.append("  Your code warned: " + "; ".join(caller.warnings[:3]))
    max_points = check.max_score
    header = f"{check.exercise_id}: {_points(score)}/{_points(max_points)} points"
    return Result(check.exercise_id, passed=score == max_points, score=float(score), max_score=max_points,
                  message="\n".join([header] + lines), figures=figures,
                  blamed=[used_id for used_id, _ in blamed])


def _points(value):
    return f"{value:g}"


def describe_case(seed, inputs, note=""):
    """A case label: "seed 2: x (4, 5), W (5, 3)" plus an optional note ("large scores")."""
    text = f"seed {seed}: {describe_inputs(inputs)}"
    return f"{text} ({note})" if note else text
