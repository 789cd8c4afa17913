"""How the demo's documents look on the web: seeded templates for page titles and urls.

A web page carries its subject's name inside a longer title ("Mercury (planet) - Wikipedia",
"MERCURY: key facts | The Daily Ledger") and lives on one of many hosts and path styles. The
demo renders every article once, with a style drawn from the seeded RNG alone, so the style
of a page says nothing about its label. docs/data.md lists the templates and their shares.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np

SEPARATORS = (" - ", " | ", " — ", " · ", " :: ", " – ")
SECTIONS = ("Overview", "History", "Key facts", "Definition", "Summary", "Explained", "Introduction", "Facts and figures")
# Titles where the subject does not come first: a user's "starts with" rule misses these.
PREFIXES = ("What is {}?", "All about {}", "A guide to {}", "Learn about {}", "Everything about {}")


@dataclass(frozen=True)
class Site:
    name: str      # the site name a title carries
    kind: str      # encyclopedia, mobile, print, mirror, news, guide, shop, reference
    share: float   # share of the demo's pages rendered on this site

    def url(self, page_title: str, page_id: int) -> str:
        wiki = quote(page_title.replace(" ", "_"), safe="()_,'-.!:")
        slug = re.sub(r"[^a-z0-9]+", "-", page_title.lower()).strip("-") or "page"
        return {
            "encyclopedia": f"https://en.wikipedia.org/wiki/{wiki}",
            "mobile": f"https://en.m.wikipedia.org/wiki/{wiki}",
            "print": f"https://en.wikipedia.org/w/index.php?title={wiki}&printable=yes",
            "mirror": f"https://www.wikiwand.example/en/articles/{wiki}",
            "news": f"https://www.dailyledger.example/article/{page_id}",
            "guide": f"https://learnhub.example/guides/{page_id}/{slug}.html",
            "shop": f"https://shop.homeandmore.example/p/{page_id:06d}",
            "reference": f"https://refdesk.example/view.php?id={page_id}",
        }[self.kind]


# Many real urls hold an opaque id, not the subject's name (news, shop and reference here): with a
# name in every url, a model learns "name in url = about" and fails on sites that use ids.
SITES = (
    Site("Wikipedia", "encyclopedia", 0.20),
    Site("Wikipedia", "mobile", 0.10),
    Site("Wikipedia", "print", 0.05),
    Site("Wikiwand", "mirror", 0.10),
    Site("The Daily Ledger", "news", 0.15),
    Site("LearnHub", "guide", 0.15),
    Site("Home & More Shop", "shop", 0.10),
    Site("RefDesk", "reference", 0.15),
)
# How often each part of a title template is drawn (docs/data.md).
P_DROP_DISAMBIGUATION = 0.5
P_SECTION = 0.3
P_PREFIX = 0.15
SITE_PLACEMENT = {"suffix": 0.7, "prefix": 0.15, "none": 0.15}
CASE = {"as_is": 0.8, "upper": 0.1, "lower": 0.1}


@dataclass(frozen=True)
class Style:
    """One page's rendering: which site, and which title parts."""
    site: Site
    drop_disambiguation: bool
    section: str | None
    prefix: str | None
    separator: str
    placement: str
    case: str

    def title(self, page_title: str, name: str) -> str:
        """The page's title; `name` is the page title without its disambiguation (demo.display_name)."""
        subject = name if self.drop_disambiguation else page_title
        subject = {"upper": subject.upper(), "lower": subject.lower()}.get(self.case, subject)
        text = self.prefix.format(subject) if self.prefix else subject
        if self.section:
            text = f"{text}: {self.section}"
        if self.placement == "suffix":
            return f"{text}{self.separator}{self.site.name}"
        if self.placement == "prefix":
            return f"{self.site.name}{self.separator}{text}"
        return text

    def features(self) -> dict[str, str]:
        """The style as categories, for checking that it carries no label information."""
        return {"site": self.site.kind, "drop_disambiguation": str(self.drop_disambiguation),
                "section": str(self.section is not None), "prefix": str(self.prefix is not None),
                "placement": self.placement, "case": self.case}


def _pick(rng: np.random.Generator, shares: dict):
    keys = list(shares)
    return keys[int(rng.choice(len(keys), p=np.array(list(shares.values())) / sum(shares.values())))]


def draw_style(rng: np.random.Generator) -> Style:
    """A style drawn from the RNG alone (never from the page or its label)."""
    site = _pick(rng, {s: s.share for s in SITES})
    drop = bool(rng.random() < P_DROP_DISAMBIGUATION)
    section = SECTIONS[int(rng.integers(len(SECTIONS)))] if rng.random() < P_SECTION else None
    prefix = PREFIXES[int(rng.integers(len(PREFIXES)))] if rng.random() < P_PREFIX else None
    separator = SEPARATORS[int(rng.integers(len(SEPARATORS)))]
    return Style(site, drop, section, prefix, separator, _pick(rng, SITE_PLACEMENT), _pick(rng, CASE))
