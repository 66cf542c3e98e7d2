// int8_input_product_avx512.c: the 8-bit-input product for 4-bit weights (see
// int8_input_product_avx2.c) on AVX-512: the same packed inputs and panels, the same exact
// per-block integer sums and fp32 order, on zmm registers, with `vpdpbusd` (AVX512-VNNI) or
// `vpmaddubsw` (AVX512BW). The tiles are in int8_input_product_avx512_tiles.h, compiled once per
// variant.
#include "include/ckernels.h"
#include "code_panels.h"
#include <immintrin.h>

int64_t vlm_i8_scratch_bytes_avx512(const vlm_code_rows *w) { return 2 * vlm_i8_scratch_bytes(w); }

#define VLM_VARIANT(name) name##_vnni
#define VLM_I8_VNNI 1
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c"))), apply_to = function)
#include "int8_input_product_avx512_tiles.h"
#pragma clang attribute pop
#undef VLM_VARIANT
#undef VLM_I8_VNNI

#define VLM_VARIANT(name) name##_bw
#define VLM_I8_VNNI 0
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c"))), apply_to = function)
#include "int8_input_product_avx512_tiles.h"
#pragma clang attribute pop
#undef VLM_VARIANT
#undef VLM_I8_VNNI

void vlm_i8_product_avx512(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                           const int8_t *q, const float *sx, int64_t n,
                           float *y, int64_t ldy, void *scratch, int32_t vnni) {
    if (vnni) i8_products_vnni(w, panel_begin, panel_end, q, sx, n, y, ldy, scratch);
    else i8_products_bw(w, panel_begin, panel_end, q, sx, n, y, ldy, scratch);
}
