"""clickstream: a partitioned, append-only, replayable click-event pipeline built on dbt + DuckDB.

The package holds the command-line side of the project; the dbt project (models, macros, tests,
seeds) sits beside it in the repository. ``clickstream --help`` lists the commands.
"""

__version__ = "1.0.0"
