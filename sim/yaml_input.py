"""Reading the YAML a user hands qicsim (scenario files, experiment specs, targets, ``--set`` values), safely.

``yaml.safe_load`` builds only plain data, but it still accepts what no qicsim file needs and a hostile
one can abuse: a key given twice (the last silently wins), anchors and aliases (a 437-byte "billion
laughs" document expands to gigabytes), nesting a thousand deep (a RecursionError), and files of any
size. :func:`read_yaml` refuses each of these with a :class:`YamlInputError` that says which and what is
allowed; callers add the file's name (their own error class, so the CLI reports it as bad input: exit 2).
:func:`shorten` keeps any value quoted in an error message short.
"""

from __future__ import annotations

import reprlib
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode

MAX_BYTES = 1_000_000
"""Largest YAML text read (a scenario file is a few kilobytes; a large experiment spec tens)."""
MAX_DEPTH = 32
"""Deepest nesting of lists and mappings (qicsim's own files nest three or four deep)."""
MAX_QUOTED = 80
"""Longest value quoted in an error message, in characters."""


class YamlInputError(ValueError):
    """YAML that qicsim does not read; the message says why and what is allowed."""


class _StrictLoader(yaml.SafeLoader):
    """The safe loader without aliases, repeated keys or deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            mark = self.peek_event().start_mark
            raise YamlInputError(f"line {mark.line + 1}: an alias (*name): anchors and aliases are not allowed; "
                                 "write each value out")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise YamlInputError(f"line {mark.line + 1}: nested more than {MAX_DEPTH} deep (allowed: at most "
                                 f"{MAX_DEPTH} levels of lists and mappings)")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: the base class says so
                break
            if repeated:
                raise YamlInputError(f"line {key_node.start_mark.line + 1}: key {shorten(key)} is given twice "
                                     "(allowed: each key once)")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(text: str) -> Any:
    """The data of a YAML text, refused (:class:`YamlInputError`) if it is too large, nests too deep, repeats a
    key, uses aliases, or is not valid YAML."""
    if len(text) > MAX_BYTES:
        raise YamlInputError(f"{len(text):,} characters (allowed: at most {MAX_BYTES:,})")
    loader = None
    try:
        loader = _StrictLoader(text)  # reading starts here: an unprintable character is refused already
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YamlInputError(f"not valid YAML ({shorten(' '.join(str(exc).split()), 300)})") from None
    finally:
        if loader is not None:
            loader.dispose()


_REPR = reprlib.Repr(maxlevel=3, maxtuple=6, maxlist=6, maxarray=6, maxdict=6, maxset=6, maxfrozenset=6,
                     maxdeque=6, maxstring=MAX_QUOTED, maxlong=40, maxother=MAX_QUOTED)
"""The standard library's size-limited repr: a few items of a few levels of any value, never the whole."""


def shorten(value: Any, limit: int = MAX_QUOTED) -> str:
    """A repr of ``value`` of at most ``limit`` characters (an ellipsis where it is cut): never the whole of a
    huge value, however deeply nested."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
