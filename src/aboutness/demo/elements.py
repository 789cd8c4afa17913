"""The out-of-domain eval set `elements`: chemical-element data pages built from the element
descriptions shipped in the PyPI package `mendeleev==1.3.0` (MIT licence).

Nothing like the demo's pages: another site (a periodic-table data site), another title style
(the element's name inside a longer title, after the atomic number), urls without the name,
and terse data-sheet text (description, uses, sources, discovery) instead of encyclopedia prose.
It is a check, never a training set or a source of params. Rules in docs/data.md.
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd

from aboutness.demo.wiki import split_first_sentence

PACKAGE = "mendeleev"
SITE = "Periodic Atlas"
# Element names that are also common English words in this text ("lead to", "tin can"); their
# lower-case use is no mention.
COMMON_WORDS = {"lead", "tin"}


def database_path() -> Path:
    """The packaged SQLite database, found without importing the package (its import is slow)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {PACKAGE} is not installed: pip install mendeleev==1.3.0")
    for location in spec.submodule_search_locations:
        path = Path(location) / "elements.db"
        if path.exists():
            return path
    raise FileNotFoundError(f"{PACKAGE} has no elements.db")


def load_elements() -> pd.DataFrame:
    with sqlite3.connect(f"file:{database_path()}?mode=ro", uri=True) as con:
        df = pd.read_sql_query("SELECT atomic_number, symbol, name, description, uses, sources, discoverers, "
                               "discovery_year FROM elements ORDER BY atomic_number", con)
    return df.astype(object).where(df.notna(), "")


def _page(el: pd.Series) -> dict:
    """The element's data page. The description's first sentence is the card's definition and stays out
    of the body, as in the demo, so that the about page cannot be found by copying."""
    first, rest = split_first_sentence(str(el["description"]))
    found = str(el["discoverers"]).strip().rstrip(".")
    year = f" in {int(float(el['discovery_year']))}" if str(el["discovery_year"]).strip() else ""
    parts = [rest, f"Uses: {el['uses']}" if el["uses"] else "", f"Sources: {el['sources']}" if el["sources"] else "",
             f"Discovery: {found}{year}." if found else ""]
    z, sym = int(el["atomic_number"]), str(el["symbol"])
    return {
        "doc_url": f"https://periodic-atlas.example/element/{z:03d}-{sym.lower()}",
        "doc_title": f"Element {z}: {el['name']} ({sym}) - properties, uses and sources | {SITE}",
        "doc_body": " ".join(p.strip() for p in parts if p.strip()),
        "definition": first,
    }


def names_in(text: str, names: list[str]) -> set[str]:
    """Element names that stand in the text as whole words, any case (common words only capitalised)."""
    found = set()
    for name in names:
        flags = 0 if name.lower() in COMMON_WORDS else re.IGNORECASE
        if re.search(rf"\b{re.escape(name)}\b", text, flags):
            found.add(name)
    return found


def build_elements(seed: int) -> pd.DataFrame:
    """Pairs per element card: its own page (about), up to 2 pages whose body names it (mention) and
    3 pages that do not (not_about), drawn with the seed."""
    rng = np.random.default_rng([seed, 11])
    els = load_elements()
    pages = pd.DataFrame([_page(el) for _, el in els.iterrows()])
    names = els["name"].tolist()
    named = [names_in(body, names) for body in pages["doc_body"]]
    rows = []
    for i, el in els.iterrows():
        card = {"card_id": f"elem:{el['symbol']}", "card_title": el["name"],
                "card_subtitle": f"chemical element with symbol {el['symbol']} and atomic number {el['atomic_number']}",
                "card_main_type": "Physical sciences", "card_definition": pages["definition"].iat[i]}
        others = [j for j in range(len(els)) if j != i]
        mentions = [j for j in others if el["name"] in named[j]]
        negatives = [j for j in others if el["name"] not in named[j]]
        picks = [(i, "about")] + [(int(j), "mention") for j in rng.permutation(mentions)[:2]]
        picks += [(int(j), "not_about") for j in rng.permutation(negatives)[:3]]
        for j, label in picks:
            page = pages.iloc[j]
            rows.append({**card, "doc_url": page["doc_url"], "doc_title": page["doc_title"], "doc_body": page["doc_body"],
                         "label": label, "group": "main"})
    return pd.DataFrame(rows)
