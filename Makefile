# benchctl — see README.md. Targets assume Debian and root where they
# install packages or load probes.

GO            ?= go
BIN           := bin/benchctl
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.Version=$(VERSION)
SCENARIO      ?= scenarios/redis.yaml
RESULTS_DIR   ?= results
# Extra flags for go test in make test, e.g. GOTESTFLAGS=-v.
GOTESTFLAGS   ?=

# bpf2go settings, used by `go generate` in probes/gen.go.
export BPF2GO_CC     ?= clang
export BPF2GO_CFLAGS ?= -O2 -g -Wall -Werror

# Waits for another apt or dpkg to finish instead of failing on its lock.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends
APT_UPDATE  := apt-get -o DPkg::Lock::Timeout=600 update -q

# What make run and make test use, as Debian packages: redis for the redis
# workload; strace for the workload fidelity tests; bpftrace for the
# external-tracer tests and scenarios; and the shared libraries that
# ../shared/tracers' sinsp-example builds link (libtbb.so.12,
# libjsoncpp.so.25, libre2.so.9; scap-open needs only what every Debian
# has); postgresql for the history store's tests, which start their own
# throwaway server from its binaries. deps checks with ldd that every tracer there then finds its
# libraries, so a tracer built against a new one fails here, by name.
DEPS_PKGS     := redis-server redis-tools strace bpftrace libtbb12 libjsoncpp25 libre2-9 postgresql
DEPS_CMDS     := redis-server redis-benchmark strace bpftrace
SHARED_TRACERS ?= ../shared/tracers

# make image: the OCI archive of benchctl's image, its name, and the time
# of every entry (the commit's, so the same commit gives the same digest).
IMAGE_TAR     ?= bin/benchctl-image.tar
IMAGE_NAME    ?= docker.io/library/benchctl:$(VERSION)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)

.PHONY: image help build generate check-generate test test-short lint lint-tracked run quick bench bench-history deps deps-clang deps-qemu kernels test-kernels deps-k8s k8s-bin test-k8s clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

build: ## build bin/benchctl (no clang needed: the BPF objects are committed)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/benchctl

image: ## the OCI archive bin/benchctl-image.tar (ctr images import takes it): static benchctl, redis from Debian's packages; reproducible, no container daemon
	@command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { $(APT_UPDATE) && $(APT_INSTALL) redis-server redis-tools; }
	mkdir -p .cache/image bin
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '$(LDFLAGS)' -o .cache/image/benchctl ./cmd/benchctl
	$(GO) run ./cmd/benchctl-image -benchctl .cache/image/benchctl -cache .cache/image -name $(IMAGE_NAME) -epoch $(SOURCE_DATE_EPOCH) -o $(IMAGE_TAR)

generate: deps-clang ## regenerate the BPF objects and the syscall table
	cd probes && $(GO) generate ./...
	$(GO) run ./probes/internal/gensyscalls > probes/syscalls/syscalls_table.go

check-generate: generate ## fail when the committed generated files differ from a fresh build
	@git diff --exit-code --stat -- probes/ || { echo "generated files differ from the committed ones: run 'make generate' and commit" >&2; exit 1; }

test: deps ## install what the tests use, then run every test (as root the probe tests load real BPF programs)
	$(GO) test -count=1 -p 1 $(GOTESTFLAGS) ./...

test-short: ## unit tests only, no probes and no redis
	$(GO) test -count=1 -short ./...

lint: lint-tracked ## gofmt, go vet, and no build output tracked
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint-tracked: ## fail on a tracked ELF file, or a tracked file over 1 MiB outside testdata (bpf2go's objects and vmlinux.h aside)
	@scripts/lint-tracked.sh

