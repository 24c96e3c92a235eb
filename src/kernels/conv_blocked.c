/* conv_blocked.c - the fast 2-D convolution, same contract as conv_naive.c: padded
 * per-worker planes, register-blocked micro-kernels on GCC/Clang vector_size vectors
 * (no intrinsics), chunks of CONV_CHUNK_SAMPLES samples on the pool, dw partials summed
 * in chunk order so results do not depend on the thread count. Test hook: building
 * with -DCONV_TEST_TILES shrinks the vector width, tiles and chunks so that every
 * edge, remainder and multi-chunk path runs on small shapes. Exported prefix: conv2d_. */
#include <assert.h>
#include <string.h>
#include "base/tensor.h"
#include "kernels/conv.h"

#ifdef CONV_TEST_TILES
#define CONV_TRANSPOSE16 0
enum {
    CONV_VL = 4,            /* floats per vector */
    CONV_MR = 3,            /* output channels per forward tile */
    CONV_NV = 2,            /* vectors of wide-grid pixels per forward tile */
    CONV_MRW = 5,           /* kernel taps (cin, ky, kx) per weight-gradient tile */
    CONV_NVW = 2,           /* vectors of output channels per weight-gradient tile */
    CONV_CHUNK_SAMPLES = 1,
    CONV_REDUCE_ROWS = 7    /* dw rows per reduction chunk */
};
#else
/* 8 x 2 accumulators of 16 floats fill half the 32 zmm registers and leave room for
 * the loaded vectors. The weight gradient's 12 x 2 take 24: more taps per loaded dy
 * vector, measured 4% faster over the models' shapes than 8 x 2 (up to 13% on the
 * 16x16 layers), 14 x 2 no better. Chunks of 4 samples give 32 chunks at batch 128,
 * plenty to keep two workers busy, while the per-chunk dw partials stay small. The
 * reduction of the partials runs in chunks of 16 taps: 64 gave the 3x3 16->32 conv
 * (144 taps) three chunks, two for one worker and one for the other. The
 * vector is as wide as the target's registers: wider ones would be passed differently
 * (GCC -Wpsabi). */
/* dy is transposed in 16 x 16 blocks held in registers where vectors have 16 floats. */
#if defined(__AVX512F__)
#define CONV_TRANSPOSE16 1
#else
#define CONV_TRANSPOSE16 0
#endif
enum {
#if defined(__AVX512F__)
    CONV_VL = 16,
#elif defined(__AVX__)
    CONV_VL = 8,
#else
    CONV_VL = 4,
#endif
    CONV_MR = 8,
    CONV_NV = 2,
    CONV_MRW = 12,
    CONV_NVW = 2,
    CONV_CHUNK_SAMPLES = 4,
    CONV_REDUCE_ROWS = 16
};
#endif
enum {
    CONV_NR = CONV_NV * CONV_VL,    /* pixels per forward tile */
    CONV_NW = CONV_NVW * CONV_VL    /* output channels per weight-gradient tile */
};

typedef float Vec __attribute__((vector_size(CONV_VL * sizeof(float))));

