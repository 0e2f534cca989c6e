"""The learner's Jupyter server, as `make lab` starts it (JUPYTER_CONFIG_DIR points at this folder).

A learner needs nbgrader's Validate button and nothing of the instructor's side: the formgrader, the
assignment list and the course list need a course directory and an exchange that a learner's clone
does not have ("Error fetching courses!"). Their lab plugins are disabled in labconfig/page_config.json.
A teacher's own Jupyter, and a course directory from `nncourse init`, keep every nbgrader tool.
"""
c = get_config()  # noqa: F821 - provided by Jupyter

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
    "nbgrader.server_extensions.validate_assignment": True,
}

# custom/custom.css marks the course's locked check cells.
c.LabApp.custom_css = True
