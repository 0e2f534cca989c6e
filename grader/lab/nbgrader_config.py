"""nbgrader's settings for the learner's Validate button (`make lab` points JUPYTER_CONFIG_DIR here).

Validate runs the notebook as grading does, so it takes grading's limits from the course directory's
configuration (grader/course.py, `config_text`): a cell may run 60 s, and the kernel starts as a grading
kernel does (a failing check shows its report in a short traceback; no kernel log lines).
"""
from grader.course import KERNEL_ARGUMENTS

c = get_config()  # noqa: F821 - provided by nbgrader

c.Execute.timeout = 60
c.Execute.extra_arguments = KERNEL_ARGUMENTS
