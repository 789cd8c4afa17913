"""Reading label, pool and docs files (.tsv .csv .jsonl .parquet, each also .gz .zst .bz2) as string
columns, in chunks, memory flat whatever the file's size.

The rules every format follows (README, "How files are read"):
- **CSV and TSV as RFC 4180 writers produce them** (pandas, Python's csv, Excel, Google Sheets): a field
  may be quoted, a quote inside one doubled, and a quoted field may hold separators and line breaks. TSV
  from a data warehouse (ClickHouse TabSeparated, PostgreSQL COPY) escapes instead of quoting; read it
  with `tsv_format="escaped"`, which decodes backslash escapes and takes `\\N` for null.
- **Records are counted apart from the parser** (`count_records`: a scan of the raw text that counts
  record ends, the lines of an escaped TSV or a JSONL file, or the parquet footer's row count);
  `ingest` and `add_ecom` check rows kept + quarantined against that count.
- **A stray quote cannot swallow rows unseen.** A quote that opens a field and never closes would make
  every later line part of one field. A record that spans several lines is refused, with the line it
  starts on, when its quoted text holds a line that looks like whole records of this file (as many
  separators as the header has), or when it runs over `MAX_RECORD_LINES` lines; records that span lines
  legitimately are counted (`TableStats.multiline`), and `ingest` reports them.
- **Ids keep their form**: every value becomes a string; a whole number stays "1" whether a format
  stores it as 1 or 1.0 (a parquet or JSON column with a null turns ints into floats), and a
  `card_id` that is a fraction is refused.
- Bad structure (an extra field, broken JSON, a cut-off character) stops with one line that names
  the file and line; bad values only quarantine their row (`schema.validate`).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from aboutness.errors import InputError

READERS = (".tsv", ".csv", ".jsonl", ".parquet")
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".bz2": "bz2"}  # pyarrow decompresses each as a stream
TSV_FORMATS = ("quoted", "escaped")
ID_COLUMNS = ("card_id",)
BOM = "\ufeff"
# A quoted field longer than this many lines is far more likely an unmatched quote than a page body
# pasted into a cell: web bodies here are single-line text (their line breaks collapse on ingest).
MAX_RECORD_LINES = 200
SPREADSHEETS = (".xlsx", ".xls", ".ods")


@dataclass
class TableStats:
    """What reading a file found beside its rows: records that spanned several lines."""
    multiline: int = 0


def file_kind(path: Path) -> tuple[str, str | None]:
    """(format suffix, compression codec or None) from the name: labels.tsv.gz -> ('.tsv', 'gzip')."""
    suffixes = [s.lower() for s in path.suffixes]
    codec = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    ext = (suffixes[-2] if codec and len(suffixes) > 1 else "") if codec else (suffixes[-1] if suffixes else "")
    if ext in SPREADSHEETS:
        raise InputError(f"{path}: a spreadsheet; save it as CSV or TSV first, e.g. "
                         f"python -c \"import pandas as pd; pd.read_excel('{path}', dtype=str).to_csv('{path.with_suffix('.tsv')}', "
                         "sep='\\t', index=False)\" (needs openpyxl)")
    if ext not in READERS or (codec and ext == ".parquet"):
        known = ", ".join(READERS) + " (text formats also " + ", ".join(COMPRESSIONS) + ")"
        raise InputError(f"{path}: unknown extension {''.join(path.suffixes)!r}; expected one of {known}")
    return ext, codec


def check_file(path: Path) -> str:
    ext, _ = file_kind(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: file is empty; expected a header and at least one row")
    return ext


def open_binary(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed as a stream where its name says so."""
    _, codec = file_kind(path)
    if codec is None:
        return open(path, "rb")
    try:
        return io.BufferedReader(_ArrowStream(pa.input_stream(str(path), compression=codec)), buffer_size=1 << 20)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"{path}: cannot open it as {codec} ({e})") from None


class _ArrowStream(io.RawIOBase):
    """pyarrow's decompressing stream as a raw file, so that a BufferedReader gives it lines."""

    def __init__(self, stream: pa.NativeFile):
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()
        super().close()


def open_text(path: Path) -> IO[str]:
    """The file as UTF-8 text, a leading BOM dropped (Excel writes one), lines split at \\n alone (a CRLF
    keeps its \\r, which the readers drop; a bare \\r is text, as pandas writes it unquoted)."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8-sig", newline="\n")


def check_utf8(path: Path, block: int = 1 << 20) -> None:
    """Refuse bytes that are not UTF-8, naming the line; reads in blocks, so memory stays flat."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with open_binary(path) as f:
        while True:
            try:
                chunk = f.read(block)
            except (pa.ArrowException, OSError, EOFError) as e:
                raise InputError(f"{path}: cannot decompress it ({e})") from None
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


