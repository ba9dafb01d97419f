"""`cloudwatch-datasource query --settings ds.json --query q.json [--from 3h] [--to now]`

Runs a query JSON (as copied from a Grafana CloudWatch panel's query inspector) against a datasource, in process,
through the same service the plugin runs, and prints each returned frame as a table. Exit code 1 if any query
failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..backend import DataQuery, PluginContext, QueryDataRequest, TimeRange
from ..durations import parse_duration_seconds
from .render import table
from .settings_file import load_datasource


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cloudwatch-datasource query", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settings", required=True, help="datasource JSON (jsonData/secureJsonData)")
    parser.add_argument("--query", required=True, help="a query JSON object, or a list of them, or {queries:[...]}")
    parser.add_argument("--from", dest="start", default="3h", help="how long ago the range starts (default 3h)")
    parser.add_argument("--to", dest="end", default="now", help="'now' or how long ago the range ends")
    parser.add_argument("--rows", type=int, default=20, help="rows to print per frame")
    args = parser.parse_args(argv)

    from .. import logs

    logs.configure(level="warn")
    from ..protocol.arrow import encode_frame
    from ..service import PluginService

    raw = json.loads(Path(args.query).read_text())
    models = raw.get("queries", raw) if isinstance(raw, dict) and "queries" in raw else raw
    models = models if isinstance(models, list) else [models]
    now_ms = int(time.time() * 1000)
    to_ms = now_ms if args.end == "now" else now_ms - int(parse_duration_seconds(args.end) * 1000)
    from_ms = now_ms - int(parse_duration_seconds(args.start) * 1000)
    queries = tuple(
        DataQuery(ref_id=str(m.get("refId") or chr(ord("A") + i)), time_range=TimeRange(from_ms, to_ms),
                  json=json.dumps(m).encode())
        for i, m in enumerate(models))
    context = PluginContext(plugin_id="pyaws-cloudwatch-datasource", datasource=load_datasource(args.settings))
    answers = PluginService().query_data(QueryDataRequest(context=context, queries=queries))
    failed = False
    for ref_id, answer in answers.items():
        print(f"=== {ref_id}: status {answer.status}" + (f", error: {answer.error}" if answer.error else ""))
        failed = failed or bool(answer.error)
        for frame in answer.frames:
            print(table(encode_frame(frame), limit=args.rows))
            print()
    sys.stdout.flush()
    return 1 if failed else 0
