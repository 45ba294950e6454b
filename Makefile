# eigenlab: `make demo` runs the embedded default experiment; `make test`
# runs the test suite. Both install what they need first (scripts/setup.sh).
GO      ?= go
BIN     := bin/eigenlab
export CGO_ENABLED := 1
# Stamp the binary with the VCS revision and dirty flag (provenance); the
# environment's GOFLAGS may say -buildvcs=false.
GOBUILD := $(GO) build -buildvcs=auto
# Each fuzz target runs a fixed number of inputs (about 10 s here), not a
# duration: a duration-bounded -fuzztime can fail at its deadline with a bare
# "context deadline exceeded" and no input (golang/go#75804, unfixed in
# go1.26). FUZZTIME=2m (test-long) runs every target for that long instead.
# Minimizing each new interesting input is bounded by a count too: by
# default it may take 60 s (a mutated 3 KB experiment YAML took 15-60 s
# each, FuzzParse 112 s in all; 1000x still took ~20 s each), and its
# deadline is the same race. A crasher is still written, less minimized.
FUZZTIME ?=
FUZZMINIMIZE := 50x

.PHONY: setup build demo test fuzz test-long bench lint data clean models

setup:
	@bash scripts/setup.sh
	@$(MAKE) --no-print-directory models

# The pretrained nsfwjs networks (npm; never committed), for the pretrained
# stage and its goldens; a no-op once present.
models:
	@bash scripts/fetch-models.sh

build: setup
	$(GOBUILD) -o $(BIN) ./cmd/eigenlab

# The embedded default: dead-leaves images through power-law-initialised
# CNNs; writes report/index.html. Nothing is downloaded.
demo: build
	$(BIN) run powerlaw-init-spectra
	$(BIN) report powerlaw-init-spectra -o report

# Every parser of untrusted bytes, as PACKAGE:TARGET:INPUTS.
FUZZ := experiments:FuzzParse:10000x ndarray:FuzzNPY:400000x stages:FuzzNPZ:100000x \
	stages/images:FuzzDecode:20000x stages/images:FuzzIDX:150000x \
	stages/nn/tfjs:FuzzLoad:15000x results:FuzzResolve:80000x \
	cache:FuzzParseAction:400000x cache:FuzzLoadPackIndex:400000x

test: setup lint
	$(GO) test -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz

fuzz:
	@set -e; for t in $(FUZZ); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; n=$${rest#*:}; \
		budget=$(FUZZTIME); budget=$${budget:-$$n}; \
		echo "fuzz $$name ($$budget)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$budget -fuzzminimizetime $(FUZZMINIMIZE) ./$$pkg; \
	done

test-long: setup
	EIGENLAB_LONG=1 $(GO) test -count=1 -timeout 120m ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=2m

bench: setup
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

data:
	@EIGENLAB_DATA=1 bash scripts/setup.sh

clean:
	rm -rf bin .eigenlab report