def count_records(path: str | Path, tsv_format: str = "quoted") -> int:
    """Data records in a file, counted without its parser: record ends in the raw text (a line end outside
    quotes, in CSV and quoted TSV), non-blank lines (escaped TSV, JSONL; less the header for TSV), or the
    row count in a parquet footer."""
    path = Path(path)
    ext = check_file(path)
    if ext == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    with open_binary(path) as f:
        if ext == ".jsonl" or (ext == ".tsv" and tsv_format == "escaped"):
            lines = sum(1 for line in f if line.strip(b"\r\n"))
        else:
            lines = _quoted_records(f, b"\t" if ext == ".tsv" else b",")
    return lines if ext == ".jsonl" else max(0, lines - 1)


def _quoted_records(f: IO[bytes], sep: bytes) -> int:
    """Non-blank records of an RFC 4180 file, by its quotes alone: a quote opens a field only at the field's
    start, a doubled quote inside one is literal, and a line end outside quotes ends the record. Lines
    without a quote outside a quoted field (most of them) take the fast path."""
    records, quoted = 0, False
    for line in f:
        if not quoted and b'"' not in line:
            records += bool(line.strip(b"\r\n"))
            continue
        quoted = _still_quoted(line, sep, quoted)
        records += not quoted
    return records


def _still_quoted(line: bytes, sep: bytes, quoted: bool) -> bool:
    """Whether a quoted field is still open at the end of this line, given whether one was at its start."""
    field_start, i, n = not quoted, 0, len(line)
    q, s = ord('"'), ord(sep)
    while i < n:
        ch = line[i]
        if quoted:
            if ch == q:
                if i + 1 < n and line[i + 1] == q:
                    i += 1
                else:
                    quoted = False
        elif ch == q and field_start:
            quoted = True
        field_start = not quoted and ch == s
        i += 1
    return quoted


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
    """(line number, text) of every non-blank line (lines end at \n only, as count_records counts)."""
    with open_text(path) as f:
        for number, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if line:
                yield number, line


def _header(path: Path, fields: list[str]) -> list[str]:
    columns = [c.strip() for c in fields]
    dup = sorted({c for c in columns if columns.count(c) > 1})
    if dup or "" in columns:
        raise InputError(f"{path}: header row 1 has {'repeated' if dup else 'empty'} column names {dup or ''}".rstrip())
    return columns


ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\", "0": "\0", "b": "\b", "f": "\f", "'": "'", '"': '"'}
ESCAPE = re.compile(r"\\(.)")


def unescape(field: str) -> str:
    r"""A field of escaped TSV: `\N` alone is null (read as an empty string, as every null is), and the
    backslash escapes ClickHouse and PostgreSQL write are decoded; an unknown one stays as it is."""
    if field == "\\N":
        return ""
    return ESCAPE.sub(lambda m: ESCAPES.get(m.group(1), m.group(0)), field) if "\\" in field else field


def _delimited(path: Path, sep: str, rows: int, tsv_format: str, stats: TableStats) -> Iterator[pd.DataFrame]:
    if sep == "\t" and tsv_format == "escaped":
        records = _escaped_records(path)
    else:
        records = _quoted(path, sep, stats)
    first = next(records, None)
    if first is None:
        raise InputError(f"{path}: file is empty; expected a header and at least one row")
    header = _header(path, first[1])
    batch, start = [], 1
    for number, fields in records:
        if len(fields) != len(header):
            hint = (" (escaped TSV holds one record per line: a tab or line break inside a field is written \\t or \\n; "
                    "a file pandas wrote is quoted TSV, tsv_format: quoted)" if tsv_format == "escaped" and sep == "\t"
                    else " (a separator outside quotes, or a missing quote?)")
            raise InputError(f"{path}: line {number} (data row {start + len(batch)}) has {len(fields)} fields; the header has "
                             f"{len(header)}{hint}")
        batch.append(fields)
        if len(batch) == rows:
            yield _frame(batch, header, path, start)
            start, batch = start + len(batch), []
    if batch or start == 1:
        yield _frame(batch, header, path, start)


def _escaped_records(path: Path) -> Iterator[tuple[int, list[str]]]:
    for number, line in _lines(path):
        yield number, [unescape(f) for f in line.split("\t")]


csv.field_size_limit(1 << 26)  # a page body may be long; a runaway quote is caught by its line count instead


def _quoted(path: Path, sep: str, stats: TableStats) -> Iterator[tuple[int, list[str]]]:
    """RFC 4180 records with the line each starts on. A record over several lines is legal (a quoted field
    may hold line breaks) and counted; one that holds what look like whole records of the file, or runs
    over MAX_RECORD_LINES lines, is an unmatched quote that swallowed rows, and stops the read."""
    columns = None
    with open_text(path) as f:
        reader = csv.reader(map(_hide_bare_cr, f), delimiter=sep, strict=True)
        end = 0
        while True:
            begin = end + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise InputError(_quote_error(path, begin, reader.line_num, str(e))) from None
            end = reader.line_num
            if not fields:  # a blank line
                continue
            fields = [_show_bare_cr(v) for v in fields]
            columns = columns or len(fields)
            if end > begin:
                stats.multiline += 1
                _check_span(path, begin, end, fields, sep, columns)
            yield begin, fields


