"""Model references: ``name`` (latest version), ``name/3`` (a version), ``name@production`` (an
alias)."""

from __future__ import annotations

import re

from ..errors import InvalidInput
from ..model.limits import INT32_MAX

__all__ = ["ModelRef", "parse_ref", "check_name", "check_alias"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,254}")


class ModelRef:
    __slots__ = ("name", "version", "alias")

    def __init__(self, name: str, version: int | None = None, alias: str | None = None) -> None:
        self.name, self.version, self.alias = name, version, alias

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return f"{self.name}@{self.alias}" if self.alias else self.name


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInput(
            f"invalid model name {name!r}: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit)"
        )
    return name


def check_alias(alias: str) -> str:
    if (
        not isinstance(alias, str)
        or not _NAME.fullmatch(alias)
        or _is_number(alias)
        or alias == "latest"
    ):
        raise InvalidInput(
            f"invalid alias {alias!r}: use letters, digits, '.', '_' and '-', not only digits, "
            "and not 'latest' (it always means the newest version)"
        )
    return alias


def _is_number(text: str) -> bool:
    # ASCII digits only: str.isdigit also takes "²" (int() refuses it) and "٣" (int() reads 3).
    return text.isascii() and text.isdigit()


def parse_ref(ref: str, version: int | str | None = None) -> ModelRef:
    """Parse ``ref`` (and an optional separate ``version``: a number or an alias)."""
    if not isinstance(ref, str) or not ref:
        raise InvalidInput(
            f"a model reference is a string like 'churn/3' or 'churn@production', not {ref!r}"
        )
    if isinstance(version, str) and ("/" in version or "@" in version):
        # A full reference passed as the version (e.g. what a train step returned): same model only.
        full = parse_ref(version)
        if full.name != parse_ref(ref).name:
            raise InvalidInput(f"version {version!r} names another model than {ref!r}")
        return full
    if version is not None:
        if "/" in ref or "@" in ref:
            raise InvalidInput(f"give either {ref!r} or a separate version, not both")
        text = str(version)
        ref = f"{ref}/{text}" if _is_number(text) else f"{ref}@{text}"
    if "/" in ref:
        name, _, ver = ref.partition("/")
        if not _is_number(ver) or not 1 <= int(ver) <= INT32_MAX:
            raise InvalidInput(
                f"invalid model reference {ref!r}: the version after '/' is a number from 1 "
                f"to {INT32_MAX}"
            )
        return ModelRef(check_name(name), version=int(ver))
    if "@" in ref:
        name, _, alias = ref.partition("@")
        if alias == "latest":
            return ModelRef(check_name(name))
        return ModelRef(check_name(name), alias=check_alias(alias))
    return ModelRef(check_name(ref))
