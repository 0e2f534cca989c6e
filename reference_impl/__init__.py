"""The course's reference implementation: every layer's forward and backward pass, vectorized, from one
source for NumPy arrays and torch tensors (CPU or CUDA).

One module per lesson, named as the lesson is, so exercise `mlp.affine_backward` is
`reference_impl.mlp.affine_backward`; every exercise is also importable from the package itself.
"""
from . import backend, data, gradcheck
from . import perceptron, mlp, backprop, cnn, rnn_lstm, transformer, gnn
from .perceptron import *  # noqa: F401,F403
from .mlp import *  # noqa: F401,F403
from .backprop import *  # noqa: F401,F403
from .cnn import *  # noqa: F401,F403
from .rnn_lstm import *  # noqa: F401,F403
from .transformer import *  # noqa: F401,F403
from .gnn import *  # noqa: F401,F403
from .gradcheck import numerical_gradient, relative_error  # noqa: F401

LESSONS = ("perceptron", "mlp", "backprop", "cnn", "rnn_lstm", "transformer", "gnn")
