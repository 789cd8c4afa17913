"""Real DVC, real transformers: the whole pipeline on tiny random models."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from transformers import AutoConfig

from aboutness.eval_sets import SPEED_KEY
from conftest import dvc, make_repo, run, tiny_params


@pytest.mark.slow
def test_pipeline_trains_teacher_and_student(trained_repo):
    assert AutoConfig.from_pretrained(trained_repo / "models/student").num_hidden_layers == 2
    assert AutoConfig.from_pretrained(trained_repo / "models/teacher").num_hidden_layers == 4
    teacher = json.loads((trained_repo / "reports/teacher.json").read_text())
    preds = pd.read_parquet(trained_repo / "data/eval/teacher/test.parquet")
    assert teacher["accuracy"] == pytest.approx((preds["gold"] == preds["predicted"]).mean())
    scored = pd.read_parquet(trained_repo / "data/pools/runtime_scored.parquet")
    assert {"teacher_logit_0", "teacher_logit_1", "teacher_logit_2"} <= set(scored.columns)
    seconds = {stage: json.loads((trained_repo / f"reports/timing/{stage}.json").read_text())["seconds"]
               for stage in ("ingest", "build_pools", "train_teacher", "score_pools", "distill", "evaluate_teacher",
                             "evaluate_student", "baselines", "compare")}
    # training a model takes time, and nothing took as long as the whole session's test run may
    assert seconds["train_teacher"] > 0.5 and seconds["distill"] > 0.5 and seconds["score_pools"] > 0, seconds
    assert all(0 <= s < 1200 for s in seconds.values()), seconds
    assert "Running stage" not in run([dvc(), "repro"], trained_repo).stdout


@pytest.mark.slow
def test_exp_run_student_depth_reruns_only_distill(trained_repo):
    out = run([dvc(), "exp", "run", "-S", "model.layers=1", "--name", "one-layer"], trained_repo).stdout
    # distill may be restored from DVC's run cache when another test ran the same experiment
    assert "Running stage 'distill'" in out or "Stage 'distill' is cached" in out
    # one evaluate stage per model: the teacher's results and the rules stay cached
    for stage in ("ingest", "build_pools", "train_teacher", "score_pools", "evaluate@teacher", "baselines"):
        assert f"Running stage '{stage}'" not in out and f"Stage '{stage}' didn't change" in out
    assert "Running stage 'evaluate@student'" in out or "Stage 'evaluate@student' is cached" in out
    assert AutoConfig.from_pretrained(trained_repo / "models/student").num_hidden_layers == 1
    shown = json.loads(run([dvc(), "exp", "show", "--json"], trained_repo).stdout)
    names = [e.get("name") for rev in shown for e in (rev.get("experiments") or [])
             for e in ([e] if "name" in e else e.get("revs", []))]
    assert "one-layer" in names, names


@pytest.mark.slow
def test_exp_run_teacher_head_reruns_from_train_teacher(trained_repo):
    out = run([dvc(), "exp", "run", "-S", "teacher.head=msetarget"], trained_repo).stdout
    assert "Running stage 'train_teacher'" in out and "Running stage 'distill'" in out
    assert "Running stage 'build_pools'" not in out
    meta = json.loads((trained_repo / "models/teacher/aboutness.json").read_text())
    assert meta["head"] == "msetarget" and meta["thresholds"][0] <= meta["thresholds"][1]


@pytest.mark.slow
def test_exp_run_teacher_seed_trains_another_teacher_on_the_same_data(trained_repo):
    run(["git", "checkout", "-q", "--", "."], trained_repo)  # an earlier test's experiment may be in the workspace
    run([dvc(), "checkout", "-q"], trained_repo, check=False)
    out = run([dvc(), "exp", "run", "-S", "teacher.seed=7"], trained_repo).stdout
    assert "Running stage 'train_teacher'" in out
    for stage in ("ingest", "build_pools", "baselines"):  # the data and the rules stay as the top-level seed drew them
        assert f"Running stage '{stage}'" not in out
    before = json.loads(run(["git", "show", "HEAD:reports/teacher_train.json"], trained_repo).stdout)
    after = json.loads((trained_repo / "reports/teacher_train.json").read_text())
    assert after["train_pairs"] == before["train_pairs"]
    assert after != before, "teacher.seed=7 trained the same teacher as the top-level seed"


@pytest.mark.slow
def test_same_params_give_identical_metrics(tmp_path, trained_repo, tiny_bert):
    other = make_repo(tmp_path / "again", tiny_params(tiny_bert))
    run([dvc(), "repro"], other)
    base = trained_repo
    run(["git", "checkout", "-q", "--", "."], base)
    run([dvc(), "checkout", "-q"], base, check=False)
    files = [f"reports/{name}.json" for name in ("ingest", "ecom", "pools", "teacher_train", "student_train", "teacher",
                                                  "student", "baselines")]
    for name in files + ["metrics/teacher.json", "metrics/student.json", "metrics/baselines.json"]:
        first = json.loads(run(["git", "show", f"HEAD:{name}"], base).stdout)
        again = json.loads((other / name).read_text())
        if name in ("reports/teacher.json", "reports/student.json"):  # CPU speed is measured, so it varies; nothing else may
            assert first.pop(SPEED_KEY) > 0 and again.pop(SPEED_KEY) > 0
        assert again == first, name


@pytest.mark.slow
def test_distill_fails_on_a_collapsed_student(tmp_path, trained_repo):
    repo = tmp_path / "collapse"
    shutil.copytree(trained_repo, repo, symlinks=True)
    # Constant teacher targets: a student can only learn one score for every pair, a collapse.
    for path in (repo / "data/pools").glob("*_scored.parquet"):
        df = pd.read_parquet(path)
        logits = [c for c in df.columns if c.startswith("teacher_logit_")]
        df[logits] = 0.0
        path.unlink()  # a DVC link into the cache: replace it, never write through it
        df.to_parquet(path, index=False)
    meta_path = repo / "models/trained/teacher/aboutness.json"
    meta = json.loads(meta_path.read_text())
    meta_path.unlink()
    # the tiny random teacher learns little; a real one's valid vital F1 is about 0.9
    meta_path.write_text(json.dumps({**meta, "valid_vital_f1": 0.9}))
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["distill"]["min_share"] = 0.6  # the default; the tiny pipeline switches the guard off
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = run([sys.executable, "-m", "aboutness.stages.distill"], repo, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "the student collapsed or failed to learn" in proc.stderr and "distill.min_share 0.6" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_train_teacher_resumes_after_sigkill(tmp_path, tiny_bert):
    # a checkpoint every 3 steps of about 50 a epoch: the kill lands early in about 200 steps, and the resumed run
    # trains the rest (30 epochs took 104 s of CI, where 4 prove the same)
    params = {**tiny_params(tiny_bert), "teacher.epochs": 4, "teacher.eval_steps": 3, "teacher.batch_size": 4}
    repo = make_repo(tmp_path / "kill", params)
    for stage in ("ingest", "add_ecom", "build_pools"):
        run([sys.executable, "-m", stage_module(stage)], repo)
    env = dict(os.environ, PYTHONPATH=str(repo / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "aboutness.stages.train_teacher"], cwd=repo, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    ckpt = repo / "models/teacher_ckpt"
    deadline = time.time() + 300
    while time.time() < deadline and not any(ckpt.glob("checkpoint-*/trainer_state.json")):
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert not (repo / "models/trained/teacher/model.safetensors").exists()
    # a checkpoint without trainer_state.json was cut off by the kill and is dropped before resuming
    done = sorted(int(p.name.split("-")[1]) for p in ckpt.glob("checkpoint-*") if (p / "trainer_state.json").exists())
    assert done, "no checkpoint was written before the kill"
    out = run([sys.executable, "-m", "aboutness.stages.train_teacher"], repo).stdout
    assert "train_teacher: resuming from" in out
    resumed_from = int(out.split("resuming from ")[1].split()[0].rsplit("-", 1)[1])
    assert resumed_from == done[-1]  # the last whole checkpoint, not just any
    assert (repo / "models/trained/teacher/model.safetensors").exists()


def stage_module(stage: str) -> str:
    return f"aboutness.stages.{stage}"


@pytest.mark.slow
def test_train_teacher_runs_under_torchrun_with_two_processes(tmp_path, tiny_bert):
    repo = make_repo(tmp_path / "ddp", {**tiny_params(tiny_bert), "teacher.eval_steps": None})
    for stage in ("ingest", "add_ecom", "build_pools"):
        run([sys.executable, "-m", stage_module(stage)], repo)
    torchrun = str(Path(sys.executable).parent / "torchrun")
    proc = run([torchrun, "--nproc_per_node=2", "--master_port=29533", "-m", "aboutness.stages.train_teacher"], repo)
    out = proc.stdout
    assert "rank 0 of 2 trained" in out and "rank 1 of 2 trained" in out
    assert out.count("train_teacher: saved") == 1 and "(rank 0)" in out
    steps = {int(line.split("trained ")[1].split()[0]) for line in out.splitlines() if " of 2 trained " in line}
    n_train = len(pd.read_parquet(repo / "data/pools/train.parquet"))
    assert steps == {-(-n_train // (2 * 8))}      # each rank saw half of every epoch (batch 8 per process)
    assert AutoConfig.from_pretrained(repo / "models/trained/teacher").num_hidden_layers == 4


@pytest.mark.slow
def test_dvc_sees_an_edit_of_files_that_params_name(trained_repo):
    """Issue 14 point 8: label, pool and eval files live in labels/ and local base models in base_models/,
    folders the stages that read them depend on, so `dvc status` notices an edit there."""
    for new_file, stages in (("labels/extra.tsv", ("ingest", "add_ecom", "build_pools")),
                             ("base_models/README.md", ("train_teacher", "distill"))):
        path = trained_repo / new_file
        before = path.read_bytes() if path.exists() else None
        path.write_text("edited\n")
        try:
            status = json.loads(run([dvc(), "status", "--json"], trained_repo).stdout)
        finally:
            path.write_bytes(before) if before is not None else path.unlink()
        for stage in stages:
            changes = json.dumps(status.get(stage, []))
            assert new_file.split("/")[0] in changes, (new_file, stage, status.get(stage))
