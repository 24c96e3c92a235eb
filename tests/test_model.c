/* test_model.c - tests of the model module. */
#include <stddef.h>
#include "test.h"

const TestCase model_tests[] = {
    {NULL, NULL},
};
