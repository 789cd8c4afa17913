"""aboutness.label_rows: required columns, per-row validation into the quarantine, canonical urls and text, merged
duplicates and label conflicts."""

import pytest

from aboutness.errors import InputError
from aboutness.label_rows import canonical_url, clean_text, load_labels
from conftest import label_row


def test_missing_required_column_names_file_and_column(write_labels):
    path = write_labels([{"card_id": "c1", "card_title": "X", "doc_url": "https://a.org/", "label": "about"}])
    with pytest.raises(InputError) as e:
        load_labels([path])
    assert str(path) in str(e.value) and "doc_title" in str(e.value)


@pytest.mark.parametrize(
    "bad, reason, column",
    [
        ({"label": "vital"}, "unknown_label", "label"),
        ({"doc_title": "   "}, "empty_field", "doc_title"),
        ({"card_title": ""}, "empty_field", "card_title"),
        ({"doc_url": "www.example.org/page"}, "invalid_url", "doc_url"),
        ({"doc_url": "javascript:alert(1)"}, "invalid_url", "doc_url"),
        ({"weight": "-1"}, "bad_weight", "weight"),
    ],
)
def test_bad_value_quarantines_only_its_row(write_labels, bad, reason, column):
    rows = [label_row("c1", "https://a.org/1"), label_row("c2", "https://a.org/2", **bad), label_row("c3", "https://a.org/3")]
    path = write_labels(rows)
    kept, q = load_labels([path])
    assert list(kept["card_id"]) == ["c1", "c3"]
    assert len(q) == 1
    assert q.iloc[0][["reason", "column", "_row", "_source"]].tolist() == [reason, column, 2, str(path)]


def test_non_utf8_file_names_line(tmp_path):
    path = tmp_path / "latin1.tsv"
    text = "card_id\tcard_title\tdoc_url\tdoc_title\tlabel\nc1\tX\thttps://a.org/\tok\tabout\nc2\tCaf\xe9\thttps://a.org/b\tb\tabout\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.tsv: not UTF-8 at line 3 \(data row 2\)"):
        load_labels([path])


def test_unknown_extension_and_empty_file(tmp_path):
    xlsx = tmp_path / "labels.xlsx"
    xlsx.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"labels.xlsx: a spreadsheet; save it as CSV or TSV first, e.g. python -c "
                                         r"\"import pandas as pd; pd.read_excel\('.*labels.xlsx', dtype=str\).to_csv\('.*labels.tsv'"):
        load_labels([xlsx])
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match=r"empty.csv: file is empty"):
        load_labels([empty])
    header_only = tmp_path / "header.tsv"
    header_only.write_text("card_id\tcard_title\tdoc_url\tdoc_title\tlabel\n")
    with pytest.raises(InputError, match=r"header.tsv: no data rows"):
        load_labels([header_only])


@pytest.mark.parametrize("name", ["l.tsv", "l.csv", "l.jsonl", "l.parquet"])
def test_every_format_reads_the_same(write_labels, name):
    rows = [label_row("c1", "https://a.org/1", card_subtitle="Planet"), label_row("c2", "https://a.org/2", label="mention")]
    kept, q = load_labels([write_labels(rows, name)])
    assert kept[["card_id", "label", "card_subtitle", "group", "weight"]].values.tolist() == [
        ["c1", "about", "Planet", "main", 1.0], ["c2", "mention", "", "main", 1.0]]
    assert len(q) == 0


def test_normalisation():
    assert clean_text("  Cafe\u0301 \t au\n lait ") == "Caf\u00e9 au lait"
    assert canonical_url("HTTPS://Example.ORG:443/a%20b#frag") == "https://example.org/a%20b"
    assert canonical_url("http://example.org") == "http://example.org/"
    assert canonical_url("https://en.wikipedia.org/wiki/S\u00e3o_Paulo") == canonical_url(
        "https://en.wikipedia.org/wiki/S%C3%A3o_Paulo")
    assert canonical_url("ftp://example.org/x") is None


def test_duplicates_merge_and_conflicts_resolve_by_weight(write_labels):
    rows = [
        label_row("c1", "https://a.org/1", "about"),
        label_row("c1", "HTTPS://A.ORG/1#top", "about"),          # same pair after canonicalisation
        label_row("c2", "https://a.org/2", "mention", weight="2"),
        label_row("c2", "https://a.org/2", "not_about"),           # outvoted 2 : 1
        label_row("c3", "https://a.org/3", "mention"),
        label_row("c3", "https://a.org/3", "about"),               # tie: nobody wins
    ]
    kept, q = load_labels([write_labels(rows)])
    assert kept[["card_id", "label"]].values.tolist() == [["c1", "about"], ["c2", "mention"]]
    assert sorted(q["reason"]) == ["conflict_outvoted", "duplicate", "label_tie", "label_tie"]
    assert len(kept) + len(q) == len(rows)
