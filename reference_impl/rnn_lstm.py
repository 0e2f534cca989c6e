"""Lesson rnn_lstm (being written)."""
__all__ = []
