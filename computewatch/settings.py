"""Settings in one place: CLI flag > environment > config file > default.

The config file is TOML: $COMPUTEWATCH_CONFIG, else ~/.config/computewatch/config.toml. Every key
below may appear there; the environment variable of a key is COMPUTEWATCH_<KEY upper-cased>.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


def _data_home() -> Path:
    base = os.environ.get("COMPUTEWATCH_HOME") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "computewatch")
    return Path(base)


@dataclass
class Settings:
    db: str = ""                          # SQLAlchemy URL; default: SQLite file in the data home
    sources: str = ""                     # a sources TOML that adds to / overrides the shipped list
    max_page_bytes: int = 20 * 1024 * 1024  # bigger pages are refused (and not stored)
    fetch_timeout: float = 30.0           # seconds per HTTP request
    user_agent: str = "computewatch/0.1 (news research crawler)"
    download_delay: float = 1.0           # seconds between requests to one site (0: no politeness)
    concurrency_per_domain: int = 2       # requests in flight per site
    autothrottle: bool = True             # adapt the delay to each site's latency (Scrapy AutoThrottle)
    retry_times: int = 2                  # retries of a failed request (5xx, 429, timeouts)
    retry_backoff: float = 2.0            # first retry waits this long, then doubles (capped at 60 s)
    crawl_time_limit: float = 3600.0      # wall-clock seconds a crawl may take before it is stopped
    worker_lease: float = 300.0           # seconds a worker holds a batch of pages before another
    #                                       may take them (renewed at each page; a killed worker's
    #                                       pages come back after it)
    workers: int = 1                      # processing workers the daemon runs beside its crawls
    max_sitemaps: int = 200               # sitemaps fetched per source and run (indexes can fan out)
    frontier: str = ""                    # redis://HOST:PORT/N: Scrapy's queue and duplicate filter
                                          # shared in Redis by several crawler processes or hosts
    log_format: str = "text"              # text | json
    log_file: str = ""                    # also log to this rotating file

    def __post_init__(self):
        if not self.db:
            self.db = f"sqlite:///{_data_home() / 'computewatch.db'}"


class SettingsError(ValueError):
    pass


def config_path() -> Path:
    return Path(os.environ.get("COMPUTEWATCH_CONFIG")
                or os.path.expanduser("~/.config/computewatch/config.toml"))


def load(**cli) -> Settings:
    """Settings with precedence CLI (non-None kwargs) > environment > config file > default."""
    values: dict = {}
    path = config_path()
    if path.is_file():
        try:
            values.update(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            raise SettingsError(f"{path}: not valid TOML: {e}") from None
    known = {f.name: f for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s): {', '.join(sorted(unknown))}")
    for name in known:
        env = os.environ.get(f"COMPUTEWATCH_{name.upper()}")
        if env is not None and env != "":
            values[name] = env
    values.update({k: v for k, v in cli.items() if v is not None and k in known})
    for name, value in list(values.items()):
        typ = known[name].type
        try:
            if typ == "int":
                values[name] = int(value)
            elif typ == "float":
                values[name] = float(value)
            elif typ == "bool":
                values[name] = _bool(value)
            else:
                values[name] = str(value)
        except ValueError:
            raise SettingsError(f"setting {name}: not a valid {typ}: {value!r}") from None
        if name in _POSITIVE and values[name] <= 0 or name in _NOT_NEGATIVE and values[name] < 0:
            bound = "greater than 0" if name in _POSITIVE else "0 or more"
            raise SettingsError(f"setting {name}: must be {bound}, not {value!r}")
    return Settings(**values)


_POSITIVE = {"max_page_bytes", "fetch_timeout", "concurrency_per_domain", "crawl_time_limit",
             "worker_lease", "workers", "max_sitemaps"}
_NOT_NEGATIVE = {"download_delay", "retry_times", "retry_backoff"}


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)
