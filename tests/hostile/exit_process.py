# End the notebook's own process.
import os

os._exit(0)
