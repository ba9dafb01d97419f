package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/useragent"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
)

const pluginID = "pyaws-cloudwatch-datasource"

type settings struct {
	ID            int64             `json:"id"`
	UID           string            `json:"uid"`
	Name          string            `json:"name"`
	JSONData      json.RawMessage   `json:"jsonData"`
	Secure        map[string]string `json:"secureJsonData"`
	LastUpdatedMs int64             `json:"lastUpdatedMs"`
}

// query is one DataQuery: Model is the query JSON as a panel sends it; RawJSON, when set, is sent byte for byte
// instead (to test what the plugin does with JSON that does not parse).
type query struct {
	RefID         string          `json:"refId"`
	QueryType     string          `json:"queryType"`
	From          int64           `json:"from"`
	To            int64           `json:"to"`
	Model         json.RawMessage `json:"model"`
	RawJSON       *string         `json:"rawJson"`
	MaxDataPoints int64           `json:"maxDataPoints"`
	IntervalMs    int64           `json:"intervalMs"`
}

func (h *host) handle(req *request) (any, error) {
	switch req.Op {
	case "start":
		return h.start(req)
	case "kill":
		return h.kill()
	case "wait":
		return h.wait(durationOr(req.TimeoutMs, 10*time.Second))
	case "shutdownRpc":
		return map[string]bool{"sent": true}, h.shutdownRPC()
	case "hostLog":
		p, err := h.current()
		if err != nil {
			return nil, err
		}
		return map[string]string{"hostLog": p.hostLog.String()}, nil
	case "decodeFrames":
		return decodeFrames(req.Frames)
	}
	p, err := h.current()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), durationOr(req.TimeoutMs, 60*time.Second))
	defer cancel()
	switch req.Op {
	case "ping":
		// go-plugin's Ping: the grpc.health.v1 check of the "plugin" service.
		if err := p.rpc.Ping(); err != nil {
			return nil, err
		}
		return map[string]bool{"serving": true}, nil
	case "checkHealth":
		return checkHealth(ctx, p, req)
	case "queryData":
		return queryData(ctx, p, req)
	case "callResource":
		return callResource(ctx, p, req)
	case "collectMetrics":
		return collectMetrics(ctx, p, req)
	}
	return nil, fmt.Errorf("unknown op %q", req.Op)
}

func durationOr(ms int64, fallback time.Duration) time.Duration {
	if ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return fallback
}

// pluginContext is what Grafana puts in every request for a datasource of this plugin.
func pluginContext(req *request) backend.PluginContext {
	pc := backend.PluginContext{
		OrgID: 1, PluginID: pluginID, PluginVersion: "0.1.0",
		GrafanaConfig: backend.NewGrafanaCfg(req.GrafanaConfig),
	}
	if ua, err := useragent.New(grafanaVersion, runtime.GOOS, runtime.GOARCH); err == nil {
		pc.UserAgent = ua
	}
	if s := req.Settings; s != nil {
		id := s.ID
		if id == 0 {
			id = 1
		}
		name := s.Name
		if name == "" {
			name = "CloudWatch"
		}
		jsonData := s.JSONData
		if len(jsonData) == 0 {
			jsonData = json.RawMessage("{}")
		}
		updated := time.UnixMilli(s.LastUpdatedMs)
		if s.LastUpdatedMs == 0 {
			updated = time.UnixMilli(1)
		}
		pc.DataSourceInstanceSettings = &backend.DataSourceInstanceSettings{
			ID: id, UID: s.UID, Type: pluginID, Name: name, JSONData: jsonData,
			DecryptedSecureJSONData: s.Secure, Updated: updated,
		}
	}
	return pc
}

type healthResult struct {
	Status      string          `json:"status"`
	Message     string          `json:"message"`
	JSONDetails json.RawMessage `json:"jsonDetails"`
}

func checkHealth(ctx context.Context, p *running, req *request) (*healthResult, error) {
	protoReq := &pluginv2.CheckHealthRequest{
		PluginContext: backend.ToProto().PluginContext(pluginContext(req)), Headers: req.Headers,
	}
	protoResp, err := p.diagnostics.CheckHealth(ctx, protoReq)
	if err != nil {
		return nil, fmt.Errorf("CheckHealth: %w", err)
	}
	res := backend.FromProto().CheckHealthResponse(protoResp)
	out := &healthResult{Status: res.Status.String(), Message: res.Message, JSONDetails: json.RawMessage("null")}
	if len(res.JSONDetails) > 0 {
		if !json.Valid(res.JSONDetails) {
			// Grafana's /api/datasources/uid/:uid/health unmarshals these bytes: invalid JSON is an error there.
			return nil, fmt.Errorf("CheckHealth: jsonDetails is not JSON: %q", res.JSONDetails)
		}
		out.JSONDetails = res.JSONDetails
	}
	return out, nil
}

type queryResult struct {
	// Response is the SDK's JSON for the converted backend.QueryDataResponse ({"results": {refId: {...}}}).
	Response json.RawMessage `json:"response"`
	// Readers is what github.com/grafana/dataplane/sdata makes of each refId's frames.
	Readers map[string]readerReport `json:"readers"`
}

