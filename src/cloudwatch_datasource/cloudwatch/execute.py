"""Stage 3: run GetMetricData plans: NextToken paging, page merging, bounded concurrency, errors as values.

Each plan is one call chain that reuses the plan's EndTime on every page. Pages are merged the way Grafana's
response parser does (grafana/grafana-cloudwatch-datasource pkg/cloudwatch/response_parser.go,
`aggregateResponse`): results grouped by Id, then by Label; a later page's points for the same Id+Label
(StatusCode PartialData) are appended. A failing plan yields a PlanOutcome carrying a PluginError and never
raises, so other regions and time ranges still answer. Independent plans run in a bounded thread pool:
botocore clients are thread-safe and the work is network-bound.

Every page is checked against GetMetricData's output shape (AWS CloudWatch API reference: GetMetricData,
MetricDataResult, MessageData) before it is merged, because botocore does not check it: it turns a 200 body that
is `{}`, a gateway's `{"error": ...}` or JSON that does not parse into an answer with no results ("no data",
silently), and raises plain AttributeError/ValueError for values of the wrong type. What is wrong decides who
fails (docs/queries.md, "Calls and answers"):
- the answer as a whole (no MetricDataResults, a result that is not an object or names an Id this call did not
  ask for, bad request-level Messages or NextToken, a body botocore cannot read): every refId of the call;
- one result (string Values, Timestamps that are not times, a Label that is not text, bad per-result Messages):
  only the refId whose Id it carries; an Id asked for with ReturnData that got no result at all: that refId.
All of these are downstream errors (AWS, or whatever answered in its place, is at fault).

Two bounds stop the work early, each with a clear error on the refIds concerned:
- the RPC's scope (deadlines.py): once its deadline, the plugin's time limit or a cancellation ends it, no further
  page or call is sent and the plans still running answer with its 504 error;
- a PointBudget (`max_points_per_query`, `max_points_per_request`, policy.ClientTuning): points are counted as
  pages arrive. A query over its own limit fails alone (413, errorSource plugin, as grafana-plugin-sdk-go's
  experimental/status `SourceFromHTTPStatus` classes 413) and its points are dropped at once; once the request's
  total is reached, every plan still fetching stops and fails with that error, plans already complete keep
  their data. Memory thus stays near the limit plus one page (at most 100,800 points, AWS's page size).
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from .. import deadlines
from ..aws import aws_call, aws_failure
from ..errors import DownstreamError, ErrorSource, PluginError
from ..jsontext import is_text
from . import ClientFactory
from .paging import pages
from .plan import GetMetricDataPlan

OPERATION = "GetMetricData"
# A runaway NextToken chain (a buggy endpoint, a huge SEARCH) must not pin a worker forever. AWS pages hold up
# to 100,800 points, so this is far beyond any dashboard's need.
MAX_PAGES = 500
POINTS_LIMIT_STATUS = 413


class PointBudget:
    """Datapoints one QueryData request may keep: per query (by plan and Id) and in total. Thread-safe: the
    plans of one request share it."""

    def __init__(self, per_query: int, per_request: int) -> None:
        self.per_query = max(1, per_query)
        self.per_request = max(1, per_request)
        self._lock = threading.Lock()
        self._total = 0
        self.exhausted = False

    def take(self, points: int) -> bool:
        """Count `points` more; False (and exhausted from then on) when the request's total would pass."""
        with self._lock:
            if self.exhausted or self._total + points > self.per_request:
                self.exhausted = True
                return False
            self._total += points
            return True

    def give_back(self, points: int) -> None:
        with self._lock:
            self._total -= points

    def query_error(self) -> PluginError:
        return PluginError(
            f"this query returned more than {self.per_query:,} datapoints, the plugin's limit per query "
            "([plugin.<id>] max_points_per_query): use a larger period, a shorter time range or fewer series",
            status=POINTS_LIMIT_STATUS, source=ErrorSource.PLUGIN)

    def request_error(self) -> PluginError:
        return PluginError(
            f"the queries of this request returned more than {self.per_request:,} datapoints together, the "
            "plugin's limit per request ([plugin.<id>] max_points_per_request); this query's data was not kept: "
            "use a larger period, a shorter time range, fewer series or split the panel",
            status=POINTS_LIMIT_STATUS, source=ErrorSource.PLUGIN)


