"""Lesson 06 (transformer): softmax, attention, multi-head attention, layer norm, positional encoding, the block."""
