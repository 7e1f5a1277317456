"""Reading a consultation's YAML: every problem of the file, each with its line.

:func:`load_definition` turns the text into a frozen :class:`~bot.consultations.model.ConsultationDefinition`
or refuses it with :class:`~bot.consultations.messages.DefinitionErrors`, which lists **every** problem of the
file with its line number, so an organizer fixes a file in one go instead of one error per attempt. Nothing
is stored here. The format is documented in docs/consultation-format.md.

How the loader finds every problem with its line:

1. the text is composed by PyYAML into nodes (each knows its line) and built into plain data with YAML
   1.2 scalars: only ``true``/``false`` are booleans (``yes``, ``no``, ``on`` stay text, so an option
   ``Non`` or a condition ``equals: yes`` means what it says) and dates stay text (read by
   :func:`bot.dates.parse_when`);
2. pydantic validates the whole file and reports every structural problem (type, missing or unknown
   field, pattern, length), each with its ``loc``;
3. the checks that relate several fields (``min`` > ``max``, a condition on a later question, duplicate
   ids, ``closes`` before ``opens``…) are plain functions returning problems; the models' validators run
   them too, so a definition built in Python keeps the same invariants. The loader runs them on every
   part of the file that validated, the parts whose fields are wrong included (those fields dropped), so
   one problem does not hide another;
4. each ``loc`` or check path is mapped to the nearest YAML node, hence to its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import yaml
from pydantic import TypeAdapter, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.consultations.fields import (
    DEFER,
    MAX_FILE_CHARACTERS,
    MAX_VALUES,
    Problem,
    number_to_text,
    path_text,
)
from bot.consultations.messages import DefinitionError, DefinitionErrors, describe, raw_at, recount
from bot.consultations.model import ConsultationDefinition, Schedule, cross_problems, local_time
from bot.consultations.questions import Question
from bot.consultations.questions.base import AnyQuestion
from bot.i18n import Translator

_QUESTION: Final = TypeAdapter(AnyQuestion)

# --------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 scalars: ``yes``/``no``/``on``/``off`` stay text, and so do
    dates (``2026-12-01``) and sexagesimal numbers (``18:00``), and ``010`` is not octal."""


_DROPPED_TAGS = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:timestamp"}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _DROPPED_TAGS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)


class _Refused(Exception):
    """The file cannot be read further (syntax error, alias bomb…): report what was found so far."""

    def __init__(self, line: int | None, render: Callable[[Translator], str]) -> None:
        super().__init__()
        self.line = line
        self.render = render


