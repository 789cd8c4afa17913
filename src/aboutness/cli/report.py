"""`aboutness report`: the comparison tables of the original notes. The experiments and their params come from
`dvc exp show --json`; their metrics from the detail files under reports/ as each experiment committed them
(`git show <rev>:reports/<name>.json`, the workspace's from disk), since the metrics files dvc.yaml declares
hold the headline only. A revision from before reports/ existed keeps the metrics `dvc exp show` gives it,
which were then the whole detail."""

from __future__ import annotations

import base64
import html
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from tabulate import tabulate

from aboutness.errors import InputError
from aboutness.eval_sets import SPEED_KEY
from aboutness.metrics import as_vital, card_confusions, confusion_metrics, paired_bootstrap
from aboutness.paths import METRICS, REPORTS
from aboutness.probes import PROBES, bar_of, probe_warnings
from aboutness.rule_check import beaten_by_rules, set_key, set_names
from aboutness.rules import BASELINES

GROUPS = (("main", "old pool"), ("DIY", "DIY"), ("CEHAC", "CEHAC"), ("Pharma", "Pharma"), ("all", "All"))
TEACHER_NAME_KEYS = ("teacher.head", "teacher.layers", "text.seq_len")
METRIC_FILES = ("teacher", "student", "baselines", "compare", "teacher_train", "student_train")
# every detail file a row holds (reports/<name>.json); timings (reports/timing/) are measured, not results
DETAIL_FILES = (*METRIC_FILES, "ingest", "ecom", "pools", "scoring")


def flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in (d or {}).items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flatten(v, key + ".")
        else:
            out[key] = v
    return out


def _entries(node) -> list[dict]:
    """Every (rev, name, data) in `dvc exp show --json`, whatever the nesting."""
    found = []
    if isinstance(node, list):
        for x in node:
            found += _entries(x)
    elif isinstance(node, dict):
        data = node.get("data")
        # a failed run (a collapsed student stopped by distill's guard) shows its parent's metrics: skip it
        if isinstance(data, dict) and ("params" in data or "metrics" in data) and not node.get("error"):
            found.append({"rev": node.get("rev") or data.get("rev"), "name": node.get("name"), "data": data})
        for key in ("experiments", "revs"):
            found += _entries(node.get(key))
    return found


