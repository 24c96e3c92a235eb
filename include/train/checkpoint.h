/* checkpoint.h - the checkpoint format, encoded to and decoded from memory (report.c
 * writes the bytes, checkpoint_read_file reads them): the run's options, its progress
 * (epoch, step, position in the shuffled order, partial tallies, RNG states, the log
 * rows so far), every tensor's name and shape, then weights, momentum and running
 * statistics, and a CRC-32 of all of it. Integers and floats are little-endian.
 * Every byte is validated on decoding. Exported prefixes: checkpoint_, CHECKPOINT_. */
#ifndef CIFAR_CHECKPOINT_H
#define CIFAR_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/rng.h"
#include "base/status.h"
#include "dataset/cifar.h"
#include "nn/model.h"
#include "train/optim.h"
#include "train/runopts.h"

#define CHECKPOINT_FILE "checkpoint.bin"
#define CHECKPOINT_MAGIC "CIFARCKP"
#define CHECKPOINT_MAGIC_BYTES 8
/* Bump on any change of the layout (a new stored option too); older versions are
 * refused with a message. 2: the options in RUNOPTS_LIST's order. 3: the network's
 * file path and text before the options. 4: the run id in the progress record.
 * 5: the partial epoch's plain cross-entropy after its objective. 6: alt-flip. */
#define CHECKPOINT_VERSION 6u
/* Longest data directory stored, with its terminating NUL. */
#define CHECKPOINT_PATH_MAX RUNOPTS_PATH_MAX
/* Larger files are refused before reading (the s8 model's is about 1 MB). */
#define CHECKPOINT_MAX_BYTES ((size_t)1 << 30)

/* Everything but the tensors. Decoding fills it (order and log malloc'd, freed by
 * checkpoint_free); encoding reads it. */
typedef struct {
    /* the run's options; opts.model.name is one of model_name() or MODEL_FILE_NAME
     * after decoding, with the net's text in opts.model.text for a file.
     * opts.model.threads is not stored: decoding leaves it 0. */
    RunOptions opts;
    /* progress */
    uint64_t run_id;        /* drawn when the run started; log.csv and run.txt too */
    int epochs_done;        /* finished epochs: rows in the log */
    bool in_epoch;          /* epoch epochs_done + 1 has started: order is shuffled */
    uint64_t next;          /* its next image position in order (in_epoch only) */
    int64_t step;           /* SGD steps taken */
    double tally_loss;      /* that epoch's partial sums so far (in_epoch only): */
    double tally_ce;        /* objective and plain cross-entropy, */
    uint64_t tally_correct, tally_count;
    Rng shuffle, augment_rng;
    size_t train_count;     /* training images */
    size_t *order;          /* [train_count], a permutation of 0 .. train_count-1 */
    char *log;              /* the log's rows (no header), '\n'-terminated */
    size_t log_len;
    /* where the tensor table starts in the decoded buffer (set by decoding) */
    size_t tensors_at;
} Checkpoint;

/* CRC-32 (IEEE 802.3, as zlib computes it) of len bytes. */
uint32_t checkpoint_crc32(const void *data, size_t len);

/* Encode c and the parameters, momentum and running statistics of m into out, which
 * holds cap bytes. Returns the encoded size; with out NULL only measures. Returns 0
 * when cap is too small or a size overflows (a bug in the caller: sizes come from our
 * own model). */
size_t checkpoint_encode(unsigned char *out, size_t cap, const Checkpoint *c,
                         const Model *m);

/* Decode and validate everything but the tensor contents: magic, format version,
 * length, CRC, every option's range, the order being a permutation, the log having
 * epochs_done rows, the tensor table being well formed. name is used in messages.
 * Fails with STATUS_DATA naming what is wrong (not a checkpoint, another format
 * version, truncated, corrupt), STATUS_NOMEM if memory runs out; c then owns nothing. */
Status checkpoint_decode(Checkpoint *c, const unsigned char *bytes, size_t len,
                         const char *name, Error *err);

/* Copy the tensors of a decoded checkpoint (the same bytes) into m, a model built
 * from its options (any batch size and thread count). Fails with STATUS_DATA naming
 * the first tensor whose name or shape differs from the model's (a checkpoint of
 * another model or norm); m is unchanged on failure. */
Status checkpoint_restore(const Checkpoint *c, const unsigned char *bytes, size_t len,
                          Model *m, const char *name, Error *err);

void checkpoint_free(Checkpoint *c);

/* Read a whole checkpoint file into a malloc'd buffer (readfile_whole). Fails with
 * STATUS_IO if it cannot be opened or read or is not a regular file, STATUS_DATA if
 * it is larger than CHECKPOINT_MAX_BYTES (without reading it all), STATUS_NOMEM. */
Status checkpoint_read_file(const char *path, unsigned char **bytes, size_t *len,
                            Error *err);

#endif
