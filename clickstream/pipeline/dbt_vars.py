"""What each dbt var of the project may hold, checked before dbt starts.

The vars and their defaults live in dbt_project.yml (its ``vars:`` block), where dbt reads them.
This module declares, for exactly the same names, each var's type and range (``VARS``), so that
``clickstream refresh --vars`` refuses an unknown name (suggesting the closest one) or a wrong
value with exit code 2 before anything runs, instead of dbt casting it. test_dbt_vars.py checks
that VARS and dbt_project.yml list the same names and that every default passes its own rule.

In SQL, a macro reads an integer var with ``int_var()`` (macros/project/int_var.sql), which raises
a compiler error on a value that is not an integer: plain dbt, which does not pass through this
module, fails loudly too instead of turning "thirty" into 0.

run_date, raw_root and file_checks_path are not set through ``clickstream refresh --vars``: the
refresh sets them itself from --date, --raw-root and --warehouse (it checks the landed files
there before dbt reads them), so a --vars value would make dbt read other days or files than
the ones the refresh checked. Plain dbt may set them (``dbt build --vars '{run_date: ...}'``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from clickstream.options import DATE_FORMAT, parse_date
from clickstream.paths import PROJECT_ROOT

INTEGER, NUMBER, DATE, PATH = "integer", "number", "date", "path"
PROJECT_FILE = PROJECT_ROOT / "dbt_project.yml"


@dataclass(frozen=True)
class VarRule:
    """What one var may hold: its kind (integer, number, date or path), its range, the unit of
    its value, and (set_by) the option that sets it instead of --vars, if any."""

    kind: str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    set_by: str | None = None

    def describe(self) -> str:
        """'an integer >= 1 (minutes)', 'a number between 0 and 1', 'a date YYYY-MM-DD or null'."""
        if self.kind == DATE:
            return f"a date {DATE_FORMAT} or null"
        if self.kind == PATH:
            return "a path or null"
        text = "an integer" if self.kind == INTEGER else "a number"
        if self.minimum is not None and self.maximum is not None:
            text += f" between {self.minimum:g} and {self.maximum:g}"
        elif self.minimum is not None:
            text += f" >= {self.minimum:g}"
        return text + (f" ({self.unit})" if self.unit else "")

    def accepts(self, value: Any) -> bool:
        """Whether the value is of this kind and in this range."""
        if self.kind == DATE:
            return value is None or _is_date(value)
        if self.kind == PATH:
            return value is None or (isinstance(value, str) and value != "")
        if isinstance(value, bool) or not isinstance(value, int if self.kind == INTEGER else (int, float)):
            return False
        if not math.isfinite(value):
            return False
        return (self.minimum is None or value >= self.minimum) and (self.maximum is None or value <= self.maximum)


def _is_date(value: Any) -> bool:
    if isinstance(value, date):  # YAML reads an unquoted 2024-03-01 as a date
        return True
    try:
        parse_date(value)
    except (TypeError, ValueError):
        return False
    return True


RATE = VarRule(NUMBER, 0, 1)
RATIO = VarRule(NUMBER, 0)

# Every var of dbt_project.yml, in its order (the defaults are there, and only there).
VARS: dict[str, VarRule] = {
    "session_timeout_minutes": VarRule(INTEGER, 1, unit="minutes"),
    "clock_skew_minutes": VarRule(INTEGER, 0, unit="minutes"),
    "late_arrival_days": VarRule(INTEGER, 0, unit="days"),
    "run_date": VarRule(DATE, set_by=f"--date {DATE_FORMAT}"),
    "raw_root": VarRule(PATH, set_by="--raw-root (or $CLICKSTREAM_RAW_ROOT)"),
    "file_checks_path": VarRule(PATH, set_by="--warehouse (the check log is next to the warehouse file)"),
    "max_line_bytes": VarRule(INTEGER, 1, unit="bytes"),
    "raw_read_scans": VarRule(INTEGER, 1, unit="scans"),
    "events_per_build_bucket": VarRule(INTEGER, 1, unit="events"),
    "raw_freshness_warn_after_hours": VarRule(INTEGER, 1, unit="hours"),
    "raw_freshness_error_after_hours": VarRule(INTEGER, 1, unit="hours"),
    "quality_min_lines": VarRule(INTEGER, 0, unit="lines"),
    "landing_day_grace_minutes": VarRule(INTEGER, 0, unit="minutes"),
    "quarantine_rate_warn": RATE,
    "quarantine_rate_error": RATE,
    "duplicate_rate_warn": RATE,
    "duplicate_rate_error": RATE,
    "file_quarantine_warn_count": VarRule(INTEGER, 0, unit="files"),
    "file_quarantine_error_count": VarRule(INTEGER, 0, unit="files"),
    "volume_drop_warn_ratio": RATIO,
    "volume_drop_error_ratio": RATIO,
    "max_sessions_per_user_day": VarRule(INTEGER, 0, unit="sessions"),
    "max_outlier_users": VarRule(INTEGER, 0, unit="users"),
    "bot_min_session_events": VarRule(INTEGER, 0, unit="events"),
    "bot_max_events_per_minute": VarRule(INTEGER, 0, unit="events per minute"),
    "engaged_session_min_seconds": VarRule(INTEGER, 0, unit="seconds"),
}


def project_defaults(project_file: Path = PROJECT_FILE) -> dict[str, Any]:
    """The vars block of dbt_project.yml: each var's default."""
    return dict(yaml.safe_load(project_file.read_text())["vars"])


