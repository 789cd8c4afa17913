"""aboutness.paths: where the stages' files live, relative to the repository, and the packaged default base model."""

from pathlib import Path

from aboutness import paths


def test_a_scored_pool_lies_beside_its_pool():
    assert paths.scored_path("runtime") == Path("data/pools/runtime_scored.parquet")
    assert paths.scored_path("url_try").parent == paths.POOLS


def test_the_trained_models_and_the_detail_have_their_own_folders():
    assert paths.TEACHER == Path("models/trained/teacher") and paths.TRAINED["student"] == Path("models/trained/student")
    assert paths.TIMING == Path("reports/timing") and paths.METRICS == Path("metrics")
    assert not any(p.is_absolute() for p in (paths.DEMO_DIR, paths.INGESTED, paths.LABELS, paths.POOLS, paths.MODELS))


def test_the_default_base_is_a_packaged_model_directory():
    base = paths.default_base()
    assert base.is_dir() and base.name == "model"
    assert {"config.json", "vocab.txt", "model.safetensors"} <= {p.name for p in base.iterdir()}
