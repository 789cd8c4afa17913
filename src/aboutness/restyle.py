"""Doc titles and urls re-rendered as other sites would render them: augmentation for the student's
distillation rows and the teacher's training rows (`teacher.restyle_share`), and a held-out set of styles
for a valid-only check of what the student learnt.

The student reads only the card's title and main type and the doc's title and url. The pools are drawn
from the demo's own few title and url templates, so a student can learn where the name stands in
*those* templates instead of whether the name is the page's subject; on a site with another title
style it then misses most about pages (docs/student.md). Wrapping a title in a site's affixes never
changes what the page is about, so a restyled row keeps the teacher's score of the page it came from
(the teacher read the body too), and the student learns that the wrapping carries no label.

A page's body can be dressed too: `section_body` lays its sentences out as a data sheet or record
page does, under short headings, and the teacher trains on a share of bodies so laid out
(`teacher.layout_share`); a person reads the same sentences whatever the layout.

Nothing here knows the page's subject: a style wraps the whole title, whatever a user's pool holds.
Two disjoint grammars: `TRAIN` augments the student's and the teacher's rows, `HELD_OUT` builds the valid-only check
(`valid_restyled`), so that the check measures styles the student never trained on. Neither was
written from an eval set: the words of the out-of-domain `elements` pages (element, atlas, periodic,
properties, uses, sources) are kept out of both on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aboutness.text import sentences

WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Grammar:
    """The parts a restyled title and url are drawn from."""
    site_words: tuple[str, ...]      # two of them make a site name, and its host
    topic_words: tuple[str, ...]     # a section a title may carry ("history and facts")
    prefixes: tuple[str, ...]        # {site} {word} {n} fill in
    suffixes: tuple[str, ...]        # {site} {topic} {abbr} {n} fill in
    urls: tuple[str, ...]            # {host} {seg} {n} {code} {slug} fill in
    tlds: tuple[str, ...]


TRAIN = Grammar(
    site_words=("Open", "Green", "Daily", "North", "Bright", "Civic", "Urban", "Silver", "Blue", "Quick", "Prime",
                "Clear", "Smart", "True", "Little", "Grand", "Notes", "Hub", "Base", "Point", "Times", "Index",
                "Digest", "Lexicon", "Press", "Journal", "Library", "Corner", "Review", "Wiki", "Desk", "Network"),
    topic_words=("facts", "overview", "details", "profile", "history", "summary", "meaning", "notes", "background",
                 "key figures", "timeline", "in brief", "explained", "reference", "guide", "everything you need to know"),
    prefixes=("{site}: ", "{site} - ", "{site} | ", "{word} {n}: ", "No. {n}: ", "#{n} ", "{n}. ", "{word}: "),
    suffixes=(" ({abbr})", " ({n})", " - {topic}", ": {topic}", " | {site}", " - {site}", " from {site}",
              " at {site}", " · {site}", " — {topic} | {site}"),
    urls=("https://{host}/{seg}/{n}", "https://{host}/{seg}/{n}-{code}", "https://{host}/{seg}.php?id={n}",
          "https://www.{host}/{slug}", "https://{host}/{seg}/{slug}", "https://{host}/{code}/{n}"),
    tlds=(".com", ".org", ".net", ".info", ".example"),
)

HELD_OUT = Grammar(
    site_words=("Amber", "Cedar", "Harbor", "Maple", "Crest", "Vista", "Summit", "Meadow", "Beacon", "Orbit",
                "Almanac", "Chronicle", "Compendium", "Gazette", "Ledger", "Portal"),
    topic_words=("all the essentials", "what to know", "at a glance", "the basics", "an introduction"),
    prefixes=("{site} › ", "Read: ", "[{word}] ", "{site} ~ ", "Topic {n} » "),
    suffixes=(" ~ {site}", " [{n}]", " (archived)", " :: {topic}", " « {site}", " / {site}", " ({abbr}) » {topic}"),
    urls=("https://{host}/a/{code}{n}", "https://{host}/{n}/{n}", "https://{host}/t/{slug}", "https://m.{host}/{code}"),
    tlds=(".co", ".io", ".site"),
)


# Headings of a body laid out in sections: `TRAIN_HEADINGS` for the teacher's training view, the others
# for the record-page probe (aboutness.probes), so that the probe measures headings training never used.
TRAIN_HEADINGS = ("Overview", "Details", "Background", "Notes", "Summary", "At a glance", "Facts", "Context",
                  "In short", "More")
PROBE_HEADINGS = ("Profile", "Record", "Key points", "Remarks", "Description", "Particulars")


def section_body(body: str, rng: np.random.Generator, headings: tuple[str, ...] = TRAIN_HEADINGS, lead: str = "") -> str:
    """The body's sentences, all of them and in order, laid out in up to three sections ("Notes: ...
    Background: ..."), the headings and the cuts drawn from `rng`; `lead` (a name) goes before the first
    heading, as record pages name their subject there ("<lead> — Profile: ..."). An empty body stays empty."""
    parts = sentences(body)
    if not parts:
        return body
    k = min(len(parts), int(rng.integers(1, 4)))
    cuts = np.sort(rng.choice(np.arange(1, len(parts)), k - 1, replace=False)) if k > 1 else np.array([], dtype=int)
    names = rng.choice(len(headings), k, replace=False)
    chunks = np.split(np.array(parts, dtype=object), cuts)
    text = " ".join(f"{headings[int(h)]}: " + " ".join(c) for h, c in zip(names, chunks))
    return f"{lead} — {text}" if lead else text


# Syllables of made-up site names ("Kalimo", "Brisendor"): the web's site names are unbounded, and a student
# that only ever saw the grammar's few site words can read an unseen one after the title as part of the subject.
SYLLABLES = ("ka", "lo", "mi", "ru", "ve", "zo", "ta", "ne", "bri", "dor", "sen", "fal", "mar", "tis", "gan", "pel",
             "cor", "vin", "sul", "ha", "ri", "po", "ex", "ul")


def invented_word(rng: np.random.Generator) -> str:
    """A made-up, capitalised word of two or three syllables."""
    return "".join(SYLLABLES[int(i)] for i in rng.integers(0, len(SYLLABLES), int(rng.integers(2, 4)))).capitalize()


def letter_code(rng: np.random.Generator, n: int) -> str:
    """`n` random lower-case letters (an id's code, an abbreviation)."""
    return "".join(chr(ord("a") + int(i)) for i in rng.integers(0, 26, n))


def restyle_one(title: str, rng: np.random.Generator, grammar: Grammar = TRAIN, invent: float = 0.0) -> tuple[str, str]:
    """(title, url) of a page titled `title`, as a site drawn from `grammar` would render them: the
    title keeps its text and gains a prefix, a suffix or both, sometimes in one case; the url is the new
    site's, by id or by slug. With probability `invent` the site's first word is made up (`invented_word`),
    and then half the time its second too. Drawn from `rng` alone."""
    words = grammar.site_words
    a, b = (words[int(i)] for i in rng.choice(len(words), 2, replace=False))
    if invent and rng.random() < invent:  # no draw at 0, so the grammar's own draws stay as they were
        a, b = invented_word(rng), invented_word(rng) if rng.random() < 0.5 else b
    fill = {"site": f"{a} {b}", "word": a, "n": int(rng.integers(1, 1000)),
            "topic": grammar.topic_words[int(rng.integers(len(grammar.topic_words)))],
            "abbr": letter_code(rng, int(rng.integers(1, 4))).upper()}
    kind = rng.random()  # prefix alone, suffix alone, or both
    text = title
    if kind < 0.65:
        text += grammar.suffixes[int(rng.integers(len(grammar.suffixes)))].format(**fill)
    if kind >= 0.35:
        text = grammar.prefixes[int(rng.integers(len(grammar.prefixes)))].format(**fill) + text
    case = rng.random()
    text = text.upper() if case < 0.07 else text.lower() if case < 0.14 else text
    slug = "-".join(WORD.findall(title.lower())[:8]) or "page"
    url = grammar.urls[int(rng.integers(len(grammar.urls)))].format(
        host=f"{a}{b}".lower() + grammar.tlds[int(rng.integers(len(grammar.tlds)))], seg=b.lower(),
        n=fill["n"], code=letter_code(rng, 3), slug=slug)
    return text, url


def restyle_rows(df: pd.DataFrame, share: float, rng: np.random.Generator, grammar: Grammar = TRAIN,
                 invent: float = 0.0) -> pd.DataFrame:
    """A copy of `df` with the doc title and url of about `share` of its rows restyled (drawn by `rng`,
    never by a row's label or score), a share `invent` of them on made-up sites; every other column, the
    teacher's scores included, is kept."""
    out = df.copy()
    if not share or df.empty or "doc_title" not in df:  # a student that reads no doc title has nothing to restyle
        return out
    picked = np.flatnonzero(rng.random(len(df)) < share)
    titles = out["doc_title"].fillna("").astype(str).to_numpy(dtype=object)
    urls = np.empty(len(df), dtype=object)
    for i in picked:
        titles[i], urls[i] = restyle_one(titles[i], rng, grammar, invent)
    out["doc_title"] = titles
    if "doc_url" in df:
        out["doc_url"] = np.where(pd.isna(urls), out["doc_url"].to_numpy(dtype=object), urls)
    return out


def restyle_batch(df: pd.DataFrame, key: tuple[int, int], share: float, seed: int, invent: float = 0.0) -> pd.DataFrame:
    """`restyle_rows` for one batch of distillation rows, its draws seeded by the run's seed and where the
    batch starts, so a run restyles the same rows the same way whatever else ran before."""
    return restyle_rows(df, share, np.random.default_rng([seed, 17, *key]), invent=invent)
