"""Lesson cnn (being written)."""
__all__ = []
