"""Lesson perceptron (being written)."""
__all__ = []
