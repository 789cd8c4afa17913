"""aboutness.text: the one place a (card, doc) row becomes model text."""

import numpy as np
import pandas as pd
import pytest

from aboutness.text import card_text, doc_text, first_sentence, insert_sentence, title_names_card

ROWS = pd.DataFrame({"card_title": ["Mercury", "Paris"], "card_subtitle": ["planet", None], "card_main_type": ["", "city"],
                     "doc_title": ["Mercury (planet)", "Rome"], "doc_url": ["https://a.org/m", "https://a.org/r"],
                     "doc_body": ["Small. Hot.", ""]})


def test_fields_join_in_the_given_order_and_empty_or_missing_ones_are_skipped():
    assert card_text(ROWS, ["title", "subtitle", "main_type"]) == ["Mercury | planet", "Paris | city"]
    assert card_text(ROWS, ["main_type", "title"]) == ["Mercury", "city | Paris"]
    assert card_text(ROWS, ["definition", "title"]) == ["Mercury", "Paris"]  # a column the file lacks is empty
    assert doc_text(ROWS, ["title", "url", "body"]) == ["Mercury (planet) | https://a.org/m | Small. Hot.",
                                                        "Rome | https://a.org/r"]


def test_bad_field_lists_are_refused_and_the_body_must_come_last():
    with pytest.raises(ValueError, match=r"card fields \['colour'\]: expected a non-empty list from"):
        card_text(ROWS, ["colour"])
    with pytest.raises(ValueError, match="doc fields"):
        doc_text(ROWS, [])
    with pytest.raises(ValueError, match="'body' must be last so truncation cuts it first"):
        doc_text(ROWS, ["body", "title"])


def test_sentences_title_names_and_inserted_sentences():
    assert first_sentence("Mercury is small. It is hot. 4 moons? None.") == "Mercury is small."
    assert first_sentence("  ") == "" and first_sentence("no end") == "no end"
    assert title_names_card(ROWS).tolist() == [True, False]
    at = {insert_sentence("A b. C d. E f.", "New one.", np.random.default_rng(s)) for s in range(40)}
    assert at == {"New one. A b. C d. E f.", "A b. New one. C d. E f.", "A b. C d. New one. E f.", "A b. C d. E f. New one."}
    assert insert_sentence("", "Only.", np.random.default_rng(0)) == "Only."
