// code_panels.c: packing quantized weight rows into the integer product's int16 panels.
#include "code_panels.h"
#include <string.h>

/// IEEE binary16 → binary32 (exact, subnormals included).
static float half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1Fu;
    uint32_t mantissa = h & 0x3FFu;
    uint32_t bits;
    if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else if (exponent != 0) {
        bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
    } else if (mantissa == 0) {
        bits = sign;
    } else {
        int shift = 0;
        while ((mantissa & 0x400u) == 0) { mantissa <<= 1; shift++; }
        bits = sign | ((uint32_t)(113 - shift) << 23) | ((mantissa & 0x3FFu) << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint16_t load_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static int64_t groups_per_row(const vlm_code_rows *w) {
    switch (w->kind) {
    case VLM_CODES_INT8: return 1;
    case VLM_CODES_INT4: return (w->columns + w->group - 1) / w->group;
    default: return w->columns / 32;
    }
}

int64_t vlm_segment_columns(const vlm_code_rows *w) {
    return (w->group >= w->columns || w->group >= VLM_I16_BLOCK) ? VLM_I16_BLOCK : w->group;
}

/// The float32 scale of stored row `r`'s group `g`.
static float group_scale(const vlm_code_rows *w, int64_t r, int64_t g) {
    const uint8_t *row = (const uint8_t *)w->codes + r * w->row_bytes;
    switch (w->kind) {
    case VLM_CODES_INT8: {
        float s;
        memcpy(&s, (const uint8_t *)w->scales + 4 * r, sizeof s);
        return s;
    }
    case VLM_CODES_INT4:
        return half_to_float(load_u16((const uint8_t *)w->scales + 2 * (r * groups_per_row(w) + g)));
    case VLM_CODES_GGML_Q8_0:
        return half_to_float(load_u16(row + 34 * g));
    default:
        return half_to_float(load_u16(row + 18 * g));
    }
}

/// Writes stored row `r`'s codes for columns [c0, c1) as int16 to out[(k − c0)/2 · 32 + (k & 1)].
static void unpack_codes(const vlm_code_rows *w, int64_t r, int64_t c0, int64_t c1, int16_t *out) {
    const uint8_t *row = (const uint8_t *)w->codes + r * w->row_bytes;
    switch (w->kind) {
    case VLM_CODES_INT8:
        for (int64_t k = c0; k < c1; k++) out[((k - c0) >> 1) * 32 + (k & 1)] = (int8_t)row[k];
        break;
    case VLM_CODES_INT4: {
        const int64_t groups = groups_per_row(w);
        for (int64_t k = c0; k < c1;) {
            const int64_t g = k / w->group;
            const int offset = w->zeros ? w->zeros[r * groups + g] : 8;
            const int64_t end = (g + 1) * w->group < c1 ? (g + 1) * w->group : c1;
            for (; k < end; k++) {
                const uint8_t b = row[k >> 1];
                const int nibble = (k & 1) ? (b >> 4) : (b & 0x0F);
                out[((k - c0) >> 1) * 32 + (k & 1)] = (int16_t)(nibble - offset);
            }
        }
        break;
    }
    case VLM_CODES_GGML_Q8_0:
        for (int64_t b = c0 / 32; b < c1 / 32; b++) {
            const uint8_t *block = row + 34 * b;
            for (int j = 0; j < 32; j++) {
                const int64_t k = 32 * b + j - c0;
                out[(k >> 1) * 32 + (k & 1)] = (int8_t)block[2 + j];
            }
        }
        break;
    default:
        for (int64_t b = c0 / 32; b < c1 / 32; b++) {
            const uint8_t *block = row + 18 * b;
            for (int j = 0; j < 16; j++) {
                const uint8_t byte = block[2 + j];
                const int64_t k0 = 32 * b + j - c0, k1 = k0 + 16;
                out[(k0 >> 1) * 32 + (k0 & 1)] = (int16_t)((byte & 0x0F) - 8);
                out[(k1 >> 1) * 32 + (k1 & 1)] = (int16_t)((byte >> 4) - 8);
            }
        }
        break;
    }
}

int64_t vlm_panel_segments(const vlm_code_rows *w) {
    const int64_t blocks = (w->columns + VLM_I16_BLOCK - 1) / VLM_I16_BLOCK;
    return blocks * (VLM_I16_BLOCK / vlm_segment_columns(w));
}

int64_t vlm_panel_code_bytes(const vlm_code_rows *w) {
    const int64_t pairs = (w->columns + 1) / 2;
    return (pairs * 32 * (int64_t)sizeof(int16_t) + 63) & ~(int64_t)63;
}

void vlm_pack_panel(const vlm_code_rows *w, int64_t panel, int16_t *codes, float *scales) {
    const int64_t segment = vlm_segment_columns(w);
    const int64_t segments = vlm_panel_segments(w);
    const int single = w->kind == VLM_CODES_INT8 || w->group >= w->columns;
    memset(codes, 0, (size_t)vlm_panel_code_bytes(w));
    memset(scales, 0, (size_t)segments * 16 * sizeof(float));
    for (int c = 0; c < VLM_I16_PANEL; c++) {
        const int64_t logical = panel * VLM_I16_PANEL + c;
        if (logical >= w->rows) break;
        const int64_t stored = w->row_order ? w->row_order[logical] : logical;
        unpack_codes(w, stored, 0, w->columns, codes + 2 * c);
        if (single) {
            const float s = group_scale(w, stored, 0);
            for (int64_t s0 = 0; s0 < segments; s0++) scales[s0 * 16 + c] = s;
        } else {
            for (int64_t s0 = 0; s0 < segments && s0 * segment < w->columns; s0++)
                scales[s0 * 16 + c] = group_scale(w, stored, s0 * segment / w->group);
        }
    }
}

int32_t vlm_i16_supports(const vlm_code_rows *w) {
    if (w->rows <= 0 || w->columns <= 0 || w->group <= 0) return 0;
    switch (w->kind) {
    case VLM_CODES_INT8:
        return 1;
    case VLM_CODES_INT4:
        if (w->group >= w->columns) return 1;
        if (w->group % 2 != 0) return 0;
        return (VLM_I16_BLOCK % w->group == 0 || w->group % VLM_I16_BLOCK == 0) ? 1 : 0;
    case VLM_CODES_GGML_Q8_0:
    case VLM_CODES_GGML_Q4_0:
        return (w->columns % 32 == 0 && w->group == 32) ? 1 : 0;
    default:
        return 0;
    }
}

int64_t vlm_i16_scratch_bytes(const vlm_code_rows *w) {
    return vlm_panel_code_bytes(w) + vlm_panel_segments(w) * 16 * (int64_t)sizeof(float);
}

int64_t vlm_i16_packed_input_count(int64_t rows, int64_t columns) {
    const int64_t tiles = (rows + VLM_I16_TILE - 1) / VLM_I16_TILE;
    const int64_t blocks = (columns + VLM_I16_BLOCK - 1) / VLM_I16_BLOCK;
    return blocks * tiles * VLM_I16_BLOCK_PAIRS * VLM_I16_TILE * 2;
}

int64_t vlm_i16_packed_scale_count(int64_t rows, int64_t columns) {
    const int64_t tiles = (rows + VLM_I16_TILE - 1) / VLM_I16_TILE;
    const int64_t blocks = (columns + VLM_I16_BLOCK - 1) / VLM_I16_BLOCK;
    return blocks * tiles * VLM_I16_TILE;
}
