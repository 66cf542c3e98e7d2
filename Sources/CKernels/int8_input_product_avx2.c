// int8_input_product_avx2.c: y = x·Wᵀ for 4-bit weights with 8-bit inputs on AVX2.
//
// Each input row is quantized per block of 32 columns to int8 (scale max|x|/127); the weight's
// 4-bit codes stay unsigned (0…15) in packed panels of 16 rows, 4 columns per 32-bit lane.
// vpmaddubsw multiplies code bytes by input bytes and adds adjacent pairs into int16 lanes; eight
// steps (one 32-column block) stay below 2·15·127·8 = 30480, so the int16 sums are exact and
// vpmaddwd by 1 widens them. The codes' offset (8, or the group's zero point) comes off in fp32,
// exactly: Σ x·(u − z) = Σ x·u − z·Σ x, both sides integers below 2²⁴. Then the block's sums are
// scaled by input scale × weight scale and added to a float accumulator. Registers hold a tile of
// 6 input rows × 16 weight rows. vpmaddubsw does 32 multiply-adds a µop where vpmaddwd does 16,
// which is what this path buys over the int16 one, at the cost of 8-bit inputs.
#include "include/ckernels.h"
#include "code_panels.h"
#include "panel_tiles_avx2.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

/// Bytes of one packed panel's codes: 16 rows × `columns` bytes.
static int64_t panel_code_bytes(const vlm_code_rows *w) { return w->columns * VLM_I8_PANEL; }

int32_t vlm_i8_supports(const vlm_code_rows *w) {
    if (w->rows <= 0 || w->columns <= 0 || w->columns % VLM_I8_BLOCK != 0 || w->row_order) return 0;
    switch (w->kind) {
    case VLM_CODES_INT4:
        return (w->group % VLM_I8_BLOCK == 0 && w->group > 0) ? 1 : 0;
    case VLM_CODES_GGML_Q4_0:
        return w->group == 32 ? 1 : 0;
    default:
        return 0;
    }
}

int64_t vlm_i8_scratch_bytes(const vlm_code_rows *w) {
    const int64_t blocks = w->columns / VLM_I8_BLOCK;
    return panel_code_bytes(w) + 2 * blocks * VLM_I8_PANEL * (int64_t)sizeof(float);
}

int64_t vlm_i8_packed_input_bytes(int64_t rows, int64_t columns) {
    const int64_t tiles = (rows + VLM_I8_TILE - 1) / VLM_I8_TILE;
    const int64_t blocks = (columns + VLM_I8_BLOCK - 1) / VLM_I8_BLOCK;
    return tiles * blocks * VLM_I8_BLOCK * VLM_I8_TILE;
}

int64_t vlm_i8_packed_scale_count(int64_t rows, int64_t columns) {
    const int64_t tiles = (rows + VLM_I8_TILE - 1) / VLM_I8_TILE;
    const int64_t blocks = (columns + VLM_I8_BLOCK - 1) / VLM_I8_BLOCK;
    return tiles * blocks * 2 * VLM_I8_TILE;
}

// The kernels below need AVX2, FMA and F16C; the functions above run on any x86-64 (the generic
// path asks `vlm_i8_supports` too).
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

/// Largest |x| of 8 floats; NaN when any is NaN.
static inline float abs_max8(__m256 v) {
    const __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    return _mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)) ? NAN : _mm_cvtss_f32(m4);
}

void vlm_i8_pack_inputs_avx2(const float *x, int64_t ldx, int64_t rows, int64_t columns,
                             int64_t row_begin, int64_t row_end, int8_t *q, float *scales) {
    const int64_t blocks = columns / VLM_I8_BLOCK;
    const int64_t tile_end = (row_end + VLM_I8_TILE - 1) / VLM_I8_TILE * VLM_I8_TILE;
    for (int64_t i = row_begin; i < tile_end; i++) {
        const int64_t t = i / VLM_I8_TILE, m = i % VLM_I8_TILE;
        const float *xr = x + i * ldx;
        for (int64_t blk = 0; blk < blocks; blk++) {
            // The block's 8 column quads land at q[(quad · TILE + m) · 4].
            int32_t *dst = (int32_t *)(q + (t * blocks + blk) * VLM_I8_BLOCK * VLM_I8_TILE) + m;
            float *scale = scales + (t * blocks + blk) * 2 * VLM_I8_TILE + m;
            float *sum = scale + VLM_I8_TILE;
            if (i >= rows) {
                for (int quad = 0; quad < VLM_I8_BLOCK / 4; quad++) dst[quad * VLM_I8_TILE] = 0;
                *scale = 0.0f;
                *sum = 0.0f;
                continue;
            }
            const float *xb = xr + blk * VLM_I8_BLOCK;
            const __m256 v0 = _mm256_loadu_ps(xb), v1 = _mm256_loadu_ps(xb + 8);
            const __m256 v2 = _mm256_loadu_ps(xb + 16), v3 = _mm256_loadu_ps(xb + 24);
            const float m0 = abs_max8(v0), m1 = abs_max8(v1), m2 = abs_max8(v2), m3 = abs_max8(v3);
            float mx = fmaxf(fmaxf(m0, m1), fmaxf(m2, m3));
            if (isnan(m0) || isnan(m1) || isnan(m2) || isnan(m3)) mx = NAN;
            if (!(mx > 0.0f) || !isfinite(mx)) {
                // All zero, or not finite (then the scale is NaN and so is every output of this row).
                for (int quad = 0; quad < VLM_I8_BLOCK / 4; quad++) dst[quad * VLM_I8_TILE] = 0;
                *scale = (mx > 0.0f || isnan(mx)) ? NAN : 0.0f;
                *sum = 0.0f;
                continue;
            }
            *scale = mx / 127.0f;
            const __m256 inv = _mm256_set1_ps(127.0f / mx);
            const __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(v0, inv)), b = _mm256_cvtps_epi32(_mm256_mul_ps(v1, inv));
            const __m256i c = _mm256_cvtps_epi32(_mm256_mul_ps(v2, inv)), d = _mm256_cvtps_epi32(_mm256_mul_ps(v3, inv));
            // packs interleave the 128-bit halves; the dword permute restores column order.
            const __m256i bytes = _mm256_permutevar8x32_epi32(
                _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d)),
                _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            const __m256i total = _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
            __m128i s4 = _mm_add_epi32(_mm256_castsi256_si128(total), _mm256_extracti128_si256(total, 1));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0x4E));
            s4 = _mm_add_epi32(s4, _mm_shuffle_epi32(s4, 0xB1));
            *sum = (float)_mm_cvtsi128_si32(s4);
            int32_t quads[8];
            _mm256_storeu_si256((__m256i *)quads, bytes);
            for (int quad = 0; quad < VLM_I8_BLOCK / 4; quad++) dst[quad * VLM_I8_TILE] = quads[quad];
        }
    }
}

/// 32 code bytes (0…15) of columns [32b, 32b + 32) of stored row `r`, in column order.
static inline __m256i block_codes(const vlm_code_rows *w, int64_t r, int64_t b) {
    const uint8_t *row = (const uint8_t *)w->codes + r * w->row_bytes;
    const __m128i low = _mm_set1_epi8(0x0F);
    if (w->kind == VLM_CODES_GGML_Q4_0) {
        // Q4_0: column j < 16 is byte j's low nibble, column j + 16 its high nibble.
        const __m128i v = _mm_loadu_si128((const __m128i *)(row + 18 * b + 2));
        return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), low), _mm_and_si128(v, low));
    }
    // vlmembed int4: column 2j is byte j's low nibble, 2j + 1 its high nibble.
    const __m128i v = _mm_loadu_si128((const __m128i *)(row + 16 * b));
    const __m128i lo = _mm_and_si128(v, low), hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
    return _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi));
}

