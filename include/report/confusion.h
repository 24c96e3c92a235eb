/* confusion.h - the confusion matrix of test predictions, its two CSV files:
 * confusion.csv (rows are true classes, columns predicted classes, with class
 * names) and classes.csv (per-class images, correct, accuracy), and its picture
 * (counts in cells shaded by their share of the row, one hue from white to dark
 * blue, and each class's accuracy at the right end of its row). Exported
 * prefixes: confusion_, CONFUSION_. */
#ifndef CIFAR_CONFUSION_H
#define CIFAR_CONFUSION_H

#include <stddef.h>
#include "base/strbuf.h"
#include "dataset/cifar.h"
#include "report/font.h"

typedef struct {
    size_t count[CIFAR_CLASSES][CIFAR_CLASSES];     /* [true][predicted] */
} Confusion;

/* Count n predictions pred[n] against labels[n] (classes below CIFAR_CLASSES). */
void confusion_count(Confusion *cm, const unsigned char *labels,
                     const unsigned char *pred, size_t n);
/* "true/predicted,airplane,...,truck" then one row per true class. */
void confusion_csv(StrBuf *out, const Confusion *cm);
/* "class,images,correct,accuracy" then one row per class (accuracy in percent,
 * empty for a class with no images). */
void confusion_classes_csv(StrBuf *out, const Confusion *cm);

/* The picture's cells, in pixels. */
#define CONFUSION_CELL_W 64
#define CONFUSION_CELL_H 32

/* Top-left corner of the cell of true class t and predicted class p; p ==
 * CIFAR_CLASSES is the accuracy column. */
void confusion_cell_origin(int t, int p, int *x, int *y);
/* The cell's shade for share in [0, 1] of its row: white at 0, dark blue at 1. */
Colour confusion_shade(double share);
/* Draw the matrix onto a new canvas (canvas_free it); STATUS_NOMEM if it cannot be
 * allocated. */
Status confusion_draw(Canvas *out, const Confusion *cm, Error *err);

#endif
