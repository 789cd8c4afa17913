"""`aboutness predict`: score a pool-schema file with a saved model, streaming in chunks."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from aboutness.columns import REQUIRED
from aboutness.errors import InputError
from aboutness.heads import score_frame
from aboutness.inference import predict_logits
from aboutness.label_rows import validate
from aboutness.models import best_device, load_saved, load_tokenizer
from aboutness.tables import READERS, iter_table

OUT_COLUMNS = ("p_about", "p_mention", "p_not_about", "predicted", "vital")


def partial_path(path: Path) -> Path:
    """Where a file is written until it is whole: beside it (so the rename is atomic), same extension."""
    return path.with_name(f".{path.stem}.partial{path.suffix}")


class Writer:
    """Appends scored chunks to .tsv/.csv/.jsonl/.parquet by extension, into a partial file that
    `close()` renames onto the target: a killed or failed run never leaves a half file that looks whole."""

    def __init__(self, path: Path):
        self.target, self.ext, self.parquet, self.first = path, path.suffix.lower(), None, True
        if self.ext not in READERS:
            raise InputError(f"{path}: unknown output extension {self.ext!r}; expected one of {', '.join(READERS)}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = partial_path(path)

    def write(self, df: pd.DataFrame) -> None:
        if self.ext == ".parquet":
            table = pa.Table.from_pandas(df, preserve_index=False)
            self.parquet = self.parquet or pq.ParquetWriter(self.path, table.schema)
            self.parquet.write_table(table)
        elif self.ext == ".jsonl":
            df.to_json(self.path, orient="records", lines=True, mode="w" if self.first else "a", force_ascii=False)
        else:
            df.to_csv(self.path, sep="\t" if self.ext == ".tsv" else ",", index=False, header=self.first,
                      mode="w" if self.first else "a")
        self.first = False

    def close(self) -> None:
        if self.parquet:
            self.parquet.close()
        if self.path.exists():
            os.replace(self.path, self.target)

    def abort(self) -> None:
        if self.parquet:
            self.parquet.close()
        self.path.unlink(missing_ok=True)


def predict_file(model_dir: Path, input_path: Path, output_path: Path, batch_size: int | str = "auto",
                 chunk_rows: int = 4096, tsv_format: str = "quoted") -> dict[str, int]:
    """Score every valid row; invalid rows go to `<output>.rejected.tsv` with reasons. Both files are
    written whole or not at all; the output may not be the input (it would be truncated while read)."""
    rejected_path = output_path.with_name(output_path.name + ".rejected.tsv")
    for out in (output_path, rejected_path):
        if out.resolve() == input_path.resolve():  # resolve() follows links: a link to the input is the input
            raise InputError(f"--output {out} is the input file {input_path}; write the scores to another path")
    chunks = iter_table(input_path, chunk_rows, tsv_format)
    first = next(chunks)
    missing = [c for c in REQUIRED if c not in first.columns]
    if missing:  # checked before the model loads: a bad file should fail fast
        raise InputError(f"{input_path}: missing required column(s) {', '.join(missing)} (header row 1); "
                         f"found {', '.join(c for c in first.columns if not c.startswith('_'))}")
    model, meta = load_saved(model_dir)
    model = model.to(best_device())
    tok = load_tokenizer(model_dir)
    writer, rejected = Writer(output_path), Writer(rejected_path)
    rejected_path.unlink(missing_ok=True)  # an old run's rejects must not pass for this run's
    counts = {"rows_in": 0, "scored": 0, "rejected": 0}
    try:
        _score_chunks(itertools.chain([first], chunks), input_path, model, tok, meta, batch_size, writer, rejected, counts)
    except BaseException:
        writer.abort()
        rejected.abort()
        raise
    writer.close()
    rejected.close()
    if counts["scored"] == 0:
        raise InputError(f"{input_path}: no valid rows to score; see {rejected_path}")
    return counts


def _score_chunks(chunks, input_path: Path, model, tok, meta: dict, batch_size, writer: Writer, rejected: Writer,
                  counts: dict[str, int]) -> None:
    with tqdm(desc=f"predict {input_path.name}", unit="pair") as bar:
        for chunk in chunks:
            kept, bad = validate(chunk, require_label=False)
            if len(bad):
                rejected.write(bad)
            if len(kept):
                logits = predict_logits(model, tok, kept, meta["text"], batch_size=batch_size)
                original = chunk.set_index("_row").loc[kept["_row"]].reset_index()
                out = pd.concat([original.drop(columns=["_source", "_row"]), score_frame(logits, meta)[list(OUT_COLUMNS)]], axis=1)
                writer.write(out)
            counts["rows_in"] += len(chunk)
            counts["scored"] += len(kept)
            counts["rejected"] += len(bad)
            bar.update(len(chunk))
