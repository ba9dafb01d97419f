"""Parse JSON and YAML into trees that remember where each value sits in the text, and rewrite only the values
that change, so every other byte of the file stays as it was.

Why not load and dump: the stdlib json module and PyYAML's dumper re-emit the whole document (indentation, key
order within flow mappings, quoting, comments, number spellings, line endings), so a two-string change would show
as a diff of the whole dashboard and lose YAML comments. Here a document is parsed into `Node`s with the span
(start, end offsets into the text) of each value; an edit replaces one scalar's span with that scalar re-written
in the same style, and `apply` splices the edits into the original text.

- JSON: json.loads first (it is the validator and gives the usual line/column errors), then a walk over the same
  text that records spans, using the stdlib's own pieces for tokens (json.decoder.scanstring, json.scanner's
  NUMBER_RE) so strings and numbers decode exactly as json.loads decodes them.
- YAML: PyYAML's composer (yaml.compose_all) already gives every node a start_mark/end_mark with a character
  index; only the tree shape is converted. A node's start_mark is where its anchor (`&cw`) or tag (`!!str`)
  begins, so a scalar's own text is found from PyYAML's scanner tokens (a ScalarToken ends where its node ends).
  Merge keys (`<<: *base`) are flattened with PyYAML's own SafeConstructor.flatten_mapping, as yaml.safe_load
  does. Scalars are re-written in their original style (plain, single or double quoted); a plain scalar stays
  plain only if it reads back as the same string in block and flow context.
- Aliases (`*cw`) share their anchor's text: `Document.uses` counts the places each YAML scalar appears, and
  `Document.shared_conflicts` lists the edits that were not asked for at every one of those places (an edit there
  would also change a value that must stay), so the caller can refuse the file instead of writing a wrong one.
- Removing a member (`Document.remove_member`, JSON only: what `migrate --copy` needs for a dashboard's `id`) cuts
  the key, the value and one separating comma with the whitespace up to the next key, nothing else.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

JSON_WS = " \t\n\r"
# The stdlib's string token decoder (the C one when built), exactly what json.loads uses; typeshed omits it.
scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


@dataclass(eq=False)
class Node:
    """One value of a document. `value` is a str / int / float / bool / None for scalars (YAML scalars that are
    not strings keep their text in `text` with `value` None and `is_string` False), a dict of key → Node for
    mappings and a list of Node for sequences. `start`/`end` are offsets into the document's text."""

    value: Any
    start: int
    end: int
    is_string: bool = False
    style: str = '"'  # YAML scalar style: '' plain, "'" single, '"' double, '|' / '>' block; JSON strings: '"'
    text: str = ""
    key_start: int = -1  # JSON: where this value's key starts, when it is a member of a mapping

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def str_at(self, key: str) -> str | None:
        """The string value under `key` of a mapping, or None when absent or not a string."""
        node = self.get(key)
        return node.value if node is not None and node.is_string else None

    def items(self) -> list[tuple[str, Node]]:
        return list(self.value.items()) if isinstance(self.value, dict) else []

    def elements(self) -> list[Node]:
        return list(self.value) if isinstance(self.value, list) else []