def _parse(text: str) -> tuple[Node, Any]:
    if len(text) > MAX_FILE_CHARACTERS:
        raise _Refused(
            None,
            lambda t: t._(
                "The file is too large: {size} characters; the limit is {limit}.",
                size=len(text),
                limit=MAX_FILE_CHARACTERS,
            ),
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _Refused(1, lambda t: t._("The file is empty."))
        _check_size(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _Refused(*_syntax_error(exc)) from None
    except yaml.YAMLError as exc:  # unmarked errors (e.g. a character YAML does not allow)
        detail = str(exc)
        raise _Refused(None, lambda t: t._("YAML syntax error: {problem}.", problem=detail)) from None
    finally:
        loader.dispose()
    return node, data


def _syntax_error(exc: yaml.MarkedYAMLError) -> tuple[int | None, Callable[[Translator], str]]:
    """PyYAML's own words (English) for what is wrong, at the line where reading failed; an unclosed
    bracket or quote fails further down, so the line where the construct started is named too."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "?"
    start = exc.context_mark
    if exc.problem and exc.context and start is not None and mark is not None and start.line != mark.line:
        context, started = exc.context, start.line + 1
        return mark.line + 1, lambda t: t._(
            "YAML syntax error: {problem} ({context}, started on line {line}).",
            problem=problem,
            context=context,
            line=started,
        )
    return (mark.line + 1 if mark else None), lambda t: t._("YAML syntax error: {problem}.", problem=problem)


def _check_size(root: Node) -> None:
    """Count values as if aliases were copied: a few lines of aliases can expand to billions."""
    budget = MAX_VALUES
    stack = [root]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise _Refused(
                None,
                lambda t: t._(
                    "The file is too complex: it expands to more than {limit} values.", limit=MAX_VALUES
                ),
            )
        if isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


def _duplicate_keys(root: Node) -> Iterator[tuple[int, Problem]]:
    """PyYAML keeps the last of two equal keys silently; a file saying two things is a mistake."""
    seen: set[int] = set()
    stack: list[tuple[Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    if key.value in keys:
                        yield (
                            key.start_mark.line + 1,
                            Problem(
                                (*path, key.value),
                                lambda t, name=key.value: t._(
                                    "The field “{field}” is given twice.", field=name
                                ),
                            ),
                        )
                    keys.add(key.value)
                    stack.append((value, (*path, key.value)))


def _line(root: Node, path: Sequence[str | int]) -> int:
    """Line (1-based) of the node ``path`` leads to, or of the nearest existing ancestor: a mapping's
    entry is pointed at by its key, a list item by its first character."""
    node, line = root, root.start_mark.line
    for element in path:
        if isinstance(node, MappingNode):
            entry = None
            for key, value in node.value:  # the last equal key wins, as in the data
                if isinstance(key, ScalarNode) and key.value == str(element):
                    entry = (key, value)
            if entry is None:
                break
            line, node = entry[0].start_mark.line, entry[1]
        elif isinstance(node, SequenceNode) and isinstance(element, int) and 0 <= element < len(node.value):
            node = node.value[element]
            line = node.start_mark.line
        else:
            break
    return line + 1


# --------------------------------------------------------------------------- loading


_SCHEDULE_KEYS = ("timezone", "opens", "closes", "opens_at", "closes_at")
_PLACEHOLDER_TEXT = "…"
"""Stands for an invalid question text while checking the rest of the question (no check reads it)."""


def _partially(validate: Callable[[dict[str, Any]], Any], raw: Mapping[Any, Any], bad: set[Any]) -> Any:
    """Validate ``raw`` without its invalid fields, so the checks can still run on the rest; None if even
    that fails (a required field is wrong: the error about it is reported already)."""
    kept = {key: value for key, value in raw.items() if key not in bad}
    if "text" in bad:
        kept["text"] = _PLACEHOLDER_TEXT
    try:
        return validate(kept)
    except ValidationError:
        return None


def _usable(problems: Iterable[Problem], bad: set[Any]) -> list[Problem]:
    return [p for p in problems if not p.depends & bad]


def load_definition(text: str, *, t: Translator, now: datetime | None = None) -> ConsultationDefinition:
    """Read a consultation's YAML, or refuse it with every problem and its line (DefinitionErrors).

    ``now``, when given, also refuses a consultation whose closing date is already past (importing it
    would be pointless); one that already opened is accepted. Messages are in ``t``'s language.
    """
    if now is not None and now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    try:
        root, data = _parse(text)
    except _Refused as refused:
        raise DefinitionErrors([DefinitionError(refused.line, "", refused.render(t))]) from None
    found: list[tuple[int | None, tuple[str | int, ...], str]] = [
        (line, p.path, p.render(t)) for line, p in _duplicate_keys(root)
    ]
    deferred = {DEFER: True}
    definition: ConsultationDefinition | None = None
    bad_locs: list[tuple[str | int, ...]] = []
    try:
        definition = ConsultationDefinition.model_validate(data, context=deferred)
    except ValidationError as exc:
        for raw_error in exc.errors():
            loc = tuple(raw_error["loc"])
            error = recount(raw_error, raw_at(data, loc))
            if error is None:
                continue
            bad_locs.append(loc)
            found.append((_line(root, loc), loc, describe(error, loc, data, t)))

    problems: list[Problem] = []
    if isinstance(data, Mapping):
        problems = _check_parts(data, bad_locs, definition, now)
    found.extend((_line(root, p.path), p.path, p.render(t)) for p in problems)
    if found:
        found.sort(key=lambda item: (item[0] if item[0] is not None else 0, path_text(item[1])))
        raise DefinitionErrors(
            [DefinitionError(line, path_text(path), message) for line, path, message in found]
        )
    assert definition is not None  # no error means pydantic accepted the file
    return definition


def _check_parts(
    data: Mapping[str, Any],
    bad_locs: list[tuple[str | int, ...]],
    definition: ConsultationDefinition | None,
    now: datetime | None,
) -> list[Problem]:
    """Run the cross-field checks on every part of the file that validates, once its bad fields are set
    aside: the dates, each question, then the questions together."""

    def bad_under(*prefix: str | int) -> set[Any] | None:
        """Keys under ``prefix`` that had an error; None when the object at ``prefix`` itself is wrong."""
        keys: set[Any] = set()
        for loc in bad_locs:
            if loc[: len(prefix)] == prefix:
                if len(loc) == len(prefix):
                    return None
                keys.add(loc[len(prefix)])
        return keys

    problems: list[Problem] = []
    top_bad = bad_under() or set()
    problems += _schedule_problems(data, top_bad, now)
    if definition is not None:
        questions: list[Question | None] = list(definition.questions)
        ids: list[str | None] = [q.id for q in definition.questions]
    elif isinstance(data.get("questions"), list):
        questions, ids = _partial_questions(data["questions"], bad_under)
    else:
        return problems
    for index, question in enumerate(questions):
        if question is not None:
            bad = bad_under("questions", index) or set()
            problems += [p.under("questions", index) for p in _usable(question.problems(), bad)]
    problems += cross_problems(questions, ids)
    return problems


def _schedule_problems(data: Mapping[str, Any], top_bad: set[Any], now: datetime | None) -> list[Problem]:
    """The dates' own checks, on those of them that validate (and a closing date already past)."""
    raw_schedule = {key: data[key] for key in _SCHEDULE_KEYS if key in data}
    schedule: Schedule | None = _partially(
        lambda raw: Schedule.model_validate(raw, context={DEFER: True}), raw_schedule, top_bad
    )
    if schedule is None:
        return []
    problems = _usable(schedule.schedule_problems(), top_bad)
    if now is not None and "closes" not in top_bad and schedule.closes_at <= now:
        closes_at, zone = schedule.closes_at, schedule.timezone
        problems.append(
            Problem(
                ("closes",),
                lambda t: t._(
                    "This consultation already closed ({closes}).", closes=local_time(closes_at, zone, t)
                ),
            )
        )
    return problems


def _partial_questions(
    raw_questions: list[Any], bad_under: Callable[..., set[Any] | None]
) -> tuple[list[Question | None], list[str | None]]:
    """The questions of a file that does not validate as a whole: each one that validates once its bad
    fields are set aside, and the ids that can be read."""
    questions: list[Question | None] = []
    ids: list[str | None] = []
    for index, raw in enumerate(raw_questions):
        bad = bad_under("questions", index)
        question = None
        if bad is not None and isinstance(raw, Mapping):
            question = _partially(
                lambda kept: _QUESTION.validate_python(kept, context={DEFER: True}), raw, bad
            )
        questions.append(question)
        if question is not None and bad is not None and "id" not in bad:
            ids.append(question.id)
        else:
            raw_id = number_to_text(raw.get("id")) if isinstance(raw, Mapping) else None
            ids.append(raw_id.strip() if isinstance(raw_id, str) else None)
    return questions, ids
