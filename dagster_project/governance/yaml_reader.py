"""Reading one taxonomy YAML file as a governance person wrote it, every syntax problem a
`Problem` with its line."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from dagster_project.governance.problems import Problem
from dagster_project.governance.schema import FILES
from dagster_project.yamlfile import NotesDuplicateKeys, parse


class _Loader(NotesDuplicateKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 10x faster
    """Safe YAML with three governance-friendly changes: only true/false are booleans (`on`, `no`,
    `yes` stay words: `no` is Norway, `on order` a status), dates stay text, mapping keys are the
    text as written (a status `1` or a key `null` is not turned into a number or nothing), and a
    key written twice in one block is reported instead of silently keeping the last."""

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        self.note_keys(node)
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while reading a block", node.start_mark, "a key must be a plain word", key_node.start_mark)
            out[key_node.value] = self.construct_object(value_node, deep=deep)
        return out


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def read_yaml(path: Path, content: bytes | None, problems: list[Problem]) -> dict | None:
    name = path.name
    if content is None:
        problems.append(Problem(name, "(file)", f"file not found in {path.parent}",
                                f"restore {name} (every taxonomy folder needs {', '.join(FILES)})"))
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, "(file)", f"not UTF-8 text (byte {exc.start})",
                                "save the file as UTF-8"))
        return None
    data, syntax, duplicates = parse(text, _Loader)
    if syntax is not None and not syntax.marked:
        problems.append(Problem(name, "(file)", f"YAML syntax error: {syntax.what}", "fix the file's syntax"))
        return None
    if syntax is not None:
        what = syntax.what
        if syntax.block_line is not None:
            block = syntax.context.removeprefix("while parsing a ") if syntax.context else "block"
            what += f" (the {block} starts at line {syntax.block_line})"
        problems.append(Problem(name, syntax.where, f"YAML syntax error: {what}",
                                "check the indentation and quoting on that line and the one before "
                                "(a value with ': ' or '#' needs quotes)"))
        return None
    for key, line, first in duplicates:
        problems.append(Problem(name, f"line {line}", f"key '{key}' is written twice in the same block "
                                f"(first at line {first}); YAML would silently keep only the last",
                                "merge the two entries or rename one"))
    if data is None:
        problems.append(Problem(name, "(file)", "the file is empty", "restore its content (see docs/taxonomy.md)"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(name, "(file)", "the file must be a set of `key: value` entries, not a "
                                f"{type(data).__name__}", "restore its top-level keys (see docs/taxonomy.md)"))
        return None
    return data