class _PointsLimitReached(Exception):
    """The request's point budget ran out while this plan was fetching."""


UNBOUNDED = PointBudget(2**62, 2**62)


@dataclass
class SeriesResult:
    """One MetricDataResult after merging pages."""

    id: str
    label: str
    timestamps: list[datetime] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    status_code: str = "Complete"
    messages: list[dict[str, str]] = field(default_factory=list)  # per-result Messages (Code, Value)
    # Timestamps without a value and values without a timestamp: a result whose two lists differ in length keeps
    # the pairs that match (position by position) and counts the rest here, for frames.py's notice.
    unpaired_timestamps: int = 0
    unpaired_values: int = 0


@dataclass
class PlanOutcome:
    plan: GetMetricDataPlan
    results: dict[str, list[SeriesResult]] = field(default_factory=dict)  # Id → series in arrival order
    messages: list[dict[str, str]] = field(default_factory=list)  # request-level Messages from any page
    pages: int = 0
    error: PluginError | None = None  # the call failed: every query of the plan not in query_errors gets it
    query_errors: dict[str, PluginError] = field(default_factory=dict)  # Id → the error AWS blamed on it
    # Id → distinct series AWS returned for it (Id+Label), even those later dropped: what SEARCH and Metrics
    # Insights queries are billed by (billing.py).
    series_returned: dict[str, int] = field(default_factory=dict)
    seen_series: set[tuple[str, str]] = field(default_factory=set, repr=False)
    # How the answer was obtained when result_cache.py ran the plan (hit, miss, incremental, coalesced, bypass,
    # off); "" when it did not.
    cache: str = ""


# Told each plan's outcome (its index in the plans given, the outcome) as soon as that plan is done, in the
# thread that ran it: the result cache lets requests waiting for that one call go on (result_cache.py).
OnOutcome = Callable[[int, PlanOutcome], None]


class RunPlans(Protocol):
    """Executes plans (execute_plans in one request's scope and budget): what the result cache calls."""

    def __call__(self, plans: Sequence[GetMetricDataPlan], on_outcome: OnOutcome | None = None
                 ) -> list[PlanOutcome]: ...


def execute_plans(plans: Sequence[GetMetricDataPlan], client_for_region: ClientFactory, *,
                  max_workers: int = 8, datasource: str = "", budget: PointBudget | None = None,
                  on_outcome: OnOutcome | None = None) -> list[PlanOutcome]:
    """One outcome per plan, in plan order; `on_outcome` hears of each as soon as it is known."""
    shared = budget or UNBOUNDED

    def run(indexed: tuple[int, GetMetricDataPlan]) -> PlanOutcome:
        index, plan = indexed
        outcome = execute_plan(plan, client_for_region, datasource=datasource, budget=shared)
        if on_outcome is not None:
            on_outcome(index, outcome)
        return outcome

    if len(plans) <= 1 or max_workers <= 1:
        return [run(indexed) for indexed in enumerate(plans)]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(plans)),
                            thread_name_prefix="cloudwatch-gmd") as pool:
        # Pool threads do not inherit the caller's context: each plan runs in the RPC's scope (deadlines.py).
        return list(pool.map(deadlines.run_in_scope(run), enumerate(plans)))


