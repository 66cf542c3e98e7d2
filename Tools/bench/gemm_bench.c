// gemm_bench.c: the avx2 and avx512 integer products (Sources/CKernels) next to OpenBLAS sgemm on
// the same shape, interleaved, one thread, best of R rounds. Not a test: quote as measured.
//   On CPUs with AVX512F/BW/VL the int8 product (int16 inputs) also runs on the avx512 path (VNNI
//   `vpdpwssd` when present, else `vpmaddwd` on zmm), and the int4 8-bit-input product on it
//   (`vpdpbusd`); `*_bitwise_equal_avx2` says whether the outputs equal avx2's bit for bit. With
//   AVX512-VNNI, the core's measured `vpdpbusd`/`vpdpwssd` zmm peak (isa_peak.c, 8 and 16
//   independent chains, measured once a round between the products, best kept; the larger of
//   the two) and each product's fraction of it are printed too.
//   y[M×N] = x[M×K] · Wᵀ, W int8 codes (N×K) with per-row scales (int16 inputs), and the same
//   product with W as int4 codes in groups of 32 columns (float16 scale per group, symmetric), once
//   with int16 inputs (vlm_i16_*) and once with int8 inputs (vlm_i8_*, what vlmembed runs for int4);
//   sgemm gets the fp32 W' = q·s of the int8 weight. int4_cosine_i8in_vs_int16 compares the two
//   int4 results (the int8 inputs' rounding).
// Built and run by kernel_bench.sh (clang, -O2, OpenBLAS from Debian).
#include "ckernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cblas_sgemm(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
void openblas_set_num_threads(int);
char *openblas_get_corename(void);
double vlm_bench_vnni_peak(int words, int chains);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

