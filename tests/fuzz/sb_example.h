/* The key file and a heartbeat that the standby tests share:
 * tests/unit/test_standby.c, tests/fuzz/fuzz_sb_msg.c and its seed
 * generator tests/fuzz/gen_sb_corpus.c. */
#ifndef GNOMON_TESTS_SB_EXAMPLE_H
#define GNOMON_TESTS_SB_EXAMPLE_H

#include "standby/sb_msg.h"

/* Key 1 is the pair's key. 2 is an MD5 key, which must never sign a
 * heartbeat; 3 is another SHA256 key (of some other pair). */
static const char sb_example_keys[] =
	"1 SHA256 HEX:202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n"
	"2 MD5 gnomon-md5-only\n"
	"3 SHA256 ASCII:another-standby-pair\n";

#define SB_EXAMPLE_KEY 1
#define SB_EXAMPLE_MD5_KEY 2
#define SB_EXAMPLE_OTHER_KEY 3

/* Our transmit times in the fuzz target: T0, T0 + 1 s, ... (2025-01-01). */
#define SB_EXAMPLE_T0 INT64_C(1735689600000000000)

/* A heartbeat of the partner 0x5b5b..., a master, echoing our first one. */
static inline void sb_example_msg(struct sb_msg *m)
{
	*m = (struct sb_msg){
		.flags = SB_FLAG_ECHO,
		.health = 0,
		.role = SB_ROLE_MASTER,
		.node_id = UINT64_C(0x5b5b5b5b01020304),
		.seq = 7,
		.xmt = SB_EXAMPLE_T0 + 500000000,
		.org = SB_EXAMPLE_T0,
		.rec = SB_EXAMPLE_T0 + 400000000,
		.root_delay = 1500000,
		.root_disp = 2500000,
		.stratum = 2,
		.leap = 0,
		.priority = 150,
		.interval_ms = 1000,
	};
}

#endif
