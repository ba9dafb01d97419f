"""Where the gap to the Go reference plugin comes from (bench/notes.md, "Against a Go plugin on the same SDK").

    .venv/bin/python bench/gap_profile.py [--clients 8] [--seconds 6] [--go]

Not part of `make bench`: a tool for reading a gap, not a figure. Three readings, each printed as shares:
1. start-up: `-X importtime` of the plugin run by the dist's own CPython, as its launcher runs it, up to the
   handshake line,
   self time grouped by top-level package (importtime itself roughly doubles the milliseconds; the shares hold);
2. load: the plugin from the dev venv (`python -m cloudwatch_datasource`, the same code as the dist) under
   `--clients` concurrent QueryData against the fake endpoint, sampled by py-spy in `--gil` mode, i.e. only the
   thread holding the GIL, which is what caps a Python plugin's throughput; samples are grouped by pipeline
   stage. py-spy comes from PyPI and is not a dev dependency: `.venv/bin/pip install py-spy`;
3. with `--go`, the Go reference plugin under the same load with its runtime/pprof CPU profile
   (REFERENCE_CPU_PROFILE, bench/reference/main.go), read with `go tool pprof -top`.
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from against_go import build_reference, go_tool
from lib import (
    DIST,
    KEYS,
    datasource_settings,
    dist_python,
    fake_endpoint,
    time_range,
    wait_idle,
)
from sections import distinct_requests, load, uncached_json_data

from cloudwatch_datasource.protocol.host import go_plugin_env, plugin_context, start_plugin

# Pipeline stages, first match wins (a sample's whole stack is searched for the frame).
STAGES = [
    ("botocore: HTTP send and receive (urllib3, http.client)", "URLLib3Session.send (botocore/httpsession.py"),
    ("botocore: SigV4 signing", "RequestSigner.sign (botocore/signers.py"),
    ("botocore: response parsing", "ResponseParser.parse (botocore/parsers.py"),
    ("botocore: the rest of the call (serialize, validate, endpoint rules, event hooks, retries, paginator)",
     "_fetch (cloudwatch_datasource/cloudwatch/execute.py"),
    ("frames stage (name and labels, console deep link, pyarrow arrays)",
     "build_responses (cloudwatch_datasource/cloudwatch/frames.py"),
    ("Arrow IPC encoding and the protobuf response", "query_data_response (cloudwatch_datasource/protocol/convert.py"),
    ("plugin code before the call (settings, policy, parse, plan, client lookup)",
     "PluginService.query_data (cloudwatch_datasource/service.py"),
    ("protobuf → domain request conversion", "_Data.QueryData (cloudwatch_datasource/protocol/server.py"),
    ("grpc's Python server layer (thread pool hand-off, call and status handling, the _serve loop)", ""),
]


def importtime(runs: int = 7) -> None:
    """Self time per top-level package, the median over `runs` starts (one start on a busy machine can put a
    scheduling pause into any single import)."""
    samples: dict[str, list[int]] = collections.defaultdict(list)
    for _ in range(runs):
        proc = subprocess.Popen([*dist_python(DIST), "-X", "importtime", "-m", "cloudwatch_datasource"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=go_plugin_env())
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.readline()
        proc.kill()
        proc.wait()
        by_package: collections.Counter[str] = collections.Counter()
        for line in proc.stderr.read().decode().splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
            if m:
                by_package[m[2].split(".")[0]] += int(m[1])
        for name, us in by_package.items():
            samples[name].append(us)
    medians = {name: statistics.median(v + [0] * (runs - len(v))) for name, v in samples.items()}
    total = sum(medians.values())
    print(f"\n1. imports before the handshake line: {total / 1000:.0f} ms under -X importtime (median of {runs})")
    for name, us in sorted(medians.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {us / total:6.1%}  {name}")


def drive(command: list[str], clients: int, seconds: float, env: dict[str, str] | None = None,
          sampler: list[str] | None = None) -> float:
    """The plugin under `clients` concurrent QueryData for `seconds`; `sampler` (+ pid) runs alongside."""
    start, end = time_range(1)
    with fake_endpoint() as url:
        proc = start_plugin(command, env=go_plugin_env(env))
        try:
            wait_idle(proc.proc.pid)
            settings = datasource_settings(uncached_json_data(url), KEYS)
            next_request = distinct_requests(plugin_context(settings), start, end)
            stub = proc.data

            def call() -> bool:
                return not stub.QueryData(next_request(), timeout=60).responses["A"].error

            load(clients, 1.0, call)
            spy = subprocess.Popen([*sampler, str(proc.proc.pid)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL) if sampler else None
            time.sleep(0.5 if spy else 0)
            qps = load(clients, seconds, call)[0]
            if spy:
                spy.send_signal(2)  # py-spy writes its file on SIGINT
                spy.wait()
        finally:
            proc.kill()
    return qps


def gil_profile(clients: int, seconds: float) -> None:
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        print("\n2. skipped: py-spy not found (`.venv/bin/pip install py-spy`)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "gil.txt"
        qps = drive([sys.executable, "-m", "cloudwatch_datasource"], clients, seconds,
                    sampler=[py_spy, "record", "--gil", "--nonblocking", "-r", "200", "-f", "raw", "-o", str(raw),
                             "-p"])
        shares: collections.Counter[str] = collections.Counter()
        total = 0
        for line in raw.read_text().splitlines():
            stack, count = line.rsplit(" ", 1)
            total += int(count)
            shares[next(name for name, frame in STAGES if frame in stack)] += int(count)
    print(f"\n2. GIL holder under {clients} clients ({qps:.0f} QueryData/s with py-spy attached), "
          f"{total} samples at 200 Hz over ~{seconds + 0.5:g} s:")
    for name, _ in STAGES:
        print(f"  {shares[name] / max(1, total):6.1%}  {name}")


# Cumulative shares of the Go plugin's CPU profile worth naming (function names as pprof prints them).
GO_PARTS = [
    ("the QueryData RPC handler, all of it", r"pluginv2\._Data_QueryData_Handler$"),
    ("  GetMetricData (aws-sdk-go-v2: middleware stack, SigV4, CBOR, HTTP round trip)",
     r"cloudwatch\.\(\*Client\)\.GetMetricData$"),
    ("  building the frame (labels, deep link)", r"main\.metricQuery\.frame$"),
    ("  Arrow IPC encoding (data.Frames.MarshalArrow)", r"data\.Frames\.MarshalArrow$"),
    ("net/http's connection goroutines (reading and writing the endpoint's socket)",
     r"persistConn\)\.(readLoop|writeLoop)$"),
    ("gRPC's HTTP/2 transport (reading frames, the writer loop)",
     r"(http2Server\)\.HandleStreams|loopyWriter\)\.run)$"),
    ("garbage collector (background mark workers)", r"runtime\.gcBgMarkWorker$"),
]


def go_profile(clients: int, seconds: float) -> None:
    exe = build_reference()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cpu.pprof"
        qps = drive([str(exe)], clients, seconds, env={"REFERENCE_CPU_PROFILE": str(out)})
        top = subprocess.run([go_tool(), "tool", "pprof", "-top", "-cum", "-nodecount=2000", str(exe), str(out)],
                             capture_output=True, text=True, check=True).stdout
    total = re.search(r"Total samples = ([\d.]+)(m?s)", top)
    print(f"\n3. Go reference under {clients} clients ({qps:.0f} QueryData/s), runtime/pprof, share of its CPU "
          f"({total[1] if total else '?'} {total[2] if total else ''} sampled):")
    rows = [line.split() for line in top.splitlines() if re.match(r"\s+[\d.]+(m?s)?\s+[\d.]+%", line)]
    for name, pattern in GO_PARTS:
        share = sum(float(row[4].rstrip("%")) for row in rows if re.search(pattern, " ".join(row[5:])))
        print(f"  {share:5.1f}%  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--go", action="store_true", help="also profile the Go reference plugin")
    args = parser.parse_args()
    importtime()
    gil_profile(args.clients, args.seconds)
    if args.go:
        go_profile(args.clients, args.seconds)


if __name__ == "__main__":
    main()
