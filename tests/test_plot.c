/* test_plot.c - the SVG charts: nice tick ranges by hand, documents that parse as
 * XML (with labels that need escaping and NaN gaps), and the XML check itself
 * rejecting broken documents, so a passing check means something. */
#include <string.h>
#include "report/plot.h"
#include "test.h"

/* Tick values are sums of a few decimal steps: equal to within rounding. */
#define TICK_TOL 1e-9

static int test_plot_nice_range(void)
{
    double lo, hi, step;
    plot_nice_range(0.3, 9.7, 5, false, &lo, &hi, &step);
    CHECK_CLOSE(lo, 0.0, TICK_TOL, 0);
    CHECK_CLOSE(hi, 10.0, TICK_TOL, 0);
    CHECK_CLOSE(step, 2.0, TICK_TOL, 0);
    plot_nice_range(1.913, 2.273, 5, false, &lo, &hi, &step);
    CHECK_CLOSE(lo, 1.9, TICK_TOL, 0);
    CHECK_CLOSE(hi, 2.3, TICK_TOL, 0);
    CHECK_CLOSE(step, 0.1, TICK_TOL, 0);
    plot_nice_range(1, 3, 5, true, &lo, &hi, &step);
    CHECK(lo == 1.0 && hi == 3.0 && step == 1.0);
    plot_nice_range(20, 20, 5, false, &lo, &hi, &step);
    CHECK(lo < 20 && hi > 20 && step > 0);
    plot_nice_range(0, 0, 5, false, &lo, &hi, &step);
    CHECK(lo < 0 && hi > 0);
    return 0;
}

static int test_plot_svg_wellformed(void)
{
    const double x[4] = {1, 2, 3, 4}, y1[4] = {10, 20, (double)NAN, 35}, y2[4] = {5, 6, 7, 8};
    PlotSeries s[2] = {
        {.label = "runs/a<b&c", .x = x, .y = y1, .n = 4, .colour = 0},
        {.label = "a very long label that the legend has to shorten for room",
         .x = x, .y = y2, .n = 4, .colour = 11},
    };
    PlotPanel p[2] = {
        {.title = "loss", .xlabel = "epoch", .ylabel = "y \"quoted\"", .series = s,
         .nseries = 2, .integer_x = true},
        {.title = "empty", .xlabel = "epoch", .ylabel = "y", .series = s, .nseries = 0},
    };
    StrBuf b;
    strbuf_init(&b);
    plot_svg(&b, "title & more", p, 2, 500, 360);
    char why[128];
    int ok = test_xml_wellformed(strbuf_text(&b), why, sizeof why);
    if (!ok)
        fprintf(stderr, "  %s\n", why);
    CHECK(ok);
    CHECK(strstr(b.data, "runs/a&lt;b&amp;c") != NULL);
    CHECK(strstr(b.data, "title &amp; more") != NULL);
    CHECK(strstr(b.data, "...") != NULL);            /* the long label shortened */
    CHECK(strstr(b.data, "stroke-dasharray") != NULL); /* colour 11 cycles, dashed */
    CHECK(strstr(b.data, "width=\"1000\" height=\"390\"") != NULL);
    /* The NaN splits the first line in two: two "M" moves in one path. */
    const char *path = strstr(b.data, "<path d=\"M");
    CHECK(path && strchr(path + 10, 'M') < strchr(path, '/'));
    strbuf_free(&b);
    return 0;
}

static int test_xml_check_rejects(void)
{
    static const char *const bad[] = {
        "<svg><g></svg>", "<svg><g></g>", "<svg a=1></svg>", "<svg>a & b</svg>",
        "<svg>a < b</svg>", "<svg/><svg/>", "text<svg/>", "<svg x=\"<\"/>", "",
        "<svg><!-- open </svg>", "<svg><!-- a -- b --></svg>",
    };
    char why[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (test_xml_wellformed(bad[i], why, sizeof why))
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        CHECK(!test_xml_wellformed(bad[i], why, sizeof why));
    }
    CHECK(test_xml_wellformed("<?xml version=\"1.0\"?>\n<svg a='1'><g/>x &amp; y"
                              "&#38;</svg>\n", why, sizeof why));
    CHECK(test_xml_wellformed("<?xml version=\"1.0\"?>\n<!-- mark -->\n<svg/>", why,
                              sizeof why));
    return 0;
}

const TestCase plot_tests[] = {
    {"plot_nice_range", test_plot_nice_range},
    {"plot_svg_wellformed", test_plot_svg_wellformed},
    {"xml_check_rejects", test_xml_check_rejects},
    {NULL, NULL},
};
