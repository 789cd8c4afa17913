"""aboutness.columns: the class names and the columns of a label file and a pool file."""

from aboutness.columns import (
    CARD_FIELD_NAMES,
    CARD_FIELDS,
    COLUMNS,
    DOC_FIELD_NAMES,
    LABEL_ID,
    LABELS,
    OPTIONAL,
    POOL_COLUMNS,
    REQUIRED,
)


def test_a_pool_has_the_label_files_columns_without_label_in_the_same_order():
    assert POOL_COLUMNS == tuple(c for c in COLUMNS if c != "label") and len(POOL_COLUMNS) == len(COLUMNS) - 1
    assert "label" in COLUMNS and "label" not in POOL_COLUMNS


def test_every_column_is_required_optional_or_the_label_and_the_field_names_match_the_columns():
    assert set(REQUIRED) | set(OPTIONAL) | {"label"} == set(COLUMNS)
    assert not set(REQUIRED) & set(OPTIONAL) and len(set(COLUMNS)) == len(COLUMNS)
    assert CARD_FIELDS == tuple(f"card_{f}" for f in CARD_FIELD_NAMES)
    assert {f"doc_{f}" for f in DOC_FIELD_NAMES} <= set(COLUMNS) and set(CARD_FIELDS) <= set(COLUMNS)


def test_class_ids_follow_the_order_of_the_labels():
    assert LABELS == ("about", "mention", "not_about")  # a head's output i is LABELS[i]: saved models depend on it
    assert LABEL_ID == {"about": 0, "mention": 1, "not_about": 2}
