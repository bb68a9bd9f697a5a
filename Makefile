# Gradbook — the front door. `make book` builds the book; `make check` runs the tests and
# prints the gradebook. Both install what is missing first (`make setup`).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SWIFT ?= swift
# Debian packages the book needs: OpenBLAS (matmul), zlib (MNIST's gzip files), curl (fetching MNIST when no copy is found), graphviz (tape drawings), pandoc (the site).
APT_PACKAGES := libopenblas-dev zlib1g-dev pkg-config graphviz pandoc curl
# Swift sources that `swift format lint` checks.
LINT_PATHS := Package.swift Sources Tests Chapters
# The peers' reference scripts (PyTorch, micrograd), beside this checkout.
PEERS := ../shared/peers

.PHONY: help setup book check test lint sync sync-check chapters site workbook grade bench \
	peers interop clean package-check difftest mutants

help:
	@echo "make book       build the book: run every chapter (quick) and render book/site/"
	@echo "make check      the tests: suite, listings, lint, chapters, site links, reader edition, gradebook"
	@echo "make workbook   write the reader edition to reader-edition/ (exercises stubbed)"
	@echo "make sync       refresh the chapters' code listings from the sources"
	@echo "make bench      benchmarks (release build): table + .build/bench/latest.json"
	@echo "make peers      set up the peer scripts (micrograd) so that make bench runs them too"
	@echo "make interop    load Chapters 5 and 6's checkpoints into PyTorch (after make peers)"
	@echo "make difftest   random programs checked against PyTorch in float64 (after make peers)"
	@echo "make package-check  build a scratch package that depends on Gradbook by version"
	@echo "make mutants    make every catalogued mistake; fail if an exercise's tests miss one"
	@echo "make setup      install missing system packages ($(APT_PACKAGES))"

setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "setup: system packages present ($(APT_PACKAGES))"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "setup: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else \
	  echo "setup: missing packages:$$missing"; \
	  echo "setup: run this once, then try again:  sudo apt-get install -y$$missing"; exit 1; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "setup: Swift 6 is needed: https://www.swift.org/install/linux/"; exit 1; }

# ── the main job ────────────────────────────────────────────────────────────────────────
book: setup
	$(SWIFT) build -c release
	bin=$$($(SWIFT) build -c release --show-bin-path); \
	"$$bin/gradbook" run-chapters --bin-path "$$bin"; \
	"$$bin/gradbook" render; \
	"$$bin/gradbook" links

# ── the tests ───────────────────────────────────────────────────────────────────────────
# In the reader edition (READER-EDITION.md at the root) `make check` grades your exercises.
check: setup
	@if [ -f READER-EDITION.md ]; then $(MAKE) --no-print-directory grade; exit; fi; \
	$(SWIFT) build --build-tests; \
	bin=$$($(SWIFT) build --show-bin-path); \
	"$$bin/gradbook" sync --check; \
	"$$bin/gradbook" mutants --dry-run; \
	$(MAKE) --no-print-directory lint; \
	$(SWIFT) test --skip-build --disable-xctest; \
	"$$bin/gradbook" run-chapters --bin-path "$$bin"; \
	"$$bin/gradbook" render; \
	"$$bin/gradbook" links; \
	"$$bin/gradbook" quotes; \
	"$$bin/gradbook" workbook --verify; \
	"$$bin/gradbook" grade --require-all; \
	$(MAKE) --no-print-directory package-check

# The mistake catalogues (Chapters/*/mistakes.json): each classic mistake is made in turn in a
# scratch reader edition whose exercises hold the reference solutions (.build/mutants), which
# is rebuilt incrementally, one build at a time; its exercise's tests must catch it, and fail
# the way the catalogue records (how the gradebook names it). About 15 minutes; not part of
# `make check`, which checks only that every patch applies. MUTANTS_FLAGS=--record records
# the failing tests after the tests change; MUTANTS_FLAGS="--exercise 2.6" runs one exercise.
MUTANTS_FLAGS ?=
mutants: setup
	$(SWIFT) build --product gradbook
	"$$($(SWIFT) build --show-bin-path)/gradbook" mutants $(MUTANTS_FLAGS)

# The differential test: random programs (ranks and sizes from 1, broadcasting, negative
# axes, keepdim, transposed / step-sliced / expanded leaves) run by Gradbook, replayed by
# PyTorch in float64; values and gradients must agree. DIFFTEST_COUNT and DIFFTEST_SEED pick
# the programs. Disagreements go to .build/difftest/failures.json, with PyTorch's numbers:
# add the minimal ones to Tests/Difftest/regressions.json, which make check replays.
DIFFTEST_COUNT ?= 10000
DIFFTEST_SEED ?= 1
difftest: setup
	@test -x .peers/bin/python || { echo "difftest: run make peers first (PyTorch)"; exit 1; }
	$(SWIFT) build -c release --product gradbook-difftest
	"$$($(SWIFT) build -c release --show-bin-path)/gradbook-difftest" --count $(DIFFTEST_COUNT) \
	  --seed $(DIFFTEST_SEED) --output .build/difftest/programs.json
	.peers/bin/python Tests/Difftest/replay_in_torch.py .build/difftest/programs.json \
	  --failures .build/difftest/failures.json