def run_vars(extra_vars: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every var as a dbt run with these --vars sees it: the --vars value, else dbt_project.yml's."""
    return {**project_defaults(), **(extra_vars or {})}


# What a standalone script that applies the pipeline's rules (the benchmark's pandas peer and
# DuckDB floor) says of each rule var it takes as an option.
RULE_OPTION_HELP = {
    "session_timeout_minutes": "a gap strictly greater than this starts a new session",
    "clock_skew_minutes": "tolerance after the end of the landing day before future_event",
    "late_arrival_days": "events earlier than landing day minus this are too_late",
    "max_line_bytes": "longer lines are malformed_json, as var max_line_bytes",
}


def add_rule_options(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    """Add an option --<var-name> for each of these rule vars, with the var's default from
    dbt_project.yml, so a script applies the same rules as the pipeline unless told otherwise."""
    defaults = project_defaults()
    for name in names:
        parser.add_argument(
            "--" + name.replace("_", "-"),
            type=int,
            default=defaults[name],
            help=f"{RULE_OPTION_HELP[name]} (default: {defaults[name]}, var {name} in dbt_project.yml)",
        )


def shown(value: Any) -> str:
    """A value as the user wrote it in YAML: 'thirty' quoted, true, null, 45."""
    return repr(value) if isinstance(value, str) else json.dumps(value, default=str)


def var_problem(name: Any, value: Any, defaults: dict[str, Any] | None = None) -> str | None:
    """Why `name: value` cannot be passed with `clickstream refresh --vars`, or None."""
    rule = VARS.get(name) if isinstance(name, str) else None
    if rule is None and value is None and isinstance(name, str) and ":" in name:
        key, _, written = name.partition(":")
        return f"{name!r} is read as one name: YAML needs a space after the colon, {{{key}: {written}}}"
    if rule is None:
        close = difflib.get_close_matches(str(name), list(VARS), n=1)
        hint = f"did you mean {close[0]}?" if close else "dbt_project.yml lists the vars"
        return f"unknown var {name}; {hint}"
    if rule.set_by:
        return f"var {name} is not set with --vars: use {rule.set_by}"
    if not rule.accepts(value):
        default = (defaults if defaults is not None else project_defaults()).get(name)
        return f"var {name} must be {rule.describe()}, e.g. {shown(default)} (its default); got {shown(value)}"
    return None


def parse_refresh_vars(text: str) -> dict[str, Any]:
    """The dbt vars of `clickstream refresh --vars TEXT` (a YAML/JSON mapping), each checked
    against VARS; a ValueError says every problem in one paragraph."""
    example = "'{session_timeout_minutes: 45, quality_min_lines: 1}'"
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "not valid YAML"
        raise ValueError(f"must be a YAML/JSON mapping such as {example}; got {text!r} ({problem})") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"must be a YAML/JSON mapping such as {example}; got {text!r}")
    defaults = project_defaults()
    problems = [problem for name, value in values.items() if (problem := var_problem(name, value, defaults))]
    if problems:
        text = "; ".join(problems)
        raise ValueError(
            text
            + ("" if text.endswith("?") else ".")
            + " The vars, their types and ranges: README.md, Configuration (defaults in dbt_project.yml)."
        )
    return values


def refresh_vars_arg(text: str) -> dict[str, Any]:
    """argparse type of --vars: parse_refresh_vars(), a usage error (exit 2) on a problem."""
    try:
        return parse_refresh_vars(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