static Vec vec_load(const float *p)
{
    Vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void vec_store(float *p, Vec v)
{
    memcpy(p, &v, sizeof v);
}

static size_t round_up(size_t a, size_t b)
{
    return (a + b - 1) / b * b;
}

/* Method. Each sample is zero-padded into a per-worker buffer; the forward kernel reads
 * it through shifted views (tap (ci, ky, kx) of output q is padded[ci][q + ky*wp + kx],
 * no im2col) and computes a "wide" grid of oh rows of the padded stride wp, whose extra
 * columns are dropped when copying out. The input gradient is the same kernel on dy
 * padded by k - 1 - pad, with the weights transposed and flipped. The weight gradient
 * is a second kernel, vectorised over output channels of a transposed dy.
 *
 * One stride-1 convolution as seen by the wide-grid kernel: nin input planes of
 * h x w, padded by pad (negative crops) to hp rows of stride wp, giving nout planes
 * of oh x ow. When 0 <= pad <= k - 1 a row's right padding is the next row's left
 * padding, so wp = w + pad and the wide grid wastes only k - 1 - pad columns. */
typedef struct {
    int nin, nout, h, w, k, pad;
    int hp, wp, oh, ow;
    size_t plane;    /* hp * wp */
    size_t nq;       /* wide-grid outputs oh * wp, rounded up to whole vectors */
    size_t padded;   /* floats of a padded sample, with slack for the last tile */
    size_t taps;     /* nin * k * k: the GEMM depth */
} Plan;

static Plan plan_make(int nin, int nout, int h, int w, int k, int pad)
{
    Plan p = {nin, nout, h, w, k, pad, 0, 0, 0, 0, 0, 0, 0, 0};
    p.hp = h + 2 * pad;
    p.oh = p.hp - k + 1;
    p.ow = w + 2 * pad - k + 1;
    p.wp = pad >= 0 && pad <= k - 1 ? w + pad : w + 2 * pad;
    p.plane = (size_t)p.hp * (size_t)p.wp;
    p.nq = round_up((size_t)p.oh * (size_t)p.wp, CONV_VL);
    /* Outputs read up to pad floats into the next plane, its first padding row; the
     * last tile reads up to CONV_NR - 1 + (k - 1) floats past the last plane. */
    p.padded = round_up((size_t)nin * p.plane + CONV_NR + (size_t)k, CONV_VL);
    p.taps = (size_t)nin * (size_t)k * (size_t)k;
    return p;
}

/* The forward problem, and the input-gradient problem: dy padded by k - 1 - pad,
 * convolved with the flipped transposed weights, gives a plane of the input's size. */
static Plan plan_forward(const ConvShape *s)
{
    return plan_make(s->cin, s->cout, s->h, s->w, s->k, s->pad);
}

static Plan plan_input_grad(const ConvShape *s)
{
    return plan_make(s->cout, s->cin, conv_out_h(s), conv_out_w(s), s->k,
                     s->k - 1 - s->pad);
}

/* Where everything lives in the caller's scratch, in floats. */
typedef struct {
    size_t pack_fwd, pack_bwd;   /* packed weights, shared by all workers */
    size_t partial;              /* per-chunk dw partials [chunk][tap][cout_w] */
    size_t cout_w;               /* output channels rounded up to whole vectors: a
                                  * last dw tile of one vector needs no more (cout
                                  * 16 and 12 would waste half of g and the
                                  * partials at a whole tile of 32) */
    size_t workers;              /* start of the per-worker areas */
    size_t per_worker;           /* floats of one worker's area */
    size_t padded_x, padded_dy, wide, dyt;   /* offsets inside a worker's area */
    size_t total;
} Layout;

static size_t chunk_count(const ConvShape *s)
{
    return ((size_t)s->n + CONV_CHUNK_SAMPLES - 1) / CONV_CHUNK_SAMPLES;
}

/* Takes n floats (aligned to 64 bytes) at *at and advances it. */
static size_t take(size_t *at, size_t n)
{
    size_t start = *at;
    *at = round_up(start + n, ARENA_ALIGN_FLOATS);
    return start;
}

static Layout layout_make(const ConvShape *s, int nthreads)
{
    Plan f = plan_forward(s), b = plan_input_grad(s);
    Layout l;
    size_t at = 0, pix = (size_t)f.oh * (size_t)f.ow;
    l.cout_w = round_up((size_t)s->cout, CONV_VL);
    l.pack_fwd = take(&at, round_up((size_t)s->cout, CONV_MR) * f.taps);
    l.pack_bwd = take(&at, round_up((size_t)s->cin, CONV_MR) * b.taps);
    l.partial = take(&at, chunk_count(s) * f.taps * l.cout_w);
    l.workers = at;
    size_t w = 0;
    l.padded_x = take(&w, f.padded);
    l.padded_dy = take(&w, b.padded);
    size_t wide_f = round_up((size_t)s->cout, CONV_MR) * f.nq;
    size_t wide_b = round_up((size_t)s->cin, CONV_MR) * b.nq;
    l.wide = take(&w, wide_f > wide_b ? wide_f : wide_b);
    l.dyt = take(&w, pix * l.cout_w);
    l.per_worker = w;
    l.total = at + (size_t)nthreads * w;
    return l;
}

size_t conv2d_scratch_floats(const ConvShape *s, int nthreads)
{
    assert(nthreads >= 1);
    return layout_make(s, nthreads).total;
}

/* ap[block][tap][r] = weight of output channel block * CONV_MR + r at GEMM row tap,
 * zero past nout. Forward taps are (ci, ky, kx) of w[co][ci][ky][kx]; with flip set,
 * output channel ci reads w[co][ci][k-1-ky][k-1-kx] at tap (co, ky, kx). */
static void pack_weights(float *restrict ap, const float *restrict w, const ConvShape *s,
                         int flip)
{
    int k = s->k, kk = k * k;
    int nout = flip ? s->cin : s->cout, nin = flip ? s->cout : s->cin;
    size_t taps = (size_t)nin * (size_t)kk;
    int blocks = (nout + CONV_MR - 1) / CONV_MR;
    for (int b = 0; b < blocks; b++)
        for (size_t t = 0; t < taps; t++)
            for (int r = 0; r < CONV_MR; r++) {
                size_t o = (size_t)(b * CONV_MR + r), i = t / (size_t)kk;
                size_t tap = t % (size_t)kk;
                float v = 0.0f;
                if (o < (size_t)nout && !flip)
                    v = w[(o * (size_t)nin + i) * (size_t)kk + tap];
                else if (o < (size_t)nout)
                    v = w[(i * (size_t)nout + o) * (size_t)kk + ((size_t)kk - 1 - tap)];
                ap[((size_t)b * taps + t) * CONV_MR + (size_t)r] = v;
            }
}

/* dst[0, n) = src[0, n), except that -0 may become +0, for the short rows of the
 * convs' planes (1 to 36 floats): whole vectors and a last one overlapping the one
 * before; below a vector, two overlapping copies of 8 or 4 floats (a fixed-size
 * memcpy compiles to one move), or single floats. A memcpy call per row cost more
 * than the copying, and GCC turns a plain copy loop into such a call: adding +0
 * makes the loop no copy. The sign of a zero makes no difference to the sums that
 * read these rows (they start from +0), nor can a sum be -0 when written out. */
static void copy_row(float *restrict dst, const float *restrict src, size_t n)
{
    if (n >= CONV_VL) {
        Vec zero = {0};
        size_t i = 0;
        for (; i + CONV_VL <= n; i += CONV_VL)
            vec_store(dst + i, vec_load(src + i) + zero);
        if (i < n)
            vec_store(dst + n - CONV_VL, vec_load(src + n - CONV_VL));
    } else if (n >= 8) {
        memcpy(dst, src, 8 * sizeof *dst);
        memcpy(dst + n - 8, src + n - 8, 8 * sizeof *dst);
    } else if (n >= 4) {
        memcpy(dst, src, 4 * sizeof *dst);
        memcpy(dst + n - 4, src + n - 4, 4 * sizeof *dst);
    } else {
        if (n > 0)
            dst[0] = src[0];
        if (n > 1)
            dst[1] = src[1];
        if (n > 2)
            dst[2] = src[2];
    }
}

/* dst[0, n) = 0, the same way: padding columns (1 or 2 floats) and rows. */
static void zero_row(float *dst, size_t n)
{
    if (n >= CONV_VL) {
        size_t i = 0;
        for (; i + CONV_VL <= n; i += CONV_VL)
            vec_store(dst + i, (Vec){0});
        if (i < n)
            vec_store(dst + n - CONV_VL, (Vec){0});
    } else if (n >= 8) {
        memset(dst, 0, 8 * sizeof *dst);
        memset(dst + n - 8, 0, 8 * sizeof *dst);
    } else if (n >= 4) {
        memset(dst, 0, 4 * sizeof *dst);
        memset(dst + n - 4, 0, 4 * sizeof *dst);
    } else {
        if (n > 0)
            dst[0] = 0.0f;
        if (n > 1)
            dst[1] = 0.0f;
        if (n > 2)
            dst[2] = 0.0f;
    }
}

/* Copies one sample's nin planes into dst[nin][hp][wp] with zero borders (or cropped
 * borders for a negative pad), and zeroes the slack after the last plane. A row holds
 * its left padding, its data, and any right padding the next row does not supply. */
static void pad_sample(float *restrict dst, const float *restrict src, const Plan *p)
{
    int j0 = p->pad > 0 ? p->pad : 0;                    /* first column with data */
    int j1 = p->w + p->pad < p->wp ? p->w + p->pad : p->wp;   /* past the last */
    for (int c = 0; c < p->nin; c++)
        for (int i = 0; i < p->hp; i++) {
            float *row = dst + (size_t)c * p->plane + (size_t)i * (size_t)p->wp;
            int si = i - p->pad;
            if (si < 0 || si >= p->h || j1 <= j0) {
                zero_row(row, (size_t)p->wp);
                continue;
            }
            const float *srow =
                src + ((size_t)c * (size_t)p->h + (size_t)si) * (size_t)p->w;
            zero_row(row, (size_t)j0);
            copy_row(row + j0, srow + (j0 - p->pad), (size_t)(j1 - j0));
            zero_row(row + j1, (size_t)(p->wp - j1));
        }
    size_t used = (size_t)p->nin * p->plane;
    memset(dst + used, 0, (p->padded - used) * sizeof *dst);
}

/* The forward micro-kernel: an mr x (nv vectors) tile of the wide grid,
 * c[r][q] = sum over taps (ci, ky, kx) of ap[tap][r] * xp[ci][q + ky*wp + kx],
 * with xp already offset to the tile's first pixel. Overwrites the tile. Always
 * inlined into callers with a constant mr and nv, so that the accumulators live in
 * registers. */
static inline __attribute__((always_inline)) void
tile_forward(const Plan *p, const float *restrict ap, const float *restrict xp,
             float *restrict c, size_t ldc, int mr, int nv)
{
    Vec acc[CONV_MR][CONV_NV];
#pragma GCC unroll 16
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = (Vec){0};
    for (int ci = 0; ci < p->nin; ci++)
        for (int ky = 0; ky < p->k; ky++) {
            const float *row = xp + (size_t)ci * p->plane + (size_t)ky * (size_t)p->wp;
            for (int kx = 0; kx < p->k; kx++) {
                Vec b[CONV_NV];
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++)
                    b[v] = vec_load(row + kx + v * CONV_VL);
#pragma GCC unroll 16
                for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
                    for (int v = 0; v < nv; v++)
                        acc[r][v] += ap[r] * b[v];
                ap += CONV_MR;
            }
        }
#pragma GCC unroll 16
    for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            vec_store(c + (size_t)r * ldc + (size_t)v * CONV_VL, acc[r][v]);
}

