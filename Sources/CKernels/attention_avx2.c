// attention_avx2.c: blocked self-attention with an online softmax (AVX2 + FMA): the score matrix
// of a head is never built, only a 4-row × VLM_ATTN_KEYS tile of it at a time.
//
// One call takes up to VLM_ATTN_SPAN query rows of one head. Keys and values are taken
// VLM_ATTN_KEYS at a time: the block's keys are copied transposed (head_dim × keys) and its
// values as contiguous rows, once per call, then every group of 4 query rows meets the block:
//   scores  s = scale · q·kᵀ        4 rows × 16 keys in 8 ymm accumulators (broadcast q, fma)
//   softmax running max m and sum l per row; p = exp(s − m); the row's accumulator is scaled
//           by exp(m_old − m_new) when the max grows
//   values  acc += p · v           4 rows × 16 columns in 8 ymm accumulators (broadcast p, fma)
// and at the end out = acc / l. Under the causal mask, row i sees keys 0...i: blocks past a
// group's last row are skipped, and keys past a row's own position get p = 0.
#include "include/ckernels.h"
#include <float.h>
#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

/// Row stride of the packed values and of the accumulator: head_dim rounded up to 16 columns.
static int64_t padded_width(int64_t head_dim) { return round_up(head_dim, 16); }

int64_t vlm_attention_scratch_bytes(int64_t head_dim) {
    const int64_t w = padded_width(head_dim);
    const int64_t floats = head_dim * VLM_ATTN_KEYS      // keys, transposed
                         + VLM_ATTN_KEYS * w             // values
                         + VLM_ATTN_SPAN * w             // accumulator
                         + 2 * VLM_ATTN_SPAN             // running max and sum
                         + 4 * VLM_ATTN_KEYS             // one group's scores / weights
                         + w;                            // a zero query row
    return floats * (int64_t)sizeof(float) + 64;
}

/// eˣ for x ≤ 0 on eight lanes: x = n·ln2 + r, |r| ≤ ln2/2, eʳ by its degree-7 Taylor polynomial,
/// 2ⁿ in the exponent bits; x < −87 gives 0. Relative error within a few ulp.
static inline __m256 exp_nonpositive(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(-87.0f);
    const __m256 too_small = _mm256_cmp_ps(x, lowest, _CMP_LT_OQ);
    x = _mm256_max_ps(lowest, x);  // (a NaN x stays NaN: max_ps returns its second operand then)
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(too_small, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

/// Lanes j of a vector starting at key `j0` with j0 + j < n: all ones, else zero.
static inline __m256 lanes_below(int64_t j0, int64_t n) {
    const __m256i index = _mm256_add_epi32(_mm256_set1_epi32((int32_t)j0), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)n), index));
}

/// Transposes the 8 × 8 floats in r (r[t] becomes what was column t).
static inline void transpose_8x8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/// kt[d·VLM_ATTN_KEYS + j] = key j's column d for j < count, 0 for count ≤ j < padded (a multiple
/// of 8): 8 × 8 blocks through registers, leftover columns one at a time.
static void pack_keys_transposed(const float *k, int64_t kv_stride, int64_t count, int64_t padded, int64_t head_dim, float *kt) {
    for (int64_t j0 = 0; j0 < padded; j0 += 8) {
        int64_t d0 = 0;
        for (; d0 + 8 <= head_dim; d0 += 8) {
            __m256 r[8];
            for (int t = 0; t < 8; t++) r[t] = j0 + t < count ? _mm256_loadu_ps(k + (j0 + t) * kv_stride + d0) : _mm256_setzero_ps();
            transpose_8x8(r);
            for (int t = 0; t < 8; t++) _mm256_store_ps(kt + (d0 + t) * VLM_ATTN_KEYS + j0, r[t]);
        }
        for (int64_t d = d0; d < head_dim; d++)
            for (int t = 0; t < 8; t++) kt[d * VLM_ATTN_KEYS + j0 + t] = j0 + t < count ? k[(j0 + t) * kv_stride + d] : 0.0f;
    }
}

