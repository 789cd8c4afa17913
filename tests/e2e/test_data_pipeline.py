"""Real DVC in a temporary git repo: the data half of the pipeline end to end."""

import json

import pandas as pd
import pytest
import yaml

from conftest import SMALL, dvc, label_row, make_repo, run


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = make_repo(tmp_path_factory.mktemp("repo"), SMALL)
    run([dvc(), "repro", "build_pools"], path)  # the data half only: no model is trained here
    return path


@pytest.mark.slow
def test_repro_builds_data_and_is_leak_free(repo):
    m = json.loads((repo / "reports/pools.json").read_text())
    assert set(m["label_mix"]["test"]) == {"main", "DIY", "CEHAC", "Pharma"}
    pools = {n: pd.read_parquet(repo / f"data/pools/{n}.parquet") for n in ("train", "valid", "test", "runtime", "url_try")}
    test = pools["test"]
    for name in ("train", "valid", "runtime", "url_try"):
        assert not pools[name]["card_id"].isin(test["card_id"]).any(), name
    for name in ("train", "runtime", "url_try"):
        assert not pools[name]["doc_url"].isin(test["doc_url"]).any(), name
    assert "label" not in pools["runtime"].columns and len(pools["runtime"]) > 0
    assert m["pools"]["url_try"]["trash"] > 0 and 0 < m["pool_overlap_jaccard"] < 1
    ing = json.loads((repo / "reports/ingest.json").read_text())
    assert ing["rows_in"] == ing["rows_kept"] + ing["rows_quarantined"]
    prod = pd.read_parquet(repo / "data/pools/eval/prod_cards.parquet")
    assert set(prod["card_id"]) == set(test["card_id"])
    # the demo draws each card's documents from its own side of the split: the guard has nothing to drop
    assert m["leaks_removed"]["train"] == 0 and m["sizes"]["train"] > m["sizes"]["test"] * 0.8
    elements = pd.read_parquet(repo / "data/pools/eval/elements.parquet")   # out of domain: cards of its own
    assert m["eval_sets"]["elements"] == len(elements) > 500
    for name in ("train", "valid", "runtime", "url_try"):
        assert not pools[name]["doc_url"].isin(elements["doc_url"]).any(), name
    # the data stages' counts are detail (reports/), git-tracked, and no metric: `dvc metrics show` lists headlines only
    shown = run([dvc(), "metrics", "show", "--json"], repo).stdout
    assert "pool_overlap_jaccard" not in shown and "rows_kept" not in shown
    assert "reports/pools.json" in run(["git", "status", "--porcelain", "--untracked-files=all"], repo).stdout


@pytest.mark.slow
def test_second_repro_does_nothing_and_pool_params_rerun_only_build_pools(repo):
    out = run([dvc(), "repro", "build_pools"], repo).stdout
    assert "Running stage" not in out
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["pools"]["runtime_k"] = 3
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    out = run([dvc(), "repro", "build_pools"], repo).stdout
    assert "Running stage 'build_pools'" in out
    assert "Running stage 'ingest'" not in out and "Running stage 'add_ecom'" not in out
    # the demo draws each card's documents on its side of the card split, so the split rebuilds it
    params["pools"]["split"] = "pair"
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    out = run([dvc(), "repro", "build_pools"], repo).stdout
    assert "Running stage 'ingest'" in out and "Running stage 'build_pools'" in out
    assert json.loads((repo / "reports/pools.json").read_text())["split"] == "pair"


def test_user_labels_with_too_many_rejects_fail_the_stage(tmp_path, write_labels):
    path = make_repo(tmp_path / "r", {**SMALL, "ingest.labels": ["labels/mine.tsv"], "ingest.max_reject_share": 0.1})
    rows = [label_row(f"c{i}", f"https://a.org/{i}") for i in range(6)] + [label_row("x", "not a url")] * 2
    pd.DataFrame(rows).to_csv(path / "labels/mine.tsv", sep="\t", index=False)
    proc = run(["python", "-m", "aboutness.stages.ingest"], path, check=False)
    assert proc.returncode == 1
    assert "2 of 8 rows rejected" in proc.stderr and "Traceback" not in proc.stderr
    q = pd.read_csv(path / "data/quarantine/ingest.tsv", sep="\t")
    assert q["reason"].tolist() == ["invalid_url", "invalid_url"] and q["_row"].tolist() == [7, 8]
