/* Seed corpus for fuzz_sb_msg (tests/fuzz/corpus/sb_msg).
 *   gen_sb_corpus DIR
 * The seeds follow fuzz_sb_msg.c's input format: a mode byte, then
 * [length][op][datagram] chunks (mode 0) or 56-byte records (mode 1). The
 * heartbeats are signed with the pair's key and echo the fuzz target's
 * transmit times (T0, T0 + 1 s, ...), so that they reach sb_peer's
 * acceptance and the exchange. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "lib/bytes.h"
#include "standby/sb_msg.h"

#include "sb_example.h"

#define S INT64_C(1000000000)
#define MS INT64_C(1000000)
#define NODE_A UINT64_C(0xaaaa)
#define NODE_B UINT64_C(0xbbbb)
#define NODE_OWN UINT64_C(0x1111)	/* the fuzz target's own id */

static struct auth_keys *keys;

struct seed {
	uint8_t buf[4096];
	size_t len;
};

/* Our k-th transmit time in the fuzz target. */
static gt_ns ours(int k)
{
	return SB_EXAMPLE_T0 + k * S;
}

/* A chunk: op (bit 0: the target sends first), then a heartbeat of node,
 * seq, sent at xmt, echoing org (0: none) received at rec, signed with
 * key and cut to len bytes (0: whole). */
static void add_hb(struct seed *s, uint8_t op, uint64_t node, uint64_t seq, gt_ns xmt, gt_ns org,
		   gt_ns rec, uint32_t key, size_t len)
{
	struct sb_msg m;
	uint8_t raw[SB_MSG_LEN];
	int n;

	sb_example_msg(&m);
	m.node_id = node;
	m.seq = seq;
	m.xmt = xmt;
	m.flags = org ? SB_FLAG_ECHO : 0;
	m.org = org;
	m.rec = org ? rec : 0;
	n = sb_msg_encode(&m, keys, key, raw, sizeof(raw));
	if (n != SB_MSG_LEN) {
		fprintf(stderr, "encode failed: %d\n", n);
		exit(1);
	}
	if (!len)
		len = SB_MSG_LEN;
	s->buf[s->len++] = (uint8_t)len;
	s->buf[s->len++] = op;
	memcpy(s->buf + s->len, raw, len);
	s->len += len;
}

