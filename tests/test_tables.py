"""Reading files: no row lost to a stray quote, ids in one form, one-line errors (issue 14, points 2, 4, 9)."""

import json

import pandas as pd
import pytest

from aboutness.errors import InputError
from aboutness.label_rows import load_labels
from aboutness.labels import ingest
from aboutness.tables import TableStats, count_records, read_table

HEADER = ["card_id", "card_title", "doc_url", "doc_title", "label"]


def rows(n: int = 3) -> list[list[str]]:
    return [[f"c{i}", f"Card {i}", f"https://a.org/{i}", f"Title {i}", "about"] for i in range(n)]


def write_text(path, table: list[list[str]], sep: str) -> None:
    path.write_text("\n".join(sep.join(r) for r in [HEADER, *table]) + "\n", encoding="utf-8")


QUOTED = {"start": '"Title', "middle": 'Ti"tle', "end": 'Title"', "alone": '"'}


@pytest.mark.parametrize("row", [0, 1, 2])
@pytest.mark.parametrize("col", [0, 1, 3, 4])  # first, middle and last columns
@pytest.mark.parametrize("where", list(QUOTED))
@pytest.mark.parametrize("tsv_format", ["quoted", "escaped"])
def test_tsv_stray_quote_is_read_as_written_or_named_never_merged(tmp_path, row, col, where, tsv_format):
    """Escaped TSV has no quoting: a `"` is an ordinary character. Quoted TSV (RFC 4180, as pandas writes it)
    reads a quote inside a field as it is, and a quote that opens a field and never closes is an error that
    names its line: rows are never merged uncounted, as pandas' own reader merged them."""
    table = rows()
    table[row][col] = QUOTED[where] if col != 4 else QUOTED[where] + "about"
    path = tmp_path / "l.tsv"
    write_text(path, table, "\t")
    opens = tsv_format == "quoted" and QUOTED[where].startswith('"')
    if opens:
        with pytest.raises(InputError, match=rf"l.tsv: line {row + 2}: a quoted field opens there and never closes"):
            read_table(path, tsv_format)
        return
    df = read_table(path, tsv_format)
    assert len(df) == 3 == count_records(path, tsv_format)
    assert df.iloc[row][HEADER[col]] == table[row][col]
    kept, q, m = ingest([path], tsv_format)
    assert m["rows_in"] == 3 == m["rows_kept"] + m["rows_quarantined"]


@pytest.mark.parametrize("tsv_format", ["quoted", "escaped"])
def test_tsv_two_stray_quotes_keep_every_row_between_them_or_stop(tmp_path, tsv_format):
    """Two quotes rows apart: pandas' quoting read everything between them as one field, so the rows
    in between vanished and rows_in (then kept + quarantined) still said nothing was lost. Escaped TSV
    reads them as characters; quoted TSV stops at the line the runaway field starts on."""
    table = rows(6)
    table[1][3], table[4][3] = '"Opening', 'Closing"'
    path = tmp_path / "l.tsv"
    write_text(path, table, "\t")
    if tsv_format == "quoted":
        with pytest.raises(InputError, match=r"l.tsv: line 3: a quoted field runs over 4 lines and its line 2 holds a url "
                                             r"and 4 separators, like a whole record"):
            read_table(path, tsv_format)
        return
    df = read_table(path, tsv_format)
    assert df["card_id"].tolist() == [f"c{i}" for i in range(6)]
    assert df["doc_title"].tolist()[1:5] == ['"Opening', "Title 2", "Title 3", 'Closing"']
    kept, q, m = ingest([path], tsv_format)
    assert m["rows_in"] == 6 == m["rows_kept"] and m["rows_quarantined"] == 0


@pytest.mark.parametrize("row", [0, 1, 2])  # with rows after it, and on the last line
@pytest.mark.parametrize("col", [0, 1, 3])
def test_csv_unmatched_quote_at_field_start_names_its_line(tmp_path, row, col):
    table = rows()
    table[row][col] = '"' + table[row][col]
    path = tmp_path / "l.csv"
    write_text(path, table, ",")
    with pytest.raises(InputError, match=rf"l.csv: line {row + 2}: a quoted field opens there and never closes"):
        read_table(path)


@pytest.mark.parametrize("ext, sep", [(".csv", ","), (".tsv", "\t")])
def test_a_stray_quote_among_legitimate_multiline_fields_is_caught_at_its_line(tmp_path, ext, sep):
    """Multi-line fields are legal now, so the stray quote's runaway field is told apart from them by what it
    swallowed: lines that look like whole records of the file."""
    df = pd.DataFrame(rows(8), columns=HEADER)
    df.loc[1, "doc_title"] = "A title\nover two lines"
    df.loc[6, "doc_title"] = 'Quoted "word", and\na break'
    path = tmp_path / f"l{ext}"
    df.to_csv(path, sep=sep, index=False)
    stats = TableStats()
    assert read_table(path, stats=stats)[HEADER].values.tolist() == df.values.tolist()
    assert stats.multiline == 2 and count_records(path) == 8
    text = path.read_text().replace("c3" + sep, '"c3' + sep)  # a stray quote opening row 3's first field
    path.write_text(text)
    with pytest.raises(InputError, match=rf"l{ext}: line 6: (a quoted field runs over|the record that starts there breaks)"):
        read_table(path)


@pytest.mark.parametrize("value", ['Ti"tle', 'Title"', '"Quoted, with comma"', '"Say ""hi"""'])
def test_csv_quotes_inside_or_around_a_whole_field_are_read(tmp_path, value):
    table = rows()
    table[1][3] = value
    path = tmp_path / "l.csv"
    write_text(path, table, ",")
    df = read_table(path)
    assert len(df) == 3
    assert df.iloc[1]["doc_title"] == {'"Quoted, with comma"': "Quoted, with comma", '"Say ""hi"""': 'Say "hi"'}.get(value, value)


