"""The headline figures: the few numbers of each result that dvc.yaml declares as metrics, so that `dvc metrics
show` and `dvc metrics diff` stay readable (issue 35). Every number, these included, stays in the stage's detail
file under reports/, which `aboutness report` reads; a headline key has the name it has there.

Light on purpose (no torch, no sklearn): the `evaluate` and `baselines` stages call it.
"""

from __future__ import annotations

from typing import Any

from aboutness.rule_check import CHALLENGERS, METRIC, set_key, set_names

# The numbers our metrics files may hold in all, on the default data (two eval sets): DVCLive's training
# metrics come on top, and `dvc metrics show` must stay under 60. Each further eval set adds 3 (one per model,
# one for the rules).
BUDGET = 50
TEST_KEYS = tuple(f"{m}{b}" for m in ("vital_f1", "macro_f1", "accuracy") for b in ("", "_ci_low", "_ci_high"))
GROUPS = ("main", "DIY", "CEHAC", "Pharma")  # the e-commerce table's groups; a group of other data stays in the detail
PROBE_PREFIX = "probe_"
BEST_RULE = f"best_rule_{METRIC}"


def model_headline(metrics: dict[str, Any]) -> dict[str, Any]:
    """One model's headline from its flat metrics (reports/<model>.json): vital F1, macro-F1 and accuracy on
    test with their 95% intervals, the accuracy of each group of GROUPS that test holds, the vital F1 on each
    eval set, and every probe pass rate (`probe_*`; fewer apply to the student)."""
    missing = [k for k in TEST_KEYS if k not in metrics]
    if missing:
        raise ValueError(f"headline: the model's metrics lack {', '.join(missing)}")
    keys = [*TEST_KEYS, *(f"accuracy_{g}" for g in GROUPS if f"accuracy_{g}" in metrics)]
    keys += [set_key(s) for s in set_names(metrics) if s != "test"]
    keys += sorted(k for k in metrics if k.startswith(PROBE_PREFIX))
    return {k: metrics[k] for k in keys}


def baselines_headline(baselines: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The best rule's vital F1 on test (`best_rule_vital_f1`) and on each eval set (`<set>_best_rule_vital_f1`),
    from the baselines' flat metrics by name (reports/baselines.json): set by set, the highest of the rules and
    TF-IDF that the "beaten by a rule" warning checks (rule_check.CHALLENGERS), the figure a model must beat."""
    rules = [baselines[r] for r in CHALLENGERS if r in baselines]
    if not any(METRIC in m for m in rules):
        raise ValueError(f"headline: no baseline of {', '.join(CHALLENGERS)} has a test {METRIC}")
    sets = sorted({s for m in rules for s in set_names(m)}, key=lambda s: (s != "test", s))
    return {set_key(s, BEST_RULE): max(m[set_key(s)] for m in rules if set_key(s) in m) for s in sets}


def count_numbers(doc: Any) -> int:
    """The numbers in a JSON document, nested ones included: what `dvc metrics show` lists of a metrics file."""
    if isinstance(doc, dict):
        return sum(count_numbers(v) for v in doc.values())
    if isinstance(doc, list):
        return sum(count_numbers(v) for v in doc)
    return int(isinstance(doc, int | float) and not isinstance(doc, bool))
