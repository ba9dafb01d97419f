// Command gohost plays grafana-server's part for the tests: it starts a plugin executable with the client code
// Grafana itself uses (hashicorp/go-plugin v1.8 and grafana-plugin-sdk-go's backend/grpcplugin), calls it, and
// converts every answer with the SDK's backend package (QueryData frames through data.UnmarshalArrowFrames) before
// printing the SDK's own JSON for it: what /api/ds/query would hand the browser. It also runs each response's
// frames through github.com/grafana/dataplane/sdata, the readers Grafana's alerting and server-side expressions use.
//
// It is a long-lived driver speaking JSON lines: one request per line on stdin,
//
//	{"id": 1, "op": "start", "command": ["/abs/gpx_x", ...], "env": {"K": "V"}, "startTimeoutMs": 60000}
//
// and one answer per request on stdout, {"id": 1, "ok": true, "result": {...}} or {"id": 1, "ok": false,
// "error": "...", "grpcCode": "Unavailable"}. Requests run concurrently (answers may come out of order); the
// plugin's stderr lines arrive as {"event": "stderr", "line": "..."}. The operations and their fields are
// documented on the request type below; tests/grafana_host.py is the Python side.
//
// One driver hosts one plugin process at a time, as one grafana-server runs one process per plugin: killing the
// driver is killing Grafana.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"google.golang.org/grpc/status"
)

// request is one line on stdin. Which fields matter depends on Op.
type request struct {
	ID int64  `json:"id"`
	Op string `json:"op"`

	// start: the argv (argv[0] need not be the plugin: wrappers such as chroot are fine), extra or overriding
	// environment variables on top of Grafana's plugin environment (a null value removes a variable), the host's
	// own environment that Grafana >= 12.4.2 may forward, and go-plugin's start timeout (default 1 minute, as in
	// Grafana, which sets none).
	Command        []string           `json:"command"`
	Env            map[string]*string `json:"env"`
	StartTimeoutMs int64              `json:"startTimeoutMs"`

	// checkHealth, queryData, callResource: the plugin context.
	Settings      *settings         `json:"settings"`
	GrafanaConfig map[string]string `json:"grafanaConfig"`
	Headers       map[string]string `json:"headers"`
	TimeoutMs     int64             `json:"timeoutMs"`

	// queryData
	Queries []query `json:"queries"`

	// callResource
	Path          string              `json:"path"`
	Method        string              `json:"method"`
	URL           string              `json:"url"`
	Body          string              `json:"body"`
	ResourceHeads map[string][]string `json:"resourceHeaders"`

	// decodeFrames: Arrow IPC files (base64), decoded exactly as QueryData frames are.
	Frames [][]byte `json:"frames"`
}

type answer struct {
	ID       int64  `json:"id"`
	OK       bool   `json:"ok"`
	Result   any    `json:"result,omitempty"`
	Error    string `json:"error,omitempty"`
	GRPCCode string `json:"grpcCode,omitempty"`
}

type event struct {
	Event string `json:"event"`
	Line  string `json:"line"`
}

// out serialises everything written to stdout: answers and events interleave line by line.
type out struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (o *out) write(v any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := o.enc.Encode(v); err != nil {
		fmt.Fprintln(os.Stderr, "gohost: cannot write to stdout:", err)
		os.Exit(3)
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "golden" {
		// The SDK-built reference frames for tests/test_golden_frames.py.
		if err := printGoldenFrames(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	stdout := &out{enc: json.NewEncoder(os.Stdout)}
	stdout.enc.SetEscapeHTML(false)
	h := newHost(func(line string) { stdout.write(event{Event: "stderr", Line: line}) })
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 1<<20), 1<<30)
	var wg sync.WaitGroup
	for scanner.Scan() {
		var req request
		if err := json.Unmarshal(scanner.Bytes(), &req); err != nil {
			stdout.write(answer{ID: -1, Error: "bad request line: " + err.Error()})
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			result, err := h.handle(&req)
			a := answer{ID: req.ID, OK: err == nil, Result: result}
			if err != nil {
				a.Error = err.Error()
				if s, ok := status.FromError(unwrapAll(err)); ok && s.Code() != 0 {
					a.GRPCCode = s.Code().String()
				}
			}
			stdout.write(a)
		}()
	}
	wg.Wait()
	// stdin closed: the test is done with this "Grafana"; stop the plugin the way Grafana does.
	h.killPlugin()
}

// unwrapAll returns the innermost wrapped error, where a gRPC status lives.
func unwrapAll(err error) error {
	for {
		inner, ok := err.(interface{ Unwrap() error })
		if !ok || inner.Unwrap() == nil {
			return err
		}
		err = inner.Unwrap()
	}
}
