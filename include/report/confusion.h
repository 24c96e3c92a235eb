/* confusion.h - the confusion matrix of test predictions and its two CSV files:
 * confusion.csv (rows are true classes, columns predicted classes, with class
 * names) and classes.csv (per-class images, correct, accuracy). Exported prefix:
 * confusion_. */
#ifndef CIFAR_CONFUSION_H
#define CIFAR_CONFUSION_H

#include <stddef.h>
#include "base/strbuf.h"
#include "dataset/cifar.h"

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

#endif
