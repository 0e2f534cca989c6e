"""Lesson data (being written)."""
__all__ = []