static void tile_forward_full(const Plan *p, const float *ap, const float *xp,
                              float *c, size_t ldc)
{
    tile_forward(p, ap, xp, c, ldc, CONV_MR, CONV_NV);
}

/* For a last block of at most CONV_MR / 2 output channels (cout 12 = 8 + 4). */
static void tile_forward_half(const Plan *p, const float *ap, const float *xp,
                              float *c, size_t ldc)
{
    tile_forward(p, ap, xp, c, ldc, CONV_MR / 2, CONV_NV);
}

/* The same for a last tile of one vector of pixels: the wide grid is rounded up to
 * vectors, not tiles (an 8x8 map's 72 outputs take 80, not 96). */
static void tile_forward_full_one(const Plan *p, const float *ap, const float *xp,
                                  float *c, size_t ldc)
{
    tile_forward(p, ap, xp, c, ldc, CONV_MR, 1);
}

static void tile_forward_half_one(const Plan *p, const float *ap, const float *xp,
                                  float *c, size_t ldc)
{
    tile_forward(p, ap, xp, c, ldc, CONV_MR / 2, 1);
}

/* wide[o][q] for every output channel block and tile of one padded sample. */
static void gemm_sample(const Plan *p, const float *ap, const float *xp, float *wide)
{
    _Static_assert(CONV_NV == 2, "a last tile is one vector or a whole tile");
    int blocks = (p->nout + CONV_MR - 1) / CONV_MR;
    int last_half = p->nout - (blocks - 1) * CONV_MR <= CONV_MR / 2;
    for (size_t q = 0; q < p->nq; q += CONV_NR)
        for (int b = 0; b < blocks; b++) {
            const float *apb = ap + (size_t)b * p->taps * CONV_MR;
            float *c = wide + (size_t)b * CONV_MR * p->nq + q;
            int half = b == blocks - 1 && last_half, one = q + CONV_NR > p->nq;
            void (*tile)(const Plan *, const float *, const float *, float *, size_t) =
                one ? (half ? tile_forward_half_one : tile_forward_full_one)
                    : (half ? tile_forward_half : tile_forward_full);
            tile(p, apb, xp + q, c, p->nq);
        }
}

