# cifar-train. `make` builds ./cifar-train for this machine (-march=native);
# `make test` builds and runs the suite with -Werror; `make sanitize` runs it under
# AddressSanitizer and UndefinedBehaviorSanitizer; `make portable` builds without
# -march=native. Each configuration has its own build directory.

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

SRC     := $(wildcard src/*.c)
LIBSRC  := $(filter-out src/main.c,$(SRC))
# The fuzzing entry points also replay their corpora in the suite.
TESTSRC := $(wildcard tests/*.c) tests/fuzz/targets.c

.PHONY: all test sanitize portable run clean fuzz fuzz-build valgrind

all: cifar-train

# --- release build: ./cifar-train --------------------------------------------------
REL := build/release
$(REL)/%.o: src/%.c | $(REL)
	$(CC) $(WARN) $(OPT) $(ARCH) $(EXTRA) $(CPPFLAGS) -c $< -o $@
cifar-train: $(SRC:src/%.c=$(REL)/%.o)
	$(CC) $(OPT) $(ARCH) $^ -o $@ $(LDLIBS)

# --- tests: -Werror, assertions on ---------------------------------------------------
TST := build/test
TFLAGS := $(WARN) -Werror $(OPT) $(ARCH) -g $(EXTRA)
$(TST)/src/%.o: src/%.c | $(TST)/src $(TST)/tests
	$(CC) $(TFLAGS) $(CPPFLAGS) -c $< -o $@
$(TST)/tests/%.o: tests/%.c | $(TST)/src $(TST)/tests
	$(CC) $(TFLAGS) $(CPPFLAGS) -Itests -c $< -o $@
$(TST)/run_tests: $(LIBSRC:src/%.c=$(TST)/src/%.o) $(TESTSRC:tests/%.c=$(TST)/tests/%.o)
	$(CC) $(TFLAGS) $^ -o $@ $(LDLIBS)

# The same suite again with the blocked conv built with its test tiles (tiny vectors,
# tiles and chunks), so that every edge and remainder path runs on small shapes.
$(TST)/tiles/conv_blocked.o: src/conv_blocked.c | $(TST)/src $(TST)/tests
	@mkdir -p $(TST)/tiles
	$(CC) $(TFLAGS) -DCONV_TEST_TILES $(CPPFLAGS) -c $< -o $@
$(TST)/run_tests_tiles: $(filter-out $(TST)/src/conv_blocked.o,$(LIBSRC:src/%.c=$(TST)/src/%.o)) \
                        $(TST)/tiles/conv_blocked.o $(TESTSRC:tests/%.c=$(TST)/tests/%.o)
	$(CC) $(TFLAGS) $^ -o $@ $(LDLIBS)

test: $(TST)/run_tests $(TST)/run_tests_tiles cifar-train
	./$(TST)/run_tests
	./$(TST)/run_tests_tiles
	sh tests/cli-errors.sh ./cifar-train

# --- sanitizers ----------------------------------------------------------------------
SAN := build/sanitize
SFLAGS := $(WARN) -Werror -O1 -g -fno-omit-frame-pointer \
          -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all
$(SAN)/src/%.o: src/%.c | $(SAN)/src $(SAN)/tests
	$(CC) $(SFLAGS) $(CPPFLAGS) -c $< -o $@
$(SAN)/tests/%.o: tests/%.c | $(SAN)/src $(SAN)/tests
	$(CC) $(SFLAGS) $(CPPFLAGS) -Itests -c $< -o $@
$(SAN)/run_tests: $(LIBSRC:src/%.c=$(SAN)/src/%.o) $(TESTSRC:tests/%.c=$(SAN)/tests/%.o)
	$(CC) $(SFLAGS) $^ -o $@ $(LDLIBS)

sanitize: $(SAN)/run_tests
	./$(SAN)/run_tests

# --- portable binary (no -march=native) ---------------------------------------------
POR := build/portable
$(POR)/%.o: src/%.c | $(POR)
	$(CC) $(WARN) $(OPT) $(CPPFLAGS) -c $< -o $@
portable: $(SRC:src/%.c=$(POR)/%.o)
	$(CC) $(OPT) $^ -o cifar-train-portable $(LDLIBS)

# --- the main job: train the default model (bn, 20 epochs) -------------------------
run: cifar-train
	sh scripts/run-default

# --- fuzzing (clang's libFuzzer): the batch-file parser, the checkpoint decoder and
# the option parser, each for FUZZ_SECONDS, one at a time, one job. New inputs go to
# build/fuzz/corpus-*; crashes to build/fuzz/ (copy reproducers to tests/fuzz/crashes
# and list them in tests/fuzz/corpus.list).
FUZZ := build/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := cifar_parse checkpoint_decode cli_parse
FZFLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/targets.c $(LIBSRC) $(wildcard include/*.h) | $(FUZZ)
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

$(TST)/tests/fuzz/targets.o: | $(TST)/tests/fuzz
$(SAN)/tests/fuzz/targets.o: | $(SAN)/tests/fuzz

$(REL) $(TST)/src $(TST)/tests $(SAN)/src $(SAN)/tests $(POR) $(FUZZ) \
$(TST)/tests/fuzz $(SAN)/tests/fuzz:
	mkdir -p $@

clean:
	rm -rf build cifar-train cifar-train-portable

-include $(wildcard build/*/*.d build/*/*/*.d build/*/*/*/*.d)