@pytest.mark.parametrize("ext, sep", [(".tsv", "\t"), (".csv", ",")])
def test_a_row_with_an_extra_field_names_its_line(tmp_path, ext, sep):
    table = rows()
    table[1].append("surplus")
    path = tmp_path / f"l{ext}"
    write_text(path, table, sep)
    with pytest.raises(InputError, match=r"line 3 \(data row 2\) has 6 fields; the header has 5"):
        read_table(path)


def jsonl(path, records: list[dict], bom: bool = False) -> None:
    path.write_text(("\ufeff" if bom else "") + "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


def test_numeric_ids_read_the_same_in_every_format(tmp_path):
    """A null turns a parquet or JSON int column into floats: 1 used to read "1.0" there and "1" in a TSV."""
    ids = [1, None, 3]
    frame = pd.DataFrame({"card_id": ids, "card_title": ["A", "B", "C"], "doc_url": ["https://a.org/1", "https://a.org/2", "https://a.org/3"],
                          "doc_title": ["A", "B", "C"], "label": ["about"] * 3})
    frame.to_parquet(tmp_path / "l.parquet")
    assert frame["card_id"].dtype == float  # the case that used to break
    jsonl(tmp_path / "l.jsonl", [{**r, "card_id": (float(r["card_id"]) if r["card_id"] == r["card_id"] else None)}
                                 for r in frame.to_dict("records")])
    frame.assign(card_id=["1", "", "3"]).to_csv(tmp_path / "l.tsv", sep="\t", index=False)
    for name in ("l.parquet", "l.jsonl", "l.tsv"):
        assert read_table(tmp_path / name)["card_id"].tolist() == ["1", "", "3"], name
        kept, q = load_labels([tmp_path / name])
        assert kept["card_id"].tolist() == ["1", "3"] and q["reason"].tolist() == ["empty_field"], name


@pytest.mark.parametrize("ext", [".parquet", ".jsonl"])
def test_a_fractional_id_is_refused(tmp_path, ext):
    frame = pd.DataFrame({"card_id": [1.0, 2.5], "card_title": ["A", "B"], "doc_url": ["https://a.org/1", "https://a.org/2"],
                          "doc_title": ["A", "B"], "label": ["about", "about"]})
    path = tmp_path / f"l{ext}"
    frame.to_parquet(path) if ext == ".parquet" else jsonl(path, frame.to_dict("records"))
    with pytest.raises(InputError, match=r"(row|line) 2: card_id 2.5 is not a whole number"):
        read_table(path)


def test_jsonl_with_a_bom_reads_like_without(tmp_path):
    records = [dict(zip(HEADER, r)) for r in rows()]
    jsonl(tmp_path / "bom.jsonl", records, bom=True)
    jsonl(tmp_path / "plain.jsonl", records)
    assert read_table(tmp_path / "bom.jsonl").drop(columns="_source").equals(read_table(tmp_path / "plain.jsonl").drop(columns="_source"))


def test_broken_json_line_is_named(tmp_path):
    path = tmp_path / "l.jsonl"
    lines = [json.dumps(dict(zip(HEADER, r))) for r in rows()]
    lines[1] = lines[1][:-5]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"l.jsonl: line 2 is not valid JSON"):
        read_table(path)


def test_jsonl_keys_may_change_order_but_not_set(tmp_path):
    records = [dict(zip(HEADER, r)) for r in rows()]
    records[1] = dict(reversed(list(records[1].items())))
    path = tmp_path / "l.jsonl"
    jsonl(path, records)
    assert read_table(path)["card_id"].tolist() == ["c0", "c1", "c2"]
    records[2]["colour"] = "red"
    jsonl(path, records)
    with pytest.raises(InputError, match=r"line 3 has key\(s\) colour that line 1 lacks"):
        read_table(path)


@pytest.mark.parametrize("ext", [".tsv", ".jsonl"])
def test_a_character_cut_off_at_the_end_is_named(tmp_path, ext):
    path = tmp_path / f"l{ext}"
    if ext == ".tsv":
        write_text(path, rows(), "\t")
    else:
        jsonl(path, [dict(zip(HEADER, r)) for r in rows()])
    path.write_bytes(path.read_bytes() + "é".encode()[:1])
    with pytest.raises(InputError, match=r"not UTF-8 at the end of the file \(a character cut off\)"):
        read_table(path)


@pytest.mark.parametrize("ext, tsv_format", [(".tsv", "escaped"), (".jsonl", "quoted")])
def test_a_line_break_in_a_format_that_forbids_it_says_so(tmp_path, ext, tsv_format):
    """Escaped TSV and JSONL hold one record per line: a raw line break inside a field is named as that,
    not as an unmatched quote."""
    path = tmp_path / f"l{ext}"
    if ext == ".tsv":
        path.write_text("\t".join(HEADER) + "\nc0\tCard\thttps://a.org/0\tA title\nover two lines\tabout\n")
        expected = r"line 2 \(data row 1\) has 4 fields; the header has 5 \(escaped TSV holds one record per line: a tab or line break"
    else:
        path.write_text(json.dumps(dict(zip(HEADER, rows(1)[0])))[:-20] + "\n" + json.dumps(dict(zip(HEADER, rows(1)[0])))[-20:] + "\n")
        expected = r"line 1 is not valid JSON \(.*\); JSONL holds one record per line, so a line break inside a value is written"
    with pytest.raises(InputError, match=expected):
        read_table(path, tsv_format)
