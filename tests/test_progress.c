/* test_progress.c - the progress display: the line's fields fitted to 40, 80 and 200
 * columns and never wider than asked, the ETAs, durations, redraws in place with '\r'
 * on a terminal (throttled, within its width), nothing elsewhere or when quiet.
 * Output goes to a tmpfile and is read back. */
#include <string.h>
#include "report/progress.h"
#include "test.h"

/* A line buffer smaller than the widest terminals tried, to see it bound the line. */
#define PROGRESS_TEST_LINE 120

/* Everything written to f so far, as a string in buf. */
static int read_back(FILE *f, char *buf, size_t cap)
{
    CHECK(fflush(f) == 0);
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    return 0;
}

/* The line at 40, 80 and 200 columns: fields dropped from the right, never longer
 * than the width, a bar once there is room. */
static int test_progress_format(void)
{
    Progress p;
    progress_init(&p, NULL, false, 20, 391, 100.0);
    ProgressTally t = {.loss = 2.5 * 1280, .correct = 512, .count = 1280};
    for (long b = 1; b <= 10; b++)   /* 1280 images in 10 s, the last tally counts */
        progress_batch(&p, 1, b, t, 100.0 + (double)b);
    char line[300];
    progress_format(line, sizeof line, &p, 1, 10, t, 110.0, 40);
    CHECK(strlen(line) <= 40);
    CHECK(strcmp(line, "epoch 1/20  batch 10/391  loss 2.5000") == 0);
    progress_format(line, sizeof line, &p, 1, 10, t, 110.0, 80);
    CHECK(strlen(line) <= 80);
    /* 10 of 7820 batches in 10 s: 7810 s, about 2h10m, to go. */
    CHECK(strcmp(line, "epoch 1/20  batch 10/391  loss 2.5000  acc 40.00%  "
                 "run eta 2h10m  128 img/s") == 0);
    progress_format(line, sizeof line, &p, 1, 10, t, 110.0, 200);
    CHECK(strlen(line) <= 200 && strlen(line) > 190);   /* the bar fills the room */
    CHECK(strncmp(line, "epoch 1/20  batch 10/391  [##---", 32) == 0);
    /* 381 batches of this epoch at 1 s each: 6m21s. */
    CHECK(strstr(line, "---]  loss 2.5000  acc 40.00%  run eta 2h10m  128 img/s  "
                 "epoch eta 6m21s  elapsed 10s") != NULL);
    return 0;
}

/* No width and no state makes the line longer than asked, or than the buffer. */
static int test_progress_fits(void)
{
    Progress p;
    progress_init(&p, NULL, false, 1000000, 99999999, 0.0);
    ProgressTally t = {.loss = 1e300, .correct = 7, .count = 9};
    char line[PROGRESS_TEST_LINE];
    for (long batch = 1; batch <= 99999999; batch *= 99) {
        progress_batch(&p, 999999, batch, t, 1e9);
        for (int cols = -1; cols < PROGRESS_TEST_LINE + 10; cols++) {
            progress_format(line, sizeof line, &p, 999999, batch, t, 1e9, cols);
            CHECK(strlen(line) <= (size_t)(cols > 0 ? cols : 0));
            CHECK(strlen(line) < sizeof line);
        }
    }
    const int widths[] = {7, 8, 9, 200};   /* the buffer's size and around it */
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        progress_format(line, 8, &p, 1, 1, t, 1.0, widths[i]);
        CHECK(strcmp(line, "epoch 1") == 0);   /* cut at the buffer */
    }
    return 0;
}

/* A run resumed in the middle of an epoch: the ETAs count only the batches this
 * process ran, and say whose they are. */
static int test_progress_eta_resumed(void)
{
    Progress p;
    progress_init(&p, NULL, false, 4, 100, 0.0);
    ProgressTally t = {.loss = 1.0, .correct = 1, .count = 1};
    progress_batch(&p, 2, 51, t, 1.0);   /* batches 1-50 ran before */
    progress_batch(&p, 2, 52, t, 2.0);   /* so 2 batches in 2 s */
    char line[300];
    progress_format(line, sizeof line, &p, 2, 52, t, 2.0, 200);
    /* 48 left in the epoch, 48 + 200 in the run. */
    CHECK(strstr(line, "run eta 4m08s") && strstr(line, "epoch eta 48s"));
    return 0;
}