def execute_plan(plan: GetMetricDataPlan, client_for_region: ClientFactory, *, datasource: str = "",
                 isolate: bool = True, budget: PointBudget = UNBOUNDED) -> PlanOutcome:
    outcome = PlanOutcome(plan=plan)
    scope = deadlines.current.get()
    try:
        deadlines.check_current()  # a plan still queued when the RPC ended is never started
        client = client_for_region(plan.region, "cloudwatch")
    except PluginError as exc:  # e.g. an auth failure: this plan's refIds get it, others run
        outcome.error = scope.error() if scope is not None and scope.stopped else exc
        return outcome
    try:
        # The AWS layer describes and counts every failure of the call chain (aws/calls.py); the point budget's
        # stop is this module's own control flow.
        with aws_call(OPERATION, region=plan.region, datasource=datasource, passthrough=(_PointsLimitReached,)):
            _fetch(plan, client, outcome, budget)
    except _PointsLimitReached:
        outcome.results.clear()  # what this plan holds goes now, not when the whole request is answered
        outcome.error = budget.request_error()
    except PluginError as error:
        if scope is not None and scope.stopped:
            outcome.results.clear()  # the RPC ended: aws_call raised the scope's own error
            outcome.error = error
            return outcome
        blamed = blamed_query_ids(error, plan) if isolate else set()
        if blamed and len(blamed) < len(plan.queries):
            # AWS rejects a whole call for one bad query (an invalid expression, a stat it doesn't know): the
            # blamed queries get the error, the rest of the call is asked again once, without them.
            retried = execute_plan(plan.without(blamed), client_for_region, datasource=datasource, isolate=False,
                                   budget=budget)
            retried.plan = plan
            retried.query_errors.update({query_id: error for query_id in blamed})
            return retried
        outcome.error = error
    return outcome


# AWS names the query it rejects by Id ("Error in expression 'e1': ...") or by position
# ("... at 'metricDataQueries.3.member.metricStat.stat' failed to satisfy constraint ...", 1-based).
_QUOTED_ID = re.compile(r"'([a-z][a-zA-Z0-9_]*)'")
_MEMBER_INDEX = re.compile(r"metricDataQueries\.(?:member\.)?(\d+)", re.IGNORECASE)
_QUERY_FAULT_CODES = frozenset({"ValidationError", "InvalidParameterValue", "InvalidParameterCombination",
                                "MissingParameter", "InvalidParameterValueException", "ValidationException"})


def blamed_query_ids(error: PluginError, plan: GetMetricDataPlan) -> set[str]:
    """The plan's query Ids an AWS validation error names; empty when it names none (or is not about one)."""
    failure = aws_failure(error)
    if failure is None or failure.code not in _QUERY_FAULT_CODES:
        return set()
    message = failure.aws_message
    ids = {m for m in _QUOTED_ID.findall(message) if m in plan.by_id}
    for index in _MEMBER_INDEX.findall(message):
        position = int(index) - 1
        if 0 <= position < len(plan.queries):
            ids.add(plan.queries[position].query.id)
    return ids


def _fetch(plan: GetMetricDataPlan, client: Any, outcome: PlanOutcome, budget: PointBudget = UNBOUNDED) -> None:
    by_key: dict[tuple[str, str], SeriesResult] = {}
    page: dict[str, Any] = {}
    kept = [0]  # points this plan holds against the request's budget, given back if it fails
    points_by_id: dict[str, int] = {}
    try:
        # Calls are counted where clients are made (aws/sessions.py's botocore hooks), for every service alike.
        for page in _answer_pages(client, plan):
            outcome.pages += 1
            _take_page(page, plan, by_key, outcome, budget, points_by_id, kept)
            if budget.exhausted:
                raise _PointsLimitReached  # another plan of the request used the rest: stop paging here too
            # Between pages: the next page is not asked for once the RPC has ended (deadlines.py).
            deadlines.check_current()
        if page.get("NextToken"):
            # Still more after MAX_PAGES pages: the endpoint's answer never ends and the data read is cut short.
            # AWS's fault, not a result: errorSource downstream (a repeated token: _answer_pages).
            raise DownstreamError(f"{OPERATION}: the AWS endpoint still had more result pages after {MAX_PAGES} "
                                  "(its NextToken never ended); try a shorter time range, and check the "
                                  "datasource's Endpoint field")
    except BaseException:
        budget.give_back(kept[0])
        raise
    _check_every_query_answered(plan, outcome)


