// A plugin host built on hashicorp/go-plugin, configured the way grafana-server configures it
// (pkg/plugins/backendplugin/grpcplugin/client.go): magic cookie grafana_plugin_type=datasource, protocol
// version 2, gRPC only, no AutoMTLS. It starts the plugin executable, completes the handshake, pings the
// "plugin" health service, calls Diagnostics/CheckHealth and Data/QueryData with stubs generated from our
// proto/backend.proto, then Kill()s it the way Grafana stops a plugin. It prints one JSON report on stdout.
//
// Usage: gohost -exe PATH -request FILE   (FILE: {"settings":{...},"queries":[...]}; see tests/test_go_host.py)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	pb "pyaws/pluginv2"
)

// rawPlugin hands the shared *grpc.ClientConn back, as Grafana's grpcplugin does for each service.
type rawPlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (rawPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }
func (rawPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return c, nil
}

type request struct {
	Settings struct {
		UID      string            `json:"uid"`
		JSONData json.RawMessage   `json:"jsonData"`
		Secure   map[string]string `json:"secureJsonData"`
	} `json:"settings"`
	Queries []struct {
		RefID  string          `json:"refId"`
		From   int64           `json:"from"`
		To     int64           `json:"to"`
		Model  json.RawMessage `json:"model"`
	} `json:"queries"`
}

type frameReport struct {
	Status      int32    `json:"status"`
	Error       string   `json:"error"`
	ErrorSource string   `json:"errorSource"`
	Format      int32    `json:"format"`
	Frames      [][]byte `json:"frames"`
}

type report struct {
	HandshakeMs    int64                  `json:"handshakeMs"`
	Protocol       int                    `json:"negotiatedVersion"`
	PingError      string                 `json:"pingError"`
	HealthStatus   string                 `json:"healthStatus"`
	HealthMessage  string                 `json:"healthMessage"`
	HealthDetails  string                 `json:"healthDetails"`
	Responses      map[string]frameReport `json:"responses"`
	KillMs         int64                  `json:"killMs"`
	Exited         bool                   `json:"exited"`
	ForcedKill     bool                   `json:"forcedKill"`
	HostLog        string                 `json:"hostLog"`
	Error          string                 `json:"error,omitempty"`
}

func main() {
	exe := flag.String("exe", "", "plugin executable (absolute path, as Grafana requires)")
	reqFile := flag.String("request", "", "JSON request file")
	flag.Parse()
	out := report{Responses: map[string]frameReport{}}
	err := run(*exe, *reqFile, &out)
	if err != nil {
		out.Error = err.Error()
	}
	enc := json.NewEncoder(os.Stdout)
	_ = enc.Encode(out)
	if err != nil {
		os.Exit(1)
	}
}

func run(exe, reqFile string, out *report) error {
	raw, err := ioutil.ReadFile(reqFile)
	if err != nil {
		return err
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		return err
	}

	var hostLog bytes.Buffer
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin.pyaws", Level: hclog.Debug, Output: &hostLog})
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  2,
			MagicCookieKey:   "grafana_plugin_type",
			MagicCookieValue: "datasource",
		},
		Plugins:          map[string]plugin.Plugin{"raw": rawPlugin{}},
		VersionedPlugins: map[int]plugin.PluginSet{2: {"raw": rawPlugin{}}},
		Cmd:              exec.Command(exe),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
	})
	defer func() { out.HostLog = hostLog.String() }()

	started := time.Now()
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		return fmt.Errorf("start: %w", err)
	}
	out.HandshakeMs = time.Since(started).Milliseconds()
	out.Protocol = client.NegotiatedVersion()
	if err := rpcClient.Ping(); err != nil {
		out.PingError = err.Error()
	}
	dispensed, err := rpcClient.Dispense("raw")
	if err != nil {
		client.Kill()
		return fmt.Errorf("dispense: %w", err)
	}
	conn := dispensed.(*grpc.ClientConn)

	settings := &pb.DataSourceInstanceSettings{
		Id: 1, Uid: req.Settings.UID, Name: "CloudWatch", JsonData: req.Settings.JSONData,
		DecryptedSecureJsonData: req.Settings.Secure, LastUpdatedMS: time.Now().UnixNano() / 1e6,
	}
	pctx := &pb.PluginContext{OrgId: 1, PluginId: "pyaws-cloudwatch-datasource", DataSourceInstanceSettings: settings}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	health, err := pb.NewDiagnosticsClient(conn).CheckHealth(ctx, &pb.CheckHealthRequest{PluginContext: pctx})
	if err != nil {
		client.Kill()
		return fmt.Errorf("CheckHealth: %w", err)
	}
	out.HealthStatus = health.Status.String()
	out.HealthMessage = health.Message
	out.HealthDetails = string(health.JsonDetails)

	qreq := &pb.QueryDataRequest{PluginContext: pctx}
	for _, q := range req.Queries {
		qreq.Queries = append(qreq.Queries, &pb.DataQuery{
			RefId: q.RefID, Json: q.Model, MaxDataPoints: 1000, IntervalMS: 60000,
			TimeRange: &pb.TimeRange{FromEpochMS: q.From, ToEpochMS: q.To},
		})
	}
	resp, err := pb.NewDataClient(conn).QueryData(ctx, qreq)
	if err != nil {
		client.Kill()
		return fmt.Errorf("QueryData: %w", err)
	}
	for refID, r := range resp.Responses {
		out.Responses[refID] = frameReport{Status: r.Status, Error: r.Error, ErrorSource: r.ErrorSource,
			Format: int32(r.Format), Frames: r.Frames}
	}

	killStarted := time.Now()
	client.Kill()
	out.KillMs = time.Since(killStarted).Milliseconds()
	out.Exited = client.Exited()
	out.ForcedKill = strings.Contains(hostLog.String(), "plugin failed to exit gracefully")
	return nil
}
