/* strbuf.h - a growable text buffer for building whole files in memory before
 * report_write_atomic writes them (SVG, CSV, run.txt, tables). An allocation failure
 * is sticky: later appends do nothing and strbuf_status reports it once at the end,
 * so builders need no check per line. Exported prefix: strbuf_. */
#ifndef CIFAR_STRBUF_H
#define CIFAR_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include "base/status.h"

typedef struct {
    char *data;     /* NUL-terminated when len > 0; NULL before the first append */
    size_t len;     /* bytes, without the NUL */
    size_t cap;
    bool failed;    /* an allocation or a format failed */
} StrBuf;

/* An empty buffer (no allocation yet). */
void strbuf_init(StrBuf *b);
void strbuf_free(StrBuf *b);
/* Append printf-style text. */
void strbuf_printf(StrBuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append n bytes of s. */
void strbuf_append(StrBuf *b, const char *s, size_t n);
/* Append s with the five XML special characters escaped (for SVG text). */
void strbuf_xml(StrBuf *b, const char *s);
/* The text so far, "" when empty. */
const char *strbuf_text(const StrBuf *b);
/* STATUS_OK, or STATUS_NOMEM with a message naming what (e.g. "curves.svg"). */
Status strbuf_status(const StrBuf *b, const char *what, Error *err);

#endif
