/* optim.c - SGD and learning-rate schedules. */
#include <math.h>
#include "train/optim.h"

const char *const schedule_names[SCHEDULE_KIND_COUNT] = {"constant", "step",
                                                         "onecycle"};

/* pi; M_PI is POSIX, not C11. */
#define OPTIM_PI 3.14159265358979323846

static void update(float *restrict w, float *restrict mom, const float *restrict grad,
                   size_t n, float lr, float mu, float wd, bool nesterov)
{
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] + wd * w[i];
        float v = mu * mom[i] + g;
        mom[i] = v;
        w[i] -= lr * (nesterov ? g + mu * v : v);
    }
}

void sgd_step(const SgdConfig *c, float lr, float *w, float *mom, const float *grad,
              size_t n, size_t ndecay)
{
    update(w, mom, grad, ndecay, lr, c->momentum, c->weight_decay, c->nesterov);
    update(w + ndecay, mom + ndecay, grad + ndecay, n - ndecay, lr, c->momentum, 0.0f,
           c->nesterov);
}

double schedule_lr(ScheduleKind kind, double base, long step, long total)
{
    double t = total > 0 ? (double)step / (double)total : 0.0;
    switch (kind) {
    case SCHEDULE_STEP:
        return base * (t >= 0.75 ? SCHEDULE_STEP_GAMMA * SCHEDULE_STEP_GAMMA
                       : t >= 0.5 ? SCHEDULE_STEP_GAMMA : 1.0);
    case SCHEDULE_ONECYCLE: {
        double lo = base / SCHEDULE_START_DIV, end = base / SCHEDULE_END_DIV;
        if (t < SCHEDULE_WARMUP)
            return lo + (base - lo) * t / SCHEDULE_WARMUP;
        double u = (t - SCHEDULE_WARMUP) / (1.0 - SCHEDULE_WARMUP);
        return end + (base - end) * 0.5 * (1.0 + cos(OPTIM_PI * u));
    }
    default:
        return base;
    }
}
