# 200 MB printed, and 50 MB more written straight to the process's own stdout.
import os

chunk = "x" * (1 << 20)
for _ in range(200):
    print(chunk)
os.write(1, b"y" * (50 << 20))
