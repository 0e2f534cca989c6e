"""While a notebook is graded only scikit-learn's bundled 8x8 digits are available (for
reference_impl.data.digits), as plain arrays the grader exported; the rest of scikit-learn is not."""
