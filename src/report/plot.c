/* plot.c - SVG line charts. Coordinates are pixels with y down; text widths are
 * estimated from the character count (no font metrics), with room to spare. */
#include <math.h>
#include <string.h>
#include "report/plot.h"

#define TITLE_H 30          /* the document's title line */
#define MARGIN_LEFT 66      /* y tick labels and the rotated y label */
#define MARGIN_TOP 34       /* the panel title */
#define MARGIN_BOTTOM 46    /* x tick labels and the x label */
#define CHAR_W 7.0          /* estimated width of a 12 px sans-serif character */
#define LEGEND_LINE 22      /* the legend's sample line */
#define LEGEND_ROW 18
#define LEGEND_MAX_CHARS 32 /* longer labels are shortened with "..." */
#define TICK_TARGET 5
#define DOT_MAX_POINTS 40   /* series with more points get no dots */
#define INSET 8             /* data stay this far inside the frame, off its lines */
#define MARKER_MAX_POINTS 40 /* a long series gets a marker on about this many */
#define MARKER_R 3.5        /* marker half size in pixels */
#define BAND_OPACITY 0.18   /* light enough for the lines on it to stay readable */

static const char *const palette[PLOT_COLOURS] = {
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
#define DASHES 3
static const char *const dashes[DASHES] = {"6 4", "2 3", "10 3 2 3"};

void plot_nice_range(double min, double max, int target, bool integer, double *lo,
                     double *hi, double *step)
{
    if (!(max > min)) {
        double d = fabs(min) > 0.0 ? 0.05 * fabs(min) : 1.0;
        min -= d;
        max += d;
    }
    double raw = (max - min) / (double)(target > 0 ? target : 1);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double s = (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
    if (integer && s < 1.0)
        s = 1.0;
    /* The small slack keeps a value that is a multiple of the step from rounding
     * one step too far through floating-point noise. */
    *lo = floor(min / s + 1e-9) * s;
    *hi = ceil(max / s - 1e-9) * s;
    if (!(*hi > *lo))
        *hi = *lo + s;
    *step = s;
}

/* The pixel frame of one panel and its data ranges. */
typedef struct {
    double left, top, w, h;         /* plot area */
    double xlo, xhi, xstep, ylo, yhi, ystep;
    double legend_x;
    int label_chars;
} Frame;

static double px(const Frame *f, double x)
{
    return f->left + INSET + (x - f->xlo) / (f->xhi - f->xlo) * (f->w - 2 * INSET);
}

static double py(const Frame *f, double y)
{
    return f->top + f->h - INSET - (y - f->ylo) / (f->yhi - f->ylo) * (f->h - 2 * INSET);
}

static int decimals(double step)
{
    return step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
}

/* Widen [xmin, xmax] x [ymin, ymax] to hold the finite points of x and y[n]. */
static void grow_range(const double *x, const double *y, int n, double *xmin,
                       double *xmax, double *ymin, double *ymax)
{
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            continue;
        *xmin = fmin(*xmin, x[i]), *xmax = fmax(*xmax, x[i]);
        *ymin = fmin(*ymin, y[i]), *ymax = fmax(*ymax, y[i]);
    }
}

static void data_range(const PlotPanel *p, double *xmin, double *xmax, double *ymin,
                       double *ymax)
{
    *xmin = *ymin = (double)INFINITY;
    *xmax = *ymax = -(double)INFINITY;
    for (int s = 0; s < p->nseries; s++)
        grow_range(p->series[s].x, p->series[s].y, p->series[s].n, xmin, xmax, ymin,
                   ymax);
    for (int b = 0; b < p->nbands; b++) {
        const PlotBand *band = &p->bands[b];
        grow_range(band->x, band->lo, band->n, xmin, xmax, ymin, ymax);
        grow_range(band->x, band->hi, band->n, xmin, xmax, ymin, ymax);
    }
    if (*xmin > *xmax)
        *xmin = *ymin = 0.0, *xmax = *ymax = 1.0;
}

static int label_chars(const PlotPanel *p)
{
    int most = 0;
    for (int s = 0; s < p->nseries; s++) {
        int n = (int)strlen(p->series[s].label);
        most = n > most ? n : most;
    }
    return most < LEGEND_MAX_CHARS ? most : LEGEND_MAX_CHARS;
}

double plot_legend_width(const PlotPanel *p)
{
    return p->no_legend ? 10.0 : LEGEND_LINE + 20 + CHAR_W * label_chars(p);
}

static Frame frame(const PlotPanel *p, double ox, double oy, int w, int h)
{
    Frame f;
    double xmin, xmax, ymin, ymax;
    data_range(p, &xmin, &xmax, &ymin, &ymax);
    plot_nice_range(xmin, xmax, TICK_TARGET, p->integer_x, &f.xlo, &f.xhi, &f.xstep);
    if (p->integer_x) {
        /* Epochs: the axis spans the data, not 0 .. a round number. */
        f.xlo = xmax > xmin ? xmin : xmin - 1.0;
        f.xhi = xmax > xmin ? xmax : xmax + 1.0;
    }
    plot_nice_range(ymin, ymax, TICK_TARGET, false, &f.ylo, &f.yhi, &f.ystep);
    f.label_chars = label_chars(p);
    double legend_w = plot_legend_width(p);
    f.left = ox + MARGIN_LEFT;
    f.top = oy + MARGIN_TOP;
    f.w = w - MARGIN_LEFT - legend_w;
    f.h = h - MARGIN_TOP - MARGIN_BOTTOM;
    f.legend_x = f.left + f.w + 14;
    return f;
}

static void axes(StrBuf *o, const Frame *f, const PlotPanel *p)
{
    double bottom = f->top + f->h;
    int yd = decimals(f->ystep), xd = decimals(f->xstep);
    long ny = lround((f->yhi - f->ylo) / f->ystep);
    /* x ticks at the multiples of the step inside the range. */
    double xfirst = ceil(f->xlo / f->xstep - 1e-9) * f->xstep;
    long nx = lround(floor((f->xhi - xfirst) / f->xstep + 1e-9));
    for (long i = 0; i <= ny; i++) {
        double v = f->ylo + (double)i * f->ystep, y = py(f, v);
        strbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"#e4e4e4\"/>\n", f->left, y, f->left + f->w, y);
        strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>\n",
                      f->left - 6, y + 4, yd, v);
    }
    /* Epochs also label the first one, unless it would crowd the next tick. */
    bool first_too = p->integer_x && xfirst - f->xlo > 0.3 * f->xstep;
    for (long i = first_too ? -1 : 0; i <= nx; i++) {
        double v = i < 0 ? f->xlo : xfirst + (double)i * f->xstep, x = px(f, v);
        strbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                      "stroke=\"#333\"/>\n", x, bottom, x, bottom + 5);
        strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                      "%.*f</text>\n",
                      x, bottom + 18, xd, v);
    }
    strbuf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                  "fill=\"none\" stroke=\"#333\"/>\n", f->left, f->top, f->w, f->h);
    strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                  f->left + f->w / 2, bottom + 38);
    strbuf_xml(o, p->xlabel);
    double yx = f->left - MARGIN_LEFT + 16, yy = f->top + f->h / 2;
    strbuf_printf(o, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                  "transform=\"rotate(-90 %.1f %.1f)\">", yx, yy, yx, yy);
    strbuf_xml(o, p->ylabel);
    strbuf_printf(o, "</text>\n<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
                  "font-size=\"14\" font-weight=\"bold\">", f->left + f->w / 2,
                  f->top - 12);
    strbuf_xml(o, p->title);
    strbuf_printf(o, "</text>\n");
}

