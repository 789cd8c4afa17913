"""aboutness.labels: ingest and add_ecom count every row, quarantine the bad ones and stop on too many rejects."""

from pathlib import Path

import pandas as pd
import pytest

from aboutness.errors import InputError
from aboutness.labels import check_reject_share, ingest
from conftest import label_row


def test_ingest_counts_every_row_and_fails_on_too_many_rejects(write_labels):
    rows = [label_row(f"c{i}", f"https://a.org/{i}") for i in range(8)] + [label_row("x", "bad-url"), label_row("y", label="?")]
    path = write_labels(rows)
    kept, q, m = ingest([path])
    assert m["rows_in"] == 10 == m["rows_kept"] + m["rows_quarantined"]
    assert m["quarantine"]["invalid_url"] == 1 and m["quarantine"]["unknown_label"] == 1
    assert m["reject_share"] == pytest.approx(0.2)
    assert isinstance(kept, pd.DataFrame) and "_row" not in kept.columns
    check_reject_share(m, 0.2, "ingest.max_reject_share", Path("q.tsv"))
    with pytest.raises(InputError, match=r"2 of 10 rows rejected \(20.0%\), more than ingest.max_reject_share=0.1; reasons are in q.tsv"):
        check_reject_share(m, 0.1, "ingest.max_reject_share", Path("q.tsv"))


def test_rows_in_is_counted_apart_from_the_parser(write_labels, monkeypatch):
    """rows_in comes from the file's lines, so a parser that drops a row is caught (it used to be kept + quarantined)."""
    from aboutness import label_rows as schema

    path = write_labels([label_row(f"c{i}", f"https://a.org/{i}") for i in range(5)])
    real = schema.read_table
    monkeypatch.setattr(schema, "read_table", lambda p, *args: real(p, *args).iloc[:-1])
    with pytest.raises(InputError, match=r"5 records in the files but 4 kept \+ 0 quarantined"):
        ingest([path])


def test_add_ecom_fails_when_its_files_are_mostly_rejected(tmp_path, monkeypatch, capsys, write_labels):
    """add_ecom never applied a reject share: an export with every label misspelt was 100% quarantined, stage green."""
    import yaml

    from aboutness.stages import add_ecom

    monkeypatch.chdir(tmp_path)
    (tmp_path / "labels").mkdir()
    rows = [label_row(f"e{i}", f"https://shop.org/{i}", label="abuot", group="DIY") for i in range(4)]
    pd.DataFrame(rows).to_csv(tmp_path / "labels/ecom.tsv", sep="\t", index=False)
    base = pd.DataFrame([label_row("c1", "https://a.org/1")]).assign(
        card_subtitle="", card_main_type="", card_definition="", doc_body="", group="main", weight=1.0)
    Path("data/labels").mkdir(parents=True)
    base.to_parquet("data/labels/ingested.parquet")
    params = yaml.safe_load((Path(__file__).resolve().parents[1] / "params.yaml").read_text())
    params["ecom"]["labels"] = ["labels/ecom.tsv"]
    Path("params.yaml").write_text(yaml.safe_dump(params))
    with pytest.raises(SystemExit):
        add_ecom.main()
    assert "4 of 4 rows rejected (100.0%), more than ecom.max_reject_share=0.05" in capsys.readouterr().err
    assert len(pd.read_csv("data/quarantine/add_ecom.tsv", sep="\t")) == 4  # the reasons are there to read