/* How copy_out writes: overwrite (a forward output), add (into a gradient), or
 * 0.0f + the value (into a gradient not zeroed yet: bit for bit adding into zero,
 * where -0 becomes +0). */
typedef enum { COPY_SET, COPY_ADD, COPY_ADD_TO_ZERO } CopyMode;

/* Drops the wide grid's extra columns: out[o][y][x] (+)= wide[o][y * wp + x]. Rows
 * are short (8 to 36 floats): whole vectors, then the rest one by one, measured
 * faster than a memcpy call per row, and GCC -O2 left the sum scalar. */
static void copy_out(float *restrict out, const float *restrict wide, const Plan *p,
                     CopyMode mode)
{
    size_t ow = (size_t)p->ow;
    Vec zero = {0};
    for (int o = 0; o < p->nout; o++)
        for (int y = 0; y < p->oh; y++) {
            const float *src = wide + (size_t)o * p->nq + (size_t)y * (size_t)p->wp;
            float *dst = out + ((size_t)o * (size_t)p->oh + (size_t)y) * ow;
            size_t x = 0;
            if (mode == COPY_ADD) {
                for (; x + CONV_VL <= ow; x += CONV_VL)
                    vec_store(dst + x, vec_load(dst + x) + vec_load(src + x));
                for (; x < ow; x++)
                    dst[x] += src[x];
            } else if (mode == COPY_ADD_TO_ZERO) {
                for (; x + CONV_VL <= ow; x += CONV_VL)
                    vec_store(dst + x, zero + vec_load(src + x));
                for (; x < ow; x++)
                    dst[x] = 0.0f + src[x];
            } else {
                copy_row(dst, src, ow);
            }
        }
}

