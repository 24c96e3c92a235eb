/* plot.h - line charts as SVG text, written by the tool itself: one or more panels
 * side by side, each with a title, axes with "nice" ticks (1, 2 or 5 times a power
 * of ten) and labels, one polyline per series (with dots when there are few points,
 * or a marker shape of its own), shaded bands (a range per x) behind the lines, and
 * a legend in a margin of its own, so it never covers a line. NaN values are gaps.
 * Exported prefixes: plot_, PLOT_. */
#ifndef CIFAR_PLOT_H
#define CIFAR_PLOT_H

#include <stdbool.h>
#include "base/strbuf.h"

/* Colours cycle through this many; after that series are also dashed. */
#define PLOT_COLOURS 10
/* Marker shapes (circle, square, triangle, diamond, down triangle, plus) cycle. */
#define PLOT_MARKERS 6

typedef struct {
    const char *label;
    const double *x, *y;    /* [n] */
    int n;
    int colour;             /* index, taken modulo PLOT_COLOURS */
    int dash;               /* 0 solid, else one of a few dash patterns (cycled) */
    int marker;             /* 0: dots when few points; k > 0: shape k - 1 (cycled)
                             * on every point, or on about 40 of a long series;
                             * -1: none */
    bool thin;              /* 1 px and faded, behind the full lines */
    bool shaded;            /* its legend sample sits on a band's shade */
} PlotSeries;

/* A shaded range per x, behind every line, without a legend row of its own. */
typedef struct {
    const double *x, *lo, *hi;  /* [n]; a NaN in any of them is a gap */
    int n;
    int colour;
} PlotBand;

typedef struct {
    const char *title, *xlabel, *ylabel;
    const PlotSeries *series;
    int nseries;
    const PlotBand *bands;  /* may be NULL when nbands is 0 */
    int nbands;
    bool integer_x;         /* x ticks on whole numbers only (epochs) */
    bool no_legend;         /* no legend margin (another panel has the legend) */
    int width;              /* pixels; 0: plot_svg's panel_w */
} PlotPanel;

/* Ticks: the smallest range [*lo, *hi] of whole multiples of *step that holds
 * [min, max], with about target intervals (target >= 1). A zero-width range is
 * widened around its value; integer forces a step of at least 1. */
void plot_nice_range(double min, double max, int target, bool integer, double *lo,
                     double *hi, double *step);

/* Pixels the legend of p takes at the right of its panel (0 with no_legend). */
double plot_legend_width(const PlotPanel *p);

/* A whole SVG document: a title line, then npanels panels of panel_h pixels high
 * side by side, each panel_w wide unless it sets its own width. */
void plot_svg(StrBuf *out, const char *title, const PlotPanel *panels, int npanels,
              int panel_w, int panel_h);

#endif