def _drop(result_id: str, by_key: dict[tuple[str, str], SeriesResult], outcome: PlanOutcome,
          budget: PointBudget) -> int:
    """Forget the series of one query Id (over its own limit, or with a bad result) and give its points back to
    the request."""
    freed = 0
    for series in outcome.results.pop(result_id, []):
        by_key.pop((series.id, series.label), None)
        freed += len(series.values)
    budget.give_back(freed)
    return freed


# botocore's JSON parser raises these plain errors when a 200 body has the wrong shape for GetMetricData's output
# (a string where a list or object is due, a timestamp it cannot read, a body that is not UTF-8); see the module
# docstring. UnicodeEncodeError is left out: it comes from the request side (text that cannot be sent), which
# query.py refuses before any call.
_UNREADABLE = (AttributeError, TypeError, KeyError, IndexError, RuntimeError, OverflowError, RecursionError,
               ValueError)


def _answer_pages(client: Any, plan: GetMetricDataPlan) -> Iterator[dict[str, Any]]:
    """The call chain's pages; an answer botocore cannot read is AWS's fault (downstream), not a plugin error."""
    chain = pages(client, "get_metric_data", MAX_PAGES, **plan.request())
    while True:
        try:
            page = next(chain)
        except StopIteration:
            return
        except UnicodeEncodeError:
            raise
        except _UNREADABLE as exc:
            raise invalid_answer(f"it cannot be read as a {OPERATION} response ({type(exc).__name__})") from exc
        yield page


def invalid_answer(problem: str) -> DownstreamError:
    return DownstreamError(f"{OPERATION}: AWS answered with HTTP 200 but not a valid {OPERATION} response: "
                           f"{problem}. Check the datasource's Endpoint field and any proxy or gateway between "
                           "Grafana and AWS", status=502)


def _take_page(page: dict[str, Any], plan: GetMetricDataPlan, by_key: dict[tuple[str, str], SeriesResult],
               outcome: PlanOutcome, budget: PointBudget, points_by_id: dict[str, int], kept: list[int]) -> None:
    """Check one page against GetMetricData's output shape, count its points against the budget, then merge its
    results (module docstring)."""
    results = page.get("MetricDataResults")
    if results is None:
        if not any(p.query.return_data for p in plan.queries):
            return  # nothing was asked to return data
        # `{}`, a gateway's `{"error": "upstream timed out"}`, JSON that does not parse: botocore reads all three
        # as an answer without MetricDataResults, which AWS always sends (a list, empty or not).
        raise invalid_answer("it has no MetricDataResults")
    if not isinstance(results, list):
        raise invalid_answer("MetricDataResults is not a list")
    token = page.get("NextToken")
    if token is not None and not isinstance(token, str):
        raise invalid_answer("NextToken is not a string")
    request_messages = _messages(page.get("Messages"))
    if request_messages is None:
        raise invalid_answer("its Messages are not a list of Code/Value pairs")
    outcome.messages.extend(request_messages)
    for result in results:
        result_id = result.get("Id") if isinstance(result, dict) else None
        if not isinstance(result_id, str):
            raise invalid_answer("a MetricDataResult has no Id")
        if result_id not in plan.by_id:
            # Not this call's answer (a proxy's cache, another request's body): none of it can be trusted.
            raise invalid_answer(f"a MetricDataResult is for Id {_shown(result_id)}, which this call did not "
                                 "ask for")
        label = result.get("Label")
        series_key = (result_id, label if isinstance(label, str) else "")
        if series_key not in outcome.seen_series:
            outcome.seen_series.add(series_key)
            outcome.series_returned[result_id] = outcome.series_returned.get(result_id, 0) + 1
        if result_id in outcome.query_errors:
            continue  # failed already (over its own limit, a bad result): its points are dropped as they come
        values = result.get("Values")
        points = len(values) if isinstance(values, list) else 0
        points_by_id[result_id] = points_by_id.get(result_id, 0) + points
        if points_by_id[result_id] > budget.per_query:
            kept[0] -= _drop(result_id, by_key, outcome, budget)
            outcome.query_errors[result_id] = budget.query_error()
            continue
        if not budget.take(points):
            raise _PointsLimitReached
        kept[0] += points
        problem = _merge(result, by_key, outcome)
        if problem:
            budget.give_back(points)
            kept[0] -= points + _drop(result_id, by_key, outcome, budget)
            outcome.query_errors[result_id] = invalid_answer(f"the result for this query ({result_id}) {problem}")


