"""aboutness.cli.report: `aboutness report` tables from `dvc exp show --json`, seed groups, `--diff`, and the detail
each run committed under reports/."""

import copy
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aboutness.cli import main as cli
from aboutness.cli.report import load_experiments, read_reports, render_html, render_markdown
from conftest import ROOT

# `dvc exp show --json` of a run from before reports/ existed: its metrics files held every number, so the rows
# of a saved JSON like this one (or of an old revision) come from the JSON itself
FIXTURE = ROOT / "tests/fixtures/exp_show.json"


def test_report_renders_from_a_dvc_exp_show_fixture():
    rows = load_experiments(FIXTURE.read_text())
    assert len(rows) >= 2
    md = render_markdown(rows, sort="model.layers")
    assert "| model" in md and "about_pr" in md and "old pool" in md
    assert re.search(r"teacher→L1_trunc", md) and re.search(r"teacher→L2_trunc", md)
    assert re.search(r"\d+\.\d ±\d+\.\d", md)            # intervals shown as 76.6 ±0.9
    assert "baseline: tfidf_logreg" in md


def test_html_report_escapes_hostile_names_and_cells(tmp_path):
    """The old check only ever saw friendly input (issue 14: a test that cannot fail)."""
    rows = load_experiments(FIXTURE.read_text())
    rows[0]["name"] = "<script>alert(1)</script> | a|b"
    image = tmp_path / "x'><svg onload=alert(2)>.png"  # a file name cannot hold "/", so no closing tag
    image.write_bytes(b"\x89PNG")
    page = render_html(rows, [image])
    assert "<script" not in page and "<svg" not in page
    assert "&lt;script&gt;alert(1)" in page and "x&#x27;&gt;&lt;svg onload=alert(2)&gt;" in page
    for table in re.findall(r"<table>.*?</table>", page, flags=re.S):
        widths = {len(re.findall(r"<t[dh]", tr)) for tr in re.findall(r"<tr>.*?</tr>", table, flags=re.S)}
        assert len(widths) == 1, widths  # a `|` in a cell no longer shifts the columns


def _run(name: str, distill_seed, layers: int, vital_f1: float, rev: str) -> dict:
    params = {"seed": 42, "distill.seed": distill_seed, "model.layers": layers, "model.init": "trunc",
              "teacher.head": "onetarget", "text.seq_len": 256}
    student = {"vital_f1": vital_f1, "vital_f1_ci_low": vital_f1 - 0.02, "vital_f1_ci_high": vital_f1 + 0.02}
    return {"name": name, "rev": rev, "params": params, "teacher": {"layers": 6, "vital_f1": 0.9}, "student": student}


def test_report_merges_runs_that_differ_only_in_seed():
    from aboutness.cli.report import seed_groups

    rows = [_run("s42", None, 3, 0.80, "a1"), _run("s43", 43, 3, 0.84, "a2"), _run("s44", 44, 3, 0.82, "a3"),
            _run("l2", None, 2, 0.70, "b1")]
    groups = seed_groups(rows)
    assert [len(g["runs"]) for g in groups] == [3, 1]
    merged = groups[0]["student"]
    assert merged["vital_f1"] == pytest.approx(0.82) and merged["vital_f1_sd"] == pytest.approx(0.02)
    assert merged["vital_f1_n"] == 3 and groups[1]["student"]["vital_f1"] == 0.70
    md = render_markdown(rows)
    assert "82.0 ± 2.0 (n=3), ci ±2.0" in md      # mean ± sd over seeds, then the card interval
    vital = md.split("### Vital distillation (test)")[1].split("###")[0]
    assert "70.0 ±2.0" in vital and vital.count("teacher→L3") == 1
    # a teacher seed study (teacher.seed) is a seed group too, not one row per seed
    teachers = [{**_run(f"t{s}", None, 3, 0.8, f"c{s}"), "params": {**rows[0]["params"], "teacher.seed": s}} for s in (None, 1)]
    assert [len(g["runs"]) for g in seed_groups(teachers)] == [2]


