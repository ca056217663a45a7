"""newscrawl: crawl news sites, extract article text with trafilatura, clean it, store it."""

__version__ = "0.1.0"