@dataclass
class Document:
    text: str
    roots: list[Node]
    kind: str  # "json" or "yaml"
    edits: dict[int, tuple[Node, str]] = field(default_factory=dict)  # node start → (node, new string value)
    uses: Counter[int] = field(default_factory=Counter)  # YAML scalar start → places it appears (1 + its aliases)
    # node start → {id of the Node of one place it appears: the new value asked for there}; aliases of one anchor
    # are distinct Nodes with the anchor's start, and a place asked twice counts once.
    asked: dict[int, dict[int, str]] = field(default_factory=dict)
    removals: dict[int, int] = field(default_factory=dict)  # start → end of text to cut (remove_member)

    def set_string(self, node: Node, new: str) -> bool:
        """Queue `node` (a string scalar) to become `new`; False when it already is `new` (nothing to do)."""
        if not node.is_string or node.style in ("|", ">"):
            raise ValueError("only string values in JSON or quoted/plain YAML style are rewritten")
        if node.value == new:
            return False
        self.edits[node.start] = (node, new)
        self.asked.setdefault(node.start, {})[id(node)] = new
        return True

    def remove_member(self, mapping: Node, key: str) -> bool:
        """Queue the member `key` of a JSON mapping to be cut out (False when there is none). The span is the
        key through the start of the next key, or, for the last member, the end of the previous value through
        this one's end: the text left is still JSON with the remaining members as they were written."""
        if self.kind != "json":
            raise ValueError("only members of a JSON object are removed")
        members = [node for _, node in mapping.items()]
        node = mapping.get(key)
        if node is None:
            return False
        index = members.index(node)
        if index + 1 < len(members):
            self.removals[node.key_start] = members[index + 1].key_start
        elif index > 0:
            self.removals[members[index - 1].end] = node.end
        else:
            self.removals[node.key_start] = node.end
        return True

    def shared_conflicts(self) -> list[tuple[Node, int, int]]:
        """(node, places asked, places it appears) for each edit of a YAML anchored scalar that was not asked for,
        with one new value, at every place the anchor's aliases put it: writing it would change the others too."""
        out = []
        for start, (node, _) in sorted(self.edits.items()):
            asked, uses = self.asked[start], self.uses.get(start, 1)
            if len(asked) != uses or len(set(asked.values())) != 1:
                out.append((node, len(asked), uses))
        return out

    def line_of(self, node: Node) -> int:
        return self.text.count("\n", 0, node.start) + 1

    def respelled(self, node: Node, new: str) -> str | None:
        """How `node` is spelled now, when writing `new` in its place and then its old value back (what
        `--reverse` does) would not give back these bytes (quotes added, escapes or line folding dropped);
        None when it would."""
        original = self.text[node.start:node.end]
        if self.kind == "json":
            back = render_json_string(node.value)
        else:
            written = render_yaml_string(new, node.style)
            style = written[0] if written[:1] in ("'", '"') else ""  # a plain scalar never starts with a quote
            back = render_yaml_string(node.value, style)
        return None if back == original else original

    def render(self) -> str:
        """The text with every queued edit and removal spliced in; untouched bytes are the original's."""
        splices = [(node.start, node.end, render_json_string(new) if self.kind == "json"
                    else render_yaml_string(new, node.style)) for node, new in self.edits.values()]
        splices += [(start, end, "") for start, end in self.removals.items()]
        out: list[str] = []
        position = 0
        for start, end, new in sorted(splices):
            if start < position:
                raise ValueError(f"overlapping edits at offset {start}")
            out.append(self.text[position:start])
            out.append(new)
            position = end
        out.append(self.text[position:])
        return "".join(out)


class ParseError(ValueError):
    pass


# ------------------------------------------------------------------------------------------------------- JSON
def parse_json(text: str) -> Document:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON: {exc}") from exc
    node, end = _json_value(text, _skip_ws(text, 0))
    return Document(text, [node], "json")


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in JSON_WS:
        i += 1
    return i


def _json_value(text: str, i: int) -> tuple[Node, int]:
    """The value starting at text[i] (already validated by json.loads) and the offset just after it."""
    c = text[i]
    if c == '"':
        value, end = scanstring(text, i + 1)
        return Node(value, i, end, is_string=True), end
    if c == "{":
        members: dict[str, Node] = {}
        j = _skip_ws(text, i + 1)
        if text[j] == "}":
            return Node(members, i, j + 1), j + 1
        while True:
            key_start = j
            key, j = scanstring(text, j + 1)
            j = _skip_ws(text, _skip_ws(text, j) + 1)  # past ':'
            members[key], j = _json_value(text, j)  # a repeated key: the last wins, as in json.loads
            members[key].key_start = key_start
            j = _skip_ws(text, j)
            if text[j] == "}":
                return Node(members, i, j + 1), j + 1
            j = _skip_ws(text, j + 1)  # past ','
    if c == "[":
        elements: list[Node] = []
        j = _skip_ws(text, i + 1)
        if text[j] == "]":
            return Node(elements, i, j + 1), j + 1
        while True:
            element, j = _json_value(text, j)
            elements.append(element)
            j = _skip_ws(text, j)
            if text[j] == "]":
                return Node(elements, i, j + 1), j + 1
            j = _skip_ws(text, j + 1)
    constants: tuple[tuple[str, bool | None], ...] = (("true", True), ("false", False), ("null", None))
    for literal, constant in constants:
        if text.startswith(literal, i):
            return Node(constant, i, i + len(literal)), i + len(literal)
    match = json.scanner.NUMBER_RE.match(text, i)
    if match is None:  # json.loads accepted it, so only NaN / Infinity are left
        for literal in ("NaN", "Infinity", "-Infinity"):
            if text.startswith(literal, i):
                return Node(float(literal), i, i + len(literal)), i + len(literal)
        raise ParseError(f"unexpected character at offset {i}")
    return Node(json.loads(match.group(0)), i, match.end()), match.end()


