"""Scrapy commands of this project (``COMMANDS_MODULE``): they replace Scrapy's own of the
same name, so that ``scrapy crawl`` and scrapyd jobs check a crawl as ``newscrawl crawl``
does."""
