// isa_peak.c: the core's measured multiply-add instruction peak, for kernel_bench.sh's gemm bench
// to quote its products against (a benchmark helper, not a test). A loop of `vpdpbusd` (or
// `vpdpwssd`) on zmm with `chains` independent accumulator chains (8 or 16), one thread, best of
// a few runs; returns integer ops a second (vpdpbusd zmm = 64 multiply-adds = 128 ops, vpdpwssd
// zmm = 32 = 64 ops). Requires AVX512-VNNI (callers check).
#include <immintrin.h>
#include <stdint.h>
#include <time.h>

static double peak_now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

#define PEAK_LOOP(name, op, per)                                                                       \
    __attribute__((target("avx512f,avx512bw,avx512vnni"), noinline)) static double name(int chains) { \
        const __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(0x05060708);            \
        __m512i c[16];                                                                                 \
        for (int j = 0; j < 16; j++) c[j] = _mm512_set1_epi32(j);                                      \
        const long iterations = 20 * 1000 * 1000;                                                      \
        double best = 1e9;                                                                             \
        for (int run = 0; run < 3; run++) {                                                            \
            double t = peak_now();                                                                     \
            if (chains == 8) {                                                                         \
                for (long i = 0; i < iterations; i++) {                                                \
                    for (int j = 0; j < 8; j++) c[j] = op(c[j], a, b);                                 \
                    __asm__ volatile("" : "+v"(c[0]), "+v"(c[1]), "+v"(c[2]), "+v"(c[3]),              \
                                     "+v"(c[4]), "+v"(c[5]), "+v"(c[6]), "+v"(c[7]));                  \
                }                                                                                      \
            } else {                                                                                   \
                for (long i = 0; i < iterations / 2; i++) {                                            \
                    for (int j = 0; j < 16; j++) c[j] = op(c[j], a, b);                                \
                    __asm__ volatile("" : "+v"(c[0]), "+v"(c[1]), "+v"(c[2]), "+v"(c[3]),              \
                                     "+v"(c[4]), "+v"(c[5]), "+v"(c[6]), "+v"(c[7]));                  \
                    __asm__ volatile("" : "+v"(c[8]), "+v"(c[9]), "+v"(c[10]), "+v"(c[11]),            \
                                     "+v"(c[12]), "+v"(c[13]), "+v"(c[14]), "+v"(c[15]));              \
                }                                                                                      \
            }                                                                                          \
            t = peak_now() - t;                                                                        \
            if (t < best) best = t;                                                                    \
        }                                                                                              \
        __m512i s = c[0];                                                                              \
        for (int j = 1; j < 16; j++) s = _mm512_add_epi32(s, c[j]);                                    \
        volatile int sink = _mm512_reduce_add_epi32(s);                                                \
        (void)sink;                                                                                    \
        return (double)iterations * 8 * (per) / best;                                                  \
    }

PEAK_LOOP(peak_dpbusd, _mm512_dpbusd_epi32, 128)
PEAK_LOOP(peak_dpwssd, _mm512_dpwssd_epi32, 64)

/// Integer ops a second of `vpdpbusd` zmm (`words` 0) or `vpdpwssd` zmm (`words` 1), `chains` 8 or 16.
double vlm_bench_vnni_peak(int words, int chains) {
    return words ? peak_dpwssd(chains) : peak_dpbusd(chains);
}
