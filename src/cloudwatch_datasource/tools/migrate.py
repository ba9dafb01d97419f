"""`cloudwatch-datasource migrate`: point Grafana dashboards, library panels, alert rules and datasource
provisioning files from the built-in CloudWatch datasource to this plugin, or back (`--reverse`).

    cloudwatch-datasource migrate --builtin-uid cw --plugin-uid cw-python dashboard.json          # dry run
    cloudwatch-datasource migrate --builtin-uid cw --plugin-uid cw-python --write dashboards/*.json alerts.yaml
    cloudwatch-datasource migrate --builtin-name CloudWatch --plugin-uid cw-python -o - < dash.json > new.json

What it rewrites (only string values; every other byte of the file is kept, tools/spans.py):
- datasource references wherever Grafana keeps them: panels (also inside rows and `__elements`, an export's
  library panels, and the `model` of a library panel from /api/library-elements), each target, template
  variables, annotations: `{"type": "cloudwatch", "uid": "<uid>"}`, a bare uid or name string (older
  dashboards), a type-only reference; references through a datasource variable (`$datasource`) or an import
  input (`${DS_CLOUDWATCH}`) keep their uid and get the new type;
- datasource variables (`"type": "datasource", "query": "cloudwatch"`) and their current value;
- an exported dashboard's `__inputs` (pluginId, pluginName) and `__requires` (id, name);
- alert rules (provisioning files and exports, JSON or YAML): `data[].datasourceUid` and `model.datasource`;
- datasource provisioning: `type`, `uid`, `name` of the datasource named by --builtin-uid/--builtin-name, and
  `deleteDatasources` names.

A panel, variable, annotation or alert rule that holds a query this plugin cannot run (`UNSUPPORTED`) keeps
pointing at the built-in datasource, and the report says why. A panel on Grafana's default datasource
(`"datasource": null` or none) is not changed and is reported, since the tool cannot know which datasource that
is. Queries that run but behave differently get a note (`NOTES`). Running it twice changes nothing the second
time. `--reverse` with the same options undoes it byte for byte, provided names map to names (give --plugin-name
when the files refer to datasources by name) and no changed value is noted as "re-spelled": a YAML plain
scalar that had to be quoted (`cw` -> `"12345"`) or a JSON/YAML string written with escapes (`"c\\u0077"`) comes
back as the same value, not the same bytes.

`--copy` (dashboards, for running both datasources side by side: docs/side-by-side.md) makes the result a copy
that importing does not put in place of the original: the dashboard's `uid` becomes `--new-uid` or one derived
from the old uid (`<uid>-cwpy`; a uid over Grafana's 40 characters is shortened with a hash of the old one), its
`title` gets `--title-suffix`, and its `id` is removed (Grafana matches an import by uid, then by id). Every other
byte is kept, as without --copy. Running it again on its output changes nothing. There is no reverse of a copy:
the original is still in Grafana; delete the copy to go back (--copy with --reverse is refused). Library panels
are shared by the original and the copy, so migrating a library panel moves both.

A YAML anchor (`&cw cw`) whose aliases (`*cw`) are not all references that move the same way (one is a Logs
rule kept on the built-in datasource, or a field that is not a datasource reference) cannot be changed in one
place: the file is refused (exit status 1, nothing written) with the lines to fix.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .. import PLUGIN_ID
from .spans import Document, Node, ParseError, parse_json, parse_yaml


class Refused(ValueError):
    """A file this tool will not rewrite, because any rewrite would also change a value that must stay."""

BUILTIN_TYPE = "cloudwatch"  # Grafana's built-in CloudWatch plugin id and name (its plugin.json)
BUILTIN_PLUGIN_NAME = "CloudWatch"
PLUGIN_NAME = "CloudWatch (Python)"  # plugin/plugin.json `name`, as PLUGIN_ID is its `id` (a test checks both)


@dataclass(frozen=True)
class Feature:
    """A kind of query, recognised by `applies(query, where)`; `where` is "panel", "variable", "annotation" or
    "alert"."""

    what: str
    applies: Callable[[Node, str], bool]


def _is_number(node: Node | None) -> bool:
    if node is None or node.is_string:
        return False
    if node.text:  # YAML: a plain scalar that resolved to a number
        return bool(re.fullmatch(r"[-+]?[0-9][0-9_]*(\.[0-9]*)?([eE][-+]?[0-9]+)?", node.text))
    return isinstance(node.value, int | float) and not isinstance(node.value, bool)


# What this plugin cannot answer yet: each a Feature("what", applies); a query one applies to stays where it is.
# Remove a line when the feature lands (Logs Insights queries, the log-groups variable and alarm annotations
# landed with issue 18: docs/queries.md, "Logs queries" and "Alarm annotations").
UNSUPPORTED: tuple[Feature, ...] = ()
# Queries that move but have no exact equivalent on the other side (docs/queries.md, "Differences"), by direction.
NOTES: dict[bool, tuple[Feature, ...]] = {
    False: (
        Feature("Metrics Insights GROUP BY: this plugin labels each series with its GROUP BY keys as well as "
                "`Series`, so alert instances get more labels",
                lambda q, where: "GROUP BY" in (q.str_at("sqlExpression") or "").upper()),
    ),
    True: (
        Feature("a numeric `period`: the built-in datasource refuses it; write it as a string",
                lambda q, where: _is_number(q.get("period"))),
    ),
}
# No jsonData/secureJsonData key needs renaming: settings.py reads Grafana CloudWatch's own names (authType,
# profile, assumeRoleArn, externalId, defaultRegion, endpoint, customMetricsNamespaces, accessKey, secretKey,
# sessionToken, the proxy keys). These keys of Grafana's CloudWatchJsonData (its types.ts) this plugin does not
# use: kept as they are, with a note. Remove a key when the plugin starts reading it.
JSONDATA_UNUSED = ("logGroups", "defaultLogGroups", "tracingDatasourceUid", "enableSecureSocksProxy",
                   "secureSocksProxyUsername", "timeField", "database")

VARIABLE = re.compile(r"^\$\{?([A-Za-z0-9_]+)(?::[^}]*)?\}?$|^\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]$")


@dataclass(frozen=True)
class Side:
    type: str
    plugin_name: str
    uid: str | None
    name: str | None


@dataclass
class Report:
    changed: list[tuple[str, str, str]] = field(default_factory=list)  # (path, old, new)
    left: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    notes: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)  # (path, old value's text): --copy's `id`

    def write(self, out: TextIO, label: str) -> None:
        out.write(f"{label}:\n")
        for path, old, new in self.changed:
            out.write(f"  changed {path}: {old!r} -> {new!r}\n")
        for path, old in self.removed:
            out.write(f"  removed {path}: {old}\n")
        for where, why in self.left:
            out.write(f"  left    {where}: {why}\n")
        for where, why in self.notes:
            out.write(f"  note    {where}: {why}\n")
        removed = f"{len(self.removed)} removed, " if self.removed else ""
        out.write(f"  {len(self.changed)} value(s) changed, {removed}{len(self.left)} place(s) left as they were, "
                  f"{len(self.notes)} note(s)\n")


def _variable(value: str) -> str | None:
    match = VARIABLE.match(value)
    return (match.group(1) or match.group(2)) if match else None


def _title(node: Node, path: str) -> str:
    for key in ("title", "name"):
        if (text := node.str_at(key)) is not None:
            return f"{path} {text!r}"
    return path or "/"


class Migration:
    """One document moved from `source` to `target`: edits queued on `doc`, what happened in `report`."""

    def __init__(self, doc: Document, source: Side, target: Side, reverse: bool) -> None:
        self.doc, self.source, self.target, self.reverse = doc, source, target, reverse
        self.report = Report()
        self.variables: set[str] = set()  # datasource variables and import inputs that select the source type
        self.others: set[str] = set()
        self.owner = ""  # the title of the panel or rule being walked, for the report
        self.elements: set[str] = set()  # library panels an export carries in `__elements`

    def run(self) -> Report:
        for root in self.doc.roots:
            self._collect_variables(root)
            self.elements.update(key for key, _ in (root.get("__elements") or Node({}, 0, 0)).items())
        for root in self.doc.roots:
            self._walk(root, "")
        for uid in sorted(self.others):
            self.report.notes.append(("/", f"references to another {self.source.type} datasource ({uid!r}) "
                                           "left as they are"))
        return self.report

    # -- edits --------------------------------------------------------------------------------------------
    def _set(self, node: Node | None, new: str | None, path: str) -> None:
        if node is None or new is None or not node.is_string:
            return
        old = node.value
        try:
            if self.doc.set_string(node, new):
                self.report.changed.append((path, old, new))
                if (spelled := self.doc.respelled(node, new)) is not None:
                    spelled = spelled.replace("\r", "\\r").replace("\n", "\\n")  # a folded plain scalar: one line
                    self.report.notes.append((path, f"re-spelled: it was written `{spelled}`; --reverse gives back "
                                                    f"the value {old!r}, not those bytes"))
        except ValueError as exc:
            self.report.left.append((path, str(exc)))

    def _new_reference(self, old: str) -> str | None:
        """The string a uid-or-name reference to the source becomes (None: not a reference to the source)."""
        if self.source.uid is not None and old == self.source.uid:
            return self.target.uid or self.target.name
        if self.source.name is not None and old == self.source.name:
            return self.target.name or self.target.uid
        return None

    # -- the walk ------------------------------------------------------------------------------------------
    def _collect_variables(self, node: Node) -> None:
        if isinstance(node.value, dict):
            name = node.str_at("name")
            if name and node.str_at("type") == "datasource" and node.str_at("query") == self.source.type:
                self.variables.add(name)  # a dashboard's datasource variable
            if name and node.str_at("type") == "datasource" and node.str_at("pluginId") == self.source.type:
                self.variables.add(name)  # an export's __inputs entry (DS_CLOUDWATCH)
            for _, child in node.items():
                self._collect_variables(child)
        for child in node.elements():
            self._collect_variables(child)

    def _walk(self, node: Node, path: str, owner: str = "") -> None:
        skip: set[str] = set()
        if isinstance(node.value, dict):
            if node.str_at("title") is not None:
                owner = repr(node.str_at("title"))
            self.owner = owner
            if path == "":
                self._provisioning(node)
            self._inputs_and_requires(node, path)
            self._datasource_variable(node, path)
            skip = self._holder(node, path)
            library = node.get("libraryPanel")
            if library is not None and "targets" not in node.value and library.str_at("uid") not in self.elements:
                self.report.notes.append((_title(node, path), "a library panel: its queries are stored in Grafana; "
                                          "migrate its export (/api/library-elements) too"))
            for key, child in node.items():
                if key not in skip:
                    self._walk(child, f"{path}/{key}", owner)
        for index, child in enumerate(node.elements()):
            self._walk(child, f"{path}/{index}", owner)

    def _holder(self, node: Node, path: str) -> set[str]:
        """A panel, alert query, variable or annotation: its references move together, or not at all."""
        targets = node.get("targets")
        if targets is not None and isinstance(targets.value, list):
            where, own = "panel", node.get("datasource")
            refs = [(own, f"{path}/datasource")] if own is not None else []
            own_edits = self._match(own) if own is not None else None
            queries: list[tuple[Node, str]] = []
            for index, target in enumerate(targets.elements()):
                ref = target.get("datasource")
                edits = self._match(ref) if ref is not None else own_edits
                if ref is not None:
                    refs.append((ref, f"{path}/targets/{index}/datasource"))
                if edits is not None:
                    queries.append((target, f"{path}/targets/{index}"))
            self._move(node, path, where, refs, queries)
            if (own is None or own.value is None) and any(
                    target.get("datasource") is None or target.value["datasource"].value is None
                    for target in targets.elements() if isinstance(target.value, dict)):
                self.report.left.append((_title(node, path), "uses the default datasource: not changed (check "
                                                             "which datasource is the default in Grafana)"))
            return {"targets", "datasource"}
        uid = node.get("datasourceUid")
        if uid is not None and uid.is_string:
            model = node.get("model")
            refs = [(uid, f"{path}/datasourceUid")]
            if model is not None and model.get("datasource") is not None:
                refs.append((model.value["datasource"], f"{path}/model/datasource"))
            matched = self._new_reference(uid.value) is not None
            self._move(node, path, "alert", refs, [(model, f"{path}/model")] if matched and model else [])
            return {"datasourceUid", "model"}
        ref = node.get("datasource")
        if ref is None or node.str_at("type") == "datasource" and node.get("query") is not None:
            return set()
        where = "annotation" if "/annotations/" in path + "/" else "variable" if "/templating/" in path else "panel"
        query = node.get("query") if where == "variable" else None
        inner = node.get("target")  # newer annotations keep their query here
        queries = [(node, path)]
        if query is not None and isinstance(query.value, dict):
            queries.append((query, f"{path}/query"))
        if inner is not None and isinstance(inner.value, dict):
            queries.append((inner, f"{path}/target"))
        self._move(node, path, where, [(ref, f"{path}/datasource")], queries if self._match(ref) is not None else [])
        return {"datasource", "target"}

    def _match(self, ref: Node | None) -> list[tuple[Node, str, str]] | None:
        """The edits (node, relative path, new value) that move one datasource reference, [] when it refers to the
        source through a variable (nothing to change), None when it does not refer to the source."""
        if ref is None:
            return None
        if ref.is_string:
            new = self._new_reference(ref.value)
            if new is not None:
                return [(ref, "", new)]
            return [] if _variable(ref.value) in self.variables else None
        if not isinstance(ref.value, dict):
            return None
        kind, uid = ref.str_at("type"), ref.str_at("uid")
        if kind is not None and kind != self.source.type:
            return None
        edits: list[tuple[Node, str, str]] = []
        if uid is None:
            if kind is None:
                return None  # no type, no uid: Grafana's default datasource, whatever it is
        elif (new := self._new_reference(uid)) is not None:
            edits.append((ref.value["uid"], "/uid", new))
        elif _variable(uid) not in self.variables:
            if kind is not None:
                self.others.add(uid)
            return None
        if kind is not None:
            edits.append((ref.value["type"], "/type", self.target.type))
        return edits

    def _move(self, node: Node, path: str, where: str, refs: list[tuple[Node, str]],
              queries: list[tuple[Node, str]]) -> None:
        plans = [(self._match(ref), ref_path) for ref, ref_path in refs]
        if all(edits is None for edits, _ in plans):
            return
        if not self.reverse:
            blocked = sorted({f.what for q, _ in queries for f in UNSUPPORTED if f.applies(q, where)})
            if blocked:
                names = {_variable(ref.str_at("uid") or (ref.value if ref.is_string else "") or "") for ref, _ in refs}
                through = sorted({name for name in names if name is not None} & self.variables)
                why = f"{', '.join(blocked)}: not supported by this plugin yet; kept on the built-in datasource"
                if through:
                    why += (f" (it selects its datasource through the variable {through[0]}, which now selects this "
                            "plugin's datasources: give it a datasource of its own)")
                label = _title(node, path)
                self.report.left.append((label if label != path or not self.owner else f"{path} (in {self.owner})",
                                         why))
                return
        for q, q_path in queries:
            for feature in NOTES[self.reverse]:
                if feature.applies(q, where):
                    self.report.notes.append((q_path, feature.what))
        for edits, ref_path in plans:
            for ref_node, suffix, new in edits or []:
                self._set(ref_node, new, ref_path + suffix)

    def _datasource_variable(self, node: Node, path: str) -> None:
        if node.str_at("type") != "datasource" or node.str_at("query") != self.source.type:
            return
        self._set(node.get("query"), self.target.type, f"{path}/query")
        for part, option in [("current", node.get("current")),
                             *((f"options/{i}", o) for i, o in enumerate((node.get("options") or Node([], 0, 0))
                                                                         .elements()))]:
            if option is None:
                continue
            for key in ("value", "text"):
                value = option.get(key)
                for i, item in enumerate(value.elements() if value is not None and value.value.__class__ is list
                                         else [value] if value is not None else []):
                    if item.is_string and (new := self._new_reference(item.value)) is not None:
                        suffix = f"/{i}" if value is not item else ""
                        self._set(item, new, f"{path}/{part}/{key}{suffix}")

    def _inputs_and_requires(self, node: Node, path: str) -> None:
        names = {self.source.plugin_name: self.target.plugin_name}
        for index, item in enumerate((node.get("__inputs") or Node([], 0, 0)).elements()):
            if item.str_at("type") == "datasource" and item.str_at("pluginId") == self.source.type:
                self._set(item.get("pluginId"), self.target.type, f"{path}/__inputs/{index}/pluginId")
                self._set(item.get("pluginName"), names.get(item.str_at("pluginName") or ""),
                          f"{path}/__inputs/{index}/pluginName")
        for index, item in enumerate((node.get("__requires") or Node([], 0, 0)).elements()):
            if item.str_at("type") == "datasource" and item.str_at("id") == self.source.type:
                self._set(item.get("id"), self.target.type, f"{path}/__requires/{index}/id")
                self._set(item.get("name"), names.get(item.str_at("name") or ""), f"{path}/__requires/{index}/name")

    def _provisioning(self, root: Node) -> None:
        """A datasource provisioning file (Grafana's provisioning/datasources/*.yaml): the entry for the source."""
        for index, entry in enumerate((root.get("datasources") or Node([], 0, 0)).elements()):
            path = f"/datasources/{index}"
            if entry.str_at("type") != self.source.type:
                continue
            uid, name = entry.str_at("uid"), entry.str_at("name")
            if not ((uid is not None and uid == self.source.uid) or (name is not None and name == self.source.name)):
                self.others.add(uid or name or path)
                continue
            self._set(entry.get("type"), self.target.type, f"{path}/type")
            if uid is not None:
                self._set(entry.get("uid"), self.target.uid, f"{path}/uid")
            elif self.target.uid:
                self.report.notes.append((path, f"no uid: Grafana makes one up; add `uid: {self.target.uid}` so the "
                                                "migrated dashboards and alert rules find this datasource"))
            if name is not None and self.target.name:
                self._set(entry.get("name"), self.target.name, f"{path}/name")
            for key in JSONDATA_UNUSED:
                if (entry.get("jsonData") or Node({}, 0, 0)).get(key) is not None:
                    self.report.notes.append((f"{path}/jsonData/{key}", "kept; this plugin does not use it"))
        for index, entry in enumerate((root.get("deleteDatasources") or Node([], 0, 0)).elements()):
            if self.target.name and entry.str_at("name") == self.source.name:
                self._set(entry.get("name"), self.target.name, f"/deleteDatasources/{index}/name")


# ---------------------------------------------------------------------------------------------------- copy
COPY_UID_SUFFIX = "-cwpy"
COPY_TITLE_SUFFIX = " (CloudWatch Python)"
# Grafana's dashboard uid: up to 40 characters of letters, digits, '-' and '_' (the dashboard JSON model's `uid`,
# https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/).
UID = re.compile(r"[A-Za-z0-9_-]{1,40}")


@dataclass(frozen=True)
class Copy:
    """`--copy`: the new uid (None: derived from the old one) and the title suffix."""

    uid: str | None = None
    title_suffix: str = COPY_TITLE_SUFFIX


def copy_uid(old: str) -> str:
    """The uid of a dashboard's copy: `<old>-cwpy`, the same every run; a uid that already ends so is a copy's.
    Over 40 characters, the old uid is cut and a hash of all of it keeps two long uids apart."""
    if old.endswith(COPY_UID_SUFFIX):
        return old
    new = old + COPY_UID_SUFFIX
    if len(new) <= 40:
        return new
    digest = hashlib.sha256(old.encode()).hexdigest()[:8]
    return f"{old[:40 - len(COPY_UID_SUFFIX) - 9]}-{digest}{COPY_UID_SUFFIX}"


def _dashboard(doc: Document) -> tuple[Node, str]:
    """The dashboard of a JSON document: the root, or `dashboard` of /api/dashboards/uid's {dashboard, meta}."""
    if doc.kind != "json" or len(doc.roots) != 1:
        raise Refused("--copy takes a dashboard's JSON")
    root = doc.roots[0]
    inner = root.get("dashboard")
    dashboard, path = (inner, "/dashboard") if inner is not None and isinstance(inner.value, dict) else (root, "")
    if not isinstance(dashboard.value, dict) or not any(
            key in dashboard.value for key in ("panels", "rows", "schemaVersion")):
        raise Refused("--copy: not a dashboard (no panels, rows or schemaVersion)")
    return dashboard, path


def copy_dashboard(doc: Document, copy: Copy, report: Report) -> None:
    """Queue the edits that make the document a copy of its dashboard (see the module docstring)."""
    dashboard, path = _dashboard(doc)
    uid, title = dashboard.get("uid"), dashboard.get("title")
    if uid is not None and uid.is_string:
        new_uid = copy.uid or copy_uid(uid.value)
        if doc.set_string(uid, new_uid):
            report.changed.append((f"{path}/uid", uid.value, new_uid))
    else:
        report.left.append((f"{path}/uid", "no uid: Grafana gives the copy a new one when it is imported"
                            + (f" (add `\"uid\": \"{copy.uid}\"` for --new-uid)" if copy.uid else "")))
    if title is not None and title.is_string and copy.title_suffix and not title.value.endswith(copy.title_suffix):
        if doc.set_string(title, title.value + copy.title_suffix):
            report.changed.append((f"{path}/title", title.value, title.value + copy.title_suffix))
    id_node = dashboard.get("id")
    if id_node is not None and doc.remove_member(dashboard, "id"):
        report.removed.append((f"{path}/id", doc.text[id_node.start:id_node.end]))
    if _has_library_panels(dashboard):
        report.notes.append((path or "/", "library panels are shared by the original and the copy: migrating one "
                                          "(its export from /api/library-elements) moves both"))


def _has_library_panels(node: Node) -> bool:
    if isinstance(node.value, dict):
        return "libraryPanel" in node.value or any(_has_library_panels(child) for _, child in node.items())
    return any(_has_library_panels(child) for child in node.elements())


def _check_copy(result: str, uid: str | None) -> None:
    """The written copy, read back as Grafana reads it: no `id` (a repeated key could hide one) and the new uid."""
    loaded = json.loads(result)
    dashboard = loaded["dashboard"] if isinstance(loaded.get("dashboard"), dict) else loaded
    if "id" in dashboard or (uid is not None and dashboard.get("uid") != uid):
        raise Refused("--copy: the dashboard has its `id` or `uid` more than once; remove the repeats and run again")


# --------------------------------------------------------------------------------------------------- files
def parse(text: str, kind: str) -> Document:
    return parse_json(text) if kind == "json" else parse_yaml(text)


def kind_of(name: str, text: str, forced: str | None) -> str:
    if forced:
        return forced
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    return "json" if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[") else "yaml"


def migrate_text(text: str, kind: str, builtin: Side, plugin: Side, reverse: bool = False,
                 copy: Copy | None = None) -> tuple[str, Report]:
    """The document with its references moved (built-in → plugin, or back with `reverse`) and the report; with
    `copy`, a copy of the dashboard (forward only)."""
    if copy is not None and reverse:
        raise ValueError("a copy has no reverse: delete the copy in Grafana")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    doc = parse(text[len(bom):], kind)
    source, target = (plugin, builtin) if reverse else (builtin, plugin)
    report = Migration(doc, source, target, reverse).run()
    if copy is not None:
        copy_dashboard(doc, copy, report)
    conflicts = doc.shared_conflicts()
    if conflicts:
        raise Refused("refused, nothing written: " + "; ".join(
            f"line {doc.line_of(node)}: the YAML anchor holding {node.value!r} is used in {uses} places but only "
            f"{asked} of them are datasource references to change"
            for node, asked, uses in conflicts) + " (write the value out in place of its aliases `*name` that must "
            "stay, then run again)")
    result = doc.render()
    if copy is not None:
        _check_copy(result, next((new for path, _, new in report.changed if path.endswith("/uid")), None))
    return bom + result, report


def _read_stdin(stdin: TextIO) -> bytes:
    buffer = getattr(stdin, "buffer", None)
    data: bytes = buffer.read() if buffer is not None else stdin.read().encode("utf-8")
    return data


def _write_stdout(stdout: TextIO, text: str) -> None:
    buffer = getattr(stdout, "buffer", None)
    if buffer is not None:
        stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()
    else:
        stdout.write(text)


def sides(args: argparse.Namespace) -> tuple[Side, Side]:
    return (Side(BUILTIN_TYPE, BUILTIN_PLUGIN_NAME, args.builtin_uid, args.builtin_name),
            Side(PLUGIN_ID, PLUGIN_NAME, args.plugin_uid, args.plugin_name))


def main(argv: list[str], stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cloudwatch-datasource migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", help="dashboard, library panel, alert rule or datasource provisioning "
                                                 "files (JSON or YAML); '-' or none: standard input")
    parser.add_argument("--builtin-uid", help="uid of the built-in CloudWatch datasource")
    parser.add_argument("--builtin-name", help="its name (older dashboards refer to datasources by name)")
    parser.add_argument("--plugin-uid", required=True, help=f"uid of the {PLUGIN_ID} datasource")
    parser.add_argument("--plugin-name", help="its name: references by name become this (default: its uid)")
    parser.add_argument("--reverse", action="store_true", help="move from this plugin back to the built-in one")
    parser.add_argument("--copy", action="store_true",
                        help="dashboards: make the result a copy (new uid, title suffix, no id) that importing does "
                             "not put in place of the original; no reverse (delete the copy), not with --reverse")
    parser.add_argument("--new-uid", help=f"--copy: the copy's uid (default: the old uid + {COPY_UID_SUFFIX!r})")
    parser.add_argument("--title-suffix", default=COPY_TITLE_SUFFIX,
                        help=f"--copy: added to the copy's title (default: {COPY_TITLE_SUFFIX!r})")
    parser.add_argument("--write", action="store_true", help="rewrite the files in place (default: a dry run)")
    parser.add_argument("-o", "--output", help="write the result to this file ('-': standard output); one input")
    parser.add_argument("--format", choices=["json", "yaml"], help="default: by file extension, else by content")
    args = parser.parse_args(argv)
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    if not args.builtin_uid and not args.builtin_name:
        parser.error("give --builtin-uid or --builtin-name (or both)")
    files = args.files or ["-"]
    if args.output and len(files) != 1:
        parser.error("-o takes one input file")
    if args.write and "-" in files:
        parser.error("--write rewrites files; standard input has none (use -o)")
    if args.copy and args.reverse:
        parser.error("--copy has no reverse: the original is still in Grafana; delete the copy to go back")
    if not args.copy and (args.new_uid or args.title_suffix != COPY_TITLE_SUFFIX):
        parser.error("--new-uid and --title-suffix go with --copy")
    if args.new_uid and (len(files) != 1 or not UID.fullmatch(args.new_uid)):
        parser.error("--new-uid: one dashboard, and a uid of up to 40 letters, digits, '-' or '_'")
    copy = Copy(args.new_uid, args.title_suffix) if args.copy else None
    builtin, plugin = sides(args)
    # The report goes to stderr when the document itself goes to stdout.
    log = sys.stderr if args.output == "-" else stdout
    failed = False
    for name in files:
        try:
            # Bytes, not text mode: text mode would turn CRLF line endings into LF, changing untouched bytes.
            raw = (_read_stdin(stdin) if name == "-" else Path(name).read_bytes()).decode("utf-8")
            result, report = migrate_text(raw, kind_of(name, raw, args.format), builtin, plugin, args.reverse, copy)
        except (OSError, UnicodeDecodeError, ParseError, Refused) as exc:
            sys.stderr.write(f"{name}: {exc}\n")
            failed = True
            continue
        report.write(log, "<stdin>" if name == "-" else name)
        if args.output == "-":
            _write_stdout(stdout, result)
        elif args.output:
            Path(args.output).write_bytes(result.encode("utf-8"))
        elif args.write and result != raw:
            Path(name).write_bytes(result.encode("utf-8"))
    if not args.write and not args.output:
        log.write("dry run: nothing written (--write rewrites the files, -o FILE writes elsewhere)\n")
    return 1 if failed else 0
