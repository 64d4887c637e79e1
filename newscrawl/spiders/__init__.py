"""Spiders discover pages; extraction lives in ``newscrawl.extract``.

Besides the generic ``portal`` spider, every portal profile is listed as a
spider of its own name, so ``scrapy list`` shows ``jmn`` and ``scrapy crawl jmn``
works without arguments.
"""

from __future__ import annotations

from scrapy import Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newscrawl.profiles import portal_names
from newscrawl.spiders.portal import PortalSpider


def portal_spider(site: str) -> type[PortalSpider]:
    """Return a PortalSpider subclass named after the portal profile ``site``."""
    return type(
        f"{site.title().replace('-', '')}Spider", (PortalSpider,), {"name": site, "site": site}
    )


class ProfileSpiderLoader(SpiderLoader):
    """Scrapy's spider loader plus one spider per portal profile."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        for site in portal_names():
            self._spiders.setdefault(site, portal_spider(site))

    def load(self, spider_name: str) -> type[Spider]:
        """Return the spider class named ``spider_name``; raise KeyError when unknown."""
        return super().load(spider_name)