/// Packs weight rows [16·panel, 16·panel + 16): `codes` gets, per block of 32 columns and column
/// quad, the 16 rows' 4 code bytes (row c at byte 4c); `scales` and `zeros` get, per block, the
/// 16 rows' scale and code offset (0 for rows past the end).
static __attribute__((noinline)) void pack_panel(const vlm_code_rows *w, int64_t panel, uint8_t *codes, float *scales, float *zeros) {
    const int64_t row0 = panel * VLM_I8_PANEL, blocks = w->columns / VLM_I8_BLOCK;
    const int64_t groups = w->kind == VLM_CODES_INT4 ? (w->columns + w->group - 1) / w->group : blocks;
    for (int c = 0; c < VLM_I8_PANEL; c++) {
        const int64_t r = row0 + c;
        for (int64_t b = 0; b < blocks; b++) {
            float s = 0.0f, z = 0.0f;
            if (r < w->rows) {
                if (w->kind == VLM_CODES_GGML_Q4_0) {
                    const uint8_t *block = (const uint8_t *)w->codes + r * w->row_bytes + 18 * b;
                    s = _cvtsh_ss((uint16_t)(block[0] | (block[1] << 8)));
                    z = 8.0f;
                } else {
                    const int64_t g = b * VLM_I8_BLOCK / w->group;
                    const uint8_t *h = (const uint8_t *)w->scales + 2 * (r * groups + g);
                    s = _cvtsh_ss((uint16_t)(h[0] | (h[1] << 8)));
                    z = w->zeros ? (float)w->zeros[r * groups + g] : 8.0f;
                }
            }
            scales[b * VLM_I8_PANEL + c] = s;
            zeros[b * VLM_I8_PANEL + c] = z;
        }
    }
    for (int64_t b = 0; b < blocks; b++) {
        for (int half = 0; half < 2; half++) {
            __m256i v[8];
            for (int r = 0; r < 8; r++) {
                const int64_t row = row0 + 8 * half + r;
                v[r] = row < w->rows ? block_codes(w, row, b) : _mm256_setzero_si256();
            }
            // Dword j of row r (columns 4j…4j+3) goes to quad j at byte 4r of this half.
            vlm_store_dwords_8x8(v, codes + b * VLM_I8_BLOCK * VLM_I8_PANEL + 32 * half, 64);
        }
    }
}

void vlm_i8_pack_panel_avx2(const vlm_code_rows *w, int64_t panel, uint8_t *codes, float *scales, float *zeros) {
    pack_panel(w, panel, codes, scales, zeros);
}

