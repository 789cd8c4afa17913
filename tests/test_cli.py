"""aboutness.cli: the `aboutness` command's arguments, and bad input as one `error:` line and exit status 2."""

import argparse

import pytest

from aboutness.cli import batch_size_arg, main


def test_batch_size_is_auto_or_a_whole_number():
    assert batch_size_arg("auto") == "auto" and batch_size_arg("16") == 16
    with pytest.raises(argparse.ArgumentTypeError, match="expected a positive integer or 'auto', got 'big'"):
        batch_size_arg("big")


def test_bad_input_is_one_error_line_and_exit_status_2(tmp_path, capsys):
    shown = tmp_path / "shown.json"
    shown.write_text("[]")  # `dvc exp show --json` of a repo that never ran the pipeline
    assert main(["report", "--json", str(shown)]) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: no experiment has metrics/teacher.json yet; run `dvc repro` first\n" and captured.out == ""
    with pytest.raises(SystemExit) as e:
        main(["predict", "--model", "m"])  # argparse: a usage error, status 2 too
    assert e.value.code == 2 and "--input" in capsys.readouterr().err
