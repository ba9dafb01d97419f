"""The picker cache's bounds (cloudwatch/picker_cache.py): time to live, entries, items, errors never kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from cloudwatch_datasource.backend import CallResourceRequest, PluginContext
from cloudwatch_datasource.cloudwatch.picker_cache import PickerCache
from cloudwatch_datasource.cloudwatch.routes import ResourceRequest, Route, handle_resource, parse_request
from cloudwatch_datasource.policy import ClientTuning


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def counting(value: list[Any]) -> tuple[Callable[[], list[Any]], list[int]]:
    calls = [0]

    def compute() -> list[Any]:
        calls[0] += 1
        return value

    return compute, calls


def test_a_fresh_entry_is_reused_until_its_ttl() -> None:
    clock = Clock()
    cache = PickerCache(ttl_s=60, max_entries=10, max_items=100, clock=clock)
    compute, calls = counting(["a"])
    assert cache.get_or_compute("k", compute) == ["a"] and cache.get_or_compute("k", compute) == ["a"]
    assert calls == [1]
    clock.now += 61
    cache.get_or_compute("k", compute)
    assert calls == [2]


def test_least_recently_used_entries_go_first() -> None:
    cache = PickerCache(ttl_s=60, max_entries=2, max_items=100, clock=Clock())
    for key in ("a", "b"):
        cache.get_or_compute(key, lambda: [1])
    cache.get_or_compute("a", lambda: [1])  # a is now the most recent
    cache.get_or_compute("c", lambda: [1])
    compute, calls = counting([1])
    cache.get_or_compute("a", compute)
    assert calls == [0] and len(cache) == 2
    cache.get_or_compute("b", compute)
    assert calls == [1]


def test_items_are_bounded_and_an_oversized_answer_is_not_kept() -> None:
    cache = PickerCache(ttl_s=60, max_entries=100, max_items=10, clock=Clock())
    cache.get_or_compute("six", lambda: list(range(6)))
    cache.get_or_compute("five", lambda: list(range(5)))  # 11 items: "six" goes
    assert len(cache) == 1
    compute, calls = counting(list(range(11)))
    cache.get_or_compute("big", compute)
    cache.get_or_compute("big", compute)
    assert calls == [2] and len(cache) == 1


def test_errors_are_not_kept_and_a_zero_ttl_turns_it_off() -> None:
    cache = PickerCache(ttl_s=60, max_entries=10, max_items=100, clock=Clock())

    def failing() -> list[Any]:
        raise RuntimeError("AWS said no")

    with pytest.raises(RuntimeError):
        cache.get_or_compute("k", failing)
    assert len(cache) == 0
    off = PickerCache(ttl_s=0, max_entries=10, max_items=100)
    compute, calls = counting([1])
    off.get_or_compute("k", compute)
    off.get_or_compute("k", compute)
    assert calls == [2] and len(off) == 0


def test_settings_from_plugin_config_with_defaults() -> None:
    """[plugin.<id>] picker_cache_* as Grafana exports them (GF_PLUGIN_<KEY>); a bad value keeps the default."""
    default = ClientTuning.from_env({})
    assert (default.picker_cache_ttl_s, default.picker_cache_max_entries, default.picker_cache_max_items) == \
        (300.0, 1024, 500_000)
    tuned = ClientTuning.from_env({"GF_PLUGIN_PICKER_CACHE_TTL": "0", "GF_PLUGIN_PICKER_CACHE_MAX_ENTRIES": "5",
                                   "GF_PLUGIN_PICKER_CACHE_MAX_ITEMS": "100"})
    assert (tuned.picker_cache_ttl_s, tuned.picker_cache_max_entries, tuned.picker_cache_max_items) == (0, 5, 100)
    for bad in ("-1", "soon", "inf"):
        assert ClientTuning.from_env({"GF_PLUGIN_PICKER_CACHE_TTL": bad}).picker_cache_ttl_s == 300.0


def test_the_route_key_includes_the_operators_page_limit_and_external_id() -> None:
    """Reviewer (issue 15): a picker answer listed under one operator page cap or external id was served to a
    request under another."""
    cache = PickerCache(ttl_s=60, max_entries=10, max_items=100, clock=Clock())
    routes = {"metrics": Route(lambda r: [r.page_limit, r.external_id], cached=True)}
    request = CallResourceRequest(context=PluginContext(), path="metrics", method="GET", url="metrics?region=x")
    path, params = parse_request(request)

    def ask(page_limit: int, external_id: str) -> Any:
        resource = ResourceRequest(path, params, page_limit=page_limit, external_id=external_id, identity="ds")
        return json.loads(handle_resource(request, routes, resource, cache=cache).body)

    assert ask(500, "") == [500, ""]
    assert ask(10, "") == [10, ""]
    assert ask(500, "ext") == [500, "ext"]
    assert ask(500, "") == [500, ""] and len(cache) == 3
