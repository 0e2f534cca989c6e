"""Door 4: grading learner code that cannot fool the grader."""
