/* optim.h - SGD with momentum, weight decay and Nesterov, as PyTorch defines it
 * (dampening 0), over the model's flat parameter arena; and the learning-rate
 * schedules. Exported prefixes: sgd_, schedule_, SCHEDULE_. */
#ifndef CIFAR_OPTIM_H
#define CIFAR_OPTIM_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    float momentum;
    float weight_decay;  /* applied to the first ndecay parameters only */
    bool nesterov;
} SgdConfig;

/* One step: g = grad + wd*w (decayed part), mom = momentum*mom + g,
 * w -= lr * (nesterov ? g + momentum*mom : mom). */
void sgd_step(const SgdConfig *c, float lr, float *w, float *mom, const float *grad,
              size_t n, size_t ndecay);

typedef enum { SCHEDULE_CONSTANT, SCHEDULE_STEP, SCHEDULE_ONECYCLE,
               SCHEDULE_KIND_COUNT } ScheduleKind;

extern const char *const schedule_names[SCHEDULE_KIND_COUNT];

/* Fraction of the run spent warming up in the one-cycle schedule. */
#define SCHEDULE_WARMUP 0.25
/* The one-cycle schedule starts at and ends near lr divided by these. */
#define SCHEDULE_START_DIV 10.0
#define SCHEDULE_END_DIV 1000.0
/* The step schedule multiplies lr by this at 50% and 75% of the run. */
#define SCHEDULE_STEP_GAMMA 0.1

/* Learning rate at step (0-based) of total steps with peak lr base:
 * constant; step (x0.1 at half and three quarters); one-cycle (linear warm-up from
 * base/10 over the first quarter, then cosine down to base/1000). */
double schedule_lr(ScheduleKind kind, double base, long step, long total);

#endif
