/* plot.h - line charts as SVG text, written by the tool itself: one or more panels
 * side by side, each with a title, axes with "nice" ticks (1, 2 or 5 times a power
 * of ten) and labels, one polyline per series (with dots when there are few points)
 * and a legend in a margin of its own, so it never covers a line. NaN values are
 * gaps. Exported prefixes: plot_, PLOT_. */
#ifndef CIFAR_PLOT_H
#define CIFAR_PLOT_H

#include <stdbool.h>
#include "base/strbuf.h"

/* Colours cycle through this many; after that series are also dashed. */
#define PLOT_COLOURS 10

typedef struct {
    const char *label;
    const double *x, *y;    /* [n] */
    int n;
    int colour;             /* index, taken modulo PLOT_COLOURS */
    bool dashed;
} PlotSeries;

typedef struct {
    const char *title, *xlabel, *ylabel;
    const PlotSeries *series;
    int nseries;
    bool integer_x;         /* x ticks on whole numbers only (epochs) */
} PlotPanel;

/* Ticks: the smallest range [*lo, *hi] of whole multiples of *step that holds
 * [min, max], with about target intervals (target >= 1). A zero-width range is
 * widened around its value; integer forces a step of at least 1. */
void plot_nice_range(double min, double max, int target, bool integer, double *lo,
                     double *hi, double *step);

/* A whole SVG document: a title line, then npanels panels of panel_w x panel_h
 * pixels side by side. */
void plot_svg(StrBuf *out, const char *title, const PlotPanel *panels, int npanels,
              int panel_w, int panel_h);

#endif