def render_json_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# ------------------------------------------------------------------------------------------------------- YAML
def parse_yaml(text: str) -> Document:
    try:
        import yaml  # the `migrate` extra (and a dev dependency); only this tool needs it
    except ImportError as exc:
        raise ParseError("reading YAML needs PyYAML: pip install 'cloudwatch-datasource[migrate]'") from exc

    try:
        composed = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
        # Where each scalar's own text starts, by where it ends: a node's start_mark is its anchor's or tag's.
        scalar_starts = {token.end_mark.index: token.start_mark.index
                         for token in yaml.scan(text, Loader=yaml.SafeLoader) if isinstance(token, yaml.ScalarToken)}
        doc = Document(text, [], "yaml")
        converter = _YamlConverter(doc, scalar_starts)
        doc.roots = [converter.node(n) for n in composed if n is not None]
    except yaml.YAMLError as exc:
        raise ParseError(f"not valid YAML: {exc}") from exc
    return doc


# Aliases are expanded while converting (each alias of a mapping is walked again); this bounds the expansion, so
# nested aliases ("a billion laughs") end in an error instead of taking all memory.
MAX_YAML_NODES = 1_000_000


class _YamlConverter:
    def __init__(self, doc: Document, scalar_starts: dict[int, int]) -> None:
        import yaml

        self.doc, self.scalar_starts, self.count = doc, scalar_starts, 0
        self.flattener = yaml.constructor.SafeConstructor()  # only for flatten_mapping, PyYAML's merge-key rule

    def node(self, node: Any) -> Node:
        import yaml

        self.count += 1
        if self.count > MAX_YAML_NODES:
            raise ParseError(f"more than {MAX_YAML_NODES} values once aliases are expanded")
        start, end = node.start_mark.index, node.end_mark.index
        if isinstance(node, yaml.MappingNode):
            self.flattener.flatten_mapping(node)  # `<<: *base` keys become this mapping's, as yaml.safe_load reads
            # The last of a repeated key wins (a key of this mapping over a merged one), and only the winner is
            # converted, so `uses` counts only the places a value is read from.
            chosen = {key.value: value for key, value in node.value if isinstance(key, yaml.ScalarNode)}
            return Node({key: self.node(value) for key, value in chosen.items()}, start, end)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.node(n) for n in node.value], start, end)
        # No token ends here only for an empty scalar (`key: !!str`): then its own text is empty, at its end.
        start = self.scalar_starts.get(end, end)
        self.doc.uses[start] += 1
        is_string = node.tag == "tag:yaml.org,2002:str"
        return Node(node.value if is_string else None, start, end, is_string=is_string, style=node.style or "",
                    text=node.value)


def _reads_back_plain(value: str) -> bool:
    import yaml

    if not value or value != value.strip():
        return False
    try:
        block = yaml.safe_load("- " + value)
        flow = yaml.safe_load("[" + value + "]")
    except yaml.YAMLError:
        return False
    return block == [value] and flow == [value] and "\n" not in value and "#" not in value


def render_yaml_string(value: str, style: str) -> str:
    if style == "" and _reads_back_plain(value):
        return value
    if style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar
