// int16_product_avx512_tiles.h: the int16 product's register tiles on zmm, included twice by
// int16_product_avx512.c: once with `vpdpwssd` (AVX512-VNNI) and once with `vpmaddwd` + `vpaddd`
// (AVX512BW) as VLM_I16_STEP, each inside its own target attribute and with its own VLM_VARIANT
// name suffix. Not a header to include anywhere else.
//
// A packed panel's column pair is 16 rows × 2 int16 = one zmm, so a step multiplies it by one
// input row's broadcast pair for all 16 rows. A tile is up to 12 input rows (two of the packing's
// 6-row tiles) × 2 panels: 24 int32 accumulators, 2 weight loads and 12 broadcasts a pair. The
// arithmetic is the avx2 kernel's lane for lane: exact int32 sums per segment, then
// f = fma(float(sum), sx · sw, f) in segment order, so the outputs are bit-identical.

/// One tile: `mr` (6 or 12) input rows from the packed tiles `ap[0]`, `ap[1]` (scales `sx[0]`,
/// `sx[1]`, per block) × `np` (1 or 2) packed panels `wp[j]` (scales `ws[j]` per segment), over all
/// `columns`; writes the first `rows` input rows' outputs, `valid[j]` of panel j's 16.
static inline __attribute__((always_inline)) void VLM_VARIANT(i16_tile)(
    const int mr, const int np, const int16_t *const ap[2], const float *const sx[2],
    int16_t *const wp[2], float *const ws[2], int64_t columns, int64_t segment_pairs,
    float *y, int64_t ldy, int64_t rows, const int64_t valid[2]) {
    __m512 f[24];
    for (int j = 0; j < np * mr; j++) f[j] = _mm512_setzero_ps();
    const int64_t total_pairs = (columns + 1) / 2;
    const int64_t block_segments = VLM_I16_BLOCK_PAIRS / segment_pairs;
    const int64_t block_stride = VLM_I16_BLOCK_PAIRS * VLM_I16_TILE * 2;
    for (int64_t blk = 0, p0 = 0; p0 < total_pairs; blk++, p0 += VLM_I16_BLOCK_PAIRS) {
        const int32_t *a0 = (const int32_t *)(ap[0] + blk * block_stride);
        const int32_t *a1 = (const int32_t *)(ap[mr > VLM_I16_TILE] + blk * block_stride);
        const int64_t block_end = p0 + VLM_I16_BLOCK_PAIRS < total_pairs ? p0 + VLM_I16_BLOCK_PAIRS : total_pairs;
        for (int64_t s0 = p0, seg = blk * block_segments; s0 < block_end; s0 += segment_pairs, seg++) {
            const int64_t s1 = s0 + segment_pairs < block_end ? s0 + segment_pairs : block_end;
            __m512i acc[24];
            for (int j = 0; j < np * mr; j++) acc[j] = _mm512_setzero_si512();
            for (int64_t p = s0; p < s1; p++) {
                const __m512i w0 = _mm512_load_si512((const void *)(wp[0] + 32 * p));
                const __m512i w1 = np == 2 ? _mm512_load_si512((const void *)(wp[1] + 32 * p)) : w0;
                const int32_t *x0 = a0 + (p - p0) * VLM_I16_TILE, *x1 = a1 + (p - p0) * VLM_I16_TILE;
                for (int m = 0; m < mr; m++) {
                    const __m512i b = _mm512_set1_epi32(m < VLM_I16_TILE ? x0[m] : x1[m - VLM_I16_TILE]);
                    acc[np * m] = VLM_I16_STEP(acc[np * m], w0, b);
                    if (np == 2) acc[np * m + 1] = VLM_I16_STEP(acc[np * m + 1], w1, b);
                }
            }
            for (int m = 0; m < mr; m++) {
                const float *sb = m < VLM_I16_TILE ? sx[0] + blk * VLM_I16_TILE + m : sx[1] + blk * VLM_I16_TILE + m - VLM_I16_TILE;
                const __m512 s = _mm512_set1_ps(*sb);
                for (int j = 0; j < np; j++) {
                    const __m512 sw = _mm512_load_ps(ws[j] + 16 * seg);
                    f[np * m + j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[np * m + j]), _mm512_mul_ps(s, sw), f[np * m + j]);
                }
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

/// `vlm_i16_product_avx512` for this variant: panels two at a time, input tiles two at a time.
static void VLM_VARIANT(i16_products)(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                                       const int16_t *q, const float *sx, int64_t n, float *y, int64_t ldy, void *scratch) {
    const int64_t tiles = (n + VLM_I16_TILE - 1) / VLM_I16_TILE;
    const int64_t blocks = (w->columns + VLM_I16_BLOCK - 1) / VLM_I16_BLOCK;
    const int64_t segment_pairs = vlm_segment_columns(w) / 2;
    const int64_t panel_bytes = vlm_i16_scratch_bytes(w), code_bytes = vlm_panel_code_bytes(w);
    int16_t *const wp[2] = {(int16_t *)scratch, (int16_t *)((char *)scratch + panel_bytes)};
    float *const ws[2] = {(float *)((char *)scratch + code_bytes), (float *)((char *)scratch + panel_bytes + code_bytes)};
    const int64_t tile_codes = blocks * VLM_I16_BLOCK_PAIRS * VLM_I16_TILE * 2, tile_scales = blocks * VLM_I16_TILE;
    for (int64_t p = panel_begin; p < panel_end; p += 2) {
        const int np = p + 1 < panel_end ? 2 : 1;
        int64_t valid[2] = {0, 0};
        for (int j = 0; j < np; j++) {
            vlm_pack_panel_avx2(w, p + j, wp[j], ws[j]);
            const int64_t left = w->rows - (p + j) * VLM_I16_PANEL;
            valid[j] = left < VLM_I16_PANEL ? left : VLM_I16_PANEL;
        }
        for (int64_t t = 0; t < tiles; t += 2) {
            const int two = t + 1 < tiles;
            const int16_t *const ap[2] = {q + t * tile_codes, q + (t + two) * tile_codes};
            const float *const st[2] = {sx + t * tile_scales, sx + (t + two) * tile_scales};
            float *yt = y + t * VLM_I16_TILE * ldy + p * VLM_I16_PANEL;
            const int64_t rows = n - t * VLM_I16_TILE;
            if (two && np == 2) VLM_VARIANT(i16_tile)(12, 2, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, rows, valid);
            else if (two) VLM_VARIANT(i16_tile)(12, 1, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, rows, valid);
            else if (np == 2) VLM_VARIANT(i16_tile)(6, 2, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, rows, valid);
            else VLM_VARIANT(i16_tile)(6, 1, ap, st, wp, ws, w->columns, segment_pairs, yt, ldy, rows, valid);
        }
    }
}
