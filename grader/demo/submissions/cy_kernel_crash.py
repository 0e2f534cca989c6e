"""An affine_backward that ends the Python process: the kernel dies during the checks."""
import os


def affine_backward(dout, cache):
    os._exit(1)
