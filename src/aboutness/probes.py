"""Behavioural probes of a model, in the spirit of CheckList (Ribeiro et al., ACL 2020): each probe is a
seeded transformation of real pairs with an expected outcome, so a model that reads a page as a person
would passes it whatever the site (issue 34). Probes are built from valid for diagnosis and tuning and
from test for the reported figures; nothing here knows a model.

- INV probes: the vital decision must not change (`inv_site`, `inv_case`).
- DIR probes: the outcome is known whatever the original decision: `dir_title_only`, `dir_short_body`,
  `inv_prod_card` and `dir_record_page` stay about, `dir_swap` becomes not about, `dir_mention_insert` becomes a mention.
A probe that changes no field a model reads, or that needs a class the model lacks (a mention, for a
vital-only student), does not apply to it: `applies` says so, and a report shows "n/a", never a pass.
One exception, by design: a probe that only empties fields (`strips`) tests a model that never reads
them on exactly the probed input, so it applies. The student reads the doc's title and url and a
production card: a title-only page and a production card are what it always sees, and whether it calls
such an about page about is the behaviour those two probes test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aboutness.restyle import PROBE_HEADINGS, letter_code, section_body
from aboutness.text import first_sentence, insert_sentence, title_names_card

# Sites and title dress no training page uses (the demo's web.py and the student's restyle grammars use others)
SITES = ("Glossarium", "Lexiconia", "Termbank", "Wordhoard", "Encyclopedix")
TITLE_STYLES = ("{title} from {site}", "{site}: {title}", "{title} — definition and meaning", "{title}")
URL_STYLES = ("https://{host}/{id}", "https://{host}/term/{slug}")
# Record pages of a reference database: the name inside a longer title, after a number or before a code and
# a list of sections, an opaque url, and a body laid out under headings (restyle.PROBE_HEADINGS)
RECORD_SITES = ("Factgrid", "Registrum", "Datapedia")
RECORD_TITLES = ("Record {n}: {title} ({code}) - {a}, {b} and {c} | {site}", "{title} [{code}] · {a} and {b} · {site}",
                 "{site} entry {n} / {title}: {a}, {b}")
RECORD_TOPICS = ("facts", "figures", "details", "history", "background", "notes", "data")


@dataclass(frozen=True)
class Probe:
    name: str                    # the metric is probe_<name>
    expect: str                  # "unchanged" (the original vital decision), "about", "not_about" or "mention"
    changes: tuple[str, ...]     # the text fields the probe changes (card_* and doc_* names without prefix)
    bar: float                   # the teacher's goal (issue 34): `evaluate` and the report warn under it
    student_bar: float | None = None  # the student's goal, where it has one
    strips: bool = False         # it only empties the fields it changes


PROBES = (
    Probe("inv_site", "unchanged", ("doc_title", "doc_url"), 0.95, student_bar=0.95),
    Probe("inv_case", "unchanged", ("doc_title",), 0.95, student_bar=0.95),
    Probe("dir_title_only", "about", ("doc_body",), 0.90, student_bar=0.90, strips=True),
    Probe("dir_short_body", "about", ("doc_body",), 0.90),
    Probe("dir_swap", "not_about", ("doc_title", "doc_url", "doc_body"), 0.95),
    Probe("dir_mention_insert", "mention", ("doc_body",), 0.80),
    Probe("inv_prod_card", "about", ("card_subtitle", "card_definition"), 0.95, strips=True),
    Probe("dir_record_page", "about", ("doc_title", "doc_url", "doc_body"), 0.90),
)
BY_NAME = {p.name: p for p in PROBES}


def applies(probe: Probe, text_cfg: dict, three_class: bool) -> bool:
    """Whether `probe` says anything about a model with these text fields (its `aboutness.json` text config)."""
    fields = {f"card_{f}" for f in text_cfg["card_fields"]} | {f"doc_{f}" for f in text_cfg["doc_fields"]}
    return (probe.strips or bool(fields & set(probe.changes))) and (three_class or probe.expect != "mention")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def build(name: str, pairs: pd.DataFrame, seed: int, n: int = 200) -> pd.DataFrame:
    """Probe `name` on up to `n` of `pairs` (drawn by seed alone among the pairs it applies to): the probed
    rows, with `orig` (the row's position in `pairs`, whatever its index, to compare with the original decision) and `expect`."""
    rng = np.random.default_rng([seed, PROBES.index(BY_NAME[name])])
    about = (pairs["label"] == "about").to_numpy()
    if name in ("inv_site", "inv_case"):
        pool = np.arange(len(pairs))
    elif name == "dir_mention_insert":
        pool = np.flatnonzero(pairs["label"] == "not_about")
    elif name in ("inv_prod_card", "dir_title_only"):  # with no body (or card) left, the title must name the card
        pool = np.flatnonzero(about & title_names_card(pairs))
    elif name == "dir_record_page":  # the record names the page's own subject, above a body to lay out
        pool = np.flatnonzero(about & title_names_card(pairs) & pairs["doc_body"].fillna("").str.strip().ne("").to_numpy())
    elif name == "dir_swap":  # a card needs another card of its main type to swap with
        counts = pairs.loc[about, "card_main_type"].value_counts()
        pool = np.flatnonzero(about & pairs["card_main_type"].map(counts).fillna(0).gt(1).to_numpy())
    else:
        pool = np.flatnonzero(about)
    pick = np.sort(rng.permutation(pool)[:n])
    original = pairs.iloc[pick]
    out = original.copy()
    out["orig"] = pick
    if name == "inv_site":
        sites = rng.integers(len(SITES), size=len(out))
        titles = rng.integers(len(TITLE_STYLES), size=len(out))
        urls = rng.integers(len(URL_STYLES), size=len(out))
        out["doc_title"] = [TITLE_STYLES[t].format(title=d, site=SITES[s]) for d, s, t in zip(out["doc_title"], sites, titles)]
        out["doc_url"] = [URL_STYLES[u].format(host=f"{SITES[s].lower()}.example", id=int(rng.integers(10**6, 10**7)),
                                               slug=_slug(d)) for d, s, u in zip(original["doc_title"], sites, urls)]
    elif name == "inv_case":
        upper = rng.random(len(out)) < 0.5
        out["doc_title"] = [d.upper() if u else d.lower() for d, u in zip(out["doc_title"], upper)]
    elif name == "dir_title_only":
        out["doc_body"] = ""
    elif name == "dir_short_body":
        out["doc_body"] = out["doc_body"].map(first_sentence)
    elif name == "dir_swap":
        out = _swap(out, rng)
    elif name == "dir_mention_insert":
        out["doc_body"] = [_insert(body, card, rng) for body, card in zip(out["doc_body"], out["card_title"])]
    elif name == "inv_prod_card":
        out["card_subtitle"], out["card_definition"] = "", ""
    elif name == "dir_record_page":
        out = _record_page(out, rng)
    out["expect"] = BY_NAME[name].expect
    return out.reset_index(drop=True)


def _record_page(out: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each about page as a record page of a reference database: the card's name inside a record title, an
    opaque url, and the page's body, every sentence in order, under headings, the first led by the name
    (restyle.section_body). Only pages whose title names the card are probed, so the name is the page's."""
    out = out.copy()
    titles, urls, bodies = [], [], []
    for card, body in zip(out["card_title"], out["doc_body"]):
        site = RECORD_SITES[int(rng.integers(len(RECORD_SITES)))]
        a, b, c = rng.choice(RECORD_TOPICS, 3, replace=False)
        code, n = letter_code(rng, 3).upper(), int(rng.integers(1, 1000))
        titles.append(RECORD_TITLES[int(rng.integers(len(RECORD_TITLES)))].format(title=card, site=site, n=n, code=code,
                                                                                  a=a, b=b, c=c))
        urls.append(f"https://{site.lower()}.example/r/{n:04d}-{code.lower()}")
        bodies.append(section_body(str(body), rng, PROBE_HEADINGS, lead=str(card)))
    out["doc_title"], out["doc_url"], out["doc_body"] = titles, urls, bodies
    return out


def _swap(out: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Each card gets the about page of another card of its main type (a shuffle with no fixed point)."""
    doc_cols = [c for c in out.columns if c.startswith("doc_")]
    before, cards = out[doc_cols].to_numpy(), out["card_id"].to_numpy()
    docs = before.copy()
    keep = np.ones(len(out), dtype=bool)
    for _, idx in out.groupby("card_main_type").indices.items():
        shift = rng.permutation(idx)
        docs[shift] = before[np.roll(shift, 1)]  # a cycle: no row keeps its own page
        keep[shift] = cards[shift] != cards[np.roll(shift, 1)]  # nor gets another about page of its own card
    out = out.copy()
    out[doc_cols] = docs
    out["label"] = "not_about"
    return out[keep]


def _insert(body: str, card: str, rng: np.random.Generator) -> str:
    """The body with one sentence naming the card put between two of its sentences. Training never uses
    this sentence (augment.MENTION_SENTENCES are others), so the probe measures a mention it never saw."""
    return insert_sentence(body, f"It is often compared with {card}.", rng)


def pass_rate(probe: Probe, probed: pd.DataFrame, vital: np.ndarray, predicted: np.ndarray, original_vital: np.ndarray) -> float:
    """Share of probed rows with the expected outcome: `vital`/`predicted` are the model's decisions on the
    probed rows, `original_vital` its vital decisions on the original pairs (indexed by `orig`)."""
    if not len(probed):
        return float("nan")
    if probe.expect == "unchanged":
        return float((np.asarray(vital, bool) == np.asarray(original_vital, bool)[probed["orig"].to_numpy()]).mean())
    if probe.expect == "mention":
        return float((np.asarray(predicted) == "mention").mean())
    return float((np.asarray(vital, bool) == (probe.expect == "about")).mean())


def bar_of(probe: Probe, role: str) -> float | None:
    """The pass rate `role` ("teacher" or "student") is held to on `probe`; None where it has no goal."""
    return probe.bar if role == "teacher" else probe.student_bar


def probe_warnings(metrics: dict, role: str, who: str) -> list[str]:
    """One line per probe whose pass rate in `metrics` (`probe_<name>` keys) is under the bar of `role`."""
    lines = []
    for p in PROBES:
        rate, bar = metrics.get(f"probe_{p.name}"), bar_of(p, role)
        if rate is not None and bar is not None and rate < bar:
            lines.append(f"WARNING: {who}: probe {p.name} passes {100 * rate:.1f}%, under its bar of {100 * bar:.0f}% "
                         "(docs/probes.md)")
    return lines
