// int16_product_avx2.c: y = x·Wᵀ with int16 inputs and int16-widened weight codes on AVX2.
//
// Each input row is quantized per block of 256 columns to int16; weight codes are widened to int16
// in packed panels of 16 rows. vpmaddwd multiplies column pairs and adds them into int32 lanes,
// exactly, for one segment (at most 256 columns, inside one activation block and one weight
// group); each segment's int32 sums are then scaled in fp32 (input scale × weight scale) and
// added to a float accumulator. Registers hold a tile of 6 input rows × 16 weight rows.
#include "include/ckernels.h"
#include "code_panels.h"
#include "panel_tiles_avx2.h"
#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)

void vlm_i16_pack_inputs_avx2(const float *x, int64_t ldx, int64_t rows, int64_t columns,
                              int64_t row_begin, int64_t row_end, int16_t *q, float *scales) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const int64_t tiles = (rows + VLM_I16_TILE - 1) / VLM_I16_TILE;
    const int64_t blocks = (columns + VLM_I16_BLOCK - 1) / VLM_I16_BLOCK;
    const int64_t tile_end = (row_end + VLM_I16_TILE - 1) / VLM_I16_TILE * VLM_I16_TILE;
    int16_t line[VLM_I16_BLOCK];
    for (int64_t i = row_begin; i < tile_end; i++) {
        const int64_t t = i / VLM_I16_TILE, m = i % VLM_I16_TILE;
        const float *xr = x + i * ldx;
        for (int64_t blk = 0; blk < blocks; blk++) {
            const int64_t b0 = blk * VLM_I16_BLOCK;
            const int64_t b1 = b0 + VLM_I16_BLOCK < columns ? b0 + VLM_I16_BLOCK : columns;
            int32_t *dst = (int32_t *)(q + ((t * blocks + blk) * VLM_I16_BLOCK_PAIRS) * VLM_I16_TILE * 2) + m;
            float *scale = scales + (t * blocks + blk) * VLM_I16_TILE + m;
            memset(line, 0, sizeof line);
            float mx = 0.0f;
            if (i < rows) {
                // max_ps drops a NaN operand, so NaNs are tracked apart (an unordered self-compare).
                __m256 mv = _mm256_setzero_ps(), unordered = _mm256_setzero_ps();
                int64_t k = b0;
                for (; k + 8 <= b1; k += 8) {
                    const __m256 v = _mm256_loadu_ps(xr + k);
                    mv = _mm256_max_ps(mv, _mm256_andnot_ps(sign, v));
                    unordered = _mm256_or_ps(unordered, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                }
                __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
                m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
                m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
                mx = _mm_cvtss_f32(m4);
                int has_nan = _mm256_movemask_ps(unordered) != 0;
                for (; k < b1; k++) {
                    has_nan |= isnan(xr[k]);
                    mx = fmaxf(mx, fabsf(xr[k]));
                }
                if (has_nan) mx = NAN;
            }
            if (mx > 0.0f && isfinite(mx)) {
                *scale = mx / 32767.0f;
                const float inv = 32767.0f / mx;
                const __m256 iv = _mm256_set1_ps(inv);
                int64_t k = b0;
                for (; k + 16 <= b1; k += 16) {
                    __m256i a = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xr + k), iv));
                    __m256i b = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xr + k + 8), iv));
                    _mm256_storeu_si256((__m256i *)(line + (k - b0)), _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8));
                }
                for (; k < b1; k++) line[k - b0] = (int16_t)lrintf(xr[k] * inv);
            } else {
                // All zero, or not finite (then the scale is NaN and so is every output of this row).
                *scale = (mx > 0.0f || isnan(mx)) ? NAN : 0.0f;
            }
            const int32_t *pairs = (const int32_t *)line;
            for (int64_t p = 0; p < VLM_I16_BLOCK_PAIRS; p++) dst[p * VLM_I16_TILE] = pairs[p];
        }
    }
}

