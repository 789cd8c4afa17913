

from aboutness.cli.report import load_experiments, render_markdown, rule_warnings
from aboutness.rule_check import beaten_by_rules
from conftest import ROOT

# today's default student (metrics/student.json of the committed run before issue 28) and the rules
STUDENT = {"vital_f1": 0.922, "vital_f1_ci_low": 0.906, "vital_f1_ci_high": 0.938,
           "elements_vital_f1": 0.405, "elements_vital_f1_ci_low": 0.302, "elements_vital_f1_ci_high": 0.506,
           "prod_cards_vital_f1": 0.922, "prod_cards_vital_f1_ci_low": 0.906, "prod_cards_vital_f1_ci_high": 0.938}
RULES = {
    "name_in_title": {"vital_f1": 0.887, "vital_f1_ci_low": 0.867, "vital_f1_ci_high": 0.904,
                      "elements_vital_f1": 1.0, "elements_vital_f1_ci_low": 1.0, "elements_vital_f1_ci_high": 1.0},
    "title_starts": {"vital_f1": 0.5, "vital_f1_ci_low": 0.45, "vital_f1_ci_high": 0.55,
                     "elements_vital_f1": 0.0, "elements_vital_f1_ci_low": 0.0, "elements_vital_f1_ci_high": 0.0},
    "majority": {"vital_f1": 0.0, "elements_vital_f1": 0.99, "elements_vital_f1_ci_low": 0.99},
}


def test_the_warning_fires_on_todays_student_out_of_domain_and_names_the_rule():
    beaten = beaten_by_rules(STUDENT, RULES)
    assert [(b.set_name, b.rule) for b in beaten] == [("elements", "name_in_title")]
    line = beaten[0].line("student")
    assert "student on elements" in line and "40.5" in line and "name_in_title at 100.0" in line


def test_the_warning_is_silent_where_the_model_wins_or_the_intervals_overlap():
    winner = {**STUDENT, "elements_vital_f1": 0.95, "elements_vital_f1_ci_low": 0.9, "elements_vital_f1_ci_high": 1.0}
    assert beaten_by_rules(winner, RULES) == []
    close = {**STUDENT, "elements_vital_f1": 0.93, "elements_vital_f1_ci_low": 0.85, "elements_vital_f1_ci_high": 0.99}
    rules = {"name_in_title": {**RULES["name_in_title"], "elements_vital_f1": 0.995, "elements_vital_f1_ci_low": 0.985}}
    assert beaten_by_rules(close, rules) == []  # the rule is higher, but not beyond the model's interval
    # a rule beaten on test is no warning either
    assert [b.set_name for b in beaten_by_rules(STUDENT, {"name_in_title": {**RULES["name_in_title"],
                                                                            "vital_f1_ci_low": 0.95}})] == ["test", "elements"]


def test_report_flags_the_beaten_cell_and_prints_a_warning_line():
    rows = load_experiments((ROOT / "tests/fixtures/exp_show.json").read_text())
    before = rule_warnings(rows)                                   # the fixture's tiny teachers lose on test
    assert before and not any("on elements" in x for x in before)
    for r in rows:
        r["student"] = {**r["student"], **{k: v for k, v in STUDENT.items() if k.startswith("elements")}}
        r["baselines"] = {**r["baselines"], **{f"name_in_title.{k}": v for k, v in RULES["name_in_title"].items()
                                                if k.startswith("elements")}}
        r["teacher"] = {**r["teacher"], "elements_vital_f1": 0.99, "elements_vital_f1_ci_low": 0.97,
                        "elements_vital_f1_ci_high": 1.0}
    md = render_markdown(rows)
    assert "### Vital F1 on every eval set" in md and "⚠ beaten by name_in_title" in md
    new = [x for x in rule_warnings(rows) if x not in before]
    assert new and all("on elements" in x and "student of" in x and "name_in_title" in x for x in new)
