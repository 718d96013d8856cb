"""``physml symmetry IMAGE`` with a cached classifier: the wall time of the whole command (start-up,
reading the classifier, the direct measures, the learned call, the verdict) against a bare
``python -c 'import numpy, PIL'`` start-up in the same run (the ratio is how many bare start-ups
the command costs). The first run trains and caches the default classifier (about 2 minutes)
under ``$PHYSML_CACHE`` (default: a temporary directory kept for the run)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import paired_seconds, report


def main(repeat: int = 5) -> None:
    import numpy as np
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        env.setdefault("PHYSML_CACHE", tmp)
        n = 128
        y, x = np.mgrid[:n, :n] - n / 2 + 0.5
        star = np.hypot(x, y) < 40 + 12 * np.cos(5 * np.arctan2(y, x))
        picture = Path(tmp) / "star.png"
        Image.fromarray(np.where(star, 0, 255).astype(np.uint8)).save(picture)
        command = [sys.executable, "-m", "physml", "symmetry", str(picture)]
        subprocess.run(command, env=env, check=True, capture_output=True)  # trains and caches once

        def bare() -> None:
            subprocess.run([sys.executable, "-c", "import numpy, PIL"], env=env, check=True)

        for extra, what in (([], "cached classifier"), (["--no-learned"], "--no-learned")):
            def ours(extra: list[str] = extra) -> None:
                subprocess.run(command + extra, env=env, check=True, capture_output=True)

            t, t_bare, ratio = paired_seconds(ours, bare, repeat=repeat)
            report(f"physml symmetry IMAGE ({what})", t, "python -c 'import numpy, PIL'", t_bare, ratio=ratio)


if __name__ == "__main__":
    main()
