"""`cloudwatch-datasource migrate` on the committed fixtures (tests/fixtures/migrate, SOURCES.md says where each
shape comes from): forward, reverse, idempotent, round trip, and every byte outside the changed values kept."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudwatch_datasource import cli
from cloudwatch_datasource.tools import migrate, spans
from cloudwatch_datasource.tools.migrate import Report, Side, migrate_text

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "migrate"
FILES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".json", ".yaml"))
BUILTIN = Side("cloudwatch", "CloudWatch", "P034F075C744B399F", "CloudWatch")
PLUGIN = Side("pyaws-cloudwatch-datasource", "CloudWatch (Python)", "cw-python", "CloudWatch (Python)")
ARGS = ["--builtin-uid", "P034F075C744B399F", "--builtin-name", "CloudWatch", "--plugin-uid", "cw-python",
        "--plugin-name", "CloudWatch (Python)"]


def kind(path: Path) -> str:
    return "json" if path.suffix == ".json" else "yaml"


def load(text: str, how: str) -> Any:
    return json.loads(text) if how == "json" else list(yaml.safe_load_all(text))


def set_path(document: Any, pointer: str, old: str, new: str) -> None:
    """Set the value at a report path (/a/0/b) in a loaded document, checking it held `old`."""
    *parents, last = [int(p) if p.isdigit() else p for p in pointer.strip("/").split("/")]
    for part in parents:
        document = document[part]
    assert document[last] == old, pointer
    document[last] = new


def spellings(value: str, how: str) -> list[str]:
    if how == "json":
        return [json.dumps(value, ensure_ascii=False)]
    return [value, "'" + value.replace("'", "''") + "'", json.dumps(value, ensure_ascii=False)]


def assert_only_reported_changes(before: str, after: str, report: Report, how: str) -> None:
    """Line by line: the same lines, and each line that differs is the old line with reported values replaced
    (in some quoting of the format). Then the loaded documents: the old one with each reported change applied
    is the new one."""
    old_lines, new_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old_lines) == len(new_lines)
    pairs = {(old, new) for _, old, new in report.changed}
    for old_line, new_line in zip(old_lines, new_lines, strict=True):
        if old_line == new_line:
            continue
        candidates = {old_line}
        for old, new in pairs:
            for a, b in zip(spellings(old, how), spellings(new, how), strict=True):
                candidates |= {c.replace(a, b) for c in candidates}
        assert new_line in candidates, (old_line, new_line)
    expected = load(before, how)
    for pointer, old, new in report.changed:
        set_path(expected if how == "json" else expected[0], pointer, old, new)
    assert expected == load(after, how)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_forward_changes_only_the_references_and_undoes_byte_for_byte(path: Path) -> None:
    original = path.read_text()
    moved, report = migrate_text(original, kind(path), BUILTIN, PLUGIN)
    assert report.changed, "every fixture refers to the built-in datasource"
    assert moved != original
    assert_only_reported_changes(original, moved, report, kind(path))

    again, second = migrate_text(moved, kind(path), BUILTIN, PLUGIN)
    assert again == moved and second.changed == []  # idempotent

    back, reverse = migrate_text(moved, kind(path), BUILTIN, PLUGIN, reverse=True)
    assert back == original  # the round trip returns the input's bytes
    assert sorted((p, n, o) for p, o, n in reverse.changed) == sorted(report.changed)
    assert_only_reported_changes(moved, back, reverse, kind(path))


def changed(report: Report) -> dict[str, tuple[str, str]]:
    return {pointer: (old, new) for pointer, old, new in report.changed}


def test_exported_dashboard_inputs_rows_library_panels_and_what_stays() -> None:
    text = (FIXTURES / "export-aws-lambda.json").read_text()
    moved, report = migrate_text(text, "json", BUILTIN, PLUGIN)
    done = changed(report)
    assert done["/__inputs/0/pluginId"] == ("cloudwatch", "pyaws-cloudwatch-datasource")
    assert done["/__inputs/0/pluginName"] == ("CloudWatch", "CloudWatch (Python)")
    assert done["/__requires/0/id"][1] == "pyaws-cloudwatch-datasource"
    assert "/__elements/c1a9e2f0-lambda-errors/model/targets/0/datasource/type" in done  # the export's library panel
    assert "/panels/2/panels/0/targets/0/datasource/type" in done  # inside a collapsed row
    assert "/templating/list/0/datasource/type" in done
    result = json.loads(moved)
    assert result["panels"][2]["panels"][0]["datasource"]["uid"] == "${DS_CLOUDWATCH}"  # the input's name stays
    # Logs and alarm annotations move too since the plugin answers them (issue 18).
    assert result["panels"][2]["panels"][1]["datasource"]["type"] == "pyaws-cloudwatch-datasource"
    assert result["panels"][2]["panels"][1]["targets"][0]["datasource"]["type"] == "pyaws-cloudwatch-datasource"
    assert result["annotations"]["list"][1]["datasource"]["type"] == "pyaws-cloudwatch-datasource"
    assert report.left == []
    assert any("GROUP BY" in why for _, why in report.notes)
    assert result["annotations"]["list"][0]["datasource"] == {"type": "grafana", "uid": "-- Grafana --"}


def test_the_unsupported_table_decides_what_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    """A line in UNSUPPORTED is all it takes for the queries it names to stay, reported (Logs, before issue 18)."""
    text = (FIXTURES / "export-aws-lambda.json").read_text()
    logs = migrate.Feature("CloudWatch Logs queries", lambda q, where: q.str_at("queryMode") == "Logs")
    monkeypatch.setattr(migrate, "UNSUPPORTED", (logs,))
    moved, report = migrate_text(text, "json", BUILTIN, PLUGIN)
    assert json.loads(moved)["panels"][2]["panels"][1]["datasource"]["type"] == "cloudwatch"
    assert [where for where, _ in report.left] == ["/panels/2/panels/1 'Function logs'"]
    assert "CloudWatch Logs queries" in report.left[0][1]


def test_community_dashboard_datasource_variable() -> None:
    moved, report = migrate_text((FIXTURES / "community-aws-ec2.json").read_text(), "json", BUILTIN, PLUGIN)
    result = json.loads(moved)
    assert result["templating"]["list"][0]["query"] == "pyaws-cloudwatch-datasource"
    assert result["panels"][0]["datasource"] == {"uid": "$datasource"}  # nothing to change in a typeless ref
    assert {t["datasource"]["type"] for p in result["panels"] for t in p["targets"]} == {"pyaws-cloudwatch-datasource"}
    assert report.left == []


def test_legacy_names_mixed_panels_and_other_datasources() -> None:
    moved, report = migrate_text((FIXTURES / "legacy-by-name.json").read_text(), "json", BUILTIN, PLUGIN)
    result = json.loads(moved)
    assert result["panels"][0]["datasource"] == "CloudWatch (Python)"
    assert result["panels"][1]["datasource"] == "-- Mixed --"
    assert [t["datasource"] for t in result["panels"][1]["targets"]] == ["CloudWatch (Python)", "Prometheus"]
    assert result["panels"][3]["datasource"] == "CloudWatch (account B)"  # another CloudWatch datasource
    assert result["panels"][4]["datasource"] is None  # the default datasource: unknown, left


def test_without_a_plugin_name_name_references_become_the_uid() -> None:
    plugin = Side(PLUGIN.type, PLUGIN.plugin_name, "cw-python", None)
    moved, _ = migrate_text((FIXTURES / "legacy-by-name.json").read_text(), "json", BUILTIN, plugin)
    assert json.loads(moved)["panels"][0]["datasource"] == "cw-python"  # Grafana resolves a uid string too


def test_alert_rules_and_provisioning_yaml_keep_comments_and_quoting() -> None:
    text = (FIXTURES / "alert-rules.yaml").read_text()
    moved, report = migrate_text(text, "yaml", BUILTIN, PLUGIN)
    rules = yaml.safe_load(moved)["groups"][0]["rules"]
    assert rules[0]["data"][0]["datasourceUid"] == "cw-python"
    assert rules[0]["data"][0]["model"]["datasource"] == {"type": "pyaws-cloudwatch-datasource", "uid": "cw-python"}
    assert rules[0]["data"][1]["datasourceUid"] == "__expr__"
    assert rules[1]["data"][0]["datasourceUid"] == "cw-python"  # a Logs rule moves too (issue 18)
    assert report.left == []
    assert "# A rule on CloudWatch Logs" in moved

    text = (FIXTURES / "datasources.yaml").read_text()
    moved, report = migrate_text(text, "yaml", BUILTIN, PLUGIN)
    loaded = yaml.safe_load(moved)
    assert loaded["datasources"][0]["type"] == "pyaws-cloudwatch-datasource"
    assert loaded["datasources"][0]["name"] == "CloudWatch (Python)"
    assert "  - name: CloudWatch (Python)\n" in moved  # plain stays plain when it reads back the same
    assert loaded["datasources"][1]["type"] == "cloudwatch"  # account B is another datasource
    assert loaded["deleteDatasources"][0]["name"] == "CloudWatch (Python)"
    assert not any("logsTimeout" in where for where, _ in report.notes)  # the plugin reads it (issue 18)
    assert "logsTimeout: 30m   # Logs Insights" in moved


def test_yaml_scalars_keep_their_style_or_get_quoted_when_plain_would_change_meaning() -> None:
    text = "datasources:\n  - {name: 'CloudWatch', type: \"cloudwatch\", uid: old}\n"
    for new_uid, spelled in [("new-uid", "uid: new-uid}"), ("123", 'uid: "123"}'), ("a: b", 'uid: "a: b"}'),
                             ("true", 'uid: "true"}')]:
        plugin = Side(PLUGIN.type, PLUGIN.plugin_name, new_uid, "it's mine")
        moved, _ = migrate_text(text, "yaml", Side("cloudwatch", "CloudWatch", "old", None), plugin)
        assert spelled in moved
        assert "name: 'it''s mine'" in moved  # the provisioned datasource takes the new name, quoted as before
        assert 'type: "pyaws-cloudwatch-datasource"' in moved
        assert yaml.safe_load(moved)["datasources"][0]["uid"] == new_uid


@pytest.mark.parametrize("variant", ["crlf", "compact", "bom", "escapes"])
def test_formatting_of_the_input_is_kept(variant: str) -> None:
    original = (FIXTURES / "export-aws-lambda.json").read_text()
    if variant == "crlf":
        original = original.replace("\n", "\r\n")
    elif variant == "compact":
        original = json.dumps(json.loads(original), separators=(",", ":"))
    elif variant == "bom":
        original = "\ufeff" + original
    else:
        original = original.replace('"AWS Lambda"', '"AWS \\u03bbambda \\/ \\"fn\\""')
    moved, report = migrate_text(original, "json", BUILTIN, PLUGIN)
    assert len(report.changed) == 14  # the Logs panel (2 references) and the alarm annotation move too
    assert migrate_text(moved, "json", BUILTIN, PLUGIN, reverse=True)[0] == original
    if variant == "crlf":
        assert moved.count("\r\n") == original.count("\r\n") and "\n" not in moved.replace("\r\n", "")
    if variant == "escapes":
        assert '"AWS \\u03bbambda \\/ \\"fn\\""' in moved


def test_cli_dry_run_write_output_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "dash.json"
    original = (FIXTURES / "community-aws-ec2.json").read_bytes().replace(b"\n", b"\r\n")
    source.write_bytes(original)
    assert migrate.main([*ARGS, str(source)]) == 0
    out = capsys.readouterr().out
    assert "10 value(s) changed" in out and "dry run" in out
    assert source.read_bytes() == original  # dry run by default

    assert migrate.main([*ARGS, str(source), "-o", str(tmp_path / "new.json")]) == 0
    assert source.read_bytes() == original
    new = (tmp_path / "new.json").read_bytes()
    assert b"pyaws-cloudwatch-datasource" in new and new.count(b"\r\n") == original.count(b"\r\n")

    assert migrate.main([*ARGS, "--write", str(source)]) == 0
    assert source.read_bytes() == new
    assert migrate.main([*ARGS, "--reverse", "--write", str(source)]) == 0
    assert source.read_bytes() == original
    capsys.readouterr()

    stdout = io.StringIO()
    yaml_text = (FIXTURES / "alert-rules.yaml").read_text()
    assert migrate.main([*ARGS, "-o", "-"], stdin=io.StringIO(yaml_text), stdout=stdout) == 0
    assert stdout.getvalue() == migrate_text(yaml_text, "yaml", BUILTIN, PLUGIN)[0]
    assert "changed /groups/0/rules/0/data/0/datasourceUid" in capsys.readouterr().err  # the report: stderr


def test_cli_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"panels": [}')
    assert migrate.main([*ARGS, str(bad)]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        migrate.main(["--plugin-uid", "x", str(bad)])  # no built-in uid or name
    assert "--builtin-uid or --builtin-name" in capsys.readouterr().err


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("doctor", "query", "demo", "migrate"):
        assert f"\n  {command} " in out
    assert cli.main(["nonsense"]) == 2
    assert "unknown command 'nonsense'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["migrate", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "--reverse" in out
    assert 'written with escapes (`"c\\u0077"`)' in out and "the file is refused" in out  # the round trip's limits


def test_plugin_id_and_name_are_plugin_json_s() -> None:
    plugin_json = json.loads((ROOT / "plugin" / "plugin.json").read_text())
    assert (migrate.PLUGIN_ID, migrate.PLUGIN_NAME) == (plugin_json["id"], plugin_json["name"])


def test_every_fixture_has_a_source() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text()
    for path in FILES:
        assert f"`{path.name}`" in sources


def test_datasource_variable_current_value_and_references_through_it() -> None:
    text = json.dumps({"templating": {"list": [
        {"name": "ds", "type": "datasource", "query": "cloudwatch",
         "current": {"text": "CloudWatch", "value": "P034F075C744B399F"},
         "options": [{"text": "CloudWatch", "value": "P034F075C744B399F", "selected": True}]}]},
        "panels": [{"title": "p", "datasource": "[[ds]]", "targets": [
            {"refId": "A", "datasource": {"type": "cloudwatch", "uid": "${ds:raw}"}, "namespace": "AWS/EC2"}]}]},
        indent=2)
    moved, report = migrate_text(text, "json", BUILTIN, PLUGIN)
    result = json.loads(moved)
    variable = result["templating"]["list"][0]
    assert variable["query"] == "pyaws-cloudwatch-datasource"
    assert variable["current"] == {"text": "CloudWatch (Python)", "value": "cw-python"}
    assert variable["options"][0]["value"] == "cw-python"
    assert result["panels"][0]["datasource"] == "[[ds]]"
    assert result["panels"][0]["targets"][0]["datasource"]["type"] == "pyaws-cloudwatch-datasource"
    assert migrate_text(moved, "json", BUILTIN, PLUGIN, reverse=True)[0] == text


def test_reverse_notes_what_the_built_in_datasource_refuses() -> None:
    moved, _ = migrate_text((FIXTURES / "library-panel.json").read_text(), "json", BUILTIN, PLUGIN)
    _, report = migrate_text(moved, "json", BUILTIN, PLUGIN, reverse=True)
    assert ("/result/model/targets/0", migrate.NOTES[True][0].what) in report.notes


@pytest.mark.processes  # the installed command, through real standard input and output (bytes, CRLF kept)
def test_the_command_filters_standard_input_to_standard_output() -> None:
    import subprocess
    import sys

    original = (FIXTURES / "datasources.yaml").read_bytes().replace(b"\n", b"\r\n")
    done = subprocess.run([sys.executable, "-m", "cloudwatch_datasource", "migrate", *ARGS, "-o", "-"],
                          input=original, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = migrate_text(original.decode(), "yaml", BUILTIN, PLUGIN)[0].encode()
    assert done.stdout == expected and expected.count(b"\r\n") == original.count(b"\r\n")
    assert b"changed /datasources/0/type" in done.stderr
    back = subprocess.run([sys.executable, "-m", "cloudwatch_datasource", "migrate", *ARGS, "--reverse", "-o", "-"],
                          input=done.stdout, capture_output=True, timeout=60)
    assert back.stdout == original


# ---------------------------------------------------------------------------------------------- review fixes
CW_BUILTIN = Side("cloudwatch", "CloudWatch", "cw", None)
CW_PLUGIN = Side("pyaws-cloudwatch-datasource", "CloudWatch (Python)", "cw-python", None)
ANCHORED_RULES = """apiVersion: 1
groups:
  - orgId: 1
    name: g
    folder: f
    interval: 1m
    rules:
      - uid: r1
        title: cpu
        data:
          - refId: A
            datasourceUid: &cw cw
            model: {refId: A, namespace: AWS/EC2}
      - uid: r2
        title: {second}
        data:
          - refId: A
            datasourceUid: *cw
            model: {refId: A, {query}}
