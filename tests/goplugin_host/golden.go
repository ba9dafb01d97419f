package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The reference frames of tests/test_golden_frames.py, built with the SDK (data.NewFrame … MarshalArrow) the
// way a Go datasource would build them. The test builds the same frames with our encoder
// (src/cloudwatch_datasource/protocol/arrow.py) and compares the SDK's decode of both. Keep the two in step.

var t0 = time.Unix(1_700_000_000, 0).UTC()

func minutes(n ...int) []time.Time {
	out := make([]time.Time, len(n))
	for i, m := range n {
		out[i] = t0.Add(time.Duration(m) * time.Minute)
	}
	return out
}

func floats(v ...float64) []*float64 {
	out := make([]*float64, len(v))
	for i := range v {
		if !math.IsInf(v[i], -1) { // -Inf stands for null in these tables
			out[i] = &v[i]
		}
	}
	return out
}

func timeseriesMeta(t data.FrameType) *data.FrameMeta {
	return &data.FrameMeta{Type: t, TypeVersion: data.FrameTypeVersion{0, 1}}
}

func goldenFrames() map[string]*data.Frame {
	null := math.Inf(-1)
	frames := map[string]*data.Frame{}

	labelled := data.NewFrame("CPUUtilization i-1",
		data.NewField("Time", nil, minutes(0, 1, 2)),
		data.NewField("Value", data.Labels{"InstanceId": "i-1", "Series": "CPUUtilization"}, floats(1.5, 2.5, 3.5)).
			SetConfig(&data.FieldConfig{DisplayNameFromDS: "CPUUtilization i-1", Unit: "percent"}))
	labelled.RefID = "A"
	labelled.Meta = timeseriesMeta(data.FrameTypeTimeSeriesMulti)
	labelled.Meta.ExecutedQueryString = `SEARCH('{AWS/EC2,InstanceId} MetricName="CPUUtilization"', 'Average', 60)`
	labelled.Meta.Custom = map[string]any{"period": 60, "id": "q1"}
	frames["labelled_timeseries"] = labelled

	nullable := data.NewFrame("nullable",
		data.NewField("Time", nil, minutes(0, 1, 2, 3)),
		data.NewField("Value", data.Labels{"Series": "nullable"}, floats(1.5, null, math.NaN(), 4)))
	nullable.RefID = "B"
	nullable.Meta = timeseriesMeta(data.FrameTypeTimeSeriesMulti)
	frames["nullable_values"] = nullable

	empty := data.NewFrame("empty",
		data.NewField("Time", nil, []time.Time{}),
		data.NewField("Value", data.Labels{"Series": "empty"}, []*float64{}))
	empty.RefID = "C"
	empty.Meta = timeseriesMeta(data.FrameTypeTimeSeriesMulti)
	frames["empty"] = empty

	// The plugin's no-data answer when AWS said why: no fields, the reason as a notice.
	noFields := data.NewFrame("D")
	noFields.RefID = "D"
	noFields.Meta = timeseriesMeta(data.FrameTypeTimeSeriesMulti)
	noFields.Meta.Notices = []data.Notice{{Severity: data.NoticeSeverityWarning, Text: "cloudwatch: too many datapoints"}}
	frames["no_fields_with_notice"] = noFields

	notices := data.NewFrame("notices",
		data.NewField("Time", nil, minutes(0)),
		data.NewField("Value", data.Labels{"Series": "notices"}, floats(1)))
	notices.RefID = "E"
	notices.Meta = timeseriesMeta(data.FrameTypeTimeSeriesMulti)
	notices.Meta.Notices = []data.Notice{
		{Severity: data.NoticeSeverityWarning, Text: "partial data"},
		{Severity: data.NoticeSeverityInfo, Text: "see the docs", Link: "https://docs.aws.amazon.com/AmazonCloudWatch/"},
		{Severity: data.NoticeSeverityError, Text: "one series failed"},
	}
	frames["notices"] = notices

	links := data.NewFrame("Latency api",
		data.NewField("Time", nil, minutes(0, 1)),
		data.NewField("Value", data.Labels{"Series": "Latency", "Service": "api"}, floats(2, 10)).
			SetConfig(&data.FieldConfig{DisplayNameFromDS: "Latency api", Links: []data.DataLink{{
				Title: "View in CloudWatch console", TargetBlank: true,
				URL: "https://us-east-1.console.aws.amazon.com/cloudwatch/deeplink.js?region=us-east-1#metricsV2:graph=~(view~'timeSeries)",
			}}}))
	links.RefID = "F"
	links.Meta = timeseriesMeta(data.FrameTypeTimeSeriesMulti)
	frames["deep_links"] = links

	wide := data.NewFrame("wide",
		data.NewField("Time", nil, minutes(0, 1, 2)),
		data.NewField("Value", data.Labels{"Service": "api"}, floats(1, 2, 3)),
		data.NewField("Value", data.Labels{"Service": "web"}, floats(4, null, 6)),
		data.NewField("Value", data.Labels{"Service": "db"}, floats(7, 8, 9)))
	wide.RefID = "G"
	wide.Meta = timeseriesMeta(data.FrameTypeTimeSeriesWide)
	frames["wide"] = wide

	long := data.NewFrame("long",
		data.NewField("Time", nil, minutes(0, 0, 1, 1)),
		data.NewField("Service", nil, []string{"api", "web", "api", "web"}),
		data.NewField("Value", nil, floats(1, 4, 2, 5)))
	long.RefID = "H"
	long.Meta = timeseriesMeta(data.FrameTypeTimeSeriesLong)
	frames["long"] = long
	return frames
}

type goldenCase struct {
	// Frame is the SDK's decode of the SDK's own Arrow bytes, in the SDK's JSON (what the browser gets).
	Frame  json.RawMessage `json:"frame"`
	Schema []arrowField    `json:"schema"`
}

func printGoldenFrames(w io.Writer) error {
	out := map[string]goldenCase{}
	for name, frame := range goldenFrames() {
		raw, err := frame.MarshalArrow()
		if err != nil {
			return fmt.Errorf("%s: MarshalArrow: %w", name, err)
		}
		decoded, err := data.UnmarshalArrowFrame(raw)
		if err != nil {
			return fmt.Errorf("%s: UnmarshalArrowFrame: %w", name, err)
		}
		encoded, err := json.Marshal(decoded)
		if err != nil {
			return err
		}
		schema, err := arrowSchema(raw)
		if err != nil {
			return err
		}
		out[name] = goldenCase{Frame: encoded, Schema: schema}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
