"""A relu_backward that never returns."""


def relu_backward(dout, cache):
    dx = dout.copy()
    while True:
        dx = dx * (cache > 0)
    return dx
