"""What each page of the web app shows: view(session, request) -> app.Page.

Filters are the command line's (`facts`, `claims`): the same storage queries, the same names.
"""
from __future__ import annotations

from computewatch.web import params as P

KINDS = ["gpu_count", "money", "power"]
LANGS = ["en", "zh"]
STATUSES = ["actual", "planned", "estimate"]
FACT_SORTS = ["first_seen", "newest", "value_usd", "articles"]
CLAIM_SORTS = ["reported_on", "value"]
MAX_SIZE = 500


def _page(request):
    page = P.integer(request, "page", 1, 10 ** 6, default=1)
    size = P.integer(request, "size", 1, MAX_SIZE, default=50)
    return page, size


def _subjects(session, request) -> list[str] | None:
    from storage import entities

    names = P.many(request, "subject")
    if not names:
        return None
    return sorted({canonical for n in names for canonical in entities.resolve(session, n)})


def fact_filter(session, request):
    from storage.fact_queries import FactFilter

    page, size = _page(request)
    return FactFilter(
        subjects=_subjects(session, request), kinds=P.many(request, "kind", KINDS),
        metric=P.one(request, "metric"), period=P.one(request, "period"),
        status=P.one(request, "status", STATUSES), lang=P.one(request, "lang", LANGS),
        since=P.day(request, "since"), until=P.day(request, "until"),
        min_articles=P.integer(request, "min_articles", 1, 10 ** 6),
        sources=P.many(request, "source"), sort=P.one(request, "sort", FACT_SORTS) or "first_seen",
        limit=size, offset=(page - 1) * size), page, size


def claim_filter(session, request, **fixed):
    from storage.queries import ClaimFilter

    page, size = _page(request)
    currency = P.one(request, "currency")
    if currency and not (len(currency) == 3 and currency.isalpha()):
        raise P.BadParam("currency", f"not an ISO 4217 code: {currency!r}")
    f = ClaimFilter(
        subjects=_subjects(session, request), kinds=P.many(request, "kind", KINDS),
        lang=P.one(request, "lang", LANGS), since=P.day(request, "since"), until=P.day(request, "until"),
        sources=P.many(request, "source"), min_value=P.number(request, "min_value"),
        fact=P.integer(request, "fact", 1), metric=P.one(request, "metric"),
        period=P.one(request, "period"), status=P.one(request, "status", STATUSES),
        currency=currency, sort=P.one(request, "sort", CLAIM_SORTS) or "reported_on",
        limit=size, offset=(page - 1) * size)
    for k, v in fixed.items():
        setattr(f, k, v)
    return f, page, size


def _counts(session, request, what: str, f, count, facets):
    """A list's total and facets, kept until the database changes (computewatch.web.cache)."""
    import dataclasses

    key = (what, repr(dataclasses.replace(f, limit=None, offset=None, sort=None)))
    return request.app.state.counts.get(session, key, lambda: (count(session, f), facets(session, f)))


# --------------------------------------------------------------------------- pages

def index(session, request):
    from computewatch.web.app import Page
    from storage import browse, fact_queries

    newest = fact_queries.facts(session, fact_queries.FactFilter(sort="newest", limit=10))
    sources = browse.source_health(session)
    return Page("index.html", {"counts": browse.counts(session), "newest": newest, "sources": sources},
                rows=sources, columns=browse.SOURCE_FIELDS)


def facts(session, request):
    from computewatch.web.app import Page
    from storage import fact_queries

    f, page, size = fact_filter(session, request)
    rows = fact_queries.facts(session, f)
    total, facets = _counts(session, request, "facts", f, fact_queries.fact_count, fact_queries.fact_facets)
    return Page("facts.html", {"rows": rows, "facets": facets, "active": _active(request)}, rows=rows,
                columns=fact_queries.FACT_FIELDS, total=total, page=page, size=size, flat=fact_queries.flat)


def fact(session, request):
    from computewatch.web.app import Page
    from storage import fact_queries

    fid = request.path_params["fid"]
    found = fact_queries.facts(session, fact_queries.FactFilter(ids=[fid]))
    if not found:
        raise P.NotFound(f"no fact {fid}")
    row = found[0]
    chain_ids = fact_queries.chain(session, fid)
    related = {r["fact"]: r for r in fact_queries.facts(
        session, fact_queries.FactFilter(ids=chain_ids + row["conflicts_with"]))}
    by_lang: dict[str, list[dict]] = {}
    for c in row["claims"]:
        by_lang.setdefault(c["lang"], []).append(c)
    return Page("fact.html", {"f": row, "by_lang": by_lang, "chain": [related[i] for i in chain_ids if i in related],
                              "conflicts": [related[i] for i in row["conflicts_with"] if i in related],
                              "highlight": highlight_sentence},
                rows=[row], columns=fact_queries.FACT_FIELDS, flat=fact_queries.flat)


