/* confusion.c - counting predictions per (true, predicted) class pair and writing
 * the counts as CSV text. */
#include <assert.h>
#include <string.h>
#include "report/confusion.h"

void confusion_count(Confusion *cm, const unsigned char *labels,
                     const unsigned char *pred, size_t n)
{
    memset(cm, 0, sizeof *cm);
    for (size_t i = 0; i < n; i++) {
        assert(labels[i] < CIFAR_CLASSES && pred[i] < CIFAR_CLASSES);
        cm->count[labels[i]][pred[i]]++;
    }
}

void confusion_csv(StrBuf *out, const Confusion *cm)
{
    strbuf_printf(out, "true/predicted");
    for (int p = 0; p < CIFAR_CLASSES; p++)
        strbuf_printf(out, ",%s", cifar_class_names[p]);
    strbuf_printf(out, "\n");
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        strbuf_printf(out, "%s", cifar_class_names[t]);
        for (int p = 0; p < CIFAR_CLASSES; p++)
            strbuf_printf(out, ",%zu", cm->count[t][p]);
        strbuf_printf(out, "\n");
    }
}

void confusion_classes_csv(StrBuf *out, const Confusion *cm)
{
    strbuf_printf(out, "class,images,correct,accuracy\n");
    for (int t = 0; t < CIFAR_CLASSES; t++) {
        size_t images = 0;
        for (int p = 0; p < CIFAR_CLASSES; p++)
            images += cm->count[t][p];
        size_t correct = cm->count[t][t];
        strbuf_printf(out, "%s,%zu,%zu,", cifar_class_names[t], images, correct);
        if (images)
            strbuf_printf(out, "%.2f", 100.0 * (double)correct / (double)images);
        strbuf_printf(out, "\n");
    }
}
