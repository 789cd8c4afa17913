"""The schema of params.yaml: every param is checked here, before a stage does any work.

`load_params` validates the whole file with pydantic and returns the `Params` object: stages read
attributes (`params.teacher.lr`). An error reads `params.yaml <key>: <value>; expected <what>`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aboutness.columns import CARD_FIELD_NAMES, DOC_FIELD_NAMES
from aboutness.errors import InputError
from aboutness.paths import default_base

# User files live where DVC sees them: `labels/` is a dependency of every stage that reads label,
# corpus, pool or eval-set files, `base_models/` of every stage that reads a local base model.
USER_DIR = Path("labels")
MODEL_DIR = Path("base_models")
POOL_NAMES = ("runtime", "url_try", "train")
# names an eval set cannot take: they are files of data/pools already
RESERVED_SETS = ("train", "valid", "test", "runtime", "url_try", "eval")
DEMO_SETS = ("prod_cards", "elements")

PosInt = Annotated[int, Field(ge=1)]
Share = Annotated[float, Field(ge=0, le=1)]
PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Dropout = Annotated[float, Field(ge=0, lt=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def inside(path: str, folder: Path, what: str) -> str:
    """A path a param names must lie inside `folder`, which the stages declare as a dependency."""
    if Path(path).is_absolute() or ".." in Path(path).parts or Path(path).parts[:1] != (folder.name,):
        raise ValueError(f"{what} inside {folder}/ (a relative path such as {folder}/x; DVC tracks that folder, "
                         f"so `dvc repro` sees an edit)")
    return path


def user_files(value: str | list[str] | None, *, allow: tuple[str, ...], what: str = "files") -> Any:
    if value is None or (isinstance(value, str) and value in allow):
        return value
    files = [value] if isinstance(value, str) else value
    if not files:
        raise ValueError(f"one of {allow} or a non-empty list of {what}")
    return [inside(f, USER_DIR, f"{what} (or globs)") for f in files]


FileList = str | list[str]


class Ingest(Strict):
    labels: FileList
    demo_cards: PosInt
    demo_ecom_cards: Annotated[int, Field(ge=0)]
    demo_junk_share: Annotated[float, Field(ge=0, lt=1)]
    max_reject_share: Share
    tsv_format: Literal["quoted", "escaped"]

    _labels = field_validator("labels")(lambda v: user_files(v, allow=("demo",), what="label files"))


class Ecom(Strict):
    enabled: bool
    labels: FileList | None
    max_reject_share: Share

    _labels = field_validator("labels")(lambda v: user_files(v, allow=("demo",), what="label files"))


class Fractions(Strict):
    train: Annotated[float, Field(gt=0, le=1)]
    valid: Annotated[float, Field(gt=0, le=1)]
    test: Annotated[float, Field(gt=0, le=1)]

    @model_validator(mode="after")
    def _sum(self) -> Fractions:
        if not math.isclose(self.train + self.valid + self.test, 1.0, abs_tol=1e-6):
            raise ValueError("train + valid + test = 1")
        return self


def _regexes(patterns: list[str]) -> list[str]:
    for p in patterns:
        try:
            re.compile(p)
        except re.error as e:
            raise ValueError(f"valid regular expressions ({p!r}: {e})") from None
    return patterns


class Trash(Strict):
    title_patterns: list[str]
    body_patterns: list[str]
    min_title_chars: Annotated[int, Field(ge=0)]

    _re = field_validator("title_patterns", "body_patterns")(_regexes)


class Pools(Strict):
    split: Literal["card", "pair"]
    fractions: Fractions
    corpus: FileList | None
    runtime: FileList
    runtime_k: PosInt
    url_try: FileList
    url_try_k: PosInt
    max_overlap: Share
    allow_test_docs: bool
    tsv_format: Literal["quoted", "escaped"]
    trash: Trash

    _corpus = field_validator("corpus")(lambda v: user_files(v, allow=("demo",), what="docs files"))
    _runtime = field_validator("runtime")(lambda v: user_files(v, allow=("retrieve",), what="pool files"))
    _url_try = field_validator("url_try")(lambda v: user_files(v, allow=("url_words",), what="pool files"))


def _fields(allowed: tuple[str, ...]):
    def check(v: list[str]) -> list[str]:
        if not v or any(f not in allowed for f in v) or len(set(v)) != len(v):
            raise ValueError(f"a non-empty list of distinct fields from {', '.join(allowed)}")
        if "body" in v and v[-1] != "body":  # truncation cuts the text's end: the body must be what it cuts
            raise ValueError(f"'body' last (truncation cuts it first), not {v}")
        return v
    return check


SeqLen = Annotated[int, Field(ge=8)]


class Text(Strict):
    card_fields: list[str]
    seq_len: SeqLen

    _cards = field_validator("card_fields")(_fields(CARD_FIELD_NAMES))


def _base(v: str) -> str:
    return v if v == "default" else inside(v, MODEL_DIR, "'default' or a local model directory")


class Training(Strict):
    """What the teacher and the student share."""
    base: str
    attention_dropout: Dropout | None
    doc_fields: list[str]
    lr: PosFloat
    lr_end: Annotated[float, Field(ge=0, lt=1)]
    epochs: PosFloat
    batch_size: PosInt
    warmup: NonNeg
    weight_decay: NonNeg
    head_lr_mult: PosFloat
    eval_steps: PosInt | None
    loader_workers: Annotated[int, Field(ge=0)] | None
    average_from: Annotated[float, Field(ge=0, lt=1)] | None

    _base = field_validator("base")(_base)
    _docs = field_validator("doc_fields")(_fields(DOC_FIELD_NAMES))


class MseTargets(Strict):
    not_about: Annotated[float, Field(allow_inf_nan=False)]
    mention: Annotated[float, Field(allow_inf_nan=False)]
    about: Annotated[float, Field(allow_inf_nan=False)]


class Teacher(Training):
    seed: Annotated[int, Field(ge=0)] | None
    allow_pickle: bool
    layers: PosInt | None
    truncate_after: bool
    head: Literal["onetarget", "msetarget"]
    class_weight: Literal["balanced"] | None
    mse_targets: MseTargets
    card_dropout: Dropout
    prod_card_share: Share
    body_dropout: Share
    mention_share: Share
    layout_share: Share
    restyle_share: Share
    restyle_invented: Share


class Student(Training):
    init: Literal["trunc", "pretrained"]
    layers: PosInt
    layer_map: Literal["bottom", "spread"]
    pooling: Literal["cls", "mean", "match"]
    card_fields: list[str]
    seq_len: SeqLen

    _cards = field_validator("card_fields")(_fields(CARD_FIELD_NAMES))


def _batch_size(v: Any) -> Any:
    if v == "auto" or (isinstance(v, int) and not isinstance(v, bool) and v >= 1):
        return v
    raise ValueError("'auto' or a whole number of at least 1")


BatchSize = Annotated[Any, AfterValidator(_batch_size)]


class Distill(Strict):
    seed: Annotated[int, Field(ge=0)] | None
    min_share: Share
    pools: list[str]
    target: Literal["vital", "all"]
    loss: Literal["mse", "ce", "kl", "mse_logits"]
    temperature: PosFloat
    label_weight: Share
    positive_weight: NonNeg
    restyle_share: Share
    restyle_invented: Share
    restyle_valid: bool
    score_batch_size: BatchSize
    score_chunk_rows: PosInt
    score_int8: bool
    engine: Literal["local", "ray"]
    hidden_weight: NonNeg

    @model_validator(mode="after")
    def _logits_need_vital(self) -> Distill:
        if self.loss == "mse_logits" and self.target != "vital":
            raise ValueError("loss mse_logits with target vital only (one output, the teacher's log-odds of about)")
        return self

    @model_validator(mode="after")
    def _int8_is_local(self) -> Distill:
        if self.score_int8 and self.engine == "ray":
            raise ValueError("score_int8 with engine local only (Ray actors score with PyTorch, bf16 on a GPU)")
        return self

    @field_validator("pools")
    @classmethod
    def _pools(cls, v: list[str]) -> list[str]:
        if not v or any(p not in POOL_NAMES for p in v) or len(set(v)) != len(v):
            raise ValueError(f"a non-empty list of distinct names from {', '.join(POOL_NAMES)} (valid and test never train a student)")
        return v


class Ray(Strict):
    address: str | None
    actors: PosInt | None
    cpus_per_actor: PosFloat


class Eval(Strict):
    sets: dict[str, FileList] | None
    batch_size: BatchSize
    bootstrap: Annotated[int, Field(ge=100)]
    speed_sample: PosInt
    probe_pairs: PosInt

    @field_validator("sets")
    @classmethod
    def _sets(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        for name, setting in (v or {}).items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name) or name in RESERVED_SETS:
                raise ValueError(f"set names of lower-case letters, digits and _ other than {', '.join(RESERVED_SETS)} "
                                 f"(not {name!r})")
            if setting == "demo" and name not in DEMO_SETS:
                raise ValueError(f"'demo' only for the demo's sets {', '.join(DEMO_SETS)} (not {name!r})")
            user_files(setting, allow=("demo",), what=f"files of eval set {name!r}")
        return v


class Params(Strict):
    """The whole of params.yaml."""

    seed: Annotated[int, Field(ge=0)]
    ingest: Ingest
    ecom: Ecom
    pools: Pools
    text: Text
    teacher: Teacher
    model: Student
    distill: Distill
    ray: Ray
    eval: Eval


def base_config(base: str) -> dict | None:
    """The base model's config.json, read without importing transformers; None when there is none."""
    path = default_base() if base == "default" else Path(base)
    try:
        return json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# families whose classifier reads the first token's state or BERT's pooler, so that mean and match pooling can
