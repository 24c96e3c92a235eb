/* test_conv.c - tests of the conv module. */
#include <stddef.h>
#include "test.h"

const TestCase conv_tests[] = {
    {NULL, NULL},
};