int main(int argc, char **argv) {
    const long M = argc > 1 ? atol(argv[1]) : 512, K = argc > 2 ? atol(argv[2]) : 3072, N = argc > 3 ? atol(argv[3]) : 9216;
    const int rounds = argc > 4 ? atoi(argv[4]) : 5;
    openblas_set_num_threads(1);
    int8_t *codes = malloc(N * K); float *ws = malloc(N * 4), *wf = malloc(N * K * 4);
    float *x = malloc(M * K * 4), *y = malloc(M * N * 4), *y2 = malloc(M * N * 4);
    srand(1);
    for (long r = 0; r < N; r++) { ws[r] = 0.01f; for (long k = 0; k < K; k++) { codes[r * K + k] = (int8_t)(rand() % 255 - 127); wf[r * K + k] = codes[r * K + k] * ws[r]; } }
    for (long i = 0; i < M * K; i++) x[i] = rand() / (float)RAND_MAX - 0.5f;
    vlm_code_rows w = {VLM_CODES_INT8, N, K, codes, K, ws, NULL, K, NULL};
    // int4, group 32: nibble n stands for n − 8; every scale 0.01 (0x211F in binary16).
    uint8_t *nibbles = malloc(N * K / 2); uint16_t *hs = malloc(N * (K / 32) * 2);
    for (long i = 0; i < N * K / 2; i++) nibbles[i] = (uint8_t)(rand() & 0xFF);
    for (long i = 0; i < N * (K / 32); i++) hs[i] = 0x211F;
    vlm_code_rows w4 = {VLM_CODES_INT4, N, K, nibbles, K / 2, hs, NULL, 32, NULL};
    float *y4 = malloc(M * N * 4);
    void *scratch4 = aligned_alloc(64, (vlm_i16_scratch_bytes(&w4) + 63) / 64 * 64);
    int16_t *q = aligned_alloc(64, (vlm_i16_packed_input_count(M, K) * 2 + 63) / 64 * 64);
    float *sx = malloc(vlm_i16_packed_scale_count(M, K) * 4);
    void *scratch = aligned_alloc(64, (vlm_i16_scratch_bytes(&w) + 63) / 64 * 64);
    int8_t *q8 = aligned_alloc(64, (vlm_i8_packed_input_bytes(M, K) + 63) / 64 * 64);
    float *sx8 = malloc(vlm_i8_packed_scale_count(M, K) * 4), *y48 = malloc(M * N * 4);
    void *scratch48 = aligned_alloc(64, (vlm_i8_scratch_bytes(&w4) + 63) / 64 * 64);
    __builtin_cpu_init();
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    const int vnni = avx512 && __builtin_cpu_supports("avx512vnni");
    float *y512 = malloc(M * N * 4), *y48_512 = malloc(M * N * 4);
    void *scratch512 = aligned_alloc(64, (vlm_i16_scratch_bytes_avx512(&w) + 63) / 64 * 64);
    void *scratch48_512 = aligned_alloc(64, (vlm_i8_scratch_bytes_avx512(&w4) + 63) / 64 * 64);
    double best_i = 1e9, best_s = 1e9, best_4 = 1e9, best_48 = 1e9, best_512 = 1e9, best_48_512 = 1e9;
    double b8 = 0, b16 = 0, w8 = 0, w16 = 0;  // the instruction peaks, measured once a round (best kept)
    for (int r = 0; r < rounds; r++) {
        if (vnni) {
            double v;
            if ((v = vlm_bench_vnni_peak(0, 8)) > b8) b8 = v;
            if ((v = vlm_bench_vnni_peak(0, 16)) > b16) b16 = v;
            if ((v = vlm_bench_vnni_peak(1, 8)) > w8) w8 = v;
            if ((v = vlm_bench_vnni_peak(1, 16)) > w16) w16 = v;
        }
        double t = now();
        vlm_i16_pack_inputs_avx2(x, K, M, K, 0, M, q, sx);
        vlm_i16_product_avx2(&w, 0, (N + 15) / 16, q, sx, M, y, N, scratch);
        t = now() - t; if (t < best_i) best_i = t;
        if (avx512) {
            t = now();
            vlm_i16_pack_inputs_avx2(x, K, M, K, 0, M, q, sx);
            vlm_i16_product_avx512(&w, 0, (N + 15) / 16, q, sx, M, y512, N, scratch512, vnni);
            t = now() - t; if (t < best_512) best_512 = t;
        }
        t = now();
        cblas_sgemm(101, 111, 112, M, N, K, 1.0f, x, K, wf, K, 0.0f, y2, N);
        t = now() - t; if (t < best_s) best_s = t;
        t = now();
        vlm_i16_pack_inputs_avx2(x, K, M, K, 0, M, q, sx);
        vlm_i16_product_avx2(&w4, 0, (N + 15) / 16, q, sx, M, y4, N, scratch4);
        t = now() - t; if (t < best_4) best_4 = t;
        t = now();
        vlm_i8_pack_inputs_avx2(x, K, M, K, 0, M, q8, sx8);
        vlm_i8_product_avx2(&w4, 0, (N + 15) / 16, q8, sx8, M, y48, N, scratch48);
        t = now() - t; if (t < best_48) best_48 = t;
        if (avx512) {
            t = now();
            vlm_i8_pack_inputs_avx2(x, K, M, K, 0, M, q8, sx8);
            vlm_i8_product_avx512(&w4, 0, (N + 15) / 16, q8, sx8, M, y48_512, N, scratch48_512, vnni);
            t = now() - t; if (t < best_48_512) best_48_512 = t;
        }
    }
    double d4 = 0, n4 = 0, n48 = 0;
    for (long i = 0; i < M * N; i++) { d4 += (double)y4[i] * y48[i]; n4 += (double)y4[i] * y4[i]; n48 += (double)y48[i] * y48[i]; }
    double dot = 0, na = 0, nb = 0;
    for (long i = 0; i < M * N; i++) { dot += (double)y[i] * y2[i]; na += (double)y[i] * y[i]; nb += (double)y2[i] * y2[i]; }
    const double ops = 2.0 * M * N * K;
    printf("{\"M\":%ld,\"K\":%ld,\"N\":%ld,\"threads\":1,\"openblas_core\":\"%s\",\"int16_avx2_s\":%.4f,\"int16_avx2_gops\":%.1f,"
           "\"int4_g32_avx2_s\":%.4f,\"int4_g32_avx2_gops\":%.1f,\"int4_g32_i8in_avx2_s\":%.4f,\"int4_g32_i8in_avx2_gops\":%.1f,\"int4_cosine_i8in_vs_int16\":%.7f,\"sgemm_s\":%.4f,\"sgemm_gflops\":%.1f,\"ratio_int16_over_sgemm\":%.2f,\"cosine\":%.9f}\n",
           M, K, N, openblas_get_corename(), best_i, ops / best_i / 1e9, best_4, ops / best_4 / 1e9, best_48, ops / best_48 / 1e9, d4 / sqrt(n4 * n48), best_s, ops / best_s / 1e9, best_s / best_i, dot / sqrt(na * nb));
    if (avx512) {
        const int same16 = memcmp(y, y512, M * N * 4) == 0, same8 = memcmp(y48, y48_512, M * N * 4) == 0;
        printf("{\"avx512_variant\":\"%s\",\"int16_avx512_s\":%.4f,\"int16_avx512_gops\":%.1f,\"int16_avx512_over_avx2\":%.2f,\"int16_avx512_over_sgemm\":%.2f,\"int16_avx512_bitwise_equal_avx2\":%s,"
               "\"int4_g32_i8in_avx512_s\":%.4f,\"int4_g32_i8in_avx512_gops\":%.1f,\"int4_i8in_avx512_over_avx2\":%.2f,\"int4_i8in_avx512_over_sgemm\":%.2f,\"int4_i8in_avx512_bitwise_equal_avx2\":%s}\n",
               vnni ? "vnni" : "avx512bw", best_512, ops / best_512 / 1e9, best_i / best_512, best_s / best_512, same16 ? "true" : "false",
               best_48_512, ops / best_48_512 / 1e9, best_48 / best_48_512, best_s / best_48_512, same8 ? "true" : "false");
    }
    if (vnni) {
        const double pb = b8 > b16 ? b8 : b16, pw = w8 > w16 ? w8 : w16;
        printf("{\"peak_vpdpbusd_zmm_gops_8_chains\":%.1f,\"peak_vpdpbusd_zmm_gops_16_chains\":%.1f,\"peak_vpdpwssd_zmm_gops_8_chains\":%.1f,\"peak_vpdpwssd_zmm_gops_16_chains\":%.1f,"
               "\"int16_avx512_of_vpdpwssd_peak\":%.3f,\"int16_avx512_of_vpdpbusd_peak\":%.3f,\"int4_i8in_avx512_of_vpdpbusd_peak\":%.3f}\n",
               b8 / 1e9, b16 / 1e9, w8 / 1e9, w16 / 1e9, ops / best_512 / pw, ops / best_512 / pb, ops / best_48_512 / pb);
    }
    return 0;
}
