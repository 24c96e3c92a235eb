/* cifar.c - reads the CIFAR-10 binary batches into one CifarSet of bytes and turns
 * chosen images into normalised, optionally augmented float batches. Every byte from
 * a file is validated here (sizes, labels); a set is only changed once a whole file
 * has been accepted. Exported prefixes: cifar_. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "base/readfile.h"
#include "base/tensor.h"
#include "dataset/cifar.h"

const char *const cifar_class_names[CIFAR_CLASSES] = {
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
};

const float cifar_mean[CIFAR_CHANNELS] = {0.4914f, 0.4822f, 0.4465f};
const float cifar_std[CIFAR_CHANNELS] = {0.2470f, 0.2435f, 0.2616f};

#define FETCH_HINT "run scripts/fetch-data, or pass --data DIR or set CIFAR10_DIR"

/* Longest path built from a data directory and a batch file name. */
#define CIFAR_PATH_MAX 4096

/* Records per piece when reading a batch file: 3 MB at a time rather than the whole
 * 30 MB file, which used to sit beside the growing set and the model at the peak of
 * a run's memory. */
#define CIFAR_PIECE_RECORDS 1024

/* How many of count records fit under limit, given have already in the set. */
static size_t records_to_take(size_t count, size_t have, size_t limit)
{
    if (limit == 0)
        return count;
    if (have >= limit)
        return 0;
    return count < limit - have ? count : limit - have;
}

/* The first label above 9 among count records, reported with its index in the file
 * (first is the index of the first of them). */
static Status check_labels(const unsigned char *bytes, size_t count, size_t first,
                           const char *name, Error *err)
{
    for (size_t i = 0; i < count; i++) {
        unsigned label = bytes[i * CIFAR_RECORD_BYTES];
        if (label >= CIFAR_CLASSES)
            return error_set(err, STATUS_DATA,
                             "%s: record %zu (0-based) has label %u, want 0-%d", name,
                             first + i, label, CIFAR_CLASSES - 1);
    }
    return STATUS_OK;
}

/* One file's records on their way into a set, piece by piece: every label is
 * checked, records are stored past set->count (up to the limit), and set->count
 * moves only when the whole file has been accepted (append_end), so a failed file
 * leaves the set as it was. */
typedef struct {
    CifarSet *set;
    const char *name;
    size_t limit;
    size_t seen;      /* records of the file handled so far */
    size_t stored;    /* of which stored */
} Append;

/* Room for more records past set->count + a->stored. A successful realloc keeps
 * the old contents, so the set stays valid if the second one fails. */
static Status append_reserve(Append *a, size_t more, Error *err)
{
    CifarSet *set = a->set;
    size_t total, pixel_bytes;
    if (!size_add(set->count + a->stored, more, &total) ||
        !size_mul(total, CIFAR_IMAGE_BYTES, &pixel_bytes))
        return error_set(err, STATUS_NOMEM, "%s: dataset size overflows", a->name);
    unsigned char *labels = realloc(set->labels, total);
    if (!labels)
        return error_set(err, STATUS_NOMEM, "%s: out of memory for %zu labels",
                         a->name, total);
    set->labels = labels;
    unsigned char *pixels = realloc(set->pixels, pixel_bytes);
    if (!pixels)
        return error_set(err, STATUS_NOMEM, "%s: out of memory for %zu MB of images",
                         a->name, pixel_bytes >> 20);
    set->pixels = pixels;
    return STATUS_OK;
}

/* Takes the whole records among len bytes (ReadPieceFn). */
static Status append_piece(void *ctx, const unsigned char *bytes, size_t len,
                           Error *err)
{
    Append *a = ctx;
    size_t count = len / CIFAR_RECORD_BYTES;
    Status st = check_labels(bytes, count, a->seen, a->name, err);
    size_t take = records_to_take(count, a->set->count + a->stored, a->limit);
    if (st == STATUS_OK && take > 0)
        st = append_reserve(a, take, err);
    if (st != STATUS_OK)
        return st;
    for (size_t i = 0; i < take; i++) {
        const unsigned char *record = bytes + i * CIFAR_RECORD_BYTES;
        size_t at = a->set->count + a->stored + i;
        a->set->labels[at] = record[0];
        memcpy(a->set->pixels + at * CIFAR_IMAGE_BYTES, record + 1, CIFAR_IMAGE_BYTES);
    }
    a->seen += count;
    a->stored += take;
    return STATUS_OK;
}

/* The checks on a file's length: not empty, whole records. */
static Status check_length(size_t len, const char *name, Error *err)
{
    if (len == 0)
        return error_set(err, STATUS_DATA, "%s: empty file", name);
    if (len % CIFAR_RECORD_BYTES != 0)
        return error_set(err, STATUS_DATA,
                         "%s: %zu bytes is not a multiple of the %d-byte record "
                         "(%zu whole records; truncated?)",
                         name, len, CIFAR_RECORD_BYTES, len / CIFAR_RECORD_BYTES);
    return STATUS_OK;
}

