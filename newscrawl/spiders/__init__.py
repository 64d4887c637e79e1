"""Spiders discover pages; extraction lives in ``newscrawl.extraction``.

Besides the generic ``portal`` spider, every portal profile is listed as a
spider of its own name, so ``scrapy list`` shows ``jmn`` and ``scrapy crawl jmn``
works without arguments.
"""

from __future__ import annotations

from scrapy import Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newscrawl.profiles import check_crawl_table, load_profile, portal_names
from newscrawl.spiders.portal import PortalSpider


def profile_settings(site: str) -> dict[str, object]:
    """Return the Scrapy settings a profile's ``[crawl]`` table sets (names upper-cased).

    Only politeness and limit settings can be there (``CRAWL_SETTINGS``): the profile
    loader refuses any other key as the file loads, and this checks again, so that no
    profile ever reaches another Scrapy setting. Raises ProfileError.
    """
    crawl = load_profile(site).get("crawl", default={})
    check_crawl_table(crawl, f"profile {site!r}")
    return {name.upper(): value for name, value in crawl.items()}


def portal_spider(site: str) -> type[PortalSpider]:
    """Return a PortalSpider subclass for the profile ``site``, with its crawl settings.

    Profile settings apply at spider priority: project settings yield to them, command-line
    ``-s`` settings win over them.
    """
    attributes = {"name": site, "site": site, "custom_settings": profile_settings(site)}
    return type(f"{site.title().replace('-', '')}Spider", (PortalSpider,), attributes)


class ProfileSpiderLoader(SpiderLoader):
    """Scrapy's spider loader plus one spider per portal profile."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        for site in portal_names():
            self._spiders.setdefault(site, portal_spider(site))

    def load(self, spider_name: str) -> type[Spider]:
        """Return the spider class named ``spider_name``; raise KeyError when unknown."""
        return super().load(spider_name)
