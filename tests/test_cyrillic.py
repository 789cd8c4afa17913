"""Cyrillic text through the label reader and the pool builder's word match: internationalised hosts (пример.рф),
percent-encoded Cyrillic url paths, and words split the same way in titles and urls. The whole pipeline on Russian
labels is tests/e2e/test_cyrillic_pipeline.py."""

from aboutness.label_rows import canonical_url
from aboutness.pools import _words


def test_cyrillic_urls_and_words():
    url = canonical_url("https://Энциклопедия.РФ/статья/Москва")
    assert url == "https://xn--d1abichgllj9dyd8a.xn--p1ai/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0"
    assert canonical_url("https://xn--d1abichgllj9dyd8a.xn--p1ai/статья/Москва") == url  # one site, one spelling
    assert canonical_url("https://энциклопедия.рф/%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F/Москва") == url
    assert _words(url.split("://", 1)[1].split("/", 1)[1]) == {"статья", "москва"}
    assert _words("Санкт-Петербург — Википедия") == {"санкт", "петербург", "википедия"}
