"""A frontier shared through Redis (scrapy-redis), for several crawler processes or hosts.

With `frontier = "redis://HOST:PORT/N"`, Scrapy's scheduler queue and duplicate filter live in
Redis, so processes crawling the same sources split the article URLs and fetch each once
(DESIGN.md "Scale"). Without the setting nothing here is imported and nothing needs Redis.

Two adjustments to scrapy-redis 0.9.1 (which otherwise works unchanged with Scrapy 2.19):
- Entry points (feeds, sitemaps, listing pages, meta "entry") stay in the process that made
  them: each process reads its own sources' feeds, counts its own run and keeps its own feed
  validators; only the links they lead to are shared.
- The queue is kept when a process ends (SCHEDULER_PERSIST), since another may still be
  crawling; the fingerprints of one round expire `ttl` seconds after the round began, so a URL
  that failed today is tried again by a later run (nothing else would ever clear them).
"""
from __future__ import annotations

from collections import deque

from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

SCHEMES = ("redis://", "rediss://", "unix://")


class FrontierError(ValueError):
    pass


def check(url: str) -> None:
    """Refuse, in one line naming the URL, a frontier that is malformed or does not answer."""
    import redis

    if not url.startswith(SCHEMES):
        raise FrontierError(f"setting frontier: not a redis:// URL: {url!r}")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except (redis.RedisError, ValueError, OSError) as e:
        raise FrontierError(f"frontier {url}: cannot reach Redis: {str(e).splitlines()[0]}") from None


def scrapy_settings(url: str, ttl: float) -> dict:
    return {
        "SCHEDULER": "crawler.frontier.SharedScheduler",
        "DUPEFILTER_CLASS": "crawler.frontier.ExpiringDupeFilter",
        "REDIS_URL": url,
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_KEY": "computewatch:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": "computewatch:%(spider)s:seen",
        "COMPUTEWATCH_FRONTIER_TTL": int(max(ttl, 60)),
        "COMPUTEWATCH_SHARED_FRONTIER": True,     # the spider leaves de-duplication to Redis
    }


class ExpiringDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared fingerprint set, given a lifetime when it is created."""

    ttl = 3600

    @classmethod
    def from_spider(cls, spider):
        df = super().from_spider(spider)
        df.ttl = spider.settings.getint("COMPUTEWATCH_FRONTIER_TTL", cls.ttl)
        return df

    def request_seen(self, request) -> bool:
        pipe = self.server.pipeline()
        pipe.sadd(self.key, self.request_fingerprint(request))
        pipe.expire(self.key, self.ttl, nx=True)     # the round's start, not refreshed by later adds
        added, _ = pipe.execute()
        return added == 0

    def close(self, reason=""):
        pass             # other processes may still be crawling: the set expires instead


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, except for entry points, which stay in this process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local: deque = deque()

    def enqueue_request(self, request) -> bool:
        if request.meta.get("entry"):
            self.local.append(request)
            return True
        return super().enqueue_request(request)

    def next_request(self):
        if self.local:
            return self.local.popleft()
        return super().next_request()

    def has_pending_requests(self) -> bool:
        return bool(self.local) or super().has_pending_requests()

    def __len__(self) -> int:
        return len(self.local) + super().__len__()
