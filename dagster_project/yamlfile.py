"""Reading YAML that people edit by hand (taxonomy/, mappings/): a key written twice in one block
is reported instead of silently keeping the last, and a syntax error comes back as its place and
problem, so each caller can word it for its readers."""
from __future__ import annotations

from dataclasses import dataclass

import yaml


class NotesDuplicateKeys:
    """Loader mixin: call `note_keys(node)` from construct_mapping; `duplicates` then lists
    (key, line, first line) for every plain key written twice in one block."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list[tuple[str, int, int]] = []

    def note_keys(self, node: yaml.MappingNode) -> None:
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key, line = key_node.value, key_node.start_mark.line + 1
                if key in first_line:
                    self.duplicates.append((key, line, first_line[key]))
                else:
                    first_line[key] = line


@dataclass(frozen=True)
class SyntaxProblem:
    where: str                 # "line L, column C", or "(file)" when YAML gives no place
    what: str                  # the parser's words
    block_line: int | None     # where the enclosing block starts, when that is another line
    context: str | None        # the parser's context ("while parsing a block mapping"), if any
    marked: bool               # False: an error YAML could not place at all


def parse(text: str, loader_cls) -> tuple[object, SyntaxProblem | None, list[tuple[str, int, int]]]:
    """(data, syntax problem or None, duplicate keys) of one YAML document."""
    loader = loader_cls(text)
    try:
        return loader.get_single_data(), None, loader.duplicates
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        other_line = exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line
        block_line = exc.context_mark.line + 1 if other_line else None
        return None, SyntaxProblem(where, what, block_line, exc.context, True), []
    except yaml.YAMLError as exc:
        return None, SyntaxProblem("(file)", str(exc), None, None, False), []
    finally:
        loader.dispose()
