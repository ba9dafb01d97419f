"""grafana-server's own plugin client drives the built dist executable: go-plugin v1.8 with
grafana-plugin-sdk-go's handshake and client set (tests/goplugin_host, through tests/support/grafana_host.py), Grafana
12.4's plugin environment with no host environment, the SDK's conversion of every answer, and Grafana's stop.

Also the host's own guarantees: a plugin whose frames the SDK cannot decode, or whose frames alerting cannot read,
fails the assertions every end-to-end suite relies on.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.grafana_host import (
    HOST_SOURCE,
    ROOT,
    HostError,
    StartGrafana,
    data_query,
    datasource,
    field_schema,
    field_values,
    find_go,
)

pytestmark = pytest.mark.processes  # tests/support/tiers.py

TESTS = Path(__file__).resolve().parent


def assert_timeseries(readers: dict[str, dict[str, object]], ref_id: str, series: int) -> None:
    """What the end-to-end suites require of a metrics answer: the dataplane readers (alerting's) read it as a
    time-series collection of `series` series with distinct label sets."""
    report = readers[ref_id]
    assert report["kind"] == "timeseries-multi" and report["reader"] == "timeseries", report
    assert not report.get("kindError") and not report.get("error") and not report.get("warning"), report
    assert len(report["series"]) == series and report["distinctLabelSets"], report  # type: ignore[arg-type]


def test_go_plugin_host_runs_dist_executable_end_to_end(grafana: StartGrafana, dist_executable: Path, moto
                                                        ) -> None:
    cw = moto.client("cloudwatch")
    now = int(time.time()) // 60 * 60
    cw.put_metric_data(Namespace="Demo/App", MetricData=[
        {"MetricName": "Requests", "Dimensions": [{"Name": "Service", "Value": "api"}],
         "Timestamp": now - 600 + i * 60, "Value": float(i)} for i in range(10)])
    model = {"region": "default", "namespace": "Demo/App", "metricName": "Requests",
             "dimensions": {"Service": ["api"]}, "statistic": "Sum", "period": "60", "matchExact": True,
             "metricQueryType": 0, "metricEditorMode": 0, "queryMode": "Metrics"}
    bad = {"region": "default", "namespace": "Demo/App", "metricName": "Requests", "statistic": "Sum",
           "period": "not-a-period"}
    settings = datasource({"authType": "keys", "defaultRegion": "us-east-1", "endpoint": moto.url},
                          {"accessKey": "AKIDTEST", "secretKey": "go-host-test-secret"}, uid="go-host")

    host = grafana([str(dist_executable)])
    assert host.started["negotiatedVersion"] == 2 and host.started["protocol"] == "grpc"
    assert host.ping()
    health = host.check_health(settings)
    assert health["status"] == "OK", health["message"]
    assert "Access & secret key" in health["message"]
    answer = host.query([data_query("A", model, (now - 900) * 1000, now * 1000),
                         data_query("B", bad, (now - 900) * 1000, now * 1000)], settings)

    a = answer.results["A"]
    assert a["status"] == 200 and "error" not in a
    [frame] = a["frames"]
    assert [(f["name"], f["type"]) for f in frame["schema"]["fields"]] == [("Time", "time"), ("Value", "number")]
    value = field_schema(frame, "Value")
    assert value["typeInfo"] == {"frame": "float64", "nullable": True}
    assert value["labels"] == {"Series": "Requests Sum", "Service": "api"}
    assert value["config"]["displayNameFromDS"] == frame["schema"]["name"]
    assert frame["schema"]["refId"] == "A" and frame["schema"]["meta"]["type"] == "timeseries-multi"
    assert sum(v for v in field_values(frame, "Value") if v is not None) == sum(range(10))
    assert_timeseries(answer.readers, "A", 1)
    b = answer.results["B"]
    assert b["status"] == 400 and b["errorSource"] == "plugin" and "period" in b["error"] and not b.get("frames")

    # Grafana's stop: Kill() sends Shutdown and the process must exit by itself within go-plugin's 2 s.
    stopped = host.kill()
    assert stopped["graceful"] is True and stopped["forcedKill"] is False, stopped["hostLog"]
    assert stopped["exitCode"] == 0 and stopped["exited"] is True


def test_plugin_environment_is_grafanas(grafana: StartGrafana, dist_executable: Path) -> None:
    """SkipHostEnv (Grafana >= 12.4): the plugin gets go-plugin's variables, Grafana's own, the [aws] switches and
    only the host variables Grafana 12.4.2 forwards — not PATH, HOME or AWS_PROFILE."""
    host = grafana([str(dist_executable)], {"GF_PLUGIN_LOG_LEVEL": "debug"},
                   host_env={"PATH": "/usr/bin:/bin", "HOME": "/root", "AWS_PROFILE": "prod",
                             "AWS_REGION": "eu-west-1", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/irsa",
                             "HTTPS_PROXY": "http://127.0.0.1:3128"})
    with open(f"/proc/{host.pid}/environ", "rb") as f:
        env = dict(item.decode().split("=", 1) for item in f.read().split(b"\0") if item)
    assert env["grafana_plugin_type"] == "datasource" and env["PLUGIN_PROTOCOL_VERSIONS"] == "2"
    assert env["GF_VERSION"].startswith("12.4") and env["GF_EDITION"] == "Open Source"
    assert env["AWS_AUTH_AllowedAuthProviders"] == "default,keys,credentials"
    assert env["AWS_REGION"] == "eu-west-1" and env["AWS_ROLE_ARN"].endswith(":role/irsa")
    assert env["HTTPS_PROXY"] == "http://127.0.0.1:3128" and env["GF_PLUGIN_LOG_LEVEL"] == "debug"
    assert not {"PATH", "HOME", "AWS_PROFILE", "VIRTUAL_ENV"} & set(env), sorted(env)
    assert host.ping()


def test_go_plugin_host_reports_a_plugin_that_cannot_start(grafana: StartGrafana, tmp_path: Path) -> None:
    broken = tmp_path / "gpx_broken_linux_amd64"
    broken.write_text("#!/bin/sh\necho 'not a handshake'\nsleep 1\n")
    broken.chmod(0o755)
    with pytest.raises(HostError) as err:
        grafana([str(broken)])
    assert "Unrecognized remote plugin message" in err.value.message  # the host really checks the handshake


def test_a_frame_the_sdk_cannot_decode_fails_the_query(grafana: StartGrafana) -> None:
    """The whole QueryData fails, as in Grafana (backend.FromProto().QueryDataResponse): no end-to-end test can
    pass over a frame that a dashboard would not show."""
    host = grafana([sys.executable, str(TESTS / "fake_plugin.py"), "garbage"])
    with pytest.raises(HostError) as err:
        host.query([data_query("A", {}, 0, 60_000)], datasource())
    assert "failed to convert data response" in err.value.message and "arrow" in err.value.message.lower()


def test_a_frame_alerting_cannot_read_fails_the_timeseries_check(grafana: StartGrafana) -> None:
    host = grafana([sys.executable, str(TESTS / "fake_plugin.py"), "untyped"])
    answer = host.query([data_query("A", {}, 0, 60_000)], datasource())
    assert answer.results["A"]["status"] == 200  # decodes fine ...
    assert "missing metadata" in answer.readers["A"]["kindError"]
    with pytest.raises(AssertionError):  # ... but is no time series for alerting
        assert_timeseries(answer.readers, "A", 1)


def test_chunked_resource_answers_are_joined_as_grafana_joins_them(grafana: StartGrafana) -> None:
    host = grafana([sys.executable, str(TESTS / "fake_plugin.py"), "untyped"])
    answer = host.call_resource("big/listing", datasource())
    assert [c["body"] for c in answer["chunks"]] == ["first;", "second;", "big/listing"]
    assert answer["status"] == 200 and answer["headers"] == {"Content-Type": ["text/plain"]}
    assert answer["body"] == "first;second;big/listing"


@pytest.mark.parametrize("module", [HOST_SOURCE, ROOT / "launcher", ROOT / "bench" / "reference"],
                         ids=["go-host", "launcher", "bench-reference"])
def test_go_modules_are_gofmt_and_vet_clean(module: Path) -> None:
    """The project's Go: the test host, the dist's launcher and the benchmarks' reference plugin (vet also
    type-checks each one against its pinned modules, so a reference plugin that no longer builds fails here)."""
    go = find_go()
    env = {"PATH": f"{Path(go).parent}:/usr/bin:/bin", "HOME": str(Path.home()), "GOTOOLCHAIN": "local",
           "GOFLAGS": "-mod=readonly -buildvcs=false"}
    unformatted = subprocess.run([str(Path(go).parent / "gofmt"), "-l", "."], cwd=module, env=env,
                                 capture_output=True, text=True, timeout=120)
    assert unformatted.returncode == 0 and unformatted.stdout == "", unformatted.stdout + unformatted.stderr
    vet = subprocess.run([go, "vet", "./..."], cwd=module, env=env, capture_output=True, text=True, timeout=900)
    assert vet.returncode == 0, vet.stdout + vet.stderr
