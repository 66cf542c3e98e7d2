// low_rank_update_avx2.c: the row pieces of a LoRA/DoRA merge (AVX2 + FMA), with exactly the
// rounding of the scalar definition in Sources/Kernels/Primitives/LowRankUpdate.swift:
//   row[j] += s · d[j],  d[j] = fma chain over t = 0..<rank of b[t]·a[t·columns + j], from zero
//   ‖x‖₂: eight lane accumulators of fused multiply-adds, lanes summed in order, tail fused.
// Every element goes through the same operations in the same order as the scalar code; the
// vectors only do eight columns at once. Products and sums outside the fma chains stay unfused.
#include "include/ckernels.h"
#include <immintrin.h>
#include <math.h>

#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)

void vlm_low_rank_add_row_avx2(float *row, int64_t columns, const float *a, const float *b, int64_t rank, float scale) {
    const __m256 s = _mm256_set1_ps(scale);
    int64_t j = 0;
    for (; j + 8 <= columns; j += 8) {
        __m256 d = _mm256_setzero_ps();
        for (int64_t t = 0; t < rank; t++) d = _mm256_fmadd_ps(_mm256_set1_ps(b[t]), _mm256_loadu_ps(a + t * columns + j), d);
        _mm256_storeu_ps(row + j, _mm256_add_ps(_mm256_loadu_ps(row + j), _mm256_mul_ps(d, s)));
    }
    for (; j < columns; j++) {
        float d = 0;
        for (int64_t t = 0; t < rank; t++) d = fmaf(b[t], a[t * columns + j], d);
        const float term = d * scale;
        row[j] = row[j] + term;
    }
}

float vlm_row_norm_avx2(const float *x, int64_t n) {
    __m256 lanes = _mm256_setzero_ps();
    const int64_t whole = n - n % 8;
    for (int64_t d = 0; d < whole; d += 8) {
        const __m256 v = _mm256_loadu_ps(x + d);
        lanes = _mm256_fmadd_ps(v, v, lanes);
    }
    float l[8];
    _mm256_storeu_ps(l, lanes);
    float sum = l[0];
    for (int j = 1; j < 8; j++) sum = sum + l[j];
    for (int64_t d = whole; d < n; d++) sum = fmaf(x[d], x[d], sum);
    return sqrtf(sum);
}

void vlm_scale_row_avx2(float *row, int64_t columns, float factor) {
    const __m256 f = _mm256_set1_ps(factor);
    int64_t j = 0;
    for (; j + 8 <= columns; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), f));
    for (; j < columns; j++) row[j] = row[j] * factor;
}

#pragma clang attribute pop
