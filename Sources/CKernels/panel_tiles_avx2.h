// panel_tiles_avx2.h: what both integer products (int16 and 8-bit inputs) share: the 8×8 transpose
// of 32-bit lanes they pack weight panels with, and the store of a register tile's outputs.
#ifndef VLMEMBED_PANEL_TILES_AVX2_H
#define VLMEMBED_PANEL_TILES_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/// Stores 8 rows × 8 dwords transposed: dword j of `v[r]` goes to `dst + j·stride + 4r` (bytes).
/// `dst` and `stride` must keep every 32-byte store aligned. Requires AVX2 (callers are compiled
/// for it).
static inline __attribute__((always_inline, target("avx2"))) void vlm_store_dwords_8x8(const __m256i v[8], void *dst, int64_t stride) {
    __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    __m256i t4 = _mm256_unpacklo_epi32(v[4], v[5]), t5 = _mm256_unpackhi_epi32(v[4], v[5]);
    __m256i t6 = _mm256_unpacklo_epi32(v[6], v[7]), t7 = _mm256_unpackhi_epi32(v[6], v[7]);
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    uint8_t *d = (uint8_t *)dst;
    _mm256_store_si256((__m256i *)(d + 0 * stride), _mm256_permute2x128_si256(u0, u4, 0x20));
    _mm256_store_si256((__m256i *)(d + 1 * stride), _mm256_permute2x128_si256(u1, u5, 0x20));
    _mm256_store_si256((__m256i *)(d + 2 * stride), _mm256_permute2x128_si256(u2, u6, 0x20));
    _mm256_store_si256((__m256i *)(d + 3 * stride), _mm256_permute2x128_si256(u3, u7, 0x20));
    _mm256_store_si256((__m256i *)(d + 4 * stride), _mm256_permute2x128_si256(u0, u4, 0x31));
    _mm256_store_si256((__m256i *)(d + 5 * stride), _mm256_permute2x128_si256(u1, u5, 0x31));
    _mm256_store_si256((__m256i *)(d + 6 * stride), _mm256_permute2x128_si256(u2, u6, 0x31));
    _mm256_store_si256((__m256i *)(d + 7 * stride), _mm256_permute2x128_si256(u3, u7, 0x31));
}

/// Stores a register tile: row m's 16 outputs `f[2m]`, `f[2m + 1]` to `y + m·ldy`, only the first
/// `valid` of them (a panel's last rows past the weight's end are dropped).
static inline __attribute__((always_inline, target("avx"))) void vlm_store_tile_rows(
    const __m256 *f, int mr, float *y, int64_t ldy, int64_t valid) {
    for (int m = 0; m < mr; m++) {
        float *out = y + m * ldy;
        if (valid == 16) {
            _mm256_storeu_ps(out, f[2 * m]);
            _mm256_storeu_ps(out + 8, f[2 * m + 1]);
        } else {
            float tmp[16];
            _mm256_storeu_ps(tmp, f[2 * m]);
            _mm256_storeu_ps(tmp + 8, f[2 * m + 1]);
            for (int64_t c = 0; c < valid; c++) out[c] = tmp[c];
        }
    }
}

#endif
