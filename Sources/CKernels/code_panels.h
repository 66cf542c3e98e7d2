// code_panels.h: packing quantized weight rows into the integer product's int16 panel blocks.
#ifndef VLMEMBED_CODE_PANELS_H
#define VLMEMBED_CODE_PANELS_H

#include "include/ckernels.h"

/// Column pairs per activation block.
#define VLM_I16_BLOCK_PAIRS (VLM_I16_BLOCK / 2)

/// Columns per segment: the weight group when it is shorter than an activation block, else a block.
int64_t vlm_segment_columns(const vlm_code_rows *w);

/// Segments per packed panel (whole activation blocks, each split into segments).
int64_t vlm_panel_segments(const vlm_code_rows *w);

/// Bytes of a packed panel's codes (64-byte multiple).
int64_t vlm_panel_code_bytes(const vlm_code_rows *w);

/// Packs logical rows [16·panel, 16·panel + 16) of `w`: `codes` gets, for each column pair p,
/// 16 rows × 2 int16 (row c's codes for the pair's two columns at [p·32 + 2c] and
/// [p·32 + 2c + 1]; value q (int8, Q8_0), nibble − 8 (symmetric int4, Q4_0) or nibble − zero
/// (asymmetric int4); columns past the end and rows past `rows` are 0). `scales` gets, for
/// each segment s, the 16 rows' float32 scales at [s·16 + c] (0 for missing rows).
void vlm_pack_panel(const vlm_code_rows *w, int64_t panel, int16_t *codes, float *scales);

/// `vlm_pack_panel`, the common int8/Q8_0/int4 panels vectorised (same bytes). Requires AVX2 and F16C.
void vlm_pack_panel_avx2(const vlm_code_rows *w, int64_t panel, int16_t *codes, float *scales);

/// Bytes of one packed panel of the 8-bit-input product: 16 rows × `columns` code bytes.
static inline int64_t vlm_i8_panel_code_bytes(const vlm_code_rows *w) { return w->columns * VLM_I8_PANEL; }

/// Packs 4-bit weight rows [16·panel, 16·panel + 16) for the 8-bit-input product: `codes` gets,
/// per block of 32 columns and column quad, the 16 rows' 4 unsigned code bytes (row c at byte 4c);
/// `scales` and `zeros` get, per block, the 16 rows' scale and code offset (0 past the end).
/// Requires AVX2 and F16C.
void vlm_i8_pack_panel_avx2(const vlm_code_rows *w, int64_t panel, uint8_t *codes, float *scales, float *zeros);

#endif