/// The int8 and Q8_0 panels with 16 rows and a multiple of 16 columns, vectorised (same bytes as
/// `vlm_pack_panel`); returns 0 (and writes nothing) for any other panel.
static int pack_panel_int8_avx2(const vlm_code_rows *w, int64_t panel, int16_t *codes, float *scales) {
    const int64_t row0 = panel * VLM_I16_PANEL;
    const int q8 = w->kind == VLM_CODES_GGML_Q8_0;
    if ((w->kind != VLM_CODES_INT8 && !q8) || row0 + VLM_I16_PANEL > w->rows || w->columns % 16 != 0 || w->row_order) return 0;
    const int64_t segments = vlm_panel_segments(w);
    memset(scales, 0, (size_t)segments * 16 * sizeof(float));
    for (int c = 0; c < VLM_I16_PANEL; c++) {
        const uint8_t *row = (const uint8_t *)w->codes + (row0 + c) * w->row_bytes;
        if (q8) {
            for (int64_t s0 = 0; s0 < segments && 32 * s0 < w->columns; s0++) {
                const uint8_t *block = row + 34 * s0;
                const uint16_t h = (uint16_t)(block[0] | (block[1] << 8));
                scales[s0 * 16 + c] = _cvtsh_ss(h);
            }
        } else {
            float s;
            memcpy(&s, (const uint8_t *)w->scales + 4 * (row0 + c), sizeof s);
            for (int64_t s0 = 0; s0 < segments; s0++) scales[s0 * 16 + c] = s;
        }
    }
    const int8_t *src[8];
    for (int64_t k = 0; k < w->columns; k += 16) {
        for (int half = 0; half < 2; half++) {
            for (int r = 0; r < 8; r++) {
                const uint8_t *row = (const uint8_t *)w->codes + (row0 + 8 * half + r) * w->row_bytes;
                src[r] = (const int8_t *)(q8 ? row + 34 * (k / 32) + 2 + k % 32 : row + k);
            }
            __m256i v[8];
            for (int r = 0; r < 8; r++) v[r] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)src[r]));
            vlm_store_dwords_8x8(v, codes + (k / 2) * 32 + 16 * half, 64);
        }
    }
    return 1;
}

/// The int4 panels with 16 rows, a multiple of 16 columns and groups of a multiple of 16 columns,
/// vectorised (same bytes as `vlm_pack_panel`: each code byte is one column pair, low nibble first,
/// minus 8 or the group's zero point); returns 0 (and writes nothing) for any other panel.
static int pack_panel_int4_avx2(const vlm_code_rows *w, int64_t panel, int16_t *codes, float *scales) {
    const int64_t row0 = panel * VLM_I16_PANEL;
    if (w->kind != VLM_CODES_INT4 || row0 + VLM_I16_PANEL > w->rows || w->columns % 16 != 0 || w->group % 16 != 0 || w->row_order)
        return 0;
    const int64_t groups = (w->columns + w->group - 1) / w->group;
    const int64_t segment = vlm_segment_columns(w), segments = vlm_panel_segments(w);
    memset(scales, 0, (size_t)segments * 16 * sizeof(float));
    for (int c = 0; c < VLM_I16_PANEL; c++) {
        const uint8_t *s16 = (const uint8_t *)w->scales + 2 * (row0 + c) * groups;
        for (int64_t s0 = 0; s0 < segments && s0 * segment < w->columns; s0++) {
            const int64_t g = s0 * segment / w->group;
            scales[s0 * 16 + c] = _cvtsh_ss((uint16_t)(s16[2 * g] | (s16[2 * g + 1] << 8)));
        }
    }
    const __m256i low = _mm256_set1_epi32(0x0F), mask16 = _mm256_set1_epi32(0xFFFF);
    for (int64_t k = 0; k < w->columns; k += 16) {
        const int64_t g = k / w->group;
        for (int half = 0; half < 2; half++) {
            __m256i v[8];
            for (int r = 0; r < 8; r++) {
                const int64_t row = row0 + 8 * half + r;
                const uint8_t *bytes = (const uint8_t *)w->codes + row * w->row_bytes + k / 2;
                const int offset = w->zeros ? w->zeros[row * groups + g] : 8;
                const __m256i off = _mm256_set1_epi32(offset);
                const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)bytes));
                const __m256i lo = _mm256_sub_epi32(_mm256_and_si256(b, low), off);
                const __m256i hi = _mm256_sub_epi32(_mm256_srli_epi32(b, 4), off);
                v[r] = _mm256_or_si256(_mm256_and_si256(lo, mask16), _mm256_slli_epi32(hi, 16));
            }
            vlm_store_dwords_8x8(v, codes + (k / 2) * 32 + 16 * half, 64);
        }
    }
    return 1;
}

void vlm_pack_panel_avx2(const vlm_code_rows *w, int64_t panel, int16_t *codes, float *scales) {
    if (!pack_panel_int8_avx2(w, panel, codes, scales) && !pack_panel_int4_avx2(w, panel, codes, scales)) vlm_pack_panel(w, panel, codes, scales);
}