/* Counts the stored records in when st is OK; else gives back the room taken for
 * them (all of it from an empty set; a shrinking realloc that fails keeps more
 * room, which is harmless). Returns st. */
static Status append_end(Append *a, Status st)
{
    CifarSet *set = a->set;
    if (st == STATUS_OK) {
        set->count += a->stored;
        return st;
    }
    if (set->count == 0) {
        cifar_free(set);
        return st;
    }
    unsigned char *labels = realloc(set->labels, set->count);
    if (labels)
        set->labels = labels;
    unsigned char *pixels = realloc(set->pixels, set->count * CIFAR_IMAGE_BYTES);
    if (pixels)
        set->pixels = pixels;
    return st;
}

Status cifar_parse(CifarSet *set, const unsigned char *bytes, size_t len,
                   const char *name, size_t limit, Error *err)
{
    Append a = {set, name, limit, 0, 0};
    Status st = check_length(len, name, err);
    if (st == STATUS_OK)
        st = append_piece(&a, bytes, len, err);
    return append_end(&a, st);
}

/* As cifar_parse on the file's bytes, read a piece at a time (a label error in a
 * truncated file is reported before the truncation). */
static Status read_counted(CifarSet *set, const char *path, size_t limit,
                           size_t *records, Error *err)
{
    Append a = {set, path, limit, 0, 0};
    size_t len;
    Status st = readfile_pieces(path, CIFAR_PIECE_RECORDS * CIFAR_RECORD_BYTES,
                                   append_piece, &a, &len, err);
    if (st == STATUS_OK)
        st = check_length(len, path, err);
    *records = a.seen;
    return append_end(&a, st);
}

Status cifar_read_file(CifarSet *set, const char *path, size_t limit, Error *err)
{
    size_t records;
    return read_counted(set, path, limit, &records, err);
}

