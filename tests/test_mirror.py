"""Tests mirror the code (issue 35): every library module src/aboutness/<a>/<b>.py has its unit test file
tests/test_<a>_<b>.py (a package's __init__.py: tests/test_<a>.py), so the tests of a module are found by its name.
The stages (aboutness.stages) are thin main()s that the end-to-end tests in tests/e2e/ run; they need no file here."""

from pathlib import Path

from package_imports import ROOT, SRC, package_modules

TESTS = ROOT / "tests"
STAGES = "aboutness.stages"
# library modules with no unit test file of their own, and why
WITHOUT_TEST_FILE = {
    "aboutness": "the package's __init__.py holds __version__ and nothing else",
    "aboutness.errors": "one exception class, no logic; every test that expects an InputError exercises it",
}


def unit_test_file(module: str) -> str:
    """aboutness.demo.wiki -> test_demo_wiki.py; the package aboutness.cli -> test_cli.py."""
    return "test_" + "_".join(module.split(".")[1:]) + ".py"


def library_modules(src: Path) -> list[str]:
    return [m for m in package_modules(src) if m != STAGES and not m.startswith(STAGES + ".")]


def missing_test_files(src: Path, tests: Path, allowed=WITHOUT_TEST_FILE) -> list[str]:
    return [f"{m}: no tests/{unit_test_file(m)}" for m in library_modules(src)
            if m not in allowed and not (tests / unit_test_file(m)).exists()]


def test_the_rule_names_each_module_without_its_test_file(tmp_path):
    src, tests = tmp_path / "src", tmp_path / "tests"
    for path in ("aboutness/__init__.py", "aboutness/a.py", "aboutness/sub/__init__.py", "aboutness/sub/b.py",
                 "aboutness/stages/__init__.py", "aboutness/stages/x.py"):
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text("")
    tests.mkdir()
    (tests / "test_a.py").write_text("")
    assert missing_test_files(src, tests, allowed={}) == ["aboutness: no tests/test_.py", "aboutness.sub: no tests/test_sub.py",
                                                           "aboutness.sub.b: no tests/test_sub_b.py"]
    (tests / "test_sub_b.py").write_text("")
    assert missing_test_files(src, tests, allowed={"aboutness": "", "aboutness.sub": ""}) == []


def test_every_library_module_has_its_test_file():
    assert missing_test_files(SRC, TESTS) == []


def test_the_modules_allowed_no_test_file_exist_and_still_have_none():
    """An entry whose module is gone or has gained a test file is stale: drop it."""
    modules = library_modules(SRC)
    assert [m for m in WITHOUT_TEST_FILE if m not in modules or (TESTS / unit_test_file(m)).exists()] == []
