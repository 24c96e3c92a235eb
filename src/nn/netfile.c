/* netfile.c - the network language's parser (see netfile.h): splits the text into
 * lines and words, checks every word, resolves names to earlier layers, and fills
 * a NetFile. Every message starts "source:line:". Nothing is allocated. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nn/netfile.h"

/* Most words on a line: `label: add a b from=x` and a margin. */
#define MAX_WORDS 8
/* Longest number a line may give, in characters. */
#define MAX_NUMBER 24

typedef struct {
    const char *s;
    size_t len;
} Word;

typedef struct {
    char name[NETFILE_LABEL_MAX + 1];
    int line;       /* where it was defined */
    int last;       /* index of its block's last layer so far; NETFILE_INPUT if none */
} Label;

typedef struct {
    NetFile *net;
    const char *source;
    Error *err;
    int line;
    int current;            /* the output a line reads unless from= says */
    int label;              /* the current block's label, -1 before the first */
    int nlabels;
    Label labels[NETFILE_MAX_LAYERS];
    int default_line;       /* line of `default dropout`, 0 if none */
    int classifier_line;    /* 0 if none yet */
} Parser;

static Status fail(Parser *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static Status fail(Parser *p, const char *fmt, ...)
{
    char what[ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return error_set(p->err, STATUS_USAGE, "%s:%d: %s", p->source, p->line, what);
}

static bool is(Word w, const char *s)
{
    return w.len == strlen(s) && memcmp(w.s, s, w.len) == 0;
}

/* The word's text for a message, cut short so a long word cannot fill it. */
#define SHOW(w) (int)((w).len < 32 ? (w).len : 32), (w).s

/* A whole number in [lo, hi], digits only. */
static Status whole(Parser *p, Word w, const char *what, int lo, int hi, int *out)
{
    long v = 0;
    bool digits = w.len > 0 && w.len <= 9;
    for (size_t i = 0; digits && i < w.len; i++) {
        digits = w.s[i] >= '0' && w.s[i] <= '9';
        v = v * 10 + (w.s[i] - '0');
    }
    if (!digits)
        return fail(p, "%s '%.*s' is not a whole number", what, SHOW(w));
    if (v < lo || v > hi)
        return fail(p, "%s %ld is out of range [%d, %d]", what, v, lo, hi);
    *out = (int)v;
    return STATUS_OK;
}

/* A probability in [0, 1): a plain decimal number. */
static Status probability(Parser *p, Word w, float *out)
{
    char buf[MAX_NUMBER + 1];
    bool plain = w.len > 0 && w.len <= MAX_NUMBER;
    for (size_t i = 0; plain && i < w.len; i++)
        plain = (w.s[i] >= '0' && w.s[i] <= '9') || w.s[i] == '.' ||
                w.s[i] == 'e' || w.s[i] == 'E' || w.s[i] == '-';
    if (plain) {
        memcpy(buf, w.s, w.len);
        buf[w.len] = '\0';
        char *end;
        double d = strtod(buf, &end);
        if (*end == '\0' && end != buf && isfinite(d) && d >= 0.0 && d < 1.0) {
            *out = (float)d;
            return STATUS_OK;
        }
    }
    return fail(p, "dropout '%.*s' is not a number in [0, 1)", SHOW(w));
}

/* The index of the output called w: a label's last layer, or the input. */
static Status lookup(Parser *p, Word w, int *out)
{
    if (is(w, "input")) {
        *out = NETFILE_INPUT;
        return STATUS_OK;
    }
    for (int i = 0; i < p->nlabels; i++)
        if (is(w, p->labels[i].name)) {
            if (p->labels[i].last == NETFILE_INPUT && i == p->label)
                break;
            *out = p->labels[i].last;
            return STATUS_OK;
        }
    return fail(p, "no output named '%.*s' before this line", SHOW(w));
}

/* --- labels ---------------------------------------------------------------------- */

static bool label_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* `name:` opens a block called name. */
static Status define_label(Parser *p, Word w)
{
    Word name = {w.s, w.len - 1};
    bool ok = name.len > 0 && name.len <= NETFILE_LABEL_MAX;
    for (size_t i = 0; ok && i < name.len; i++)
        ok = label_char(name.s[i], i == 0);
    if (!ok)
        return fail(p, "bad label '%.*s' (a letter or _, then letters, digits or _, "
                    "at most %d in all)", SHOW(name), NETFILE_LABEL_MAX);
    if (is(name, "input"))
        return fail(p, "'input' names the network's input and cannot be a label");
    for (int i = 0; i < p->nlabels; i++)
        if (is(name, p->labels[i].name))
            return fail(p, "label '%.*s' is already used on line %d", SHOW(name),
                        p->labels[i].line);
    Label *l = &p->labels[p->nlabels];
    memcpy(l->name, name.s, name.len);
    l->name[name.len] = '\0';
    l->line = p->line;
    l->last = NETFILE_INPUT;
    p->label = p->nlabels++;
    return STATUS_OK;
}

/* --- layers ---------------------------------------------------------------------- */

typedef struct {
    const char *word;
    NetKind kind;
    int min_args, max_args;     /* words after the kind, besides key=value ones */
    const char *usage;
} KindInfo;

static const KindInfo kinds[] = {
    {"conv", NET_CONV, 2, 2, "conv OUT K [pad=P]"},
    {"norm", NET_NORM, 0, 1, "norm [bn|ln|gn] [groups=G]"},
    {"relu", NET_RELU, 0, 0, "relu"},
    {"dropout", NET_DROPOUT, 0, 1, "dropout [P]"},
    {"maxpool", NET_MAXPOOL, 0, 0, "maxpool"},
    {"avgpool", NET_AVGPOOL, 0, 0, "avgpool"},
    {"gap", NET_GAP, 0, 0, "gap"},
    {"add", NET_ADD, 1, 2, "add NAME [NAME]"},
    {"classifier", NET_CLASSIFIER, 0, 0, "classifier"},
    {"whiten", NET_WHITEN, 1, 1, "whiten K [pad=P]"},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* The value of a key=value word, or a word of len 0 when w is not one for key. */
static Word option(Word w, const char *key)
{
    size_t k = strlen(key);
    if (w.len > k && memcmp(w.s, key, k) == 0 && w.s[k] == '=')
        return (Word){w.s + k + 1, w.len - k - 1};
    return (Word){w.s, 0};
}

static Status norm_args(Parser *p, NetLayer *l, const Word *args, int n)
{
    static const char *const names[] = {"bn", "ln", "gn"};
    if (n == 1) {
        for (int i = 0; i < 3; i++)
            if (is(args[0], names[i]))
                l->norm = (NetNorm)(NET_NORM_BN + i);
        if (l->norm == NET_NORM_CHOSEN)
            return fail(p, "norm '%.*s' is not bn, ln or gn", SHOW(args[0]));
    }
    return STATUS_OK;
}

/* The positional words after the kind. */
static Status layer_args(Parser *p, NetLayer *l, const Word *args, int n)
{
    Status st = STATUS_OK;
    switch (l->kind) {
    case NET_CONV:
        if ((st = whole(p, args[0], "conv channels", 1, NETFILE_MAX_CHANNELS,
                        &l->cout)) == STATUS_OK)
            st = whole(p, args[1], "conv kernel", 1, NETFILE_MAX_KERNEL, &l->k);
        return st;
    case NET_WHITEN:
        return whole(p, args[0], "whiten kernel", 1, NETFILE_MAX_KERNEL, &l->k);
    case NET_NORM:
        return norm_args(p, l, args, n);
    case NET_DROPOUT:
        return n == 1 ? probability(p, args[0], &l->p) : STATUS_OK;
    case NET_ADD:
        if (n == 2 && (st = lookup(p, args[0], &l->in)) != STATUS_OK)
            return st;
        return lookup(p, args[n - 1], &l->in2);
    default:
        return STATUS_OK;
    }
}

/* One key=value word. */
static Status layer_option(Parser *p, NetLayer *l, Word w)
{
    Word v;
    if ((v = option(w, "from")).len > 0 && l->kind != NET_ADD)
        return lookup(p, v, &l->in);
    if ((v = option(w, "pad")).len > 0 && (l->kind == NET_CONV || l->kind == NET_WHITEN))
        return whole(p, v, l->kind == NET_CONV ? "conv padding" : "whiten padding", 0,
                     NETFILE_MAX_KERNEL, &l->pad);
    if ((v = option(w, "groups")).len > 0 && l->kind == NET_NORM) {
        if (l->norm != NET_NORM_GN)
            return fail(p, "groups= is for norm gn only");
        return whole(p, v, "norm groups", 1, NETFILE_MAX_GROUPS, &l->groups);
    }
    if (is(w, "bias") && l->kind == NET_CONV)
        return fail(p, "conv bias is not supported: the convolutions have no bias "
                    "(a norm after a conv would cancel it)");
    return fail(p, "'%.*s' is not an option of %s", SHOW(w), kinds[l->kind].usage);
}

/* Name the layer after its block: LABEL, LABEL.norm; before any label, its kind. */
static void name_layer(Parser *p, NetLayer *l)
{
    const char *base = p->label >= 0 ? p->labels[p->label].name : kinds[l->kind].word;
    snprintf(l->name, sizeof l->name, "%s%s", base, l->kind == NET_NORM ? ".norm" : "");
}

static Status check_place(Parser *p, const KindInfo *info)
{
    if (p->classifier_line)
        return fail(p, "a layer after the classifier (line %d), which must be the "
                    "last", p->classifier_line);
    if (p->net->nlayers == NETFILE_MAX_LAYERS)
        return fail(p, "more than %d layers, the most a net may have",
                    NETFILE_MAX_LAYERS);
    if (info->kind == NET_CLASSIFIER)
        p->classifier_line = p->line;
    return STATUS_OK;
}

/* A layer line: w[0] is its kind. */
static Status layer_line(Parser *p, const Word *w, int n)
{
    const KindInfo *info = NULL;
    for (size_t i = 0; i < NKINDS; i++)
        if (is(w[0], kinds[i].word))
            info = &kinds[i];
    if (!info)
        return fail(p, "unknown layer '%.*s' (conv, norm, relu, dropout, maxpool, "
                    "avgpool, gap, add, classifier, whiten)", SHOW(w[0]));
    Status st = check_place(p, info);
    if (st != STATUS_OK)
        return st;
    NetLayer *l = &p->net->layers[p->net->nlayers];
    *l = (NetLayer){.kind = info->kind, .line = p->line, .in = p->current,
                    .in2 = NETFILE_INPUT, .p = -1.0f};
    int nargs = 0;
    while (1 + nargs < n && !memchr(w[1 + nargs].s, '=', w[1 + nargs].len) &&
           !is(w[1 + nargs], "bias"))
        nargs++;
    if (nargs < info->min_args || nargs > info->max_args)
        return fail(p, "%s needs %s: %s", info->word,
                    nargs < info->min_args ? "more numbers or names" : "fewer words",
                    info->usage);
    if ((st = layer_args(p, l, w + 1, nargs)) != STATUS_OK)
        return st;
    for (int i = 1 + nargs; i < n; i++)
        if ((st = layer_option(p, l, w[i])) != STATUS_OK)
            return st;
    name_layer(p, l);
    p->current = p->net->nlayers++;
    if (p->label >= 0)
        p->labels[p->label].last = p->current;
    return STATUS_OK;
}

/* `default dropout P`. */
static Status default_line(Parser *p, const Word *w, int n)
{
    if (n != 3 || !is(w[1], "dropout"))
        return fail(p, "usage: default dropout P");
    if (p->default_line)
        return fail(p, "a second default dropout (the first is on line %d)",
                    p->default_line);
    p->default_line = p->line;
    return probability(p, w[2], &p->net->dropout);
}

/* --- lines ----------------------------------------------------------------------- */

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Split [s, end) into words up to a '#'; fails past MAX_WORDS. */
static Status split(Parser *p, const char *s, const char *end, Word *w, int *n)
{
    *n = 0;
    while (s < end && *s != '#') {
        if (blank(*s)) {
            s++;
            continue;
        }
        const char *start = s;
        while (s < end && !blank(*s) && *s != '#')
            s++;
        if (*n == MAX_WORDS)
            return fail(p, "more than %d words on a line", MAX_WORDS);
        w[(*n)++] = (Word){start, (size_t)(s - start)};
    }
    return STATUS_OK;
}

static Status parse_line(Parser *p, const char *s, const char *end)
{
    Word w[MAX_WORDS];
    int n;
    Status st = split(p, s, end, w, &n);
    if (st != STATUS_OK || n == 0)
        return st;
    if (is(w[0], "default"))
        return default_line(p, w, n);
    if (w[0].s[w[0].len - 1] == ':') {
        if ((st = define_label(p, w[0])) != STATUS_OK)
            return st;
        if (n == 1)
            return fail(p, "a label without a layer");
        return layer_line(p, w + 1, n - 1);
    }
    return layer_line(p, w, n);
}

static Status finish(Parser *p)
{
    if (p->net->nlayers == 0)
        return error_set(p->err, STATUS_USAGE, "%s: no layers", p->source);
    if (!p->classifier_line)
        return fail(p, "the net ends without a classifier (its last line must be "
                    "`classifier`)");
    return STATUS_OK;
}

Status netfile_parse(NetFile *net, const char *text, size_t len, const char *source,
                     Error *err)
{
    memset(net, 0, sizeof *net);
    Parser p = {.net = net, .source = source, .err = err, .current = NETFILE_INPUT,
                .label = -1};
    const char *s = text, *end = text + len;
    while (s < end) {
        p.line++;
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol)
            eol = end;
        if (memchr(s, '\0', (size_t)(eol - s)))
            return fail(&p, "a NUL byte (is this a text file?)");
        Status st = parse_line(&p, s, eol);
        if (st != STATUS_OK)
            return st;
        s = eol + 1;
    }
    return finish(&p);
}