def _rounded(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def read_reports(revs: list[str], cwd: str | Path = ".") -> dict[str, dict[str, Any]]:
    """rev -> {name: the JSON of reports/<name>.json} for every name of DETAIL_FILES that rev has: the
    workspace's from disk, a commit's from git as `git show <rev>:reports/<name>.json` gives it (all in one
    `git cat-file --batch`). A file a rev lacks, or a rev git does not know (a saved `dvc exp show --json` of
    another clone), is left out."""
    cwd, out = Path(cwd), {}
    revs = [str(r) for r in dict.fromkeys(revs) if r]
    if "workspace" in revs:
        out["workspace"] = {name: json.loads(path.read_text(encoding="utf-8")) for name in DETAIL_FILES
                            if (path := cwd / REPORTS / f"{name}.json").is_file()}
    wanted = [(rev, name) for rev in revs if rev != "workspace" for name in DETAIL_FILES]
    if not wanted:
        return out
    query = "".join(f"{rev}:{REPORTS.as_posix()}/{name}.json\n" for rev, name in wanted).encode()
    try:
        proc = subprocess.run(["git", "cat-file", "--batch"], cwd=cwd, input=query, capture_output=True)
    except OSError:  # no git: every row keeps what `dvc exp show` gave
        return out
    if proc.returncode != 0:  # not a git repository
        return out
    buf, pos = proc.stdout, 0
    for rev, name in wanted:  # per line asked: "<object> <type> <size>" and the content, or "<asked> missing"
        end = buf.index(b"\n", pos)
        header, pos = buf[pos:end].split(), end + 1
        if len(header) == 3 and header[2].isdigit():
            size = int(header[2])
            if header[1] == b"blob":
                out.setdefault(rev, {})[name] = json.loads(buf[pos:pos + size])
            pos += size + 1
    return out


def _metric_files(e: dict, reports: dict[str, dict[str, Any]]) -> dict[str, dict]:
    """An entry's flat metrics by file name: those of `dvc exp show` (files directly under metrics/; the
    headline, or the whole detail before reports/ existed), each replaced by its detail file where the rev has one."""
    shown = {Path(f).stem: flatten((m or {}).get("data")) for f, m in (e["data"].get("metrics") or {}).items()
             if Path(f).parent == METRICS}
    return shown | {name: flatten(doc) for name, doc in reports.get(str(e["rev"]), {}).items()}


def load_experiments(exp_json: str | list, read_detail: Callable[[list[str]], dict] | None = None) -> list[dict]:
    """Rows of {name, rev, params (flat), teacher, student, baselines, ... (flat metrics by file)}. `read_detail`
    maps revs to their detail files (read_reports); without it, rows hold what the JSON itself carries (a saved
    `dvc exp show --json` from before reports/ existed, or a test's fixture)."""
    raw = json.loads(exp_json) if isinstance(exp_json, str) else exp_json
    entries = _entries(raw)
    reports = read_detail([e["rev"] for e in entries]) if read_detail else {}
    rows, seen, by_content = [], set(), {}
    for e in entries:
        params = flatten(((e["data"].get("params") or {}).get("params.yaml") or {}).get("data"))
        metrics = _metric_files(e, reports)
        # the same rev, an unchanged workspace beside its commit, or one run restored under two commits is
        # one run, not two seeds: compare all but what is measured anew each time (stage times, CPU speed),
        # to 3 decimals, since a re-run on another CPU type differs in the last float bits (a vital cut by 7e-5);
        # lists too, which `dvc exp show` drops from a metrics file and a detail file keeps (ingest's file names)
        measured = {f: {m: _rounded(v) for m, v in d.items() if m != SPEED_KEY and not isinstance(v, list)}
                    for f, d in metrics.items()}
        content = json.dumps([params, measured], sort_keys=True, default=str)
        if content in by_content:  # still reachable by its own name and rev, for --diff
            by_content[content]["aliases"] += [str(e["name"]), str(e["rev"])]
            continue
        if e["rev"] in seen or not metrics.get("teacher"):
            continue
        seen.add(e["rev"])
        name = e["name"] or ("workspace" if e["rev"] == "workspace" else str(e["rev"])[:7])
        rows.append({"name": name, "rev": e["rev"], "params": params, "aliases": [], **metrics})
        by_content[content] = rows[-1]
    return rows


def dvc_command() -> str:
    """`dvc` on PATH, else the one installed beside this Python (a venv's bin, not activated)."""
    found = shutil.which("dvc") or shutil.which("dvc", path=str(Path(sys.executable).parent))
    if not found:
        raise InputError("`dvc` is neither on PATH nor beside this Python; install it (pip install dvc, or `make`)")
    return found


def exp_show_json(cwd: str | Path = ".") -> str:
    proc = subprocess.run([dvc_command(), "exp", "show", "--json"], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise InputError(f"dvc exp show --json failed: {proc.stderr.strip()}")
    return proc.stdout


SEED_KEYS = ("seed", "teacher.seed", "distill.seed")


def config_key(row: dict) -> str:
    """An experiment's params without its seeds: runs that share it differ by seed alone."""
    return json.dumps({k: v for k, v in row["params"].items() if k not in SEED_KEYS}, sort_keys=True, default=str)


def _mean_sd(values: list) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def seed_groups(rows: list[dict]) -> list[dict]:
    """Merge experiments that differ only in their seeds (SEED_KEYS) into one row per config.

    A merged row holds, for each numeric metric, the mean over its runs, with `<metric>_sd` (the
    sample standard deviation over seeds) and `<metric>_n` (the number of seeds) beside it; its
    `runs` keeps the experiments, which `--diff` needs. A config run once stays as it was."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(config_key(r), []).append(r)
    out = []
    for members in groups.values():
        if len(members) == 1:
            out.append({**members[0], "runs": members})
            continue
        merged = {"name": f"{members[0]['name']} +{len(members) - 1} seeds", "rev": members[0]["rev"],
                  "params": members[0]["params"], "runs": members}
        for file in METRIC_FILES:
            dicts = [m.get(file) or {} for m in members]
            keys = sorted(set.intersection(*(set(d) for d in dicts)))
            merged[file] = {}
            for k in keys:
                vals = [d[k] for d in dicts]
                # numbers that vary over the runs get mean, sd and n; a teacher shared by student seeds stays one value
                if len(set(map(json.dumps, vals))) > 1 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
                    mean, sd = _mean_sd(vals)
                    merged[file] |= {k: mean, f"{k}_sd": sd, f"{k}_n": len(vals)}
                else:
                    merged[file][k] = vals[0]
        out.append(merged)
    return out


def differing(rows: list[dict], prefixes: tuple[str, ...]) -> list[str]:
    keys = sorted({k for r in rows for k in r["params"] if k.startswith(prefixes) and k not in SEED_KEYS})
    return [k for k in keys if len({json.dumps(r["params"].get(k)) for r in rows}) > 1]


def _short(key: str, value) -> str:
    return f"{key.split('.')[-1]}={value}"


def teacher_name(row: dict, diff: list[str]) -> str:
    p = row["params"]
    layers = p.get("teacher.layers") or row["teacher"].get("layers")
    parts = [str(p.get("teacher.head")), f"L{layers}", f"seqlen={p.get('text.seq_len')}"]
    if p.get("teacher.layers") and not p.get("teacher.truncate_after"):
        parts.append("trunc")
    parts += [_short(k, p.get(k)) for k in diff if k not in TEACHER_NAME_KEYS + ("teacher.truncate_after",)]
    return "_".join(parts)


def student_name(row: dict, diff: list[str]) -> str:
    p = row["params"]
    parts = [f"teacher→L{p.get('model.layers')}_{p.get('model.init')}"]
    parts += [_short(k, p.get(k)) for k in diff if k not in ("model.layers", "model.init")]
    return "_".join(parts)


def cell(m: dict, key: str) -> str:
    """A metric in percent with its 95% card-bootstrap interval as ±half-width; over several seeds,
    the mean ± the standard deviation over seeds (n=seeds), then the interval as `ci ±`."""
    if key not in m:
        return ""
    lo, hi = m.get(f"{key}_ci_low"), m.get(f"{key}_ci_high")
    ci = f"{100 * (hi - lo) / 2:.1f}" if lo is not None and hi is not None else None
    if m.get(f"{key}_n", 1) > 1:
        text = f"{100 * m[key]:.1f} ± {100 * m[f'{key}_sd']:.1f} (n={m[f'{key}_n']})"
        return f"{text}, ci ±{ci}" if ci else text
    return f"{100 * m[key]:.1f} ±{ci}" if ci else f"{100 * m[key]:.1f}"


def _sorted(rows: list[dict], sort: str | None) -> list[dict]:
    if not sort:
        return rows

    def key(r):
        if sort in r["params"]:
            return str(r["params"][sort])
        model, _, metric = sort.partition(".")
        return -float((r.get(model) or {}).get(metric, float("-inf")))

    return sorted(rows, key=key)


def tables(rows: list[dict], sort: str | None = None) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The fine-tune, vital distillation and per-group tables as (headers, rows); runs that differ only in
    their seeds share one row (mean ± sd over seeds)."""
    rows = _sorted(seed_groups(rows), sort)
    t_diff = differing(rows, ("teacher.", "text.", "ecom.", "pools.", "ingest."))
    s_diff = differing(rows, ("model.", "distill."))
    base = rows[0].get("baselines") or {}
    base_rows = {name: flatten_baseline(base, name) for name in BASELINES
                 if any(k.startswith(name + ".") for k in base)}
    # Experiments that share a teacher config share its results: one row each.
    teachers = list({teacher_name(r, t_diff): r for r in reversed(rows)}.items())[::-1]
    fine = [[name] + [cell(r["teacher"], k) for k in
             ("about_precision", "mention_precision", "not_about_precision", "accuracy", "macro_f1")] for name, r in teachers]
    fine += [[f"baseline: {n}"] + [cell(m, k) for k in
              ("about_precision", "mention_precision", "not_about_precision", "accuracy", "macro_f1")] for n, m in base_rows.items()]
    vital_keys = ("vital_accuracy", "vital_precision", "vital_recall", "vital_f1")
    vital = [[f"{student_name(r, s_diff)} [{r['name']}]"] + [cell(r.get("student") or {}, k) for k in vital_keys] for r in rows]
    vital += [[f"teacher: {teacher_name(r, t_diff)}"] + [cell(r["teacher"], k) for k in vital_keys] for r in rows[:1]]
    vital += [[f"baseline: {n}"] + [cell(m, k) for k in vital_keys] for n, m in base_rows.items()]
    groups = [[name] + [cell(r["teacher"], f"accuracy_{g}") for g, _ in GROUPS] for name, r in teachers]
    groups += [[f"baseline: {n}"] + [cell(m, f"accuracy_{g}") for g, _ in GROUPS] for n, m in base_rows.items()]
    return {
        "Fine-tuned teacher (test)": (["model", "about_pr", "ment_pr", "not_about_pr", "acc", "macro_f1"], fine),
        "Vital distillation (test)": (["model", "accuracy", "precision", "recall", "f1"], vital),
        "Accuracy per group (teacher, test)": (["model"] + [label for _, label in GROUPS], groups),
        "Vital F1 on every eval set": eval_set_table(teachers, rows, t_diff, s_diff, base_rows),
        **{f"Vital decision on {name}": one_set_table(name, teachers, rows, s_diff, base_rows)
           for name in set_names(rows[0]["teacher"]) if name != "test"},
        "Probes, built from test (pass rate; n/a: the probe does not apply to the model)":
            probe_table(teachers, rows, s_diff),
    }


def _models(teachers: list, rows: list[dict], s_diff: list[str]) -> list[tuple[str, dict]]:
    """(row name, metrics) of every teacher config, then every student, as the tables list them."""
    models = [(f"teacher: {name}", r["teacher"]) for name, r in teachers]
    return models + [(f"{student_name(r, s_diff)} [{r['name']}]", r["student"]) for r in rows if r.get("student")]


def one_set_table(set_name: str, teachers: list, rows: list[dict], s_diff: list[str],
                  base_rows: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    """The vital decision of every model and rule on one eval set, as the test table gives it."""
    keys = [f"{set_name}_{k}" for k in ("vital_accuracy", "vital_precision", "vital_recall", "vital_f1", "macro_f1")]
    body = [[name] + [cell(m, k) for k in keys] for name, m in _models(teachers, rows, s_diff)]
    body += [[f"baseline: {n}"] + [cell(m, k) for k in keys] for n, m in base_rows.items()]
    return ["model", "accuracy", "precision", "recall", "vital f1", "macro_f1"], body


def probe_cell(m: dict, probe, role: str) -> str:
    """The pass rate, ⚠ under the bar of `role`; "n/a" where the model was probed but the probe does not
    apply to it, and blank where the model was never probed (metrics of a run before the probes)."""
    key = f"probe_{probe.name}"
    if key not in m:
        return "n/a" if any(k.startswith("probe_") for k in m) else ""
    bar = bar_of(probe, role)
    return cell(m, key) + (" ⚠" if bar is not None and m[key] < bar else "")


def probe_table(teachers: list, rows: list[dict], s_diff: list[str]) -> tuple[list[str], list[list[str]]]:
    """Pass rate of every model on each probe (docs/probes.md); ⚠ marks one under its bar, which the
    header gives as teacher/student ("–": no goal)."""
    body = [[name] + [probe_cell(m, p, "teacher" if name.startswith("teacher:") else "student") for p in PROBES]
            for name, m in _models(teachers, rows, s_diff)]
    bars = [f"{p.name} (≥{100 * p.bar:.0f}/{'–' if p.student_bar is None else f'{100 * p.student_bar:.0f}'})" for p in PROBES]
    return ["model", *bars], body


def eval_set_table(teachers: list, rows: list[dict], t_diff: list[str], s_diff: list[str],
                   base_rows: dict[str, dict]) -> tuple[list[str], list[list[str]]]:
    """Vital F1 of every model on test and each eval set; a cell that a rule beats beyond both intervals
    says which rule (rule_check), so an out-of-domain failure shows beside the test figure."""
    sets = set_names(rows[0]["teacher"]) if rows else []
    body = []
    for name, m in _models(teachers, rows, s_diff):
        beaten = {b.set_name: b.rule for b in beaten_by_rules(m, base_rows)}
        body.append([name] + [cell(m, set_key(s)) + (f" ⚠ beaten by {beaten[s]}" if s in beaten else "") for s in sets])
    body += [[f"baseline: {n}"] + [cell(m, set_key(s)) for s in sets] for n, m in base_rows.items()]
    return ["model"] + sets, body


def rule_warnings(rows: list[dict]) -> list[str]:
    """One line per (experiment, model, set) that a rule beats beyond both intervals, and per probe under
    its bar: `aboutness report` prints them on stderr."""
    lines = []
    for r in seed_groups(rows):
        base = {name: flatten_baseline(r.get("baselines") or {}, name) for name in BASELINES}
        for model in ("teacher", "student"):
            lines += [b.line(f"{model} of {r['name']}") for b in beaten_by_rules(r.get(model) or {}, base)]
            lines += probe_warnings(r.get(model) or {}, model, f"{model} of {r['name']}")
    return lines


def flatten_baseline(base: dict, name: str) -> dict:
    return {k[len(name) + 1:]: v for k, v in base.items() if k.startswith(name + ".")}


NOTE = ("Cells are percentages; ±x is half the 95% card-bootstrap interval. A row run with several seeds "
        "(experiments that differ only in `seed`, `teacher.seed` or `distill.seed`) shows the mean ± the standard deviation over "
        "seeds (n=seeds), then the mean interval as ci ±x.")


def render_markdown(rows: list[dict], sort: str | None = None) -> str:
    parts = [f"### {title}\n\n{tabulate(body, headers, tablefmt='github')}" for title, (headers, body) in tables(rows, sort).items()]
    return "\n\n".join(parts) + f"\n\n{NOTE}\n"


def render_html(rows: list[dict], images: list[Path], sort: str | None = None) -> str:
    """One self-contained page: the tables and the PNG plots inlined as data URIs."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>aboutness report</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}td:first-child{text-align:left}</style>",
             "</head><body><h1>aboutness report</h1>"]
    for title, (headers, body) in tables(rows, sort).items():  # tabulate's html format escapes every cell
        parts.append(f"<h2>{html.escape(title)}</h2>{tabulate(body, headers, tablefmt='html')}")
    parts.append(f"<p>{NOTE}</p>")
    for img in images:
        if img.exists():
            data = base64.b64encode(img.read_bytes()).decode()
            name = html.escape(img.stem, quote=True)
            parts.append(f"<h2>{name}</h2><img alt='{name}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def read_predictions(row: dict, path: str) -> pd.DataFrame:
    """A prediction file as it was in that experiment (from the DVC cache)."""
    if row["rev"] == "workspace":
        return pd.read_parquet(path)
    import dvc.api

    with dvc.api.open(path, rev=row["rev"], mode="rb") as f:
        return pd.read_parquet(io.BytesIO(f.read()))


def _find(groups: list[dict], want: str) -> dict:
    """The config (seed group) holding an experiment named `want`, or whose rev starts with it."""
    for g in groups:
        if g["name"] == want or any(r["name"] == want or str(r["rev"]).startswith(want)
                                    or any(a == want or a.startswith(want) for a in r.get("aliases", ())) for r in g["runs"]):
            return g
    known = ", ".join(r["name"] for g in groups for r in g["runs"])
    raise InputError(f"--diff: no experiment named {want!r}; known: {known}")


def run_metrics(preds: pd.DataFrame) -> dict[str, float]:
    """accuracy and macro-F1 of the argmax, vital F1 of the vital decision, and accuracy per group, of one run."""
    gold, cards = preds["gold"].to_numpy(), preds["card_id"].to_numpy()
    out = confusion_metrics(card_confusions(gold, preds["predicted"].to_numpy(), cards).sum(0))
    out["vital_f1"] = confusion_metrics(card_confusions(*as_vital(gold, preds["vital"]), cards).sum(0))["vital_f1"]
    for group, part in preds.groupby("group", sort=True):
        out[f"accuracy_{group}"] = float((part["gold"] == part["predicted"]).mean())
    return {k: float(v) for k, v in out.items()}


def group_bootstrap(pa: pd.DataFrame, pb: pd.DataFrame, rounds: int, seed: int) -> dict[str, dict]:
    """Per group, B - A accuracy with a paired card bootstrap over that group's test cards."""
    out = {}
    for group, idx in sorted(pa.groupby("group", sort=True).indices.items()):
        a, b = pa.iloc[idx], pb.iloc[idx]
        out[f"accuracy_{group}"] = paired_bootstrap(a["gold"], a["predicted"], b["predicted"], a["card_id"], rounds, seed)["accuracy"]
    return out


def diff(rows: list[dict], a: str, b: str, rounds: int = 1000, seed: int = 0) -> str:
    """B - A for teacher and student, where A and B are configs: an experiment and every experiment that
    differs from it by seed alone. A difference is real when it clears both kinds of noise:
    - test cards: a paired card bootstrap, run i of A against run i of B, every pair stacked so that a
      resampled card brings its rows of every run; the 95% interval must exclude 0;
    - seeds: Welch's t-test over the per-run metrics (p < 0.05), which needs two runs on each side."""
    groups = seed_groups(rows)
    found = [_find(groups, want) for want in (a, b)]
    n_a, n_b = (len(g["runs"]) for g in found)
    out = [f"### {b} (n={n_b}) minus {a} (n={n_a}): test-card bootstrap ({rounds} rounds) and seed spread\n",
           "Method: B-A is the difference of the means over runs. `card 95% CI`: paired bootstrap over test cards. "
           "`seed p`: Welch's t-test over runs (needs n ≥ 2 on both sides). `separate` needs both: the interval "
           "excludes 0 and p < 0.05. vital F1 scores the vital decision, accuracy and macro-F1 the argmax.\n"]
    for model in ("teacher", "student"):
        runs = [[read_predictions(r, f"data/eval/{model}/test.parquet") for r in g["runs"]] for g in found]
        keys = {frozenset(zip(p["card_id"], p["doc_url"])) for side in runs for p in side}
        if len(keys) != 1:
            out.append(f"{model}: the experiments have different test sets; no paired comparison.\n")
            continue
        per_run = [[run_metrics(p) for p in side] for side in runs]
        n = min(n_a, n_b)
        pa = pd.concat(runs[0][:n], ignore_index=True)
        pb = pd.concat([p.set_index(["card_id", "doc_url"]).loc[list(zip(q["card_id"], q["doc_url"]))].reset_index()
                        for p, q in zip(runs[1][:n], runs[0][:n])], ignore_index=True)  # row i of B = row i of A
        res = paired_bootstrap(pa["gold"], pa["predicted"], pb["predicted"], pa["card_id"], rounds, seed)
        res_v = paired_bootstrap(*as_vital(pa["gold"], pa["vital"]), as_vital(pb["gold"], pb["vital"])[1],
                                 pa["card_id"], rounds, seed)
        res["vital_f1"] = res_v["vital_f1"]
        res |= group_bootstrap(pa, pb, rounds, seed)  # the e-commerce table's columns, old model against new
        table = []
        for k, v in res.items():
            va, vb = ([m[k] for m in side] for side in per_run)
            p_seed = float(stats.ttest_ind(vb, va, equal_var=False).pvalue) if min(len(va), len(vb)) > 1 else float("nan")
            mean_a, sd_a = _mean_sd(va)
            mean_b, sd_b = _mean_sd(vb)
            card_sep = v["separate"]
            seed_sep = p_seed < 0.05
            verdict = "yes" if card_sep and seed_sep else (
                "no (card noise)" if not card_sep else "no (seed spread unknown, n=1)" if np.isnan(p_seed) else "no (seed noise)")
            table.append([k, f"{100 * mean_a:.1f} ± {100 * sd_a:.1f}", f"{100 * mean_b:.1f} ± {100 * sd_b:.1f}",
                          f"{100 * (mean_b - mean_a):+.1f}", f"[{100 * v['ci_low']:+.1f}, {100 * v['ci_high']:+.1f}]",
                          "–" if np.isnan(p_seed) else f"{p_seed:.3f}", verdict])
        out.append(f"#### {model}\n\n" + tabulate(table, ["metric", f"{a} (mean ± sd)", f"{b} (mean ± sd)", "B-A",
                                                             "card 95% CI", "seed p", "separate"], tablefmt="github") + "\n")
    return "\n".join(out)
