/* test_font.c - the bitmap font against a glyph written out here by hand, text
 * width, and the misclassified grid: its layout, its PPM header and size, the
 * surest wrong image upscaled where the first tile goes, and its order (the surest
 * first) against a plain sort. */
#include <stdlib.h>
#include <string.h>
#include "dataset/cifar.h"
#include "report/grid.h"
#include "report/report.h"
#include "test.h"

static const Colour INK = {255, 255, 255}, PAPER = {0, 0, 0};

static int test_font_renders_glyph(void)
{
    /* '4', drawn at scale 2 with its corner at (1, 1). */
    static const char *const four[FONT_H] = {
        "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#.", ".....",
    };
    Canvas c;
    Error err;
    CHECK(canvas_init(&c, 14, 20, PAPER, &err) == STATUS_OK);
    font_draw_text(&c, 1, 1, "4", 2, INK);
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            int gx = (x - 1) / 2, gy = (y - 1) / 2;
            int inside = x >= 1 && y >= 1 && gx < FONT_W && gy < FONT_H;
            int ink = inside && four[gy][gx] == '#';
            CHECK(canvas_get(&c, x, y).r == (ink ? 255 : 0));
        }
    canvas_free(&c);
    CHECK(font_glyph('A') == font_glyph('a'));
    CHECK(font_glyph('\x01') == font_glyph('?'));
    CHECK(font_text_width("ab", 1) == 2 * FONT_ADVANCE - 1);
    CHECK(font_text_width("", 3) == 0);
    return 0;
}

static int test_canvas_clips(void)
{
    Canvas c;
    Error err;
    CHECK(canvas_init(&c, 4, 3, PAPER, &err) == STATUS_OK);
    canvas_fill_rect(&c, -2, 2, 100, 100, INK);
    font_draw_text(&c, -3, -4, "wm", 3, INK);   /* mostly outside: no crash */
    CHECK(canvas_get(&c, 0, 2).r == 255 && canvas_get(&c, 3, 2).r == 255);
    CHECK(canvas_get(&c, 3, 1).g == 0);
    canvas_free(&c);
    return 0;
}

/* n test images, every pixel of image i equal to (i, 2i, 3i) mod 256; image i is
 * wrong when i % 5 != 0. */
static int fake_set(size_t n, unsigned char **pixels, unsigned char **labels,
                    unsigned char **pred)
{
    *pixels = malloc(n * CIFAR_IMAGE_BYTES);
    *labels = malloc(n);
    *pred = malloc(n);
    CHECK(*pixels && *labels && *pred);
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < CIFAR_CHANNELS; c++)
            memset(*pixels + i * CIFAR_IMAGE_BYTES + c * CIFAR_PLANE_BYTES,
                   (int)((i * (size_t)(c + 1)) % 256), CIFAR_PLANE_BYTES);
        (*labels)[i] = (unsigned char)(i % CIFAR_CLASSES);
        (*pred)[i] = (unsigned char)(i % 5 ? (i + 1) % CIFAR_CLASSES : i % CIFAR_CLASSES);
    }
    return 0;
}

static int test_grid_ppm(void)
{
    unsigned char *pixels, *labels, *pred;
    CHECK(fake_set(60, &pixels, &labels, &pred) == 0);   /* 48 wrong */
    float conf[60];
    for (int i = 0; i < 60; i++)
        conf[i] = i == 13 ? 0.9f : 0.5f;   /* 13 is wrong and the surest */
    Canvas c;
    Error err;
    CHECK(grid_misclassified(&c, pixels, labels, pred, conf, 60, &err) == STATUS_OK);
    GridLayout g = grid_layout(48);
    CHECK(g.shown == GRID_COLS * GRID_ROWS && g.cols == GRID_COLS && g.rows == GRID_ROWS);
    CHECK(c.w == g.w && c.h == g.h);
    CHECK(c.w == GRID_GAP + GRID_COLS * (CIFAR_SIDE * GRID_ZOOM + GRID_GAP));
    size_t len = ppm_encode(NULL, c.w, c.h, c.rgb);
    unsigned char *ppm = malloc(len);
    CHECK(ppm && ppm_encode(ppm, c.w, c.h, c.rgb) == len);
    char header[64];
    int hl = snprintf(header, sizeof header, "P6\n%d %d\n255\n", c.w, c.h);
    CHECK(memcmp(ppm, header, (size_t)hl) == 0);
    CHECK(len == (size_t)hl + 3 * (size_t)c.w * (size_t)c.h);
    /* The surest wrong image, 13 (colour 13, 26, 39), comes first, its tile at x =
     * GRID_GAP; then the first wrong one in test order, 1 (colour 1, 2, 3), one
     * tile of 32 * GRID_ZOOM pixels and a gap further. */
    int found13 = -1, found1 = -1;
    for (int y = 0; y < c.h; y++)
        for (int x = 0; x < c.w; x++) {
            Colour px = canvas_get(&c, x, y);
            if (px.r == 13 && px.g == 26 && px.b == 39 && found13 < 0)
                found13 = x;
            if (px.r == 1 && px.g == 2 && px.b == 3 && found1 < 0)
                found1 = x;
        }
    CHECK(found13 == GRID_GAP);
    CHECK(found1 == 2 * GRID_GAP + CIFAR_SIDE * GRID_ZOOM);
    free(ppm), free(pixels), free(labels), free(pred);
    canvas_free(&c);
    return 0;
}

/* grid_order against a plain sort: the cap surest wrong images, in order. */
static int test_grid_order(void)
{
    enum { N = 300, CAP = 7 };
    unsigned char labels[N], pred[N];
    float conf[N];
    Rng rng;
    rng_seed(&rng, 3, RNG_STREAM_TEST);
    size_t wrong = 0;
    for (int i = 0; i < N; i++) {
        labels[i] = (unsigned char)rng_below(&rng, CIFAR_CLASSES);
        pred[i] = rng_below(&rng, 2) ? labels[i] : (unsigned char)((labels[i] + 1) % 10);
        conf[i] = (float)rng_below(&rng, 20) / 20.0f;   /* many ties */
        wrong += labels[i] != pred[i];
    }
    size_t order[CAP];
    CHECK(grid_order(order, CAP, labels, pred, conf, N) == wrong && wrong > CAP);
    size_t prev = N;
    for (int k = 0; k < CAP; k++) {
        /* the surest wrong image not yet listed, the earliest among equals */
        size_t best = N;
        for (size_t i = 0; i < N; i++) {
            bool listed = false;
            for (int j = 0; j < k; j++)
                listed = listed || order[j] == i;
            if (labels[i] != pred[i] && !listed && (best == N || conf[i] > conf[best]))
                best = i;
        }
        CHECK(order[k] == best && best != prev);
        prev = best;
    }
    return 0;
}

static int test_grid_few_images(void)
{
    GridLayout g = grid_layout(3);
    CHECK(g.shown == 3 && g.cols == 3 && g.rows == 1);
    CHECK(g.w >= GRID_GAP + 3 * (CIFAR_SIDE * GRID_ZOOM + GRID_GAP));
    g = grid_layout(0);
    CHECK(g.shown == 0 && g.cols == 1 && g.rows == 1 && g.w > 0 && g.h > 0);
    return 0;
}

const TestCase font_tests[] = {
    {"font_renders_glyph", test_font_renders_glyph},
    {"canvas_clips", test_canvas_clips},
    {"grid_ppm", test_grid_ppm},
    {"grid_few_images", test_grid_few_images},
    {"grid_order", test_grid_order},
    {NULL, NULL},
};