static void stroke_style(StrBuf *o, const PlotSeries *s)
{
    int dash = s->dash > 0 ? s->dash : s->colour >= PLOT_COLOURS;
    strbuf_printf(o, "fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"",
                  palette[s->colour % PLOT_COLOURS],
                  s->thin ? "1\" stroke-opacity=\"0.6" : "2");
    if (dash > 0)
        strbuf_printf(o, " stroke-dasharray=\"%s\"", dashes[(dash - 1) % DASHES]);
}

/* One marker of shape (0 .. PLOT_MARKERS - 1) centred on (x, y), filled. */
static void marker(StrBuf *o, int shape, double x, double y, const char *colour)
{
    double r = MARKER_R;
    switch (shape % PLOT_MARKERS) {
    case 0:
        strbuf_printf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\"", x, y, r);
        break;
    case 1:
        strbuf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                      "height=\"%.1f\"", x - r, y - r, 2 * r, 2 * r);
        break;
    case 2:
        strbuf_printf(o, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"", x, y - r * 1.2,
                      x + r * 1.1, y + r * 0.8, x - r * 1.1, y + r * 0.8);
        break;
    case 3:
        strbuf_printf(o, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"", x,
                      y - r * 1.3, x + r, y, x, y + r * 1.3, x - r, y);
        break;
    case 4:
        strbuf_printf(o, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\"", x, y + r * 1.2,
                      x + r * 1.1, y - r * 0.8, x - r * 1.1, y - r * 0.8);
        break;
    default:
        strbuf_printf(o, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1f\" "
                      "stroke=\"%s\" stroke-width=\"2.5\"", x - r, y, x + r, x,
                      y - r, y + r, colour);
        break;
    }
    strbuf_printf(o, " fill=\"%s\"/>\n", colour);
}

/* Dots on every point of a short series; a marker series marks every point, or
 * evenly spaced ones of a long series. */
static void series_points(StrBuf *o, const Frame *f, const PlotSeries *s)
{
    const char *colour = palette[s->colour % PLOT_COLOURS];
    if (s->marker < 0 || (s->marker == 0 && s->n > DOT_MAX_POINTS))
        return;
    int every = s->marker > 0 ? (s->n + MARKER_MAX_POINTS - 1) / MARKER_MAX_POINTS : 1;
    for (int i = 0; i < s->n; i += every > 0 ? every : 1) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i]))
            continue;
        if (s->marker > 0)
            marker(o, s->marker - 1, px(f, s->x[i]), py(f, s->y[i]), colour);
        else
            strbuf_printf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" "
                          "fill=\"%s\"/>\n", px(f, s->x[i]), py(f, s->y[i]), colour);
    }
}