# hand it the pooled vector (models.set_pooling); tests/e2e/test_families.py runs each
POOLING_FAMILIES = ("bert", "roberta", "xlm-roberta", "camembert", "distilbert", "deberta-v2", "modernbert")


def base_depth(conf: dict) -> int | None:
    """Encoder layers of a base's config.json (DistilBERT calls them n_layers)."""
    return conf.get("num_hidden_layers") or conf.get("n_layers")


def base_max_len(conf: dict) -> int | None:
    """Tokens a base reads at most: RoBERTa and XLM-R number positions from pad_token_id + 1, so 514 positions
    hold 512 tokens."""
    n = conf.get("max_position_embeddings")
    if n and conf.get("model_type") in ("roberta", "xlm-roberta", "camembert"):
        return n - (conf.get("pad_token_id", 1) + 1)
    return n


def _name(base: str) -> str:
    return "the packaged all-MiniLM-L6-v2" if base == "default" else base


def check_against_bases(p: Params) -> list[tuple[str, Any, str]]:
    """Limits that depend on the base models: depth and maximum sequence length."""
    errors = []
    configs = {key: base_config(cfg.base) for key, cfg in (("teacher", p.teacher), ("model", p.model))}
    for key, cfg, seq_len in (("teacher", p.teacher, p.text.seq_len), ("model", p.model, p.model.seq_len)):
        conf = configs[key]
        if conf is None:
            if cfg.base != "default" and not (key == "model" and p.model.init == "trunc"):
                errors.append((f"{key}.base", cfg.base, "a Hugging Face model directory (no config.json there)"))
            continue
        depth, max_len = base_depth(conf), base_max_len(conf)
        seq_key = "text.seq_len" if key == "teacher" else "model.seq_len"
        if max_len and seq_len > max_len:
            errors.append((seq_key, seq_len, f"at most {max_len}, the maximum length of {_name(cfg.base)}"))
        if key == "teacher" and depth and p.teacher.layers and p.teacher.layers > depth:
            errors.append(("teacher.layers", p.teacher.layers, f"at most {depth}, the depth of {_name(cfg.base)}"))
    teacher_depth = p.teacher.layers or base_depth(configs["teacher"] or {})
    if p.model.init == "trunc" and teacher_depth and p.model.layers > teacher_depth:
        errors.append(("model.layers", p.model.layers, f"at most {teacher_depth}, the teacher's depth (model.init: trunc)"))
    if p.distill.hidden_weight and p.model.init != "trunc":
        # matched token by token on the student's input: the two must share the tokenizer and the width
        errors.append(("distill.hidden_weight", p.distill.hidden_weight, "0 unless model.init is trunc"))
    source = configs["teacher"] if p.model.init == "trunc" else configs["model"]
    family = (source or {}).get("model_type")
    if p.model.pooling != "cls" and family and family not in POOLING_FAMILIES:
        errors.append(("model.pooling", p.model.pooling, f"cls for a {family} base: mean and match pooling are built for "
                       f"{', '.join(POOLING_FAMILIES)} (README, 'Base models and languages')"))
    if p.model.init == "pretrained":
        depth = base_depth(configs["model"] or {})
        if depth and p.model.layers > depth:
            errors.append(("model.layers", p.model.layers, f"at most {depth}, the depth of {_name(p.model.base)}"))
    return errors


