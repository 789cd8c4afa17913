"""aboutness.runner: a stage's main() is timed into reports/timing/<stage>.json, and bad input ends it with a
one-line error and exit status 1, not a traceback."""

import json

import pytest

from aboutness.errors import InputError
from aboutness.runner import stage


@stage
def good(item=None):
    print("working")


@stage
def bad():
    raise InputError("labels/mine.tsv: 2 of 8 rows rejected")


def test_a_stage_writes_its_timing_file_one_per_foreach_item(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RANK", raising=False)
    good()
    good("teacher")  # a foreach stage (evaluate@teacher) runs main("teacher")
    timing = sorted(p.name for p in (tmp_path / "reports/timing").iterdir())
    assert timing == ["test_runner.json", "test_runner_teacher.json"]  # named after the stage's module
    seconds = json.loads((tmp_path / "reports/timing/test_runner.json").read_text())
    assert list(seconds) == ["seconds"] and 0 <= seconds["seconds"] < 5
    assert "working\ntest_runner: stage took" in capsys.readouterr().out


def test_bad_input_exits_1_with_one_line_and_writes_no_timing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        bad()
    assert e.value.code == 1
    assert capsys.readouterr().err == "error: labels/mine.tsv: 2 of 8 rows rejected\n"
    assert not (tmp_path / "reports").exists()


def test_only_rank_0_writes_the_timing_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RANK", "1")  # another process of a torchrun run
    good()
    assert not (tmp_path / "reports").exists()


def test_any_other_error_is_not_swallowed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    @stage
    def broken():
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        broken()
    assert not (tmp_path / "reports").exists()