/// s[r][j] = scale · q_r · kt[·][j] for the 4 rows `q` and keys [0, keys) (a multiple of 16).
static void group_scores(const float *const q[4], const float *kt, int64_t head_dim, int64_t keys, float scale, float *s) {
    const __m256 sc = _mm256_set1_ps(scale);
    for (int64_t j0 = 0; j0 < keys; j0 += 16) {
        __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        const float *col = kt + j0;
        for (int64_t d = 0; d < head_dim; d++, col += VLM_ATTN_KEYS) {
            const __m256 k0 = _mm256_load_ps(col), k1 = _mm256_load_ps(col + 8);
            __m256 b = _mm256_broadcast_ss(q[0] + d);
            a00 = _mm256_fmadd_ps(b, k0, a00); a01 = _mm256_fmadd_ps(b, k1, a01);
            b = _mm256_broadcast_ss(q[1] + d);
            a10 = _mm256_fmadd_ps(b, k0, a10); a11 = _mm256_fmadd_ps(b, k1, a11);
            b = _mm256_broadcast_ss(q[2] + d);
            a20 = _mm256_fmadd_ps(b, k0, a20); a21 = _mm256_fmadd_ps(b, k1, a21);
            b = _mm256_broadcast_ss(q[3] + d);
            a30 = _mm256_fmadd_ps(b, k0, a30); a31 = _mm256_fmadd_ps(b, k1, a31);
        }
        float *o = s + j0;
        _mm256_store_ps(o, _mm256_mul_ps(a00, sc)); _mm256_store_ps(o + 8, _mm256_mul_ps(a01, sc)); o += VLM_ATTN_KEYS;
        _mm256_store_ps(o, _mm256_mul_ps(a10, sc)); _mm256_store_ps(o + 8, _mm256_mul_ps(a11, sc)); o += VLM_ATTN_KEYS;
        _mm256_store_ps(o, _mm256_mul_ps(a20, sc)); _mm256_store_ps(o + 8, _mm256_mul_ps(a21, sc)); o += VLM_ATTN_KEYS;
        _mm256_store_ps(o, _mm256_mul_ps(a30, sc)); _mm256_store_ps(o + 8, _mm256_mul_ps(a31, sc));
    }
}

/// acc[r][c] += Σ_{j < keys} p[r][j] · v[j][c] for the 4 rows and all `w` columns.
static void group_values(const float *p, const float *v, int64_t w, int64_t keys, float *const acc[4]) {
    for (int64_t c0 = 0; c0 < w; c0 += 16) {
        __m256 a00 = _mm256_load_ps(acc[0] + c0), a01 = _mm256_load_ps(acc[0] + c0 + 8);
        __m256 a10 = _mm256_load_ps(acc[1] + c0), a11 = _mm256_load_ps(acc[1] + c0 + 8);
        __m256 a20 = _mm256_load_ps(acc[2] + c0), a21 = _mm256_load_ps(acc[2] + c0 + 8);
        __m256 a30 = _mm256_load_ps(acc[3] + c0), a31 = _mm256_load_ps(acc[3] + c0 + 8);
        const float *row = v + c0;
        for (int64_t j = 0; j < keys; j++, row += w) {
            const __m256 v0 = _mm256_load_ps(row), v1 = _mm256_load_ps(row + 8);
            __m256 b = _mm256_broadcast_ss(p + j);
            a00 = _mm256_fmadd_ps(b, v0, a00); a01 = _mm256_fmadd_ps(b, v1, a01);
            b = _mm256_broadcast_ss(p + VLM_ATTN_KEYS + j);
            a10 = _mm256_fmadd_ps(b, v0, a10); a11 = _mm256_fmadd_ps(b, v1, a11);
            b = _mm256_broadcast_ss(p + 2 * VLM_ATTN_KEYS + j);
            a20 = _mm256_fmadd_ps(b, v0, a20); a21 = _mm256_fmadd_ps(b, v1, a21);
            b = _mm256_broadcast_ss(p + 3 * VLM_ATTN_KEYS + j);
            a30 = _mm256_fmadd_ps(b, v0, a30); a31 = _mm256_fmadd_ps(b, v1, a31);
        }
        _mm256_store_ps(acc[0] + c0, a00); _mm256_store_ps(acc[0] + c0 + 8, a01);
        _mm256_store_ps(acc[1] + c0, a10); _mm256_store_ps(acc[1] + c0 + 8, a11);
        _mm256_store_ps(acc[2] + c0, a20); _mm256_store_ps(acc[2] + c0 + 8, a21);
        _mm256_store_ps(acc[3] + c0, a30); _mm256_store_ps(acc[3] + c0 + 8, a31);
    }
}

