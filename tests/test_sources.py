"""The source registry: the shipped list, the strict loader, overrides and selection."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler import sources
from crawler.sources import (DEFAULT_INTERVAL, DEFAULT_SOURCES_FILE, Source, SourcesError,
                             load, load_file, parse_interval, select)

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "sources.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# The base of every hand-written source below; a keyword set to None drops that key.
BASE = {"name": '"bad"', "lang": '"en"', "feeds": '["https://example.com/feed.xml"]'}


def entry(**keys: str | None) -> str:
    """A [[source]] table as TOML text: BASE with the given keys (raw TOML values) changed."""
    merged = {**BASE, **keys}
    return "[[source]]\n" + "".join(f"{k} = {v}\n" for k, v in merged.items() if v is not None)


# --- the shipped list ----------------------------------------------------------------------------

def test_shipped_file_loads_with_both_languages():
    shipped, include_defaults = load_file(DEFAULT_SOURCES_FILE)
    assert include_defaults is True
    assert DEFAULT_SOURCES_FILE == ROOT / "crawler" / "data" / "sources.toml"
    by_lang = {lang: [s.name for s in shipped if s.lang == lang] for lang in ("en", "zh")}
    assert len(by_lang["en"]) >= 9, by_lang
    assert len(by_lang["zh"]) >= 9, by_lang
    assert len(shipped) == len(by_lang["en"]) + len(by_lang["zh"])
    names = [s.name for s in shipped]
    assert len(set(names)) == len(names)
    # The outlets the registry was asked to cover are all there.
    for name in ("reuters", "theverge", "techcrunch", "dcd", "theregister", "tomshardware", "cnbc",
                 "arstechnica", "36kr", "jiqizhixin", "qbitai", "ithome", "sinatech", "thepaper",
                 "yicai", "cls", "leiphone"):
        assert name in names


def test_load_without_user_file_is_the_shipped_list():
    shipped, _ = load_file(DEFAULT_SOURCES_FILE)
    assert load() == shipped
    assert load(None) == shipped
    assert load("") == shipped  # the `sources` setting is "" when unset


@pytest.mark.parametrize("source", load_file(DEFAULT_SOURCES_FILE)[0], ids=lambda s: s.name)
def test_every_default_source_is_valid(source: Source):
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", source.name)
    assert source.lang in ("en", "zh")
    assert source.feeds or source.sitemaps, "every shipped source needs a feed or a sitemap"
    for url in (*source.feeds, *source.sitemaps, *source.start_urls):
        assert urlsplit(url).scheme == "https", url
        assert urlsplit(url).hostname in source.domains
    for pattern in (*source.allow, *source.deny):
        re.compile(pattern)
    if source.start_urls:
        assert source.allow, "links on listing pages are followed only when allow matches"
    assert source.enabled
    assert (source.interval is None) != (source.cron is None)
    assert source.interval is None or source.interval >= 3600  # polite: at most hourly
    assert source.max_pages is None or source.max_pages > 0


# One real-looking article URL per shipped source with allow patterns, and one page of the same
# site that is not an article: the patterns must take the first and leave the second.
ARTICLE_SAMPLES = {
    "reuters": ("https://www.reuters.com/technology/artificial-intelligence/"
                "microsoft-spend-80-billion-ai-data-centers-2025-01-03/",
                "https://www.reuters.com/technology/artificial-intelligence/"),
    "theverge": ("https://www.theverge.com/ai-artificial-intelligence/612345/openai-stargate-abilene",
                 "https://www.theverge.com/ai-artificial-intelligence"),
    "techcrunch": ("https://techcrunch.com/2025/01/21/openai-stargate-500-billion/",
                   "https://techcrunch.com/category/artificial-intelligence/"),
    "dcd": ("https://www.datacenterdynamics.com/en/news/xai-expands-colossus-to-200000-gpus/",
            "https://www.datacenterdynamics.com/en/news/"),
    "theregister": ("https://www.theregister.com/2025/01/22/stargate_openai_softbank/",
                    "https://www.theregister.com/data_centre/"),
    "tomshardware": ("https://www.tomshardware.com/tech-industry/artificial-intelligence/"
                     "meta-to-build-2gw-data-center-with-over-1-3-million-nvidia-ai-gpus",
                     "https://www.tomshardware.com/tech-industry/artificial-intelligence"),
    "cnbc": ("https://www.cnbc.com/2025/01/24/meta-to-spend-up-to-65-billion-this-year.html",
             "https://www.cnbc.com/video/2025/01/24/meta-capex.html"),
    "arstechnica": ("https://arstechnica.com/ai/2025/01/trump-announces-500b-stargate-ai-project/",
                    "https://arstechnica.com/ai/"),
    "scmp-tech": ("https://www.scmp.com/tech/big-tech/article/3296345/alibaba-spend-us53-billion-ai",
                  "https://www.scmp.com/tech/big-tech"),
    "36kr": ("https://36kr.com/p/3138123456789001", "https://36kr.com/information/AI/"),
    "jiqizhixin": ("https://www.jiqizhixin.com/articles/2025-01-22-3", "https://www.jiqizhixin.com/"),
    "qbitai": ("https://www.qbitai.com/2025/01/246813.html", "https://www.qbitai.com/category/资讯"),
    "ithome": ("https://www.ithome.com/0/827/123.htm", "https://it.ithome.com/"),
    "sinatech": ("https://finance.sina.com.cn/tech/roll/2025-01-22/doc-ineiwkrr1234567.shtml",
                 "https://finance.sina.com.cn/tech/"),
    "thepaper": ("https://www.thepaper.cn/newsDetail_forward_29981234",
                 "https://www.thepaper.cn/channel_119908"),
    "yicai": ("https://www.yicai.com/news/102412345.html", "https://www.yicai.com/news/"),
    "cls": ("https://www.cls.cn/detail/1912345", "https://www.cls.cn/telegraph"),
    "leiphone": ("https://www.leiphone.com/category/ai/Xb8FhdU2sL5qYzWk.html",
                 "https://www.leiphone.com/category/ai"),
    "huxiu": ("https://www.huxiu.com/article/3912345.html", "https://www.huxiu.com/channel/105.html"),
    "tmtpost": ("https://www.tmtpost.com/7412345.html", "https://www.tmtpost.com/column/123"),
    "cnbeta": ("https://www.cnbeta.com.tw/articles/tech/1471234.htm", "https://www.cnbeta.com.tw/"),
}


def test_every_source_with_allow_patterns_has_samples():
    with_allow = {s.name for s in load() if s.allow}
    assert with_allow == set(ARTICLE_SAMPLES)


@pytest.mark.parametrize("name", sorted(ARTICLE_SAMPLES))
def test_default_allow_patterns_take_articles_and_leave_listings(name: str):
    (source,) = select(load(), [name])
    article, listing = ARTICLE_SAMPLES[name]

    def followed(url: str) -> bool:
        return (any(re.search(p, url) for p in source.allow)
                and not any(re.search(p, url) for p in source.deny))

    assert followed(article)
    assert not followed(listing)
    # The crawler keeps to a source's domains: the article's host must be one of them.
    assert urlsplit(article).hostname in source.domains


def test_loading_without_cron_does_not_import_the_scheduler():
    code = ("import sys; from crawler import sources; sources.load(); "
            "print('apscheduler' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "False"


# --- parse_interval and the schedule text --------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [
    ("5s", 5.0), ("30s", 30.0), ("15m", 900.0), ("6h", 21600.0), ("1d", 86400.0),
    ("1.5h", 5400.0), (" 2h ", 7200.0), ("0.5s", 0.5),
])
def test_parse_interval(text: str, seconds: float):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", [
    "", "6", "h", "0s", "0.0m", "-1h", "+1h", "6 hours", "6H", "1w", "1e3s", "1h30m", ".5h", 6, None,
])
def test_parse_interval_rejects(text):
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize("source, expected", [
    (Source("a", "en", feeds=("https://a.example/f",), interval=21600.0), "every 6h"),
    (Source("a", "en", feeds=("https://a.example/f",), interval=5400.0), "every 90m"),
    (Source("a", "en", feeds=("https://a.example/f",), interval=86400.0), "every 1d"),
    (Source("a", "en", feeds=("https://a.example/f",), interval=5.0), "every 5s"),
    (Source("a", "en", feeds=("https://a.example/f",), interval=0.5), "every 0.5s"),
    (Source("a", "en", feeds=("https://a.example/f",), cron="0 */6 * * *"), "cron 0 */6 * * *"),
    (Source("a", "en", feeds=("https://a.example/f",)), "every 6h"),  # DEFAULT_INTERVAL
])
def test_schedule_text(source: Source, expected: str):
    assert source.schedule_text() == expected


def test_interval_cron_and_defaults_from_a_file(tmp_path):
    path = write(tmp_path, entry(name='"plain"') + entry(name='"fast"', interval='"30s"')
                 + entry(name='"cronned"', cron='"0  */6 * * *"'))
    plain, fast, cronned = load_file(path)[0]
    assert (plain.interval, plain.cron) == (DEFAULT_INTERVAL, None)
    assert (fast.interval, fast.cron) == (30.0, None)
    assert (cronned.interval, cronned.cron) == (None, "0 */6 * * *")
    assert cronned.schedule_text() == "cron 0 */6 * * *"
    assert plain.enabled is True and plain.max_pages is None


def test_optional_keys_are_read(tmp_path):
    path = write(tmp_path, entry(name='"full"', lang='"zh"', sitemaps='["https://example.cn/sitemap.xml"]',
                                 start_urls='["https://example.cn/list/"]',
                                 allow=r"['^https://example\.cn/a/\d+$']", deny="['/video/']",
                                 enabled="false", max_pages="25"))
    (source,) = load_file(path)[0]
    assert source == Source(
        name="full", lang="zh", feeds=("https://example.com/feed.xml",),
        sitemaps=("https://example.cn/sitemap.xml",), start_urls=("https://example.cn/list/",),
        allow=(r"^https://example\.cn/a/\d+$",), deny=("/video/",), interval=DEFAULT_INTERVAL,
        enabled=False, max_pages=25)


def test_domains_are_hostnames_without_port_each_once():
    source = Source("a", "en", feeds=("https://Feeds.Example.com:8443/rss", "https://example.com/a"),
                    sitemaps=("http://example.com/sitemap.xml",), start_urls=("https://news.example.com/",))
    assert source.domains == ("feeds.example.com", "example.com", "news.example.com")


# --- rejections ----------------------------------------------------------------------------------

# (id, file text, fragments the one-line message must contain besides the file's path)
REJECTIONS = [
    ("invalid-toml", entry() + "interval = \n", ["invalid TOML", "line 5", "'interval = '"]),
    ("unknown-top-level-key", "[[sources]]\nname = 'x'\n", ["'sources'", "did you mean 'source'"]),
    ("source-is-one-table", "[source]\nname = 'x'\n", ["[[source]]"]),
    ("source-not-a-table", "source = ['x']\n", ["source #1", "table"]),
    ("include-defaults-not-bool", 'include_defaults = "no"\n' + entry(),
     ["include_defaults", "'no'"]),
    ("unknown-key-close", entry(feed='["https://example.com/f"]'),
     ["'bad'", "feed:", "unknown key", "did you mean 'feeds'"]),
    ("unknown-key-far", entry(colour='"red"'), ["'bad'", "colour", "unknown key"]),
    ("missing-name", entry(name=None), ["source #1", "name", "missing"]),
    ("duplicate-name", entry(name='"twice"') + entry(name='"twice"'),
     ["'twice'", "#2", "duplicate", "#1"]),
    ("name-upper-case", entry(name='"DCD"'), ["name", "'DCD'", "slug"]),
    ("name-leading-dash", entry(name='"-dcd"'), ["name", "'-dcd'", "slug"]),
    ("name-with-space", entry(name='"the verge"'), ["name", "'the verge'", "slug"]),
    ("name-not-ascii", entry(name='"量子位"'), ["name", "'量子位'", "slug"]),
    ("name-not-string", entry(name="3"), ["name", "3", "slug"]),
    ("lang-unknown", entry(lang='"fr"'), ["'bad'", "lang", "'fr'"]),
    ("lang-missing", entry(lang=None), ["'bad'", "lang", "missing"]),
    ("lang-list", entry(lang='["en"]'), ["'bad'", "lang", "['en']"]),
    ("feeds-string", entry(feeds='"https://example.com/feed.xml"'),
     ["'bad'", "feeds", "'https://example.com/feed.xml'", "list"]),
    ("feeds-ftp", entry(feeds='["ftp://example.com/feed.xml"]'), ["feeds", "'ftp://example.com/feed.xml'"]),
    ("feeds-relative", entry(feeds='["/feed.xml"]'), ["feeds", "'/feed.xml'"]),
    ("feeds-no-host", entry(feeds='["https://"]'), ["feeds", "'https://'"]),
    ("feeds-space", entry(feeds='["https://exa mple.com/f"]'), ["feeds", "'https://exa mple.com/f'"]),
    ("feeds-bad-port", entry(feeds='["https://example.com:99999/f"]'),
     ["feeds", "'https://example.com:99999/f'"]),
    ("feeds-number", entry(feeds="[3]"), ["feeds", "entry 1", "3"]),
    ("sitemaps-bad", entry(sitemaps='["example.com/sitemap.xml"]'),
     ["sitemaps", "'example.com/sitemap.xml'"]),
    ("start-urls-bad", entry(start_urls='["mailto:news@example.com"]'),
     ["start_urls", "'mailto:news@example.com'"]),
    ("start-urls-table", entry(start_urls='{url = "https://example.com/"}'), ["start_urls", "table"]),
    ("nothing-to-crawl", entry(feeds="[]"), ["'bad'", "feeds, sitemaps nor start_urls"]),
    ("nothing-at-all", entry(feeds=None), ["'bad'", "feeds, sitemaps nor start_urls"]),
    ("allow-bad-regex", entry(allow="['(unclosed']"), ["'bad'", "allow", "'(unclosed'", "regular expression"]),
    ("deny-bad-regex", entry(deny="['*video']"), ["'bad'", "deny", "'*video'", "regular expression"]),
    ("allow-string", entry(allow="'^https://'"), ["allow", "'^https://'", "list"]),
    ("allow-number", entry(allow="[1]"), ["allow", "entry 1", "1"]),
    ("interval-words", entry(interval='"6 hours"'), ["'bad'", "interval", "'6 hours'"]),
    ("interval-zero", entry(interval='"0h"'), ["interval", "'0h'"]),
    ("interval-negative", entry(interval='"-1h"'), ["interval", "'-1h'"]),
    ("interval-number", entry(interval="6"), ["interval", "6", "integer"]),
    ("interval-and-cron", entry(interval='"6h"', cron='"0 */6 * * *"'), ["'bad'", "interval", "cron", "not both"]),
    ("cron-minute-61", entry(cron='"61 * * * *"'), ["'bad'", "cron", "'61 * * * *'", "61"]),
    ("cron-four-fields", entry(cron='"0 0 * *"'), ["cron", "'0 0 * *'", "fields"]),
    ("cron-macro", entry(cron='"@daily"'), ["cron", "'@daily'"]),
    ("cron-bad-weekday", entry(cron='"0 8 * * xyz"'), ["cron", "'0 8 * * xyz'"]),
    ("cron-number", entry(cron="5"), ["cron", "integer", "5"]),
    ("max-pages-zero", entry(max_pages="0"), ["'bad'", "max_pages", "0"]),
    ("max-pages-negative", entry(max_pages="-5"), ["max_pages", "-5"]),
    ("max-pages-bool", entry(max_pages="true"), ["max_pages", "boolean", "True"]),
    ("max-pages-string", entry(max_pages='"10"'), ["max_pages", "'10'"]),
    ("max-pages-float", entry(max_pages="1.5"), ["max_pages", "1.5"]),
    ("enabled-string", entry(enabled='"yes"'), ["'bad'", "enabled", "'yes'"]),
    ("enabled-int", entry(enabled="1"), ["enabled", "integer", "1"]),
]


@pytest.mark.parametrize("text, fragments", [c[1:] for c in REJECTIONS], ids=[c[0] for c in REJECTIONS])
def test_rejections_name_file_and_key_on_one_line(tmp_path, text: str, fragments: list[str]):
    path = write(tmp_path, text)
    with pytest.raises(SourcesError) as info:
        load_file(path)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_unknown_key_far_from_any_gets_no_suggestion(tmp_path):
    with pytest.raises(SourcesError) as info:
        load_file(write(tmp_path, entry(colour='"red"')))
    assert "did you mean" not in str(info.value)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(SourcesError, match=r"^.*nope\.toml: cannot read sources file: No such file"):
        load_file(path)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(SourcesError) as info:
        load_file(tmp_path)
    assert str(info.value).startswith(f"{tmp_path}: cannot read sources file")


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, entry())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            # root reads a mode-000 file: make the read fail the way it fails for anyone else.
            real_open = os.open

            def refuse(file, *args, **kwargs):
                if str(file) == str(path):
                    raise PermissionError(13, "Permission denied", str(file))
                return real_open(file, *args, **kwargs)
            monkeypatch.setattr(os, "open", refuse)
        with pytest.raises(SourcesError) as info:
            load_file(path)
        assert str(info.value) == f"{path}: cannot read sources file: Permission denied"
    finally:
        path.chmod(0o644)


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.toml"
    path.write_bytes(entry(name='"x"').encode() + "# 数据\n".encode("gbk"))
    with pytest.raises(SourcesError, match="gbk.toml: not UTF-8"):
        load_file(path)


def test_long_values_are_cut_in_messages(tmp_path):
    long_url = "ftp://example.com/" + "a" * 500
    with pytest.raises(SourcesError) as info:
        load_file(write(tmp_path, entry(feeds=f'["{long_url}"]')))
    assert len(str(info.value)) < 300
    assert "..." in str(info.value)


def test_a_user_file_error_names_the_user_file(tmp_path):
    path = write(tmp_path, entry(lang='"de"'), name="mine.toml")
    with pytest.raises(SourcesError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}: ")
    assert "'de'" in str(info.value)


def test_missing_user_file(tmp_path):
    with pytest.raises(SourcesError, match="missing.toml: cannot read sources file"):
        load(tmp_path / "missing.toml")


# --- user files: extend, override, replace -------------------------------------------------------

def test_user_source_is_added_after_the_defaults(tmp_path):
    defaults = load()
    path = write(tmp_path, entry(name='"mysite"', lang='"zh"', feeds='["https://my.example.cn/rss"]'))
    merged = load(path)
    assert merged[:-1] == defaults
    assert merged[-1].name == "mysite" and merged[-1].lang == "zh"


def test_user_source_replaces_the_default_of_the_same_name_in_place(tmp_path):
    defaults = load()
    position = [s.name for s in defaults].index("dcd")
    path = write(tmp_path, entry(name='"dcd"', feeds='["https://mirror.example.com/dcd.xml"]',
                                 interval='"30m"', enabled="false"))
    merged = load(str(path))  # a str path works as well as a Path
    assert [s.name for s in merged] == [s.name for s in defaults]
    dcd = merged[position]
    assert dcd.feeds == ("https://mirror.example.com/dcd.xml",)
    assert dcd.interval == 1800.0 and dcd.enabled is False
    assert dcd != defaults[position]
    others = [s for i, s in enumerate(merged) if i != position]
    assert others == [s for i, s in enumerate(defaults) if i != position]


def test_include_defaults_false_replaces_the_shipped_list(tmp_path):
    path = write(tmp_path, "include_defaults = false\n" + entry(name='"only"')
                 + entry(name='"dcd"', feeds='["https://example.com/dcd.xml"]'))
    assert [s.name for s in load(path)] == ["only", "dcd"]
    assert load(path)[1].feeds == ("https://example.com/dcd.xml",)


def test_include_defaults_true_is_the_default(tmp_path):
    path = write(tmp_path, "include_defaults = true\n" + entry(name='"extra"'))
    assert len(load(path)) == len(load()) + 1
    assert load_file(write(tmp_path, entry(), name="b.toml"))[1] is True
    assert load_file(path)[1] is True
    assert load_file(write(tmp_path, "include_defaults = false\n", name="c.toml")) == ([], False)


def test_include_defaults_false_with_no_sources_is_an_error(tmp_path):
    path = write(tmp_path, "include_defaults = false\n")
    with pytest.raises(SourcesError, match=r"include_defaults = false and no \[\[source\]\]"):
        load(path)


def test_user_file_with_no_sources_keeps_the_defaults(tmp_path):
    assert load(write(tmp_path, "# nothing yet\n")) == load()


def test_user_path_with_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write(tmp_path, entry(name='"home"'))
    assert load("~/sources.toml")[-1].name == "home"


# --- select --------------------------------------------------------------------------------------

def test_select_in_the_order_named_each_once():
    picked = select(load(), ["cls", "dcd", "cls"])
    assert [s.name for s in picked] == ["cls", "dcd"]


def test_select_nothing_named_means_all():
    every = load()
    assert select(every, []) == every


def test_select_returns_a_disabled_source_when_named(tmp_path):
    path = write(tmp_path, "include_defaults = false\n" + entry(name='"off"', enabled="false"))
    assert [s.name for s in select(load(path), ["off"])] == ["off"]


def test_select_unknown_name_lists_known_names():
    few = [Source("alpha", "en", feeds=("https://a.example/f",)),
           Source("beta", "zh", feeds=("https://b.example/f",))]
    with pytest.raises(SourcesError) as info:
        select(few, ["alpah"])
    message = str(info.value)
    assert "'alpah'" in message and "did you mean 'alpha'" in message
    assert "known: alpha, beta" in message
    assert "\n" not in message


def test_select_unknown_name_truncates_a_long_list():
    many = [Source(f"site{i:02d}", "en", feeds=(f"https://s{i}.example/f",)) for i in range(30)]
    with pytest.raises(SourcesError) as info:
        select(many, ["nowhere"])
    message = str(info.value)
    assert "'nowhere'" in message
    assert "site00" in message and "site19" in message and "site29" not in message
    assert "and 10 more" in message


def test_sources_error_is_a_value_error():
    assert issubclass(SourcesError, ValueError)
    assert sources.DEFAULT_INTERVAL == 6 * 3600.0