def _check_every_query_answered(plan: GetMetricDataPlan, outcome: PlanOutcome) -> None:
    """AWS answers every query that has ReturnData with at least one MetricDataResult, even with no data (an
    empty one: Grafana's response parser builds its per-value empty frames for a multi-valued query from it).
    A query with none was not answered, which must not look like "no data"."""
    for planned in plan.queries:
        query_id = planned.query.id
        if planned.query.return_data and query_id not in outcome.results and query_id not in outcome.query_errors:
            outcome.query_errors[query_id] = invalid_answer(f"it has no MetricDataResult for this query "
                                                            f"({query_id})")


def _merge(result: dict[str, Any], by_key: dict[tuple[str, str], SeriesResult], outcome: PlanOutcome
           ) -> str:
    """Merge one result into its series; "" when it is valid, else what is wrong with it (nothing merged)."""
    result_id = str(result["Id"])
    raw_label = result.get("Label")
    if raw_label is not None and not (isinstance(raw_label, str) and is_text(raw_label)):
        return "has a Label that is not text"
    stamps = result.get("Timestamps") or []
    if not isinstance(stamps, list) or not set(map(type, stamps)) <= _TIMESTAMP_TYPES:
        return "has Timestamps that are not a list of times"
    values = _values(result.get("Values") or [])
    if values is None:
        return "has Values that are not a list of numbers"
    status = result.get("StatusCode")
    if status is not None and not isinstance(status, str):
        return "has a StatusCode that is not text"
    messages = _messages(result.get("Messages"))
    if messages is None:
        return "has Messages that are not a list of Code/Value pairs"

    # Grafana drops a result without a Label; AWS always sends one, so keep the series under its Id instead.
    label = raw_label or result_id
    key = (result_id, label)
    series = by_key.get(key)
    if series is None:
        series = by_key[key] = SeriesResult(id=result_id, label=label)
        outcome.results.setdefault(result_id, []).append(series)
    # Pair per result, before merging pages: a short list in one page must not shift the next page's pairs.
    paired = min(len(stamps), len(values))
    series.unpaired_timestamps += len(stamps) - paired
    series.unpaired_values += len(values) - paired
    series.timestamps.extend(stamps[:paired] if paired < len(stamps) else stamps)
    series.values.extend(values[:paired] if paired < len(values) else values)
    series.status_code = status or series.status_code
    series.messages.extend(messages)
    return ""


_TIMESTAMP_TYPES = frozenset({datetime})
_NUMBER_TYPES = frozenset({float, int})
# Smithy's awsJson protocols send a double that is not finite as one of these strings; botocore leaves them as
# strings (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html, "Shape serialization").
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _values(raw: Any) -> list[float] | None:
    """GetMetricData Values as numbers; None when they are not a list of numbers. The type check runs in C
    (`set(map(type, ...))`): answers hold up to 100,800 points a page."""
    if not isinstance(raw, list):
        return None
    kinds = set(map(type, raw))
    if kinds <= _NUMBER_TYPES:
        return raw
    if kinds <= _NUMBER_TYPES | {str} and all(v in _NON_FINITE for v in raw if type(v) is str):
        return [_NON_FINITE[v] if type(v) is str else v for v in raw]
    return None


def _messages(raw: Any) -> list[dict[str, str]] | None:
    """MessageData list (Code, Value); None when it is not one."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(m, dict) for m in raw):
        return None
    out = [{"Code": m.get("Code") or "", "Value": m.get("Value") or ""} for m in raw]
    if not all(isinstance(m["Code"], str) and isinstance(m["Value"], str) and is_text(m["Value"]) for m in out):
        return None
    return out


def _shown(text: str) -> str:
    # AWS-sent text quoted in an error: bounded, and escaped so that it is always printable text.
    return ascii(text[:64])
