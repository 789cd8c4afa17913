"""Which eval sets a baseline wins on beyond both intervals: a model that a one-line rule beats there
has learnt that set's sites, not aboutness, and a user who ships it must hear so.

Light on purpose (no torch, no sklearn): `evaluate` and `aboutness report` both call it.
"""

from __future__ import annotations

from dataclasses import dataclass

# majority never wins vital F1 (it calls nothing about); every other baseline is a rule or TF-IDF
CHALLENGERS = ("title_equals", "title_starts", "name_in_title", "title_starts_stripped", "tfidf_logreg")
METRIC = "vital_f1"


@dataclass(frozen=True)
class Beaten:
    """On `set_name`, `rule` beats the model: the rule's interval lies wholly above the model's."""
    set_name: str
    rule: str
    rule_f1: float
    rule_low: float
    model_f1: float
    model_high: float

    def line(self, model: str) -> str:
        return (f"WARNING: {model} on {self.set_name}: vital F1 {100 * self.model_f1:.1f} (95% CI up to "
                f"{100 * self.model_high:.1f}) is beaten by the rule {self.rule} at {100 * self.rule_f1:.1f} "
                f"(from {100 * self.rule_low:.1f}): the model has not learnt what the rule knows on these pages")


def set_names(metrics: dict) -> list[str]:
    """The sets a flat metrics dict holds: 'test' (unprefixed keys) and each `<set>_vital_f1`."""
    names = ["test"] if METRIC in metrics else []
    return names + sorted(k[: -len(METRIC) - 1] for k in metrics
                          if k.endswith(f"_{METRIC}") and f"{k}_ci_high" in metrics and k != METRIC)


def set_key(set_name: str, name: str = METRIC) -> str:
    """A set's metric as metrics/<model>.json names it: the test split's unprefixed, another set's `<set>_<name>`."""
    return name if set_name == "test" else f"{set_name}_{name}"


def beaten_by_rules(model: dict, baselines: dict[str, dict]) -> list[Beaten]:
    """Every (set, baseline) where the baseline's vital F1 interval lies above the model's: the best such
    baseline per set. `model` is one model's flat metrics (metrics/<model>.json); `baselines` maps each
    baseline's name to its flat metrics (metrics/baselines.json)."""
    found = []
    for set_name in set_names(model):
        f1, high = model.get(set_key(set_name, METRIC)), model.get(set_key(set_name, f"{METRIC}_ci_high"))
        if f1 is None or high is None:
            continue
        winners = []
        for rule in CHALLENGERS:
            m = baselines.get(rule) or {}
            r_f1, r_low = m.get(set_key(set_name, METRIC)), m.get(set_key(set_name, f"{METRIC}_ci_low"))
            if r_f1 is not None and r_low is not None and r_low > high:
                winners.append(Beaten(set_name, rule, r_f1, r_low, f1, high))
        if winners:
            found.append(max(winners, key=lambda b: b.rule_f1))
    return found
