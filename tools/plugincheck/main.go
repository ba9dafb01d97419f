// Command plugincheck runs Grafana's plugin validator (github.com/grafana/plugin-validator, Apache-2.0, vendored
// unmodified in third_party/plugin-validator at release v0.45.6) on a plugin zip with no network.
//
// It does what the validator's own command (pkg/cmd/plugincheck2/main.go) does — read the archive, extract it with
// pkg/archivetool, run pkg/runner.Check, print pkg/analysis/output's JSON — with two differences:
//   - the analyzer list is the validator's (pkg/analysis/passes/analysis.go) minus those that need the network,
//     a source-code checkout or a Grafana.com account (listed in Offline below, with the reason);
//     pkg/runner.Check stops at the first analyzer whose Run returns an error, so they cannot just be disabled;
//   - the metadataschema analyzer reads the plugin.json schema the validator ships (config/plugin.schema.json)
//     instead of downloading it from raw.githubusercontent.com.
//
// The plain plugincheck2 cannot be built here: its passes package imports the osvscanner analyzer, whose
// osv-scalibr dependency needs modules the Go module proxy does not serve to this workplace.
package main

import (
	"bytes"
	"crypto/md5"  //nolint:gosec // the validator's checksum analyzer compares MD5 or SHA1
	"crypto/sha1" //nolint:gosec
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/grafana/plugin-validator/pkg/analysis"
	"github.com/grafana/plugin-validator/pkg/analysis/output"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/archive"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/archivename"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/backendbinary"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/backenddebug"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/binarypermissions"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/changelog"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/checksum"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/discoverability"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/grafanadependency"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/includesnested"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/jargon"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/license"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/logos"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/metadata"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/metadatapaths"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/metadataschema"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/metadatavalid"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/modulejs"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/nestedmetadata"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/readme"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/restrictivedep"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/screenshots"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/sponsorshiplink"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/templatereadme"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/trackingscripts"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/typesuffix"
	"github.com/grafana/plugin-validator/pkg/analysis/passes/unsafesvg"
	"github.com/grafana/plugin-validator/pkg/archivetool"
	"github.com/grafana/plugin-validator/pkg/runner"
)

// Analyzers that run here, in the order of the validator's own list.
var Analyzers = []*analysis.Analyzer{
	archive.Analyzer,
	archivename.Analyzer,
	backendbinary.Analyzer,
	backenddebug.Analyzer,
	binarypermissions.Analyzer,
	changelog.Analyzer,
	sponsorshiplink.Analyzer,
	checksum.Analyzer,
	discoverability.Analyzer,
	includesnested.Analyzer,
	jargon.Analyzer,
	license.Analyzer,
	logos.Analyzer,
	metadata.Analyzer,
	metadatapaths.Analyzer,
	metadatavalid.Analyzer,
	modulejs.Analyzer,
	nestedmetadata.Analyzer,
	readme.Analyzer,
	restrictivedep.Analyzer,
	screenshots.Analyzer,
	templatereadme.Analyzer,
	trackingscripts.Analyzer,
	typesuffix.Analyzer,
	unsafesvg.Analyzer,
	grafanadependency.Analyzer,
}

// Offline: the validator's analyzers that do not run here, and why. Printed with -list; docs/design.md has the
// same table.
var Offline = map[string]string{
	"brokenlinks":          "fetches every link in README.md and plugin.json (network)",
	"buildtools":           "needs the plugin's source code (-sourceCodeUri) and its package manager",
	"circulardependencies": "asks the grafana.com API for each dependency's versions (network)",
	"codediff":             "compares with the previous release's source and asks an LLM API (network, source)",
	"coderules":            "runs semgrep on the source code (source, external tool)",
	"gomanifest":           "compares go_plugin_build_manifest with Go sources (source; a Go SDK plugin's file)",
	"gosec":                "runs gosec on the Go source code (source, external tool)",
	"govulncheck":          "runs govulncheck on the Go source code, vulnerability database online (source, network)",
	"jssourcemap":          "compares module.js.map with the source code (source)",
	"legacybuilder":        "needs package.json from the source and the grafana.com published state (source, network)",
	"legacyplatform":       "detects Angular; needs the published analyzer, which asks grafana.com (network)",
	"llmreview":            "sends the source to an LLM API (network, source, API key)",
	"manifest":             "checks the signed MANIFEST.txt that only signing writes; needs the published analyzer (signature, network)",
	"org":                  "asks the grafana.com API whether the id's organisation slug exists (network)",
	"osvscanner":           "queries the OSV vulnerability database for the source's lockfiles (network, source)",
	"packagejson":          "reads package.json from the source code (source)",
	"plugindocs":           "builds the docs from the source code (source)",
	"pluginname":           "id naming rules; needs the published analyzer, which asks grafana.com (network)",
	"provenance":           "asks the GitHub attestations API about the archive (network)",
	"published":            "asks grafana.com whether the plugin is published (network)",
	"reactcompat":          "runs npx @grafana/react-detect, fetched from npm at run time (network)",
	"safelinks":            "asks Google's Web Risk API about each link in plugin.json (network)",
	"sdkusage":             "reads the Go SDK version from the source's go.mod (source)",
	"signature":            "checks the plugin signature against grafana.com (signature, network)",
	"sourcecode":           "compares the archive with a source checkout (-sourceCodeUri); the source analyzers expect create-plugin's layout (package.json at the root, a Go backend)",
	"version":              "compares with the latest version published on grafana.com (network)",
	"virusscan":            "runs clamscan, an external scanner with an online signature database",
}

