#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

/* vlmembed PNG shim: libpng reports errors by longjmp, which Swift cannot survive, so the
   whole decode runs here in C behind setjmp and returns an error code plus a message.
   Output is PIL's convert("RGB") of the decoded image: alpha dropped, palette expanded
   (tRNS ignored), gray replicated, 16-bit samples reduced to their high byte, except
   16-bit gray without alpha, which PIL opens as I;16 and clips to 255. */

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t pos;
    char msg[200];
} vlm_png_ctx;

static void vlm_png_read_fn(png_structp png, png_bytep out, png_size_t n) {
    vlm_png_ctx *c = (vlm_png_ctx *)png_get_io_ptr(png);
    if (n > c->size - c->pos) png_error(png, "unexpected end of file (truncated PNG)");
    memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

static void vlm_png_error_fn(png_structp png, png_const_charp m) {
    vlm_png_ctx *c = (vlm_png_ctx *)png_get_error_ptr(png);
    if (c != NULL) {
        strncpy(c->msg, m, sizeof(c->msg) - 1);
        c->msg[sizeof(c->msg) - 1] = 0;
    }
    png_longjmp(png, 1);
}

static void vlm_png_warning_fn(png_structp png, png_const_charp m) { (void)png; (void)m; }

/* One row of raw samples (as stored, after de-interlacing) -> 8-bit RGB. */
static inline void vlm_png_row_to_rgb(const unsigned char *in, unsigned char *out, unsigned w,
                                      int color_type, int depth, const png_color *pal, int npal) {
    unsigned x;
    int channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 3 ? 1 : color_type == 4 ? 2 : 4;
    if (depth < 8) {
        int per = 8 / depth, mask = (1 << depth) - 1, scale = color_type == 0 ? 255 / mask : 1;
        for (x = 0; x < w; x++) {
            int v = (in[x / per] >> (8 - depth * (int)(x % per + 1))) & mask;
            if (color_type == 3) {
                unsigned char r = 0, g = 0, b = 0;
                if (v < npal) { r = pal[v].red; g = pal[v].green; b = pal[v].blue; }
                out[3 * x] = r; out[3 * x + 1] = g; out[3 * x + 2] = b;
            } else {
                unsigned char g = (unsigned char)(v * scale);
                out[3 * x] = g; out[3 * x + 1] = g; out[3 * x + 2] = g;
            }
        }
        return;
    }
    int bps = depth / 8; /* bytes per sample */
    for (x = 0; x < w; x++) {
        const unsigned char *p = in + (size_t)x * channels * bps;
        unsigned char r, g, b;
        if (color_type == 3) {
            int v = p[0];
            r = g = b = 0;
            if (v < npal) { r = pal[v].red; g = pal[v].green; b = pal[v].blue; }
        } else if (color_type == 0 || color_type == 4) {
            if (bps == 2 && color_type == 0) r = p[0] == 0 ? p[1] : 255; /* I;16 -> RGB clips */
            else r = p[0];
            g = b = r;
        } else {
            r = p[0]; g = p[bps]; b = p[2 * bps];
        }
        out[3 * x] = r; out[3 * x + 1] = g; out[3 * x + 2] = b;
    }
}

/* Reads the IHDR through libpng and decodes into out (width*height*3 bytes, sizes must
   equal expect_w/expect_h, which the caller parsed and checked against its pixel limit).
   Returns 0 on success, nonzero with msg filled on failure. */
static inline int vlm_png_decode(const unsigned char *data, size_t size, unsigned expect_w, unsigned expect_h,
                                 unsigned char *out, char *msg, size_t msg_size) {
    vlm_png_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.data = data; ctx.size = size; ctx.pos = 0;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &ctx, vlm_png_error_fn, vlm_png_warning_fn);
    if (png == NULL) { strncpy(msg, "cannot create libpng reader", msg_size - 1); return 1; }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        strncpy(msg, "cannot create libpng info", msg_size - 1);
        return 1;
    }
    unsigned char *volatile raw = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(raw);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        strncpy(msg, ctx.msg[0] ? ctx.msg : "libpng error", msg_size - 1);
        msg[msg_size - 1] = 0;
        return 2;
    }
    png_set_read_fn(png, &ctx, vlm_png_read_fn);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_read_info(png, info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &color_type, &interlace, NULL, NULL);
    if (w != expect_w || h != expect_h) png_error(png, "IHDR size changed while decoding");
    png_colorp pal = NULL;
    int npal = 0;
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        if (!png_get_PLTE(png, info, &pal, &npal)) png_error(png, "palette image without PLTE chunk");
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    if (passes > 1) {
        raw = (unsigned char *)malloc(rowbytes * h);
        rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
        if (raw == NULL || rows == NULL) png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < h; y++) rows[y] = raw + rowbytes * y;
        png_read_image(png, rows);
        for (png_uint_32 y = 0; y < h; y++)
            vlm_png_row_to_rgb(raw + rowbytes * y, out + (size_t)y * w * 3, w, color_type, depth, pal, npal);
    } else {
        raw = (unsigned char *)malloc(rowbytes);
        if (raw == NULL) png_error(png, "out of memory");
        for (png_uint_32 y = 0; y < h; y++) {
            png_read_row(png, raw, NULL);
            vlm_png_row_to_rgb(raw, out + (size_t)y * w * 3, w, color_type, depth, pal, npal);
        }
    }
    free(rows);
    rows = NULL;
    free(raw);
    raw = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}
