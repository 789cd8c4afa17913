"""Stage `score_pools`: the teacher scores every pair the students learn from.

A stage of its own so that changing only student params never rescores:
DVC keeps `data/pools/*_scored.parquet` in its cache. `distill.engine: ray` scores
on Ray Data actors (a cluster at `ray.address`, or a local instance) instead of here.
"""

from __future__ import annotations

import time

import torch

from aboutness.files import write_json
from aboutness.params import load_params
from aboutness.paths import REPORTS, TEACHER, TIMING, scored_path, split_path
from aboutness.pool_scoring import TeacherScorer, score_file, score_file_ray
from aboutness.runner import stage

DETAIL = REPORTS / "scoring.json"
SPEED = TIMING / "scoring_speed.json"


@stage
def main() -> None:
    params = load_params()
    cfg = params.distill
    stats, speed = {}, {}
    scorer = None if cfg.engine == "ray" else TeacherScorer(TEACHER, cfg.score_batch_size, cfg.score_int8)
    for name in cfg.pools:
        src, dst = split_path(name), scored_path(name)
        start = time.perf_counter()
        with torch.no_grad():  # not process-wide: a caller in the same process may train afterwards
            if scorer is None:
                rows = score_file_ray(src, dst, TEACHER, cfg.score_batch_size, cfg.score_chunk_rows, params.ray)
            else:
                rows = score_file(src, dst, scorer, cfg.score_chunk_rows)
        secs = time.perf_counter() - start
        stats[name] = {"rows": rows}
        speed[name] = {"seconds": round(secs, 1), "pairs_per_s": round(rows / max(secs, 1e-9), 1),
                       "device": f"ray ({params.ray.address or 'local'})" if scorer is None else scorer.runtime}
    write_json(DETAIL, stats)
    write_json(SPEED, speed)
    print("score_pools: " + ", ".join(f"{k} {stats[k]['rows']} pairs at {v['pairs_per_s']}/s" for k, v in speed.items()))


if __name__ == "__main__":
    main()