def test_report_counts_one_run_shown_under_two_commits_once():
    """The same student run restored under two commits differs only in the measured CPU speed: one seed,
    not two (it used to count twice, n=7 for 5 seeds)."""
    from aboutness.cli.report import load_experiments

    def entry(rev, seed, speed, f1=0.8):
        metrics = {"metrics/teacher.json": {"data": {"vital_f1": 0.9, "pairs_per_s_cpu": speed}},
                   "metrics/student.json": {"data": {"vital_f1": f1, "pairs_per_s_cpu": speed * 3}},
                   "metrics/timing/distill.json": {"data": {"seconds": speed}}}
        return {"rev": rev, "name": None, "data": {"params": {"params.yaml": {"data": {"seed": 42, "distill": {"seed": seed}}}},
                                                    "metrics": metrics}}

    rows = load_experiments([entry("c1", 1, 40.1), entry("c2", 1, 43.7), entry("c3", 2, 41.0, 0.85)])
    assert [r["rev"] for r in rows] == ["c1", "c3"] and rows[0]["aliases"] == ["None", "c2"]
    # a re-run on another CPU type differs in the last float bits: still one run; another result is not
    rows = load_experiments([entry("c1", 1, 40.1, 0.8), entry("c2", 1, 43.7, 0.80004), entry("c4", 1, 40.0, 0.802)])
    assert [r["rev"] for r in rows] == ["c1", "c4"] and rows[0]["aliases"] == ["None", "c2"]


def test_diff_needs_both_card_and_seed_noise_cleared(monkeypatch):
    from aboutness.cli import report

    rng = np.random.default_rng(0)
    cards = np.repeat([f"c{i}" for i in range(200)], 5)
    gold = np.tile(["about", "mention", "not_about", "not_about", "mention"], 200)

    def preds(acc: float, seed: int) -> pd.DataFrame:
        r = np.random.default_rng(seed)
        wrong = r.random(len(gold)) > acc
        pred = np.where(wrong, np.roll(gold, 1), gold)
        return pd.DataFrame({"card_id": cards, "doc_url": [f"u{i}" for i in range(len(gold))], "gold": gold,
                             "predicted": pred, "vital": pred == "about", "group": "main"})

    accs = {"a1": 0.70, "a2": 0.72, "a3": 0.71, "b1": 0.90, "b2": 0.91, "b3": 0.89, "c1": 0.95}
    seeds = {k: int(rng.integers(1e6)) for k in accs}
    monkeypatch.setattr(report, "read_predictions", lambda row, path: preds(accs[row["rev"]], seeds[row["rev"]]))
    rows = [_run(f"a{i}", 40 + i, 3, 0.8, f"a{i}") for i in (1, 2, 3)] + \
           [_run(f"b{i}", 40 + i, 2, 0.8, f"b{i}") for i in (1, 2, 3)] + [_run("c1", None, 1, 0.8, "c1")]
    out = report.diff(rows, "a1", "b2", rounds=300)
    student = out.split("#### student")[1]
    acc_line = next(line for line in student.splitlines() if line.startswith("| accuracy"))
    assert "(n=3)" in out and acc_line.rstrip(" |").endswith("yes")
    # one run on a side: the card interval may separate, but the seed spread is unknown
    single = report.diff(rows, "a1", "c1", rounds=300).split("#### student")[1]
    assert "no (seed spread unknown, n=1)" in next(line for line in single.splitlines() if line.startswith("| accuracy"))


