#ifndef VLMEMBED_CFUZZDRIVER_H
#define VLMEMBED_CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>
/* libFuzzer's driver (compiler-rt FuzzerInterface.h). Defined only when the harness is linked
   with -sanitize=fuzzer; the harness calls it only when built with -DVLMEMBED_LIBFUZZER. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
#endif