# Another package depends on Gradbook by version, as a user's project would: a clone of this
# checkout's last commit (uncommitted changes are not in it), tagged 1.0.0, and the scratch
# package Tests/PackageCheck, which imports the last stage from it, builds and runs.
PACKAGE_CHECK := .build/package-check
package-check:
	rm -rf $(PACKAGE_CHECK) && mkdir -p $(PACKAGE_CHECK)
	git clone -q --no-local . $(PACKAGE_CHECK)/gradbook
	git -C $(PACKAGE_CHECK)/gradbook tag | xargs -r git -C $(PACKAGE_CHECK)/gradbook tag -d >/dev/null
	git -C $(PACKAGE_CHECK)/gradbook tag 1.0.0
	cp -R Tests/PackageCheck $(PACKAGE_CHECK)/consumer
	sed -i 's|GRADBOOK_URL|file://$(CURDIR)/$(PACKAGE_CHECK)/gradbook|' $(PACKAGE_CHECK)/consumer/Package.swift
	cd $(PACKAGE_CHECK)/consumer && $(SWIFT) build -q --disable-dependency-cache && \
	  "$$($(SWIFT) build --show-bin-path)/Consumer"
	@grep -q "$$(git rev-parse HEAD)" $(PACKAGE_CHECK)/consumer/Package.resolved || \
	  { echo "package-check: the consumer did not resolve 1.0.0 to this commit"; exit 1; }

test:
	$(SWIFT) test --disable-xctest

lint:
	$(SWIFT) format lint --strict --recursive $(LINT_PATHS)
	@echo "lint: swift format lint --strict is clean"

sync:
	$(SWIFT) run gradbook sync

# Quick: listings only, no build of the package beyond the tool.
sync-check:
	$(SWIFT) run gradbook sync --check

workbook:
	$(SWIFT) run gradbook workbook

# Grading: the build's messages (warnings about the stubs, say) go to a log; the reader sees
# the gradebook. It exits 0 when grading ran, whatever the score.
grade:
	@mkdir -p .build; \
	echo "grade: building (the compiler's messages go to .build/build.log)…"; \
	if ! $(SWIFT) build --build-tests > .build/build.log 2>&1; then \
	  grep -E "error:" .build/build.log | sort -u | head -40; \
	  echo "grade: the package does not build; the errors are above (everything: .build/build.log)"; \
	  exit 1; \
	fi; \
	"$$($(SWIFT) build --show-bin-path)/gradbook" grade

# ── benchmarks ──────────────────────────────────────────────────────────────────────────
bench: setup
	$(SWIFT) build -c release --product gradbook-bench
	mkdir -p .build/bench
	@peers=""; \
	if [ -x .peers/bin/python ] && [ -d $(PEERS) ]; then \
	  echo "bench: running the peers in this session ($(PEERS))…"; \
	  (cd $(PEERS) && $(CURDIR)/.peers/bin/python micrograd_bench.py) > .build/bench/micrograd.txt; \
	  peers="--micrograd .build/bench/micrograd.txt"; \
	  if .peers/bin/python -c "import torch, threadpoolctl" 2>/dev/null; then \
	    (cd $(PEERS) && $(CURDIR)/.peers/bin/python ops_torch.py --threads 2) > .build/bench/ops_torch.txt; \
	    peers="$$peers --torch-ops .build/bench/ops_torch.txt"; \
	  fi; \
	  if .peers/bin/python -c "import torch, threadpoolctl" 2>/dev/null; then \
	    (cd $(PEERS) && $(CURDIR)/.peers/bin/python mnist_torch.py --which cnn,mlp_adam,mlp_sgd --threads 2) > .build/bench/mnist_torch.txt; \
	    peers="$$peers --mnist-torch .build/bench/mnist_torch.txt"; \
	  fi; \
	  if .peers/bin/python -c "import torch, jax" 2>/dev/null; then \
	    (cd $(PEERS) && $(CURDIR)/.peers/bin/python higher_order.py --threads 2) > .build/bench/higher_order.txt; \
	    peers="$$peers --higher-order .build/bench/higher_order.txt"; \
	  fi; \
	else echo "bench: peers not set up (make peers) — no same-session ratios"; fi; \
	"$$($(SWIFT) build -c release --show-bin-path)/gradbook-bench" --json .build/bench/latest.json $$peers

# The peer scripts' Python environment (micrograd, JAX, and PyTorch's CPU wheel that ships
# with these machines); needs PyPI. `make bench` then runs them in the same session for ratios.
peers:
	test -x .peers/bin/python || python3 -m venv .peers
	.peers/bin/pip install -q micrograd numpy threadpoolctl
	.peers/bin/pip install -q "torch==2.13.0+cpu" || echo "peers: PyTorch not available; op-table ratios will be missing"
	.peers/bin/pip install -q "jax[cpu]" || echo "peers: JAX not available; higher-order ratios will be missing"
	.peers/bin/pip install -q safetensors || echo "peers: safetensors not available; make interop will not run"

# Chapter 5's checkpoint, loaded into PyTorch with Hugging Face's safetensors package (needs
# make peers): the accuracy it prints must equal the chapter's own.
interop: setup
	$(SWIFT) build -c release --product ch05-nn
	$(SWIFT) build -c release --product ch06-cnn
	bin=$$($(SWIFT) build -c release --show-bin-path); \
	"$$bin/ch05-nn" --output .build/interop | tail -8; \
	.peers/bin/python Tests/Interop/load_in_pytorch.py mlp .build/interop/mlp.safetensors 2000; \
	"$$bin/ch06-cnn" --output .build/interop | tail -4; \
	.peers/bin/python Tests/Interop/load_in_pytorch.py cnn .build/interop/cnn.safetensors 1000

clean:
	rm -rf .build book/site
	@echo "clean: your reader edition (reader-edition/) is never removed by make"
