# Herald's build. `make run` starts one node you can chat with in the
# terminal; `make test` installs the test servers when missing and runs
# every test, the slow end-to-end ones included.

GO      ?= go
BIN     := bin/herald
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PKGS    := ./...

.PHONY: build run test test-deps test-short bench lint chaos screenshot clean

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/herald

run: build
	./scripts/run.sh $(BIN)

# chromium: the status page test drives a real headless browser.
test-deps:
	./scripts/test-deps.sh chromium

# -race everywhere: nearly every package runs goroutines, and the nodes
# that the end-to-end tests start are built with the race detector too.
test: test-deps
	$(GO) build -race -o bin/herald-race ./cmd/herald
	HERALD_BIN=$(CURDIR)/bin/herald-race $(GO) test -race -count=1 -timeout 20m $(PKGS)

test-short: build
	HERALD_BIN=$(CURDIR)/$(BIN) $(GO) test -race -short -count=1 $(PKGS)

# Micro-benchmarks of the packages, then the cluster harness: Redis, ngircd
# and real nodes on loopback, printing one JSON object of figures.
bench: test-deps build
	HERALD_BIN=$(CURDIR)/$(BIN) $(GO) test -run '^$$' -bench . -benchtime 2s $(PKGS)
	HERALD_BIN=$(CURDIR)/$(BIN) ./scripts/bench.sh

# The fault-injection suite in its long form (10 minutes by default).
chaos: test-deps build
	HERALD_BIN=$(CURDIR)/$(BIN) HERALD_CHAOS_DURATION=$${HERALD_CHAOS_DURATION:-10m} \
		$(GO) test ./node/chaos -run TestChaos -count=1 -v -timeout 60m

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then \
		echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# Starts a three-node cluster (Redis, ngircd) and saves a picture of a
# node's status page to status.png.
screenshot: test-deps build
	HERALD_BIN=$(CURDIR)/$(BIN) HERALD_SCREENSHOT=$(CURDIR)/status.png \
		$(GO) test ./node -run TestE2EStatusPageInBrowser -count=1 -v | grep -E 'saved|ok|FAIL'

clean:
	rm -rf bin .herald
