/* rl_micro: the rate limiter's cost per request, in nanoseconds, on one
 * thread: the check every request pays (4096 IPv4 and IPv6 clients,
 * within and over their limit), and the over-limit check with its leak
 * draw (one client). Run from the build directory: bench/rl-micro.
 * Figures are for comparing versions on one machine, not absolute. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ntp/ntp_rl.h"

#define CLIENTS 4096
#define CALLS 20000000L

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(void)
{
	static struct net_addr a[CLIENTS];
	struct ntp_rl_config c = { 16, -4, 256, 2, true, 32, 64 };
	struct ntp_rl *rl = ntp_rl_create(&c, UINT64_C(0x243f6a8885a308d3));
	long i, hits = 0;
	double t0, t1;

	if (!rl)
		return 1;
	for (i = 0; i < CLIENTS; i++) {
		if (i & 1) {
			a[i].family = AF_INET6;
			a[i].a[0] = 0x20;
			a[i].a[1] = 0x01;
			a[i].a[6] = (uint8_t)(i >> 8);
			a[i].a[7] = (uint8_t)i;
			a[i].a[15] = 1;
		} else {
			a[i].family = AF_INET;
			a[i].a[0] = 198;
			a[i].a[1] = 18;
			a[i].a[2] = (uint8_t)(i >> 8);
			a[i].a[3] = (uint8_t)i;
		}
	}
	/* 1 us per call: each client comes back every 4096 us, faster than
	 * its 62.5 ms interval, so after its burst most checks are over. */
	t0 = now_s();
	for (i = 0; i < CALLS; i++)
		hits += ntp_rl_limited(rl, &a[i % CLIENTS], GT_NS_PER_S + i * GT_NS_PER_US);
	t1 = now_s();
	printf("check, %d clients: %.1f ns (%.0f%% over the limit)\n", CLIENTS,
	       (t1 - t0) * 1e9 / (double)CALLS, 100.0 * (double)hits / (double)CALLS);
	hits = 0;
	t0 = now_s();
	for (i = 0; i < CALLS; i++)
		hits += ntp_rl_check(rl, &a[0], GT_NS_PER_S) != NTP_RL_DROP;
	t1 = now_s();
	printf("over the limit, with the leak draw: %.1f ns (%.3f answered)\n",
	       (t1 - t0) * 1e9 / (double)CALLS, (double)hits / (double)CALLS);
	ntp_rl_destroy(rl);
	return 0;
}