/* Whether the kernels can read the tensors themselves instead of padded copies: a
 * 1x1 conv without padding whose planes are whole vectors. Its padded samples would
 * be the plain planes (wp = w, nq = h * w), and no tile reads past a plane. The
 * backward reads x and dy so (dx + dw of the 36x36 32->12 conv: +25%); the forward
 * still copies x first, as the tiles reading every plane of x from memory at once
 * were 40% slower than the copy streaming it in order. */
static bool unpadded(const ConvShape *s)
{
    return s->k == 1 && s->pad == 0 && (size_t)s->h * (size_t)s->w % CONV_VL == 0;
}

/* Whether such a problem's tiles can also write the output planes themselves: the
 * last block of channels writes only real planes (a whole tile, or the half tile
 * of gemm_sample, as cout 12 = 8 + 4). */
static bool direct(const ConvShape *s, const Plan *p)
{
    int last = p->nout % CONV_MR;
    return unpadded(s) && (last == 0 || last == CONV_MR / 2);
}

/* One call's problem, shared by its chunks; the path choices are made here, once. */
typedef struct {
    const ConvShape *s;
    Layout l;
    Plan fwd, bwd;
    bool unpadded;              /* read x and dy without padded copies */
    bool direct_y, direct_dx;   /* write y, dx without the wide grid */
    float *y, *dx;
    bool zero_dx;
    const float *x, *dy;
    float *scratch;
} Job;

static Job job_make(const ConvShape *s, Pool *pool, float *y, float *dx, bool zero_dx,
                    const float *x, const float *dy, float *scratch)
{
    Job j = {s, layout_make(s, pool_threads(pool)), plan_forward(s), plan_input_grad(s),
             unpadded(s), false, false, y, dx, zero_dx, x, dy, scratch};
    j.direct_y = direct(s, &j.fwd);
    j.direct_dx = direct(s, &j.bwd) && zero_dx;
    return j;
}

static float *worker_area(const Job *j, int worker)
{
    return j->scratch + j->l.workers + (size_t)worker * j->l.per_worker;
}

static void forward_chunk(void *ctx, size_t chunk, int worker)
{
    const Job *j = ctx;
    const Plan *p = &j->fwd;
    float *area = worker_area(j, worker);
    float *xp = area + j->l.padded_x, *wide = area + j->l.wide;
    size_t in = (size_t)p->nin * (size_t)p->h * (size_t)p->w;
    size_t out = (size_t)p->nout * (size_t)p->oh * (size_t)p->ow;
    for (size_t n = chunk * CONV_CHUNK_SAMPLES;
         n < (chunk + 1) * CONV_CHUNK_SAMPLES && n < (size_t)j->s->n; n++) {
        pad_sample(xp, j->x + n * in, p);
        if (j->direct_y) {
            gemm_sample(p, j->scratch + j->l.pack_fwd, xp, j->y + n * out);
            continue;
        }
        gemm_sample(p, j->scratch + j->l.pack_fwd, xp, wide);
        copy_out(j->y + n * out, wide, p, COPY_SET);
    }
}

