# karpgate: every target a newcomer needs. `make help` lists them.
GO        ?= go
BIN       := bin/karpgate
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/karpgate/karpgate/internal/cli.Version=$(VERSION)
# make image: the platform of the image (the binary is cross-built for linux/IMAGE_ARCH), and the
# commit time as every timestamp in it, so a commit always gives the same image.
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
IMAGE     := dist/karpgate-image.tar
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
SAMPLE    := testdata/plans/eks-v20.24-v033/plan.json
# Pinned tool versions, run through `go run` so a fresh machine needs nothing installed by hand.
# Regal is pinned in internal/tools/regal, which builds it once into the user cache (not part of
# make test: the first build takes minutes).
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.6.1
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.1.4
# The race detector runs only where there is concurrency, with -short (heavy cases shrink): the
# run-task service; of internal/scan the tests of its goroutines (many plans at once, roles and
# members converted on several cores); of internal/plan the split parse.
# -timeout: the default 10 minutes per package is too short when other builds share the cores.
TESTPROG  := $(GO) run ./internal/tools/testprogress -timeout 30m
RACE_RUN  := 'ManyPlans|ManyRoles|PlanValue|Split'
FUZZTIME  ?= 30s

.PHONY: help build policyimage image run test lint bench fmt golden plans plans-check fuzz clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: policyimage ## build bin/karpgate: static (CGO_ENABLED=0, runs on Alpine and distroless), versioned by git describe
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/karpgate

# The embedded Rego bundle compiled ahead of time, for the binary to embed (internal/policyimage:
# a binary without it compiles the sources at start-up, about 0.15 s more per run).
policyimage:
	$(GO) run ./internal/tools/policyimage

image: policyimage ## build dist/karpgate-image.tar, an OCI image for docker load (no Docker daemon needed; docs/install.md)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o dist/linux-$(IMAGE_ARCH)/karpgate ./cmd/karpgate
	$(GO) run ./internal/tools/ociimage -binary dist/linux-$(IMAGE_ARCH)/karpgate -arch $(IMAGE_ARCH) \
	  -version $(VERSION) -revision "$$(git rev-parse HEAD 2>/dev/null)" -created $(SOURCE_DATE_EPOCH) -o $(IMAGE)

run: build ## build, then scan a shipped sample plan and print the report (exits 0 although the sample has findings)
	@echo "+ $(BIN) scan $(SAMPLE)"
	@$(BIN) scan --color never $(SAMPLE); code=$$?; \
	  if [ $$code -gt 1 ]; then exit $$code; fi; \
	  echo "(karpgate exited $$code: 1 means the gate did not pass, as expected for this sample)"

test: ## gofmt check, go vet, all Go and Rego tests, race detector where there is concurrency (what .ci/run calls)
	@echo "== gofmt"
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	@echo "== go vet ./..."
	@$(GO) vet ./...
	@echo "== go test ./... (a line per package as it finishes; every 30 s what still runs)"
	@$(TESTPROG) -count=1 ./...
	@echo "== go test -race -short (the packages with goroutines)"
	@$(TESTPROG) -count=1 -race -short ./internal/runtask/
	@$(TESTPROG) -count=1 -race -short -run $(RACE_RUN) ./internal/scan/ ./internal/plan/

lint: ## go vet, staticcheck, Rego format/strict checks, Regal (.regal/config.yaml); govulncheck when its database is reachable
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) test -count=1 -run 'TestRegoFormatted|TestRegoStrict' ./rego/
	$(GO) run ./internal/tools/regal lint rego/ bundles/
	@$(GO) run $(GOVULNCHECK) ./... || echo "govulncheck could not run (it needs its vulnerability database online)"

bench: policyimage ## benchmarks (ns/op, B/op, allocs/op), with the policy image the binary embeds
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt: ## format Go and Rego sources
	gofmt -w $$(git ls-files '*.go')
	$(GO) run ./internal/tools/regofmt $$(git ls-files 'rego/*.rego' 'bundles/*.rego')

golden: ## rewrite golden files after a reviewed output change
	$(GO) test ./internal/report/ ./internal/cli/ -update

plans: ## regenerate testdata/plans/*/plan.json from testdata/tf with Terraform and the offline aws provider mirror
	$(GO) run ./internal/tools/tfplans

plans-check: ## regenerate every scenario into a scratch directory and fail unless the committed plans come out byte for byte
	$(GO) run ./internal/tools/tfplans -check

fuzz: ## run every fuzz target for FUZZTIME each (not part of make test)
	@for spec in $$($(GO) test -list 'Fuzz.*' ./... 2>/dev/null | awk '/^Fuzz/ {print $$1} /^ok/ {print "pkg:" $$2}' | tac); do \
	  case $$spec in pkg:*) pkg=$${spec#pkg:};; *) echo "== $$pkg $$spec"; $(GO) test -run '^$$' -fuzz "^$$spec$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 5s $$pkg || exit 1;; esac; \
	done

clean: ## remove build outputs
	rm -rf bin dist