/* Read dir/name, adding a hint on how to get the data when it cannot be opened. */
static Status load_file(CifarSet *set, const char *dir, const char *name,
                        size_t limit, Error *err)
{
    char path[CIFAR_PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return error_set(err, STATUS_USAGE, "data directory name too long: %.100s...",
                         dir);
    Error e;
    size_t records;
    Status st = read_counted(set, path, limit, &records, &e);
    if (st == STATUS_OK && records != CIFAR_RECORDS_PER_FILE && !set->odd[0])
        snprintf(set->odd, sizeof set->odd, "%.60s holds %zu records, not CIFAR-10's "
                 "%d (another data set, or a damaged copy?)", name, records,
                 CIFAR_RECORDS_PER_FILE);
    if (st == STATUS_IO)
        return error_set(err, st, "%s (%s)", e.msg, FETCH_HINT);
    if (st != STATUS_OK)
        return error_set(err, st, "%s", e.msg);
    return STATUS_OK;
}

static Status check_dir(const char *dir, Error *err)
{
    const char *kind = platform_kind(dir);
    if (!kind)
        return error_set(err, STATUS_IO, "data directory %s not found: " FETCH_HINT,
                         dir);
    if (strcmp(kind, "directory") != 0)
        return error_set(err, STATUS_IO, "data directory %s is a %s, not a directory: "
                         FETCH_HINT, dir, kind);
    return STATUS_OK;
}

Status cifar_load_train(CifarSet *set, const char *dir, size_t limit, Error *err)
{
    Status st = check_dir(dir, err);
    size_t before = set->count;
    for (int i = 1; st == STATUS_OK && i <= CIFAR_TRAIN_FILES; i++) {
        if (limit != 0 && set->count >= limit)
            break;
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", i);
        st = load_file(set, dir, name, limit, err);
    }
    /* Drop the files read before the failure, so a failed load changes nothing. */
    if (st != STATUS_OK)
        set->count = before;
    return st;
}

Status cifar_load_test(CifarSet *set, const char *dir, size_t limit, Error *err)
{
    Status st = check_dir(dir, err);
    if (st != STATUS_OK)
        return st;
    return load_file(set, dir, "test_batch.bin", limit, err);
}

void cifar_free(CifarSet *set)
{
    free(set->labels);
    free(set->pixels);
    set->labels = NULL;
    set->pixels = NULL;
    set->count = 0;
}

/* The random choices for one image. Offsets are where the crop window starts
 * relative to the unpadded image, in [-crop_pad, crop_pad]; cut_y/cut_x is the
 * cutout's top-left corner (may lie outside the image: clipped). */
typedef struct {
    int off_y, off_x;
    int flip;
    int cut_y, cut_x, cut_side;
} Draws;

/* Whether image index is mirrored in an alternating-flip epoch. */
static int alternate_flip(const CifarAugment *aug, size_t index)
{
    return (int)((rng_hash(aug->key, index) ^ (uint64_t)aug->epoch) & 1u);
}

/* Draws in a fixed order per image (crop y, crop x, flip, cutout y, cutout x), each
 * only when its augmentation is on, so a seed reproduces a batch exactly. */
static Draws draw_augment(const CifarAugment *aug, Rng *rng, size_t index,
                          int flip_all)
{
    Draws d = {0, 0, flip_all, 0, 0, 0};
    if (!aug)
        return d;
    if (aug->crop_pad > 0) {
        uint32_t span = 2u * (uint32_t)aug->crop_pad + 1u;
        d.off_y = (int)rng_below(rng, span) - aug->crop_pad;
        d.off_x = (int)rng_below(rng, span) - aug->crop_pad;
    }
    /* flip_all composes with the random flip: test-time flip of a flipped image. */
    if (aug->flip && aug->alternate)
        d.flip ^= alternate_flip(aug, index);
    else if (aug->flip)
        d.flip ^= (int)rng_below(rng, 2);
    if (aug->cutout > 0) {
        d.cut_side = aug->cutout;
        d.cut_y = (int)rng_below(rng, CIFAR_SIDE) - aug->cutout / 2;
        d.cut_x = (int)rng_below(rng, CIFAR_SIDE) - aug->cutout / 2;
    }
    return d;
}

/* One channel plane: out[y][x] = lut[src[y + off_y][x' + off_x]] with x' = x or its
 * mirror 31 - x; positions outside the image are 0 (the mean colour). */
static void fill_plane(float *out, const unsigned char *src, const float *lut,
                       const Draws *d)
{
    for (int y = 0; y < CIFAR_SIDE; y++) {
        float *row = out + y * CIFAR_SIDE;
        int sy = y + d->off_y;
        if (sy < 0 || sy >= CIFAR_SIDE) {
            memset(row, 0, CIFAR_SIDE * sizeof *row);
            continue;
        }
        const unsigned char *srow = src + sy * CIFAR_SIDE;
        for (int x = 0; x < CIFAR_SIDE; x++) {
            int sx = (d->flip ? CIFAR_SIDE - 1 - x : x) + d->off_x;
            row[x] = sx >= 0 && sx < CIFAR_SIDE ? lut[srow[sx]] : 0.0f;
        }
    }
}

static int clamp_side(int v)
{
    return v < 0 ? 0 : v > CIFAR_SIDE ? CIFAR_SIDE : v;
}

/* Zero the cutout square, clipped to the image, in one plane. */
static void cut_plane(float *out, const Draws *d)
{
    int y0 = clamp_side(d->cut_y), y1 = clamp_side(d->cut_y + d->cut_side);
    int x0 = clamp_side(d->cut_x), x1 = clamp_side(d->cut_x + d->cut_side);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            out[y * CIFAR_SIDE + x] = 0.0f;
}

void cifar_fill_batch(const CifarSet *set, const size_t *idx, int n, float *x,
                      unsigned char *labels, const CifarAugment *aug, Rng *rng,
                      int flip_all)
{
    assert(n >= 0 && (n == 0 || (idx && x && labels)));
    assert(!aug || rng);
    /* The CLI bounds these: beyond them every image would be blank anyway, and the
     * bounds keep the offset arithmetic well inside int. */
    assert(!aug || (aug->crop_pad >= 0 && aug->crop_pad <= CIFAR_SIDE));
    assert(!aug || (aug->cutout >= 0 && aug->cutout <= 2 * CIFAR_SIDE));
    /* (p/255 - mean)/std for every byte value, per channel. */
    float lut[CIFAR_CHANNELS][256];
    for (int c = 0; c < CIFAR_CHANNELS; c++)
        for (int v = 0; v < 256; v++)
            lut[c][v] = ((float)v / 255.0f - cifar_mean[c]) / cifar_std[c];

    for (int i = 0; i < n; i++) {
        assert(idx[i] < set->count);
        const unsigned char *src = set->pixels + idx[i] * CIFAR_IMAGE_BYTES;
        float *image = x + (size_t)i * CIFAR_IMAGE_BYTES;
        labels[i] = set->labels[idx[i]];
        Draws d = draw_augment(aug, rng, idx[i], flip_all != 0);
        for (int c = 0; c < CIFAR_CHANNELS; c++) {
            float *plane = image + c * CIFAR_PLANE_BYTES;
            fill_plane(plane, src + c * CIFAR_PLANE_BYTES, lut[c], &d);
            if (d.cut_side > 0)
                cut_plane(plane, &d);
        }
    }
}
