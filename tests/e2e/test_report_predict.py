"""`aboutness report`, `predict` and `export` on the models the pipeline trained (the `trained_repo` fixture):
a report of live experiments, predictions that match evaluate's, the ONNX export against PyTorch, int8 pool scoring."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aboutness.cli import main as cli
from aboutness.cli.report import load_experiments, read_reports, render_markdown
from conftest import dvc, run


@pytest.mark.slow
def test_report_from_a_live_repo_with_two_experiments(trained_repo, tmp_path, monkeypatch):
    # --temp leaves the shared workspace as it is for the other tests
    out = run([dvc(), "exp", "run", "--temp", "-S", "model.layers=1", "--name", "report-l1"], trained_repo).stdout
    # a temp (or queued) workspace gets the teacher from the cache: a student experiment never re-trains it
    assert "Running stage 'train_teacher'" not in out and "Running stage 'score_pools'" not in out
    branch = run(["git", "branch", "--show-current"], trained_repo).stdout.strip()
    shown = run([dvc(), "exp", "show", "--json"], trained_repo).stdout
    rows = load_experiments(shown, lambda revs: read_reports(revs, trained_repo))
    names = render_markdown(rows)
    assert "teacher→L1_trunc" in names and "teacher→L2_trunc" in names
    # dvc exp show carries the headline only; the experiment's own commit holds its detail, every rule included
    assert "baseline: tfidf_logreg" in names and all("about_precision" in r["teacher"] for r in rows)
    monkeypatch.chdir(trained_repo)
    monkeypatch.setenv("PATH", f"{Path(dvc()).parent}:{__import__('os').environ['PATH']}")
    html = tmp_path / "report.html"
    assert cli(["report", "--html", str(html), "--diff", branch, "report-l1", "--rounds", "200"]) == 0
    page = html.read_text()
    assert "data:image/png;base64," in page and "<table>" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page must not load anything"
    assert "<script" not in page


@pytest.mark.slow
def test_predict_round_trips_and_matches_evaluate(trained_repo, tmp_path):
    test = pd.read_parquet(trained_repo / "data/pools/test.parquet").drop(columns="label").head(40)
    bad = test.iloc[[0]].assign(doc_url="not a url")
    inp = tmp_path / "pairs.tsv"
    pd.concat([test, bad]).to_csv(inp, sep="\t", index=False)
    out = tmp_path / "scored.tsv"
    assert cli(["predict", "--model", str(trained_repo / "models/teacher"), "--input", str(inp),
                "--output", str(out), "--chunk-rows", "7"]) == 0
    scored = pd.read_csv(out, sep="\t", keep_default_na=False)
    assert len(scored) == 40 and list(scored["card_id"]) == list(test["card_id"])
    probs = scored[["p_about", "p_mention", "p_not_about"]].to_numpy(float)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    evaluated = pd.read_parquet(trained_repo / "data/eval/teacher/test.parquet").head(40)
    np.testing.assert_allclose(scored["p_about"], evaluated["p_about"], atol=1e-5)
    assert (scored["predicted"] == evaluated["predicted"]).all() and (scored["vital"] == evaluated["vital"]).all()
    rejected = pd.read_csv(str(out) + ".rejected.tsv", sep="\t")
    assert rejected[["_row", "reason"]].values.tolist() == [[41, "invalid_url"]]
    big = tmp_path / "scored_big.parquet"
    assert cli(["predict", "--model", str(trained_repo / "models/student"), "--input", str(inp), "--output", str(big)]) == 0
    assert pd.read_parquet(big)["p_about"].between(0, 1).all()


@pytest.mark.slow
def test_onnx_export_matches_pytorch(trained_repo, tmp_path):
    from aboutness.export import OnnxScorer
    from aboutness.inference import predict_logits
    from aboutness.models import load_saved, load_tokenizer

    test = pd.read_parquet(trained_repo / "data/pools/test.parquet").head(50)
    for name in ("teacher", "student"):
        src = trained_repo / "models" / name
        assert cli(["export", "--onnx", "--model", str(src), "--output", str(tmp_path / name)]) == 0
        scorer = OnnxScorer(tmp_path / name)
        ref = predict_logits(load_saved(src)[0], load_tokenizer(src), test, scorer.meta["text"], batch_size=16)
        np.testing.assert_allclose(scorer.logits(test, batch_size=16), ref, atol=1e-4)
    assert cli(["export", "--onnx", "--int8", "--model", str(trained_repo / "models/student"), "--output", str(tmp_path / "q")]) == 0
    q = OnnxScorer(tmp_path / "q").logits(test)
    assert q.shape == (50, 1) and (tmp_path / "q/model.onnx").stat().st_size < (tmp_path / "student/model.onnx").stat().st_size


@pytest.mark.slow
def test_int8_pool_scoring_keeps_rows_and_tracks_fp32(trained_repo, tmp_path):
    from aboutness.pool_scoring import TeacherScorer, score_file

    pool = trained_repo / "data/pools/runtime.parquet"
    out = {}
    for int8 in (False, True):
        dst = tmp_path / f"scored_{int8}.parquet"
        scorer = TeacherScorer(trained_repo / "models/teacher", 16, int8)
        assert scorer.runtime == ("onnxruntime int8" if int8 else "cpu")
        assert score_file(pool, dst, scorer, chunk_rows=64) > 0
        out[int8] = pd.read_parquet(dst)
        if int8:  # the int8 path really ran
            assert (Path(scorer._workdir.name) / "teacher_int8/model.onnx").exists()
    src = pd.read_parquet(pool)
    logit_cols = [c for c in out[True].columns if c.startswith("teacher_logit_")]
    pd.testing.assert_frame_equal(out[True].drop(columns=logit_cols), src)
    fp32, int8 = out[False][logit_cols].to_numpy(), out[True][logit_cols].to_numpy()
    assert not np.allclose(fp32, int8, atol=1e-6)  # quantised, so not bit-identical ...
    # ... but close to fp32 on every row, and mostly the same class
    assert np.abs(fp32 - int8).max() < 0.2 * (fp32.max() - fp32.min())
    assert (fp32.argmax(1) == int8.argmax(1)).mean() >= 0.9


@pytest.mark.slow
def test_predict_failing_midway_leaves_no_output(trained_repo, tmp_path, monkeypatch):
    from aboutness.cli import predict

    test = pd.read_parquet(trained_repo / "data/pools/test.parquet").drop(columns="label").head(30)
    inp = tmp_path / "pairs.tsv"
    pd.concat([test, test.iloc[[0]].assign(doc_url="not a url")]).to_csv(inp, sep="\t", index=False)
    out = tmp_path / "scored.tsv"
    stale = tmp_path / "scored.tsv.rejected.tsv"
    stale.write_text("an old run's rejects\n")
    real, calls = predict.predict_logits, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(predict, "predict_logits", failing)
    with pytest.raises(RuntimeError, match="killed"):
        predict.predict_file(trained_repo / "models/student", inp, out, chunk_rows=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pairs.tsv"]  # no output, no partial, no stale rejects


@pytest.mark.slow
def test_predict_scores_a_pandas_tsv_whose_bodies_hold_tabs_and_line_breaks(trained_repo, tmp_path):
    """pandas quotes such fields (RFC 4180); the reader used to refuse the file or split the rows."""
    test = pd.read_parquet(trained_repo / "data/pools/test.parquet").drop(columns="label").head(30)
    test["doc_body"] = [f"First line\twith a tab\nsecond line {i}\r\nthird, \"quoted\" line" for i in range(len(test))]
    test.loc[3, "doc_title"] = 'Bruce Springsteen, "The Boss" - Wiki'
    inp = tmp_path / "pairs.tsv.gz"
    test.to_csv(inp, sep="\t", index=False)
    out = tmp_path / "scored.tsv"
    assert cli(["predict", "--model", str(trained_repo / "models/student"), "--input", str(inp), "--output", str(out)]) == 0
    scored = pd.read_csv(out, sep="\t", keep_default_na=False, dtype={"card_id": str})
    assert len(scored) == 30 and scored["card_id"].tolist() == test["card_id"].tolist()
    assert scored["doc_body"].tolist() == test["doc_body"].tolist() and scored.loc[3, "doc_title"] == test.loc[3, "doc_title"]
    assert scored["p_about"].between(0, 1).all()
