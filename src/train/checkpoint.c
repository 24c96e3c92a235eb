/* checkpoint.c - the checkpoint format (see checkpoint.h): a bounds-checked writer
 * and reader over a byte buffer, the tensor table derived from the model's layers,
 * and CRC-32. Layout, all little-endian:
 *   magic[8] u32 version u64 total_bytes
 *   the network: u32 length and bytes of its file's path, u32 length and bytes of
 *     its text (both empty for a built-in model),
 *   options (RUNOPTS_LIST's KEEP and FREE ones in its order; by kind: u32 int,
 *     u64 size and seed, f64 and f32 reals, u8 bools and choices, u8 length and
 *     bytes of the model name, u32 length and bytes of a path),
 *   progress, order u32[train_count], log rows
 *   u32 ntensors, each {u8 name_len, name, u8 kind (0 parameters, 1 statistics),
 *                       u8 ndim, u32 dims[ndim]}
 *   f32 parameters (each parameter tensor in table order), f32 momentum (same
 *   order), f32 statistics (each statistics tensor in table order)
 *   u32 CRC-32 of every byte before it */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/readfile.h"
#include "report/report.h"
#include "train/checkpoint.h"

/* magic, version, total length */
#define HEADER_BYTES (CHECKPOINT_MAGIC_BYTES + 4 + 8)
#define CRC_BYTES 4
#define TENSOR_PARAMS 0
#define TENSOR_STATS 1
#define TENSOR_NAME_MAX 32
#define TENSOR_MAX_DIMS 4
/* Longest model name stored, with a terminating NUL: the format's limit. */
#define MODEL_NAME_MAX 16

uint32_t checkpoint_crc32(const void *data, size_t len)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1u ? 0xEDB88320u ^ (c >> 1) : c >> 1;   /* reflected polynomial */
        table[i] = c;
    }
    const unsigned char *p = data;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        crc = table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

/* --- the tensor table, from the model ---------------------------------------------- */

/* Shape of layer l's parameters or statistics into dims; returns ndim, 0 if the layer
 * has none. Conv weights are [cout][cin][k][k]; norm parameters [2][C] (gamma then
 * beta); batch-norm statistics [2][C] (mean then variance). */
static int tensor_dims(const Layer *l, int kind, uint32_t dims[TENSOR_MAX_DIMS])
{
    size_t n = kind == TENSOR_PARAMS ? l->nparams : l->nstats;
    if (n == 0)
        return 0;
    if ((kind == TENSOR_PARAMS && layer_ops[l->kind].conv) ||
        (kind == TENSOR_STATS && layer_ops[l->kind].fit)) {
        dims[0] = (uint32_t)l->cout, dims[1] = (uint32_t)l->in_shape.c;
        dims[2] = dims[3] = (uint32_t)l->k;
        return 4;
    }
    if (n == 2 * (size_t)l->in_shape.c) {
        dims[0] = 2, dims[1] = (uint32_t)l->in_shape.c;
        return 2;
    }
    dims[0] = (uint32_t)n;
    return 1;
}

static void tensor_name(char *buf, const Layer *l, int kind)
{
    snprintf(buf, TENSOR_NAME_MAX, "%s.%s", l->name,
             kind == TENSOR_PARAMS ? "param" : "stats");
}

/* --- writer ------------------------------------------------------------------------ */

typedef struct {
    unsigned char *out;     /* NULL: measure only */
    size_t cap, pos;
    bool overflow;
} Writer;

static void put_bytes(Writer *w, const void *p, size_t n)
{
    if (w->overflow || n > SIZE_MAX - w->pos) {
        w->overflow = true;
        return;
    }
    if (w->out) {
        if (w->pos + n > w->cap) {
            w->overflow = true;
            return;
        }
        if (n)
            memcpy(w->out + w->pos, p, n);
    }
    w->pos += n;
}

/* The low n bytes of v, little-endian: the file's byte order on any host. */
static void put_le(Writer *w, uint64_t v, int n)
{
    unsigned char b[8];
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    put_bytes(w, b, (size_t)n);
}

