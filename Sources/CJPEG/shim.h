#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

/* vlmembed JPEG shim: libjpeg's error_exit must not return, and Swift cannot survive a
   longjmp, so every libjpeg call runs here in C behind setjmp and returns an error code
   plus the library's message. Decode settings are libjpeg's defaults, as Pillow uses them:
   JDCT_ISLOW, fancy upsampling on, no scaling. A premature end of data (libjpeg only warns
   and pads with gray) is reported as an error, since PIL refuses truncated images. */

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    int premature_eof;
    char msg[JMSG_LENGTH_MAX];
} vlm_jpeg_err;

static void vlm_jpeg_error_exit(j_common_ptr cinfo) {
    vlm_jpeg_err *e = (vlm_jpeg_err *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void vlm_jpeg_emit_message(j_common_ptr cinfo, int level) {
    vlm_jpeg_err *e = (vlm_jpeg_err *)cinfo->err;
    if (level < 0) {
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) e->premature_eof = 1;
        cinfo->err->num_warnings++;
    }
}

/* Header facts the caller needs before allocating. */
typedef struct {
    unsigned width;
    unsigned height;
    int components;
    int color_space; /* J_COLOR_SPACE of the stored data */
} vlm_jpeg_info;

static inline void vlm_jpeg_copy_msg(char *dst, size_t n, const char *src) {
    strncpy(dst, src, n - 1);
    dst[n - 1] = 0;
}

/* Decodes `data`. With out == NULL only the header is read into *info. Otherwise the image
   (whose size must equal info->width/height from a previous header call) is decoded into
   out as 8-bit RGB (grayscale replicated). CMYK/YCCK are refused. Returns 0 on success. */
static inline int vlm_jpeg_decode(const unsigned char *data, size_t size, vlm_jpeg_info *info,
                                  unsigned char *out, char *msg, size_t msg_size) {
    struct jpeg_decompress_struct cinfo;
    vlm_jpeg_err err;
    unsigned char *volatile row = NULL;
    memset(&err, 0, sizeof(err));
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = vlm_jpeg_error_exit;
    err.pub.emit_message = vlm_jpeg_emit_message;
    if (setjmp(err.jump)) {
        free(row);
        jpeg_destroy_decompress(&cinfo);
        vlm_jpeg_copy_msg(msg, msg_size, err.msg[0] ? err.msg : "libjpeg error");
        return 2;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (err.premature_eof) {
        jpeg_destroy_decompress(&cinfo);
        vlm_jpeg_copy_msg(msg, msg_size, "premature end of JPEG data (truncated file)");
        return 3;
    }
    if (out == NULL) {
        info->width = cinfo.image_width;
        info->height = cinfo.image_height;
        info->components = cinfo.num_components;
        info->color_space = (int)cinfo.jpeg_color_space;
        jpeg_destroy_decompress(&cinfo);
        return 0;
    }
    if (cinfo.image_width != info->width || cinfo.image_height != info->height) {
        jpeg_destroy_decompress(&cinfo);
        vlm_jpeg_copy_msg(msg, msg_size, "JPEG size changed between header and decode");
        return 4;
    }
    int gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
    if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK || cinfo.num_components == 4) {
        jpeg_destroy_decompress(&cinfo);
        vlm_jpeg_copy_msg(msg, msg_size, "CMYK/YCCK JPEG is not supported (convert it to RGB first)");
        return 5;
    }
    cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
    cinfo.dct_method = JDCT_ISLOW;
    cinfo.do_fancy_upsampling = TRUE;
    cinfo.scale_num = 1;
    cinfo.scale_denom = 1;
    jpeg_start_decompress(&cinfo);
    size_t w = cinfo.output_width;
    if (cinfo.output_components != (gray ? 1 : 3)) {
        jpeg_destroy_decompress(&cinfo);
        vlm_jpeg_copy_msg(msg, msg_size, "unexpected JPEG output components");
        return 6;
    }
    if (gray) {
        row = (unsigned char *)malloc(w);
        if (row == NULL) {
            jpeg_destroy_decompress(&cinfo);
            vlm_jpeg_copy_msg(msg, msg_size, "out of memory");
            return 7;
        }
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *dst = out + (size_t)cinfo.output_scanline * w * 3;
        if (gray) {
            JSAMPROW r = row;
            jpeg_read_scanlines(&cinfo, &r, 1);
            for (size_t x = 0; x < w; x++) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
        } else {
            JSAMPROW r = dst;
            jpeg_read_scanlines(&cinfo, &r, 1);
        }
        if (err.premature_eof) break;
    }
    free(row);
    row = NULL;
    if (err.premature_eof) {
        jpeg_destroy_decompress(&cinfo);
        vlm_jpeg_copy_msg(msg, msg_size, "premature end of JPEG data (truncated file)");
        return 3;
    }
    jpeg_abort_decompress(&cinfo); /* no need to read past the image (PIL does not) */
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
