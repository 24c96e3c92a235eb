/* cifar.h - the CIFAR-10 binary batches: the only module that reads dataset files.
 * A record is 3073 bytes: label 0-9, then 1024 red, 1024 green, 1024 blue bytes,
 * each a row-major 32x32 plane. Images stay as bytes; batches are normalised and
 * augmented one at a time (cifar_fill_batch). Exported prefixes: cifar_, CIFAR_. */
#ifndef CIFAR_CIFAR_H
#define CIFAR_CIFAR_H

#include <stdbool.h>
#include <stddef.h>
#include "base/rng.h"
#include "base/status.h"
#include "base/tensor.h"

#define CIFAR_SIDE 32
#define CIFAR_CHANNELS 3
#define CIFAR_PLANE_BYTES (CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_IMAGE_BYTES (CIFAR_CHANNELS * CIFAR_PLANE_BYTES)
#define CIFAR_RECORD_BYTES (1 + CIFAR_IMAGE_BYTES)
#define CIFAR_CLASSES 10
/* One image as the model takes it (model_build). */
#define CIFAR_IMAGE_SHAPE ((Shape4){1, CIFAR_CHANNELS, CIFAR_SIDE, CIFAR_SIDE})
#define CIFAR_TRAIN_FILES 5
#define CIFAR_RECORDS_PER_FILE 10000

extern const char *const cifar_class_names[CIFAR_CLASSES];

typedef struct {
    size_t count;
    unsigned char *labels;  /* [count] */
    unsigned char *pixels;  /* [count][3][32][32], as in the file */
    /* Set by cifar_load_train/test to a note naming the first file read whose
     * record count is not CIFAR_RECORDS_PER_FILE ("" when all were): such files are
     * taken (small test sets are made this way) but worth a warning. */
    char odd[160];
} CifarSet;

/* Parse records from bytes in memory (name is used in messages), appending at most
 * limit - set->count of them to set (limit 0: no limit). Fails with STATUS_DATA if
 * len is 0 or not a multiple of CIFAR_RECORD_BYTES or a label is above 9 (naming the
 * record), STATUS_NOMEM if memory runs out; set is unchanged on failure. */
Status cifar_parse(CifarSet *set, const unsigned char *bytes, size_t len,
                   const char *name, size_t limit, Error *err);
/* Read one batch file and append its records as cifar_parse does. */
Status cifar_read_file(CifarSet *set, const char *path, size_t limit, Error *err);
/* data_batch_1.bin .. data_batch_5.bin in dir (only as many files as limit needs),
 * or test_batch.bin. A missing directory or file gets a message saying how to fetch
 * the data. limit 0: everything. */
Status cifar_load_train(CifarSet *set, const char *dir, size_t limit, Error *err);
Status cifar_load_test(CifarSet *set, const char *dir, size_t limit, Error *err);
void cifar_free(CifarSet *set);

/* Training augmentation; all off gives the plain normalised image. */
typedef struct {
    int crop_pad;   /* random crop of a zero-padded (in normalised space) image */
    bool flip;      /* random horizontal flip with probability 1/2 */
    int cutout;     /* side of a square zeroed at a random centre; 0 off */
    /* With flip: mirror each image every other epoch instead of at random. Whether
     * image i starts mirrored is a bit of rng_hash(key, i); the caller sets key (the
     * run's seed) and epoch (0-based) before each batch. It draws nothing from the
     * rng, so the crops and cutouts stay those of a random-flip run. */
    bool alternate;
    uint64_t key;
    int epoch;
} CifarAugment;

/* Per-channel mean and standard deviation of the training set, on the 0..1 scale. */
extern const float cifar_mean[CIFAR_CHANNELS];
extern const float cifar_std[CIFAR_CHANNELS];

/* Fill x[n][3][32][32] with (pixel/255 - mean)/std of images idx[0..n) and labels[n],
 * augmented with aug drawing from rng (aug NULL: none, rng unused). flip_all mirrors
 * every image (test-time flip). */
void cifar_fill_batch(const CifarSet *set, const size_t *idx, int n, float *x,
                      unsigned char *labels, const CifarAugment *aug, Rng *rng,
                      int flip_all);

#endif