"""


def anchored(second: str = "lambda", query: str = "namespace: AWS/Lambda") -> str:
    return ANCHORED_RULES.replace("{second}", second).replace("{query}", query)


def test_yaml_anchor_kept_when_every_alias_moves_the_same_way() -> None:
    text = anchored()
    moved, report = migrate_text(text, "yaml", CW_BUILTIN, CW_PLUGIN)
    assert "datasourceUid: &cw cw-python\n" in moved and "datasourceUid: *cw\n" in moved  # the anchor is kept
    rules = yaml.safe_load(moved)["groups"][0]["rules"]
    assert [rule["data"][0]["datasourceUid"] for rule in rules] == ["cw-python", "cw-python"]
    assert sorted(changed(report)) == ["/groups/0/rules/0/data/0/datasourceUid",
                                       "/groups/0/rules/1/data/0/datasourceUid"]
    assert migrate_text(moved, "yaml", CW_BUILTIN, CW_PLUGIN, reverse=True)[0] == text


@pytest.mark.parametrize(("text", "line", "uses", "asked"), [
    (anchored(second="logs", query="queryMode: Logs"), 12, 2, 1),  # the review's reproduction: a Logs rule stays
    (anchored(second="*cw"), 12, 3, 2),  # an alias in a title, not a datasource reference
    ("base: &b\n  refId: A\n  datasourceUid: cw\ngroups:\n- rules:\n  - title: a\n    data:\n    - <<: *b\n"
     "      model: {refId: A, queryMode: Logs}\n", 3, 2, 1),  # a merge key carries the uid into a Logs rule
], ids=["logs-rule", "title", "merge-key"])
def test_yaml_alias_that_must_stay_refuses_the_file(text: str, line: int, uses: int, asked: int, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Logs queries move since issue 18; a feature in UNSUPPORTED (Logs, as before) is what keeps a rule behind.
    logs = migrate.Feature("CloudWatch Logs queries", lambda q, where: q.str_at("queryMode") == "Logs")
    monkeypatch.setattr(migrate, "UNSUPPORTED", (logs,))
    with pytest.raises(migrate.Refused, match=f"line {line}: the YAML anchor holding 'cw' is used in {uses} places "
                                              f"but only {asked} of them"):
        migrate_text(text, "yaml", CW_BUILTIN, CW_PLUGIN)
    source = tmp_path / "rules.yaml"
    source.write_text(text)
    assert migrate.main(["--builtin-uid", "cw", "--plugin-uid", "cw-python", "--write", str(source)]) == 1
    assert "refused, nothing written" in capsys.readouterr().err
    assert source.read_text() == text


def test_yaml_merge_keys_are_read_as_grafana_reads_them() -> None:
    """`<<: *base` brings the base's keys in; a key of the rule itself overrides a merged one."""
    text = ("base: &b {refId: A, datasourceUid: cw, model: {refId: A, namespace: AWS/EC2}}\n"
            "groups:\n- rules:\n  - title: cpu\n    data:\n    - <<: *b\n"
            "  - title: logs\n    data:\n    - <<: *b\n      datasourceUid: other\n"
            "      model: {refId: A, queryMode: Logs}\n")
    moved, report = migrate_text(text, "yaml", CW_BUILTIN, CW_PLUGIN)
    loaded = yaml.safe_load(moved)
    assert loaded["base"]["datasourceUid"] == "cw-python"
    assert loaded["groups"][0]["rules"][0]["data"][0]["datasourceUid"] == "cw-python"
    assert loaded["groups"][0]["rules"][1]["data"][0]["datasourceUid"] == "other"
    assert sorted(changed(report)) == ["/base/datasourceUid", "/groups/0/rules/0/data/0/datasourceUid"]
    assert migrate_text(moved, "yaml", CW_BUILTIN, CW_PLUGIN, reverse=True)[0] == text


