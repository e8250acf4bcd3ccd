"""Reading a `/metrics` scrape the way Prometheus does (its own text parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

CONTENT_TYPE = "text/plain; version=0.0.4"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape, by name and labels."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(text: str, name: str, **labels: str) -> float:
    """The value of one sample (0 when the scrape has no such series yet)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def family_names(text: str) -> set[str]:
    """The names of the metric families a scrape holds."""
    return {family.name for family in text_string_to_metric_families(text)}
