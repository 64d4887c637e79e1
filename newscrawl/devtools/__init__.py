"""Developer tools: the fixture server and fixture cases. Nothing a crawl imports."""