static void check_shape(const ConvShape *s, const float *scratch)
{
    assert(s->n >= 1 && s->cin >= 1 && s->cout >= 1 && s->k >= 1 && s->pad >= 0);
    assert(conv_out_h(s) >= 1 && conv_out_w(s) >= 1);
    assert(scratch != NULL);
    (void)s;
    (void)scratch;
}

void conv2d_forward_blocked(const ConvShape *s, float *y, const float *x,
                            const float *w, float *scratch, Pool *pool)
{
    check_shape(s, scratch);
    Job j = job_make(s, pool, y, NULL, false, x, NULL, scratch);
    pack_weights(scratch + j.l.pack_fwd, w, s, 0);
    pool_run(pool, chunk_count(s), forward_chunk, &j);
}

/* Pixels per pass of the scalar transpose: 128 rows of g (16 KB at 32 channels) stay
 * in L1 while each channel's run of dy is read in order. */
#define CONV_TRANSPOSE_PIXELS 128

/* g[q][o] = dy[o * pix + q] for pixels [q0, q1), zero for o in [cout, cout_w). */
static void transpose_scalar(float *restrict g, const float *restrict dy, int cout,
                             size_t pix, size_t cout_w, size_t q0, size_t q1)
{
    for (size_t b = q0; b < q1; b += CONV_TRANSPOSE_PIXELS) {
        size_t e = b + CONV_TRANSPOSE_PIXELS < q1 ? b + CONV_TRANSPOSE_PIXELS : q1;
        for (int o = 0; o < cout; o++)
            for (size_t q = b; q < e; q++)
                g[q * cout_w + (size_t)o] = dy[(size_t)o * pix + q];
    }
    for (size_t q = q0; q < q1 && (size_t)cout < cout_w; q++)
        memset(g + q * cout_w + cout, 0, (cout_w - (size_t)cout) * sizeof *g);
}

#if CONV_TRANSPOSE16
/* One step of transposing 16 rows of 16 floats: rows a = r[i] and b = r[i + d]
 * (bit d of i clear) trade the elements whose index has bit d set in a for those
 * with it clear in b, i.e. within every 2d x 2d block the top-right and
 * bottom-left d x d blocks change places. Steps 8, 4, 2, 1 transpose. */
static inline __attribute__((always_inline)) void swap_blocks(Vec *a, Vec *b, int d)
{
    Vec x = *a, y = *b;
    switch (d) {
    case 8:
        *a = __builtin_shufflevector(x, y, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20,
                                     21, 22, 23);
        *b = __builtin_shufflevector(x, y, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26,
                                     27, 28, 29, 30, 31);
        break;
    case 4:
        *a = __builtin_shufflevector(x, y, 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11,
                                     24, 25, 26, 27);
        *b = __builtin_shufflevector(x, y, 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15,
                                     28, 29, 30, 31);
        break;
    case 2:
        *a = __builtin_shufflevector(x, y, 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12,
                                     13, 28, 29);
        *b = __builtin_shufflevector(x, y, 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27,
                                     14, 15, 30, 31);
        break;
    default:
        *a = __builtin_shufflevector(x, y, 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26,
                                     12, 28, 14, 30);
        *b = __builtin_shufflevector(x, y, 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27,
                                     13, 29, 15, 31);
        break;
    }
}

/* Step d of the transpose over all 16 rows: always inlined with a constant d, so the
 * rows stay in registers and each shuffle is one instruction. */
static inline __attribute__((always_inline)) void transpose_step(Vec r[16], int d)
{
#pragma GCC unroll 8
    for (int base = 0; base < 16; base += 2 * d)
#pragma GCC unroll 8
        for (int i = base; i < base + d; i++)
            swap_blocks(&r[i], &r[i + d], d);
}

/* g[p][r] = dy[r * pix + p] for 16 pixels p and 16 channels r, of which the first
 * rows are real and the rest zero. Four steps of 16 shuffles replace 256 scalar
 * stores, each to a different row of g. */
static void transpose16(float *restrict g, size_t ldg, const float *restrict dy,
                        size_t pix, int rows)
{
    Vec r[16];
    for (int i = 0; i < 16; i++)
        r[i] = i < rows ? vec_load(dy + (size_t)i * pix) : (Vec){0};
    transpose_step(r, 8);
    transpose_step(r, 4);
    transpose_step(r, 2);
    transpose_step(r, 1);
    for (int p = 0; p < 16; p++)
        vec_store(g + (size_t)p * ldg, r[p]);
}
#endif

