"""What is wrong with a definition file, in the organizer's words: the errors the loader reports.

:class:`DefinitionErrors` lists every problem of a refused file, each a :class:`DefinitionError` with its
line; :func:`describe` words a pydantic error (its ``type`` and ``ctx``) in the organizer's language, with
the fields a model accepts when one is misspelled. The loader is bot/consultations/loading.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import AliasChoices, BaseModel

from bot.consultations.conditions import Condition
from bot.consultations.fields import KEY_LIMIT, LocalizedText, Option
from bot.consultations.model import ConsultationDefinition
from bot.consultations.questions import QUESTION_TYPES
from bot.i18n import Translator

# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class DefinitionError:
    """One problem of a definition file: its line (1-based; None when the file has no lines to point
    at), the path of the offending value (``questions[2].options``) and a localized message."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class DefinitionErrors(Exception):
    """The file was refused, and nothing was stored; ``errors`` lists every problem, in line order."""

    def __init__(self, errors: Sequence[DefinitionError]) -> None:
        self.errors: list[DefinitionError] = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(map(str, self.errors))

    def report(self, t: Translator) -> str:
        """The message for the organizer, in their language: a heading, then one problem per line."""
        heading = t.n_(
            "This consultation file has {count} problem; nothing was stored:",
            "This consultation file has {count} problems; nothing was stored:",
            len(self.errors),
        )
        lines = [
            t._("line {line}: {message}", line=e.line, message=e.message) if e.line is not None else e.message
            for e in self.errors
        ]
        return "\n".join([heading, *lines])


# --------------------------------------------------------------------------- pydantic errors


def _keys(model: type[BaseModel]) -> list[str]:
    """The YAML keys a model accepts (its aliases, ``in`` rather than ``in_``)."""
    keys = []
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        keys.append(alias if isinstance(alias, str) else name)
    return keys


_TEXT_FIELDS = {"title", "description", "thanks", "text", "min_label", "max_label"}


def _model_at(data: Any, path: Sequence[str | int]) -> type[BaseModel] | None:
    """The model that validates the mapping at ``path`` of the raw data, to list the keys it accepts."""
    if not path:
        return ConsultationDefinition
    last = path[-1]
    if isinstance(last, str):
        if last == "show_if":
            return Condition
        return LocalizedText if last in _TEXT_FIELDS else None
    if len(path) == 2 and path[0] == "questions":
        try:
            kind = data["questions"][last]["type"]
        except (KeyError, IndexError, TypeError):
            return None
        return QUESTION_TYPES.get(kind) if isinstance(kind, str) else None
    return Option if len(path) >= 2 and path[-2] == "options" else None


def describe(error: Mapping[str, Any], loc: tuple[str | int, ...], data: Any, t: Translator) -> str:
    """A pydantic error, in the organizer's words and language."""
    kind: str = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    name = loc[-1] if loc else ""
    if not loc and kind in ("model_type", "model_attributes_type", "dict_type"):
        return t._(
            "The file must describe a consultation: a mapping of fields such as id, title and questions."
        )
    if kind == "missing":
        return _describe_missing(loc, name, t)
    if kind == "extra_forbidden":
        return _describe_unknown_field(loc, name, data, t)
    if kind in ("too_short", "too_long"):
        return _describe_length(kind, name, ctx, t)
    plain = _PLAIN.get(kind)
    if plain is not None:
        return plain(t, ctx)
    return t._("Invalid value: {detail}", detail=error.get("msg", kind))


def _describe_missing(loc: tuple[str | int, ...], name: str | int, t: Translator) -> str:
    if len(loc) >= 3 and loc[-3] == "options" and name == "id":
        return t._("This option needs an “id”: its French text gives none.")
    if name == "fr":
        return t._("The French text (fr) is required.")
    return t._("The field “{field}” is missing.", field=name)


def _describe_unknown_field(loc: tuple[str | int, ...], name: str | int, data: Any, t: Translator) -> str:
    model = _model_at(data, loc[:-1])
    if model is None:
        return t._("Unknown field “{field}”.", field=name)
    keys = _keys(model)
    close = difflib.get_close_matches(str(name), keys, n=1)
    if close:
        return t._("Unknown field “{field}”; did you mean “{suggestion}”?", field=name, suggestion=close[0])
    return t._("Unknown field “{field}”; expected one of: {fields}.", field=name, fields=", ".join(keys))


def _types() -> str:
    return ", ".join(QUESTION_TYPES)


