/* test_cifar.c - tests of the cifar module. */
#include <stddef.h>
#include "test.h"

const TestCase cifar_tests[] = {
    {NULL, NULL},
};
