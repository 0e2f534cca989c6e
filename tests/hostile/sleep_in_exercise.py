# An exercise function that sleeps past every time limit.
import time


def sigmoid_backward(dout, cache):
    time.sleep(600)
    return dout * cache * (1 - cache)
