"""The three classes and the columns of a label or pool file: a module that imports nothing, so a model stage
that needs the class names does not depend on the label reader."""

CARD_FIELD_NAMES = ("title", "subtitle", "main_type", "definition")  # what a card holds (columns card_<name>)
DOC_FIELD_NAMES = ("title", "url", "body")  # what a doc holds (columns doc_<name>)
LABELS = ("about", "mention", "not_about")
LABEL_ID = {name: i for i, name in enumerate(LABELS)}
CARD_FIELDS = ("card_title", "card_subtitle", "card_main_type", "card_definition")
REQUIRED = ("card_id", "card_title", "doc_url", "doc_title")
OPTIONAL = ("card_subtitle", "card_main_type", "card_definition", "doc_body", "group", "weight")
COLUMNS = (
    "card_id", "card_title", "card_subtitle", "card_main_type", "card_definition",
    "doc_url", "doc_title", "doc_body", "label", "group", "weight",
)
POOL_COLUMNS = tuple(c for c in COLUMNS if c != "label")
