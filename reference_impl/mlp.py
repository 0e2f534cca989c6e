"""Lesson mlp (being written)."""
__all__ = []
