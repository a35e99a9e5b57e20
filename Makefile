# Transfer Hub. The two commands a newcomer needs:
#   make run    install what is needed, build and start the desktop app
#   make test   install what is needed, start the local test services, run every test
#               and linter, stop the services; non-zero on any failure
# Everything else here is a building block of those two.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/.bin:$(PATH)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X transferhub/cloud/version.Version=$(VERSION)

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# --- installs -------------------------------------------------------------------------
.PHONY: deps deps-system deps-go deps-frontend tools
deps: ## install everything (system packages, Go modules, npm packages, tools), side by side where possible
	build/scripts/deps.sh all
deps-system: ## apt packages: GTK/WebKit, Xvfb, Chromium, keyring, registry, peers
	build/scripts/deps.sh system
deps-go: ## Go modules
	go mod download
deps-frontend: ## npm packages (lock files)
	build/scripts/deps.sh frontend
tools: ## build tools into .bin (wails CLI, staticcheck, versitygw, ...)
	build/scripts/deps.sh tools

# --- build ----------------------------------------------------------------------------
.PHONY: build build-thub agents build-desktop build-windows build-frontend bindings bindings-check
build: build-thub build-desktop ## desktop binary (linux) + thub agent/CLI (linux amd64, arm64)
build-thub: ## static thub for linux amd64 and arm64 into build/bin
	@mkdir -p build/bin
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$(LDFLAGS)" -o build/bin/thub-linux-amd64 ./cloud/cmd/thub
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -ldflags "$(LDFLAGS)" -o build/bin/thub-linux-arm64 ./cloud/cmd/thub
	cp build/bin/thub-linux-$$(go env GOARCH) build/bin/thub
agents: build-thub ## the linux agents into build/agents, which the desktop app embeds (it deploys them)
	@mkdir -p build/agents
	cp build/bin/thub-linux-amd64 build/bin/thub-linux-arm64 build/agents/
build-frontend: ## frontend/dist (tsc + vite build)
	cd frontend && npm run build
build-desktop: agents build-frontend ## linux desktop binary build/bin/transfer-hub (webkit2gtk 4.1), the agents embedded
	CGO_ENABLED=1 go build -tags desktop,production,webkit2_41 -ldflags "$(LDFLAGS)" -o build/bin/transfer-hub .
build-windows: agents build-frontend .bin/wails ## cross-build build/bin/transfer-hub.exe (the Wails CLI embeds icon, manifest, version info; the agents too)
	.bin/wails build -platform windows/amd64 -s -m -skipbindings -o transfer-hub.exe -ldflags "$(LDFLAGS)"
.bin/wails: tools/go.mod tools/go.sum
	go build -modfile=tools/go.mod -o .bin/wails github.com/wailsapp/wails/v2/cmd/wails
bindings: ## regenerate frontend/wailsjs
	build/scripts/bindings.sh generate
bindings-check: ## fail when the committed frontend/wailsjs bindings are stale
	build/scripts/bindings.sh check

# --- run ------------------------------------------------------------------------------
.PHONY: run dev
run: deps build-desktop ## install, build and start the desktop app
	./build/bin/transfer-hub
dev: .bin/wails ## wails dev (hot reload; -m: never go mod tidy)
	.bin/wails dev -tags webkit2_41 -m

# --- tests ----------------------------------------------------------------------------
.PHONY: test test-go test-cloud test-frontend test-e2e test-desktop smoke-aws lint testenv-up testenv-down testenv-status
test: deps ## everything: services up, Go + frontend + e2e + desktop tests, linters, services down
	build/scripts/test.sh
testenv-up: ## start the local test services (S3 gateways, AWS emulator, registries) -> .testenv/env
	build/scripts/testenv.sh up
testenv-down: ## stop them
	build/scripts/testenv.sh down
testenv-status: ## show the local test services
	build/scripts/testenv.sh status
test-go: ## Go tests (uses .testenv/env; run under the keychain wrapper by test.sh)
	build/scripts/test.sh go
test-cloud: ## the deployed stacks run: the compute harness's tests (also in make test)
	build/scripts/test.sh go ./cloud/deploy/harness/...
smoke-aws: build-thub ## manual, never in CI: deploy, run and delete a tiny task in a real AWS account (AWS_PROFILE, AWS_REGION; SMOKE_FLAGS=-keep)
	go run ./cloud/deploy/smoke/cmd/smoke-aws -agents build/bin $(SMOKE_FLAGS)
test-frontend: ## Vitest unit tests
	cd frontend && npm test
test-e2e: ## Playwright in Chromium against wails dev under Xvfb
	build/scripts/e2e.sh
test-desktop: build-desktop ## production binary under Xvfb, screenshot must show the window
	build/scripts/desktop-smoke.sh
lint: ## gofmt, go vet, staticcheck, tsc, eslint, bindings check
	build/scripts/lint.sh

# --- benchmarks -----------------------------------------------------------------------
.PHONY: bench
bench: deps build-thub ## compare with rclone, aws CLI, skopeo, regctl on the same data; figures to bench/results/
	build/scripts/bench.sh

# --- fuzzing and faults (outside `make test`) --------------------------------------------
FUZZTIME ?= 30s
FUZZ_TARGETS := cloud/s3sync:FuzzJobMessage cloud/s3sync:FuzzJobKey cloud/s3sync:FuzzPartMessage \
	cloud/s3sync:FuzzParseEvents cloud/s3sync:FuzzSequencers cloud/objstore:FuzzCopySource \
	cloud/objstore:FuzzLocalPath cloud/objstore:FuzzFastList cloud/image:FuzzParseSource cloud/image:FuzzParseDestination
.PHONY: fuzz
fuzz: ## go test -fuzz for FUZZTIME (30s) each: job messages, S3 events, key encoding, image references, listings
	@set -e; for t in $(FUZZ_TARGETS); do echo "== $$t"; go test ./$${t%%:*} -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME); done
.PHONY: chaos
chaos: ## the fault suite at full size (3,000 objects; kill -9, gateway restarts, faulty proxies); figures to artifacts/fault-suite/
	build/scripts/chaos.sh