def subject(session, request):
    from computewatch.web.app import Page
    from storage import entities, fact_queries

    name = request.path_params["name"]
    if len(name) > P.MAX_TEXT:
        raise P.BadParam("name", f"longer than {P.MAX_TEXT} characters")
    names = entities.resolve(session, name)
    rows = fact_queries.facts(session, fact_queries.FactFilter(subjects=names, sort="first_seen",
                                                                kinds=P.many(request, "kind", KINDS)))
    if not rows and not entities.known(session, name):
        raise P.NotFound(f"no subject {name!r}")
    return Page("subject.html", {"name": ", ".join(names), "query": name, "rows": rows,
                                 "kinds": sorted({r["kind"] for r in rows}, key=KINDS.index)},
                rows=rows, columns=fact_queries.FACT_FIELDS, flat=fact_queries.flat)


def timeline_svg(session, request):
    from starlette.responses import Response

    from computewatch.web import charts
    from storage import entities, fact_queries

    name = request.path_params["name"]
    kind = P.one(request, "kind", KINDS) or "money"
    rows = fact_queries.facts(session, fact_queries.FactFilter(
        subjects=entities.resolve(session, name[:P.MAX_TEXT]), kinds=[kind], sort="first_seen"))
    return Response(charts.timeline(rows, kind), media_type="image/svg+xml")


def claims(session, request):
    from computewatch.web.app import Page
    from storage import queries

    f, page, size = claim_filter(session, request)
    rows = queries.claims(session, f)
    total, facets = _counts(session, request, "claims", f, queries.claim_count, queries.claim_facets)
    return Page("claims.html", {"rows": rows, "facets": facets, "active": _active(request)},
                rows=rows, columns=queries.CLAIM_ROW_FIELDS, total=total, page=page, size=size)


def article(session, request):
    from computewatch.web.app import Page
    from storage import browse, queries

    aid = request.path_params["aid"]
    art = browse.article(session, aid)
    if art is None:
        raise P.NotFound(f"no article {aid}")
    rows = queries.claims(session, queries.ClaimFilter(article=aid, sort="reported_on"))
    rows.sort(key=lambda r: r["start"])
    return Page("article.html", {"a": art, "segments": segments(art["text"], rows), "rows": rows},
                rows=rows, columns=queries.CLAIM_ROW_FIELDS)


def sources(session, request):
    from computewatch.web.app import Page
    from storage import browse

    rows = browse.source_health(session)
    return Page("sources.html", {"rows": rows}, rows=rows, columns=browse.SOURCE_FIELDS)


LISTS = [("/", index), ("/facts", facts), ("/claims", claims), ("/sources", sources)]
RECORDS = [("/facts/{fid:int}", fact), ("/articles/{aid:int}", article), ("/subjects/{name}", subject)]


# --------------------------------------------------------------------------- helpers

def _active(request) -> list[tuple[str, str, str]]:
    """The filters in force, each with the link that drops it: (name, value, href)."""
    from urllib.parse import urlencode

    items = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page",) and v]
    out = []
    for i, (k, v) in enumerate(items):
        rest = items[:i] + items[i + 1:]
        out.append((k, v, f"{request.url.path}?{urlencode(rest)}"))
    return out


def segments(text: str, claims: list[dict]) -> list[tuple[str, dict | None]]:
    """The article's text cut at its claims' offsets: (piece, claim or None); overlaps skipped."""
    out, pos = [], 0
    for c in sorted(claims, key=lambda c: (c["start"], -c["end"])):
        if c["start"] < pos or c["end"] > len(text):
            continue
        out.append((text[pos:c["start"]], None))
        out.append((text[c["start"]:c["end"]], c))
        pos = c["end"]
    out.append((text[pos:], None))
    return out


def highlight_sentence(claim: dict) -> list[tuple[str, bool]]:
    """A report's sentence with its figure marked: [(piece, is_figure)]."""
    sentence, mention = claim["sentence"] or "", claim["text"] or ""
    i = sentence.find(mention) if mention else -1
    if i < 0:
        return [(sentence, False)]
    return [(sentence[:i], False), (mention, True), (sentence[i + len(mention):], False)]
