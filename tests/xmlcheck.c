/* xmlcheck.c - a small well-formedness check for the SVG the tool writes, so the
 * suite needs nothing but the C toolchain: one optional <?...?> prolog, balanced and
 * properly nested tags, quoted attributes, known entities, comments without "--" in
 * them, one root element. Not a
 * validating parser; enough to catch a missing close tag or an unescaped '<' or '&'. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "test.h"

#define XML_DEPTH_MAX 64
#define XML_NAME_MAX 64

static int fail(char *why, size_t cap, const char *msg, const char *at,
                const char *start)
{
    snprintf(why, cap, "%s at byte %ld", msg, (long)(at - start));
    return 0;
}

/* A name at *p into out; advances *p. 0 if there is none. */
static int read_name(const char **p, char *out)
{
    size_t n = 0;
    while (isalnum((unsigned char)**p) || **p == '-' || **p == '_' || **p == ':' ||
           **p == '.') {
        if (n + 1 < XML_NAME_MAX)
            out[n++] = **p;
        (*p)++;
    }
    out[n] = '\0';
    return n > 0;
}

/* An entity reference starting at p ('&'); its length, or 0 if unknown. */
static size_t entity(const char *p)
{
    static const char *const known[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strncmp(p, known[i], strlen(known[i])) == 0)
            return strlen(known[i]);
    if (p[1] == '#') {
        size_t n = 2;
        while (isalnum((unsigned char)p[n]))
            n++;
        return p[n] == ';' && n > 2 ? n + 1 : 0;
    }
    return 0;
}

/* Attributes up to '>' or "/>"; *p ends on that. 0 on a malformed attribute. */
static int attributes(const char **p)
{
    char name[XML_NAME_MAX];
    for (;;) {
        while (isspace((unsigned char)**p))
            (*p)++;
        if (**p == '>' || (**p == '/' && (*p)[1] == '>'))
            return 1;
        if (!read_name(p, name) || **p != '=' || ((*p)[1] != '"' && (*p)[1] != '\''))
            return 0;
        char quote = (*p)[1];
        *p += 2;
        while (**p && **p != quote) {
            if (**p == '<' || (**p == '&' && !entity(*p)))
                return 0;
            (*p)++;
        }
        if (!**p)
            return 0;
        (*p)++;
    }
}

int test_xml_wellformed(const char *text, char *why, size_t cap)
{
    char stack[XML_DEPTH_MAX][XML_NAME_MAX], name[XML_NAME_MAX];
    int depth = 0, roots = 0;
    const char *p = text;
    if (strncmp(p, "<?", 2) == 0) {
        p = strstr(p, "?>");
        if (!p)
            return fail(why, cap, "unterminated prolog", text, text);
        p += 2;
    }
    while (*p) {
        if (*p == '&' && !entity(p))
            return fail(why, cap, "bad entity", p, text);
        if (*p != '<') {
            if (depth == 0 && !isspace((unsigned char)*p))
                return fail(why, cap, "text outside the root", p, text);
            p++;
            continue;
        }
        p++;
        if (strncmp(p, "!--", 3) == 0) {
            const char *end = strstr(p + 3, "--");
            if (!end || end[2] != '>')
                return fail(why, cap, "bad comment", p, text);
            p = end + 3;
            continue;
        }
        if (*p == '/') {
            p++;
            if (!read_name(&p, name) || *p != '>' || depth == 0 ||
                strcmp(name, stack[depth - 1]) != 0)
                return fail(why, cap, "mismatched close tag", p, text);
            depth--, p++;
            continue;
        }
        if (!read_name(&p, name) || !attributes(&p))
            return fail(why, cap, "malformed tag", p, text);
        if (depth == 0 && ++roots > 1)
            return fail(why, cap, "second root element", p, text);
        if (*p == '/') {
            p += 2;
            continue;
        }
        if (depth == XML_DEPTH_MAX)
            return fail(why, cap, "too deep", p, text);
        snprintf(stack[depth++], XML_NAME_MAX, "%s", name);
        p++;
    }
    if (depth != 0 || roots != 1)
        return fail(why, cap, depth ? "unclosed element" : "no root element", p, text);
    return 1;
}
