// ckernels.h: vlmembed's C kernels (intrinsics, chosen at run time by the Swift `Kernels` module).
#ifndef VLMEMBED_CKERNELS_H
#define VLMEMBED_CKERNELS_H

#include <stdint.h>

/// Storage kinds of quantized weight rows the integer product reads.
enum {
    VLM_CODES_INT8 = 0,      ///< int8 codes, row-major; float32 scale per row
    VLM_CODES_INT4 = 1,      ///< two 4-bit codes per byte (even column = low nibble); float16 scale per group; optional zero byte per group
    VLM_CODES_GGML_Q8_0 = 2, ///< llama.cpp Q8_0: 34-byte blocks (float16 d, 32 int8)
    VLM_CODES_GGML_Q4_0 = 3, ///< llama.cpp Q4_0: 18-byte blocks (float16 d, 16 bytes; column j < 16 low nibble of byte j, j + 16 high)
};

/// Columns per activation scale: inputs are quantized to int16 per row and per block of this many columns.
#define VLM_I16_BLOCK 256
/// Output channels (weight rows) per packed panel.
#define VLM_I16_PANEL 16
/// Input rows per register tile.
#define VLM_I16_TILE 6

/// A quantized weight `W[rows × columns]` as the integer product reads it.
typedef struct {
    int32_t kind;
    int64_t rows;
    int64_t columns;
    const void *codes;
    /// Bytes from one stored row's codes to the next.
    int64_t row_bytes;
    /// int8: float32 per row; int4: float16 per group (row-major); ggml: unused (inline).
    const void *scales;
    /// int4 asymmetric: one zero-point byte per group (row-major); otherwise NULL.
    const uint8_t *zeros;
    /// Columns per scale: int8 `columns`, int4 the group size, ggml 32.
    int64_t group;
    /// Logical row i is stored row `row_order[i]`; NULL: stored order.
    const int64_t *row_order;
} vlm_code_rows;

/// 1 when the integer product handles this weight (group boundaries fall on activation-block
/// boundaries and no column pair straddles two groups), else 0.
int32_t vlm_i16_supports(const vlm_code_rows *w);

/// Bytes of scratch one caller of `vlm_i16_product_avx2` needs (one packed panel block and its scales).
int64_t vlm_i16_scratch_bytes(const vlm_code_rows *w);

/// Number of int16 elements `vlm_i16_pack_inputs_avx2` writes for `rows` inputs of `columns` columns.
int64_t vlm_i16_packed_input_count(int64_t rows, int64_t columns);

/// Number of float scales `vlm_i16_pack_inputs_avx2` writes.
int64_t vlm_i16_packed_scale_count(int64_t rows, int64_t columns);

/// Quantizes input rows [row_begin, row_end) of `rows` rows of `columns` floats (row stride `ldx`)
/// to int16: per row and per block of VLM_I16_BLOCK columns, scale = max|x| / 32767 and
/// q = round-to-nearest-even(x · (32767 / max|x|)) (all zero when max|x| = 0). Writes them in the
/// product's tile order: per block, per tile of VLM_I16_TILE rows, per column pair, the tile's
/// rows' pairs (padding pairs and rows are 0), and the scales per block, tile and row.
/// `row_begin` must be a multiple of VLM_I16_TILE. Requires AVX2.
void vlm_i16_pack_inputs_avx2(const float *x, int64_t ldx, int64_t rows, int64_t columns,
                              int64_t row_begin, int64_t row_end, int16_t *q, float *scales);

/// y[i·ldy + r] = Σ_segments float(Σ_k q[i,k]·code[r,k]) · sx[i, block] · sw[r, group] for the
/// logical weight rows of panels [panel_begin, panel_end) and the `n` packed input rows; the
/// integer sums are exact (int32, at most 256 columns a segment). `scratch` needs
/// `vlm_i16_scratch_bytes(w)` bytes, 64-byte aligned. Requires AVX2.
void vlm_i16_product_avx2(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                          const int16_t *q, const float *sx, int64_t n,
                          float *y, int64_t ldy, void *scratch);

/// Bytes of scratch one caller of `vlm_i16_product_avx512` needs (two packed panels and their
/// scales).
int64_t vlm_i16_scratch_bytes_avx512(const vlm_code_rows *w);

/// `vlm_i16_product_avx2` on zmm registers, bit-identical to it: the same packed inputs (from
/// `vlm_i16_pack_inputs_avx2`), exact int32 segment sums by `vpdpwssd` (`vnni` ≠ 0, needs
/// AVX512-VNNI) or `vpmaddwd` + `vpaddd`, the same fp32 scale order. `scratch` needs
/// `vlm_i16_scratch_bytes_avx512(w)` bytes, 64-byte aligned. Requires AVX512F/BW/VL, AVX2, FMA, F16C.
void vlm_i16_product_avx512(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                            const int16_t *q, const float *sx, int64_t n,
                            float *y, int64_t ldy, void *scratch, int32_t vnni);

/// Columns per activation block of the 8-bit-input product (each block has its own input scale).
#define VLM_I8_BLOCK 32
/// Output channels (weight rows) per packed panel of the 8-bit-input product.
#define VLM_I8_PANEL 16
/// Input rows per register tile of the 8-bit-input product.
#define VLM_I8_TILE 6

/// 1 when the 8-bit-input product handles this weight: 4-bit codes (vlmembed int4 with groups of
/// a multiple of 32 columns, symmetric or with zero points, or ggml Q4_0), `columns` a multiple
/// of 32, stored row order; else 0.
int32_t vlm_i8_supports(const vlm_code_rows *w);

