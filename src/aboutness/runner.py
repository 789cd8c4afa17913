"""The stage runner: times a stage's main() and turns bad input into a one-line error."""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from aboutness.errors import InputError
from aboutness.files import write_json
from aboutness.paths import TIMING


def stage(main: Callable[..., None]) -> Callable[..., None]:
    """Run a stage's main(), time it into reports/timing/<stage>.json; bad input ends it
    with a one-line message, not a traceback."""

    module = sys.modules[main.__module__]
    # under `python -m aboutness.stages.x` the module is __main__; its spec still knows the real name
    name = (module.__spec__.name if module.__spec__ else main.__module__).rsplit(".", 1)[-1]

    @functools.wraps(main)
    def run(*args: Any, **kwargs: Any) -> None:
        # a foreach stage (evaluate@teacher) runs main("teacher"): one timing file per item
        label = "_".join([name, *map(str, args)])
        start = time.perf_counter()
        try:
            main(*args, **kwargs)
        except InputError as e:
            print(f"error: {e}", file=sys.stderr)
            raise SystemExit(1) from None
        if int(os.environ.get("RANK", "0")) != 0:  # one timing file per stage, from rank 0
            return
        seconds = round(time.perf_counter() - start, 1)
        # Timings live apart from quality metrics, which must be identical run to run.
        write_json(TIMING / f"{label}.json", {"seconds": seconds})
        print(f"{label}: stage took {seconds}s")

    return run