static void put_u64(Writer *w, uint64_t v)
{
    put_le(w, v, 8);
}

static void put_u32(Writer *w, uint32_t v)
{
    put_le(w, v, 4);
}

static void put_u8(Writer *w, unsigned v)
{
    put_le(w, v, 1);
}

static void put_f32(Writer *w, float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    put_u32(w, u);
}

static void put_f64(Writer *w, double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    put_u64(w, u);
}

static void put_floats(Writer *w, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_f32(w, v[i]);
}

/* An option's value by its kind (runopts.h): whole numbers in 4 or 8 bytes, choices
 * and bools in one, reals as they are, strings as their length then their bytes. */
#define PUT_INT(w, v) put_u32(w, (uint32_t)(v))
#define PUT_SIZE(w, v) put_u64(w, (uint64_t)(v))
#define PUT_U64 put_u64
#define PUT_REAL put_f64
#define PUT_FLOAT put_f32
#define PUT_CHOICE(w, v) put_u8(w, (unsigned)(v))
#define PUT_ON(w, v) put_u8(w, (v) ? 1u : 0u)
#define PUT_OFF PUT_ON
#define PUT_ONOFF PUT_ON
#define PUT_MODEL put_model_name
#define PUT_PATH put_path

/* Every KEEP and FREE option, in RUNOPTS_LIST's order. */
#define STORE(where, kind, field, name, arg, lo, hi, def, help)                       \
    STORE_##where(PUT_##kind(w, o->field))
#define STORE_KEEP(put) put;
#define STORE_FREE(put) put;
#define STORE_TRAIN(put)
#define STORE_CLI(put)
#define STORE_ACT(put)

static void put_model_name(Writer *w, const char *name)
{
    size_t len = strlen(name);
    assert(len > 0 && len < MODEL_NAME_MAX);   /* our own models' names */
    put_u8(w, (unsigned)len);
    put_bytes(w, name, len);
}

static void put_path(Writer *w, const char *path)
{
    size_t len = strlen(path);
    put_u32(w, (uint32_t)len);
    put_bytes(w, path, len);
}

/* Field by field, not the struct's bytes: the layout on disk stays fixed whatever
 * the compiler does with RunOptions. model.threads is not part of the run. */
static void put_options(Writer *w, const RunOptions *o)
{
    RUNOPTS_LIST(STORE)
}

/* The net's text, so a resumed run needs no file; a built-in's is its name. */
static void put_network(Writer *w, const ModelConfig *mc)
{
    size_t source = strlen(mc->source), text = strlen(mc->text);
    put_u32(w, (uint32_t)source);
    put_bytes(w, mc->source, source);
    put_u32(w, (uint32_t)text);
    put_bytes(w, mc->text, text);
}

static void put_progress(Writer *w, const Checkpoint *c)
{
    put_u64(w, c->run_id);
    put_u32(w, (uint32_t)c->epochs_done);
    put_u8(w, c->in_epoch);
    put_u64(w, c->next);
    put_u64(w, (uint64_t)c->step);
    put_f64(w, c->tally_loss);
    put_f64(w, c->tally_ce);
    put_u64(w, c->tally_correct);
    put_u64(w, c->tally_count);
    put_u64(w, c->shuffle.state);
    put_u64(w, c->shuffle.inc);
    put_u64(w, c->augment_rng.state);
    put_u64(w, c->augment_rng.inc);
    put_u64(w, c->train_count);
    for (size_t i = 0; i < c->train_count; i++)
        put_u32(w, (uint32_t)c->order[i]);
    put_u32(w, (uint32_t)c->log_len);
    put_bytes(w, c->log, c->log_len);
}