/* Rounded to the second at each unit's boundary; nonsense shows as 0s. */
static int test_progress_duration(void)
{
    char buf[32];
    progress_duration(buf, sizeof buf, 59.4);
    CHECK(strcmp(buf, "59s") == 0);
    progress_duration(buf, sizeof buf, 59.6);
    CHECK(strcmp(buf, "1m00s") == 0);
    progress_duration(buf, sizeof buf, 3725.0);
    CHECK(strcmp(buf, "1h02m") == 0);
    progress_duration(buf, sizeof buf, -3.0);
    CHECK(strcmp(buf, "0s") == 0);
    progress_duration(buf, sizeof buf, (double)NAN);
    CHECK(strcmp(buf, "0s") == 0);
    return 0;
}

/* The longest stretch between two \r or \n in text: the columns a terminal fills. */
static size_t widest_row(const char *text)
{
    size_t widest = 0;
    while (*text) {
        size_t n = strcspn(text, "\r\n");
        widest = n > widest ? n : widest;
        text += n + (text[n] != '\0');
    }
    return widest;
}

static int count_char(const char *text, char c)
{
    int n = 0;
    for (; *text; text++)
        n += *text == c;
    return n;
}

/* Off a terminal nothing at all; on one, redraws with \r, throttled, erased at the
 * epoch's end; quiet: nothing. */
static int test_progress_outputs(void)
{
    ProgressTally t = {.loss = 10.0, .correct = 3, .count = 10};
    char text[2048];
    FILE *f = tmpfile();
    CHECK(f != NULL);
    Progress p;
    progress_init(&p, f, false, 2, 4, 0.0);
    for (long b = 1; b <= 4; b++)
        progress_batch(&p, 1, b, t, 0.1 * (double)b);
    progress_epoch_end(&p, 1, t, 1.0);
    progress_clear(&p);
    CHECK(read_back(f, text, sizeof text) == 0);
    CHECK(text[0] == '\0');
    CHECK(fclose(f) == 0);

    f = tmpfile();
    CHECK(f != NULL);
    progress_init(&p, f, true, 2, 4, 0.0);
    p.width = 80;   /* not the tmpfile's: $COLUMNS or the default */
    for (long b = 1; b <= 4; b++)   /* 0.1 s apart: only the first and last draw */
        progress_batch(&p, 1, b, t, 0.1 * (double)b);
    progress_epoch_end(&p, 1, t, 1.0);
    CHECK(read_back(f, text, sizeof text) == 0);
    CHECK(strchr(text, '\n') == NULL);
    CHECK(count_char(text, '\r') == 4);   /* two draws, then an erase in two \r */
    CHECK(strstr(text, "batch 1/4") && !strstr(text, "batch 2/4") &&
          strstr(text, "batch 4/4"));
    CHECK(fclose(f) == 0);

    progress_init(&p, NULL, true, 2, 4, 0.0);   /* --quiet */
    progress_batch(&p, 1, 4, t, 1.0);
    progress_epoch_end(&p, 1, t, 2.0);
    progress_clear(&p);
    return 0;
}

/* A terminal of 40 columns, and one that shrinks from 200 to 40 between draws: no
 * row written reaches the last column, blanks over an older line included. */
static int test_progress_narrow(void)
{
    ProgressTally t = {.loss = 10.0, .correct = 3, .count = 10};
    char text[4096];
    FILE *f = tmpfile();
    CHECK(f != NULL);
    Progress p;
    progress_init(&p, f, true, 20, 391, 0.0);
    p.width = 200;
    progress_batch(&p, 1, 1, t, 1.0);
    CHECK(p.drawn == 199);
    p.width = 40;
    progress_batch(&p, 1, 2, t, 2.0);
    progress_batch(&p, 1, 3, t, 3.0);
    progress_clear(&p);
    CHECK(read_back(f, text, sizeof text) == 0);
    CHECK(count_char(text, '\r') == 5);
    /* The first draw fills 199 columns; every row after it, at most 39. */
    const char *after = strchr(text + 1, '\r');
    CHECK(after != NULL && widest_row(after) == 39);
    /* Three blanks cover the rest of the 39 columns shown of the first line. */
    CHECK(strstr(after, "epoch 1/20  batch 2/391  loss 1.0000   \r") != NULL);
    CHECK(fclose(f) == 0);
    return 0;
}

const TestCase progress_tests[] = {
    {"progress_format", test_progress_format},
    {"progress_fits", test_progress_fits},
    {"progress_eta_resumed", test_progress_eta_resumed},
    {"progress_narrow", test_progress_narrow},
    {"progress_duration", test_progress_duration},
    {"progress_outputs", test_progress_outputs},
    {NULL, NULL},
};
