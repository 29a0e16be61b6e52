"""Durations written for people: one formatter for every message and report."""

from __future__ import annotations


def human_duration(seconds: float) -> str:
    """A short signed duration: '45 s', '12 min', '3.5 h', '2.1 days'."""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 120:
        return f"{sign}{s:.0f} s"
    if s < 7200:
        return f"{sign}{s / 60:.0f} min"
    if s < 172800:
        return f"{sign}{s / 3600:.1f} h"
    return f"{sign}{s / 86400:.1f} days"
