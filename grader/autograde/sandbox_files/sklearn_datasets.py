"""scikit-learn's bundled 8x8 digits, from the arrays the grader exported (digits.npz beside this file)."""
from pathlib import Path
from types import SimpleNamespace

import numpy as np

__all__ = ["load_digits"]


def load_digits():
    """data (1797, 64) float64 pixel values 0..16 and target (1797,) labels, as sklearn.datasets.load_digits."""
    with np.load(Path(__file__).with_name("digits.npz"), allow_pickle=False) as saved:
        return SimpleNamespace(data=saved["data"], target=saved["target"])