static void series_line(StrBuf *o, const Frame *f, const PlotSeries *s)
{
    strbuf_printf(o, "<path d=\"");
    bool pen_down = false;
    for (int i = 0; i < s->n; i++) {
        if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
            pen_down = false;
            continue;
        }
        strbuf_printf(o, "%s%.1f %.1f ", pen_down ? "L" : "M", px(f, s->x[i]),
                      py(f, s->y[i]));
        pen_down = true;
    }
    strbuf_printf(o, "\" ");
    stroke_style(o, s);
    strbuf_printf(o, "/>\n");
    series_points(o, f, s);
}

static bool band_point(const PlotBand *b, int i)
{
    return isfinite(b->x[i]) && isfinite(b->lo[i]) && isfinite(b->hi[i]);
}

/* One filled polygon per stretch of finite points: along hi, then back along lo. */
static void band_area(StrBuf *o, const Frame *f, const PlotBand *b)
{
    for (int start = 0; start < b->n;) {
        if (!band_point(b, start)) {
            start++;
            continue;
        }
        int end = start;
        while (end < b->n && band_point(b, end))
            end++;
        strbuf_printf(o, "<path d=\"");
        for (int i = start; i < end; i++)
            strbuf_printf(o, "%s%.1f %.1f ", i == start ? "M" : "L", px(f, b->x[i]),
                          py(f, b->hi[i]));
        for (int i = end - 1; i >= start; i--)
            strbuf_printf(o, "L%.1f %.1f ", px(f, b->x[i]), py(f, b->lo[i]));
        strbuf_printf(o, "Z\" fill=\"%s\" fill-opacity=\"%.2f\" stroke=\"none\"/>\n",
                      palette[b->colour % PLOT_COLOURS], BAND_OPACITY);
        start = end;
    }
}

/* Legend text: the label, shortened to LEGEND_MAX_CHARS with "..." in the middle
 * so both a run's parent directory and its own name stay visible. */
static void legend_label(StrBuf *o, const char *label)
{
    size_t n = strlen(label), keep = LEGEND_MAX_CHARS - 3;
    if (n <= LEGEND_MAX_CHARS) {
        strbuf_xml(o, label);
        return;
    }
    char buf[LEGEND_MAX_CHARS + 1];
    memcpy(buf, label, keep / 2);
    memcpy(buf + keep / 2, "...", 3);
    memcpy(buf + keep / 2 + 3, label + n - (keep - keep / 2), keep - keep / 2);
    buf[LEGEND_MAX_CHARS] = '\0';
    strbuf_xml(o, buf);
}

static void legend(StrBuf *o, const Frame *f, const PlotPanel *p)
{
    for (int s = 0; s < p->nseries; s++) {
        double y = f->top + 10 + s * LEGEND_ROW;
        const PlotSeries *ps = &p->series[s];
        const char *colour = palette[ps->colour % PLOT_COLOURS];
        if (ps->shaded)
            strbuf_printf(o, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"10\" "
                          "fill=\"%s\" fill-opacity=\"%.2f\"/>\n", f->legend_x,
                          y - 5, LEGEND_LINE, colour, BAND_OPACITY);
        strbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" ",
                      f->legend_x, y, f->legend_x + LEGEND_LINE, y);
        stroke_style(o, ps);
        strbuf_printf(o, "/>\n");
        if (ps->marker > 0)
            marker(o, ps->marker - 1, f->legend_x + LEGEND_LINE / 2.0, y, colour);
        strbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\">",
                      f->legend_x + LEGEND_LINE + 6, y + 4);
        legend_label(o, p->series[s].label);
        strbuf_printf(o, "</text>\n");
    }
}

void plot_svg(StrBuf *out, const char *title, const PlotPanel *panels, int npanels,
              int panel_w, int panel_h)
{
    int w = 0, h = TITLE_H + panel_h;
    for (int i = 0; i < npanels; i++)
        w += panels[i].width > 0 ? panels[i].width : panel_w;
    strbuf_printf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
                  "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                  "<text x=\"12\" y=\"20\" font-size=\"15\">", w, h, w, h);
    strbuf_xml(out, title);
    strbuf_printf(out, "</text>\n");
    int left = 0;
    for (int i = 0; i < npanels; i++) {
        const PlotPanel *p = &panels[i];
        int pw = p->width > 0 ? p->width : panel_w;
        Frame f = frame(p, (double)left, TITLE_H, pw, panel_h);
        left += pw;
        axes(out, &f, p);
        for (int b = 0; b < p->nbands; b++)
            band_area(out, &f, &p->bands[b]);
        /* Thin lines first, so the full ones are drawn over them. */
        for (int s = 0; s < p->nseries; s++)
            if (p->series[s].thin)
                series_line(out, &f, &p->series[s]);
        for (int s = 0; s < p->nseries; s++)
            if (!p->series[s].thin)
                series_line(out, &f, &p->series[s]);
        if (!p->no_legend)
            legend(out, &f, p);
    }
    strbuf_printf(out, "</svg>\n");
}
