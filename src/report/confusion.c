/* confusion.c - counting predictions per (true, predicted) class pair, writing
 * the counts as CSV text, and drawing them as a shaded table. */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "report/confusion.h"

#define GAP 8
#define TITLE_SCALE 2
#define COUNT_SCALE 2
/* Column heads at scale 1: "automobile" (59 px) fits a cell. */
#define HEAD_SCALE 1
#define LABEL_W (10 * FONT_ADVANCE * 2)     /* row names at scale 2 */
#define GRID_X (GAP + LABEL_W + GAP)
#define GRID_Y (GAP + FONT_H * TITLE_SCALE + GAP + FONT_H * HEAD_SCALE + GAP)

static const Colour PAPER = {255, 255, 255};
static const Colour INK = {20, 20, 20};
/* ColorBrewer's darkest "Blues": one hue, so its order reads without colour vision. */
static const Colour DARK = {8, 48, 107};

void confusion_count(Confusion *cm, const unsigned char *labels,
                     const unsigned char *pred, size_t n)
{
    memset(cm, 0, sizeof *cm);
    for (size_t i = 0; i < n; i++) {
        assert(labels[i] < CIFAR_CLASSES && pred[i] < CIFAR_CLASSES);
        cm->count[labels[i]][pred[i]]++;
    }
}

void confusion_csv(StrBuf *out, const Confusion *cm)
{
    strbuf_printf(out, "true/predicted");
    for (int p = 0; p < CIFAR_CLASSES; p++)
        strbuf_printf(out, ",%s", cifar_class_names[p]);
    strbuf_printf(out, "\n");
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        strbuf_printf(out, "%s", cifar_class_names[t]);
        for (int p = 0; p < CIFAR_CLASSES; p++)
            strbuf_printf(out, ",%zu", cm->count[t][p]);
        strbuf_printf(out, "\n");
    }
}

void confusion_classes_csv(StrBuf *out, const Confusion *cm)
{
    strbuf_printf(out, "class,images,correct,accuracy\n");
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        size_t images = 0;
        for (int p = 0; p < CIFAR_CLASSES; p++)
            images += cm->count[t][p];
        size_t correct = cm->count[t][t];
        strbuf_printf(out, "%s,%zu,%zu,", cifar_class_names[t], images, correct);
        if (images)
            strbuf_printf(out, "%.2f", 100.0 * (double)correct / (double)images);
        strbuf_printf(out, "\n");
    }
}

void confusion_cell_origin(int t, int p, int *x, int *y)
{
    *x = GRID_X + p * CONFUSION_CELL_W;
    *y = GRID_Y + t * CONFUSION_CELL_H;
}

Colour confusion_shade(double share)
{
    double s = share < 0.0 ? 0.0 : share > 1.0 ? 1.0 : share;
    Colour c = {(unsigned char)(PAPER.r + s * (DARK.r - PAPER.r) + 0.5),
                (unsigned char)(PAPER.g + s * (DARK.g - PAPER.g) + 0.5),
                (unsigned char)(PAPER.b + s * (DARK.b - PAPER.b) + 0.5)};
    return c;
}

/* text centred in the cell at (x, y), light on a dark shade. */
static void cell_text(Canvas *c, int x, int y, const char *text, double share)
{
    int w = font_text_width(text, COUNT_SCALE);
    Colour ink = share > 0.45 ? PAPER : INK;
    font_draw_text(c, x + (CONFUSION_CELL_W - w) / 2,
                   y + (CONFUSION_CELL_H - FONT_H * COUNT_SCALE) / 2 + 1, text,
                   COUNT_SCALE, ink);
}

static void draw_row(Canvas *c, const Confusion *cm, int t)
{
    size_t images = 0;
    for (int p = 0; p < CIFAR_CLASSES; p++)
        images += cm->count[t][p];
    int x, y;
    char text[32];
    for (int p = 0; p < CIFAR_CLASSES; p++) {
        double share = images ? (double)cm->count[t][p] / (double)images : 0.0;
        confusion_cell_origin(t, p, &x, &y);
        canvas_fill_rect(c, x, y, CONFUSION_CELL_W - 1, CONFUSION_CELL_H - 1,
                         confusion_shade(share));
        snprintf(text, sizeof text, "%zu", cm->count[t][p]);
        cell_text(c, x, y, text, share);
    }
    confusion_cell_origin(t, CIFAR_CLASSES, &x, &y);
    if (images) {
        snprintf(text, sizeof text, "%.1f%%",
                 100.0 * (double)cm->count[t][t] / (double)images);
        cell_text(c, x + 4, y, text, 0.0);
    }
    font_draw_text(c, GAP, y + (CONFUSION_CELL_H - FONT_H * 2) / 2 + 1,
                   cifar_class_names[t], 2, INK);
}

Status confusion_draw(Canvas *out, const Confusion *cm, Error *err)
{
    int w = GRID_X + (CIFAR_CLASSES + 1) * CONFUSION_CELL_W + 2 * GAP;
    int h = GRID_Y + CIFAR_CLASSES * CONFUSION_CELL_H + GAP;
    Status st = canvas_init(out, w, h, PAPER, err);
    if (st != STATUS_OK)
        return st;
    font_draw_text(out, GAP, GAP, "test set: rows true class, columns predicted",
                   TITLE_SCALE, INK);
    int head_y = GRID_Y - GAP - FONT_H * HEAD_SCALE, x, y;
    for (int p = 0; p <= CIFAR_CLASSES; p++) {
        const char *name = p < CIFAR_CLASSES ? cifar_class_names[p] : "accuracy";
        confusion_cell_origin(0, p, &x, &y);
        x += (CONFUSION_CELL_W - font_text_width(name, HEAD_SCALE)) / 2;
        font_draw_text(out, x + (p == CIFAR_CLASSES ? 4 : 0), head_y, name,
                       HEAD_SCALE, INK);
    }
    for (int t = 0; t < CIFAR_CLASSES; t++)
        draw_row(out, cm, t);
    return STATUS_OK;
}
