"""Lesson 05 (rnn_lstm): the RNN and LSTM steps, backpropagation through time, gradient clipping."""
