// sha256_dispatch.c: picks the SHA-256 block function once, by cpuid.
#include "csha256.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
void vlm_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks);

/// SHA extensions (CPUID.7.0:EBX[29]) plus the SSSE3 and SSE4.1 shuffles and blends the path uses.
static int has_sha_extensions(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return ssse3 && sse41 && ((b >> 29) & 1);
}
#endif

typedef void (*blocks_fn)(uint32_t *, const uint8_t *, size_t);

static blocks_fn chosen(void) {
    static blocks_fn fn = 0;  // benign race: every thread computes the same value
    if (!fn) {
#if defined(__x86_64__) || defined(__i386__)
        fn = has_sha_extensions() ? vlm_sha256_blocks_shani : vlm_sha256_blocks_portable;
#else
        fn = vlm_sha256_blocks_portable;
#endif
    }
    return fn;
}

void vlm_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    chosen()(state, data, blocks);
}

int32_t vlm_sha256_accelerated(void) {
    return chosen() != vlm_sha256_blocks_portable;
}