/// Bytes of scratch one caller of `vlm_i8_product_avx2` needs (one packed panel, its scales and
/// code offsets); 64-byte aligned.
int64_t vlm_i8_scratch_bytes(const vlm_code_rows *w);

/// Bytes `vlm_i8_pack_inputs_avx2` writes for `rows` inputs of `columns` columns.
int64_t vlm_i8_packed_input_bytes(int64_t rows, int64_t columns);

/// Number of floats (scales and code sums) `vlm_i8_pack_inputs_avx2` writes.
int64_t vlm_i8_packed_scale_count(int64_t rows, int64_t columns);

/// Quantizes input rows [row_begin, row_end) of `rows` rows of `columns` floats (a multiple of
/// VLM_I8_BLOCK; row stride `ldx`) to int8: per row and block of VLM_I8_BLOCK columns,
/// scale = max|x| / 127 and q = round-to-nearest-even(x · (127 / max|x|)) (all zero when
/// max|x| = 0; scale NaN when the block holds a NaN or an infinity). Writes them in the product's
/// tile order: per tile of VLM_I8_TILE rows and block, per column quad, the tile's rows' 4 codes
/// (padding rows 0); and per tile and block the rows' scales, then the rows' code sums Σq.
/// `row_begin` must be a multiple of VLM_I8_TILE. Requires AVX2.
void vlm_i8_pack_inputs_avx2(const float *x, int64_t ldx, int64_t rows, int64_t columns,
                             int64_t row_begin, int64_t row_end, int8_t *q, float *scales);

/// y[i·ldy + r] = Σ_blocks sx[i, b] · sw[r, b] · Σ_k q[i,k]·(u[r,k] − z[r,b]) for the weight rows
/// of panels [panel_begin, panel_end) and the `n` packed input rows, where u is the 4-bit code and
/// z its offset (8, or the group's zero point). The integer sums are exact. `scratch` needs
/// `vlm_i8_scratch_bytes(w)` bytes, 64-byte aligned. Requires AVX2, FMA and F16C.
void vlm_i8_product_avx2(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                         const int8_t *q, const float *sx, int64_t n,
                         float *y, int64_t ldy, void *scratch);

/// Bytes of scratch one caller of `vlm_i8_product_avx512` needs (two packed panels, their scales
/// and code offsets).
int64_t vlm_i8_scratch_bytes_avx512(const vlm_code_rows *w);

/// `vlm_i8_product_avx2` on zmm registers, bit-identical to it: the same packed inputs (from
/// `vlm_i8_pack_inputs_avx2`), exact per-block sums by `vpdpbusd` (`vnni` ≠ 0, needs AVX512-VNNI)
/// or `vpmaddubsw`, the same fp32 order. `scratch` needs `vlm_i8_scratch_bytes_avx512(w)` bytes,
/// 64-byte aligned. Requires AVX512F/BW/VL, AVX2, FMA and F16C.
void vlm_i8_product_avx512(const vlm_code_rows *w, int64_t panel_begin, int64_t panel_end,
                           const int8_t *q, const float *sx, int64_t n,
                           float *y, int64_t ldy, void *scratch, int32_t vnni);

/// Keys per block of the blocked attention.
#define VLM_ATTN_KEYS 64
/// The most query rows one `vlm_attention_rows_avx2` call takes (a multiple of 4).
#define VLM_ATTN_SPAN 128

/// Bytes of scratch one caller of `vlm_attention_rows_avx2` needs for heads of `head_dim`.
int64_t vlm_attention_scratch_bytes(int64_t head_dim);

/// Scaled dot-product attention of query rows [first, first + rows) (rows ≤ VLM_ATTN_SPAN) of one
/// head against keys/values 0..<length (with `causal`, row i sees keys 0...i only): writes
/// out[i·out_stride + c] = Σ_j softmax_j(scale · q_i·k_j) · v_j[c] for c < head_dim. q, k, v point at
/// the head's first column (row strides q_stride, kv_stride). Blocked, with an online softmax in
/// fp32: the score matrix is never built; `scratch` needs `vlm_attention_scratch_bytes(head_dim)`
/// bytes (any alignment). Requires AVX2 and FMA.
void vlm_attention_rows_avx2(const float *q, int64_t q_stride, const float *k, const float *v, int64_t kv_stride,
                             float *out, int64_t out_stride, int64_t first, int64_t rows, int64_t length,
                             int64_t head_dim, float scale, int32_t causal, void *scratch);

/// row[j] += scale · d[j] for j < columns, where d[j] = Σ_t b[t]·a[t·columns + j] is a fused
/// multiply-add chain over t = 0..<rank from zero (a is rank × columns, row-major; b has rank
/// values): one row of W + s·B·A. Bit-identical to the scalar definition. Requires AVX2 and FMA.
void vlm_low_rank_add_row_avx2(float *row, int64_t columns, const float *a, const float *b, int64_t rank, float scale);

/// ‖x‖₂ of n floats: eight lane accumulators of fused multiply-adds over whole groups of 8, the
/// lanes summed in order, the tail added with fused multiply-adds, then the square root (PyTorch's
/// CPU reduction order). Requires AVX2 and FMA.
float vlm_row_norm_avx2(const float *x, int64_t n);

/// row[j] *= factor for j < columns. Requires AVX2.
void vlm_scale_row_avx2(float *row, int64_t columns, float factor);

#endif