run: build ## install what the scenarios use, run the default scenario, write results and the report
	@if $(MAKE) -s deps; then \
		scenario=$(SCENARIO); \
	else \
		echo "the packages could not be installed: running scenarios/quick.yaml, which needs none, instead" >&2; \
		scenario=scenarios/quick.yaml; \
	fi; \
	mkdir -p $(RESULTS_DIR) && ./$(BIN) run $$scenario -o $(RESULTS_DIR)/latest.json --force

quick: build ## run the built-in workload scenario (no dependencies, under a minute)
	mkdir -p $(RESULTS_DIR) && ./$(BIN) run scenarios/quick.yaml -o $(RESULTS_DIR)/quick.json --force

bench: ## Go benchmarks of the probes (dispatch cost, drain rate); as root
	$(GO) test -run '^$$' -bench . -benchtime 2x ./probes/

bench-history: deps ## Go benchmarks of the history store and change points (SQLite, and PostgreSQL when installed)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./history/ ./bench/changepoint/

deps: ## install what make run and make test use (DEPS_PKGS) when missing, then check the shared tracers' libraries
	@missing=""; \
	for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		{ $(APT_UPDATE) && $(APT_INSTALL) $$missing; } >/dev/null || { echo "could not install$$missing" >&2; exit 1; }; \
	fi; \
	for c in $(DEPS_CMDS); do command -v $$c >/dev/null || { echo "$$c is not on PATH after installing $(DEPS_PKGS)" >&2; exit 1; }; done; \
	for t in $(SHARED_TRACERS)/*; do \
		[ -f "$$t" ] && [ -x "$$t" ] || continue; \
		nf=$$(ldd "$$t" 2>/dev/null | awk '/not found/ {print $$1}' | tr '\n' ' '); \
		[ -z "$$nf" ] || { echo "$$t needs $$nf, which no package of DEPS_PKGS provides: add its package to DEPS_PKGS in the Makefile" >&2; exit 1; }; \
	done

deps-clang: ## install clang, llvm and libbpf headers when missing (only for make generate)
	@if ! command -v clang >/dev/null || ! command -v llvm-strip >/dev/null || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then \
		echo "installing clang, llvm and libbpf-dev"; \
		{ $(APT_UPDATE) && $(APT_INSTALL) clang llvm libbpf-dev; } >/dev/null || exit 1; \
	fi

# Guests (benchctl vm): kernels are unpacked, never installed, under
# .cache/kernels; the static benchctl and probes test binary go to .cache/guest.
KERNEL_CACHE  := .cache/kernels
GUEST_DIR     := .cache/guest
ACCEL         ?= auto
# Kernels test-kernels boots: Debian 12's 6.1 and 6.12 cloud kernels (both
# have BTF), and the host's own when /boot has it readable. Each is the
# newest package matching its pattern in the apt sources.
KERNEL_PKG_6.1  := ^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$$
KERNEL_PKG_6.12 := ^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64-unsigned$$
TEST_KERNELS  ?= $(KERNEL_CACHE)/6.1/boot/vmlinuz $(KERNEL_CACHE)/6.12/boot/vmlinuz $(wildcard /boot/vmlinuz-$(shell uname -r))

deps-qemu: ## install qemu-system-x86 and busybox-static when missing
	@if ! command -v qemu-system-x86_64 >/dev/null || ! dpkg-query -W -f='$${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then \
		echo "installing qemu-system-x86 and busybox-static"; \
		{ $(APT_UPDATE) && $(APT_INSTALL) qemu-system-x86 busybox-static; } >/dev/null || exit 1; \
	fi

kernels: $(KERNEL_CACHE)/6.1/boot/vmlinuz $(KERNEL_CACHE)/6.12/boot/vmlinuz ## fetch and unpack Debian 12's newest 6.1 and 6.12 cloud kernels into .cache/kernels/{6.1,6.12}

$(KERNEL_CACHE)/%/boot/vmlinuz:
	@pattern='$(KERNEL_PKG_$*)'; [ -n "$$pattern" ] || { echo "no package pattern for kernel $* (KERNEL_PKG_$*)" >&2; exit 1; }; \
	pkg=$$(apt-cache search --names-only "$$pattern" | awk '{print $$1}' | sort -V | tail -1); \
	if [ -z "$$pkg" ]; then \
		$(APT_UPDATE) >/dev/null || exit 1; \
		pkg=$$(apt-cache search --names-only "$$pattern" | awk '{print $$1}' | sort -V | tail -1); \
	fi; \
	[ -n "$$pkg" ] || { echo "no package matching $$pattern in the apt sources" >&2; exit 1; }; \
	echo "fetching $$pkg into $(KERNEL_CACHE)/$*"; \
	rm -rf $(KERNEL_CACHE)/$* $(KERNEL_CACHE)/dl-$* && mkdir -p $(KERNEL_CACHE)/dl-$* && \
	(cd $(KERNEL_CACHE)/dl-$* && apt-get download -q "$$pkg" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true) && \
	dpkg -x $(KERNEL_CACHE)/dl-$*/*.deb $(KERNEL_CACHE)/$* && \
	grep -q '^CONFIG_DEBUG_INFO_BTF=y' $(KERNEL_CACHE)/$*/boot/config-* && \
	ln -sf $$(cd $(KERNEL_CACHE)/$*/boot && ls vmlinuz-* | head -1) $(KERNEL_CACHE)/$*/boot/vmlinuz && \
	rm -rf $(KERNEL_CACHE)/dl-$*

