package main

import (
	"fmt"

	"github.com/grafana/dataplane/sdata/numeric"
	"github.com/grafana/dataplane/sdata/reader"
	"github.com/grafana/dataplane/sdata/timeseries"
	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// readerReport is what the dataplane readers (github.com/grafana/dataplane/sdata: reader, timeseries, numeric)
// make of one response's frames. Grafana's alerting and server-side expressions read a datasource's frames with
// them: a time-series response that fails here cannot drive an alert rule.
type readerReport struct {
	// Kind is the frame type reader.CanReadBasedOnMeta finds (e.g. "timeseries-multi"); KindError why it
	// cannot read the frames, KindWarning a version it reads with a warning.
	Kind        string `json:"kind"`
	KindError   string `json:"kindError,omitempty"`
	KindWarning string `json:"kindWarning,omitempty"`
	// Reader is the package that read the collection ("timeseries" or "numeric").
	Reader string `json:"reader,omitempty"`
	// Error is GetCollection's (with data validation: sorted times, no duplicate metrics).
	Error   string         `json:"error,omitempty"`
	Warning string         `json:"warning,omitempty"`
	NoData  bool           `json:"noData"`
	Series  []seriesReport `json:"series"`
	// Remainder lists the fields the reader ignored, with its reason.
	Remainder []string `json:"remainder"`
	// DistinctLabelSets: no two series share a label set (alerting keys its instances by labels).
	DistinctLabelSets bool `json:"distinctLabelSets"`
}

type seriesReport struct {
	Name   string            `json:"name"`
	Labels map[string]string `json:"labels"`
	Points int               `json:"points"`
}

func readFrames(frames data.Frames) readerReport {
	report := readerReport{Series: []seriesReport{}, Remainder: []string{}}
	kind, err := reader.CanReadBasedOnMeta(frames)
	report.Kind = string(kind)
	if err != nil {
		if kind == data.FrameTypeUnknown || kind == "" {
			report.KindError = err.Error()
			return report
		}
		report.KindWarning = err.Error()
	}
	var refs []struct {
		name   string
		labels data.Labels
		points int
	}
	switch {
	case kind.IsTimeSeries():
		report.Reader = "timeseries"
		r, err := timeseries.CollectionReaderFromFrames(frames)
		if err != nil {
			report.Error = err.Error()
			return report
		}
		c, err := r.GetCollection(true)
		if err != nil {
			report.Error = err.Error()
			return report
		}
		report.NoData = c.NoData()
		if c.Warning != nil {
			report.Warning = c.Warning.Error()
		}
		for _, idx := range c.RemainderIndices {
			report.Remainder = append(report.Remainder, fmt.Sprintf("frame %d field %d: %s", idx.FrameIdx, idx.FieldIdx, idx.Reason))
		}
		for _, ref := range c.Refs {
			n, _ := ref.Len()
			refs = append(refs, struct {
				name   string
				labels data.Labels
				points int
			}{ref.GetMetricName(), ref.GetLabels(), n})
		}
	case kind.IsNumeric():
		report.Reader = "numeric"
		r, err := numeric.CollectionReaderFromFrames(frames)
		if err != nil {
			report.Error = err.Error()
			return report
		}
		c, err := r.GetCollection(true)
		if err != nil {
			report.Error = err.Error()
			return report
		}
		report.NoData = c.NoData()
		if c.Warning != nil {
			report.Warning = c.Warning.Error()
		}
		for _, ref := range c.Refs {
			refs = append(refs, struct {
				name   string
				labels data.Labels
				points int
			}{ref.GetMetricName(), ref.GetLabels(), 1})
		}
	default:
		report.Error = fmt.Sprintf("no dataplane reader for frame type %q", kind)
		return report
	}
	seen := map[string]bool{}
	report.DistinctLabelSets = true
	for _, ref := range refs {
		key := ref.labels.String()
		if seen[key] {
			report.DistinctLabelSets = false
		}
		seen[key] = true
		labels := map[string]string{}
		for k, v := range ref.labels {
			labels[k] = v
		}
		report.Series = append(report.Series, seriesReport{Name: ref.name, Labels: labels, Points: ref.points})
	}
	return report
}
