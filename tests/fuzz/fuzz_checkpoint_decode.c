/* fuzz_checkpoint_decode.c - libFuzzer harness for fuzz_checkpoint_decode (tests/fuzz/targets.c); built and
 * run by make fuzz. */
#include <stddef.h>
#include <stdint.h>

int fuzz_checkpoint_decode(const unsigned char *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_checkpoint_decode(data, size);
}
