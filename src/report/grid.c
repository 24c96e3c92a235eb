/* grid.c - the misclassified-images picture: a title line, then tiles of
 * nearest-neighbour upscaled test images with three lines of labels under each,
 * the images the model was surest of first. */
#include <stdbool.h>
#include <stdio.h>
#include "dataset/cifar.h"
#include "report/grid.h"

#define TILE_SIDE (CIFAR_SIDE * GRID_ZOOM)
#define TEXT_H (FONT_H * GRID_TEXT_SCALE)
/* Three label lines under the image, each with a little space above it. */
#define LABEL_H (3 * (TEXT_H + 4) + 2)
#define TITLE_H (TEXT_H + 2 * GRID_GAP)

static const Colour BACKGROUND = {28, 28, 32};
static const Colour TITLE_INK = {230, 230, 230};
/* Okabe and Ito's sky blue and orange: apart for every kind of colour blindness,
 * and in lightness too, unlike green and red. */
static const Colour TRUE_INK = {86, 180, 233};
static const Colour PRED_INK = {230, 159, 0};
static const Colour CONF_INK = {170, 170, 170};

static void title_text(char *buf, size_t cap, int shown, size_t wrong)
{
    snprintf(buf, cap, "%d of %zu misclassified test images, surest first: ", shown,
             wrong);
}

/* Whether wrong image a goes before b: surer of its wrong answer, then earlier. */
static bool before(const float *conf, size_t a, size_t b)
{
    return conf[a] > conf[b] || (conf[a] == conf[b] && a < b);
}

size_t grid_order(size_t *order, size_t cap, const unsigned char *labels,
                  const unsigned char *pred, const float *conf, size_t count)
{
    size_t wrong = 0, kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (labels[i] == pred[i])
            continue;
        wrong++;
        /* Insertion into the cap surest so far, kept sorted. */
        size_t at = kept < cap ? kept++ : cap;
        while (at > 0 && before(conf, i, order[at - 1])) {
            if (at < cap)
                order[at] = order[at - 1];
            at--;
        }
        if (at < cap)
            order[at] = i;
    }
    return wrong;
}

GridLayout grid_layout(size_t wrong)
{
    GridLayout g;
    size_t cap = (size_t)GRID_COLS * GRID_ROWS;
    g.shown = (int)(wrong < cap ? wrong : cap);
    g.cols = g.shown < GRID_COLS ? (g.shown ? g.shown : 1) : GRID_COLS;
    g.rows = g.shown ? (g.shown + GRID_COLS - 1) / GRID_COLS : 1;
    g.w = GRID_GAP + g.cols * (TILE_SIDE + GRID_GAP);
    g.h = TITLE_H + g.rows * (TILE_SIDE + LABEL_H + GRID_GAP);
    char title[128];
    title_text(title, sizeof title, g.shown, wrong);
    int need = 2 * GRID_GAP + font_text_width(title, GRID_TEXT_SCALE) +
               font_text_width("true predicted confidence", GRID_TEXT_SCALE) +
               FONT_ADVANCE * GRID_TEXT_SCALE;
    if (g.w < need)
        g.w = need;
    return g;
}

/* Test image i upscaled with its top-left corner at (x, y). */
static void draw_image(Canvas *c, const unsigned char *image, int x, int y)
{
    const unsigned char *red = image, *green = image + CIFAR_PLANE_BYTES,
                        *blue = image + 2 * CIFAR_PLANE_BYTES;
    for (int j = 0; j < CIFAR_SIDE; j++)
        for (int i = 0; i < CIFAR_SIDE; i++) {
            int at = j * CIFAR_SIDE + i;
            Colour px = {red[at], green[at], blue[at]};
            canvas_fill_rect(c, x + i * GRID_ZOOM, y + j * GRID_ZOOM, GRID_ZOOM,
                             GRID_ZOOM, px);
        }
}

static void draw_title(Canvas *c, int shown, size_t wrong)
{
    char title[128];
    title_text(title, sizeof title, shown, wrong);
    int x = GRID_GAP, y = GRID_GAP, space = FONT_ADVANCE * GRID_TEXT_SCALE;
    font_draw_text(c, x, y, title, GRID_TEXT_SCALE, TITLE_INK);
    x += font_text_width(title, GRID_TEXT_SCALE) + space;
    font_draw_text(c, x, y, "true", GRID_TEXT_SCALE, TRUE_INK);
    x += font_text_width("true", GRID_TEXT_SCALE) + space;
    font_draw_text(c, x, y, "predicted", GRID_TEXT_SCALE, PRED_INK);
    x += font_text_width("predicted", GRID_TEXT_SCALE) + space;
    font_draw_text(c, x, y, "confidence", GRID_TEXT_SCALE, CONF_INK);
}

static void draw_tile(Canvas *c, const unsigned char *image, int truth, int pred,
                      float conf, int x, int y)
{
    draw_image(c, image, x, y);
    int line = y + TILE_SIDE + 4;
    char percent[16];
    snprintf(percent, sizeof percent, "%.0f%%", 100.0 * (double)conf);
    font_draw_text(c, x, line, cifar_class_names[truth], GRID_TEXT_SCALE, TRUE_INK);
    font_draw_text(c, x, line + TEXT_H + 4, cifar_class_names[pred], GRID_TEXT_SCALE,
                   PRED_INK);
    font_draw_text(c, x, line + 2 * (TEXT_H + 4), percent, GRID_TEXT_SCALE, CONF_INK);
}

Status grid_misclassified(Canvas *out, const unsigned char *pixels,
                          const unsigned char *labels, const unsigned char *pred,
                          const float *conf, size_t count, Error *err)
{
    size_t order[GRID_COLS * GRID_ROWS];
    size_t wrong = grid_order(order, GRID_COLS * GRID_ROWS, labels, pred, conf, count);
    GridLayout g = grid_layout(wrong);
    Status st = canvas_init(out, g.w, g.h, BACKGROUND, err);
    if (st != STATUS_OK)
        return st;
    draw_title(out, g.shown, wrong);
    for (int k = 0; k < g.shown; k++) {
        size_t i = order[k];
        int x = GRID_GAP + (k % GRID_COLS) * (TILE_SIDE + GRID_GAP);
        int y = TITLE_H + (k / GRID_COLS) * (TILE_SIDE + LABEL_H + GRID_GAP);
        draw_tile(out, pixels + i * CIFAR_IMAGE_BYTES, labels[i], pred[i], conf[i], x,
                  y);
    }
    return STATUS_OK;
}
