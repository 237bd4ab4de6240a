/* Unit tests for gw/gw_state (the gateway's persisted state: a pure parser
 * over a buffer, malformed files refused whole) and lib/statefile (atomic
 * replacement, no symbolic link followed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw/gw_state.h"
#include "lib/statefile.h"

#define RX_OK "gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\n" \
	"floor 1234\nlabel 1700000000123456789\nold 00000000000000bb\nold 00000000000000cc\nend\n"
#define TX_OK "gnomon-gateway-sender-state 1\nsender 3\nboot 0123456789abcdef\n" \
	"reserved 18446744073709551615\nend\n"

static int rx(const char *text, struct gw_rx_state *out)
{
	return gw_rx_state_parse(text, strlen(text), out);
}

static void test_rx_roundtrip(void **state)
{
	struct gw_rx_state st, back;
	char buf[GW_STATE_MAX_LEN];
	int n, i;

	(void)state;
	assert_int_equal(rx(RX_OK, &st), 0);
	assert_int_equal(st.sender_id, 1);
	assert_int_equal(st.boot_id, 0xaa);
	assert_int_equal(st.floor, 1234);
	assert_int_equal(st.label, 1700000000123456789LL);
	assert_int_equal(st.n_old, 2);
	assert_int_equal(st.old_boots[0], 0xbb);
	assert_int_equal(st.old_boots[1], 0xcc);
	n = gw_rx_state_format(&st, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(RX_OK));
	assert_memory_equal(buf, RX_OK, (size_t)n);
	/* A full history, and no history. */
	st.n_old = GW_SEQ_BOOT_HISTORY;
	for (i = 0; i < GW_SEQ_BOOT_HISTORY; i++)
		st.old_boots[i] = UINT64_MAX - (uint64_t)i;
	n = gw_rx_state_format(&st, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(gw_rx_state_parse(buf, (size_t)n, &back), 0);
	assert_memory_equal(&back, &st, sizeof(st));
	st.n_old = 0;
	n = gw_rx_state_format(&st, buf, sizeof(buf));
	assert_int_equal(gw_rx_state_parse(buf, (size_t)n, &back), 0);
	assert_int_equal(back.n_old, 0);
	assert_int_equal(gw_rx_state_format(&st, buf, 20), -ENOSPC);
}

static void test_rx_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"gnomon-gateway-receiver-state 2\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-sender-state 1\nsender 1\nboot 00000000000000aa\nreserved 1\nend\n",
		/* truncated: a crash half way (cannot happen with rename, but a
		 * copy or a full disk can) */
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlab",
		/* out of order, missing, repeated */
		"gnomon-gateway-receiver-state 1\nboot 00000000000000aa\nsender 1\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n",
		/* numbers */
		"gnomon-gateway-receiver-state 1\nsender -1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender +1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 01\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 18446744073709551616\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 9223372036854775808\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1 \nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor \nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1x\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender  1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n",
		/* boot ids */
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 0000000000000000\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000AA\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 0000000000000aa\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 000000000000000aa\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000ag\nfloor 1\nlabel 1\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nold 0000000000000000\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nold\nend\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nnew 00000000000000bb\nend\n",
		/* after the end, CR line ends, NUL */
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\n\n",
		"gnomon-gateway-receiver-state 1\nsender 1\nboot 00000000000000aa\nfloor 1\nlabel 1\nend\nold 00000000000000bb\n",
		"gnomon-gateway-receiver-state 1\r\nsender 1\r\nboot 00000000000000aa\r\nfloor 1\r\nlabel 1\r\nend\r\n",
	};
	struct gw_rx_state st;
	char big[GW_STATE_MAX_LEN * 2], buf[GW_STATE_MAX_LEN];
	size_t i, n;
	int k;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		st.floor = 77;
		if (rx(bad[i], &st) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(st.floor, 0);	/* nothing half-filled */
	}
	assert_int_equal(gw_rx_state_parse(NULL, 0, &st), -EINVAL);
	assert_int_equal(gw_tx_state_parse(NULL, 0, (struct gw_tx_state *)(void *)big), -EINVAL);
	/* A NUL inside. */
	memcpy(buf, RX_OK, sizeof(RX_OK));
	buf[40] = '\0';
	assert_int_equal(gw_rx_state_parse(buf, strlen(RX_OK), &st), -EINVAL);
	/* 17 earlier boots: one more than the history. */
	n = (size_t)snprintf(big, sizeof(big), "gnomon-gateway-receiver-state 1\nsender 1\n"
			     "boot 00000000000000aa\nfloor 1\nlabel 1\n");
	for (k = 0; k <= GW_SEQ_BOOT_HISTORY; k++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "old %016x\n", k + 1);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "end\n");
	assert_int_equal(gw_rx_state_parse(big, n, &st), -EINVAL);
	/* Every prefix of a good file is refused; only the whole is taken. */
	for (n = 0; n < strlen(RX_OK); n++)
		assert_int_equal(gw_rx_state_parse(RX_OK, n, &st), -EINVAL);
	assert_int_equal(gw_rx_state_parse(RX_OK, strlen(RX_OK), &st), 0);
	/* Longer than any real file. */
	memset(big, ' ', sizeof(big));
	assert_int_equal(gw_rx_state_parse(big, sizeof(big), &st), -EINVAL);
}

