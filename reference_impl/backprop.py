"""Lesson backprop (being written)."""
__all__ = []