# pandas writes a field holding a bare \r unquoted (its line end is \n alone), and the csv module would end the
# record there: each bare \r goes through the parser as a private-use pair, and comes back after it
CR, MARK = "\r", "\ue000"
HIDE = {MARK: MARK + "\ue001", CR: MARK + "\ue002"}
SHOW = re.compile(MARK + "([\ue001\ue002])")


def _hide_bare_cr(line: str) -> str:
    body, end = (line[:-2], line[-2:]) if line.endswith("\r\n") else (line, "")
    if CR not in body and MARK not in body:
        return line
    return "".join(HIDE.get(ch, ch) for ch in body) + end


def _show_bare_cr(value: str) -> str:
    return SHOW.sub(lambda m: MARK if m.group(1) == "\ue001" else CR, value) if MARK in value else value


def _quote_error(path: Path, begin: int, end: int, error: str) -> str:
    if "unexpected end of data" in error or "EOF" in error:
        return (f"{path}: line {begin}: a quoted field opens there and never closes (a stray \" at the start of a "
                f"field?); quote whole fields and double a quote inside one (\"\")")
    where = f"line {begin}: the record that starts there breaks at line {end}" if end > begin else f"line {end}"
    return (f"{path}: {where} ({error}): a field that starts with a quote must end with one right before the "
            "separator, so a stray quote there ran over the lines after it; a TSV whose fields hold bare quotes is "
            "escaped TSV (tsv_format: escaped)")


URL = re.compile(r"https?://", re.IGNORECASE)


def _check_span(path: Path, begin: int, end: int, fields: list[str], sep: str, columns: int) -> None:
    """A record over several lines is refused when it runs over MAX_RECORD_LINES lines, or when one of its
    fields holds a line that looks like a whole record of a label or pool file: a url and at least as many
    separators as the header has between its columns. Text with line breaks (a body, a title) rarely holds
    both; rows swallowed by a stray quote always do."""
    if end - begin + 1 > MAX_RECORD_LINES:
        raise InputError(f"{path}: line {begin}: a record runs over {end - begin + 1} lines (at most {MAX_RECORD_LINES}); "
                         "a quote that opens a field and never closes swallows the rows after it")
    for field in fields:
        for k, line in enumerate(field.split("\n")[1:], start=1):
            if columns > 1 and line.count(sep) >= columns - 1 and URL.search(line):
                raise InputError(
                    f"{path}: line {begin}: a quoted field runs over {end - begin + 1} lines and its line {k + 1} "
                    f"holds a url and {line.count(sep)} separators, like a whole record: a quote that opens a field and "
                    "never closes swallowed the rows after it. Quote whole fields and double a quote inside one (\"\")")


def _jsonl(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    columns: list[str] | None = None
    batch, start = [], 1
    for number, line in _lines(path):
        try:
            record = json.loads(line)
        except ValueError as e:
            raise InputError(f"{path}: line {number} is not valid JSON ({getattr(e, 'msg', e)}, column "
                             f"{getattr(e, 'colno', '?')}); JSONL holds one record per line, so a line break inside a "
                             "value is written \\n") from None
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


def iter_table(path: str | Path, rows: int = 100_000, tsv_format: str = "quoted",
               stats: TableStats | None = None) -> Iterator[pd.DataFrame]:
    """The file as string DataFrames of at most `rows` rows, with `_source` (file) and `_row` (1-based data
    row), streamed: memory stays flat for any size, compressed or not. `tsv_format` says how a .tsv file
    protects tabs and line breaks in its fields: `quoted` (RFC 4180, as pandas and spreadsheets write it) or
    `escaped` (backslash escapes, as data warehouses write it). `stats` collects what the read found."""
    path = Path(path)
    if tsv_format not in TSV_FORMATS:
        raise InputError(f"{path}: tsv_format {tsv_format!r}; expected one of {', '.join(TSV_FORMATS)}")
    ext = check_file(path)
    stats = stats if stats is not None else TableStats()
    if ext == ".parquet":
        chunks = _parquet(path, rows)
    else:
        check_utf8(path)
        chunks = _jsonl(path, rows) if ext == ".jsonl" else _delimited(path, "\t" if ext == ".tsv" else ",", rows, tsv_format, stats)
    parsed = 0
    for df in chunks:
        parsed += len(df)
        if len(df):
            yield df
    if parsed == 0:
        raise InputError(f"{path}: no data rows; expected a header and at least one row")


def read_table(path: str | Path, tsv_format: str = "quoted", stats: TableStats | None = None) -> pd.DataFrame:
    """The whole file as one string DataFrame (see iter_table)."""
    return pd.concat(list(iter_table(path, tsv_format=tsv_format, stats=stats)), ignore_index=True)
