"""Section 13, logs (issue 18): how fast GetQueryResults answers become Arrow frames, and what 10,000 rows cost in
memory. In process, against the tests' fake AWS endpoint (tests/support/fake_aws.py: Logs Insights' answers as
AWS sends them, 10,000 rows per GetQueryResults call), so the figures are the plugin's own work.

- rows/s: one GetQueryResults call of 10,000 log rows (7 fields) through the plugin's path, botocore's parse +
  frames.py + protocol/arrow.py; baseline: the same call alone (botocore parsing the same answer), so the ratio is
  what the frames stage adds on top of what any botocore client pays.
- RSS: a fresh interpreter's peak resident memory after answering that query, minus the same interpreter's after
  importing the same modules (VmHWM, /proc/self/status).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from lib import Report, Row, median, ms, timed
from sections import Config

TESTS = Path(__file__).resolve().parent.parent / "tests"
ROWS = 10_000

_SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from support.fake_aws import FakeAws, log_rows
    from cloudwatch_datasource.cloudwatch_logs import answer_queries
    from cloudwatch_datasource.protocol.arrow import encode_frame
    from cloudwatch_datasource.backend import DataQuery, TimeRange

    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    with FakeAws() as fake:
        fake.logs.rows = log_rows({rows})
        fake.logs.states = ["Complete"]
        client = fake.client("us-east-1", "logs")
        before = hwm()
        if {run}:
            query = DataQuery("A", TimeRange(0, 3_600_000), b'{{"queryMode": "Logs", "region": "us-east-1", '
                              b'"expression": "fields @message", "logGroupNames": ["/app"]}}')
            answers = answer_queries([query], default_region="us-east-1", client_for_region=lambda r, s: client,
                                     datasource="bench", account="bench", logs_timeout="", page_limit=1)
            assert len(answers["A"].frames[0]) == {rows}, answers["A"]
            blobs = [encode_frame(f) for f in answers["A"].frames]
        print(hwm() - before)
""")


def logs(report: Report, cfg: Config) -> None:
    sys.path.insert(0, str(TESTS))
    from support.fake_aws import FakeAws, log_rows

    from cloudwatch_datasource.cloudwatch_logs.execute import Runner
    from cloudwatch_datasource.cloudwatch_logs.frames import result_frames
    from cloudwatch_datasource.cloudwatch_logs.limits import QuerySlots
    from cloudwatch_datasource.cloudwatch_logs.query import LogGroup, LogsQuery
    from cloudwatch_datasource.protocol.arrow import encode_frame

    with FakeAws() as fake:
        fake.logs.rows = log_rows(ROWS)
        fake.logs.states = ["Complete"]
        client = fake.client("us-east-1", "logs")
        query_id = client.start_query(logGroupNames=["/app"], startTime=0, endTime=3600,
                                      queryString="fields @message")["queryId"]
        client.get_query_results(queryId=query_id)  # Complete from here on
        runner = Runner(client, "us-east-1", "bench", "bench", 60.0, slots=QuerySlots())
        from datetime import UTC, datetime
        query = LogsQuery(ref_id="A", region="us-east-1", start=datetime(2026, 6, 1, tzinfo=UTC),
                          end=datetime(2026, 6, 1, 1, tzinfo=UTC), query_string="fields @message",
                          log_groups=(LogGroup("/app"),))

        def plugin_path() -> None:
            for frame in result_frames(query, runner.results(query_id)):
                encode_frame(frame)

        def botocore_only() -> None:
            client.get_query_results(queryId=query_id)

        plugin_path()
        botocore_only()
        ours = [timed(plugin_path) for _ in range(cfg.frame_runs)]
        base = [timed(botocore_only) for _ in range(cfg.frame_runs)]
    ratio = median(ours) / median(base)
    report.add(Row("13. Logs", f"GetQueryResults of {ROWS:,} log rows → Arrow frames "
                               f"({ROWS / median(ours):,.0f} rows/s, median of {cfg.frame_runs})",
                   ms(median(ours)), f"the same GetQueryResults call alone (botocore) {ms(median(base))}", ratio,
                   "ratio ≤ 3", ratio <= 3))

    def peak_kb(run: bool) -> int:
        done = subprocess.run([sys.executable, "-c", _SCRIPT.format(tests=str(TESTS), rows=ROWS, run=run)],
                              capture_output=True, text=True, timeout=300, check=True)
        return int(done.stdout.strip().splitlines()[-1])

    grown = peak_kb(True)
    idle = peak_kb(False)
    report.add(Row("13. Logs", f"peak RSS added by one {ROWS:,}-row logs query (answer, frames, Arrow)",
                   f"{grown / 1024:.1f} MB", f"the same process without the query {idle / 1024:.1f} MB", None,
                   "≤ 100 MB", grown / 1024 <= 100))
