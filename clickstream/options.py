"""Parsers of command-line option values shared by every command (argparse ``type=``).

A bad value is an ``argparse.ArgumentTypeError`` whose message says what was expected, with an
example; argparse turns it into a usage error (exit code 2) before the command does anything.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date

DATE_FORMAT = "YYYY-MM-DD"
DATE_EXAMPLE = "2024-03-01"
# [0-9], not \d (which matches any Unicode digit).
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> date:
    """A YYYY-MM-DD calendar date, or a ValueError whose message names the expected format with
    an example (used for the date options and the date-valued dbt vars)."""
    if not DATE_PATTERN.fullmatch(text):
        raise ValueError(f"expected a date as {DATE_FORMAT} (e.g. {DATE_EXAMPLE}), got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(
            f"{text!r} is not a calendar date ({error}); expected {DATE_FORMAT}, e.g. {DATE_EXAMPLE}"
        ) from None


def date_arg(text: str) -> date:
    """An option's YYYY-MM-DD value (a UTC day), or an argparse error naming the format."""
    try:
        return parse_date(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def dates_arg(text: str) -> list[date]:
    """An option's comma-separated YYYY-MM-DD values, e.g. 2024-03-01,2024-03-02."""
    parts = [part.strip() for part in text.split(",")]
    if not all(parts):
        raise argparse.ArgumentTypeError(
            f"expected dates as {DATE_FORMAT}[,{DATE_FORMAT}...] (e.g. {DATE_EXAMPLE},2024-03-02), got {text!r}"
        )
    return [date_arg(part) for part in parts]


def int_at_least(minimum: int) -> Callable[[str], int]:
    """A parser of an integer option value that must be >= minimum."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in some messages
    return parse


DURATION_UNITS = {"s": 1, "m": 60, "h": 3600}


def seconds_arg(text: str) -> float:
    """An option's duration: seconds as a number, or with a unit s, m or h (60, 60s, 5m, 1h); > 0."""
    unit = text[-1:].lower() if text[-1:].lower() in DURATION_UNITS else "s"
    number = text[:-1] if text[-1:].lower() in DURATION_UNITS else text
    try:
        value = float(number) * DURATION_UNITS[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a duration such as 60, 60s, 5m or 1h, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text!r}")
    return value
