/* test_font.c - the bitmap font against a glyph written out here by hand, text
 * width, and the misclassified grid: its layout, its PPM header and size, and the
 * first wrong image found upscaled where the first tile goes. */
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
    Canvas c;
    Error err;
    CHECK(grid_misclassified(&c, pixels, labels, pred, 60, &err) == STATUS_OK);
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
    /* The first wrong image is 1, colour (1, 2, 3): its tile starts at x = GRID_GAP
     * and is exactly 32 * GRID_ZOOM pixels wide. */
    int found = -1;
    for (int y = 0; y < c.h && found < 0; y++)
        for (int x = 0; x < c.w && found < 0; x++) {
            Colour px = canvas_get(&c, x, y);
            if (px.r == 1 && px.g == 2 && px.b == 3)
                found = x;
        }
    CHECK(found == GRID_GAP);
    free(ppm), free(pixels), free(labels), free(pred);
    canvas_free(&c);
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
    {NULL, NULL},
};
