/* test_norm.c - tests of the norm module. */
#include <stddef.h>
#include "test.h"

const TestCase norm_tests[] = {
    {NULL, NULL},
};
