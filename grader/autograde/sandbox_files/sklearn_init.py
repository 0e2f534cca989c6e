"""While a notebook is graded only scikit-learn's bundled 8x8 digits and its two sample photographs are
available (for reference_impl.data), as plain arrays the grader exported; the rest of scikit-learn is not."""