@pytest.mark.slow
def test_diff_gives_the_paired_difference_per_group(monkeypatch):
    """`--diff old new` on the e-commerce table: the new model gains on DIY only; the DIY row separates, the
    old pool's does not, and each group's B-A is that of its own pairs."""
    from aboutness.cli import report

    cards = np.repeat([f"c{i}" for i in range(200)], 5)
    gold = np.tile(["about", "mention", "not_about", "not_about", "mention"], 200)
    group = np.where(np.arange(len(gold)) < 500, "main", "DIY")

    def preds(rev: str) -> pd.DataFrame:
        r = np.random.default_rng(int(rev[1:]) + (100 if rev[0] == "b" else 0))
        acc = np.where(group == "DIY", 0.95 if rev[0] == "b" else 0.5, 0.8)
        pred = np.where(r.random(len(gold)) > acc, np.roll(gold, 1), gold)
        return pd.DataFrame({"card_id": cards, "doc_url": [f"u{i}" for i in range(len(gold))], "gold": gold,
                             "predicted": pred, "vital": pred == "about", "group": group})

    monkeypatch.setattr(report, "read_predictions", lambda row, path: preds(row["rev"]))
    rows = [_run(f"a{i}", 40 + i, 3, 0.8, f"a{i}") for i in (1, 2, 3)] + [_run(f"b{i}", 40 + i, 2, 0.8, f"b{i}") for i in (1, 2, 3)]
    teacher = report.diff(rows, "a1", "b1", rounds=300).split("#### teacher")[1].split("#### student")[0]
    lines = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]] for line in teacher.splitlines()
             if line.startswith("| accuracy")}
    # B - A on DIY: 0.96 - 0.60, since a fifth of the rolled labels stay right
    assert lines["accuracy_DIY"][-1] == "yes" and 30 < float(lines["accuracy_DIY"][2]) < 42
    assert lines["accuracy_main"][-1].startswith("no") and abs(float(lines["accuracy_main"][2])) < 3


def test_report_has_a_probe_table_and_a_table_per_eval_set():
    from aboutness.cli.report import rule_warnings

    rows = load_experiments(FIXTURE.read_text())
    teacher = {"probe_inv_site": 0.99, "probe_inv_case": 1.0, "probe_dir_title_only": 0.855, "probe_dir_short_body": 0.98,
               "probe_dir_swap": 0.99, "probe_dir_mention_insert": 0.76, "probe_inv_prod_card": 0.97, "probe_dir_record_page": 0.88}
    rows[0]["teacher"] |= teacher
    rows[0]["student"] |= {"probe_inv_site": 0.975, "probe_inv_case": 0.93, "probe_dir_title_only": 0.97, "probe_dir_swap": 0.88,
                           "probe_inv_prod_card": 0.96, "probe_dir_record_page": 0.73}
    md = render_markdown(rows)
    probes = md.split("### Probes")[1].split("###")[0].split("\n\n")[1]

    def parsed(c: str):  # tabulate writes 99.0 as 99
        c = c.strip()
        return c if c in ("", "n/a") else (float(c.removesuffix("⚠")), c.endswith("⚠"))

    lines = {line.split("|")[1].strip(): [parsed(c) for c in line.split("|")[2:-1]] for line in probes.splitlines()[2:]}
    [probed_teacher] = [v for k, v in lines.items() if k.startswith("teacher:") and v[0]]
    assert probed_teacher == [(99.0, False), (100.0, False), (85.5, True), (98.0, False), (99.0, False), (76.0, True),
                              (97.0, False), (88.0, True)]
    [student] = [v for k, v in lines.items() if k.endswith("[workspace]")]
    # the student's bars: site and case 95, title-only 90; none for swap, production cards or record pages
    assert student == [(97.5, False), (93.0, True), (97.0, False), "n/a", (88.0, False), "n/a", (96.0, False), (73.0, False)]
    [never] = [v for k, v in lines.items() if k.endswith("[master]")]
    assert never == [""] * 8  # metrics from before the probes: not measured, not "n/a"
    warnings = [w for w in rule_warnings(rows) if "probe" in w]
    assert len(warnings) == 4 and any("teacher of workspace: probe dir_title_only passes 85.5%, under its bar of 90%" in w
                                      for w in warnings)
    assert any("student of workspace: probe inv_case passes 93.0%, under its bar of 95%" in w for w in warnings)
    prod = md.split("### Vital decision on prod_cards")[1].split("###")[0]
    assert f"{100 * rows[0]['teacher']['prod_cards_vital_f1']:.1f}" in prod and "baseline: tfidf_logreg" in prod
    page = render_html(rows, [])
    assert "<h2>Probes, built from test" in page and "<h2>Vital decision on prod_cards</h2>" in page and "85.5 ⚠" in page


