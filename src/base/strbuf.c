/* strbuf.c - the growable text buffer: doubling growth, sticky failure, printf via
 * vsnprintf measured first. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/strbuf.h"

void strbuf_init(StrBuf *b)
{
    memset(b, 0, sizeof *b);
}

void strbuf_free(StrBuf *b)
{
    free(b->data);
    strbuf_init(b);
}

/* Room for extra more bytes and the NUL; false (and failed set) if impossible. */
static bool reserve(StrBuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra >= (size_t)-1 - b->len - 1) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void strbuf_append(StrBuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void strbuf_printf(StrBuf *b, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
    } else if ((size_t)n < sizeof small) {
        strbuf_append(b, small, (size_t)n);
    } else if (reserve(b, (size_t)n)) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void strbuf_xml(StrBuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': strbuf_append(b, "&amp;", 5); break;
        case '<': strbuf_append(b, "&lt;", 4); break;
        case '>': strbuf_append(b, "&gt;", 4); break;
        case '"': strbuf_append(b, "&quot;", 6); break;
        case '\'': strbuf_append(b, "&apos;", 6); break;
        default: strbuf_append(b, s, 1); break;
        }
    }
}

const char *strbuf_text(const StrBuf *b)
{
    return b->data && !b->failed ? b->data : "";
}

Status strbuf_status(const StrBuf *b, const char *what, Error *err)
{
    if (b->failed)
        return error_set(err, STATUS_NOMEM, "out of memory building %s", what);
    return STATUS_OK;
}
