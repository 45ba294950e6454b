# eigenlab: `make demo` runs the embedded default experiment; `make test`
# runs the test suite. Both install what they need first (scripts/setup.sh).
GO      ?= go
BIN     := bin/eigenlab
export CGO_ENABLED := 1
# Stamp the binary with the VCS revision and dirty flag (provenance); the
# environment's GOFLAGS may say -buildvcs=false.
GOBUILD := $(GO) build -buildvcs=auto
FUZZTIME ?= 10s

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

# Every parser of untrusted bytes, as PACKAGE:TARGET.
FUZZ := experiments:FuzzParse ndarray:FuzzNPY stages:FuzzNPZ stages/images:FuzzDecode \
	stages/images:FuzzIDX stages/nn/tfjs:FuzzLoad results:FuzzResolve \
	cache:FuzzParseAction cache:FuzzParsePack

test: setup lint
	$(GO) test -count=1 -timeout 20m ./...
	@$(MAKE) --no-print-directory fuzz

fuzz:
	@set -e; for t in $(FUZZ); do \
		echo "fuzz $${t#*:} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}\$$" -fuzztime $(FUZZTIME) ./$${t%%:*}; \
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
