// int16_product_avx512.c: the int16 product (see int16_product_avx2.c) on AVX-512: the same packed
// inputs and panels, the same exact int32 segment sums and fp32 scale order, on zmm registers, with
// `vpdpwssd` (AVX512-VNNI) or `vpmaddwd` + `vpaddd` (AVX512BW). The tiles are in
// int16_product_avx512_tiles.h, compiled once per variant.
#include "include/ckernels.h"
#include "code_panels.h"
#include <immintrin.h>

int64_t vlm_i16_scratch_bytes_avx512(const vlm_code_rows *w) { return 2 * vlm_i16_scratch_bytes(w); }

#define VLM_VARIANT(name) name##_vnni
#define VLM_I16_STEP(acc, w, b) _mm512_dpwssd_epi32(acc, w, b)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"))), apply_to = function)
#include "int16_product_avx512_tiles.h"
#pragma clang attribute pop
#undef VLM_VARIANT
#undef VLM_I16_STEP

#define VLM_VARIANT(name) name##_bw
#define VLM_I16_STEP(acc, w, b) _mm512_add_epi32(acc, _mm512_madd_epi16(w, b))
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c"))), apply_to = function)
#include "int16_product_avx512_tiles.h"
#pragma clang attribute pop
#undef VLM_VARIANT
#undef VLM_I16_STEP

void vlm_i16_product_avx512(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                            const int16_t *q, const float *sx, int64_t n,
                            float *y, int64_t ldy, void *scratch, int32_t vnni) {
    if (vnni) i16_products_vnni(w, panel_begin, panel_end, q, sx, n, y, ldy, scratch);
    else i16_products_bw(w, panel_begin, panel_end, q, sx, n, y, ldy, scratch);
}
