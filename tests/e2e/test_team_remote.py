"""A team shares results through a git server and a DVC remote (here a bare repo and a local
directory): a colleague pulls instead of re-running, and gets an experiment someone else ran."""

from pathlib import Path

import pytest

from conftest import dvc, run


def clone(src: Path, dest: Path, remote: Path) -> Path:
    run(["git", "clone", "-q", str(src), str(dest)], src.parent)
    run([dvc(), "remote", "add", "--local", "-d", "team", str(remote)], dest)
    return dest


@pytest.mark.slow
def test_pulled_clone_is_up_to_date_and_gets_a_colleagues_experiment(tmp_path, trained_repo):
    server, remote = tmp_path / "server.git", tmp_path / "remote"
    run(["git", "init", "-q", "--bare", "--initial-branch=main", str(server)], tmp_path)
    # A (the repo that ran the pipeline) publishes its commit and pushes that commit's outputs
    run(["git", "push", "-q", str(server), "HEAD:refs/heads/main"], trained_repo)
    run([dvc(), "remote", "add", "--local", "-f", "-d", "team", str(remote)], trained_repo)
    run([dvc(), "push", "--all-branches"], trained_repo)  # every commit's: the workspace may hold another test's exp

    b = clone(server, tmp_path / "b", remote)
    run([dvc(), "pull"], b)
    assert "Data and pipelines are up to date" in run([dvc(), "status"], b).stdout
    assert "Running stage" not in run([dvc(), "repro"], b).stdout
    # outputs only the DVC remote holds (metrics files come with git), there and matching dvc.lock (status above)
    assert (b / "models/student/model.safetensors").stat().st_size > 0 and (b / "data/eval/student/test.parquet").exists()

    # B runs a student variant nobody ran before and shares it: git refs to the server, outputs to the remote
    out = run([dvc(), "exp", "run", "-S", "model.seq_len=24", "--name", "b-seq24"], b).stdout
    assert "Running stage 'distill'" in out
    run([dvc(), "exp", "push", "origin", "b-seq24"], b)

    # C gets B's experiment, results and models, without training anything
    c = clone(server, tmp_path / "c", remote)
    run([dvc(), "exp", "pull", "origin", "b-seq24"], c)
    run([dvc(), "exp", "apply", "b-seq24"], c)
    assert "Data and pipelines are up to date" in run([dvc(), "status"], c).stdout
    assert "Running stage" not in run([dvc(), "repro"], c).stdout
    # B's very files: the model and eval outputs from the DVC remote, the metrics and reports (timing included) from git
    for path in ("models/student/model.safetensors", "data/eval/student/test.parquet", "metrics/student.json",
                 "reports/student.json", "reports/timing/distill.json"):
        assert (c / path).read_bytes() == (b / path).read_bytes(), path
