package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The Grafana release whose plugin start-up is reproduced (GF_VERSION below): 12.4.2 is the first that forwards
// the AWS SDK variables listed in forwardedHostVars.
const grafanaVersion = "12.4.2"

// forwardedHostVars are the host variables Grafana >= 12.4 still hands a plugin although it skips the host
// environment (SkipHostEnv): the proxy variables and PLUGIN_UNIX_SOCKET_DIR for every plugin, and, from 12.4.2, the
// AWS SDK's own credential and region variables for plugins listed in [aws] forward_settings_to_plugins (ours is,
// see README "Install into Grafana"). Grafana's docs: "Configure Grafana" → [aws] and [plugins]
// forward_host_env_vars.
var forwardedHostVars = []string{
	"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "PLUGIN_UNIX_SOCKET_DIR",
	"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
}

// grafanaPluginEnv is the environment Grafana builds for a forward-listed AWS datasource plugin with a default
// grafana.ini: its version and edition, and the [aws] switches as the AWS_AUTH_* / AWS_CW_* variables that
// github.com/grafana/grafana-aws-sdk (pkg/awsds) reads. assume_role_enabled = true is the default and is not
// exported (only "false" is). go-plugin adds the magic cookie and PLUGIN_* itself.
func grafanaPluginEnv(overrides map[string]*string) []string {
	env := map[string]string{
		"GF_VERSION":                     grafanaVersion,
		"GF_EDITION":                     "Open Source",
		"AWS_AUTH_AllowedAuthProviders":  "default,keys,credentials",
		"AWS_AUTH_SESSION_DURATION":      "15m",
		"AWS_CW_LIST_METRICS_PAGE_LIMIT": "500",
	}
	for _, key := range forwardedHostVars {
		if value, ok := os.LookupEnv(key); ok {
			env[key] = value
		}
	}
	for key, value := range overrides {
		if value == nil {
			delete(env, key)
		} else {
			env[key] = *value
		}
	}
	keys := make([]string, 0, len(env))
	for key := range env {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	list := make([]string, 0, len(keys))
	for _, key := range keys {
		list = append(list, key+"="+env[key])
	}
	return list
}

// v2PluginSet is the plugin set Grafana registers for protocol version 2 (the SDK's grpcplugin dispensers).
func v2PluginSet() goplugin.PluginSet {
	return goplugin.PluginSet{
		"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
		"resource":    &grpcplugin.ResourceGRPCPlugin{},
		"data":        &grpcplugin.DataGRPCPlugin{},
		"stream":      &grpcplugin.StreamGRPCPlugin{},
	}
}

// running is one started plugin process and its dispensed clients.
type running struct {
	client      *goplugin.Client
	cmd         *exec.Cmd
	rpc         goplugin.ClientProtocol
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	pid         int
	addr        string
	hostLog     *syncBuffer
}

type host struct {
	onStderr func(string)
	mu       sync.RWMutex
	plugin   *running
}

func newHost(onStderr func(string)) *host { return &host{onStderr: onStderr} }

type startResult struct {
	Pid               int      `json:"pid"`
	NegotiatedVersion int      `json:"negotiatedVersion"`
	Protocol          string   `json:"protocol"`
	Network           string   `json:"network"`
	Address           string   `json:"address"`
	HandshakeMs       int64    `json:"handshakeMs"`
	Env               []string `json:"env"`
}

func (h *host) start(req *request) (*startResult, error) {
	if len(req.Command) == 0 {
		return nil, errors.New("start: command (an argv list) is required")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.plugin != nil {
		// A restart after a crash: Grafana's process manager makes a new client for the same plugin.
		h.plugin.client.Kill()
		h.plugin = nil
	}
	// Grafana: exec.Command(executablePath, args...) with cmd.Env set to the plugin environment, SkipHostEnv on
	// from 12.4 (pkg/plugins/backendplugin/grpcplugin/client.go).
	cmd := exec.Command(req.Command[0], req.Command[1:]...) // #nosec G204 -- the test names the plugin
	env := grafanaPluginEnv(req.Env)
	cmd.Env = env
	hostLog := &syncBuffer{}
	// Info and up: go-plugin's own start/stop lines and the plugin's non-debug log lines (its raw stderr goes to the test
	// through Stderr below).
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Level: hclog.Info, Output: hostLog})
	timeout := time.Duration(req.StartTimeoutMs) * time.Millisecond
	client := goplugin.NewClient(&goplugin.ClientConfig{
		Cmd: cmd,
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{grpcplugin.ProtocolVersion: v2PluginSet()},
		SkipHostEnv:      true,
		Logger:           logger,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		StartTimeout:     timeout, // 0: go-plugin's default of 1 minute, which Grafana uses
		Stderr:           &lineWriter{emit: h.onStderr},
	})
	started := time.Now()
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("start: %w (host log: %s)", err, strings.TrimSpace(hostLog.String()))
	}
	// Grafana refuses anything older than protocol 2 (grpcplugin/grpc_plugin.go Start).
	if client.NegotiatedVersion() < 2 {
		client.Kill()
		return nil, errors.New("plugin protocol version not supported")
	}
	p := &running{client: client, cmd: cmd, rpc: rpc, hostLog: hostLog}
	for name, target := range map[string]any{"data": &p.data, "diagnostics": &p.diagnostics, "resource": &p.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			client.Kill()
			return nil, fmt.Errorf("dispense %s: %w", name, err)
		}
		switch t := target.(type) {
		case *grpcplugin.DataClient:
			*t = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*t = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*t = raw.(grpcplugin.ResourceClient)
		}
	}
	result := &startResult{NegotiatedVersion: client.NegotiatedVersion(), Protocol: string(client.Protocol()),
		HandshakeMs: time.Since(started).Milliseconds(), Env: env}
	if rc := client.ReattachConfig(); rc != nil {
		p.pid = rc.Pid
		p.addr = rc.Addr.String()
		result.Pid, result.Network, result.Address = rc.Pid, rc.Addr.Network(), rc.Addr.String()
	}
	h.plugin = p
	return result, nil
}

