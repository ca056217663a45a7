"""Log lines for dropped items without the item itself.

Scrapy's default logs a dropped item's repr at WARNING; for a page that is its
whole HTML, and a page that is not an article is routine, not a warning.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult

__all__ = ["NewscrawlLogFormatter"]


class NewscrawlLogFormatter(LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Any, spider: Any
    ) -> LogFormatterResult:
        return {
            "level": logging.INFO,
            "msg": "Dropped: %(exception)s",
            "args": {"exception": exception},
        }
