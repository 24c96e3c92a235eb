/* progress.c - the live status line on a terminal and the plain per-epoch line
 * elsewhere. Output failures on stderr are ignored: progress is a courtesy and must
 * never stop a run. */
#include <math.h>
#include <string.h>
#include "report/progress.h"

#define PROGRESS_LINE_MAX 160

void progress_init(Progress *p, FILE *out, bool tty, int epochs, long batches,
                   double now)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty;
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

/* Seconds left: this process's pace so far times the batches still to run. */
static double eta(const Progress *p, int epoch, long batch, double now)
{
    long first = p->first_epoch ? p->first_epoch : epoch;
    long total = ((long)p->epochs - first + 1) * p->batches;
    long done = ((long)epoch - first) * p->batches + batch;
    if (done <= 0 || total <= done)
        return 0.0;
    return (now - p->start) / (double)done * (double)(total - done);
}

static double mean_loss(ProgressTally t)
{
    return t.count ? t.loss / (double)t.count : 0.0;
}

static double accuracy(ProgressTally t)
{
    return t.count ? 100.0 * (double)t.correct / (double)t.count : 0.0;
}

void progress_format(char *buf, size_t cap, const Progress *p, int epoch, long batch,
                     ProgressTally t, double now)
{
    char elapsed[32], left[32];
    progress_duration(elapsed, sizeof elapsed, now - p->start);
    progress_duration(left, sizeof left, eta(p, epoch, batch, now));
    snprintf(buf, cap, "epoch %d/%d  batch %ld/%ld  %.0f img/s  loss %.4f  acc %.2f%%  "
             "%s, eta %s", epoch, p->epochs, batch, p->batches, p->rate, mean_loss(t),
             accuracy(t), elapsed, left);
}

void progress_batch(Progress *p, int epoch, long batch, ProgressTally t, double now)
{
    if (!p->first_epoch)
        p->first_epoch = epoch;
    double spent = now - p->epoch_start;
    if (spent > 0.0)
        p->rate = (double)t.count / spent;
    bool due = now - p->last_draw >= PROGRESS_REDRAW || batch == p->batches;
    if (!p->out || !p->tty || !due)
        return;
    char line[PROGRESS_LINE_MAX];
    progress_format(line, sizeof line, p, epoch, batch, t, now);
    int len = (int)strlen(line);
    /* Pad with blanks over the end of a longer line drawn before. */
    fprintf(p->out, "\r%s%*s", line, p->drawn > len ? p->drawn - len : 0, "");
    fflush(p->out);
    p->drawn = len;
    p->last_draw = now;
}

void progress_clear(Progress *p)
{
    if (!p->out || !p->tty || p->drawn == 0)
        return;
    fprintf(p->out, "\r%*s\r", p->drawn, "");
    fflush(p->out);
    p->drawn = 0;
}

void progress_epoch_end(Progress *p, int epoch, ProgressTally t, double now)
{
    /* The next epoch's training starts about now. */
    p->epoch_start = now;
    if (!p->out)
        return;
    if (p->tty) {
        progress_clear(p);
        return;
    }
    char line[PROGRESS_LINE_MAX];
    progress_format(line, sizeof line, p, epoch, p->batches, t, now);
    fprintf(p->out, "%s\n", line);
    fflush(p->out);
}
