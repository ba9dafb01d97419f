package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

const (
	// GetMetricData takes at most 500 MetricDataQueries per call (CloudWatch API reference, GetMetricData).
	maxQueriesPerCall = 500
	// A ceiling on pages per call, so that a misbehaving endpoint cannot keep a request forever.
	maxPages = 100
	// The separator the Python plugin (cloudwatch/plan.py LABEL_SEPARATOR) puts between a series name and its
	// dimension values in a CloudWatch label; the first part is the series name.
	labelSeparator = "|&|"
	linkTitle      = "View in CloudWatch console"
)

// GetMetricData ids: a lowercase letter first, then letters, digits and underscores (CloudWatch API
// reference, MetricDataQuery.Id).
var validID = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

// metricModel is the query JSON the Grafana CloudWatch query editor saves for a builder-mode metric query;
// only the fields a MetricStat needs are read.
type metricModel struct {
	QueryMode        string               `json:"queryMode"`
	Region           string               `json:"region"`
	Namespace        string               `json:"namespace"`
	MetricName       string               `json:"metricName"`
	Dimensions       map[string]dimValues `json:"dimensions"`
	Statistic        string               `json:"statistic"`
	Period           json.RawMessage      `json:"period"`
	ID               string               `json:"id"`
	Label            string               `json:"label"`
	MatchExact       *bool                `json:"matchExact"`
	MetricQueryType  int                  `json:"metricQueryType"`
	MetricEditorMode int                  `json:"metricEditorMode"`
}

// dimValues accepts both shapes the editor has saved over the years: "value" and ["value", ...].
type dimValues []string

func (d *dimValues) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*d = dimValues{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("a dimension's value must be a string or a list of strings")
	}
	*d = many
	return nil
}

// metricQuery is one parsed query, ready to become a MetricDataQuery.
type metricQuery struct {
	refID      string
	id         string
	region     string
	start, end time.Time // end rounded up to the minute, as sent
	to         time.Time // the panel's end, as shown in the console link
	namespace  string
	metricName string
	dimKeys    []string // sorted, so requests and labels are deterministic
	dims       map[string]string
	statistic  string
	period     int32
	label      string
}

func parseQuery(q backend.DataQuery, defaultRegion string) (metricQuery, error) {
	var m metricModel
	if err := json.Unmarshal(q.JSON, &m); err != nil {
		return metricQuery{}, fmt.Errorf("query JSON is invalid: %w", err)
	}
	if m.QueryMode != "" && m.QueryMode != "Metrics" {
		return metricQuery{}, fmt.Errorf("queryMode %q is not supported by the reference plugin", m.QueryMode)
	}
	if m.MetricQueryType != 0 || m.MetricEditorMode != 0 || (m.MatchExact != nil && !*m.MatchExact) {
		return metricQuery{}, fmt.Errorf("the reference plugin answers builder-mode MetricStat queries only")
	}
	out := metricQuery{
		refID: q.RefID, namespace: m.Namespace, metricName: m.MetricName, statistic: m.Statistic,
		label: m.Label, dims: map[string]string{},
		start: q.TimeRange.From.UTC(), to: q.TimeRange.To.UTC(),
		// EndTime is exclusive: truncate to the minute and add one, so the last partial minute is kept.
		end: q.TimeRange.To.UTC().Truncate(time.Minute).Add(time.Minute),
	}
	if out.namespace == "" || out.metricName == "" || out.statistic == "" {
		return out, fmt.Errorf("namespace, metricName and statistic are required")
	}
	out.region = m.Region
	if out.region == "" || out.region == "default" {
		out.region = defaultRegion
	}
	if out.region == "" {
		return out, fmt.Errorf("region: no default region in the datasource, choose one in the query")
	}
	for key, values := range m.Dimensions {
		if len(values) != 1 || values[0] == "*" {
			return out, fmt.Errorf("dimension %q: the reference plugin needs exactly one value", key)
		}
		out.dimKeys = append(out.dimKeys, key)
		out.dims[key] = values[0]
	}
	sort.Strings(out.dimKeys)
	period, err := parsePeriod(m.Period)
	if err != nil {
		return out, err
	}
	out.period = period
	out.id = m.ID
	if out.id == "" {
		out.id = "query" + q.RefID
	}
	if !validID.MatchString(out.id) {
		return out, fmt.Errorf("id %q is not a valid GetMetricData id", out.id)
	}
	return out, nil
}

// parsePeriod reads "60", 60, "" or "auto"; the last two mean 60 s here (the benchmarks always send 60: the
// Python plugin's auto-period rule is not part of what is measured).
func parsePeriod(raw json.RawMessage) (int32, error) {
	text := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	if text == "" || text == "null" || text == "auto" {
		return 60, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("period %s is not a number of seconds", raw)
	}
	return int32(n), nil
}

func (q metricQuery) metricDataQuery() types.MetricDataQuery {
	dims := make([]types.Dimension, 0, len(q.dimKeys))
	for _, k := range q.dimKeys {
		dims = append(dims, types.Dimension{Name: aws.String(k), Value: aws.String(q.dims[k])})
	}
	mdq := types.MetricDataQuery{
		Id:         aws.String(q.id),
		ReturnData: aws.Bool(true),
		MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(q.namespace), MetricName: aws.String(q.metricName),
				Dimensions: dims},
			Period: aws.Int32(q.period),
			Stat:   aws.String(q.statistic),
		},
	}
	if q.label != "" {
		mdq.Label = aws.String(q.label)
	}
	return mdq
}