static void test_tx(void **state)
{
	struct gw_tx_state st;
	char buf[GW_STATE_MAX_LEN];
	size_t n;
	int len;

	(void)state;
	assert_int_equal(gw_tx_state_parse(TX_OK, strlen(TX_OK), &st), 0);
	assert_int_equal(st.sender_id, 3);
	assert_int_equal(st.boot_id, 0x0123456789abcdefULL);
	assert_int_equal(st.reserved, UINT64_MAX);
	len = gw_tx_state_format(&st, buf, sizeof(buf));
	assert_int_equal(len, (int)strlen(TX_OK));
	assert_memory_equal(buf, TX_OK, (size_t)len);
	for (n = 0; n < strlen(TX_OK); n++)
		assert_int_equal(gw_tx_state_parse(TX_OK, n, &st), -EINVAL);
	assert_int_equal(gw_tx_state_parse("gnomon-gateway-sender-state 1\nsender 3\n"
					   "boot 0123456789abcdef\nend\n", 66, &st), -EINVAL);
	assert_int_equal(gw_tx_state_parse(RX_OK, strlen(RX_OK), &st), -EINVAL);
	assert_int_equal(gw_tx_state_format(&st, buf, 10), -ENOSPC);
}

static void test_statefile(void **state)
{
	char dir[] = "/tmp/gnomon-statefile-XXXXXX", sub[64], path[128], buf[192];
	size_t len;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	assert_int_equal(mkdir(sub, 0750), 0);	/* gnomond makes it with fsutil */
	assert_int_equal(statefile_read(sub, "x", buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(statefile_write(sub, "x", "one\n", 4), 0);
	assert_int_equal(statefile_write(sub, "x", "two!\n", 5), 0);
	assert_int_equal(statefile_read(sub, "x", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "two!\n");
	snprintf(path, sizeof(path), "%s/x.tmp", sub);
	assert_int_equal(access(path, F_OK), -1);		/* no temporary left */
	snprintf(path, sizeof(path), "%s/x", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* Too big for the buffer. */
	assert_int_equal(statefile_read(sub, "x", buf, 4, &len), -EFBIG);
	assert_int_equal(statefile_read(sub, "x", buf, 6, &len), 0);
	/* Symbolic links: neither read through, nor written through (a
	 * planted NAME.tmp is removed, not followed). */
	snprintf(path, sizeof(path), "%s/link", sub);
	assert_int_equal(symlink("x", path), 0);
	assert_int_equal(statefile_read(sub, "link", buf, sizeof(buf), &len), -ELOOP);
	snprintf(path, sizeof(path), "%s/victim", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(buf, sizeof(buf), "%s/y.tmp", sub);
	assert_int_equal(symlink(path, buf), 0);
	assert_int_equal(statefile_write(sub, "y", "data\n", 5), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);			/* the victim untouched */
	/* A directory that is a link is refused. */
	snprintf(path, sizeof(path), "%s/dirlink", dir);
	assert_int_equal(symlink(sub, path), 0);
	assert_true(statefile_write(path, "z", "z\n", 2) < 0);
	/* Not a regular file. */
	snprintf(path, sizeof(path), "%s/fifo", sub);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(statefile_read(sub, "fifo", buf, sizeof(buf), &len), -EINVAL);
	/* Set aside. */
	assert_int_equal(statefile_set_aside(sub, "x"), 0);
	assert_int_equal(statefile_read(sub, "x", buf, sizeof(buf), &len), -ENOENT);
	assert_int_equal(statefile_read(sub, "x.corrupt", buf, sizeof(buf), &len), 0);
	snprintf(buf, sizeof(buf), "rm -rf %s", dir);
	assert_int_equal(system(buf), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_roundtrip),
		cmocka_unit_test(test_rx_malformed),
		cmocka_unit_test(test_tx),
		cmocka_unit_test(test_statefile),
	};

	return cmocka_run_group_tests_name("gw_state", tests, NULL, NULL);
}