/// One tile: `mr` input rows of a tile (its packed pairs `ap`, scales `sx`, per block) × the 16
/// rows of the packed panel `wp` (scales `ws` per segment), over all `columns`; writes y.
static inline __attribute__((always_inline)) void tile(
    const int mr, const int16_t *ap, const float *sx, const int16_t *wp, const float *ws,
    int64_t columns, int64_t segment_pairs, float *y, int64_t ldy, int64_t valid) {
    __m256 f[2 * VLM_I16_TILE];
    for (int j = 0; j < 2 * mr; j++) f[j] = _mm256_setzero_ps();
    const int64_t total_pairs = (columns + 1) / 2;
    const int64_t block_segments = VLM_I16_BLOCK_PAIRS / segment_pairs;
    for (int64_t blk = 0, p0 = 0; p0 < total_pairs; blk++, p0 += VLM_I16_BLOCK_PAIRS) {
        const int16_t *ab = ap + blk * VLM_I16_BLOCK_PAIRS * VLM_I16_TILE * 2;
        const float *sb = sx + blk * VLM_I16_TILE;
        const int64_t block_end = p0 + VLM_I16_BLOCK_PAIRS < total_pairs ? p0 + VLM_I16_BLOCK_PAIRS : total_pairs;
        for (int64_t s0 = p0, seg = blk * block_segments; s0 < block_end; s0 += segment_pairs, seg++) {
            const int64_t s1 = s0 + segment_pairs < block_end ? s0 + segment_pairs : block_end;
            __m256i acc[2 * VLM_I16_TILE];
            for (int j = 0; j < 2 * mr; j++) acc[j] = _mm256_setzero_si256();
            for (int64_t p = s0; p < s1; p++) {
                const __m256i w0 = _mm256_load_si256((const __m256i *)(wp + 32 * p));
                const __m256i w1 = _mm256_load_si256((const __m256i *)(wp + 32 * p + 16));
                const int32_t *a = (const int32_t *)(ab + (p - p0) * 2 * VLM_I16_TILE);
                for (int m = 0; m < mr; m++) {
                    const __m256i b = _mm256_set1_epi32(a[m]);
                    acc[2 * m] = _mm256_add_epi32(acc[2 * m], _mm256_madd_epi16(w0, b));
                    acc[2 * m + 1] = _mm256_add_epi32(acc[2 * m + 1], _mm256_madd_epi16(w1, b));
                }
            }
            const __m256 sw0 = _mm256_load_ps(ws + 16 * seg), sw1 = _mm256_load_ps(ws + 16 * seg + 8);
            for (int m = 0; m < mr; m++) {
                const __m256 s = _mm256_broadcast_ss(sb + m);
                f[2 * m] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[2 * m]), _mm256_mul_ps(s, sw0), f[2 * m]);
                f[2 * m + 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[2 * m + 1]), _mm256_mul_ps(s, sw1), f[2 * m + 1]);
            }
        }
    }
    vlm_store_tile_rows(f, mr, y, ldy, valid);
}

void vlm_i16_product_avx2(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                          const int16_t *q, const float *sx, int64_t n,
                          float *y, int64_t ldy, void *scratch) {
    const int64_t tiles = (n + VLM_I16_TILE - 1) / VLM_I16_TILE;
    const int64_t blocks = (w->columns + VLM_I16_BLOCK - 1) / VLM_I16_BLOCK;
    const int64_t segment_pairs = vlm_segment_columns(w) / 2;
    int16_t *wp = (int16_t *)scratch;
    float *ws = (float *)((char *)scratch + vlm_panel_code_bytes(w));
    for (int64_t p = panel_begin; p < panel_end; p++) {
        vlm_pack_panel_avx2(w, p, wp, ws);
        const int64_t col0 = p * VLM_I16_PANEL;
        const int64_t valid = w->rows - col0 < VLM_I16_PANEL ? w->rows - col0 : VLM_I16_PANEL;
        for (int64_t t = 0; t < tiles; t++) {
            const int16_t *ap = q + t * blocks * VLM_I16_BLOCK_PAIRS * VLM_I16_TILE * 2;
            const float *st = sx + t * blocks * VLM_I16_TILE;
            float *yt = y + t * VLM_I16_TILE * ldy + col0;
            const int64_t mr = n - t * VLM_I16_TILE < VLM_I16_TILE ? n - t * VLM_I16_TILE : VLM_I16_TILE;
            switch (mr) {
            case 6: tile(6, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, valid); break;
            case 5: tile(5, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, valid); break;
            case 4: tile(4, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, valid); break;
            case 3: tile(3, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, valid); break;
            case 2: tile(2, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, valid); break;
            default: tile(1, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, valid); break;
            }
        }
    }
}

#pragma clang attribute pop
