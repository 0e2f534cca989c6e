"""What a corpus entry is: learner code that a check must fail (a mistake) or pass (an alternative)."""
from dataclasses import dataclass, field

__all__ = ["LearnerMistake", "LearnerCode", "mistake", "alternative"]


@dataclass(frozen=True)
class LearnerMistake:
    description: str
    functions: tuple
    named: str = None
    parts: frozenset = None
    namespace: dict = field(default=None, hash=False)


@dataclass(frozen=True)
class LearnerCode:
    description: str
    functions: tuple


def mistake(description, *functions, named=None, parts=None, namespace=None):
    return LearnerMistake(description, functions, named, frozenset(parts) if parts else None, namespace)


def alternative(description, *functions):
    return LearnerCode(description, functions)