/* g[pix][o] = dy[o][pix] for one sample, zero for o in [cout, cout_w): the weight
 * gradient kernel loads output channels as vectors. In 16 x 16 blocks where the
 * vectors allow (the scalar loop's stores, one per element and each to another row
 * of g, were 5% of a training step), the pixels left over one by one. */
static void transpose_dy(float *restrict g, const float *restrict dy, int cout,
                         size_t pix, size_t cout_w)
{
    size_t q = 0;
#if CONV_TRANSPOSE16
    for (; q + 16 <= pix; q += 16)
        for (int o = 0; o < cout; o += 16)
            transpose16(g + q * cout_w + (size_t)o, cout_w, dy + (size_t)o * pix + q,
                        pix, cout - o < 16 ? cout - o : 16);
#endif
    transpose_scalar(g, dy, cout, pix, cout_w, q, pix);
}

/* off[r] = where tap tap0 + r = (ci, ky, kx) starts in a padded sample; taps past the
 * last repeat tap 0. Returns how many taps are real. Counts instead of dividing. */
static int tap_offsets(const Plan *p, size_t tap0, size_t off[CONV_MRW])
{
    int kk = p->k * p->k;
    int ci = (int)(tap0 / (size_t)kk), ky = (int)(tap0 % (size_t)kk) / p->k;
    int kx = (int)(tap0 % (size_t)p->k), rows = 0;
    for (int r = 0; r < CONV_MRW; r++) {
        off[r] = 0;
        if (tap0 + (size_t)r >= p->taps)
            continue;
        off[r] = (size_t)ci * p->plane + (size_t)ky * (size_t)p->wp + (size_t)kx;
        rows++;
        if (++kx == p->k) {
            kx = 0;
            if (++ky == p->k)
                ky = 0, ci++;
        }
    }
    return rows;
}

/* The weight-gradient micro-kernel: for CONV_MRW taps starting at tap0 and nv
 * vectors of output channels, part[tap][o] += sum over output pixels of
 * xp[tap's view at the pixel] * g[pixel][o]. Taps past the last are computed on tap 0
 * and not stored. Always inlined with a constant nv, as tile_forward. */
static inline __attribute__((always_inline)) void
tile_weight_grad(const Plan *p, size_t tap0, const float *restrict xp,
                 const float *restrict g, size_t ldg, float *restrict part, int nv)
{
    size_t off[CONV_MRW];
    int rows = tap_offsets(p, tap0, off);
    Vec acc[CONV_MRW][CONV_NVW];
#pragma GCC unroll 16
    for (int r = 0; r < CONV_MRW; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = (Vec){0};
    for (int y = 0; y < p->oh; y++) {
        const float *xrow = xp + (size_t)y * (size_t)p->wp;
        const float *grow = g + (size_t)y * (size_t)p->ow * ldg;
        for (int x = 0; x < p->ow; x++) {
            Vec b[CONV_NVW];
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                b[v] = vec_load(grow + (size_t)x * ldg + (size_t)v * CONV_VL);
#pragma GCC unroll 16
            for (int r = 0; r < CONV_MRW; r++)
#pragma GCC unroll 4
                for (int v = 0; v < nv; v++)
                    acc[r][v] += xrow[off[r] + (size_t)x] * b[v];
        }
    }
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            float *dst = part + (size_t)r * ldg + (size_t)v * CONV_VL;
            vec_store(dst, vec_load(dst) + acc[r][v]);
        }
}

static void tile_weight_grad_full(const Plan *p, size_t tap0, const float *xp,
                                  const float *g, size_t ldg, float *part)
{
    tile_weight_grad(p, tap0, xp, g, ldg, part, CONV_NVW);
}

/* For a last block of at most one vector of output channels (cout 12, 10). */
static void tile_weight_grad_one(const Plan *p, size_t tap0, const float *xp,
                                 const float *g, size_t ldg, float *part)
{
    tile_weight_grad(p, tap0, xp, g, ldg, part, 1);
}

/* One sample's dw into the chunk's partial [tap][cout_w]. */
static void weight_grad_sample(const Job *j, const float *xp, float *g, float *part,
                               size_t n)
{
    const Plan *p = &j->fwd;
    size_t pix = (size_t)p->oh * (size_t)p->ow, ldg = j->l.cout_w;
    transpose_dy(g, j->dy + n * (size_t)p->nout * pix, p->nout, pix, ldg);
    for (size_t t = 0; t < p->taps; t += CONV_MRW)
        for (size_t o = 0; o < ldg; o += CONV_NW) {
            if ((size_t)p->nout - o <= CONV_VL)
                tile_weight_grad_one(p, t, xp, g + o, ldg, part + t * ldg + o);
            else
                tile_weight_grad_full(p, t, xp, g + o, ldg, part + t * ldg + o);
        }
}

