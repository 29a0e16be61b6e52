"""A dbt-bouncer check of the project's own rule for macro documentation (dbt-bouncer.yml)."""

from typing import Any

from dbt_bouncer.check_framework.decorator import check, fail


@check
def check_macro_documented_once(macro: Any, ctx: Any) -> None:
    """Every macro has a description, except an adapter implementation `<adapter>__<name>` of a
    dispatching macro `<name>` of the same package that has one: a dispatching macro is
    documented once, and its `default__` / `spark__` bodies sit next to it in the same file."""
    if (macro.description or "").strip():
        return
    prefix, separator, dispatched = macro.name.partition("__")
    if separator and prefix and dispatched:
        dispatcher = ctx.manifest_obj.manifest.macros.get(f"macro.{macro.package_name}.{dispatched}")
        if dispatcher is not None and (dispatcher.description or "").strip():
            if dispatcher.original_file_path == macro.original_file_path:
                return
            fail(
                f"`{macro.name}` implements `{dispatched}` but lives in {macro.original_file_path}, "
                f"not beside it in {dispatcher.original_file_path}."
            )
    fail(f"`{macro.name}` has no description: document it in the macros' yml of its folder.")
