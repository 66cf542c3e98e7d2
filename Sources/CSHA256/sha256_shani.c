// sha256_shani.c: SHA-256 blocks with the x86 SHA extensions (sha256rnds2 / sha256msg1 / sha256msg2).
// Compiled for those instructions only; called only when cpuid reports them (sha256_dispatch.c).
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "csha256.h"

#pragma clang attribute push(__attribute__((target("sha,sse4.1,ssse3"))), apply_to = function)

// The round constants K: sha256_portable.c (16-byte aligned).
extern const uint32_t vlm_sha256_round_constants[64];

// Four rounds: the schedule words w (lanes t..t+3) plus their constants feed two sha256rnds2 steps.
// The state lives as abef = (a, b, e, f) and cdgh = (c, d, g, h), a and c in the top lane.
#define FOUR_ROUNDS(w, t)                                                            \
    do {                                                                             \
        __m128i wk = _mm_add_epi32((w), _mm_load_si128((const __m128i *)(vlm_sha256_round_constants + (t)))); \
        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);                                \
        abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));       \
    } while (0)

// Schedule words t..t+3 from the four previous groups (w0 oldest): W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
#define NEXT_WORDS(w0, w1, w2, w3) \
    _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

void vlm_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks) {
    const __m128i byteswap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
    __m128i dcba = _mm_loadu_si128((const __m128i *)state);       // lanes a, b, c, d
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(state + 4)); // lanes e, f, g, h
    __m128i badc = _mm_shuffle_epi32(dcba, 0xB1);                 // lanes b, a, d, c
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);                 // lanes h, g, f, e
    __m128i abef = _mm_alignr_epi8(badc, efgh, 8);                // lanes f, e, b, a
    __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xF0);             // lanes h, g, d, c

    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), byteswap);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), byteswap);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), byteswap);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), byteswap);
        FOUR_ROUNDS(w0, 0);
        FOUR_ROUNDS(w1, 4);
        FOUR_ROUNDS(w2, 8);
        FOUR_ROUNDS(w3, 12);
        for (int t = 16; t < 64; t += 16) {
            w0 = NEXT_WORDS(w0, w1, w2, w3); FOUR_ROUNDS(w0, t);
            w1 = NEXT_WORDS(w1, w2, w3, w0); FOUR_ROUNDS(w1, t + 4);
            w2 = NEXT_WORDS(w2, w3, w0, w1); FOUR_ROUNDS(w2, t + 8);
            w3 = NEXT_WORDS(w3, w0, w1, w2); FOUR_ROUNDS(w3, t + 12);
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);                 // lanes a, b, e, f
    __m128i ghcd = _mm_shuffle_epi32(cdgh, 0xB1);                 // lanes g, h, c, d
    _mm_storeu_si128((__m128i *)state, _mm_blend_epi16(feba, ghcd, 0xF0));           // a, b, c, d
    _mm_storeu_si128((__m128i *)(state + 4), _mm_alignr_epi8(ghcd, feba, 8));        // e, f, g, h
}

#pragma clang attribute pop
#endif
