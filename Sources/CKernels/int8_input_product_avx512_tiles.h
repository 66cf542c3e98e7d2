// int8_input_product_avx512_tiles.h: the 8-bit-input product's register tiles on zmm, included
// twice by int8_input_product_avx512.c: once with `vpdpbusd` (AVX512-VNNI: code bytes × input
// bytes summed straight into int32) and once with `vpmaddubsw` + `vpaddw` (AVX512BW: int16 sums,
// exact below 2·15·127·8 = 30480 for one 32-column block, widened by `vpmaddwd` with 1), each
// inside its own target attribute and with its own VLM_VARIANT name suffix (VLM_I8_VNNI 1 or 0).
// Not a header to include anywhere else.
//
// A packed panel's column quad is 16 rows × 4 code bytes = one zmm. A tile is up to 12 input rows
// (two of the packing's 6-row tiles) × 2 panels: 24 accumulators, 2 weight loads and 12 broadcasts
// a quad. The arithmetic is the avx2 kernel's lane for lane: exact integer sums per 32-column
// block, the code offset off in fp32, f = fma(d, sx · sw, f) in block order: bit-identical.

/// One tile: `mr` (6 or 12) input rows from the packed tiles `ap[0]`, `ap[1]` (scales and code
/// sums `st[0]`, `st[1]`, per block) × `np` (1 or 2) packed panels `wp[j]` (scales `ws[j]`, code
/// offsets `wz[j]` per block), over `blocks` blocks; writes the first `rows` input rows' outputs,
/// `valid[j]` of panel j's 16.
static inline __attribute__((always_inline)) void VLM_VARIANT(i8_tile)(
    const int mr, const int np, const int8_t *const ap[2], const float *const st[2],
    uint8_t *const wp[2], float *const ws[2], float *const wz[2], int64_t blocks,
    float *y, int64_t ldy, int64_t rows, const int64_t valid[2]) {
    __m512 f[24];
    for (int j = 0; j < np * mr; j++) f[j] = _mm512_setzero_ps();
#if !VLM_I8_VNNI
    const __m512i ones = _mm512_set1_epi16(1);
#endif
    for (int64_t b = 0; b < blocks; b++) {
        const int32_t *a0 = (const int32_t *)(ap[0] + b * VLM_I8_BLOCK * VLM_I8_TILE);
        const int32_t *a1 = (const int32_t *)(ap[mr > VLM_I8_TILE] + b * VLM_I8_BLOCK * VLM_I8_TILE);
        __m512i acc[24];
        for (int j = 0; j < np * mr; j++) acc[j] = _mm512_setzero_si512();
#pragma clang loop unroll(disable)
        for (int quad = 0; quad < VLM_I8_BLOCK / 4; quad++) {
            const __m512i w0 = _mm512_load_si512((const void *)(wp[0] + b * VLM_I8_BLOCK * VLM_I8_PANEL + 64 * quad));
            const __m512i w1 = np == 2 ? _mm512_load_si512((const void *)(wp[1] + b * VLM_I8_BLOCK * VLM_I8_PANEL + 64 * quad)) : w0;
            for (int m = 0; m < mr; m++) {
                const __m512i x = _mm512_set1_epi32(m < VLM_I8_TILE ? a0[quad * VLM_I8_TILE + m] : a1[quad * VLM_I8_TILE + m - VLM_I8_TILE]);
#if VLM_I8_VNNI
                acc[np * m] = _mm512_dpbusd_epi32(acc[np * m], w0, x);
                if (np == 2) acc[np * m + 1] = _mm512_dpbusd_epi32(acc[np * m + 1], w1, x);
#else
                acc[np * m] = _mm512_add_epi16(acc[np * m], _mm512_maddubs_epi16(w0, x));
                if (np == 2) acc[np * m + 1] = _mm512_add_epi16(acc[np * m + 1], _mm512_maddubs_epi16(w1, x));
#endif
            }
        }
        for (int m = 0; m < mr; m++) {
            const float *sb = m < VLM_I8_TILE ? st[0] + b * 2 * VLM_I8_TILE + m : st[1] + b * 2 * VLM_I8_TILE + m - VLM_I8_TILE;
            const __m512 s = _mm512_set1_ps(sb[0]), sum = _mm512_set1_ps(sb[VLM_I8_TILE]);
            for (int j = 0; j < np; j++) {
#if VLM_I8_VNNI
                const __m512i total = acc[np * m + j];
#else
                const __m512i total = _mm512_madd_epi16(acc[np * m + j], ones);
#endif
                const __m512 sw = _mm512_load_ps(ws[j] + 16 * b), z = _mm512_load_ps(wz[j] + 16 * b);
                const __m512 d = _mm512_fnmadd_ps(z, sum, _mm512_cvtepi32_ps(total));
                f[np * m + j] = _mm512_fmadd_ps(d, _mm512_mul_ps(s, sw), f[np * m + j]);
            }
        }
    }
    for (int m = 0; m < mr && m < rows; m++) {
        for (int j = 0; j < np; j++) {
            const __mmask16 keep = valid[j] >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << valid[j]) - 1);
            _mm512_mask_storeu_ps(y + m * ldy + 16 * j, keep, f[np * m + j]);
        }
    }
}