static void put_tensors(Writer *w, const Model *m)
{
    uint32_t n = 0, dims[TENSOR_MAX_DIMS];
    for (int i = 0; i < m->nlayers; i++)
        n += (m->layers[i].nparams > 0) + (m->layers[i].nstats > 0);
    put_u32(w, n);
    for (int i = 0; i < m->nlayers; i++)
        for (int kind = TENSOR_PARAMS; kind <= TENSOR_STATS; kind++) {
            int ndim = tensor_dims(&m->layers[i], kind, dims);
            if (ndim == 0)
                continue;
            char name[TENSOR_NAME_MAX];
            tensor_name(name, &m->layers[i], kind);
            put_u8(w, (unsigned)strlen(name));
            put_bytes(w, name, strlen(name));
            put_u8(w, (unsigned)kind);
            put_u8(w, (unsigned)ndim);
            for (int d = 0; d < ndim; d++)
                put_u32(w, dims[d]);
        }
    for (int i = 0; i < m->nlayers; i++)
        put_floats(w, m->layers[i].param, m->layers[i].nparams);
    for (int i = 0; i < m->nlayers; i++) {
        const Layer *l = &m->layers[i];
        if (l->nparams)
            put_floats(w, m->moms.base + (l->param - m->params.base), l->nparams);
    }
    for (int i = 0; i < m->nlayers; i++)
        put_floats(w, m->layers[i].stats, m->layers[i].nstats);
}

size_t checkpoint_encode(unsigned char *out, size_t cap, const Checkpoint *c,
                         const Model *m)
{
    Writer w = {out, cap, 0, false};
    put_bytes(&w, CHECKPOINT_MAGIC, CHECKPOINT_MAGIC_BYTES);
    put_u32(&w, CHECKPOINT_VERSION);
    size_t total_at = w.pos;
    put_u64(&w, 0);   /* total length, filled in below */
    put_network(&w, &c->opts.model);
    put_options(&w, &c->opts);
    put_progress(&w, c);
    put_tensors(&w, m);
    size_t total = w.pos + CRC_BYTES;
    if (w.overflow || total < w.pos)
        return 0;
    if (out) {
        Writer at = {out, cap, total_at, false};
        put_u64(&at, total);
        put_u32(&w, checkpoint_crc32(out, w.pos));
        if (w.overflow)
            return 0;
    }
    return total;
}

/* --- reader ------------------------------------------------------------------------ */

typedef struct {
    const unsigned char *p;
    size_t len, pos;
    bool short_read;    /* a field ran past the end */
} Reader;

static const unsigned char *get_bytes(Reader *r, size_t n)
{
    if (r->short_read || n > r->len - r->pos) {
        r->short_read = true;
        return NULL;
    }
    const unsigned char *p = r->p + r->pos;
    r->pos += n;
    return p;
}