func main() {
	schema := flag.String("schema", "", "plugin.json JSON schema (third_party/plugin-validator/config/plugin.schema.json)")
	configPath := flag.String("config", "", "validator configuration file (see third_party/plugin-validator/config)")
	sum := flag.String("checksum", "", "MD5 or SHA1 of the archive, or a file holding it (as in a .zip.sha1)")
	list := flag.Bool("list", false, "print the analyzers that run and those that do not, then exit")
	flag.Parse()

	if *list {
		for _, a := range Analyzers {
			fmt.Printf("run\t%s\n", a.Name)
		}
		for name, why := range Offline {
			fmt.Printf("skip\t%s\t%s\n", name, why)
		}
		return
	}
	if flag.NArg() != 1 || *schema == "" {
		fmt.Fprintln(os.Stderr, "usage: plugincheck -schema plugin.schema.json [-config c.yaml] [-checksum SUM|FILE] plugin.zip")
		os.Exit(2)
	}
	schemaBytes, err := os.ReadFile(*schema)
	if err != nil {
		fail("reading the schema: %v", err)
	}
	metadataschema.Analyzer.Run = func(*analysis.Pass) (interface{}, error) { return schemaBytes, nil }

	cfg := runner.Config{Global: runner.GlobalConfig{Enabled: true}}
	if *configPath != "" {
		cfg = readConfig(*configPath)
	}
	if s, err := os.ReadFile(*sum); *sum != "" && err == nil {
		*sum = strings.TrimSpace(string(s))
	}

	zipBytes, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fail("reading the archive: %v", err)
	}
	archiveDir, cleanup, err := archivetool.ExtractPlugin(bytes.NewReader(zipBytes))
	if err != nil {
		fail("extracting the archive: %v", err)
	}
	defer cleanup()

	diags, err := runner.Check(Analyzers, analysis.CheckParams{
		ArchiveFile:           flag.Arg(0),
		ArchiveDir:            archiveDir,
		Checksum:              *sum,
		ArchiveCalculatedMD5:  fmt.Sprintf("%x", md5.Sum(zipBytes)),  //nolint:gosec
		ArchiveCalculatedSHA1: fmt.Sprintf("%x", sha1.Sum(zipBytes)), //nolint:gosec
	}, cfg, "")
	if err != nil {
		// Unlike plugincheck2 (which logs it at debug level), an analyzer error is a failure here: the
		// analyzers after it did not run.
		fail("an analyzer failed, the ones after it did not run: %v", err)
	}
	id, version := idAndVersion(archiveDir)
	out, err := output.NewJSONMarshaler(id, version).Marshal(diags)
	if err != nil {
		fail("encoding the result: %v", err)
	}
	fmt.Println(string(out))
	cleanup()
	os.Exit(output.ExitCode(false, diags))
}

func readConfig(path string) runner.Config {
	var cfg runner.Config
	b, err := os.ReadFile(path)
	if err == nil {
		err = yamlUnmarshal(b, &cfg)
	}
	if err != nil {
		fail("reading the configuration: %v", err)
	}
	return cfg
}

// idAndVersion reads id and info.version from the archive's plugin.json (its one top-level folder).
func idAndVersion(archiveDir string) (string, string) {
	matches, _ := filepath.Glob(filepath.Join(archiveDir, "*", "plugin.json"))
	if len(matches) != 1 {
		return "", ""
	}
	var meta struct {
		ID   string `json:"id"`
		Info struct {
			Version string `json:"version"`
		} `json:"info"`
	}
	if b, err := os.ReadFile(matches[0]); err == nil {
		_ = json.Unmarshal(b, &meta)
	}
	return meta.ID, meta.Info.Version
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "plugincheck: "+format+"\n", args...)
	os.Exit(2)
}