static void backward_chunk(void *ctx, size_t chunk, int worker)
{
    const Job *j = ctx;
    float *area = worker_area(j, worker);
    float *xp = area + j->l.padded_x, *dyp = area + j->l.padded_dy;
    float *wide = area + j->l.wide, *g = area + j->l.dyt;
    size_t part_size = j->fwd.taps * j->l.cout_w;
    float *part = j->scratch + j->l.partial + chunk * part_size;
    size_t in = (size_t)j->fwd.nin * (size_t)j->fwd.h * (size_t)j->fwd.w;
    size_t out = (size_t)j->fwd.nout * (size_t)j->fwd.oh * (size_t)j->fwd.ow;
    memset(part, 0, part_size * sizeof *part);
    for (size_t n = chunk * CONV_CHUNK_SAMPLES;
         n < (chunk + 1) * CONV_CHUNK_SAMPLES && n < (size_t)j->s->n; n++) {
        /* dy is padded first: the copy streams it into cache in order, where the
         * weight gradient's transpose then finds it (reading it from memory, the
         * transpose stalled on every channel's first lines). dw and dx do not
         * depend on each other, so the order changes no result. */
        const float *xs = j->x + n * in, *dys = j->dy + n * out;
        if (!j->unpadded) {
            if (j->dx)
                pad_sample(dyp, dys, &j->bwd);
            pad_sample(xp, xs, &j->fwd);
            xs = xp, dys = dyp;
        }
        weight_grad_sample(j, xs, g, part, n);
        if (!j->dx)
            continue;
        /* A sum is never -0 (it starts from +0), so writing it directly is
         * bit for bit adding it into zero. */
        if (j->direct_dx) {
            gemm_sample(&j->bwd, j->scratch + j->l.pack_bwd, dys, j->dx + n * in);
            continue;
        }
        gemm_sample(&j->bwd, j->scratch + j->l.pack_bwd, dys, wide);
        copy_out(j->dx + n * in, wide, &j->bwd,
                 j->zero_dx ? COPY_ADD_TO_ZERO : COPY_ADD);
    }
}

/* dw[o][tap] += the partials of every chunk, summed in chunk order, for
 * CONV_REDUCE_ROWS taps: the order never depends on which thread ran a chunk. */
typedef struct {
    const Job *j;
    float *dw;
} Reduce;

static void reduce_chunk(void *ctx, size_t chunk, int worker)
{
    (void)worker;
    const Reduce *rd = ctx;
    const Job *j = rd->j;
    size_t taps = j->fwd.taps, ldg = j->l.cout_w, part_size = taps * ldg;
    size_t nchunks = chunk_count(j->s);
    const float *parts = j->scratch + j->l.partial;
    size_t t1 = (chunk + 1) * CONV_REDUCE_ROWS;
    for (size_t t = chunk * CONV_REDUCE_ROWS; t < t1 && t < taps; t++)
        for (size_t o0 = 0; o0 < ldg; o0 += CONV_VL) {
            const float *src = parts + t * ldg + o0;
            Vec sum = vec_load(src);
            for (size_t c = 1; c < nchunks; c++)
                sum += vec_load(src + c * part_size);
            for (int o = 0; o < CONV_VL && o0 + (size_t)o < (size_t)j->fwd.nout; o++)
                rd->dw[(o0 + (size_t)o) * taps + t] += sum[o];
        }
}

void conv2d_backward_blocked(const ConvShape *s, float *dx, bool zero_dx, float *dw,
                             const float *dy, const float *x, const float *w,
                             float *scratch, Pool *pool)
{
    check_shape(s, scratch);
    Job j = job_make(s, pool, NULL, dx, zero_dx, x, dy, scratch);
    if (dx)
        pack_weights(scratch + j.l.pack_bwd, w, s, 1);
    pool_run(pool, chunk_count(s), backward_chunk, &j);
    Reduce rd = {&j, dw};
    pool_run(pool, (j.fwd.taps + CONV_REDUCE_ROWS - 1) / CONV_REDUCE_ROWS, reduce_chunk,
             &rd);
}