def test_yaml_tags_flow_style_and_anchors_keep_their_own_text() -> None:
    text = ("groups:\n- rules:\n  - {title: a, data: [{refId: A, datasourceUid: !!str cw, model: {refId: A}}]}\n"
            "  - title: b\n    data:\n    - refId: A\n      datasourceUid: &x !!str 'cw'\n      model: {refId: A}\n"
            "  - {title: c, data: [{refId: A, datasourceUid: &y \"cw\", model: {refId: A}}]}\n")
    moved, report = migrate_text(text, "yaml", CW_BUILTIN, CW_PLUGIN)
    assert "datasourceUid: !!str cw-python," in moved
    assert "datasourceUid: &x !!str 'cw-python'\n" in moved
    assert 'datasourceUid: &y "cw-python",' in moved
    rules = yaml.safe_load(moved)["groups"][0]["rules"]
    assert [rule["data"][0]["datasourceUid"] for rule in rules] == ["cw-python"] * 3
    assert len(report.changed) == 3 and report.notes == []
    assert migrate_text(moved, "yaml", CW_BUILTIN, CW_PLUGIN, reverse=True)[0] == text


# Each spelling of the built-in uid `cw`, in a YAML block, a YAML flow mapping and JSON.
SPELLINGS = [("yaml", "rules:\n  - datasourceUid: {}\n    model: {{refId: A}}\n", s)
             for s in ["cw", "'cw'", '"cw"', '"c\\x77"', "&a cw", "!!str cw"]] + \
            [("yaml", "rules: [{{datasourceUid: {}, model: {{refId: A}}}}]\n", s) for s in ["cw", "'cw'", '"cw"']] + \
            [("json", '{{"rules": [{{"datasourceUid": {}, "model": {{"refId": "A"}}}}]}}', s)
             for s in ['"cw"', '"c\\u0077"', '"\\u0063w"']]


