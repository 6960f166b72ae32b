# onair — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO       ?= go
# .ci/buildinfo.sh decides the version stamp for every build.
VERSION  ?= $(shell . ./.ci/buildinfo.sh && echo "$$VERSION")
COMMIT   ?= $(shell . ./.ci/buildinfo.sh && echo "$$COMMIT")
DATE     ?= $(shell . ./.ci/buildinfo.sh && echo "$$DATE")
export VERSION COMMIT DATE
LDFLAGS  := $(shell VERSION='$(VERSION)' COMMIT='$(COMMIT)' DATE='$(DATE)' ./.ci/buildinfo.sh --ldflags)
BIN      := bin/onair

.PHONY: help
help: ## show this help
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## install the C toolchain pieces a fresh Debian/Ubuntu machine needs (cgo for USB)
	@command -v gcc >/dev/null || { echo "installing gcc (cgo, for USB lights)"; sudo apt-get update && sudo apt-get install -y gcc; }

.PHONY: build
build: ## build bin/onair (with USB support when cgo is available)
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/onair

.PHONY: run
run: ## build, then run the daemon in demo mode: no account, no hardware needed
	@echo "building $(BIN) (the first build also compiles the USB library, libusb, in C:"
	@echo "  measured 313 s on a busy shared 2-core machine, 113 s of CPU; later builds take seconds)"
	@$(MAKE) --no-print-directory build
	$(BIN) run --demo

.PHONY: test
test: ## run every test (race detector on; skips that need tools say so), then the cgo-free build's tests
	@race=0; nocgo=0; \
	$(GO) test -race -count=1 ./... || race=$$?; \
	CGO_ENABLED=0 $(GO) test -count=1 ./mapping/... ./devices/... ./daemon/... || nocgo=$$?; \
	echo "test: race pass $$([ $$race = 0 ] && echo ok || echo FAILED), CGO_ENABLED=0 pass $$([ $$nocgo = 0 ] && echo ok || echo FAILED)"; \
	[ $$race = 0 ] && [ $$nocgo = 0 ]

.PHONY: race
race: ## go test -race ./...
	$(GO) test -race ./...

# The idle window of `make bench` (onair-bench idle -duration; its own
# default is 5m), the user counts of the scale rows, and the soak's length.
BENCH_IDLE ?= 60s
BENCH_N    ?= 1,1000,10000
SOAK       ?= 10m

.PHONY: bench
bench: build ## benchmarks, then idle cost vs a minimal poller and N = 1/1,000/10,000 users with MQTT (BENCH_IDLE=60s BENCH_N=…; needs mosquitto)
	$(GO) test -run '^$$' -bench . -benchmem ./mapping/ ./daemon/... ./devices/...
	ONAIR=$(BIN) BENCH_IDLE=$(BENCH_IDLE) ./.ci/idle-bench.sh
	bin/onair-bench scale -onair $(BIN) -n $(BENCH_N)

.PHONY: soak
soak: build ## 1,000 users at 2 s with MQTT for SOAK=10m; fails if RSS, fds, threads or CPU per poll grow beyond noise
	$(GO) build -trimpath -ldflags '-s -w' -o bin/onair-bench ./cmd/onair-bench
	bin/onair-bench soak -onair $(BIN) -duration $(SOAK)

.PHONY: lint
lint: ## go vet + gofmt check (+ staticcheck when installed)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@if command -v staticcheck >/dev/null; then staticcheck ./...; \
	elif [ "$$ONAIR_REQUIRE_TOOLS" = 1 ]; then echo "staticcheck not installed (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2)"; exit 1; \
	else echo "staticcheck not installed; skipped (go install honnef.co/go/tools/cmd/staticcheck@v0.8.2)"; fi

.PHONY: fmt-check
fmt-check: ## fail if gofmt would change a file
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

.PHONY: tidy-check
tidy-check: ## fail if go.mod/go.sum are not tidy
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

.PHONY: golden
golden: ## regenerate golden files
	UPDATE_GOLDEN=1 $(GO) test ./...

.PHONY: fuzz
fuzz: ## run each fuzz target for a short while
	$(GO) test -run '^$$' -fuzz FuzzParseColor -fuzztime 20s ./mapping/
	$(GO) test -run '^$$' -fuzz FuzzParseConfig -fuzztime 20s ./daemon/

.PHONY: test-windows
test-windows: ## Windows tests, CLI suite and MSI under Wine (skips without wine; see .ci/windows/run-tests.sh)
	./.ci/windows/run-tests.sh

.PHONY: e2e
e2e: ## end-to-end USB tests: emulated lights over USB/IP in a QEMU guest
	./.ci/e2e.sh

.PHONY: darwin-check
darwin-check: ## compile the macOS-only cgo code (IOKit hot-plug watcher) for darwin here, against declarations of the SDK (needs clang)
	GO=$(GO) ./.ci/darwin-cgo-check.sh

.PHONY: cross
cross: ## build for linux/amd64, linux/arm64, linux/arm (ARMv6), windows/amd64 (cgo) and darwin (no cgo)
	VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) ./.ci/cross.sh

.PHONY: dist
dist: ## archives, source archive, .debs, Homebrew formula and checksums in dist/; runs the Linux binaries under qemu-user
	VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) ./.ci/dist.sh

.PHONY: release-macos
release-macos: ## on a Mac with Xcode command line tools: universal darwin binary with USB, archive and checksums in dist/macos/
	VERSION=$(VERSION) COMMIT=$(COMMIT) DATE=$(DATE) ./.ci/release-macos.sh

.PHONY: ci
ci: ## exactly what CI runs: .ci/run (installs packages with apt when root, then every suite)
	bash .ci/run
