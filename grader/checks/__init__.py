"""Every lesson's checks; importing a module registers its checks, in course order."""
from . import perceptron, mlp, backprop, cnn, rnn_lstm, transformer, gnn  # noqa: F401