/// One row's online-softmax step over its `n` visible scores (0 < n ≤ keys): turns s[0, keys)
/// into weights (0 past n), folds them into the running max `m` and sum `l`, and rescales the
/// row's accumulator when the max grows.
static void softmax_step(float *s, int64_t n, int64_t keys, float *m, float *l, float *acc, int64_t w) {
    __m256 mx = _mm256_set1_ps(-FLT_MAX);
    for (int64_t j = 0; j < n; j += 8) {
        const __m256 x = _mm256_load_ps(s + j);
        mx = _mm256_max_ps(mx, j + 8 <= n ? x : _mm256_blendv_ps(_mm256_set1_ps(-FLT_MAX), x, lanes_below(j, n)));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(mx), _mm256_extractf128_ps(mx, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    const float block_max = _mm_cvtss_f32(m4);
    const float old = *m, now = block_max > old ? block_max : old;
    const __m256 shift = _mm256_set1_ps(now);
    __m256 sum = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j < n; j += 8) {
        __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_load_ps(s + j), shift));
        if (j + 8 > n) e = _mm256_and_ps(e, lanes_below(j, n));
        _mm256_store_ps(s + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    for (; j < keys; j += 8) _mm256_store_ps(s + j, _mm256_setzero_ps());
    __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    s4 = _mm_add_ss(s4, _mm_shuffle_ps(s4, s4, 1));
    if (now > old) {
        const float alpha = expf(old - now);
        *l = *l * alpha + _mm_cvtss_f32(s4);
        const __m256 a = _mm256_set1_ps(alpha);
        for (int64_t c = 0; c < w; c += 8) _mm256_store_ps(acc + c, _mm256_mul_ps(_mm256_load_ps(acc + c), a));
    } else {
        *l += _mm_cvtss_f32(s4);
    }
    *m = now;
}

void vlm_attention_rows_avx2(const float *q, int64_t q_stride, const float *k, const float *v, int64_t kv_stride,
                             float *out, int64_t out_stride, int64_t first, int64_t rows, int64_t length,
                             int64_t head_dim, float scale, int32_t causal, void *scratch) {
    const int64_t w = padded_width(head_dim);
    float *base = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    float *kt = base;                                  // head_dim × VLM_ATTN_KEYS
    float *vb = kt + head_dim * VLM_ATTN_KEYS;         // VLM_ATTN_KEYS × w
    float *acc = vb + VLM_ATTN_KEYS * w;               // VLM_ATTN_SPAN × w
    float *row_max = acc + VLM_ATTN_SPAN * w;
    float *row_sum = row_max + VLM_ATTN_SPAN;
    float *p = row_sum + VLM_ATTN_SPAN;                // 4 × VLM_ATTN_KEYS
    float *zero_row = p + 4 * VLM_ATTN_KEYS;           // w
    memset(acc, 0, (size_t)(round_up(rows, 4) * w) * sizeof(float));
    memset(zero_row, 0, (size_t)w * sizeof(float));
    for (int64_t i = 0; i < rows; i++) { row_max[i] = -FLT_MAX; row_sum[i] = 0.0f; }

    const int64_t key_end = causal ? first + rows : length;
    for (int64_t start = 0; start < key_end; start += VLM_ATTN_KEYS) {
        const int64_t count = key_end - start < VLM_ATTN_KEYS ? key_end - start : VLM_ATTN_KEYS;
        const int64_t padded = round_up(count, 16);
        // Keys transposed and values as rows; padding keys are zero (weight 0 × value 0).
        pack_keys_transposed(k + start * kv_stride, kv_stride, count, padded, head_dim, kt);
        for (int64_t j = 0; j < count; j++) {
            memcpy(vb + j * w, v + (start + j) * kv_stride, (size_t)head_dim * sizeof(float));
            memset(vb + j * w + head_dim, 0, (size_t)(w - head_dim) * sizeof(float));
        }
        for (int64_t j = count; j < padded; j++) memset(vb + j * w, 0, (size_t)w * sizeof(float));
        for (int64_t g = 0; g < rows; g += 4) {
            const int64_t last = (g + 4 < rows ? g + 4 : rows) - 1;  // the group's last row (span index)
            if (causal && start > first + last) continue;           // no row of this group sees the block yet
            // Keys the group's last row sees (the most any of its rows sees), rounded up to the tile width.
            const int64_t seen = causal ? (first + last + 1 - start < count ? first + last + 1 - start : count) : count;
            const int64_t keys = round_up(seen, 16);
            const float *qr[4];
            float *ar[4];
            for (int r = 0; r < 4; r++) {
                const int64_t i = g + r;
                qr[r] = i < rows ? q + (first + i) * q_stride : zero_row;
                ar[r] = acc + (g + r) * w;
            }
            group_scores(qr, kt, head_dim, keys, scale, p);
            for (int r = 0; r < 4; r++) {
                const int64_t i = g + r;
                float *pr = p + r * VLM_ATTN_KEYS;
                int64_t n = 0;
                if (i < rows) n = causal ? (first + i + 1 - start < count ? first + i + 1 - start : count) : count;
                if (n <= 0) {
                    memset(pr, 0, (size_t)keys * sizeof(float));
                    continue;
                }
                softmax_step(pr, n, keys, row_max + i, row_sum + i, ar[r], w);
            }
            group_values(p, vb, w, keys, ar);
        }
    }
    for (int64_t i = 0; i < rows; i++) {
        const float inv = 1.0f / row_sum[i];
        const float *a = acc + i * w;
        float *o = out + (first + i) * out_stride;
        for (int64_t c = 0; c < head_dim; c++) o[c] = a[c] * inv;
    }
}

#pragma clang attribute pop
