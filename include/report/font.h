/* font.h - a built-in bitmap font, 5x7 glyphs plus a descender row (a-z with
 * capitals folded to lower case, 0-9 and a few symbols), and the RGB canvas it
 * draws on. A canvas is planar rgb[3][h][w] bytes, the layout ppm_encode takes.
 * Drawing clips at the edges.
 * Exported prefixes: font_, canvas_, FONT_. */
#ifndef CIFAR_FONT_H
#define CIFAR_FONT_H

#include "base/status.h"

#define FONT_W 5
/* Seven rows from the top of a capital to the baseline, and one for descenders. */
#define FONT_H 8
/* Horizontal distance from one glyph to the next: the glyph and one blank column. */
#define FONT_ADVANCE (FONT_W + 1)

typedef struct {
    unsigned char r, g, b;
} Colour;

typedef struct {
    int w, h;
    unsigned char *rgb;     /* planar [3][h][w] */
} Canvas;

/* The glyph of c as FONT_H strings of FONT_W characters, '#' for ink and '.' for
 * background, top row first. Characters without a glyph get the '?' glyph. */
const char *const *font_glyph(char c);
/* Width in pixels of text drawn at scale (no trailing blank column). */
int font_text_width(const char *text, int scale);
/* Draw text with its top-left corner at (x, y), each font pixel a scale x scale
 * square. Only ink pixels are painted. */
void font_draw_text(Canvas *c, int x, int y, const char *text, int scale, Colour ink);

/* A w x h canvas filled with bg; STATUS_NOMEM if it cannot be allocated. */
Status canvas_init(Canvas *c, int w, int h, Colour bg, Error *err);
void canvas_free(Canvas *c);
/* Fill a rectangle, clipped to the canvas. */
void canvas_fill_rect(Canvas *c, int x, int y, int w, int h, Colour col);
/* Colour of pixel (x, y), which must be inside. */
Colour canvas_get(const Canvas *c, int x, int y);

#endif
