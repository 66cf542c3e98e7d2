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

#endif
