"""Lesson 07 (gnn): the normalised adjacency, graph convolution, message passing."""
