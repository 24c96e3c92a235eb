/* targets.c - the fuzzing entry points, shared by the libFuzzer harnesses
 * (tests/fuzz/fuzz_*.c, built by make fuzz with clang) and by the corpus replay in
 * the test suite (test_checkpoint.c), which feeds every seed and crash reproducer
 * listed in tests/fuzz/corpus.list through them. Each returns 0; a bug shows up as
 * an assertion, a sanitizer report or a crash. */
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "dataset/cifar.h"
#include "dataset/ppm.h"
#include "nn/model.h"
#include "train/checkpoint.h"

int fuzz_cifar_parse(const unsigned char *data, size_t len);
int fuzz_checkpoint_decode(const unsigned char *data, size_t len);
int fuzz_cli_parse(const unsigned char *data, size_t len);
int fuzz_ppm_parse(const unsigned char *data, size_t len);
int fuzz_netfile_parse(const unsigned char *data, size_t len);

/* Images of a parsed set run through the augmentation: at most this many. */
#define FUZZ_FILL_IMAGES 4
#define FUZZ_MAX_ARGS 64

/* First byte: the record limit (0 none); the rest: a batch file. */
int fuzz_cifar_parse(const unsigned char *data, size_t len)
{
    if (len < 1)
        return 0;
    CifarSet set = {0};
    Error err;
    if (cifar_parse(&set, data + 1, len - 1, "fuzz", data[0], &err) == STATUS_OK &&
        set.count > 0) {
        size_t idx[FUZZ_FILL_IMAGES];
        unsigned char labels[FUZZ_FILL_IMAGES];
        int n = set.count < FUZZ_FILL_IMAGES ? (int)set.count : FUZZ_FILL_IMAGES;
        for (int i = 0; i < n; i++)
            idx[i] = set.count - 1 - (size_t)i;
        float *x = malloc(sizeof(float) * FUZZ_FILL_IMAGES * CIFAR_IMAGE_BYTES);
        if (x) {
            CifarAugment aug = {.crop_pad = 4, .flip = true, .cutout = 8};
            Rng rng;
            rng_seed(&rng, data[0], RNG_STREAM_AUGMENT);
            cifar_fill_batch(&set, idx, n, x, labels, &aug, &rng, data[0] & 1);
            for (int i = 0; i < n; i++)
                if (labels[i] >= CIFAR_CLASSES)
                    abort();
        }
        free(x);
    }
    cifar_free(&set);
    return 0;
}

/* The length field and CRC are recomputed first, so mutations reach the fields
 * behind them (the unit tests cover the checks of both). A decoded checkpoint is
 * restored into a model built from its options at batch 1. */
int fuzz_checkpoint_decode(const unsigned char *data, size_t len)
{
    unsigned char *b = malloc(len ? len : 1);
    if (!b)
        return 0;
    if (len)
        memcpy(b, data, len);
    if (len >= 24) {
        for (int i = 0; i < 8; i++)
            b[12 + i] = (unsigned char)((uint64_t)len >> (8 * i));
        uint32_t crc = checkpoint_crc32(b, len - 4);
        for (int i = 0; i < 4; i++)
            b[len - 4 + (size_t)i] = (unsigned char)(crc >> (8 * i));
    }
    Checkpoint c;
    Error err;
    if (checkpoint_decode(&c, b, len, "fuzz", &err) == STATUS_OK) {
        ModelConfig mc = c.opts.model;
        mc.batch = 1, mc.threads = 1;
        Model m;
        if (model_build(&m, &mc, CIFAR_IMAGE_SHAPE, &err) == STATUS_OK) {
            (void)checkpoint_restore(&c, b, len, &m, "fuzz", &err);
            model_free(&m);
        }
        checkpoint_free(&c);
    }
    free(b);
    return 0;
}

/* Arguments separated by NUL or newline bytes. */
int fuzz_cli_parse(const unsigned char *data, size_t len)
{
    char *text = malloc(len + 1);
    CliCommand *cmd = malloc(sizeof *cmd);
    if (!text || !cmd) {
        free(text), free(cmd);
        return 0;
    }
    memcpy(text, data, len);
    text[len] = '\0';
    char *argv[FUZZ_MAX_ARGS + 1] = {"cifar-train"};
    int argc = 1;
    char *p = text, *end = text + len;
    while (p <= end && argc < FUZZ_MAX_ARGS) {
        char *q = p;
        while (q < end && *q != '\0' && *q != '\n')
            q++;
        *q = '\0';
        argv[argc++] = p;
        p = q + 1;
    }
    argv[argc] = NULL;
    Error err;
    (void)cli_parse(cmd, argc, argv, (len & 1) ? "env/data" : NULL, &err);
    free(text), free(cmd);
    return 0;
}

/* A PPM file; a decoded image must be left whole, a refused one untouched. */
int fuzz_ppm_parse(const unsigned char *data, size_t len)
{
    unsigned char planar[CIFAR_IMAGE_BYTES];
    memset(planar, 0xA5, sizeof planar);
    Error err;
    if (ppm_decode(data, len, "fuzz", planar, &err) != STATUS_OK)
        for (size_t i = 0; i < sizeof planar; i++)
            if (planar[i] != 0xA5)
                abort();
    return 0;
}

/* A parsed net is planned for CIFAR images; one small enough is built for 8x8 images
 * at batch 1 and run forward and backward, fused and plain, so the planner and the
 * fused passes meet every net the parser lets through. */
#define FUZZ_NET_MAX_PARAMS 2000

static void fuzz_net_run(ModelConfig *mc, size_t len)
{
    Shape4 image = {1, 3, 8, 8};
    Model *m = malloc(sizeof *m);
    float x[3 * 8 * 8];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
        x[i] = (float)((i * 7 + len) % 11) - 5.0f;
    mc->no_fuse = len & 1;
    Error err;
    if (m && model_build(m, mc, image, &err) == STATUS_OK) {
        model_init(m, len);
        model_forward(m, x, 1, true, len, NULL);
        float *dl = model_logits_grad(m, 1);
        dl[0] = 1.0f;
        model_backward(m, x, 1, len, NULL);
        model_free(m);
    }
    free(m);
}

/* Bytes of a network file; the norm and groups from its length. */
int fuzz_netfile_parse(const unsigned char *data, size_t len)
{
    NetFile *net = malloc(sizeof *net);
    ModelConfig *mc = calloc(1, sizeof *mc);
    Error err;
    if (net && mc && netfile_parse(net, (const char *)data, len, "fuzz", &err) ==
                         STATUS_OK && len < MODEL_TEXT_MAX) {
        *mc = (ModelConfig){.name = MODEL_FILE_NAME, .norm = (NormKind)(len % 3),
                            .groups = 1 + (int)(len % 2), .dropout = -1.0f,
                            .batch = 1, .threads = 1};
        memcpy(mc->text, data, len);
        size_t nparams = 0;
        if (model_check(mc, CIFAR_IMAGE_SHAPE, &nparams, &err) == STATUS_OK &&
            nparams <= FUZZ_NET_MAX_PARAMS)
            fuzz_net_run(mc, len);
    }
    free(net), free(mc);
    return 0;
}
