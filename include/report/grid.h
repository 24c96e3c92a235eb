/* grid.h - the picture of misclassified test images: GRID_COLS x GRID_ROWS wrong
 * images, those the model was surest of first, each upscaled GRID_ZOOM times with
 * its true class (blue), predicted class (orange) and the probability the model gave
 * that prediction (grey) written under it in the built-in font, under a title
 * line. Drawn on a Canvas; ppm_encode and png_encode turn it into a file.
 * Exported prefixes: grid_, GRID_. */
#ifndef CIFAR_GRID_H
#define CIFAR_GRID_H

#include <stddef.h>
#include "base/status.h"
#include "report/font.h"

#define GRID_COLS 10
#define GRID_ROWS 4
#define GRID_ZOOM 4         /* 32x32 images become 128x128 */
#define GRID_TEXT_SCALE 2   /* 10x14-pixel glyphs: "automobile" fits under 128 px */
#define GRID_GAP 8          /* pixels around and between tiles */

typedef struct {
    int shown;          /* images drawn: min(wrong, GRID_COLS * GRID_ROWS) */
    int cols, rows;     /* of the tiles actually drawn (at least 1 x 1) */
    int w, h;           /* canvas size in pixels */
} GridLayout;

/* The layout for a test set with wrong misclassified images. */
GridLayout grid_layout(size_t wrong);

/* The wrong images among count (labels[i] != pred[i]), surest first (conf[i]
 * descending, ties in test order): the first min(wrong, cap) of them go to
 * order[cap]. Returns how many are wrong. */
size_t grid_order(size_t *order, size_t cap, const unsigned char *labels,
                  const unsigned char *pred, const float *conf, size_t count);

/* Draw the grid onto a new canvas (canvas_free it) from count test images:
 * pixels[count][3][32][32] as in the dataset, labels[count] and pred[count] class
 * indices, conf[count] the probability of each prediction. STATUS_NOMEM if the
 * canvas cannot be allocated. */
Status grid_misclassified(Canvas *out, const unsigned char *pixels,
                          const unsigned char *labels, const unsigned char *pred,
                          const float *conf, size_t count, Error *err);

#endif