@pytest.mark.parametrize("new_uid", ["cw-python", "12345", "a: b", "it's", "#x", "λ"])
@pytest.mark.parametrize(("how", "template", "spelled"), SPELLINGS)
def test_reverse_is_byte_for_byte_unless_the_report_says_re_spelled(how: str, template: str, spelled: str,
                                                                      new_uid: str) -> None:
    """The documented promise: `--reverse` gives back the input's bytes for every value the forward report does
    not note as re-spelled; a re-spelled value comes back as the same value."""
    text = template.format(spelled)
    plugin = Side(CW_PLUGIN.type, CW_PLUGIN.plugin_name, new_uid, None)
    moved, report = migrate_text(text, how, CW_BUILTIN, plugin)
    assert len(report.changed) == 1
    assert load(moved, how) != load(text, how)
    back, _ = migrate_text(moved, how, CW_BUILTIN, plugin, reverse=True)
    noted = [why for _, why in report.notes if why.startswith("re-spelled")]
    assert load(back, how) == load(text, how)
    assert (back == text) == (not noted), (text, moved, back)


def test_re_spelled_cases_from_the_review() -> None:
    """A plain `cw` that had to be quoted for `--plugin-uid 12345`, and a JSON `\\u0077` escape: noted."""
    plugin = Side(CW_PLUGIN.type, CW_PLUGIN.plugin_name, "12345", None)
    moved, report = migrate_text("- datasourceUid: cw\n  model: {refId: A}\n", "yaml", CW_BUILTIN, plugin)
    assert moved == '- datasourceUid: "12345"\n  model: {refId: A}\n'
    assert report.notes == [("/0/datasourceUid", "re-spelled: it was written `cw`; --reverse gives back the value "
                                                 "'cw', not those bytes")]
    moved, report = migrate_text('[{"datasourceUid": "c\\u0077"}]', "json", CW_BUILTIN, CW_PLUGIN)
    assert moved == '[{"datasourceUid": "cw-python"}]'
    assert report.notes == [("/0/datasourceUid", "re-spelled: it was written `\"c\\u0077\"`; --reverse gives back "
                                                 "the value 'cw', not those bytes")]


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_the_committed_fixtures_have_nothing_re_spelled(path: Path) -> None:
    _, report = migrate_text(path.read_text(), kind(path), BUILTIN, PLUGIN)
    assert not [note for note in report.notes if note[1].startswith("re-spelled")]


