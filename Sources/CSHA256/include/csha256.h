// csha256.h: the SHA-256 block function (FIPS 180-4) for TensorFormats' `SHA256`, with an x86 SHA
// extensions path chosen at run time (cpuid) and a portable fallback.
#ifndef VLMEMBED_CSHA256_H
#define VLMEMBED_CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// Compresses `blocks` consecutive 64-byte blocks at `data` into `state` (eight words, a..h), with
/// the fastest implementation this processor supports.
void vlm_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// The same with the portable implementation (any processor).
void vlm_sha256_blocks_portable(uint32_t state[8], const uint8_t *data, size_t blocks);

/// 1 when `vlm_sha256_blocks` uses the x86 SHA extensions, else 0.
int32_t vlm_sha256_accelerated(void);

#endif
