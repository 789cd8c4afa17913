"""Reading label, pool and docs files (.tsv .csv .jsonl .parquet) as string columns, in chunks.

The rules every format follows (README, "Bad input"):
- **One record per line** in the text formats. TSV has no quoting at all: a `"` is an ordinary
  character, as in most TSV exports, and a field cannot hold a tab or a line break. CSV quotes as
  RFC 4180 does, but a quoted field may not hold a line break: a record that runs over several lines
  is almost always an unmatched quote that swallowed the rows after it.
- **Records are counted apart from the parser** (`count_records`: non-blank lines, or the parquet
  footer's row count); `ingest` and `add_ecom` check rows kept + quarantined against that count.
- **Ids keep their form**: every value becomes a string; a whole number stays "1" whether a format
  stores it as 1 or 1.0 (a parquet or JSON column with a null turns ints into floats), and a
  `card_id` that is a fraction is refused.
- Bad structure (an extra field, broken JSON, a cut-off character) stops with one line that names
  the file and line; bad values only quarantine their row (`schema.validate`).
"""

from __future__ import annotations

import codecs
import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from aboutness.errors import InputError

READERS = (".tsv", ".csv", ".jsonl", ".parquet")
ID_COLUMNS = ("card_id",)
BOM = "\ufeff"


def check_file(path: Path) -> str:
    ext = path.suffix.lower()
    if ext not in READERS:
        raise InputError(f"{path}: unknown extension {ext!r}; expected one of {', '.join(READERS)}")
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty; expected a header and at least one row")
    return ext


def check_utf8(path: Path, block: int = 1 << 20) -> None:
    """Refuse bytes that are not UTF-8, naming the line; reads in blocks, so memory stays flat."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(block)
            try:
                decoder.decode(chunk, final=not chunk)  # final: a character cut off at the end is an error too
            except UnicodeDecodeError as e:
                at = line + chunk[: e.start].count(b"\n")
                where = "at the end of the file (a character cut off)" if not chunk else f"at line {at}"
                raise InputError(f"{path}: not UTF-8 {where} (data row {at - 1}), byte offset {offset + e.start}; "
                                 "re-save the file as UTF-8") from None
            if not chunk:
                return
            line += chunk.count(b"\n")
            offset += len(chunk)


def count_records(path: str | Path) -> int:
    """Data records in a file, counted without its parser: non-blank lines (less the header for
    TSV and CSV), or the row count in a parquet footer."""
    path = Path(path)
    ext = check_file(path)
    if ext == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as f:
        lines = sum(1 for line in f if line.strip(b"\r\n"))
    return lines if ext == ".jsonl" else max(0, lines - 1)


def cell(value: object, column: str, where: str) -> str:
    """One value as the string every format gives it."""
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if float(value).is_integer():
            return str(int(value))
        if column in ID_COLUMNS:
            raise InputError(f"{where}: {column} {value!r} is not a whole number; ids are strings or whole numbers")
        return repr(float(value))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _frame(records: list[list[str]], columns: list[str], path: Path, first_row: int) -> pd.DataFrame:
    df = pd.DataFrame(records, columns=columns, dtype=object)
    df["_source"] = str(path)
    df["_row"] = range(first_row, first_row + len(df))
    return df


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every non-blank line, a leading BOM dropped (Excel writes one)."""
    with open(path, encoding="utf-8", newline="\n") as f:  # lines end at \n only, as count_records counts
        for number, line in enumerate(f, start=1):
            if number == 1 and line.startswith(BOM):
                line = line[1:]
            line = line.rstrip("\r\n")
            if line:
                yield number, line


def _header(path: Path, fields: list[str]) -> list[str]:
    columns = [c.strip() for c in fields]
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup or "" in columns:
        raise InputError(f"{path}: header row 1 has {'repeated' if dup else 'empty'} column names {dup or ''}".rstrip())
    return columns


