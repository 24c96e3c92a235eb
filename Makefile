# cifar-train. `make` builds ./cifar-train for this machine (-march=native);
# `make test` builds and runs the suite with -Werror, for this machine and again for
# a portable build (a second vector width); `make sanitize` runs it under
# AddressSanitizer and UndefinedBehaviorSanitizer; `make portable` builds without
# -march=native; `make mutate` checks that the suite catches each change listed in
# tests/mutants.txt. Each configuration has its own build directory, and its
# compiler and flags are part of it (build/*/flags): changing them rebuilds.

# Objects build on every processor unless -j says otherwise (a clean `make test`
# compiles four configurations).
ifeq ($(filter -j%,$(MAKEFLAGS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 2)
endif

CC      ?= cc
WARN    := -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wdouble-promotion -Wvla -Wformat=2
# Contraction of a*b+c into FMA is asked for on purpose: strict -std=c11 turns it
# off, and the conv micro-kernels depend on it.
OPT     := -O2 -ffp-contract=fast
ARCH    ?= -march=native
CPPFLAGS := -Iinclude -MMD -MP
LDLIBS  := -lm
# Extra flags for one build, e.g. make EXTRA=-DCONV_TEST_TILES
EXTRA   ?=

# Source folders from the bottom layer up; a file includes headers of its own
# folder and the ones before it only (tests/layers.sh checks).
LAYERS  := base kernels nn dataset report train cli
SRC     := $(foreach d,$(LAYERS),$(wildcard src/$(d)/*.c))
LIBSRC  := $(filter-out src/cli/main.c,$(SRC))
# The fuzzing entry points also replay their corpora in the suite.
TESTSRC := $(wildcard tests/*.c) tests/fuzz/targets.c

.PHONY: all test sanitize portable run clean fuzz fuzz-build valgrind mutate FORCE

all: cifar-train

# A build directory's flags file holds its compiler and flags; it is rewritten only
# when they change, and every object of the directory depends on it.
# $(call flags_stamp,DIR,FLAGS)
define flags_stamp
$(1)/flags: FORCE
	@mkdir -p $(1)
	@printf '%s\n' '$(CC) $(2)' | cmp -s - $$@ || printf '%s\n' '$(CC) $(2)' > $$@
endef

# $(call objects,DIR,FLAGS): the rules for DIR/src/... and DIR/tests/... objects.
define objects
$(call flags_stamp,$(1),$(2))
$(1)/src/%.o: src/%.c $(1)/flags
	@mkdir -p $$(@D)
	$(CC) $(2) $(CPPFLAGS) -c $$< -o $$@
$(1)/tests/%.o: tests/%.c $(1)/flags
	@mkdir -p $$(@D)
	$(CC) $(2) $(CPPFLAGS) -Itests -c $$< -o $$@
endef

# --- release build: ./cifar-train --------------------------------------------------
REL := build/release
RFLAGS := $(WARN) $(OPT) $(ARCH) $(EXTRA)
$(eval $(call objects,$(REL),$(RFLAGS)))
cifar-train: $(SRC:%.c=$(REL)/%.o)
	$(CC) $(OPT) $(ARCH) $^ -o $@ $(LDLIBS)

# --- tests: -Werror, assertions on ---------------------------------------------------
TST := build/test
TFLAGS := $(WARN) -Werror $(OPT) $(ARCH) -g $(EXTRA)
$(eval $(call objects,$(TST),$(TFLAGS)))
$(TST)/run_tests: $(LIBSRC:%.c=$(TST)/%.o) $(TESTSRC:%.c=$(TST)/%.o)
	$(CC) $(TFLAGS) $^ -o $@ $(LDLIBS)

# The same suite again with the blocked conv built with its test tiles (tiny vectors,
# tiles and chunks), so that every edge and remainder path runs on small shapes.
TIL := build/test-tiles
$(eval $(call objects,$(TIL),$(TFLAGS) -DCONV_TEST_TILES))
$(TIL)/run_tests: $(filter-out $(TST)/src/kernels/conv_blocked.o,$(LIBSRC:%.c=$(TST)/%.o)) \
                  $(TIL)/src/kernels/conv_blocked.o $(TESTSRC:%.c=$(TST)/%.o)
	$(CC) $(TFLAGS) $^ -o $@ $(LDLIBS)

# And once more built for any x86-64 (or whatever the compiler's default target is):
# the kernels' portable vector width, which -march=native never runs.
TPO := build/test-portable
TPFLAGS := $(WARN) -Werror $(OPT) -g $(EXTRA)
$(eval $(call objects,$(TPO),$(TPFLAGS)))
$(TPO)/run_tests: $(LIBSRC:%.c=$(TPO)/%.o) $(TESTSRC:%.c=$(TPO)/%.o)
	$(CC) $(TPFLAGS) $^ -o $@ $(LDLIBS)

test: $(TST)/run_tests $(TIL)/run_tests $(TPO)/run_tests cifar-train
	sh tests/layers.sh $(LAYERS)
	./$(TST)/run_tests
	./$(TIL)/run_tests
	./$(TPO)/run_tests
	sh tests/cli-errors.sh ./cifar-train
	sh tests/cli-output.sh ./cifar-train
	sh tests/png-python.sh ./cifar-train
	sh tests/progress-tty.sh ./cifar-train

# --- sanitizers ----------------------------------------------------------------------
SAN := build/sanitize
SFLAGS := $(WARN) -Werror -O1 -g -fno-omit-frame-pointer \
          -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
$(eval $(call objects,$(SAN),$(SFLAGS)))
$(SAN)/run_tests: $(LIBSRC:%.c=$(SAN)/%.o) $(TESTSRC:%.c=$(SAN)/%.o)
	$(CC) $(SFLAGS) $^ -o $@ $(LDLIBS)

sanitize: $(SAN)/run_tests
	./$(SAN)/run_tests

# --- portable binary (no -march=native) ---------------------------------------------
POR := build/portable
PFLAGS := $(WARN) $(OPT) $(EXTRA)
$(eval $(call objects,$(POR),$(PFLAGS)))
portable: $(SRC:%.c=$(POR)/%.o)
	$(CC) $(OPT) $^ -o cifar-train-portable $(LDLIBS)

# --- the main job: train the default model (bn, 20 epochs) -------------------------
run: cifar-train
	sh scripts/run-default

# --- mutation check: each one-line change in tests/mutants.txt, applied to a scratch
# copy of the tree, must make the suite fail. Last line: N mutants, K killed, S
# survived. MUTANTS=pattern runs only the mutants whose file or note matches.
mutate:
	sh tests/mutate.sh

# --- fuzzing (clang's libFuzzer): the batch-file parser, the checkpoint decoder,
# the option parser, the network-file parser and the PPM reader, each for
# FUZZ_SECONDS, one at a time, one job. New inputs go to build/fuzz/corpus-*;
# crashes to build/fuzz/ (copy
# reproducers to tests/fuzz/crashes and list them in tests/fuzz/corpus.list).
FUZZ := build/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := cifar_parse checkpoint_decode cli_parse netfile_parse ppm_parse
FZFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/targets.c $(LIBSRC) \
                $(wildcard include/*/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FZFLAGS) -Iinclude $(filter %.c,$^) -o $@ $(LDLIBS)
fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ)/fuzz_%)
fuzz: fuzz-build
	for t in $(FUZZ_TARGETS); do mkdir -p $(FUZZ)/corpus-$$t && \
	    ./$(FUZZ)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(FUZZ)/ $(FUZZ)/corpus-$$t tests/fuzz/seeds/$$t || exit 1; \
	done

# --- valgrind: a tiny training run under memcheck, no errors and no leaks; on the
# portable binary, as valgrind does not know every -march=native instruction ---------
valgrind: portable
	sh tests/valgrind.sh ./cifar-train-portable

FORCE:

clean:
	rm -rf build cifar-train cifar-train-portable

-include $(shell find build -name '*.d' 2>/dev/null)
