# The project's commands. Each target does its own set-up (scripts/setup.sh) on a fresh machine.
PY := .venv/bin/python
ID := pyaws-cloudwatch-datasource
PROTOS := proto/backend.proto proto/grpc_controller.proto proto/grpc_stdio.proto
# The machine's Go toolchain (the launcher's and the test host's go.mod need Go >= 1.26, newer than Debian's).
export PATH := /usr/local/go/bin:$(PATH)

.PHONY: setup setup-system run test test-fast test-frontend dist package sign frontend proto bench lint audit clean

setup:
	@scripts/setup.sh

setup-system:
	@scripts/setup.sh --system

## run: the demo — local AWS emulator, plugin launched through the real handshake, CheckHealth + queries
run: setup
	$(PY) -m cloudwatch_datasource demo

## test: everything CI runs: the Python suites (incl. the go-plugin host test, and ruff + mypy strict in
## tests/reliability/test_static.py), then the frontend's component and browser tests
test: setup-system dist package
	$(PY) -m pytest
	$(MAKE) --no-print-directory test-frontend

## test-fast: the unit tier, in seconds: every test that starts no process (no plugin, moto, Go host, dist build,
## ruff/mypy, npm). Tests that start one are marked `processes`; tests/support/tiers.py fails any that is not.
test-fast: setup
	$(PY) -m pytest -m "not processes" -q

test-frontend:
	cd frontend && npm test && npm run test:browser

## dist: the folder grafana-server loads, in dist/$(ID), for linux/amd64 and linux/arm64 (scripts/build_dist.py)
dist: setup-system frontend
	$(PY) scripts/build_dist.py

## package: one zip per architecture in dist/ (<id>-<version>.linux_<arch>.zip + .zip.sha1), from the dist folder,
## and its SBOM (<id>-<version>.linux_<arch>.cdx.json, CycloneDX: scripts/sbom.py)
package: dist
	$(PY) scripts/package.py

## sign: the zips again, each signed from its final files (scripts/sign.py, @grafana/sign-plugin, grafana.com);
## needs GRAFANA_ACCESS_POLICY_TOKEN in the environment and ROOT_URLS=https://grafana.example.com/ (private)
sign:
	@[ -n "$$GRAFANA_ACCESS_POLICY_TOKEN" ] || { echo "make sign: GRAFANA_ACCESS_POLICY_TOKEN is not set (docs/releases.md, Signing)" >&2; exit 1; }
	$(MAKE) --no-print-directory package
	$(PY) scripts/sign.py --root-urls "$(ROOT_URLS)"

frontend:
	cd frontend && ( [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund ) && npm run build

## proto: regenerate the Python stubs from proto/ (a test fails when they are stale)
proto: setup
	$(PY) -m grpc_tools.protoc -Icloudwatch_datasource/protocol/pb=proto --python_out=src --grpc_python_out=src \
		--pyi_out=src $(PROTOS)

## bench: speed, cost and scale figures (ratios against baselines measured in the same run); section 9 builds the Go
## reference plugin (bench/reference, `go build` into build/; needs Go and the module proxy) and compares against it
bench: setup dist package
	$(PY) bench/run.py

lint: setup
	.venv/bin/ruff check src tests $(wildcard bench)
	.venv/bin/mypy

## audit: known vulnerabilities of the runtime Python dependencies (scripts/audit_deps.py, PyPI's JSON API; see
## its docstring for why not pip-audit alone) and of the frontend's (npm audit). Needs the network; not in CI.
audit: setup
	$(PY) scripts/audit_deps.py
	cd frontend && npm audit --omit=dev

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache frontend/dist