/* n bytes, little-endian (put_le); 0 past the end (short_read says so). */
static uint64_t get_le(Reader *r, int n)
{
    const unsigned char *b = get_bytes(r, (size_t)n);
    uint64_t v = 0;
    for (int i = 0; b && i < n; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static uint64_t get_u64(Reader *r)
{
    return get_le(r, 8);
}

static uint32_t get_u32(Reader *r)
{
    return (uint32_t)get_le(r, 4);
}

static unsigned get_u8(Reader *r)
{
    return (unsigned)get_le(r, 1);
}

static float get_f32(Reader *r)
{
    uint32_t u = get_u32(r);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static double get_f64(Reader *r)
{
    uint64_t u = get_u64(r);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static bool in_range(double v, double lo, double hi)
{
    return v >= lo && v <= hi;   /* false for NaN */
}

/* A corrupt field: named in the message. */
static Status corrupt(Error *err, const char *name, const char *what)
{
    return error_set(err, STATUS_DATA, "%s is corrupt: %s", name, what);
}

/* An option that does not hold a value the command line could have given: named in
 * the message, unless the record ran past the end first. */
static Status bad_option(const Reader *r, const char *name, const char *what,
                         const char *option, Error *err)
{
    if (r->short_read)
        return corrupt(err, name, "the options run past the end");
    return error_set(err, STATUS_DATA, "%s is corrupt: %s (--%s)", name, what, option);
}

static Status get_int(Reader *r, int *v, const char *option, double lo, double hi,
                      const char *name, Error *err)
{
    uint32_t u = get_u32(r);
    int64_t i = u <= INT32_MAX ? (int64_t)u : (int64_t)u - ((int64_t)1 << 32);
    if (!in_range((double)i, lo, hi))
        return bad_option(r, name, "an option is out of range", option, err);
    *v = (int)i;
    return STATUS_OK;
}

static Status get_size(Reader *r, size_t *v, const char *option, double lo, double hi,
                       const char *name, Error *err)
{
    uint64_t u = get_u64(r);
    if (!in_range((double)u, lo, hi) || u > SIZE_MAX)
        return bad_option(r, name, "an option is out of range", option, err);
    *v = (size_t)u;
    return STATUS_OK;
}

static Status get_real(Reader *r, double *v, const char *option, double lo, double hi,
                       const char *name, Error *err)
{
    *v = get_f64(r);
    if (!in_range(*v, lo, hi))
        return bad_option(r, name, "a real-valued option is out of range", option, err);
    return STATUS_OK;
}

/* The range as floats: the command line checks the value it reads and then rounds
 * it to float, which may round past the bound (0.99 does). */
static Status get_float(Reader *r, float *v, const char *option, double lo, double hi,
                        const char *name, Error *err)
{
    *v = get_f32(r);
    if (!in_range((double)*v, (double)(float)lo, (double)(float)hi))
        return bad_option(r, name, "a real-valued option is out of range", option, err);
    return STATUS_OK;
}

static Status get_bool(Reader *r, bool *v, const char *option, const char *name,
                       Error *err)
{
    unsigned b = get_u8(r);
    if (b > 1)
        return bad_option(r, name, "an option is out of range", option, err);
    *v = b;
    return STATUS_OK;
}

/* A choice: an index below the number of words of its arg. */
static Status get_choice(Reader *r, int *v, const char *option, const char *arg,
                         const char *name, Error *err)
{
    size_t len;
    *v = (int)get_u8(r);
    if (!runopts_choice(arg, *v, &len))
        return bad_option(r, name, "an option is out of range", option, err);
    return STATUS_OK;
}

/* The model_name() string equal to s (or MODEL_FILE_NAME), NULL if this build has
 * no such model. */
static const char *known_model(const char *s)
{
    const char *m;
    if (strcmp(s, MODEL_FILE_NAME) == 0)
        return MODEL_FILE_NAME;
    for (size_t i = 0; (m = model_name(i, NULL)) != NULL; i++)
        if (strcmp(m, s) == 0)
            return m;
    return NULL;
}

static Status get_model_name(Reader *r, const char **v, const char *option,
                             const char *name, Error *err)
{
    char model[MODEL_NAME_MAX];
    unsigned len = get_u8(r);
    const unsigned char *s = get_bytes(r, len);
    if (!s || len == 0 || len >= sizeof model)
        return bad_option(r, name, "bad model name", option, err);
    memcpy(model, s, len);
    model[len] = '\0';
    *v = known_model(model);
    if (!*v)
        return error_set(err, STATUS_DATA, "%s is of model '%.15s', which this build "
                         "does not have", name, model);
    return STATUS_OK;
}

static Status get_path(Reader *r, char *v, size_t cap, const char *option,
                       const char *name, Error *err)
{
    uint32_t len = get_u32(r);
    const unsigned char *s = get_bytes(r, len);
    if (!s || len == 0 || len >= cap || memchr(s, '\0', len))
        return bad_option(r, name, "bad path", option, err);
    memcpy(v, s, len);
    v[len] = '\0';
    return STATUS_OK;
}

/* len bytes without NUL into v[cap], NUL-terminated. */
static bool get_text(Reader *r, char *v, size_t cap)
{
    uint32_t len = get_u32(r);
    const unsigned char *s = get_bytes(r, len);
    if (!s || len >= cap || memchr(s, '\0', len))
        return false;
    memcpy(v, s, len);
    v[len] = '\0';
    return true;
}

static Status get_network(Reader *r, ModelConfig *mc, const char *name, Error *err)
{
    if (!get_text(r, mc->source, sizeof mc->source) ||
        !get_text(r, mc->text, sizeof mc->text))
        return corrupt(err, name, "bad network text");
    return STATUS_OK;
}

/* A net's text goes with the model name of a file, and only with it. */
static Status check_network(const ModelConfig *mc, const char *name, Error *err)
{
    if ((mc->text[0] != '\0') != (strcmp(mc->name, MODEL_FILE_NAME) == 0))
        return corrupt(err, name, "the model name and the network text disagree");
    return STATUS_OK;
}

/* Each kind's reader for field f of option n; choices go through an int, the field
 * being an enum. */
#define GET_INT(f, n, arg, lo, hi) get_int(r, &(f), n, lo, hi, name, err)
#define GET_SIZE(f, n, arg, lo, hi) get_size(r, &(f), n, lo, hi, name, err)
#define GET_REAL(f, n, arg, lo, hi) get_real(r, &(f), n, lo, hi, name, err)
#define GET_FLOAT(f, n, arg, lo, hi) get_float(r, &(f), n, lo, hi, name, err)
#define GET_U64(f, n, arg, lo, hi) ((f) = get_u64(r), STATUS_OK)
#define GET_ON(f, n, arg, lo, hi) get_bool(r, &(f), n, name, err)
#define GET_OFF GET_ON
#define GET_ONOFF GET_ON
#define GET_CHOICE(f, n, arg, lo, hi)                                                 \
    (got = get_choice(r, &choice, n, arg, name, err), (f) = choice, got)
#define GET_MODEL(f, n, arg, lo, hi) get_model_name(r, &(f), n, name, err)
#define GET_PATH(f, n, arg, lo, hi) get_path(r, f, sizeof(f), n, name, err)

#define LOAD(where, kind, field, option, arg, lo, hi, def, help)                      \
    LOAD_##where(GET_##kind(o->field, option, arg, lo, hi))
#define LOAD_KEEP(get)                                                                \
    if (st == STATUS_OK)                                                              \
        st = get;
#define LOAD_FREE LOAD_KEEP
#define LOAD_TRAIN(get)
#define LOAD_CLI(get)
#define LOAD_ACT(get)

/* The options in the order put_options writes them, each checked against its
 * range; threads stays 0. */
static Status get_options(Reader *r, RunOptions *o, const char *name, Error *err)
{
    Status st = STATUS_OK, got;
    int choice;
    RUNOPTS_LIST(LOAD)
    if (st == STATUS_OK && r->short_read)
        st = corrupt(err, name, "the options run past the end");
    return st;
}

/* The order must be a permutation: every index below train_count exactly once. */
static Status get_order(Reader *r, Checkpoint *c, const char *name, Error *err)
{
    size_t bytes;
    if (c->train_count == 0 || c->train_count > UINT32_MAX ||
        !size_mul(c->train_count, 4, &bytes) || bytes > r->len - r->pos)
        return corrupt(err, name, "bad training-set size");
    c->order = malloc(c->train_count * sizeof *c->order);
    unsigned char *seen = calloc(c->train_count, 1);
    Status st = STATUS_OK;
    if (!c->order || !seen)
        st = error_set(err, STATUS_NOMEM, "%s: out of memory", name);
    for (size_t i = 0; st == STATUS_OK && i < c->train_count; i++) {
        uint32_t v = get_u32(r);
        if (v >= c->train_count || seen[v])
            st = corrupt(err, name, "the shuffled order is not a permutation");
        else
            seen[v] = 1, c->order[i] = v;
    }
    free(seen);
    return st;
}

static Status get_log(Reader *r, Checkpoint *c, const char *name, Error *err)
{
    uint32_t len = get_u32(r);
    const unsigned char *s = get_bytes(r, len);
    if (!s)
        return corrupt(err, name, "the log runs past the end");
    size_t rows = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] == '\0')
            return corrupt(err, name, "the log holds a NUL byte");
        rows += s[i] == '\n';
    }
    if (rows != (size_t)c->epochs_done || (len > 0 && s[len - 1] != '\n'))
        return corrupt(err, name, "the log does not hold one row per finished epoch");
    c->log = malloc((size_t)len + 1);
    if (!c->log)
        return error_set(err, STATUS_NOMEM, "%s: out of memory", name);
    memcpy(c->log, s, len);
    c->log[len] = '\0';
    c->log_len = len;
    return STATUS_OK;
}

static Status get_progress(Reader *r, Checkpoint *c, const char *name, Error *err)
{
    c->run_id = get_u64(r);
    uint32_t done = get_u32(r);
    unsigned in_epoch = get_u8(r);
    c->next = get_u64(r);
    uint64_t step = get_u64(r);
    c->tally_loss = get_f64(r);
    c->tally_ce = get_f64(r);
    c->tally_correct = get_u64(r);
    c->tally_count = get_u64(r);
    c->shuffle.state = get_u64(r);
    c->shuffle.inc = get_u64(r);
    c->augment_rng.state = get_u64(r);
    c->augment_rng.inc = get_u64(r);
    uint64_t count = get_u64(r);
    if (r->short_read)
        return corrupt(err, name, "the progress record runs past the end");
    uint32_t epochs = (uint32_t)c->opts.epochs, batch = (uint32_t)c->opts.model.batch;
    if (done > epochs || in_epoch > 1 || (in_epoch && done == epochs))
        return corrupt(err, name, "bad epoch count");
    if (count == 0 || count > UINT32_MAX)
        return corrupt(err, name, "bad training-set size");
    /* Steps are determined by the position: whole epochs, then the batches taken. */
    uint64_t per_epoch = (count + batch - 1) / batch;
    uint64_t taken = (c->next + batch - 1) / batch;
    if (c->next > count || (!in_epoch && c->next != 0) || step != done * per_epoch + taken)
        return corrupt(err, name, "the step count does not match the position");
    if (c->tally_count != c->next || c->tally_correct > c->tally_count ||
        !isfinite(c->tally_loss) || !isfinite(c->tally_ce) ||
        (!in_epoch && (c->tally_loss != 0.0 || c->tally_ce != 0.0)))
        return corrupt(err, name, "bad partial tallies");
    if (!(c->shuffle.inc & 1u) || !(c->augment_rng.inc & 1u))
        return corrupt(err, name, "bad random-number state");
    c->epochs_done = (int)done;
    c->in_epoch = in_epoch;
    c->step = (int64_t)step;
    c->train_count = (size_t)count;
    Status st = get_order(r, c, name, err);
    if (st == STATUS_OK)
        st = get_log(r, c, name, err);
    return st;
}

/* One entry of the tensor table; false when it is malformed. */
typedef struct {
    char name[TENSOR_NAME_MAX];
    int kind, ndim;
    uint32_t dims[TENSOR_MAX_DIMS];
    size_t count;
} TensorEntry;

static bool get_tensor(Reader *r, TensorEntry *t)
{
    unsigned len = get_u8(r);
    const unsigned char *s = get_bytes(r, len);
    t->kind = (int)get_u8(r);
    t->ndim = (int)get_u8(r);
    if (!s || len == 0 || len >= TENSOR_NAME_MAX || memchr(s, '\0', len) ||
        t->kind > TENSOR_STATS || t->ndim < 1 || t->ndim > TENSOR_MAX_DIMS)
        return false;
    memcpy(t->name, s, len);
    t->name[len] = '\0';
    t->count = 1;
    for (int d = 0; d < t->ndim; d++) {
        t->dims[d] = get_u32(r);
        if (t->dims[d] == 0 || !size_mul(t->count, t->dims[d], &t->count))
            return false;
    }
    return !r->short_read;
}

/* Walk the table; the float data must fill exactly what is left before the CRC. */
static Status check_tensors(Reader *r, const char *name, Error *err)
{
    uint32_t n = get_u32(r);
    size_t floats = 0;
    if (n == 0 || n > 2 * MODEL_MAX_LAYERS)
        return corrupt(err, name, "bad tensor count");
    for (uint32_t i = 0; i < n; i++) {
        TensorEntry t;
        size_t f;
        if (!get_tensor(r, &t))
            return corrupt(err, name, "bad tensor table");
        /* parameters come twice: the weights and their momentum */
        if (!size_mul(t.count, t.kind == TENSOR_PARAMS ? 2 : 1, &f) ||
            !size_add(floats, f, &floats))
            return corrupt(err, name, "tensor sizes overflow");
    }
    size_t bytes;
    if (!size_mul(floats, 4, &bytes) || bytes != r->len - r->pos)
        return corrupt(err, name, "the tensor data does not fit the tensor table");
    return STATUS_OK;
}

/* Magic, version, length and CRC, with a message for each way they fail. */
static Status check_envelope(const unsigned char *bytes, size_t len, const char *name,
                             Error *err)
{
    size_t magic_seen = len < CHECKPOINT_MAGIC_BYTES ? len : CHECKPOINT_MAGIC_BYTES;
    if (memcmp(bytes, CHECKPOINT_MAGIC, magic_seen) != 0)
        return error_set(err, STATUS_DATA, "%s is not a cifar-train checkpoint", name);
    if (len < HEADER_BYTES + CRC_BYTES)
        return error_set(err, STATUS_DATA, "%s is truncated (%zu bytes)", name, len);
    Reader r = {bytes, len, CHECKPOINT_MAGIC_BYTES, false};
    uint32_t version = get_u32(&r);
    uint64_t total = get_u64(&r);
    if (version != CHECKPOINT_VERSION)
        return error_set(err, STATUS_DATA, "%s has format version %u; this build reads "
                         "version %u", name, (unsigned)version, CHECKPOINT_VERSION);
    if (total > len)
        return error_set(err, STATUS_DATA, "%s is truncated: %zu of %llu bytes", name,
                         len, (unsigned long long)total);
    if (total < len)
        return error_set(err, STATUS_DATA, "%s is corrupt: %zu bytes, the header says "
                         "%llu", name, len, (unsigned long long)total);
    Reader tail = {bytes, len, len - CRC_BYTES, false};
    if (get_u32(&tail) != checkpoint_crc32(bytes, len - CRC_BYTES))
        return error_set(err, STATUS_DATA, "%s is corrupt: its CRC-32 does not match",
                         name);
    return STATUS_OK;
}

Status checkpoint_decode(Checkpoint *c, const unsigned char *bytes, size_t len,
                         const char *name, Error *err)
{
    memset(c, 0, sizeof *c);
    Status st = check_envelope(bytes, len, name, err);
    if (st != STATUS_OK)
        return st;
    Reader r = {bytes, len - CRC_BYTES, HEADER_BYTES, false};
    st = get_network(&r, &c->opts.model, name, err);
    if (st == STATUS_OK)
        st = get_options(&r, &c->opts, name, err);
    if (st == STATUS_OK)
        st = check_network(&c->opts.model, name, err);
    if (st == STATUS_OK)
        st = get_progress(&r, c, name, err);
    if (st == STATUS_OK) {
        c->tensors_at = r.pos;
        st = check_tensors(&r, name, err);
    }
    if (st != STATUS_OK)
        checkpoint_free(c);
    return st;
}

static void get_floats(Reader *r, float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = get_f32(r);
}

/* "name [d0 d1 ...]" into buf. */
static void show_tensor(char *buf, size_t cap, const char *name, const uint32_t *dims,
                        int ndim)
{
    int used = snprintf(buf, cap, "%s [", name);
    for (int d = 0; d < ndim && used > 0 && (size_t)used < cap; d++)
        used += snprintf(buf + used, cap - (size_t)used, d ? " %u" : "%u",
                         (unsigned)dims[d]);
    if (used > 0 && (size_t)used < cap)
        snprintf(buf + used, cap - (size_t)used, "]");
}

/* Tensor at of the checkpoint (t; NULL if missing) is not the model's want. */
static Status misfit(const Checkpoint *c, const char *name, uint32_t at,
                     const TensorEntry *t, const char *want, const uint32_t *dims,
                     int ndim, Error *err)
{
    char have[TENSOR_NAME_MAX + 64], need[TENSOR_NAME_MAX + 64];
    if (t)
        show_tensor(have, sizeof have, t->name, t->dims, t->ndim);
    else
        snprintf(have, sizeof have, "missing");
    show_tensor(need, sizeof need, want, dims, ndim);
    return error_set(err, STATUS_DATA, "%s does not fit model %s with norm %s: tensor "
                     "%u is %s, the model's is %s (a checkpoint of another model or "
                     "norm?)", name, c->opts.model.name,
                     model_norm_names[c->opts.model.norm], (unsigned)at, have, need);
}

Status checkpoint_restore(const Checkpoint *c, const unsigned char *bytes, size_t len,
                          Model *m, const char *name, Error *err)
{
    if (c->tensors_at < HEADER_BYTES || len < c->tensors_at + CRC_BYTES)
        return corrupt(err, name, "no tensor table");
    Reader r = {bytes, len - CRC_BYTES, c->tensors_at, false};
    uint32_t n = get_u32(&r), at = 0;
    for (int i = 0; i < m->nlayers; i++)
        for (int kind = TENSOR_PARAMS; kind <= TENSOR_STATS; kind++) {
            uint32_t dims[TENSOR_MAX_DIMS];
            int ndim = tensor_dims(&m->layers[i], kind, dims);
            if (ndim == 0)
                continue;
            char want[TENSOR_NAME_MAX];
            tensor_name(want, &m->layers[i], kind);
            TensorEntry t;
            bool ok = at < n && get_tensor(&r, &t);
            bool same = ok && strcmp(t.name, want) == 0 && t.kind == kind &&
                        t.ndim == ndim && memcmp(t.dims, dims, sizeof dims[0] *
                                                 (size_t)ndim) == 0;
            if (!same)
                return misfit(c, name, at, ok ? &t : NULL, want, dims, ndim, err);
            at++;
        }
    if (at != n)
        return error_set(err, STATUS_DATA, "%s does not fit model %s with norm %s: it "
                         "has %u tensors, the model %u (a checkpoint of another model "
                         "or norm?)", name, c->opts.model.name,
                         model_norm_names[c->opts.model.norm],
                         (unsigned)n, (unsigned)at);
    /* Shapes agree, so the sizes do too (checked at decoding): now copy. */
    for (int i = 0; i < m->nlayers; i++)
        get_floats(&r, m->layers[i].param, m->layers[i].nparams);
    for (int i = 0; i < m->nlayers; i++) {
        Layer *l = &m->layers[i];
        if (l->nparams)
            get_floats(&r, m->moms.base + (l->param - m->params.base), l->nparams);
    }
    for (int i = 0; i < m->nlayers; i++)
        get_floats(&r, m->layers[i].stats, m->layers[i].nstats);
    if (r.short_read || r.pos != r.len)
        return corrupt(err, name, "the tensor data does not fit the model");
    return STATUS_OK;
}

void checkpoint_free(Checkpoint *c)
{
    free(c->order);
    free(c->log);
    c->order = NULL;
    c->log = NULL;
    c->log_len = 0;
}

Status checkpoint_read_file(const char *path, unsigned char **bytes, size_t *len,
                            Error *err)
{
    Status st = readfile_whole_max(path, CHECKPOINT_MAX_BYTES, bytes, len, err);
    if (st == STATUS_DATA)
        return error_set(err, st, "%s is larger than %zu MB: not a checkpoint", path,
                         CHECKPOINT_MAX_BYTES >> 20);
    return st;
}
