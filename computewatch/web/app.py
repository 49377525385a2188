"""`computewatch serve`: a read-only web app over the claims database (DESIGN.md "Analysts").

Every list and record page has `.json` and `.csv` twins taking the same query parameters, as in
datasette: `/facts` is HTML, `/facts.json` an object with `rows` (the fields of the jsonl
contracts), `total` and paging links, `/facts.csv` the rows. A bad parameter is a 400 naming it.
The database is opened read-only (storage.db.open_readonly); there is no endpoint that writes.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from computewatch.output import figure
from computewatch.web import params as P
from computewatch.web.cache import CountsCache

HERE = Path(__file__).parent
PAGE_SIZE = 50


@dataclass
class Page:
    """What a view hands to its three renderings."""

    template: str
    context: dict
    rows: list[dict]              # the JSON/CSV rows
    columns: list[str]            # CSV columns
    total: int | None = None
    page: int = 1
    size: int = PAGE_SIZE
    flat: object = None           # row -> CSV row (lists joined), when rows nest


def _templates() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["figure"] = figure
    env.filters["usd"] = lambda v: "" if v is None else figure({"kind": "money", "value": v, "currency": "USD"})
    # a fact's or claim's value in dollars, as a range where it is one (60B–65B USD)
    env.filters["usd_of"] = lambda r: "" if r.get("value_usd") is None else figure(
        {"kind": "money", "value": r["value_usd"], "value_max": r.get("value_usd_max"), "currency": "USD"})
    return env


def create_app(database) -> Starlette:
    from computewatch.web import charts

    env = _templates()
    charts.warm_up()

    def render(request: Request, fmt: str, page: Page) -> Response:
        links = _paging(request, fmt, page)
        if fmt == "json":
            body = {"rows": page.rows, **links}
            if page.total is not None:
                body.update(total=page.total, page=page.page, size=page.size)
            if "facets" in page.context:
                body["facets"] = {k: [{"value": v, "count": n} for v, n in vals]
                                  for k, vals in page.context["facets"].items()}
            return Response(json.dumps(body, ensure_ascii=False, default=str),
                            media_type="application/json")
        if fmt == "csv":
            out = io.StringIO()
            w = csv.DictWriter(out, fieldnames=page.columns, extrasaction="ignore")
            w.writeheader()
            for row in page.rows:
                w.writerow(page.flat(row) if page.flat else row)
            return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
        html = env.get_template(page.template).render(
            request=request, links=links, total=page.total, page_no=page.page, size=page.size,
            twin=lambda ext: _twin(request, ext), **page.context)
        return HTMLResponse(html)

    def view(fn, fmt: str):
        def endpoint(request: Request) -> Response:
            try:
                with database.session() as s:
                    page = fn(s, request)
            except P.BadParam as e:
                if fmt == "html":
                    return HTMLResponse(env.get_template("error.html").render(status=400, message=str(e)),
                                        status_code=400)
                return JSONResponse({"error": str(e), "parameter": e.name}, status_code=400) \
                    if fmt == "json" else PlainTextResponse(str(e) + "\n", status_code=400)
            except P.NotFound as e:
                if fmt == "html":
                    return HTMLResponse(env.get_template("error.html").render(status=404, message=str(e)),
                                        status_code=404)
                return JSONResponse({"error": str(e)}, status_code=404)
            return page if isinstance(page, Response) else render(request, fmt, page)
        return endpoint

    from computewatch.web import views

    routes = []
    for path, fn in views.LISTS + views.RECORDS:
        stem, _, tail = path.partition("{")
        if tail:      # /facts/{fid:int} -> /facts/{fid:int}.json
            for ext in ("json", "csv"):
                routes.append(Route(f"{path}.{ext}", view(fn, ext)))
        else:
            for ext in ("json", "csv"):
                routes.append(Route(f"{path}.{ext}" if path != "/" else f"/index.{ext}", view(fn, ext)))
        routes.append(Route(path, view(fn, "html")))
    routes.append(Route("/subjects/{name}/timeline.svg", view(views.timeline_svg, "svg")))
    app = Starlette(routes=routes)
    app.state.database = database
    app.state.counts = CountsCache()
    return app


def _twin(request: Request, ext: str) -> str:
    path = request.url.path
    path = "/index" if path == "/" else path
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{path}.{ext}{query}"


def _paging(request: Request, fmt: str, page: Page) -> dict:
    if page.total is None:
        return {"next": None, "prev": None}
    path = request.url.path

    def at(n: int) -> str:
        q = [(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(n))]
        return f"{path}?{urlencode(q)}"

    last = max(1, -(-page.total // page.size))
    return {"next": at(page.page + 1) if page.page < last else None,
            "prev": at(page.page - 1) if page.page > 1 else None}
