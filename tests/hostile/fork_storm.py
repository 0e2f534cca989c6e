# Start processes until the machine cannot: bounded at 300 even where nothing limits it.
import os
import time

started = 0
try:
    for _ in range(300):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        started += 1
finally:
    print("started", started, "processes")
