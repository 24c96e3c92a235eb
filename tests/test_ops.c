/* test_ops.c - tests of the ops module. */
#include <stddef.h>
#include "test.h"

const TestCase ops_tests[] = {
    {NULL, NULL},
};
