"""Lesson transformer (being written)."""
__all__ = []
