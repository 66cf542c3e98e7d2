// attention_bench.c: the avx2 blocked attention (Sources/CKernels/attention_avx2.c, online softmax,
// no score matrix) next to what the generic path does per head (OpenBLAS sgemm for the scores, a
// row softmax with libm expf, sgemm for the output), on the shapes of a Phi-3.5-V request: CLIP
// (577 positions, 16 heads of 64, no mask), the decoder (775 positions, 32 heads of 96, causal) and
// a 16-crop decoder sequence (2500 positions). One thread, interleaved, best of R rounds; also the
// largest |difference| between the two and the scratch each needs. Not a test: quote as measured.
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

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

/// The generic path's algorithm: per head, S = scale·Q·Kᵀ (sgemm), row softmax (masked), O = S·V (sgemm).
static void blas_attention(const float *q, const float *k, const float *v, float *out, long L, long H, long D, int causal, float *s) {
    for (long h = 0; h < H; h++) {
        cblas_sgemm(101, 111, 112, L, L, D, 1.0f / sqrtf((float)D), q + h * D, H * D, k + h * D, H * D, 0.0f, s, L);
        for (long i = 0; i < L; i++) {
            float *row = s + i * L;
            const long n = causal ? i + 1 : L;
            float m = -INFINITY, sum = 0;
            for (long j = 0; j < n; j++) m = row[j] > m ? row[j] : m;
            for (long j = 0; j < n; j++) { row[j] = expf(row[j] - m); sum += row[j]; }
            for (long j = 0; j < n; j++) row[j] /= sum;
            for (long j = n; j < L; j++) row[j] = 0;
        }
        cblas_sgemm(101, 111, 111, L, D, L, 1.0f, s, L, v + h * D, H * D, 0.0f, out + h * D, H * D);
    }
}

static void blocked_attention(const float *q, const float *k, const float *v, float *out, long L, long H, long D, int causal, void *scratch) {
    for (long h = 0; h < H; h++)
        for (long first = 0; first < L; first += VLM_ATTN_SPAN)
            vlm_attention_rows_avx2(q + h * D, H * D, k + h * D, v + h * D, H * D, out + h * D, H * D, first,
                                    L - first < VLM_ATTN_SPAN ? L - first : VLM_ATTN_SPAN, L, D, 1.0f / sqrtf((float)D), causal, scratch);
}

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? atoi(argv[1]) : 3;
    openblas_set_num_threads(1);
    const struct { const char *name; long L, H, D; int causal; } shapes[] = {
        {"CLIP L577 h16 d64", 577, 16, 64, 0},
        {"decoder L775 h32 d96 causal", 775, 32, 96, 1},
        {"decoder L2500 h32 d96 causal", 2500, 32, 96, 1},
    };
    printf("openblas core %s, 1 thread, best of %d\n", openblas_get_corename(), rounds);
    for (int c = 0; c < 3; c++) {
        const long L = shapes[c].L, H = shapes[c].H, D = shapes[c].D, n = L * H * D;
        float *q = malloc(n * 4), *k = malloc(n * 4), *v = malloc(n * 4), *o1 = malloc(n * 4), *o2 = malloc(n * 4);
        float *s = malloc(L * L * 4);
        void *scratch = malloc(vlm_attention_scratch_bytes(D));
        srand(7);
        for (long i = 0; i < n; i++) { q[i] = rand() / (float)RAND_MAX * 4 - 2; k[i] = rand() / (float)RAND_MAX * 4 - 2; v[i] = rand() / (float)RAND_MAX * 2 - 1; }
        double best_b = 1e9, best_f = 1e9;
        for (int r = 0; r < rounds; r++) {
            double t = now();
            blas_attention(q, k, v, o1, L, H, D, shapes[c].causal, s);
            t = now() - t; if (t < best_b) best_b = t;
            t = now();
            blocked_attention(q, k, v, o2, L, H, D, shapes[c].causal, scratch);
            t = now() - t; if (t < best_f) best_f = t;
        }
        float worst = 0;
        for (long i = 0; i < n; i++) { float d = fabsf(o1[i] - o2[i]); worst = d > worst ? d : worst; }
        printf("{\"shape\":\"%s\",\"sgemm_softmax_s\":%.4f,\"blocked_avx2_s\":%.4f,\"ratio\":%.2f,\"max_abs_diff\":%.2e,"
               "\"score_matrix_bytes\":%ld,\"blocked_scratch_bytes\":%ld}\n",
               shapes[c].name, best_b, best_f, best_b / best_f, worst, L * L * 4, (long)vlm_attention_scratch_bytes(D));
        free(q); free(k); free(v); free(o1); free(o2); free(s); free(scratch);
    }
    return 0;
}
