"""Money in US dollars at the rate of a given date.

The ECB reference rates come from the `currencyconverter` package, which ships the ECB's
history file in its wheel (offline); a date the file lacks (a weekend, a day after the file's
last date) takes the nearest rate. Currencies the ECB does not quote (TWD, SAR, AED) come from
nlp/data/exchange_rates.toml, a dated table that names its sources.
"""
from __future__ import annotations

import bisect
from datetime import date
from functools import cache

from nlp import lexicon


@cache
def _ecb():
    from currency_converter import CurrencyConverter

    return CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=True)


@cache
def _table() -> dict[str, tuple[list[date], list[float]]]:
    out = {}
    for iso, rows in lexicon.load("exchange_rates.toml").items():
        items = sorted((date.fromisoformat(d), float(r)) for d, r in rows.items())
        out[iso] = ([d for d, _ in items], [r for _, r in items])
    return out


def per_usd(currency: str, on: date) -> float | None:
    """Units of `currency` one US dollar bought on `on`, or None when no table has it."""
    currency = currency.upper()
    if currency == "USD":
        return 1.0
    table = _table().get(currency)
    if table:
        dates, rates = table
        i = bisect.bisect_right(dates, on) - 1
        return rates[max(i, 0)]
    ecb = _ecb()
    if currency not in ecb.currencies:
        return None
    return ecb.convert(1.0, "USD", currency, date=on)


def to_usd(value: float | None, currency: str | None, on: date) -> float | None:
    if value is None or not currency:
        return None
    rate = per_usd(currency, on)
    return None if not rate else value / rate