static void save(const char *dir, const char *name, const struct seed *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A mode-1 record: op, node and org choices, xmt and rec relative to our
 * clock in units of 4 ns (fuzz_sb_msg.c's synthesise()). */
static void add_rec(struct seed *s, uint8_t op, int8_t seq_step, int32_t xmt4, int32_t rec4,
		    uint8_t ring, uint8_t rx_ms)
{
	uint8_t *r = s->buf + s->len;

	memset(r, 0, 56);
	r[0] = op;
	r[3] = 0;			/* health */
	r[4] = SB_ROLE_BACKUP;
	r[5] = 1;			/* stratum 2 */
	r[7] = 100;			/* priority */
	r[8] = 10;			/* 100 ms later */
	put_be32(r + 9, 999);		/* interval 1000 ms */
	r[13] = (uint8_t)seq_step;
	put_be64(r + 14, (uint64_t)(int64_t)xmt4);
	put_be64(r + 22, (uint64_t)(int64_t)rec4);
	put_be64(r + 38, 2 * 1500000);	/* root delay 1.5 ms */
	put_be64(r + 46, 2 * 2500000);
	r[54] = ring;
	r[55] = rx_ms;
	s->len += 56;
}

int main(int argc, char **argv)
{
	struct conf_errors errs;
	struct seed s;
	const char *dir;

	keys = auth_keys_parse(sb_example_keys, sizeof(sb_example_keys) - 1, "keys", &errs);
	if (!keys || argc != 2) {
		fprintf(stderr, "usage: gen_sb_corpus DIR\n");
		return 2;
	}
	dir = argv[1];

	/* A conversation: first contact, exchanges, a duplicate, the partner
	 * restarts, its old run replayed, our own id, another pair's key, a
	 * truncated heartbeat. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0;
	add_hb(&s, 1, NODE_A, 1, ours(0) + 300 * MS, 0, 0, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1, NODE_A, 2, ours(1) + 6 * MS, ours(1), ours(1) + 4 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1 | 2 << 1, NODE_A, 3, ours(2) + 5 * MS, ours(2), ours(2) + 3 * MS,
	       SB_EXAMPLE_KEY, 0);
	add_hb(&s, 0, NODE_A, 3, ours(2) + 5 * MS, ours(2), ours(2) + 3 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1, NODE_A, 4, ours(3) + 5 * S, ours(3), ours(3) + 5 * S - 2 * MS,
	       SB_EXAMPLE_KEY, 0);				/* 5 s ahead */
	add_hb(&s, 1, NODE_B, 1, ours(4) + 7 * MS, ours(4), ours(4) + 2 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 0, NODE_A, 5, ours(4) + 1 * MS, ours(4), ours(4) + 1 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1, NODE_OWN, 9, ours(5) + 1 * MS, ours(5), ours(5) + 1 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1, NODE_B, 2, ours(6) + 3 * MS, ours(6), ours(6) + 1 * MS,
	       SB_EXAMPLE_OTHER_KEY, 0);
	add_hb(&s, 1, NODE_B, 3, ours(7) + 3 * MS, ours(7), ours(7) + 1 * MS, SB_EXAMPLE_KEY, 80);
	add_hb(&s, 0, NODE_B, 4, ours(7) + 9 * MS, ours(7), ours(7) + 1 * MS, SB_EXAMPLE_KEY, 0);
	save(dir, "conversation", &s);

	/* A capture of an earlier run of ours: echoes we never sent. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0;
	add_hb(&s, 1, NODE_A, 10, ours(-100), ours(-101), ours(-101) + 3 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1, NODE_A, 11, ours(-99), ours(-100), ours(-100) + 3 * MS, SB_EXAMPLE_KEY, 0);
	add_hb(&s, 1, NODE_A, 12, ours(-98), ours(-99), ours(-99) + 3 * MS, SB_EXAMPLE_KEY, 0);
	save(dir, "capture", &s);

	/* One heartbeat as the whole input (and, read as chunks, garbage). */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0;
	add_hb(&s, 0, NODE_A, 1, ours(0), 0, 0, SB_EXAMPLE_KEY, 0);
	memmove(s.buf + 1, s.buf + 3, SB_MSG_LEN);
	s.len = 1 + SB_MSG_LEN;
	save(dir, "whole", &s);

	/* Mode 1: a conversation built field by field, then raw fields. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 1;
	add_rec(&s, 0x40 | 1 << 1, 0, 75000000, 0, 0, 10);		/* A, no echo */
	add_rec(&s, 0x40 | 1 << 1 | 2 << 3, 1, 2000000, 1000000, 0, 10);	/* echoes */
	add_rec(&s, 0x40 | 1 << 1 | 2 << 3, 1, 2000000, 1000000, 0, 12);
	add_rec(&s, 0x40 | 1 << 1 | 1 << 3, 0, 2000000, 1000000, 1, 9);	/* replay */
	add_rec(&s, 0x40 | 2 << 1 | 1 << 3, 1, 2000000, 1000000, 2, 11);	/* B */
	add_rec(&s, 0x40 | 0 << 1 | 2 << 3, 1, 2000000, 1000000, 0, 10);	/* own */
	add_rec(&s, 0x40 | 0x20 | 2 << 1 | 2 << 3, 1, 2000000, 1000000, 0, 10);	/* raw */
	add_rec(&s, 0x40 | 0x80 | 2 << 1 | 2 << 3, 1, INT32_MAX, INT32_MAX, 0, 10);	/* absolute */
	save(dir, "fields", &s);

	auth_keys_destroy(keys);
	return 0;
}