def _delimited(path: Path, sep: str, rows: int) -> Iterator[pd.DataFrame]:
    lines = _lines(path)
    first = next(lines, None)
    if first is None:
        raise InputError(f"{path}: file is empty; expected a header and at least one row")
    if sep == "\t":  # no quoting: a line is a record
        header = _header(path, first[1].split("\t"))
        records = ((n, line.split("\t")) for n, line in lines)
    else:
        header = _header(path, next(csv.reader([first[1]])))
        records = _csv_records(path, lines)
    batch, start = [], 1
    for number, fields in records:
        if len(fields) != len(header):
            raise InputError(f"{path}: line {number} (data row {start + len(batch)}) has {len(fields)} fields; the header has "
                             f"{len(header)}" + ("" if sep == "\t" else " (a comma outside quotes, or a missing quote?)"))
        batch.append(fields)
        if len(batch) == rows:
            yield _frame(batch, header, path, start)
            start, batch = start + len(batch), []
    if batch or start == 1:
        yield _frame(batch, header, path, start)


def _csv_records(path: Path, lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, list[str]]]:
    for number, line in lines:
        if '"' not in line:
            yield number, line.split(",")
            continue
        # A quote opened and never closed on its line: the csv module would join the next lines to
        # this record, which is how rows vanished uncounted. One record per line makes it an error.
        if _unclosed(line):
            raise InputError(f"{path}: line {number} has an unmatched quote (\"); one record per line: quote only "
                             "whole fields, double a quote inside one (\"\"), no line breaks inside quotes")
        try:
            yield number, next(csv.reader([line], strict=True))
        except csv.Error as e:
            raise InputError(f"{path}: line {number}: {e} (a quoted field must end at a comma)") from None


def _unclosed(line: str) -> bool:
    """Whether a CSV line leaves a quoted field open at its end."""
    quoted, at_field_start, i = False, True, 0
    while i < len(line):
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < len(line) and line[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == '"' and at_field_start:
            quoted = True
        at_field_start = not quoted and ch == ","
        i += 1
    return quoted


def _jsonl(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    columns: list[str] | None = None
    batch, start = [], 1
    for number, line in _lines(path):
        try:
            record = json.loads(line)
        except ValueError as e:
            raise InputError(f"{path}: line {number} is not valid JSON ({getattr(e, 'msg', e)}, column "
                             f"{getattr(e, 'colno', '?')})") from None
        if not isinstance(record, dict):
            raise InputError(f"{path}: line {number} is a JSON {type(record).__name__}; expected an object per line")
        if columns is None:
            columns = [str(k).strip() for k in record]
        extra = [k for k in record if k not in columns]
        if extra:
            raise InputError(f"{path}: line {number} has key(s) {', '.join(extra)} that line 1 lacks; "
                             "every record needs the same keys (their order does not matter)")
        where = f"{path}: line {number}"
        batch.append([cell(record.get(c), c, where) for c in columns])
        if len(batch) == rows:
            yield _frame(batch, columns, path, start)
            start, batch = start + len(batch), []
    if columns is None:
        raise InputError(f"{path}: no data rows; expected one JSON object per line")
    if batch:
        yield _frame(batch, columns, path, start)


def _column(array: pa.ChunkedArray | pa.Array, name: str, path: Path, first_row: int) -> list[str]:
    values = array.to_pylist()
    return [cell(v, name, f"{path}: row {first_row + i}") for i, v in enumerate(values)]


def _parquet(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{path}: not a readable parquet file ({e})") from None
    start, columns = 1, [str(c).strip() for c in file.schema_arrow.names]
    for batch in file.iter_batches(batch_size=rows):
        data = [_column(batch.column(i), c, path, start) for i, c in enumerate(columns)]
        yield _frame(list(map(list, zip(*data))), columns, path, start)
        start += batch.num_rows
    if start == 1:
        yield _frame([], columns, path, 1)


def iter_table(path: str | Path, rows: int = 100_000) -> Iterator[pd.DataFrame]:
    """The file as string DataFrames of at most `rows` rows, with `_source` (file) and `_row`
    (1-based data row). One record per line, so the rows match `count_records`; `ingest.read_labels`
    checks what survives validation against that count."""
    path = Path(path)
    ext = check_file(path)
    if ext == ".parquet":
        chunks = _parquet(path, rows)
    else:
        check_utf8(path)
        chunks = _jsonl(path, rows) if ext == ".jsonl" else _delimited(path, "\t" if ext == ".tsv" else ",", rows)
    parsed = 0
    for df in chunks:
        parsed += len(df)
        if len(df):
            yield df
    if parsed == 0:
        raise InputError(f"{path}: no data rows; expected a header and at least one row")


def read_table(path: str | Path) -> pd.DataFrame:
    """The whole file as one string DataFrame (see iter_table)."""
    return pd.concat(list(iter_table(path)), ignore_index=True)