def test_report_finds_the_dvc_beside_its_python_when_path_lacks_it(monkeypatch, tmp_path):
    import sys

    from aboutness.cli.report import dvc_command
    from aboutness.errors import InputError

    monkeypatch.setenv("PATH", str(tmp_path))  # a venv's python run without activating the venv
    assert Path(dvc_command()) == Path(sys.executable).parent / "dvc"
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(InputError, match="`dvc` is neither on PATH nor beside this Python"):
        dvc_command()


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def _write_reports(repo: Path, entry: dict) -> None:
    """The detail files of one fixture entry, where the stages now write them (reports/<name>.json)."""
    for path, m in entry["data"]["metrics"].items():
        if Path(path).parent == Path("metrics"):
            out = repo / "reports" / Path(path).name
            out.parent.mkdir(exist_ok=True)
            out.write_text(json.dumps(m["data"]))


def _headline_only(entry: dict, rev: str) -> dict:
    """The entry as `dvc exp show --json` gives it since issue 35: its own rev, the headline files only."""
    from aboutness.headline import baselines_headline, model_headline

    metrics = entry["data"]["metrics"]
    shown = {f"metrics/{m}.json": {"data": model_headline(metrics[f"metrics/{m}.json"]["data"])} for m in ("teacher", "student")}
    shown["metrics/baselines.json"] = {"data": baselines_headline(metrics["metrics/baselines.json"]["data"])}
    return {**entry, "rev": rev, "data": {**entry["data"], "rev": rev, "metrics": shown}}


def test_report_reads_each_runs_detail_from_its_commit_and_the_workspaces_from_disk(tmp_path, monkeypatch, capsys):
    """Since issue 35 `dvc exp show` carries the headline only: the report reads every other cell from reports/ as
    each run committed it (`git show <rev>:reports/...`), the workspace's from disk, and prints the very tables
    it printed when the metrics held everything. A rev git does not know keeps what the JSON gives."""
    fixture = json.loads(FIXTURE.read_text())
    before = render_markdown(load_experiments(copy.deepcopy(fixture)))
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.org")
    _git(repo, "config", "user.name", "test")
    shown = copy.deepcopy(fixture)
    revs = []
    # the baseline commit, then the experiment (a commit of its own, as `dvc exp run` makes one)
    for path in ((1,), (1, "experiments", 0, "revs", 0)):
        node = shown
        for step in path:
            node = node[step]
        _write_reports(repo, node)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", str(node["name"]))
        revs.append(_git(repo, "rev-parse", "HEAD"))
        node.update(_headline_only(copy.deepcopy(node), revs[-1]))
    _write_reports(repo, fixture[0])  # the workspace: on disk, not committed
    shown[0] = _headline_only(fixture[0], "workspace")
    rows = load_experiments(copy.deepcopy(shown), lambda r: read_reports(r, repo))
    assert render_markdown(rows) == before
    assert {r["rev"] for r in rows} <= {"workspace", *revs}
    headline = render_markdown(load_experiments(copy.deepcopy(shown)))  # without the detail: headline cells only
    assert headline != before and "baseline: tfidf_logreg" not in headline
    # a saved JSON read by the command: the detail of its revs from the git of the directory it runs in
    saved = tmp_path / "shown.json"
    saved.write_text(json.dumps(shown))
    monkeypatch.chdir(repo)
    assert cli(["report", "--json", str(saved)]) == 0
    assert capsys.readouterr().out.startswith(before)
    # a run from before reports/ existed, or a rev this clone lacks: the metrics the JSON carries
    old = copy.deepcopy(shown)
    old[1] = {**fixture[1], "experiments": old[1]["experiments"]}  # the baseline commit as the fixture gives it
    rows = load_experiments(old, lambda r: read_reports(r, repo))
    assert render_markdown(rows) == before
    assert read_reports(["0" * 40, revs[0]], repo).keys() == {revs[0]}
