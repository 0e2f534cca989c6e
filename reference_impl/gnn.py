"""Lesson gnn (being written)."""
__all__ = []
