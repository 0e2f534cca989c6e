"""Door 4: grading that the learner's code cannot fool, with the class's grades safe.

One stage per module, in the order a submission goes through them:
    notebooks     read a submitted notebook without trusting it; restore its graded cells from the source
    sandbox       the bubblewrap sandbox, its limits, and the learner's process in it (LearnerProcess)
    learner_side  the program inside the sandbox: runs code cells, calls the learner's functions
    wire          what crosses between the two: JSON and .npy (allow_pickle=False), nothing else
    caller        SandboxCaller, the trusted side of grader.calling's Caller seam
    runner        one notebook: code cells in the sandbox, test cells (checks) here, scores and reasons
    gradebook     one submission into nbgrader's gradebook, in one transaction
    batch         `nncourse autograde`: a class, student by student, into nbgrader's layout
    cluster       `nncourse autograde --dask`: the same grading as Dask tasks, on a cluster's workers
    local         `nncourse check`: one notebook on the same path, without a gradebook
sandbox_files/ holds the few files only the sandbox sees (the learner's `grader`, a digits loader).
"""
