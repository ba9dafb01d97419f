package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
)

// poolSize matches the Python plugin's connection pool per AWS client (policy.py grpc_workers = 96, used as
// botocore's max_pool_connections), so that neither plugin pays for new connections the other one keeps.
// aws-sdk-go-v2's default transport keeps only 10 idle connections per host (aws/transport/http).
const poolSize = 96

// settings holds the datasource fields the benchmarks set; the JSON names are those of Grafana's CloudWatch
// datasource (jsonData.authType, defaultRegion, endpoint; secureJsonData.accessKey, secretKey).
type settings struct {
	AuthType      string `json:"authType"`
	DefaultRegion string `json:"defaultRegion"`
	Endpoint      string `json:"endpoint"`
	accessKey     string
	secretKey     string
}

func parseSettings(s backend.DataSourceInstanceSettings) (settings, error) {
	var out settings
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &out); err != nil {
			return out, fmt.Errorf("jsonData is not valid JSON: %w", err)
		}
	}
	if out.AuthType != "keys" {
		return out, fmt.Errorf("authType %q: the reference plugin supports only keys", out.AuthType)
	}
	out.accessKey = s.DecryptedSecureJSONData["accessKey"]
	out.secretKey = s.DecryptedSecureJSONData["secretKey"]
	if out.accessKey == "" || out.secretKey == "" {
		return out, fmt.Errorf("authType keys needs secureJsonData accessKey and secretKey")
	}
	return out, nil
}

// instance is one datasource: its settings and one CloudWatch client per region, created on first use and
// shared by every request (the clients are safe for concurrent use, see service/cloudwatch.Client).
type instance struct {
	settings  settings
	transport *http.Transport
	http      *http.Client

	mu      sync.Mutex
	clients map[string]*cloudwatch.Client
}

var (
	_ backend.QueryDataHandler      = (*instance)(nil)
	_ backend.CheckHealthHandler    = (*instance)(nil)
	_ instancemgmt.InstanceDisposer = (*instance)(nil)
)

func newInstance(_ context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	parsed, err := parseSettings(s)
	if err != nil {
		return nil, err
	}
	// The SDK's default transport (its dial and TLS timeouts) with a larger idle pool; one transport
	// for all the datasource's regional clients, so Dispose can close its connections.
	transport := awshttp.NewBuildableClient().GetTransport()
	transport.MaxIdleConns = poolSize
	transport.MaxIdleConnsPerHost = poolSize
	return &instance{settings: parsed, transport: transport, http: &http.Client{Transport: transport},
		clients: map[string]*cloudwatch.Client{}}, nil
}

// Dispose is called by the instance manager when the settings changed and a new instance replaced this one.
func (inst *instance) Dispose() {
	inst.transport.CloseIdleConnections()
}

func (inst *instance) client(region string) *cloudwatch.Client {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if c, ok := inst.clients[region]; ok {
		return c
	}
	opts := cloudwatch.Options{
		Region: region,
		// A static provider; the client wraps it in aws.CredentialsCache itself.
		Credentials: credentials.NewStaticCredentialsProvider(inst.settings.accessKey, inst.settings.secretKey, ""),
		HTTPClient:  inst.http,
		// The same retry policy as the Python plugin's botocore clients: standard mode, 3 attempts in all.
		RetryMode:        aws.RetryModeStandard,
		RetryMaxAttempts: 3,
	}
	if inst.settings.Endpoint != "" {
		opts.BaseEndpoint = aws.String(inst.settings.Endpoint)
	}
	c := cloudwatch.New(opts)
	inst.clients[region] = c
	return c
}

// CheckHealth lists one page of metrics in the default region: proof that the endpoint and the keys work.
func (inst *instance) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	region := inst.settings.DefaultRegion
	if region == "" {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: "no default region"}, nil
	}
	if _, err := inst.client(region).ListMetrics(ctx, &cloudwatch.ListMetricsInput{}); err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}, nil
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: "CloudWatch: OK"}, nil
}
