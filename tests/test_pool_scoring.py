"""Pool scoring on Ray Data (distill.engine: ray) in a local Ray instance with this machine's CPUs,
against the local path, on a tiny random teacher."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from aboutness.columns import POOL_COLUMNS
from aboutness.models import save_meta
from aboutness.params import Ray
from aboutness.pool_scoring import TeacherScorer, score_file, score_file_ray
from conftest import save_tiny_bert

ray = pytest.importorskip("ray", reason="the Ray extra: pip install -e '.[ray]'")
pytestmark = pytest.mark.slow  # each test starts a local Ray instance (about 20 s): not for the fast suite
# two actors of half a CPU each beside one CPU for reading (ray.actors null), on 2 CPUs
RAY = Ray(address=None, actors=None, cpus_per_actor=0.5)  # params.yaml `ray:` as the stage passes it


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def teacher(tmp_path_factory) -> Path:
    path = save_tiny_bert(tmp_path_factory.mktemp("ray") / "teacher", layers=2)
    save_meta(path, {"head": "onetarget", "text": {"card_fields": ["title", "main_type"],
                                                    "doc_fields": ["title", "url", "body"], "seq_len": 48}})
    return path


@pytest.fixture(scope="module")
def pool(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    words = np.array("river city planet song king bridge ocean opera forest engine".split())
    n = 1000
    df = pd.DataFrame({c: "" for c in POOL_COLUMNS}, index=range(n))
    df["card_id"] = [f"c{i % 97}" for i in range(n)]
    df["card_title"] = [" ".join(rng.choice(words, 2)) for _ in range(n)]
    df["card_main_type"] = "Thing"
    df["doc_url"] = [f"https://example.org/{i}" for i in range(n)]
    df["doc_title"] = [" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(n)]
    df["doc_body"] = [" ".join(rng.choice(words, rng.integers(5, 60))) for _ in range(n)]
    df["group"] = "main"
    df["weight"] = 1.0
    path = tmp_path_factory.mktemp("pool") / "runtime.parquet"
    df.to_parquet(path, index=False, row_group_size=250)  # several files' worth of blocks for the actors
    return path


def test_ray_scores_equal_the_local_path(local_ray, teacher, pool, tmp_path):
    local, distributed = tmp_path / "local.parquet", tmp_path / "ray.parquet"
    n_local = score_file(pool, local, TeacherScorer(teacher, 16), chunk_rows=128)
    n_ray = score_file_ray(pool, distributed, teacher, 16, 128, RAY)
    assert n_local == n_ray == 1000
    assert pq.read_schema(distributed).equals(pq.read_schema(local), check_metadata=True)  # types and pandas metadata
    a, b = pd.read_parquet(local), pd.read_parquet(distributed)
    logits = [c for c in a.columns if c.startswith("teacher_logit_")]
    assert len(logits) == 3
    pd.testing.assert_frame_equal(a.drop(columns=logits), b.drop(columns=logits))  # same rows, same order
    np.testing.assert_allclose(a[logits].to_numpy(), b[logits].to_numpy(), rtol=0, atol=1e-5)
    assert a[logits].to_numpy().std() > 0  # a real model's varied outputs, not a constant


def test_ray_scoring_survives_a_killed_worker(local_ray, teacher, pool, tmp_path):
    marker = tmp_path / "killed"

    class DiesOnce(TeacherScorer):  # defined here, so Ray ships it by value to the actors
        def __call__(self, df: pd.DataFrame) -> pd.DataFrame:
            if not marker.exists():
                marker.touch()
                os._exit(1)  # the actor's process dies mid-run, as on a lost node
            return super().__call__(df)

    dst = tmp_path / "scored.parquet"
    assert score_file_ray(pool, dst, teacher, 16, 128, RAY, scorer=DiesOnce) == 1000
    assert marker.exists()  # the worker really died
    score_file(pool, tmp_path / "local.parquet", TeacherScorer(teacher, 16), chunk_rows=128)
    out, local = pd.read_parquet(dst), pd.read_parquet(tmp_path / "local.parquet")
    assert out["doc_url"].tolist() == local["doc_url"].tolist()  # nothing lost or doubled, order kept
    np.testing.assert_allclose(out.filter(like="teacher_logit_"), local.filter(like="teacher_logit_"), atol=1e-5)