def test_panels_on_the_default_datasource_are_reported() -> None:
    _, report = migrate_text((FIXTURES / "legacy-by-name.json").read_text(), "json", BUILTIN, PLUGIN)
    assert ("/panels/4 'Default datasource'", "uses the default datasource: not changed (check which datasource "
                                              "is the default in Grafana)") in report.left
    text = json.dumps({"panels": [
        {"title": "no key", "targets": [{"refId": "A"}]},
        {"title": "null target", "datasource": None, "targets": [{"refId": "A", "datasource": None}]},
        {"title": "inherits", "datasource": "CloudWatch", "targets": [{"refId": "A", "datasource": None}]},
        {"title": "own refs", "datasource": None, "targets": [{"refId": "A", "datasource": "CloudWatch"}]},
        {"title": "text", "datasource": None, "type": "text"},
        {"title": "no queries", "datasource": None, "targets": []}]})
    _, report = migrate_text(text, "json", BUILTIN, PLUGIN)
    assert [where for where, why in report.left if "default datasource" in why] == [
        "/panels/0 'no key'", "/panels/1 'null target'"]


def test_nested_yaml_aliases_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Aliases are expanded while reading: ten levels of ten aliases (10^10 values) end in an error, not in all
    the memory (the bound lowered here so the test is quick)."""
    monkeypatch.setattr(spans, "MAX_YAML_NODES", 10_000)
    lines = ["a0: &a0 [cw, cw, cw, cw, cw, cw, cw, cw, cw, cw]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    with pytest.raises(migrate.ParseError, match="more than 10000 values once aliases are expanded"):
        migrate_text("\n".join(lines) + "\n", "yaml", CW_BUILTIN, CW_PLUGIN)


# --- --copy: a copy of a dashboard for running both datasources side by side (docs/side-by-side.md) ------------
DASHBOARDS = [FIXTURES / name for name in ("community-aws-ec2.json", "export-aws-lambda.json",
                                           "legacy-by-name.json")]


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_copy_is_the_migrated_dashboard_with_a_new_uid_and_title_and_no_id(path: Path) -> None:
    """The copy is the plain forward result with three differences, each reported: uid (derived from the old
    one), title (suffixed), `id` (its line cut out); every other byte is the forward result's. Importing it
    cannot overwrite the original (Grafana matches by uid, then id). A second run changes nothing."""
    text = path.read_text()
    original = json.loads(text)
    moved, report = migrate_text(text, "json", BUILTIN, PLUGIN)
    copied, copy_report = migrate_text(text, "json", BUILTIN, PLUGIN, copy=migrate.Copy())
    uid, title = original["uid"], original["title"]
    assert copy_report.changed == [*report.changed, ("/uid", uid, f"{uid}-cwpy"),
                                   ("/title", title, f"{title} (CloudWatch Python)")]
    assert copy_report.removed == [("/id", json.dumps(original["id"]))]
    id_line = f'  "id": {json.dumps(original["id"])},\n'
    assert moved.count(id_line) == 1
    assert_only_reported_changes(moved.replace(id_line, ""), copied, Report(changed=copy_report.changed[-2:]),
                                 "json")
    loaded = json.loads(copied)
    assert "id" not in loaded and loaded["uid"] != uid and loaded["title"] != title
    again, again_report = migrate_text(copied, "json", BUILTIN, PLUGIN, copy=migrate.Copy())
    assert again == copied and again_report.changed == [] and again_report.removed == []


def test_copy_uid_is_derived_within_grafana_s_40_characters() -> None:
    assert migrate.copy_uid("AWSEc2000") == "AWSEc2000-cwpy" == migrate.copy_uid("AWSEc2000-cwpy")
    long_a, long_b = "a" * 36 + "x", "a" * 36 + "y"
    assert len(migrate.copy_uid(long_a)) == 40 and migrate.UID.fullmatch(migrate.copy_uid(long_a))
    assert migrate.copy_uid(long_a) != migrate.copy_uid(long_b)
    assert migrate.copy_uid(long_a) == migrate.copy_uid(long_a)


@pytest.mark.parametrize(("text", "expected"), [
    ('{"id": 3}', "{}"),
    ('{"id":3,"panels":[]}', '{"panels":[]}'),
    ('{"panels": [],\n  "id": null\n}', '{"panels": []\n}'),
    ('{\n  "a": 1,\n  "id": 7,\n  "panels": []\n}', '{\n  "a": 1,\n  "panels": []\n}'),
])
def test_removing_a_json_member_cuts_only_it_and_one_comma(text: str, expected: str) -> None:
    doc = spans.parse_json(text)
    assert doc.remove_member(doc.roots[0], "id")
    assert doc.render() == expected
    assert not doc.remove_member(spans.parse_json("{}").roots[0], "id")


def test_copy_options_wrapped_dashboards_and_what_is_refused(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    wrapped = '{"dashboard": {"id": 4, "uid": "abc", "title": "T", "panels": []}, "meta": {"slug": "t"}}'
    copied, report = migrate_text(wrapped, "json", BUILTIN, PLUGIN, copy=migrate.Copy("side-1", " [py]"))
    assert json.loads(copied) == {"dashboard": {"uid": "side-1", "title": "T [py]", "panels": []},
                                  "meta": {"slug": "t"}}
    assert report.removed == [("/dashboard/id", "4")]
    with pytest.raises(migrate.Refused, match="more than once"):  # a repeated id would survive the cut
        migrate_text('{"id": 1, "uid": "u", "id": 2, "panels": []}', "json", BUILTIN, PLUGIN, copy=migrate.Copy())
    with pytest.raises(ValueError, match="no reverse"):
        migrate_text(wrapped, "json", BUILTIN, PLUGIN, reverse=True, copy=migrate.Copy())

    source = tmp_path / "dash.json"
    source.write_bytes((FIXTURES / "legacy-by-name.json").read_bytes())
    out = tmp_path / "copy.json"
    assert migrate.main([*ARGS, "--copy", "--new-uid", "orders-py", str(source), "-o", str(out)]) == 0
    assert "removed /id: 12" in capsys.readouterr().out
    assert json.loads(out.read_text())["uid"] == "orders-py"
    assert source.read_bytes() == (FIXTURES / "legacy-by-name.json").read_bytes()
    for bad, why in ((["--copy", "--reverse"], "--copy has no reverse"),
                     (["--new-uid", "x"], "go with --copy"), (["--title-suffix", " x"], "go with --copy"),
                     (["--copy", "--new-uid", "no spaces"], "a uid of up to 40"),
                     (["--copy", "--new-uid", "x" * 41], "a uid of up to 40")):
        with pytest.raises(SystemExit):
            migrate.main([*ARGS, *bad, str(source)])
        assert why in capsys.readouterr().err.splitlines()[-1], bad
    for name in ("alert-rules.yaml", "alert-rules-export.json", "datasources.yaml"):
        assert migrate.main([*ARGS, "--copy", str(FIXTURES / name), "-o", str(tmp_path / name)]) == 1
        assert f"{FIXTURES / name}: --copy" in capsys.readouterr().err and not (tmp_path / name).exists()
    help_text = io.StringIO()
    with pytest.raises(SystemExit):
        cli_help(help_text)
    assert "no reverse" in help_text.getvalue() and "--title-suffix" in help_text.getvalue()


def cli_help(out: io.StringIO) -> None:
    import contextlib

    with contextlib.redirect_stdout(out):
        migrate.main(["--help"])