$(GUEST_DIR): FORCE
	@mkdir -p $(GUEST_DIR)
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(GUEST_DIR)/benchctl ./cmd/benchctl
	CGO_ENABLED=0 $(GO) test -c -o $(GUEST_DIR)/probes.test ./probes
	CGO_ENABLED=0 $(GO) test -c -o $(GUEST_DIR)/workloads.test ./workloads

FORCE:

test-kernels: deps deps-qemu kernels $(GUEST_DIR) ## in QEMU guests (6.1, 6.12, and the host kernel): benchctl doctor, the probe tests, the planted 64 MiB through memory.peak, scenarios/ci.yaml
	@failed=""; mkdir -p $(RESULTS_DIR); \
	for k in $(TEST_KERNELS); do \
		name=$$(basename $$(readlink -f $$k) | sed 's/^vmlinuz-//'); \
		accel=$(ACCEL); \
		if [ "$$accel" = auto ]; then accel=$$($(GUEST_DIR)/benchctl vm --kernel $$k --detect-accel) || exit 1; fi; \
		vm="$(GUEST_DIR)/benchctl vm --kernel $$k --accel $$accel --benchctl $(GUEST_DIR)/benchctl"; \
		for step in doctor probes memory ci; do \
			echo "== $$name ($$accel): $$step"; t0=$$(date +%s); \
			case $$step in \
			doctor) $$vm -- doctor ;; \
			probes) $$vm --bin $(GUEST_DIR)/probes.test --workdir probes --sh -- probes.test -test.v -test.count=1 ;; \
			memory) log=$(RESULTS_DIR)/guest-$$name-memory.log; \
				$$vm --bin $(GUEST_DIR)/workloads.test --program bpftrace --workdir workloads --sh -- \
					"workloads.test -test.v -test.count=1 -test.run '^TestTracerMemoryPlanted\$$'" > $$log 2>&1; rc=$$?; cat $$log; \
				[ $$rc -eq 0 ] && grep -q -- '--- PASS: TestTracerMemoryPlanted' $$log && grep -q 'peak (memory.peak): ' $$log ;; \
			ci) $$vm -- run scenarios/ci.yaml --repetitions 2 --warmup 0 --force -o $(RESULTS_DIR)/guest-$$name.json && \
				grep -q '"guest": "qemu-' $(RESULTS_DIR)/guest-$$name.json ;; \
			esac; rc=$$?; \
			echo "== $$name ($$accel): $$step exit $$rc in $$(( $$(date +%s) - t0 ))s"; \
			[ $$rc -eq 0 ] || failed="$$failed $$name/$$step"; \
		done; \
	done; \
	if [ -n "$$failed" ]; then echo "test-kernels failed:$$failed" >&2; exit 1; fi; \
	echo "test-kernels: ok"

