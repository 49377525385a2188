"""Scrapy settings from computewatch's settings: polite by default, every limit explicit."""
from __future__ import annotations


def scrapy_settings(conf) -> dict:
    polite = conf.download_delay > 0 or conf.autothrottle
    shared = {}
    if getattr(conf, "frontier", ""):       # several processes split the work (crawler.frontier)
        from crawler.frontier import scrapy_settings as frontier_settings
        shared = frontier_settings(conf.frontier, ttl=conf.crawl_time_limit)
    return shared | {
        "BOT_NAME": "computewatch",
        # asyncio under Twisted: downloader middlewares may `await` (retry backoff does).
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "USER_AGENT": conf.user_agent,
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,            # news pages need none; and no public-suffix download
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "DOWNLOAD_TIMEOUT": conf.fetch_timeout,
        "DOWNLOAD_MAXSIZE": conf.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_DELAY": conf.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if polite else 0,
        "LOG_INSTALL_ROOT_HANDLER": False,     # computewatch.logs formats every line
        "RETRY_GIVE_UP_LOG_LEVEL": "DEBUG",     # failures are counted in crawl_runs instead
        "CONCURRENT_REQUESTS": max(16, conf.concurrency_per_domain * 4),
        "CONCURRENT_REQUESTS_PER_DOMAIN": conf.concurrency_per_domain,
        "AUTOTHROTTLE_ENABLED": conf.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(conf.download_delay, 0.5),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "REDIRECT_MAX_TIMES": 10,
        "RETRY_ENABLED": conf.retry_times > 0,
        "RETRY_TIMES": conf.retry_times,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "RETRY_BACKOFF_BASE": conf.retry_backoff,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            "crawler.middlewares.OffsiteBeforeConnectMiddleware": 50,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
            "crawler.middlewares.BackoffDelayMiddleware": 990,   # last before the download
        },
        "SPIDER_MIDDLEWARES": {"crawler.middlewares.IncompleteOnErrorMiddleware": 10},
        "EXTENSIONS": {"crawler.middlewares.BodySizeLimit": 100},
        "ITEM_PIPELINES": {"crawler.pipeline.StorePagesPipeline": 100},
        # Scrapy starts this many asyncio workers for every response's output; our pipeline is
        # synchronous and an article yields one item, so the default 100 is pure overhead.
        "CONCURRENT_ITEMS": 4,
        "DNS_TIMEOUT": min(conf.fetch_timeout, 20),
        "MEMUSAGE_ENABLED": False,
        "COMPUTEWATCH_MAX_SITEMAPS": conf.max_sitemaps,     # read by crawler.spider
    }
