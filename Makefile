# benchctl — see README.md. Targets assume Debian and root where they
# install packages or load probes.

GO            ?= go
BIN           := bin/benchctl
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.Version=$(VERSION)
SCENARIO      ?= scenarios/redis.yaml
RESULTS_DIR   ?= results

# bpf2go settings, used by `go generate` in probes/gen.go.
export BPF2GO_CC     ?= clang
export BPF2GO_CFLAGS ?= -O2 -g -Wall -Werror

APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends

.PHONY: help build generate check-generate test test-short lint run quick bench deps-redis deps-clang clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

build: ## build bin/benchctl (no clang needed: the BPF objects are committed)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/benchctl

generate: deps-clang ## regenerate the BPF objects and the syscall table
	cd probes && $(GO) generate ./...
	$(GO) run ./probes/internal/gensyscalls > probes/syscalls_table.go

check-generate: generate ## fail when the committed generated files differ from a fresh build
	@git diff --exit-code --stat -- probes/ || { echo "generated files differ from the committed ones: run 'make generate' and commit" >&2; exit 1; }

test: deps-redis ## run every test (as root the probe tests load real BPF programs)
	$(GO) test -count=1 -p 1 ./...

test-short: ## unit tests only, no probes and no redis
	$(GO) test -count=1 -short ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

run: build ## install redis if missing, run the default scenario, write results and the report
	@if $(MAKE) -s deps-redis; then \
		scenario=$(SCENARIO); \
	else \
		echo "redis-server/redis-benchmark could not be installed: running scenarios/quick.yaml instead" >&2; \
		scenario=scenarios/quick.yaml; \
	fi; \
	mkdir -p $(RESULTS_DIR) && ./$(BIN) run $$scenario -o $(RESULTS_DIR)/latest.json

quick: build ## run the built-in workload scenario (no dependencies, under a minute)
	mkdir -p $(RESULTS_DIR) && ./$(BIN) run scenarios/quick.yaml -o $(RESULTS_DIR)/quick.json

bench: ## Go benchmarks of the probes (dispatch cost, drain rate); as root
	$(GO) test -run '^$$' -bench . -benchtime 2x ./probes/

deps-redis: ## install redis-server and redis-tools when missing
	@if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then \
		echo "installing redis-server and redis-tools"; \
		{ apt-get update -q && $(APT_INSTALL) redis-server redis-tools; } >/dev/null || exit 1; \
	fi

deps-clang: ## install clang, llvm and libbpf headers when missing (only for make generate)
	@if ! command -v clang >/dev/null || ! command -v llvm-strip >/dev/null || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then \
		echo "installing clang, llvm and libbpf-dev"; \
		{ apt-get update -q && $(APT_INSTALL) clang llvm libbpf-dev; } >/dev/null || exit 1; \
	fi

clean: ## remove build output
	rm -rf bin