// QueryData parses every query, groups them into GetMetricData calls (same region and time range, at most 500
// each), runs the calls concurrently and turns each returned series into one time-series frame.
func (inst *instance) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	type groupKey struct {
		region     string
		start, end int64
	}
	groups := map[groupKey][]metricQuery{}
	var order []groupKey
	for _, dq := range req.Queries {
		q, err := parseQuery(dq, inst.settings.DefaultRegion)
		if err != nil {
			resp.Responses[dq.RefID] = backend.ErrDataResponseWithSource(backend.StatusBadRequest,
				backend.ErrorSourcePlugin, err.Error())
			continue
		}
		k := groupKey{q.region, q.start.UnixMilli(), q.end.UnixMilli()}
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		groups[k] = append(groups[k], q)
	}

	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for _, k := range order {
		qs := groups[k]
		for lo := 0; lo < len(qs); lo += maxQueriesPerCall {
			batch := qs[lo:min(lo+maxQueriesPerCall, len(qs))]
			wg.Go(func() {
				answers := inst.runBatch(ctx, batch)
				mu.Lock()
				defer mu.Unlock()
				for refID, r := range answers {
					resp.Responses[refID] = r
				}
			})
		}
	}
	wg.Wait()
	return resp, nil
}

// series is one MetricDataResult with every page joined.
type series struct {
	label  string
	times  []time.Time
	values []float64
	status types.StatusCode
}

func (inst *instance) runBatch(ctx context.Context, batch []metricQuery) map[string]backend.DataResponse {
	out := make(map[string]backend.DataResponse, len(batch))
	input := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(batch[0].start),
		EndTime:   aws.Time(batch[0].end),
		ScanBy:    types.ScanByTimestampAscending,
	}
	for _, q := range batch {
		input.MetricDataQueries = append(input.MetricDataQueries, q.metricDataQuery())
	}
	results := map[string]*series{}
	pages := cloudwatch.NewGetMetricDataPaginator(inst.client(batch[0].region), input)
	for n := 0; pages.HasMorePages() && n < maxPages; n++ {
		page, err := pages.NextPage(ctx)
		if err != nil {
			for _, q := range batch {
				out[q.refID] = backend.ErrDataResponseWithSource(backend.StatusBadGateway,
					backend.ErrorSourceDownstream, "GetMetricData: "+err.Error())
			}
			return out
		}
		for _, r := range page.MetricDataResults {
			id := aws.ToString(r.Id)
			s := results[id]
			if s == nil {
				s = &series{label: aws.ToString(r.Label)}
				results[id] = s
			}
			s.times = append(s.times, r.Timestamps...)
			s.values = append(s.values, r.Values...)
			s.status = r.StatusCode
		}
	}
	for _, q := range batch {
		r := backend.DataResponse{}
		if s, ok := results[q.id]; ok {
			r.Frames = data.Frames{q.frame(s)}
		}
		out[q.refID] = r
	}
	return out
}

// frame is the dataplane "timeseries-multi" shape (data.FrameTypeTimeSeriesMulti): a Time field and a nullable
// float64 Value field carrying the labels, as the Python plugin builds it (cloudwatch/frames.py).
func (q metricQuery) frame(s *series) *data.Frame {
	name := strings.SplitN(s.label, labelSeparator, 2)[0]
	if q.label != "" && !strings.Contains(q.label, "${") {
		name = q.label
	}
	labels := data.Labels{"Series": name}
	for k, v := range q.dims {
		labels[k] = v
	}
	n := min(len(s.times), len(s.values))
	times := make([]time.Time, n)
	values := make([]*float64, n)
	for i := 0; i < n; i++ {
		times[i] = s.times[i].UTC()
		values[i] = &s.values[i]
	}
	value := data.NewField("Value", labels, values).SetConfig(&data.FieldConfig{
		DisplayNameFromDS: name,
		Links:             []data.DataLink{{Title: linkTitle, TargetBlank: true, URL: q.deepLink()}},
	})
	frame := data.NewFrame(name, data.NewField("Time", nil, times), value)
	frame.RefID = q.refID
	meta := &data.FrameMeta{
		Type:        data.FrameTypeTimeSeriesMulti,
		TypeVersion: data.FrameTypeVersion{0, 1},
		Custom:      map[string]any{"period": q.period, "id": q.id},
	}
	if s.status != types.StatusCodeComplete {
		meta.Notices = []data.Notice{{Severity: data.NoticeSeverityWarning,
			Text: "cloudwatch GetMetricData error: Too many datapoints requested - your search has been limited. " +
				"Please try to reduce the time range"}}
	}
	return frame.SetMeta(meta)
}

// deepLink is the CloudWatch console's metrics graph for the query, in the form the console's deeplink.js
// reads (a JSON graph definition in the fragment), as the Python plugin attaches it to every series.
func (q metricQuery) deepLink() string {
	metric := []any{q.namespace, q.metricName}
	for _, k := range q.dimKeys {
		metric = append(metric, k, q.dims[k])
	}
	options := map[string]any{"stat": q.statistic, "period": q.period}
	if q.label != "" {
		options["label"] = q.label
	}
	graph := map[string]any{
		"view": "timeSeries", "stacked": false, "title": q.refID,
		"start": q.start.Format(time.RFC3339), "end": q.to.Format(time.RFC3339),
		"region": q.region, "metrics": []any{append(metric, options)},
	}
	encoded, _ := json.Marshal(graph) // maps of strings, numbers and lists: cannot fail
	host := "console.aws.amazon.com"
	switch {
	case strings.HasPrefix(q.region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(q.region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	}
	return fmt.Sprintf("https://%s.%s/cloudwatch/deeplink.js?region=%s#metricsV2:graph=%s", q.region, host,
		q.region, url.PathEscape(string(encoded)))
}
