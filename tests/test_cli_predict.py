"""aboutness.cli.predict: `aboutness predict` refuses bad input with a one-line error before any model loads."""

import pytest

from aboutness.cli import main as cli


def test_predict_reports_a_malformed_file(tmp_path, capsys):
    inp = tmp_path / "pairs.csv"
    inp.write_text("card_id,card_title,doc_title\nc1,Mercury,Mercury\n")
    code = cli(["predict", "--model", str(tmp_path / "no_model"), "--input", str(inp), "--output", str(tmp_path / "o.tsv")])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{inp}: missing required column(s) doc_url (header row 1)" in err
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("card_id\tcard_title\tdoc_url\tdoc_title\nc1\tCaf\xe9\thttps://a.org/\tx\n".encode("latin-1"))
    assert cli(["predict", "--model", str(tmp_path / "m"), "--input", str(latin), "--output", str(tmp_path / "o.tsv")]) == 2
    assert "latin.tsv: not UTF-8 at line 2" in capsys.readouterr().err
    good = tmp_path / "good.tsv"
    good.write_text("card_id\tcard_title\tdoc_url\tdoc_title\nc1\tX\thttps://a.org/\tx\n")
    assert cli(["predict", "--model", str(tmp_path / "nowhere"), "--input", str(good), "--output", str(tmp_path / "o.tsv")]) == 2
    assert "no aboutness.json" in capsys.readouterr().err


def test_predict_refuses_to_overwrite_its_input(tmp_path):
    from aboutness.cli.predict import predict_file
    from aboutness.errors import InputError

    inp = tmp_path / "pairs.tsv"
    inp.write_text("card_id\tdoc_url\n1\thttps://example.org/a\n", encoding="utf-8")
    before = inp.read_bytes()
    link = tmp_path / "link.tsv"
    link.symlink_to(inp)
    for out in (inp, link, tmp_path / "." / "pairs.tsv"):
        with pytest.raises(InputError, match="is the input file"):
            predict_file(tmp_path / "no-model", inp, out)  # refused before any model loads
    assert inp.read_bytes() == before
