/* test_report.c - tests of the report module. */
#include <stddef.h>
#include "test.h"

const TestCase report_tests[] = {
    {NULL, NULL},
};
