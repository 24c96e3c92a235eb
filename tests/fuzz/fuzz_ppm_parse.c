/* fuzz_ppm_parse.c - libFuzzer harness for fuzz_ppm_parse (tests/fuzz/targets.c); built and
 * run by make fuzz. */
#include <stddef.h>
#include <stdint.h>

int fuzz_ppm_parse(const unsigned char *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_ppm_parse(data, size);
}
