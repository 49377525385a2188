"""The read-only web app (`computewatch serve`): app (routes and the three renderings), views
(what each page shows), params (query parameters, a 400 naming a bad one), charts (SVG)."""
