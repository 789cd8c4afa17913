"""`aboutness report`: the comparison tables of the original notes, from `dvc exp show --json`."""

from __future__ import annotations

import base64
import io
import json
import subprocess
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from aboutness.baselines import BASELINES
from aboutness.metrics import paired_bootstrap
from aboutness.schema import InputError

GROUPS = (("main", "old pool"), ("DIY", "DIY"), ("CEHAC", "CEHAC"), ("Pharma", "Pharma"), ("all", "All"))
TEACHER_NAME_KEYS = ("teacher.head", "teacher.layers", "text.seq_len")


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
        if isinstance(data, dict) and ("params" in data or "metrics" in data):
            found.append({"rev": node.get("rev") or data.get("rev"), "name": node.get("name"), "data": data})
        for key in ("experiments", "revs"):
            found += _entries(node.get(key))
    return found


def load_experiments(exp_json: str | list) -> list[dict]:
    """Rows of {name, rev, params (flat), teacher, student, baselines (flat metrics)}."""
    raw = json.loads(exp_json) if isinstance(exp_json, str) else exp_json
    rows, seen = [], set()
    for e in _entries(raw):
        if e["rev"] in seen:
            continue
        seen.add(e["rev"])
        params = flatten(((e["data"].get("params") or {}).get("params.yaml") or {}).get("data"))
        metrics = {Path(f).stem: flatten((m or {}).get("data")) for f, m in (e["data"].get("metrics") or {}).items()}
        if not metrics.get("teacher"):
            continue
        name = e["name"] or ("workspace" if e["rev"] == "workspace" else str(e["rev"])[:7])
        rows.append({"name": name, "rev": e["rev"], "params": params, **metrics})
    return rows


def exp_show_json(cwd: str | Path = ".") -> str:
    proc = subprocess.run(["dvc", "exp", "show", "--json"], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise InputError(f"dvc exp show --json failed: {proc.stderr.strip()}")
    return proc.stdout


def differing(rows: list[dict], prefixes: tuple[str, ...]) -> list[str]:
    keys = sorted({k for r in rows for k in r["params"] if k.startswith(prefixes)})
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
    """A metric in percent, with its 95% interval as ±half-width where there is one."""
    if key not in m:
        return ""
    text = f"{100 * m[key]:.1f}"
    lo, hi = m.get(f"{key}_ci_low"), m.get(f"{key}_ci_high")
    return f"{text} ±{100 * (hi - lo) / 2:.1f}" if lo is not None and hi is not None else text


def _sorted(rows: list[dict], sort: str | None) -> list[dict]:
    if not sort:
        return rows

    def key(r):
        if sort in r["params"]:
            return str(r["params"][sort])
        model, _, metric = sort.partition(".")
        return -float((r.get(model) or {}).get(metric, float("-inf")))

    return sorted(rows, key=key)


def tables(rows: list[dict], sort: str | None = None) -> dict[str, str]:
    """The fine-tune, vital distillation and per-group tables as markdown."""
    rows = _sorted(rows, sort)
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
        "Fine-tuned teacher (test)": tabulate(fine, ["model", "about_pr", "ment_pr", "not_about_pr", "acc", "macro_f1"],
                                              tablefmt="github"),
        "Vital distillation (test)": tabulate(vital, ["model", "accuracy", "precision", "recall", "f1"], tablefmt="github"),
        "Accuracy per group (teacher, test)": tabulate(groups, ["model"] + [label for _, label in GROUPS], tablefmt="github"),
    }


def flatten_baseline(base: dict, name: str) -> dict:
    return {k[len(name) + 1:]: v for k, v in base.items() if k.startswith(name + ".")}


def render_markdown(rows: list[dict], sort: str | None = None) -> str:
    note = "Cells are percentages; ±x is half the 95% card-bootstrap interval."
    return "\n\n".join(f"### {title}\n\n{table}" for title, table in tables(rows, sort).items()) + f"\n\n{note}\n"


def render_html(rows: list[dict], images: list[Path], sort: str | None = None) -> str:
    """One self-contained page: the tables and the PNG plots inlined as data URIs."""
    parts = ["<!doctype html><html><head><meta charset='utf-8'><title>aboutness report</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
             "td,th{border:1px solid #bbb;padding:3px 8px;text-align:right}td:first-child{text-align:left}</style>",
             "</head><body><h1>aboutness report</h1>"]
    for title, table in _html_tables(rows, sort).items():
        parts.append(f"<h2>{title}</h2>{table}")
    parts.append("<p>Cells are percentages; ±x is half the 95% card-bootstrap interval.</p>")
    for img in images:
        if img.exists():
            data = base64.b64encode(img.read_bytes()).decode()
            parts.append(f"<h2>{img.stem}</h2><img alt='{img.stem}' src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_tables(rows: list[dict], sort: str | None) -> dict[str, str]:
    out = {}
    for title, md in tables(rows, sort).items():
        lines = [line for line in md.splitlines() if not set(line) <= set("|-: ")]
        cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
        out[title] = tabulate(cells[1:], cells[0], tablefmt="html")
    return out


def read_predictions(row: dict, path: str) -> pd.DataFrame:
    """A prediction file as it was in that experiment (from the DVC cache)."""
    if row["rev"] == "workspace":
        return pd.read_parquet(path)
    import dvc.api

    with dvc.api.open(path, rev=row["rev"], mode="rb") as f:
        return pd.read_parquet(io.BytesIO(f.read()))


def diff(rows: list[dict], a: str, b: str, rounds: int = 1000, seed: int = 0) -> str:
    """Paired card bootstrap of B - A for teacher and student on the same test cards."""
    by_name = {r["name"]: r for r in rows} | {str(r["rev"]): r for r in rows}
    found = []
    for want in (a, b):
        match = by_name.get(want) or next((r for r in rows if str(r["rev"]).startswith(want)), None)
        if match is None:
            raise InputError(f"--diff: no experiment named {want!r}; known: {', '.join(r['name'] for r in rows)}")
        found.append(match)
    out = [f"### {b} minus {a}: paired bootstrap over test cards ({rounds} rounds)\n",
           "Method: both models' predictions on the same resampled cards; the difference is real when its "
           "95% interval excludes 0.\n"]
    for model in ("teacher", "student"):
        pa, pb = (read_predictions(r, f"data/eval/{model}_test.parquet") for r in found)
        merged = pa.merge(pb, on=["card_id", "doc_url"], suffixes=("_a", "_b"))
        if len(merged) != len(pa):
            out.append(f"{model}: the two experiments have different test sets; no paired comparison.\n")
            continue
        res = paired_bootstrap(merged["gold_a"], merged["predicted_a"], merged["predicted_b"], merged["card_id"], rounds, seed)
        table = [[k, f"{100 * v['a']:.1f}", f"{100 * v['b']:.1f}", f"{100 * v['diff']:+.1f}",
                  f"[{100 * v['ci_low']:+.1f}, {100 * v['ci_high']:+.1f}]", "yes" if v["separate"] else "no (noise)"]
                 for k, v in res.items()]
        out.append(f"#### {model}\n\n" + tabulate(table, ["metric", a, b, "B-A", "95% CI", "separate"], tablefmt="github") + "\n")
    return "\n".join(out)