/// `vlm_i8_product_avx512` for this variant: panels two at a time, input tiles two at a time.
static void VLM_VARIANT(i8_products)(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                                      const int8_t *q, const float *sx, int64_t n, float *y, int64_t ldy, void *scratch) {
    const int64_t tiles = (n + VLM_I8_TILE - 1) / VLM_I8_TILE;
    const int64_t blocks = w->columns / VLM_I8_BLOCK;
    const int64_t panel_bytes = vlm_i8_scratch_bytes(w), code_bytes = vlm_i8_panel_code_bytes(w);
    uint8_t *const wp[2] = {(uint8_t *)scratch, (uint8_t *)scratch + panel_bytes};
    float *const ws[2] = {(float *)(wp[0] + code_bytes), (float *)(wp[1] + code_bytes)};
    float *const wz[2] = {ws[0] + blocks * VLM_I8_PANEL, ws[1] + blocks * VLM_I8_PANEL};
    const int64_t tile_codes = blocks * VLM_I8_BLOCK * VLM_I8_TILE, tile_scales = blocks * 2 * VLM_I8_TILE;
    for (int64_t p = panel_begin; p < panel_end; p += 2) {
        const int np = p + 1 < panel_end ? 2 : 1;
        int64_t valid[2] = {0, 0};
        for (int j = 0; j < np; j++) {
            vlm_i8_pack_panel_avx2(w, p + j, wp[j], ws[j], wz[j]);
            const int64_t left = w->rows - (p + j) * VLM_I8_PANEL;
            valid[j] = left < VLM_I8_PANEL ? left : VLM_I8_PANEL;
        }
        for (int64_t t = 0; t < tiles; t += 2) {
            const int two = t + 1 < tiles;
            const int8_t *const ap[2] = {q + t * tile_codes, q + (t + two) * tile_codes};
            const float *const st[2] = {sx + t * tile_scales, sx + (t + two) * tile_scales};
            float *yt = y + t * VLM_I8_TILE * ldy + p * VLM_I8_PANEL;
            const int64_t rows = n - t * VLM_I8_TILE;
            if (two && np == 2) VLM_VARIANT(i8_tile)(12, 2, ap, st, wp, ws, wz, blocks, yt, ldy, rows, valid);
            else if (two) VLM_VARIANT(i8_tile)(12, 1, ap, st, wp, ws, wz, blocks, yt, ldy, rows, valid);
            else if (np == 2) VLM_VARIANT(i8_tile)(6, 2, ap, st, wp, ws, wz, blocks, yt, ldy, rows, valid);
            else VLM_VARIANT(i8_tile)(6, 1, ap, st, wp, ws, wz, blocks, yt, ldy, rows, valid);
        }
    }
}