# The test cluster (internal/kubecluster): Debian's etcd, containerd, runc
# and CNI plugins, and Kubernetes built from the Go module proxy into
# .cache/k8s/VERSION (kube and pause; rebuilt only when their sources
# change). busybox-static is the test pods' image; iproute2 deletes the
# pods' bridge.
K8S_VERSION   := $(shell cat internal/kubecluster/VERSION)
K8S_BIN       := .cache/k8s/$(K8S_VERSION)
K8S_PKGS      := etcd-server containerd runc containernetworking-plugins busybox-static iproute2
# The tests that need the cluster are built with the tag k8s and named
# TestK8s...; make test-k8s runs those of every package.
K8S_RUN       ?= K8s

deps-k8s: ## install the test cluster's Debian packages (K8S_PKGS) when missing
	@missing=""; \
	for p in $(K8S_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; $(APT_UPDATE) >/dev/null && $(APT_INSTALL)$$missing; fi

k8s-bin: ## build the test cluster's Kubernetes binaries into .cache/k8s/VERSION (once: then cached)
	internal/kubecluster/kubebin/build.sh $(abspath $(K8S_BIN))

test-k8s: deps-k8s k8s-bin ## start a one-node Kubernetes cluster on loopback and run every TestK8s test (build tag k8s)
	$(GO) test -tags k8s -count=1 -p 1 -timeout 30m -run '$(K8S_RUN)' $(GOTESTFLAGS) ./...

clean: ## remove build output
	rm -rf bin

# Mutation testing with gremlins: the statistics (bench/stats), the gate
# (bench/compare), the derived figures and measures of bench/results, and
# the event decoder (probes/event.go), against the unit tests only
# (GOFLAGS=-short: no probes, redis or tracers). Every mutant recompiles
# and reruns a package's tests: about 9 minutes on the 2-core reference
# machine, so it is not part of .ci/run.
# Mutants in switch case expressions and package-level literals show as NOT
# COVERED (go cover does not instrument them), so mutant coverage stays
# near 66%; efficacy (killed / covered) is the figure to watch. The lists
# below exclude every other file of each package: a new file is mutated
# until it is added to them.
GREMLINS         ?= $(GO) run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTANTS_RESULTS  := -E '(^|/)(anatomy|autoreps|doc|names|noise|query|records|results)\.go$$'
MUTANTS_COMPARE  := -E '(^|/)(doc|interleaved|noise)\.go$$'
MUTANTS_PROBES   := -E '(^|/)(api|cgroup|consumer|count|doc|errors|external|gen|innermaps|load|probes_x86_bpfel|stats)\.go$$' -E 'internal/' -E 'syscalls/'
MUTANTS_SYSCALLS := -E '(^|/)(doc|syscalls|syscalls_table)\.go$$'

.PHONY: mutants
mutants: ## mutation testing (gremlins) of bench/stats, bench/compare, bench/results' derived figures and probes/syscalls/event.go; slow
	GOFLAGS=-short $(GREMLINS) unleash --timeout-coefficient 300 ./bench/stats
	GOFLAGS=-short $(GREMLINS) unleash --timeout-coefficient 300 $(MUTANTS_COMPARE) ./bench/compare
	GOFLAGS=-short $(GREMLINS) unleash --timeout-coefficient 300 $(MUTANTS_RESULTS) ./bench/results
	GOFLAGS=-short $(GREMLINS) unleash --timeout-coefficient 300 $(MUTANTS_PROBES) ./probes
	GOFLAGS=-short $(GREMLINS) unleash --timeout-coefficient 300 $(MUTANTS_SYSCALLS) ./probes/syscalls
