"""The model card (README.md, the Hugging Face convention) of a model as it ships: what it is, the params it
was trained with, its test and out-of-domain figures from this run, and how to load and score it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

CARD = "README.md"
ROLE = {
    "teacher": "The teacher: reads the whole entity card and the whole document (title, url, body) and calls the pair "
               "about, mention or not about",
    "student": "The student, the model that ships: reads what production has (the card's title and main type, the "
               "document's title and url) and gives P(about), distilled from the teacher's scores",
}


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}"


def _with_interval(metrics: dict[str, Any], key: str) -> str:
    low, high = metrics.get(f"{key}_ci_low"), metrics.get(f"{key}_ci_high")
    interval = f" [{_pct(low)}, {_pct(high)}]" if low is not None and high is not None else ""
    return _pct(metrics.get(key)) + interval


def render_card(name: str, meta: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The card's Markdown from the model's metadata (aboutness.json) and its evaluation (reports/<name>.json)."""
    text = meta["text"]
    sets = sorted(k.removesuffix("_vital_f1") for k in metrics
                  if k.endswith("_vital_f1") and k != "vital_f1" and "share" not in k)
    groups = sorted(k.removeprefix("accuracy_") for k in metrics
                    if k.startswith("accuracy_") and not k.endswith(("_ci_low", "_ci_high")))
    probes = sorted(k for k in metrics if k.startswith("probe_"))
    head = {"onetarget": "3 classes (about, mention, not about; cross-entropy)", "msetarget": "one score (MSE)",
            "vital": "one output, the log-odds of about"}.get(meta["head"], meta["head"])
    lines = [
        "---", "library_name: transformers", "pipeline_tag: text-classification", "tags: [aboutness, cross-encoder]", "---",
        "", f"# aboutness {name}", "", f"{ROLE.get(name, name)}.", "",
        f"- Encoder layers: {meta['layers']}; head: {head}; pooling: {meta.get('pooling', 'cls')}",
        f"- Reads: card {', '.join(text['card_fields'])}; doc {', '.join(text['doc_fields'])}; "
        f"{text['seq_len']} tokens",
        f"- Vital decision: P(about) >= {meta.get('vital_threshold', meta.get('threshold', 0.5)):.3f}",
        "", "## Results of this run", "",
        "Test split of the pipeline's data; 95% card-bootstrap intervals. Percent.", "",
        "| metric | value |", "| --- | --- |",
        f"| vital F1 (test) | {_with_interval(metrics, 'vital_f1')} |",
        f"| macro-F1 (test) | {_with_interval(metrics, 'macro_f1')} |",
        f"| accuracy (test) | {_with_interval(metrics, 'accuracy')} |",
        *(f"| vital F1 on {s} | {_with_interval(metrics, f'{s}_vital_f1')} |" for s in sets),
        *(f"| accuracy, group {g} | {_pct(metrics[f'accuracy_{g}'])} |" for g in groups),
        *(f"| probe {p.removeprefix('probe_')} (pass rate) | {_pct(metrics[p])} |" for p in probes),
        "", "`elements` (chemical-element pages) is out of domain: a check, never tuned on. The probes are "
        "docs/probes.md's.", "",
        "## Params", "", "As params.yaml had them for this model:", "", "```json",
        json.dumps(meta.get("params", {}), indent=2, sort_keys=True), "```", "",
        "## Load and score", "",
        "With aboutness installed (`pip install -e .` in the repository):", "", "```bash",
        f"aboutness predict --model models/{name} --input pairs.parquet --output scored.parquet",
        "```", "", "```python",
        "from aboutness.models import load_saved, load_tokenizer",
        "from aboutness.inference import predict_logits",
        "from aboutness.heads import score_frame",
        "",
        f'model, meta = load_saved("models/{name}")  # the head and the pooling as trained',
        f'logits = predict_logits(model, load_tokenizer("models/{name}"), pairs, meta["text"])  # pairs: a DataFrame of',
        "scores = score_frame(logits, meta)  # card_* and doc_* columns; p_about, the class, the vital decision",
        "```", "",
        "The text of a pair is built by `aboutness.text` (fields joined in the order above); scoring other text "
        "gives other scores.",
    ]
    if meta.get("pooling", "cls") != "cls":
        lines += ["", f"A bare `AutoModelForSequenceClassification.from_pretrained` loads the encoder and the head, "
                  f"but not the `{meta['pooling']}` pooling the head was trained on (it is aboutness's own module, "
                  "set by `load_saved`): the head then reads the [CLS] pooler, and its scores are wrong."]
    else:
        lines += ["", "A bare `AutoModelForSequenceClassification.from_pretrained` gives the same logits as "
                  "`load_saved`; `aboutness.json` holds what they mean (labels, head, thresholds)."]
    return "\n".join(lines) + "\n"


def ship(trained: Path, shipped: Path, card: str) -> Path:
    """The trained model's directory copied to where it ships, with its card: the training stage's out stays
    its own (DVC keeps one stage per out), and the card holds the figures only evaluation has."""
    if shipped.exists():
        shutil.rmtree(shipped)
    shutil.copytree(trained, shipped)
    (shipped / CARD).write_text(card, encoding="utf-8")
    return shipped / CARD
