/* test_layer.c - tests of the layer module. */
#include <stddef.h>
#include "test.h"

const TestCase layer_tests[] = {
    {NULL, NULL},
};