func queryData(ctx context.Context, p *running, req *request) (*queryResult, error) {
	sdkReq := &backend.QueryDataRequest{PluginContext: pluginContext(req), Headers: req.Headers}
	for _, q := range req.Queries {
		body := []byte(q.Model)
		if q.RawJSON != nil {
			body = []byte(*q.RawJSON)
		}
		maxDataPoints, interval := q.MaxDataPoints, q.IntervalMs
		if maxDataPoints == 0 {
			maxDataPoints = 1000
		}
		if interval == 0 {
			interval = 60000
		}
		sdkReq.Queries = append(sdkReq.Queries, backend.DataQuery{
			RefID: q.RefID, QueryType: q.QueryType, MaxDataPoints: maxDataPoints,
			Interval: time.Duration(interval) * time.Millisecond, JSON: body,
			TimeRange: backend.TimeRange{From: time.UnixMilli(q.From), To: time.UnixMilli(q.To)},
		})
	}
	protoResp, err := p.data.QueryData(ctx, backend.ToProto().QueryDataRequest(sdkReq))
	if err != nil {
		return nil, fmt.Errorf("QueryData: %w", err)
	}
	// Grafana's client does exactly this; a frame the SDK cannot decode fails the whole request there.
	resp, err := backend.FromProto().QueryDataResponse(protoResp)
	if err != nil {
		return nil, fmt.Errorf("failed to convert data response: %w", err)
	}
	raw, err := resp.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("SDK JSON of the response: %w", err)
	}
	out := &queryResult{Response: raw, Readers: map[string]readerReport{}}
	for refID, r := range resp.Responses {
		out.Readers[refID] = readFrames(r.Frames)
	}
	return out, nil
}

type resourceChunk struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
}

type resourceResult struct {
	// Status and Headers come from the first message, Body is every message's body in order: the HTTP response
	// Grafana writes for /api/datasources/uid/:uid/resources/... Chunks are the messages as received.
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
	Body    string              `json:"body"`
	Chunks  []resourceChunk     `json:"chunks"`
}

func callResource(ctx context.Context, p *running, req *request) (*resourceResult, error) {
	method := req.Method
	if method == "" {
		method = "GET"
	}
	url := req.URL
	if url == "" {
		url = req.Path
	}
	sdkReq := &backend.CallResourceRequest{
		PluginContext: pluginContext(req), Path: req.Path, Method: method, URL: url,
		Headers: req.ResourceHeads, Body: []byte(req.Body),
	}
	stream, err := p.resource.CallResource(ctx, backend.ToProto().CallResourceRequest(sdkReq))
	if err != nil {
		return nil, fmt.Errorf("CallResource: %w", err)
	}
	out := &resourceResult{Chunks: []resourceChunk{}}
	var body bytes.Buffer
	for {
		protoResp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CallResource: %w", err)
		}
		res := backend.FromProto().CallResourceResponse(protoResp)
		if len(out.Chunks) == 0 {
			out.Status, out.Headers = res.Status, res.Headers
		}
		out.Chunks = append(out.Chunks, resourceChunk{Status: res.Status, Headers: res.Headers, Body: string(res.Body)})
		body.Write(res.Body)
	}
	if len(out.Chunks) == 0 {
		return nil, errors.New("CallResource: the plugin sent no response message")
	}
	out.Body = body.String()
	return out, nil
}

func collectMetrics(ctx context.Context, p *running, req *request) (map[string]string, error) {
	protoResp, err := p.diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{
		PluginContext: backend.ToProto().PluginContext(pluginContext(req)),
	})
	if err != nil {
		return nil, fmt.Errorf("CollectMetrics: %w", err)
	}
	return map[string]string{"prometheus": string(backend.FromProto().CollectMetricsResponse(protoResp).PrometheusMetrics)}, nil
}

type arrowField struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Nullable bool              `json:"nullable"`
	Metadata map[string]string `json:"metadata"`
}

type decodedFrames struct {
	Frames  json.RawMessage `json:"frames"`
	Schemas [][]arrowField  `json:"schemas"`
	Readers readerReport    `json:"readers"`
}

// decodeFrames decodes Arrow IPC files as the SDK decodes QueryData frames, and reports their Arrow schemas
// (arrow-go's view: types, nullability, metadata) for the golden-frame comparison.
func decodeFrames(raw [][]byte) (*decodedFrames, error) {
	frames, err := data.UnmarshalArrowFrames(raw)
	if err != nil {
		return nil, fmt.Errorf("data.UnmarshalArrowFrames: %w", err)
	}
	encoded, err := json.Marshal(frames)
	if err != nil {
		return nil, err
	}
	out := &decodedFrames{Frames: encoded, Readers: readFrames(frames)}
	for _, b := range raw {
		schema, err := arrowSchema(b)
		if err != nil {
			return nil, err
		}
		out.Schemas = append(out.Schemas, schema)
	}
	return out, nil
}

func arrowSchema(b []byte) ([]arrowField, error) {
	reader, err := ipc.NewFileReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	defer func() { _ = reader.Close() }()
	fields := []arrowField{}
	for _, f := range reader.Schema().Fields() {
		md := map[string]string{}
		for i, k := range f.Metadata.Keys() {
			md[k] = f.Metadata.Values()[i]
		}
		fields = append(fields, arrowField{Name: f.Name, Type: f.Type.String(), Nullable: f.Nullable, Metadata: md})
	}
	return fields, nil
}
