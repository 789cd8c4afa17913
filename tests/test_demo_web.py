"""aboutness.demo.web: the web styles (site, title template, url) the demo's pages are dressed in, and that they
carry no label information."""

import pandas as pd

from aboutness.demo import web
from aboutness.demo import wiki as demo
from aboutness.label_rows import canonical_url


def test_web_styles_carry_no_label_information():
    """Every label class gets the same template mix: per style feature, a chi-square test of shares by
    label finds nothing, and a classifier on the style features alone stays at chance."""
    from scipy.stats import chi2_contingency
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import cross_val_predict

    d = demo.build_demo(seed=4, n_cards=400, ecom_cards=10, junk_share=0.0)
    kinds = d["pair_kinds"]
    kinds = kinds[kinds["group"] == "main"].dropna(axis=1, how="all")  # the shop pages' styles: the next test
    styles = [c for c in kinds.columns if c.startswith("style_")]
    assert {"style_site", "style_placement", "style_case", "style_prefix"} <= set(styles)
    for col in styles:
        table = pd.crosstab(kinds[col], kinds["label"])
        assert chi2_contingency(table).pvalue > 0.001, (col, table)
    x = pd.get_dummies(kinds[styles].astype(str)).to_numpy(float)
    pred = cross_val_predict(LogisticRegression(max_iter=1000), x, kinds["label"], cv=5)
    assert balanced_accuracy_score(kinds["label"], pred) < 0.40  # chance is 1/3
    # the templates are at work: most about pages no longer have the bare page title
    about = kinds["label"] == "about"
    labels = pd.concat([d["labels"], d["ecom"]])
    assert (labels.loc[labels["label"] == "about", "doc_title"] != labels.loc[labels["label"] == "about", "card_title"]).mean() > 0.8
    assert kinds.loc[about, "style_site"].nunique() == len(web.SITES)


def test_style_titles_and_urls():
    style = web.Style(web.SITES[4], drop_disambiguation=True, section="Overview", prefix=None, separator=" | ",
                      placement="suffix", case="upper")
    assert style.title("Mercury (planet)", "Mercury") == "MERCURY: Overview | The Daily Ledger"
    assert web.Style(web.SITES[0], False, None, "What is {}?", " - ", "prefix", "as_is").title("Mercury (planet)", "Mercury") == \
        "Wikipedia - What is Mercury (planet)?"
    urls = {s.url("Mercury (planet)", 7) for s in web.SITES}
    assert len(urls) == len(web.SITES) and all(canonical_url(u) == u for u in urls)
