"""`aboutness export --onnx`: a saved model as ONNX for ONNX Runtime, optionally int8."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from aboutness.errors import InputError
from aboutness.inference import ScoringChunks, scoring_batch_size
from aboutness.models import META, load_meta, load_saved, load_tokenizer

ONNX_FILE = "model.onnx"
ALL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def model_inputs(tokenizer) -> tuple[str, ...]:
    """The inputs the tokenizer gives its model, in a fixed order: RoBERTa/XLM-R, DistilBERT and ModernBERT
    send no token_type_ids, and an exported graph must not ask for them."""
    return tuple(name for name in ALL_INPUTS if name in tokenizer.model_input_names)


class _Logits(torch.nn.Module):
    """The classifier with positional inputs and a plain logits output, as ONNX wants it."""

    def __init__(self, model, names: tuple[str, ...]):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *inputs):
        return self.model(**dict(zip(self.names, inputs))).logits


def onnxruntime(submodule: str = ""):
    """onnxruntime (or one of its submodules), or a one-line error that names the extra to install."""
    import importlib

    try:
        return importlib.import_module("onnxruntime" + (f".{submodule}" if submodule else ""))
    except ImportError as e:
        raise InputError(f"ONNX export and scoring need ONNX Runtime: pip install 'aboutness[onnx]' ({e})") from None


def export_onnx(model_dir: Path, out_dir: Path, int8: bool = False) -> Path:
    """Write model.onnx (fp32, or int8 dynamic quantisation) plus tokenizer and metadata to out_dir."""
    model, meta = load_saved(model_dir)
    model.config._attn_implementation = "eager"  # SDPA's mask handling does not trace to ONNX cleanly
    tok = load_tokenizer(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sample = tok(["a card"] * 2, ["a document title"] * 2, return_tensors="pt", padding=True)
    names = model_inputs(tok)
    fp32_path = out_dir / ("model_fp32.onnx" if int8 else ONNX_FILE)
    axes = {name: {0: "batch", 1: "seq"} for name in names} | {"logits": {0: "batch"}}
    torch.onnx.export(_Logits(model, names).eval(), tuple(sample[k] for k in names), str(fp32_path), input_names=list(names),
                      output_names=["logits"], dynamic_axes=axes, opset_version=17, dynamo=False)
    if int8:
        quantization = onnxruntime("quantization")
        # per-channel scales halved the largest P(about) change against per-tensor scales on a small
        # student, and leaving the embedding lookups in fp32 was faster than quantising them too.
        # reduce_range (7-bit weights): CPUs without VNNI add uint8 x int8 products in pairs into int16,
        # which can saturate; on the default student it took the vital F1 change from -0.71 to +0.07
        # points at the same speed (BENCHMARKS.md)
        quantization.quantize_dynamic(str(fp32_path), str(out_dir / ONNX_FILE), weight_type=quantization.QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul"])
        fp32_path.unlink()
    tok.save_pretrained(out_dir)
    model.config.save_pretrained(out_dir)
    shutil.copy(model_dir / META, out_dir / META)
    return out_dir / ONNX_FILE


class OnnxScorer:
    """Scores (card, doc) rows with an exported model on ONNX Runtime's CPU provider."""

    def __init__(self, onnx_dir: Path, threads: int | None = None):
        ort = onnxruntime()
        if not (onnx_dir / ONNX_FILE).exists():
            raise InputError(f"{onnx_dir}: no {ONNX_FILE}; run `aboutness export --onnx` first")
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(onnx_dir / ONNX_FILE), opts, providers=["CPUExecutionProvider"])
        self.meta = load_meta(onnx_dir)
        self.tok = load_tokenizer(onnx_dir)
        self.inputs = [i.name for i in self.session.get_inputs()]

    def logits(self, df: pd.DataFrame, batch_size: int | str = "auto") -> np.ndarray:
        """Raw outputs in row order; batches are built exactly as for the PyTorch scorer on CPU."""
        batch_size = scoring_batch_size(batch_size, torch.device("cpu"), self.meta["text"]["seq_len"])
        chunks = ScoringChunks(self.tok, df, self.meta["text"], batch_size, len(df))
        out = np.zeros((len(df), self.session.get_outputs()[0].shape[1]), dtype=np.float32)
        for i in range(len(chunks)):
            for idx, batch in chunks[i]:
                out[idx.numpy()] = self.session.run(["logits"], {k: batch[k].numpy() for k in self.inputs})[0]
        return out
