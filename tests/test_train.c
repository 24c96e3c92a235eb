/* test_train.c - tests of the train module. */
#include <stddef.h>
#include "test.h"

const TestCase train_tests[] = {
    {NULL, NULL},
};
