"""E-commerce pages for the demo's group cards (DIY, CEHAC, Pharma): shop pages that look like shop pages.

A group card is a product category ("Hammer", "Television", "Aspirin"). Its labelled pages, as an
assessor would judge them (docs/data.md, "E-commerce pages"):
- about: a product page of that category: brand, model and specs in the title, a price line and specs
  in the body. Half of the titles carry only brand, model and specs, as many shops write them, so
  the category is named in the body alone;
- mention: a listing or comparison page that names the card among other products of the group; half
  of them name it in the title too;
- not_about: product pages of other categories of the group, and an accessory page for the card's
  category ("Replacement handle for hammer"), whose title names the card.
So "the card's name stands in the title" is no longer enough. The page's shop, url shape and title
affix are drawn from the RNG alone, with the same shares for every label.
"""

from __future__ import annotations

import re

import numpy as np

BRANDS = {
    "DIY": ("Ironclad", "Tuffix", "Makro", "Dewald", "Norrholm", "Brixton"),
    "CEHAC": ("Voltra", "Sonix", "Pixana", "Lumio", "Kenro", "Arvant"),
    "Pharma": ("Medix", "Curanta", "Pharmon", "Vitalis", "Salvex", "Nordpharm"),
}
SHOPS = {  # (site name in titles, host)
    "DIY": (("ToolBarn", "www.toolbarn.example"), ("BuildMart", "buildmart.example"), ("Werkstatt24", "werkstatt24.example")),
    "CEHAC": (("VoltCity", "www.voltcity.example"), ("PixelPoint", "pixelpoint.example"), ("HomeTech Direct", "hometech.example")),
    "Pharma": (("CarePharm", "www.carepharm.example"), ("MediMarket", "medimarket.example"), ("HealthDrop", "healthdrop.example")),
}
SPECS = {
    "DIY": (("Weight", ("450 g", "1.2 kg", "2.5 kg", "800 g")), ("Material", ("steel", "fibreglass", "aluminium", "hardwood")),
            ("Power", ("18 V", "12 V", "230 V", "manual")), ("Length", ("300 mm", "45 cm", "1.5 m", "600 mm"))),
    "CEHAC": (("Size", ("55 inch", "6.1 inch", "compact", "full size")), ("Power", ("1200 W", "65 W", "2000 W", "15 W")),
              ("Connectivity", ("Wi-Fi", "Bluetooth 5.3", "USB-C", "none")), ("Colour", ("black", "white", "silver", "graphite"))),
    "Pharma": (("Strength", ("500 mg", "200 mg", "50 mg", "1 g")), ("Pack", ("20 tablets", "30 capsules", "100 ml", "10 sachets")),
               ("Form", ("film-coated tablets", "syrup", "capsules", "effervescent tablets")),
               ("Age", ("adults", "12+", "6+", "all ages"))),
}
SECTION = {"DIY": "tools & hardware", "CEHAC": "electronics & appliances", "Pharma": "pharmacy & health"}
ACCESSORIES = {
    "DIY": ("Replacement handle for {}", "Storage case for {}", "Spare parts kit for {}"),
    "CEHAC": ("Wall mount for {}", "Protective cover for {}", "Replacement remote for {}"),
    "Pharma": ("Pill organiser for {}", "Dosing cup for {}", "Travel pouch for {}"),
}
DESCRIPTIONS = ("Built for everyday use and backed by a two-year warranty.", "A best seller in its class, rated 4.6 of 5 by buyers.",
                "Ships in a recyclable box; free returns within 30 days.", "Trusted by professionals and first-time buyers alike.")
# How a page's url and title are dressed; drawn per page, whatever its label.
URL_KINDS = ("id", "slug", "query")
AFFIXES = ("suffix", "prefix", "buy", "none")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


