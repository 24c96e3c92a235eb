/* test_progress.c - the progress display: the line's fields, durations, redraws in
 * place with '\r' on a terminal (throttled), plain lines without '\r' elsewhere, and
 * silence when quiet. Output goes to a tmpfile and is read back. */
#include <string.h>
#include "report/progress.h"
#include "test.h"

/* Everything written to f so far, as a string in buf. */
static int read_back(FILE *f, char *buf, size_t cap)
{
    CHECK(fflush(f) == 0);
    rewind(f);
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    return 0;
}

static int test_progress_format(void)
{
    Progress p;
    progress_init(&p, NULL, false, 20, 391, 100.0);
    ProgressTally t = {.loss = 2.5 * 1280, .correct = 512, .count = 1280};
    progress_batch(&p, 1, 10, t, 110.0);   /* 1280 images in 10 s */
    char line[200];
    progress_format(line, sizeof line, &p, 1, 10, t, 110.0);
    CHECK(strstr(line, "epoch 1/20") && strstr(line, "batch 10/391"));
    CHECK(strstr(line, "128 img/s") && strstr(line, "loss 2.5000"));
    CHECK(strstr(line, "acc 40.00%") && strstr(line, "10s, eta "));
    /* 10 of 7820 batches in 10 s: 7810 s, about 2h10m, to go. */
    CHECK(strstr(line, "eta 2h10m") != NULL);
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
    CHECK(read_back(f, text, sizeof text) == 0);
    CHECK(strchr(text, '\r') == NULL);
    CHECK(strncmp(text, "epoch 1/2  batch 4/4", 20) == 0);
    CHECK(strchr(text, '\n') == text + strlen(text) - 1);   /* one line */
    CHECK(fclose(f) == 0);

    f = tmpfile();
    CHECK(f != NULL);
    progress_init(&p, f, true, 2, 4, 0.0);
    for (long b = 1; b <= 4; b++)   /* 0.1 s apart: only the first and last draw */
        progress_batch(&p, 1, b, t, 0.1 * (double)b);
    progress_epoch_end(&p, 1, t, 1.0);
    CHECK(read_back(f, text, sizeof text) == 0);
    CHECK(strchr(text, '\n') == NULL);
    int returns = 0;
    for (const char *c = text; *c; c++)
        returns += *c == '\r';
    CHECK(returns == 4);   /* two draws, then an erase that starts and ends with \r */
    CHECK(strstr(text, "batch 1/4") && !strstr(text, "batch 2/4") &&
          strstr(text, "batch 4/4"));
    CHECK(fclose(f) == 0);

    progress_init(&p, NULL, true, 2, 4, 0.0);   /* --quiet */
    progress_batch(&p, 1, 4, t, 1.0);
    progress_epoch_end(&p, 1, t, 2.0);
    progress_clear(&p);
    return 0;
}

const TestCase progress_tests[] = {
    {"progress_format", test_progress_format},
    {"progress_duration", test_progress_duration},
    {"progress_outputs", test_progress_outputs},
    {NULL, NULL},
};
