"""Lesson 04 (cnn): convolution, im2col and col2im, max pooling, flatten."""