/// One tile: `mr` input rows (packed quads `ap`, scales and sums `st`, per block) × the 16 rows
/// of the packed panel (`wp`, `ws`, `wz`), over `blocks` blocks of 32 columns; writes y.
static inline __attribute__((always_inline)) void tile(
    const int mr, const int8_t *ap, const float *st, const uint8_t *wp, const float *ws, const float *wz,
    int64_t blocks, float *y, int64_t ldy, int64_t valid) {
    __m256 f[2 * VLM_I8_TILE];
    for (int j = 0; j < 2 * mr; j++) f[j] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *wb = wp + b * VLM_I8_BLOCK * VLM_I8_PANEL;
        const int32_t *a = (const int32_t *)(ap + b * VLM_I8_BLOCK * VLM_I8_TILE);
        __m256i acc[2 * VLM_I8_TILE];
        for (int j = 0; j < 2 * mr; j++) acc[j] = _mm256_setzero_si256();
        // Rolled: unrolled, clang regroups the steps by input row and keeps all 16 weight vectors
        // of the block live, which spills them.
#pragma clang loop unroll(disable)
        for (int quad = 0; quad < VLM_I8_BLOCK / 4; quad++) {
            const __m256i w0 = _mm256_load_si256((const __m256i *)(wb + 64 * quad));
            const __m256i w1 = _mm256_load_si256((const __m256i *)(wb + 64 * quad + 32));
            for (int m = 0; m < mr; m++) {
                const __m256i x = _mm256_set1_epi32(a[quad * VLM_I8_TILE + m]);
                acc[2 * m] = _mm256_add_epi16(acc[2 * m], _mm256_maddubs_epi16(w0, x));
                acc[2 * m + 1] = _mm256_add_epi16(acc[2 * m + 1], _mm256_maddubs_epi16(w1, x));
            }
        }
        const float *sb = st + b * 2 * VLM_I8_TILE;
        const __m256 sw0 = _mm256_load_ps(ws + 16 * b), sw1 = _mm256_load_ps(ws + 16 * b + 8);
        const __m256 z0 = _mm256_load_ps(wz + 16 * b), z1 = _mm256_load_ps(wz + 16 * b + 8);
        for (int m = 0; m < mr; m++) {
            const __m256 s = _mm256_broadcast_ss(sb + m), sum = _mm256_broadcast_ss(sb + VLM_I8_TILE + m);
            const __m256 d0 = _mm256_fnmadd_ps(z0, sum, _mm256_cvtepi32_ps(_mm256_madd_epi16(acc[2 * m], ones)));
            const __m256 d1 = _mm256_fnmadd_ps(z1, sum, _mm256_cvtepi32_ps(_mm256_madd_epi16(acc[2 * m + 1], ones)));
            f[2 * m] = _mm256_fmadd_ps(d0, _mm256_mul_ps(s, sw0), f[2 * m]);
            f[2 * m + 1] = _mm256_fmadd_ps(d1, _mm256_mul_ps(s, sw1), f[2 * m + 1]);
        }
    }
    vlm_store_tile_rows(f, mr, y, ldy, valid);
}

void vlm_i8_product_avx2(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                         const int8_t *q, const float *sx, int64_t n,
                         float *y, int64_t ldy, void *scratch) {
    const int64_t tiles = (n + VLM_I8_TILE - 1) / VLM_I8_TILE;
    const int64_t blocks = w->columns / VLM_I8_BLOCK;
    uint8_t *wp = (uint8_t *)scratch;
    float *ws = (float *)(wp + panel_code_bytes(w));
    float *wz = ws + blocks * VLM_I8_PANEL;
    for (int64_t p = panel_begin; p < panel_end; p++) {
        pack_panel(w, p, wp, ws, wz);
        const int64_t col0 = p * VLM_I8_PANEL;
        const int64_t valid = w->rows - col0 < VLM_I8_PANEL ? w->rows - col0 : VLM_I8_PANEL;
        for (int64_t t = 0; t < tiles; t++) {
            const int8_t *ap = q + t * blocks * VLM_I8_BLOCK * VLM_I8_TILE;
            const float *st = sx + t * blocks * 2 * VLM_I8_TILE;
            float *yt = y + t * VLM_I8_TILE * ldy + col0;
            const int64_t mr = n - t * VLM_I8_TILE < VLM_I8_TILE ? n - t * VLM_I8_TILE : VLM_I8_TILE;
            switch (mr) {
            case 6: tile(6, ap, st, wp, ws, wz, blocks, yt, ldy, valid); break;
            case 5: tile(5, ap, st, wp, ws, wz, blocks, yt, ldy, valid); break;
            case 4: tile(4, ap, st, wp, ws, wz, blocks, yt, ldy, valid); break;
            case 3: tile(3, ap, st, wp, ws, wz, blocks, yt, ldy, valid); break;
            case 2: tile(2, ap, st, wp, ws, wz, blocks, yt, ldy, valid); break;
            default: tile(1, ap, st, wp, ws, wz, blocks, yt, ldy, valid); break;
            }
        }
    }
}

#pragma clang attribute pop
