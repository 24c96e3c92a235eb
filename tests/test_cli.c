/* test_cli.c - tests of the cli module. */
#include <stddef.h>
#include "test.h"

const TestCase cli_tests[] = {
    {NULL, NULL},
};
