"""Training views of labelled pairs that keep their label, for the teacher (issue 34).

A teacher trained on full pages and full cards only learns to judge a page by how well its body
continues the card's definition: blank the definition and it calls about pages not about; empty the
body and it no longer sees that the title names the entity (docs/probes.md). Each view below changes
what a person would not let change the label, in a share of the training rows drawn from the seed
alone (never from a row's label beyond the rule each view states); valid, test and the pools keep
their rows as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aboutness.restyle import restyle_rows, section_body
from aboutness.text import first_sentence, insert_sentence, title_names_card

if TYPE_CHECKING:  # the schema's types, for hints only
    from aboutness.params import Teacher


def drop_card_fields(train: pd.DataFrame, fields: list[str], share: float, seed: int) -> pd.DataFrame:
    """Blank each card field but the title in `share` of the training rows, drawn independently per field.

    Many user cards lack a subtitle or a definition; a teacher that only ever saw full cards reads a
    missing definition as evidence against "about" (issue 12)."""
    if not share:
        return train
    rng = np.random.default_rng([seed, 13])
    out = train.copy()
    for field in fields:
        col = f"card_{field}"
        if field != "title" and col in out:
            out[col] = out[col].where(rng.random(len(out)) >= share, "")
    return out


def production_cards(train: pd.DataFrame, keep: list[str], share: float, seed: int) -> pd.DataFrame:
    """In `share` of the rows, the card as production has it: every card field outside `keep` blanked
    together (the student's `model.card_fields`, title and main type by default)."""
    if not share:
        return train
    picked = np.random.default_rng([seed, 14]).random(len(train)) < share
    out = train.copy()
    for col in [c for c in out.columns if c.startswith("card_") and c.removeprefix("card_") not in keep]:
        if col != "card_id":
            out.loc[picked, col] = ""
    return out


def drop_bodies(train: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """In `share` of the about and not-about rows, the body emptied (half of them) or cut to its first
    sentence (the other half). A page titled with the entity's name stays about it with no body, and a
    page about something else stays so; an about page whose title does not name the card (a product
    page titled by brand and model) is only cut, never emptied. Mentions keep their body: the sentence
    that names the card may be the part cut away, and then the page would be not about."""
    if not share:
        return train
    rng = np.random.default_rng([seed, 15])
    draw, cut = rng.random(len(train)), rng.random(len(train)) < 0.5
    about = (train["label"] == "about").to_numpy()
    cut |= about & ~title_names_card(train)
    picked = (draw < share) & (train["label"] != "mention").to_numpy()
    out = train.copy()
    bodies = out["doc_body"].fillna("").astype(str).to_numpy(dtype=object)
    bodies[picked & ~cut] = ""
    bodies[picked & cut] = [first_sentence(b) for b in bodies[picked & cut]]
    out["doc_body"] = bodies
    return out


# Sentences that name a card in passing. The mention probe's sentence ("It is often compared with ...") is
# not among them, so the probe measures mentions worded as training never worded them.
MENTION_SENTENCES = (
    "See also {card}.",
    "{card} is covered in a separate article.",
    "Some sources discuss it alongside {card}.",
    "This should not be confused with {card}.",
    "Readers may also be interested in {card}.",
    "A similar case is {card}.",
)


def insert_mentions(train: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """In `share` of the not-about rows whose body does not name the card, one sentence that names it put
    into the body, and the label made `mention`: a page about something else that names the entity is a
    mention of it (docs/data.md)."""
    if not share:
        return train
    rng = np.random.default_rng([seed, 18])
    # a not-about page that already names the card (a homonym, a longer name) keeps its label as it is
    named = np.array([c.casefold() in str(b).casefold() for c, b in zip(train["card_title"], train["doc_body"])], dtype=bool)
    picked = np.flatnonzero((rng.random(len(train)) < share) & (train["label"] == "not_about").to_numpy() & ~named)
    out = train.copy()
    bodies = out["doc_body"].fillna("").astype(str).to_numpy(dtype=object)
    for i in picked:
        sentence = MENTION_SENTENCES[int(rng.integers(len(MENTION_SENTENCES)))].format(card=out["card_title"].iat[i])
        bodies[i] = insert_sentence(bodies[i], sentence, rng)
    out["doc_body"] = bodies
    out.iloc[picked, out.columns.get_loc("label")] = "mention"
    return out


def layout_bodies(train: pd.DataFrame, share: float, seed: int) -> pd.DataFrame:
    """In `share` of the rows, whatever their label, the body laid out in sections under short headings
    (`restyle.section_body`), every sentence kept in order. The demo's bodies are all running prose, so a
    teacher may learn that a page is about the card when its body reads as prose continuing the card's
    definition, and call a data sheet of the same entity a mention (docs/probes.md). No heading names the
    card, so the layout carries no label."""
    if not share:
        return train
    rng = np.random.default_rng([seed, 18])
    picked = np.flatnonzero(rng.random(len(train)) < share)
    out = train.copy()
    bodies = out["doc_body"].fillna("").astype(str).to_numpy(dtype=object)
    for i in picked:
        bodies[i] = section_body(bodies[i], rng)
    out["doc_body"] = bodies
    return out


def teacher_views(train: pd.DataFrame, cfg: Teacher, card_fields: list[str], prod_fields: list[str], seed: int) -> pd.DataFrame:
    """Every view the teacher's params ask for, drawn independently of one another: card dropout, production
    cards, body dropout, inserted mentions, bodies laid out in sections, and doc titles and urls restyled as
    other sites render them (`restyle.TRAIN`, a share `restyle_invented` of them on made-up sites)."""
    out = drop_card_fields(train, card_fields, cfg.card_dropout, seed)
    out = production_cards(out, prod_fields, cfg.prod_card_share, seed)
    out = drop_bodies(out, cfg.body_dropout, seed)
    out = insert_mentions(out, cfg.mention_share, seed)
    out = layout_bodies(out, cfg.layout_share, seed)
    return restyle_rows(out, cfg.restyle_share, np.random.default_rng([seed, 16]), invent=cfg.restyle_invented)
