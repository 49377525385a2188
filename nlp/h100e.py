"""Chip counts in H100-equivalents: dense BF16 throughput per chip over the H100's, from the
vendors' datasheets (nlp/data/chip_performance.toml names them). A family name (GPU, TPU,
Blackwell) has no figure: its h100e is None."""
from __future__ import annotations

from functools import cache

from nlp import lexicon


@cache
def _ratios() -> dict[str, float]:
    data = lexicon.load("chip_performance.toml")
    ref = data["tflops"][data["reference"]]
    return {name.lower(): tflops / ref for name, tflops in data["tflops"].items()}


def h100e(count: float | None, unit: str | None) -> float | None:
    if count is None or not unit:
        return None
    ratio = _ratios().get(unit.lower())
    return None if ratio is None else round(count * ratio, 1)