func (h *host) current() (*running, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	// Grafana answers ErrPluginUnavailable when there is no client or its process has exited.
	if h.plugin == nil || h.plugin.client.Exited() {
		return nil, errors.New("plugin unavailable")
	}
	return h.plugin, nil
}

type killResult struct {
	WasRunning bool   `json:"wasRunning"`
	Graceful   bool   `json:"graceful"`
	ForcedKill bool   `json:"forcedKill"`
	Exited     bool   `json:"exited"`
	ExitCode   *int   `json:"exitCode"`
	Signal     string `json:"signal,omitempty"`
	KillMs     int64  `json:"killMs"`
	HostLog    string `json:"hostLog"`
}

// kill stops the plugin as Grafana does (grpcplugin/grpc_plugin.go Stop → go-plugin Client.Kill): close the
// client, which sends GRPCController/Shutdown, then wait up to 2 s for the process to exit before SIGKILL.
func (h *host) kill() (*killResult, error) {
	h.mu.Lock()
	p := h.plugin
	h.plugin = nil
	h.mu.Unlock()
	if p == nil {
		return &killResult{Exited: true}, nil
	}
	wasRunning := !p.client.Exited()
	started := time.Now()
	p.client.Kill()
	result := &killResult{WasRunning: wasRunning, KillMs: time.Since(started).Milliseconds(), Exited: p.client.Exited(),
		HostLog: p.hostLog.String()}
	// go-plugin logs this line exactly when it had to SIGKILL (client.go Kill).
	result.ForcedKill = strings.Contains(result.HostLog, "plugin failed to exit gracefully")
	result.Graceful = wasRunning && !result.ForcedKill
	describeExit(p.cmd, &result.ExitCode, &result.Signal)
	return result, nil
}

func (h *host) killPlugin() { _, _ = h.kill() }

type waitResult struct {
	Exited   bool   `json:"exited"`
	ExitCode *int   `json:"exitCode"`
	Signal   string `json:"signal,omitempty"`
	WaitedMs int64  `json:"waitedMs"`
}

// wait watches the process exit on its own (after a signal sent by the test), as Grafana notices an exited
// plugin through client.Exited().
func (h *host) wait(timeout time.Duration) (*waitResult, error) {
	h.mu.RLock()
	p := h.plugin
	h.mu.RUnlock()
	if p == nil {
		return nil, errors.New("no plugin started")
	}
	started := time.Now()
	for !p.client.Exited() && time.Since(started) < timeout {
		time.Sleep(5 * time.Millisecond)
	}
	result := &waitResult{Exited: p.client.Exited(), WaitedMs: time.Since(started).Milliseconds()}
	if result.Exited {
		// go-plugin's runner reaps the process; ProcessState is set once its Wait returned.
		for i := 0; i < 200 && p.cmd.ProcessState == nil; i++ {
			time.Sleep(5 * time.Millisecond)
		}
		describeExit(p.cmd, &result.ExitCode, &result.Signal)
	}
	return result, nil
}

func describeExit(cmd *exec.Cmd, code **int, signal *string) {
	state := cmd.ProcessState
	if state == nil {
		return
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		*signal = ws.Signal().String()
		return
	}
	c := state.ExitCode()
	*code = &c
}

// shutdownRPC sends GRPCController/Shutdown alone, on a connection of its own, leaving go-plugin's client open:
// the plugin's drain of in-flight requests can be watched, which Kill (closing the client first) would cut short.
func (h *host) shutdownRPC() error {
	p, err := h.current()
	if err != nil {
		return err
	}
	target := p.addr
	if strings.HasPrefix(target, "/") {
		target = "unix://" + target
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// go-plugin's internal/plugin GRPCController service; its Empty message is wire-identical to protobuf's.
	return conn.Invoke(ctx, "/plugin.GRPCController/Shutdown", &emptypb.Empty{}, &emptypb.Empty{})
}

// syncBuffer is the host log (go-plugin's hclog output), written from go-plugin's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lineWriter turns go-plugin's raw copy of the plugin's stderr (ClientConfig.Stderr) into whole lines.
type lineWriter struct {
	mu      sync.Mutex
	pending []byte
	emit    func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, p...)
	for {
		i := bytes.IndexByte(w.pending, '\n')
		if i < 0 {
			break
		}
		w.emit(string(w.pending[:i]))
		w.pending = w.pending[i+1:]
	}
	return len(p), nil
}
