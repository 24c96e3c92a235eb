/* runopts.c - the defaults of a run's options and the comparison a resumed run makes
 * with its checkpoint, both from RUNOPTS_LIST; the words of a choice option. */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include "train/runopts.h"

/* Only the options stored in a run's checkpoint: the KEEP and FREE ones. */
#define DEFAULT(where, kind, field, name, arg, lo, hi, def, help)                     \
    DEFAULT_##where(RUNOPTS_SET_##kind(o->field, def));
#define DEFAULT_KEEP(set) set
#define DEFAULT_FREE(set) set
#define DEFAULT_TRAIN(set)
#define DEFAULT_CLI(set)
#define DEFAULT_ACT(set)

void runopts_defaults(RunOptions *o)
{
    memset(o, 0, sizeof *o);
    RUNOPTS_LIST(DEFAULT)
    o->model.threads = 1;
}

const char *runopts_choice(const char *arg, int i, size_t *len)
{
    const char *word = arg;
    for (int k = 0; k < i && word; k++) {
        word = strchr(word, '|');
        word = word ? word + 1 : NULL;
    }
    if (!word || i < 0)
        return NULL;
    const char *end = strchr(word, '|');
    *len = end ? (size_t)(end - word) : strlen(word);
    return word;
}

int runopts_choice_index(const char *arg, const char *s, size_t len)
{
    size_t n;
    const char *word;
    for (int i = 0; (word = runopts_choice(arg, i, &n)) != NULL; i++)
        if (n == len && memcmp(word, s, len) == 0)
            return i;
    return -1;
}

/* Reals compare with ==: a checkpoint stores them exactly, and a run continues bit
 * for bit only with the very same values. Names and paths compare as strings. */
#define SAME_INT(a, b) ((a) == (b))
#define SAME_SIZE SAME_INT
#define SAME_REAL SAME_INT
#define SAME_FLOAT SAME_INT
#define SAME_U64 SAME_INT
#define SAME_CHOICE SAME_INT
#define SAME_ON SAME_INT
#define SAME_OFF SAME_INT
#define SAME_ONOFF SAME_INT
#define SAME_MODEL(a, b) (strcmp((a), (b)) == 0)
#define SAME_PATH SAME_MODEL

#define DIFFERS(where, kind, field, name, arg, lo, hi, def, help)                     \
    DIFFERS_##where(SAME_##kind(a->field, b->field), name)
#define DIFFERS_KEEP(same, name)                                                      \
    if (!(same))                                                                      \
        return name;
#define DIFFERS_FREE(same, name)
#define DIFFERS_TRAIN(same, name)
#define DIFFERS_CLI(same, name)
#define DIFFERS_ACT(same, name)

const char *runopts_differing(const RunOptions *a, const RunOptions *b)
{
    assert(a->model.name && b->model.name);
    RUNOPTS_LIST(DIFFERS)
    if (strcmp(a->model.text, b->model.text) != 0)   /* two network files */
        return "model";
    return NULL;
}
