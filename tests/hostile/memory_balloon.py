# Take memory until there is none: bounded at 4 GB (16 x 256 MB, every page touched) even where
# nothing limits it.
import numpy as np

blocks = []
try:
    for _ in range(16):
        blocks.append(np.ones(32 << 20))
finally:
    print("held", len(blocks) * 256, "MB")
    blocks.clear()