class ShopPages:
    """Pages of one group, each with a url no other page has (page ids count up from a seeded start)."""

    def __init__(self, group: str, rng: np.random.Generator):
        self.group, self.rng = group, rng
        self.next_id = int(rng.integers(100_000, 900_000))

    def _choice(self, items):
        return items[int(self.rng.integers(len(items)))]

    def product(self, category: str, named: bool = True) -> tuple[str, str]:
        """(title text, body) of one product of `category`; `named`: the category stands in the title."""
        brand, model = self._choice(BRANDS[self.group]), f"{self._choice('ABKRSTVX')}{self.rng.integers(10, 999)}"
        specs = [(k, self._choice(v)) for k, v in SPECS[self.group]]
        shown = ", ".join(v for _, v in specs[:2])
        title = f"{brand} {model} {category}, {shown}" if named else f"{brand} {model}, {shown}"
        price = f"€{self.rng.integers(3, 900)}.{self.rng.integers(0, 100):02d}"
        body = (f"{brand} {model} ({category.lower()}). Specifications: " + "; ".join(f"{k}: {v}" for k, v in specs)
                + f". Price: {price} incl. VAT. In stock. {self._choice(DESCRIPTIONS)}")
        return title, body

    def listing(self, category: str, others: list[str], named: bool) -> tuple[str, str]:
        """A comparison page naming `category` among products of `others`."""
        names = [category, *others]
        order = self.rng.permutation(len(names))
        items = [f"{i + 1}. {self._choice(BRANDS[self.group])} {names[j]} – €{self.rng.integers(3, 900)}" for i, j in enumerate(order)]
        title = (f"Compare {', '.join(names[j] for j in order[:-1])} and {names[order[-1]]}" if named
                 else f"Top {len(names)} in {SECTION[self.group]} this month")
        return title, f"Our picks in {SECTION[self.group]}: " + "; ".join(items) + ". Prices checked daily."

    def accessory(self, category: str) -> tuple[str, str]:
        title = self._choice(ACCESSORIES[self.group]).format(category.lower())
        body = (f"{title}. Fits most models; {category.lower()} not included. "
                f"Price: €{self.rng.integers(2, 60)}.{self.rng.integers(0, 100):02d}. {self._choice(DESCRIPTIONS)}")
        return title, body

    def page(self, text: str, body: str) -> dict:
        """A page of title text and body, dressed in a shop, url kind and title affix drawn from the RNG alone."""
        (shop, host), url_kind, affix = self._choice(SHOPS[self.group]), self._choice(URL_KINDS), self._choice(AFFIXES)
        self.next_id += int(self.rng.integers(1, 50))
        pid = self.next_id
        url = {"id": f"https://{host}/p/{pid:07d}", "slug": f"https://{host}/{_slug(text)[:60]}-{pid}.html",
               "query": f"https://{host}/item.php?pid={pid}"}[url_kind]
        title = {"suffix": f"{text} | {shop}", "prefix": f"{shop}: {text}", "buy": f"{text} – buy online at {shop}",
                 "none": text}[affix]
        return {"doc_url": url, "doc_title": title, "doc_body": body,
                "style_site": f"shop:{shop}", "style_url": url_kind, "style_placement": affix}


def card_pages(shop: ShopPages, category: str, others: list[str]) -> list[dict]:
    """One card's labelled pages: 2 about, 2 mention, 3 not_about (2 products of other categories of the
    group, 1 accessory). `others`: other categories of the group; `kind` says which page rule made each.
    One ShopPages per group, so that no two pages share a url."""
    rng = shop.rng

    def pick(k: int) -> list[str]:
        return [others[i] for i in rng.permutation(len(others))[:k]]

    rows = [(shop.product(category, named=bool(rng.random() < 0.5)), "about", "shop_product") for _ in range(2)]
    rows += [(shop.listing(category, pick(3), named=bool(rng.random() < 0.5)), "mention", "shop_listing") for _ in range(2)]
    rows += [(shop.product(other), "not_about", "shop_other_product") for other in pick(2)]
    rows.append((shop.accessory(category), "not_about", "shop_accessory"))
    # pages get their ids (which count up) in a random order, so an id's rank among a card's pages says nothing
    return [{**shop.page(*rows[i][0]), "label": rows[i][1], "kind": rows[i][2]} for i in rng.permutation(len(rows))]
