/* test_tensor.c - tests of the tensor module. */
#include <stddef.h>
#include "test.h"

const TestCase tensor_tests[] = {
    {NULL, NULL},
};