# pydantic names the branch of a union in an error's location (str, list[str], literal[...]): not a key
TYPE_TAG = re.compile(r"^(str|int|float|bool|list|dict|none|constrained-\w+|function-.*|literal\[.*|.*\[.*\])$")


def _value_at(raw: Any, loc: tuple) -> Any:
    for part in loc:
        if isinstance(raw, dict) and part in raw:
            raw = raw[part]
        elif isinstance(raw, list) and isinstance(part, int) and part < len(raw):
            raw = raw[part]
        else:
            return "(missing)" if isinstance(raw, dict) else raw
    return raw


def _expected(err: dict) -> str:
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        return "no such key (a typo?)"
    if err["type"] == "missing":
        return "this key to be set"
    msg = re.sub(r"^(Value error, |Assertion failed, )", "", msg)
    return re.sub(r"^Input should be ", "", msg)


def validate_params(raw: Any, source: str = "params.yaml") -> Params:
    """Check every param; raise one InputError that lists each bad key as
    `params.yaml <key>: <value>; expected <what>`."""
    if not isinstance(raw, dict):
        raise InputError(f"{source}: expected a mapping of sections, got {type(raw).__name__}")
    try:
        parsed = Params.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            # a union's branches each report; the key is what matters, so keep its first message
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and TYPE_TAG.match(p)))
            key = ".".join(str(p) for p in loc)
            if any(line.startswith(f"{source} {key}:") for line in lines):
                continue
            lines.append(f"{source} {key}: {_value_at(raw, loc)!r}; expected {_expected(err)}")
        raise InputError("\n".join(lines)) from None
    problems = check_against_bases(parsed)
    if problems:
        raise InputError("\n".join(f"{source} {k}: {v!r}; expected {what}" for k, v, what in problems))
    return parsed


def load_params(path: str | Path = "params.yaml") -> Params:
    """params.yaml, every key validated before a stage does any work."""
    with open(path, encoding="utf-8") as f:
        return validate_params(yaml.safe_load(f), str(path))


def section_seed(params: Params, section: str) -> int:
    """`<section>.seed`, or the top-level seed when it is null. The top-level seed also draws the demo
    data, the splits and the pools; teacher.seed and distill.seed change one model alone, for seed studies."""
    seed = getattr(params, section).seed
    return params.seed if seed is None else seed
