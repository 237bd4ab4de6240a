/* sim_rng: the simulator's deterministic random numbers: xoshiro256**
 * seeded through splitmix64, so a (seed, stream) pair always gives the
 * same run on every machine and compiler. */
#ifndef GNOMON_SIM_RNG_H
#define GNOMON_SIM_RNG_H

#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, 1). */
double sim_rng_uniform(struct sim_rng *r);
/* Exponential with mean 1. */
double sim_rng_exp(struct sim_rng *r);
/* Standard normal. */
double sim_rng_normal(struct sim_rng *r);

#endif
