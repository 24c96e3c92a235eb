/* progress.c - the live status line on a terminal, fitted to its width; nothing
 * elsewhere. Output failures on stderr are ignored: progress is a courtesy and must
 * never stop a run. The line is plain ASCII, so its bytes are its columns. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "base/platform.h"
#include "report/progress.h"

/* The longest line drawn, whatever the terminal's width. */
#define PROGRESS_LINE_MAX 512
/* Room for one field of the line, the longest number included. */
#define FIELD_MAX 48
#define FIELDS 8
#define GAP "  "
/* A bar narrower than this (brackets included) tells too little to be worth it. */
#define BAR_MIN 12

/* The terminal's columns: asked of the terminal, else $COLUMNS, else the default. */
static int terminal_width(FILE *out)
{
    int cols = platform_columns(out);
    if (cols > 0)
        return cols;
    const char *env = getenv("COLUMNS");
    if (env) {
        char *end;
        long n = strtol(env, &end, 10);
        if (end != env && *end == '\0' && n > 0 && n < PROGRESS_LINE_MAX)
            return (int)n;
    }
    return PROGRESS_COLUMNS;
}

void progress_init(Progress *p, FILE *out, bool tty, int epochs, long batches,
                   double now)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty;
    p->width = PROGRESS_COLUMNS;
    if (out && tty) {
        p->width = terminal_width(out);
        platform_watch_resize();
    }
    p->epochs = epochs;
    p->batches = batches;
    p->start = p->epoch_start = now;
    p->last_draw = now - PROGRESS_REDRAW;
}

