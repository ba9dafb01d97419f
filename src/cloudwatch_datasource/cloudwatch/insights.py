"""Metrics Insights GROUP BY: which keys a query groups by, and each returned series' value of them.

AWS answers a Metrics Insights query with `GROUP BY k1[, k2...]` with one MetricDataResult per group, and no
field other than `Label` says which group (the API's MetricDataResult has Id, Label, Timestamps, Values,
StatusCode, Messages), nor can a label ask for it: `${PROP('Dim.…')}` is not filled for Insights queries
(grafana/grafana#66221, which cites AWS re:Post). A metric that lacks one of the keys is put in the group whose value
for that key is `Other` ("Metrics Insights query components and syntax", GROUP BY, and "Troubleshooting Metrics
Insights": https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-troubleshooting.html).
The default label of a group is its values in GROUP BY order separated by one space, as the CloudWatch console
shows them; AWS's pages do not spell that format out, which is one more reason the split below is only made when
it is certain.

AWS gives every group a label of the user's instead when one is sent, which names no group: so a *static* label
(the legend shows it as typed anyway, frames.py) is not sent with a GROUP BY query, and AWS's group labels come
back; a dynamic one (`${AVG}`, `${LABEL}`...) is sent, and its series get `Series` only.

So each series gets one label per GROUP BY key when that is certain: one key takes the whole label; n keys take
the label's n space-separated parts only when there are exactly n (a value holding a space makes the split
ambiguous, and then the series keeps only `Series`). Grafana's CloudWatch datasource gives Insights series only
`Series` (its response parser's getLabels), which leaves alert rules on a GROUP BY query with label sets that do
not name the group.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .query import MetricQuery, MetricQueryType, has_static_label

# Names as Metrics Insights writes them: "double-quoted" (no escapes read) or bare (letters, digits, _ . $ { } -),
# 'single-quoted' values, and the punctuation between them. Anything else is skipped: only the GROUP BY clause
# is read, and a text this cannot read gives no keys (the series then get `Series` only).
_TOKEN = re.compile(r"""\s*(?:"(?P<quoted>[^"]*)"|'(?P<string>[^']*)'|(?P<word>[A-Za-z0-9_.$:{}\-]+)|(?P<punct>.))""")
_CLAUSE_END = {"ORDER", "LIMIT"}


@lru_cache(maxsize=256)  # the same query text is read once per series of its answer
def group_by_keys(sql: str) -> tuple[str, ...]:
    """The keys of the query's GROUP BY clause, in order; () when there is none or it cannot be read."""
    tokens: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup or "punct"
        tokens.append((kind, m.group(kind) or ""))
    for i in range(len(tokens) - 1):
        if _is_word(tokens[i], "GROUP") and _is_word(tokens[i + 1], "BY"):
            return _key_list(tokens[i + 2:])
    return ()


def _is_word(token: tuple[str, str], word: str) -> bool:
    return token[0] == "word" and token[1].upper() == word


def _key_list(tokens: list[tuple[str, str]]) -> tuple[str, ...]:
    keys: list[str] = []
    expect_key = True
    for kind, text in tokens:
        if expect_key:
            if kind not in ("word", "quoted") or not text:
                return ()
            keys.append(text)
            expect_key = False
        elif kind == "punct" and text == ",":
            expect_key = True
        elif kind == "word" and text.upper() in _CLAUSE_END:
            break
        else:
            return ()
    return () if expect_key else tuple(keys)


def group_labels(keys: tuple[str, ...], returned_label: str) -> dict[str, str]:
    """{key: value} for one grouped series (module docstring); {} when the label does not split into the keys."""
    if not keys:
        return {}
    if len(keys) == 1:
        return {keys[0]: returned_label}
    parts = returned_label.split(" ")
    return dict(zip(keys, parts, strict=True)) if len(parts) == len(keys) else {}


def sends_label(q: MetricQuery) -> bool:
    """Whether the query's label goes to AWS as MetricDataQuery.Label (module docstring)."""
    if not q.label:
        return False
    grouped = q.query_type is MetricQueryType.INSIGHTS and bool(group_by_keys(q.sql_expression))
    return not (grouped and has_static_label(q))
