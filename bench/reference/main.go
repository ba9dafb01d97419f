// Command gpx_cloudwatch_reference is a Go backend datasource plugin that answers the one query shape the
// benchmarks send (bench/lib.py metric_model: a builder-mode MetricStat) with aws-sdk-go-v2's GetMetricData, so
// `make bench` can measure the Python plugin against a plugin built the usual way, on the same gRPC client and
// the same fake endpoint. It is a measuring stick, not a product: it is never shipped in the dist, and it
// supports only what the benchmarks need (keys auth, an endpoint override, MetricStat queries).
//
// Written from the public API of github.com/grafana/grafana-plugin-sdk-go (backend/datasource.Manage,
// backend/instancemgmt, data) and github.com/aws/aws-sdk-go-v2/service/cloudwatch.
package main

import (
	"os"
	"runtime/pprof"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
)

// pluginID is only used by the SDK for its logger and tracer names; the host does not check it.
const pluginID = "pyaws-cloudwatch-reference"

// cpuProfileEnv names a file to write a CPU profile to (runtime/pprof), from start until the host's Shutdown
// RPC: `go tool pprof` then shows where the reference plugin's time goes. The SDK's own profiler
// (GF_PLUGIN_PROFILING_ENABLED, backend/setup.go) serves pprof on every interface, which the benchmarks avoid.
const cpuProfileEnv = "REFERENCE_CPU_PROFILE"

func main() {
	if path := os.Getenv(cpuProfileEnv); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	// datasource.Manage runs go-plugin's server with the SDK's handshake config (magic cookie
	// grafana_plugin_type=datasource, protocol version 2) and gives every datasource its own instance, built by
	// newInstance and rebuilt when the datasource's settings change (backend/instancemgmt). It returns when the
	// host stops the plugin (go-plugin's GRPCController.Shutdown).
	if err := datasource.Manage(pluginID, newInstance, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin stopped", "error", err.Error())
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
