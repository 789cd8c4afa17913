"""Resume bookkeeping: a run's fingerprint, and the checkpoint to resume from when (and only when) it was
made by the same run. A killed `dvc repro` resumes where it stopped; other code, data or params start afresh."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from transformers import TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from aboutness.models import resolve_base

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Params


def run_fingerprint(stage: str, params: Params, keys: tuple[str, ...], base: str | Path | None = None,
                    files: tuple[Path, ...] = ()) -> str:
    """Hash of every input that shapes a training run, to tell whether old checkpoints belong to it: the
    stage's name, its params (`keys`, dotted, as its dvc.yaml entry lists them), the base model's files by
    content, `files` (the stage passes its data), the package's code and the world size. A checkpoint of other
    code, data or settings is never resumed: resumed with no steps left, it would be saved as the new model."""
    h = hashlib.sha256(f"{stage} world={os.environ.get('WORLD_SIZE', '1')}".encode())
    values = params.model_dump()
    h.update(json.dumps({k: _param(values, k) for k in keys}, sort_keys=True, default=str).encode())
    paths = [Path(__file__).parent, *files]  # the whole package: any code change starts afresh
    if base is not None:
        paths.append(resolve_base(base))
    for path in paths:
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(str(f).encode())
                with open(f, "rb") as data:
                    h.update(hashlib.file_digest(data, "sha256").digest())
    return h.hexdigest()[:16]


def _param(params: dict, key: str) -> object:
    node: object = params
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def prepare_checkpoints(ckpt_dir: Path, run_id: str, args: TrainingArguments) -> str | None:
    """Last checkpoint to resume from when it was made by the same run, else a clean dir. Under
    torchrun the main process cleans up while the others wait: two ranks deleting at once collide."""
    with args.main_process_first(local=False, desc="checkpoint clean-up"):
        if args.process_index == 0:
            stamp = ckpt_dir / "run.json"
            if ckpt_dir.exists() and (not stamp.exists() or json.loads(stamp.read_text()).get("run") != run_id):
                shutil.rmtree(ckpt_dir)
            ckpt_dir.mkdir(parents=True, exist_ok=True)
            stamp.write_text(json.dumps({"run": run_id}) + "\n")
            # A kill while a checkpoint is being written leaves it without trainer_state.json: drop it.
            for partial in ckpt_dir.glob("checkpoint-*"):
                if not _complete(partial):
                    shutil.rmtree(partial)
    return get_last_checkpoint(str(ckpt_dir))


def _complete(checkpoint: Path) -> bool:
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
        return True
    except (OSError, ValueError):
        return False
