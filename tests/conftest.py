"""Fixtures and helpers shared by every test, tests/e2e/ included: a conftest.py applies to the folders below it, and
pytest puts this folder on sys.path when it loads this file, so a test anywhere under tests/ imports these helpers
(and tests/families.py, tests/package_imports.py) by name: `from conftest import make_repo`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by `-m`
def pytest_collection_modifyitems(items):
    """Every test not marked slow is marked fast: `pytest -m fast` runs exactly what `-m "not slow"` runs. The fast
    ones run first (tests/e2e/ sorts before tests/test_*.py), each group in the order collected: the e2e tests share
    the `trained_repo` fixture, and some change it, in that order."""
    for item in items:
        if item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.fast)
    items.sort(key=lambda item: item.get_closest_marker("fast") is None)  # a stable sort


def label_row(card="c1", url="https://example.org/a", label="about", **kw) -> dict:
    row = {"card_id": card, "card_title": "Mercury", "doc_url": url, "doc_title": "Mercury (planet)", "label": label}
    row.update(kw)
    return row


@pytest.fixture
def write_labels(tmp_path):
    def write(rows: list[dict], name: str = "labels.tsv") -> Path:
        path = tmp_path / name
        df = pd.DataFrame(rows)
        if name.endswith(".tsv"):
            df.to_csv(path, sep="\t", index=False)
        elif name.endswith(".csv"):
            df.to_csv(path, index=False)
        elif name.endswith(".jsonl"):
            df.to_json(path, orient="records", lines=True)
        else:
            df.to_parquet(path, index=False)
        return path

    return write


def make_repo(dest: Path, params_update: dict | None = None) -> Path:
    """A temporary git+DVC repo holding a copy of this project's pipeline."""
    import yaml

    dest.mkdir(parents=True, exist_ok=True)
    for item in ("src", "dvc.yaml", "params.yaml", "labels", "base_models", "pyproject.toml", ".dvcignore"):
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, dest / item, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / item)
    (dest / ".gitignore").write_text("/data/\n/models/\n")
    params = yaml.safe_load((dest / "params.yaml").read_text())
    for key, value in (params_update or {}).items():
        if key in ("teacher.base", "model.base") and Path(str(value)).is_absolute():
            # params.yaml takes local models only from base_models/, which the stages depend on
            target = dest / "base_models" / Path(value).name
            if not target.exists():
                shutil.copytree(value, target)
            value = f"base_models/{Path(value).name}"
        node = params
        *parents, leaf = key.split(".")
        for p in parents:
            node = node[p]
        node[leaf] = value
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["git", "init", "-q"], dest)
    run(["git", "config", "user.email", "t@example.org"], dest)
    run(["git", "config", "user.name", "test"], dest)
    run([dvc(), "init", "-q"], dest)
    run(["git", "add", "-A"], dest)
    run(["git", "commit", "-qm", "init"], dest)
    return dest


def dvc() -> str:
    return str(Path(sys.executable).parent / "dvc")


def run(cmd: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(cwd / "src"), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


SMALL = {"ingest.demo_cards": 60, "ingest.demo_ecom_cards": 6}


def save_tiny_bert(path: Path, layers: int = 2, num_labels: int = 3, seed: int = 0) -> Path:
    """A randomly initialised BERT (hidden 32) with the packaged tokenizer, saved as safetensors."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from aboutness.models import load_tokenizer
    from aboutness.paths import default_base

    torch.manual_seed(seed)
    tok = load_tokenizer(default_base())
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=256, num_labels=num_labels)
    BertForSequenceClassification(cfg).save_pretrained(path, safe_serialization=True)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("tiny") / "bert", layers=4)


# the text settings the toy pairs are encoded with (tests of models, inference and training)
TEXT = {"card_fields": ["title", "subtitle"], "doc_fields": ["title", "url", "body"], "seq_len": 40}


def toy_pairs(n=24, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.array(["about", "mention", "not_about"])[np.arange(n) % 3]
    rows = []
    for i, lab in enumerate(labels):
        name = ["Mercury", "Venus", "Paris", "Rome"][i % 4]
        title = {"about": name, "mention": f"Planets near {name}", "not_about": "Cheese"}[lab]
        rows.append({"card_id": f"c{i % 4}", "card_title": name, "card_subtitle": "planet", "doc_title": title,
                     "doc_url": f"https://x.org/{title.replace(' ', '_')}", "doc_body": " ".join(rng.choice(["a", "b", name], 30)),
                     "label": lab, "group": "main", "weight": 1.0})
    return pd.DataFrame(rows)


TINY_TRAINING = {
    "teacher.epochs": 1, "teacher.batch_size": 8, "teacher.eval_steps": 4, "teacher.lr": 1e-3,
    "text.seq_len": 48, "model.epochs": 1, "model.batch_size": 16, "model.seq_len": 32, "model.layers": 2,
    "pools.runtime_k": 2, "pools.url_try_k": 2, "model.eval_steps": 4,
    "distill.min_share": 0.0,  # tiny random models learn little; the collapse guard has its own test
}


def tiny_params(tiny_bert) -> dict:
    return {**SMALL, **TINY_TRAINING, "teacher.base": str(tiny_bert), "model.base": str(tiny_bert)}


@pytest.fixture(scope="session")
def trained_repo(tmp_path_factory, tiny_bert):
    """The whole pipeline once, on tiny random models, committed as the baseline."""
    repo = make_repo(tmp_path_factory.mktemp("train"), tiny_params(tiny_bert))
    run([dvc(), "repro"], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "baseline"], repo)
    return repo


def raw_params() -> dict:
    """params.yaml as YAML reads it, a fresh copy to change."""
    import yaml

    return yaml.safe_load((ROOT / "params.yaml").read_text())


def as_params(raw: dict, cls=None):
    """The params object the stages get, built from a dict without validation: tests hand the library
    settings (a pool file in a temporary folder) that params.yaml itself may not name."""
    from pydantic import BaseModel

    from aboutness.params import Params

    cls = cls or Params
    fields = {}
    for name, field in cls.model_fields.items():
        value = raw.get(name, None if field.is_required() else field.default)
        kind = field.annotation
        if isinstance(value, dict) and isinstance(kind, type) and issubclass(kind, BaseModel):
            value = as_params(value, kind)
        fields[name] = value
    return cls.model_construct(**fields)


def grouped_labels(n_cards: int = 40, groups: tuple[str, ...] = ("main", "DIY", "CEHAC")):
    """Three labelled docs (about, mention, not_about) per card, cards spread over `groups` in turn."""
    import pandas as pd

    rows = []
    for c in range(n_cards):
        g = groups[c % len(groups)]
        for d, lab in enumerate(("about", "mention", "not_about")):
            rows.append({"card_id": f"c{c}", "doc_url": f"https://x.org/{(c + d) % n_cards}", "label": lab, "group": g})
    return pd.DataFrame(rows)