# pydantic's error types (and the definition's own) whose message needs only the error's context
_PLAIN: dict[str, Callable[[Translator, Mapping[str, Any]], str]] = {
    "invalid_key": lambda t, ctx: t._("Field names must be text."),
    "union_tag_invalid": lambda t, ctx: t._(
        "Unknown question type “{type}”; expected one of: {types}.", type=ctx.get("tag"), types=_types()
    ),
    "union_tag_not_found": lambda t, ctx: t._(
        "The field “type” is missing; expected one of: {types}.", types=_types()
    ),
    "string_type": lambda t, ctx: t._("Expected a text."),
    **dict.fromkeys(
        ("int_type", "int_parsing", "int_from_float"), lambda t, ctx: t._("Expected a whole number.")
    ),
    **dict.fromkeys(("bool_type", "bool_parsing"), lambda t, ctx: t._("Expected true or false.")),
    **dict.fromkeys(("list_type", "tuple_type"), lambda t, ctx: t._("Expected a list.")),
    **dict.fromkeys(
        ("model_type", "model_attributes_type", "dict_type"),
        lambda t, ctx: t._("Expected a mapping of fields (name: value)."),
    ),
    "string_too_short": lambda t, ctx: t._("This text is empty."),
    "greater_than_equal": lambda t, ctx: t._("The value must be at least {limit}.", limit=ctx.get("ge")),
    "less_than_equal": lambda t, ctx: t._("The value must be at most {limit}.", limit=ctx.get("le")),
    "consultation_id": lambda t, ctx: t._(
        "The id “{value}” is not valid: use 3 to 40 lowercase letters, digits and hyphens, "
        "not starting or ending with a hyphen.",
        value=ctx.get("value"),
    ),
    "key": lambda t, ctx: t._(
        "The id “{value}” is not valid: use 1 to {limit} lowercase letters, digits, - and _.",
        value=ctx.get("value"),
        limit=KEY_LIMIT,
    ),
    "localized_text": lambda t, ctx: t._("Expected a text, or a mapping of languages (fr, en)."),
    "text_too_long": lambda t, ctx: t._(
        "The text ({language}) is {length} characters long; the limit is {limit}.",
        language=ctx.get("language"),
        length=ctx.get("length"),
        limit=ctx.get("limit"),
    ),
    "option": lambda t, ctx: t._("Expected an option: a text, or a mapping with “id” and “text”."),
    "timezone": lambda t, ctx: t._(
        "Unknown time zone “{value}”; use a name such as Europe/Paris.", value=ctx.get("value")
    ),
    "date": lambda t, ctx: t._(
        "“{value}” is not a date: write it as 2026-12-01 09:00 (local time).", value=ctx.get("value")
    ),
    "relative_date": lambda t, ctx: t._(
        "“{value}” depends on today's date: write the full date with its year, such as 2026-12-01 09:00.",
        value=ctx.get("value"),
    ),
    "number": lambda t, ctx: t._("Expected a number."),
    "number_too_long": lambda t, ctx: t._("A number has at most {limit} digits.", limit=ctx.get("limit")),
    "control_character": lambda t, ctx: t._(
        "This text contains an invisible control character ({code}) that cannot be kept; remove it.",
        code=ctx.get("code"),
    ),
    "condition_value": lambda t, ctx: t._("Expected a single value: an option id, yes or no, or a number."),
    "condition_values": lambda t, ctx: t._("Expected a non-empty list of values."),
}


def raw_at(data: Any, path: Sequence[str | int]) -> Any:
    """The raw value at ``path`` of the file's data, or None."""
    for element in path:
        try:
            data = data[element]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def recount(error: Mapping[str, Any], raw: Any) -> Mapping[str, Any] | None:
    """Pydantic counts a list's items after validation: a list of two options, one of them invalid, is
    "too short". Count what the file holds instead; None when the length is right after all (the invalid
    item has its own error)."""
    if error["type"] not in ("too_short", "too_long") or not isinstance(raw, list):
        return error
    ctx = error.get("ctx") or {}
    count = len(raw)
    if error["type"] == "too_short" and count >= ctx.get("min_length", 0):
        return None
    if error["type"] == "too_long" and count <= ctx.get("max_length", count):
        return None
    return {**error, "ctx": {**ctx, "actual_length": count}}


def _describe_length(kind: str, name: str | int, ctx: Mapping[str, Any], t: Translator) -> str:
    count = ctx.get("actual_length")
    if kind == "too_short":
        minimum = ctx.get("min_length")
        if name == "options":
            return t._(
                "A question of this type needs at least {minimum} options; there are {count}.",
                minimum=minimum,
                count=count,
            )
        if name == "questions":
            return t._("A consultation needs at least one question.")
        return t._("Too few items: at least {minimum}, and there are {count}.", minimum=minimum, count=count)
    maximum = ctx.get("max_length")
    if name == "options":
        return t._(
            "A question of this type has at most {maximum} options; there are {count}.",
            maximum=maximum,
            count=count,
        )
    return t._("Too many items: at most {maximum}, and there are {count}.", maximum=maximum, count=count)
