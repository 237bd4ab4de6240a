/* Seed corpus for fuzz_gw_msg, and the hex dump of the worked example in
 * doc/gateway-protocol.md.
 *   gen_gw_corpus DIR        write the seeds into DIR (tests/fuzz/corpus/gw_msg)
 *   gen_gw_corpus --example  print the example message as the document shows it
 * The seeds follow fuzz_gw_msg.c's input format: an options byte, then
 * [length][datagram] chunks (mode 0) or 3-byte sequence operations (mode 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw/gw_msg.h"
#include "auth/auth.h"

#include "gw_example.h"

static struct auth_keys *keys;

struct seed {
	uint8_t buf[4096];
	size_t len;
};

static void add_msg(struct seed *s, uint64_t boot, uint64_t seq, uint32_t key)
{
	struct gw_msg m;
	int n;

	gw_example_msg(&m);
	m.boot_id = boot;
	m.seq = seq;
	m.prev_seq = seq - 1;
	m.tx_time += (gt_ns)seq * GT_NS_PER_S;
	n = gw_msg_encode(&m, keys, key, s->buf + s->len + 1, sizeof(s->buf) - s->len - 1);
	if (n <= 0) {
		fprintf(stderr, "encode failed: %d\n", n);
		exit(1);
	}
	s->buf[s->len] = (uint8_t)n;
	s->len += 1 + (size_t)n;
}

static void add_op(struct seed *s, uint8_t boot, int16_t delta)
{
	s->buf[s->len++] = boot;
	s->buf[s->len++] = (uint8_t)((uint16_t)delta >> 8);
	s->buf[s->len++] = (uint8_t)delta;
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

static void example(void)
{
	uint8_t buf[GW_MSG_MAX_LEN];
	struct gw_msg m;
	int i, n;

	gw_example_msg(&m);
	n = gw_msg_encode(&m, keys, GW_EXAMPLE_KEY, buf, sizeof(buf));
	for (i = 0; i < n; i++)
		printf("%s%02x%s", i % 16 ? "" : (i ? "\n" : ""), buf[i], i % 16 == 15 ? "" : " ");
	printf("\n");
}

int main(int argc, char **argv)
{
	struct conf_errors errs;
	struct seed s;
	const char *dir;
	uint8_t raw[GW_MSG_MAX_LEN];
	struct gw_msg m;
	int n;

	keys = auth_keys_parse(gw_example_keys, sizeof(gw_example_keys) - 1, "keys", &errs);
	if (!keys || argc != 2) {
		fprintf(stderr, "usage: gen_gw_corpus DIR | --example\n");
		return 2;
	}
	if (!strcmp(argv[1], "--example")) {
		example();
		return 0;
	}
	dir = argv[1];

	/* Signed with key 1: in order, a gap, a reorder, a duplicate. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0x08 * 7;		/* mode 0, strict, window 8 */
	add_msg(&s, 0x1111, 1, 1);
	add_msg(&s, 0x1111, 2, 1);
	add_msg(&s, 0x1111, 5, 1);
	add_msg(&s, 0x1111, 3, 1);
	add_msg(&s, 0x1111, 3, 1);
	save(dir, "auth_key1_sequence", &s);

	/* Key rotation, then a restart and a message of the old boot. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0x08 * 3;
	add_msg(&s, 0x2222, 10, 1);
	add_msg(&s, 0x2222, 11, 2);
	add_msg(&s, 0x3333, 1, 2);
	add_msg(&s, 0x2222, 12, 1);
	save(dir, "auth_rotation_restart", &s);

	/* Unsigned, allowed: the fuzzer can change every field of these. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0x02 | 0x08 * 2;
	add_msg(&s, 1, UINT64_MAX - 1, 0);
	add_msg(&s, 1, UINT64_MAX, 0);
	add_msg(&s, 1, 1, 0);
	add_msg(&s, 1, 0, 0);
	add_msg(&s, 2, 1, 0);
	save(dir, "unauth_wrap_restart", &s);

	/* Unsigned, not allowed; and without keys. */
	s.buf[0] = 0;
	save(dir, "unauth_refused", &s);
	s.buf[0] = 0x04 | 0x02;
	save(dir, "no_keys", &s);

	/* The document's example as one datagram. */
	gw_example_msg(&m);
	n = gw_msg_encode(&m, keys, GW_EXAMPLE_KEY, raw, sizeof(raw));
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0;
	memcpy(s.buf + s.len, raw, (size_t)n);
	s.len += (size_t)n;
	save(dir, "example_whole", &s);

	/* Sequence operations: gaps, reorders, duplicates, wrap, restarts. */
	memset(&s, 0, sizeof(s));
	s.buf[s.len++] = 0x01 | 0x08 * 15;	/* mode 1, window 16 */
	add_op(&s, 0, 0);
	add_op(&s, 0, 1);
	add_op(&s, 0, 5);
	add_op(&s, 0, -2);
	add_op(&s, 0, 0);
	add_op(&s, 0, 300);
	add_op(&s, 0, -20);
	add_op(&s, 1, 1);
	add_op(&s, 0, 1);
	add_op(&s, 2, -100);
	add_op(&s, 2, 1);
	save(dir, "seq_ops", &s);

	auth_keys_destroy(keys);
	return 0;
}
