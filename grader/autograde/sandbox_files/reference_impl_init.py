"""The course's offline data while a notebook is graded (reference_impl.data); the reference
implementation itself is not available here."""
