/* test_confusion.c - the confusion matrix sums to the test count with the correct
 * predictions on its diagonal; confusion.csv and classes.csv, parsed back, agree
 * with it and with each other. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "report/confusion.h"
#include "test.h"

#define NTEST 537

static int test_confusion_counts_and_csv(void)
{
    unsigned char labels[NTEST], pred[NTEST];
    size_t correct = 0;
    Rng rng;
    rng_seed(&rng, 7, RNG_STREAM_TEST);
    for (int i = 0; i < NTEST; i++) {
        labels[i] = (unsigned char)rng_below(&rng, CIFAR_CLASSES);
        pred[i] = rng_below(&rng, 3) ? labels[i]
                                     : (unsigned char)rng_below(&rng, CIFAR_CLASSES);
        correct += pred[i] == labels[i];
    }
    Confusion cm;
    confusion_count(&cm, labels, pred, NTEST);
    size_t total = 0, diagonal = 0;
    for (int t = 0; t < CIFAR_CLASSES; t++)
        for (int p = 0; p < CIFAR_CLASSES; p++)
            total += cm.count[t][p], diagonal += t == p ? cm.count[t][p] : 0;
    CHECK(total == NTEST && diagonal == correct);

    StrBuf b;
    strbuf_init(&b);
    confusion_csv(&b, &cm);
    CHECK(strncmp(b.data, "true/predicted,airplane,automobile,", 35) == 0);
    size_t csv_total = 0, rows = 0;
    for (const char *line = strchr(b.data, '\n') + 1; *line; rows++) {
        const char *name = cifar_class_names[rows];
        CHECK(strncmp(line, name, strlen(name)) == 0);
        const char *p = strchr(line, ',');
        for (int k = 0; k < CIFAR_CLASSES; k++, p = strchr(p + 1, ','))
            csv_total += strtoul(p + 1, NULL, 10);
        line = strchr(line, '\n') + 1;
    }
    CHECK(rows == CIFAR_CLASSES && csv_total == NTEST);
    strbuf_free(&b);

    strbuf_init(&b);
    confusion_classes_csv(&b, &cm);
    CHECK(strncmp(b.data, "class,images,correct,accuracy\n", 30) == 0);
    const char *line = b.data + 30;
    size_t images_sum = 0, correct_sum = 0;
    for (int c = 0; c < CIFAR_CLASSES; c++) {
        char name[16];
        size_t images, right;
        double acc;
        CHECK(sscanf(line, "%15[a-z],%zu,%zu,%lf", name, &images, &right, &acc) == 4);
        CHECK(strcmp(name, cifar_class_names[c]) == 0);
        size_t row = 0;
        for (int p = 0; p < CIFAR_CLASSES; p++)
            row += cm.count[c][p];
        CHECK(images == row && right == cm.count[c][c]);
        /* Printed with two decimals. */
        CHECK_CLOSE(acc, 100.0 * (double)right / (double)images, 0.005, 0);
        images_sum += images, correct_sum += right;
        line = strchr(line, '\n') + 1;
    }
    CHECK(*line == '\0' && images_sum == NTEST && correct_sum == correct);
    strbuf_free(&b);
    return 0;
}

static int test_confusion_empty_class(void)
{
    const unsigned char labels[2] = {3, 3}, pred[2] = {3, 5};
    Confusion cm;
    confusion_count(&cm, labels, pred, 2);
    StrBuf b;
    strbuf_init(&b);
    confusion_classes_csv(&b, &cm);
    CHECK(strstr(b.data, "\nairplane,0,0,\n") != NULL);
    CHECK(strstr(b.data, "\ncat,2,1,50.00\n") != NULL);
    strbuf_free(&b);
    return 0;
}

static bool same_colour(Colour a, Colour b)
{
    return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* The picture: each cell shaded by its share of the row (a corner, clear of the
 * count's digits, has the shade), white for a class without images. */
static int test_confusion_picture(void)
{
    const unsigned char labels[5] = {3, 3, 3, 3, 2}, pred[5] = {3, 3, 3, 5, 2};
    Confusion cm;
    confusion_count(&cm, labels, pred, 5);
    Canvas c;
    Error err;
    CHECK(confusion_draw(&c, &cm, &err) == STATUS_OK);
    int x, y;
    confusion_cell_origin(CIFAR_CLASSES - 1, CIFAR_CLASSES, &x, &y);
    CHECK(x + CONFUSION_CELL_W <= c.w && y + CONFUSION_CELL_H <= c.h);
    const struct { int t, p; double share; } cells[] = {
        {3, 3, 0.75}, {3, 5, 0.25}, {3, 0, 0.0}, {2, 2, 1.0}, {0, 0, 0.0}};
    for (size_t i = 0; i < sizeof cells / sizeof cells[0]; i++) {
        confusion_cell_origin(cells[i].t, cells[i].p, &x, &y);
        CHECK(same_colour(canvas_get(&c, x + 1, y + 1), confusion_shade(cells[i].share)));
    }
    Colour white = confusion_shade(0.0), full = confusion_shade(1.0);
    CHECK(white.r == 255 && white.g == 255 && white.b == 255);
    CHECK(full.r < 60 && full.b > full.r);   /* dark blue */
    canvas_free(&c);
    return 0;
}

const TestCase confusion_tests[] = {
    {"confusion_counts_and_csv", test_confusion_counts_and_csv},
    {"confusion_empty_class", test_confusion_empty_class},
    {"confusion_picture", test_confusion_picture},
    {NULL, NULL},
};