void progress_duration(char *buf, size_t cap, double seconds)
{
    long s = isfinite(seconds) && seconds > 0.0 ? lround(seconds) : 0;
    if (s >= 3600)
        snprintf(buf, cap, "%ldh%02ldm", s / 3600, s / 60 % 60);
    else if (s >= 60)
        snprintf(buf, cap, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(buf, cap, "%lds", s);
}

/* Seconds left until batch `left` batches from now is done, at this process's pace
 * so far (which includes the evaluations between epochs). */
static double eta(const Progress *p, int epoch, long batch, long left, double now)
{
    long first = p->first_epoch ? p->first_epoch : epoch;
    long done = ((long)epoch - first) * p->batches + batch - p->first_batch;
    if (done <= 0 || left <= 0)
        return 0.0;
    return (now - p->start) / (double)done * (double)left;
}

static double mean_loss(ProgressTally t)
{
    return t.count ? t.loss / (double)t.count : 0.0;
}

static double accuracy(ProgressTally t)
{
    return t.count ? 100.0 * (double)t.correct / (double)t.count : 0.0;
}

/* The line's fields, most wanted first (a narrow line keeps a prefix); their count. */
static int fields(char f[FIELDS][FIELD_MAX], const Progress *p, int epoch, long batch,
                  ProgressTally t, double now)
{
    char elapsed[32], run_left[32], epoch_left[32];
    long rest_of_epoch = p->batches - batch;
    progress_duration(elapsed, sizeof elapsed, now - p->start);
    progress_duration(run_left, sizeof run_left,
                      eta(p, epoch, batch, (long)(p->epochs - epoch) * p->batches +
                          rest_of_epoch, now));
    progress_duration(epoch_left, sizeof epoch_left,
                      eta(p, epoch, batch, rest_of_epoch, now));
    snprintf(f[0], FIELD_MAX, "epoch %d/%d", epoch, p->epochs);
    snprintf(f[1], FIELD_MAX, "batch %ld/%ld", batch, p->batches);
    snprintf(f[2], FIELD_MAX, "loss %.4f", mean_loss(t));
    snprintf(f[3], FIELD_MAX, "acc %.2f%%", accuracy(t));
    snprintf(f[4], FIELD_MAX, "run eta %s", run_left);
    snprintf(f[5], FIELD_MAX, "%.0f img/s", p->rate);
    snprintf(f[6], FIELD_MAX, "epoch eta %s", epoch_left);
    snprintf(f[7], FIELD_MAX, "elapsed %s", elapsed);
    return FIELDS;
}

/* "[###-------]" of width columns (brackets included): the epoch's batches done. */
static void draw_bar(char *out, size_t width, long batch, long batches)
{
    size_t inner = width - 2;
    size_t full = batches > 0 && batch > 0 ?
                  (size_t)((double)inner * (double)batch / (double)batches) : 0;
    if (full > inner)
        full = inner;
    out[0] = '[';
    memset(out + 1, '#', full);
    memset(out + 1 + full, '-', inner - full);
    out[width - 1] = ']';
}

/* How many of the n fields fit in room columns with gaps between; *used: columns. */
static int fitting(char f[FIELDS][FIELD_MAX], int n, size_t room, size_t *used)
{
    int kept = 0;
    *used = 0;
    while (kept < n) {
        size_t add = strlen(f[kept]) + (kept ? strlen(GAP) : 0);
        if (*used + add > room)
            break;
        *used += add;
        kept++;
    }
    return kept;
}

void progress_format(char *buf, size_t cap, const Progress *p, int epoch, long batch,
                     ProgressTally t, double now, int cols)
{
    char f[FIELDS][FIELD_MAX];
    int n = fields(f, p, epoch, batch, t, now);
    size_t room = cols > 0 ? (size_t)cols : 0;
    if (cap == 0)
        return;
    if (room > cap - 1)
        room = cap - 1;
    size_t used;
    int kept = fitting(f, n, room, &used);
    /* The bar follows the batch count, in the room the fields leave. */
    size_t bar = 0;
    if (kept >= 2 && room - used >= strlen(GAP) + BAR_MIN)
        bar = room - used - strlen(GAP);
    if (kept == 0) {   /* not even the epoch fits: as much of it as does */
        snprintf(buf, room + 1, "%s", f[0]);
        return;
    }
    size_t len = 0;
    for (int i = 0; i < kept; i++) {
        len += (size_t)sprintf(buf + len, "%s%s", i ? GAP : "", f[i]);
        if (i == 1 && bar) {
            len += (size_t)sprintf(buf + len, GAP);
            draw_bar(buf + len, bar, batch, p->batches);
            len += bar;
        }
    }
    buf[len] = '\0';
}

/* The columns a line may fill: all but the terminal's last, as some terminals wrap
 * to a new row as soon as a character lands in it, and the \r would then return to
 * that new row, leaving the old one behind. */
static int line_columns(const Progress *p)
{
    return p->width > 1 ? p->width - 1 : 1;
}

/* Blanks to cover what is left of the line drawn before, within the terminal. */
static int leftover(const Progress *p, int len)
{
    int shown = p->drawn < line_columns(p) ? p->drawn : line_columns(p);
    return shown > len ? shown - len : 0;
}

void progress_batch(Progress *p, int epoch, long batch, ProgressTally t, double now)
{
    if (!p->first_epoch) {
        p->first_epoch = epoch;
        p->first_batch = batch - 1;
    }
    double spent = now - p->epoch_start;
    if (spent > 0.0)
        p->rate = (double)t.count / spent;
    bool due = now - p->last_draw >= PROGRESS_REDRAW || batch == p->batches;
    if (!p->out || !p->tty || !due)
        return;
    if (platform_resized())
        p->width = terminal_width(p->out);
    char line[PROGRESS_LINE_MAX];
    progress_format(line, sizeof line, p, epoch, batch, t, now, line_columns(p));
    int len = (int)strlen(line);
    fprintf(p->out, "\r%s%*s", line, leftover(p, len), "");
    fflush(p->out);
    p->drawn = len;
    p->last_draw = now;
}

void progress_clear(Progress *p)
{
    if (!p->out || !p->tty || p->drawn == 0)
        return;
    fprintf(p->out, "\r%*s\r", leftover(p, 0), "");
    fflush(p->out);
    p->drawn = 0;
}

void progress_epoch_end(Progress *p, int epoch, ProgressTally t, double now)
{
    (void)epoch;   /* nothing is printed for the epoch off a terminal any more */
    (void)t;
    /* The next epoch's training starts about now. */
    p->epoch_start = now;
    progress_clear(p);
}
