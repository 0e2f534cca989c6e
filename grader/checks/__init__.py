"""Every lesson's checks; importing a module registers its checks, in course order."""
from . import perceptron, mlp, backprop  # noqa: F401
