"""Item loaders: where selected values are cleaned into record fields.

Input processors are wired per field here once; the selectors that feed them
come from the site profile. List fields are filled with :meth:`ProfileLoader.add_first`,
which takes the first selector that yields something, so a list is never
filled twice from overlapping selectors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from itemloaders import ItemLoader
from itemloaders.processors import Identity, MapCompose, TakeFirst
from lxml import etree
from parsel import Selector, SelectorList

from newscrawl.items import Article, Breadcrumb, Teaser
from newscrawl.processors import absolute_url, normalize_space, strip_ellipsis, unique

XPATH_PREFIX = "xpath:"


def select(selector: Selector, query: str) -> SelectorList[Selector]:
    """Return the nodes or strings ``query`` selects: CSS, or XPath after an ``xpath:`` prefix."""
    if query.startswith(XPATH_PREFIX):
        return selector.xpath(query.removeprefix(XPATH_PREFIX))
    return selector.css(query)


_VISIBLE_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]")


def node_text(node: Selector | etree._Element) -> str:
    """Return the text a reader sees in ``node``: all its text, scripts and styles left out."""
    root = node.root if isinstance(node, Selector) else node
    if isinstance(root, str):
        return root
    return "".join(_VISIBLE_TEXT(root))


def query_values(selector: Selector, query: str) -> list[str]:
    """Return the strings ``query`` selects; element matches give their visible text."""
    return [node_text(node) for node in select(selector, query)]


def first_match(selector: Selector, queries: Iterable[str]) -> SelectorList[Selector]:
    """Return the nodes of the first query that matches anything, else an empty list."""
    for query in queries:
        nodes = select(selector, query)
        if nodes:
            return nodes
    return SelectorList([])


def _absolute(value: str | None, loader_context: dict[str, Any]) -> str | None:
    return absolute_url(value, loader_context["base_url"])


class ProfileLoader(ItemLoader):
    """An ItemLoader whose selectors come from a profile: cleaned text by default."""

    default_input_processor = MapCompose(normalize_space)
    default_output_processor = TakeFirst()

    def add_first(self, field_name: str, queries: Sequence[str]) -> bool:
        """Collect ``field_name`` from the first query that yields a non-empty value.

        Returns True when a query matched.
        """
        if self.selector is None:
            raise RuntimeError("add_first() needs a loader with a selector")
        for query in queries:
            self.add_value(field_name, query_values(self.selector, query))
            if self.get_collected_values(field_name):
                return True
        return False


class ArticleLoader(ProfileLoader):
    """Cleans the top-level fields of an :class:`~newscrawl.items.Article`."""

    default_item_class = Article

    canonical_url_in = MapCompose(normalize_space, _absolute)
    authors_out = unique
    tags_out = unique
    body_out = Identity()
    breadcrumb_in = Identity()
    breadcrumb_out = Identity()
    images_in = Identity()
    images_out = Identity()
    teasers_in = Identity()
    teasers_out = Identity()
    headline_alt_in = Identity()


class BreadcrumbLoader(ProfileLoader):
    """Cleans one breadcrumb step."""

    default_item_class = Breadcrumb
    url_in = MapCompose(normalize_space, _absolute)


class TeaserLoader(ProfileLoader):
    """Cleans one teaser: absolute url, excerpt without its trailing ellipsis."""

    default_item_class = Teaser
    url_in = MapCompose(normalize_space, _absolute)
    excerpt_in = MapCompose(strip_ellipsis)
