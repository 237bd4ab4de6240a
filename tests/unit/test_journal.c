/* Unit tests for the journal (src/lib/journal*.c): line format and
 * escaping (hostile values parsed back by an independent parser),
 * rotation by size and age with tiny limits (archives decompressed with
 * zlib, nothing lost or reordered), cleanup by age and total size without
 * touching foreign files, crash leftovers, disk full (write hook and
 * /dev/full) counted exactly with a JOURNAL_LOST record, a full ring in
 * async mode counted exactly, reopen after logrotate, close flushes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/journal.h"
#include "lib/journal_arch.h"

/* 2026-11-21T06:28:16.123456789Z */
#define T0 INT64_C(1795242496123456789)
#define T0_STR "2026-11-21T06:28:16.123456Z"

/* ---- helpers ---------------------------------------------------------- */

static _Atomic gt_ns fake_now = T0;

static gt_ns now_hook(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

static char *slurp_len(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static char *slurp(const char *path)
{
	return slurp_len(path, NULL);
}

static char *gunzip(const char *path)
{
	gzFile g = gzopen(path, "rb");
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	int r;

	assert_non_null(g);
	while ((r = gzread(g, buf + len, (unsigned)(cap - len - 1))) > 0) {
		len += (size_t)r;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	assert_int_equal(r, 0);
	assert_int_equal(gzclose(g), Z_OK);
	buf[len] = '\0';
	return buf;
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir, sorted; caller frees each and the array. */
static char **list_dir(const char *dir, size_t *n)
{
	char **v = NULL;
	struct dirent *de;
	DIR *d = opendir(dir);

	*n = 0;
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		v = realloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = strdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void rm_rf(const char *dir)
{
	char p[512];
	size_t n;
	char **v = list_dir(dir, &n);

	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, v[i]);
		if (unlink(p))
			rmdir(p);
	}
	free_list(v, n);
	rmdir(dir);
}

static void make_dir(char *tmpl)
{
	assert_non_null(mkdtemp(tmpl));
}

/* ---- an independent parser of the line format ------------------------- */

struct parsed {
	char sev[16], code[40];
	unsigned nf;
	char key[40][40];
	char val[40][1100];
	bool val_trunc[40];
	char msg[1100];
	bool msg_trunc;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse a quoted string at *p; returns false on a malformed one. */
static bool unquote(const char **p, char *out, bool *trunc)
{
	const char *s = *p;
	size_t n = 0;

	*trunc = false;
	if (*s++ != '"')
		return false;
	while (*s && *s != '"') {
		char c = *s++;

		if (c < 0x20 || c > 0x7e)
			return false;
		if (c != '\\') {
			out[n++] = c;
			continue;
		}
		c = *s++;
		switch (c) {
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'x':
			if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
				return false;
			out[n++] = (char)(hexval(s[0]) * 16 + hexval(s[1]));
			s += 2;
			break;
		case '.':
			if (strncmp(s, "..\"", 3))
				return false;
			*trunc = true;
			s += 2;
			break;
		default:
			return false;
		}
	}
	if (*s != '"')
		return false;
	out[n] = '\0';
	*p = s + 1;
	return true;
}

/* Parse one complete line (with its '\n'); false if malformed. */
static bool parse_line(const char *line, struct parsed *r)
{
	const char *p = line, *e;

	memset(r, 0, sizeof(*r));
	if (strlen(line) < 29 || line[27] != ' ' || line[10] != 'T' || line[26] != 'Z')
		return false;
	p = line + 28;
	if (!(e = strchr(p, ' ')) || e - p >= (long)sizeof(r->sev))
		return false;
	memcpy(r->sev, p, (size_t)(e - p));
	p = e + 1;
	if (!(e = strchr(p, ' ')) || e - p >= (long)sizeof(r->code))
		return false;
	memcpy(r->code, p, (size_t)(e - p));
	p = e + 1;
	while (*p != '"') {
		if (!(e = strchr(p, '=')) || e - p >= 40 || r->nf >= 40)
			return false;
		memcpy(r->key[r->nf], p, (size_t)(e - p));
		p = e + 1;
		if (*p == '"') {
			if (!unquote(&p, r->val[r->nf], &r->val_trunc[r->nf]))
				return false;
		} else {
			if (!(e = strchr(p, ' ')))
				return false;
			memcpy(r->val[r->nf], p, (size_t)(e - p));
			p = e;
		}
		if (*p++ != ' ')
			return false;
		r->nf++;
	}
	if (!unquote(&p, r->msg, &r->msg_trunc))
		return false;
	return !strcmp(p, "\n");
}

/* ---- format and escaping ---------------------------------------------- */

static void test_format_exact(void **state)
{
	char text[JOURNAL_TEXT_MAX + 1], line[JOURNAL_LINE_MAX];
	struct journal_fields f;

	(void)state;
	journal_fields_init(&f);
	journal_field_u64(&f, "seq", 123);
	journal_field_i64(&f, "lost", -4);
	journal_field_str(&f, "peer", "198.18.0.1");
	journal_field_fmt(&f, "offset", "%.3f", 0.25);
	journal_format_text(text, sizeof(text), "GW_GAP", &f, "message text");
	journal_format_line(line, sizeof(line), T0, JOURNAL_WARNING, text);
	assert_string_equal(line, T0_STR " warning GW_GAP seq=123 lost=-4 peer=198.18.0.1 "
			    "offset=0.250 \"message text\"\n");
	/* No fields, no message; times before the epoch. */
	journal_format_text(text, sizeof(text), "X", NULL, NULL);
	journal_format_line(line, sizeof(line), -1500000000LL, JOURNAL_EMERG, text);
	assert_string_equal(line, "1969-12-31T23:59:58.500000Z emerg X \"\"\n");
	for (int s = JOURNAL_EMERG; s <= JOURNAL_DEBUG; s++)
		assert_true(strlen(journal_sev_name((enum journal_sev)s)) > 0);
	assert_string_equal(journal_sev_name(JOURNAL_NOTICE), "notice");
}

static void test_escaping(void **state)
{
	char text[JOURNAL_TEXT_MAX + 1];
	struct journal_fields f;

	(void)state;
	journal_fields_init(&f);
	journal_field_str(&f, "a", "two words");
	journal_field_str(&f, "b", "q\"uote");
	journal_field_str(&f, "c", "back\\slash");
	journal_field_str(&f, "d", "x=y");
	journal_field_str(&f, "e", "");
	journal_field_str(&f, "f", NULL);
	journal_field_str(&f, "g", "t\tr\rn\n");
	journal_field_str(&f, "h", "\x01\x1f\x7f\xc3\xa9");
	journal_field_str(&f, "k ey=\"\n", "v");
	journal_field_str(&f, "", "empty key");
	journal_format_text(text, sizeof(text), "GW GAP\n", &f, "say \"hi\"\n");
	assert_string_equal(text,
		"GW_GAP_ a=\"two words\" b=\"q\\\"uote\" c=\"back\\\\slash\" d=\"x=y\" "
		"e=\"\" f=\"\" g=\"t\\tr\\rn\\n\" h=\"\\x01\\x1f\\x7f\\xc3\\xa9\" "
		"k_ey___=v _=\"empty key\" \"say \\\"hi\\\"\\n\"");
	journal_format_text(text, sizeof(text), "", NULL, "");
	assert_string_equal(text, "_ \"\"");
}

/* A value that tries to end the line and forge a record. */
static void test_injection(void **state)
{
	const char *evil = "x\n" T0_STR " emerg FAKE k=v \"forged\"";
	char text[JOURNAL_TEXT_MAX + 1], line[JOURNAL_LINE_MAX];
	struct journal_fields f;
	struct parsed p;

	(void)state;
	journal_fields_init(&f);
	journal_field_str(&f, "peer", evil);
	journal_field_str(&f, "k\" fake=\"", "1");
	journal_format_text(text, sizeof(text), "GW_AUTH", &f, evil);
	journal_format_line(line, sizeof(line), T0, JOURNAL_NOTICE, text);
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	assert_true(parse_line(line, &p));
	assert_string_equal(p.code, "GW_AUTH");
	assert_int_equal(p.nf, 2);
	assert_string_equal(p.key[0], "peer");
	assert_string_equal(p.val[0], evil);
	assert_string_equal(p.key[1], "k__fake__");
	assert_string_equal(p.msg, evil);
}

/* Every byte value 1..255 alone and in a run, as value and message: one
 * line of printable ASCII each time, and it parses back to the input. */
static void test_hostile_bytes(void **state)
{
	char text[JOURNAL_TEXT_MAX + 1], line[JOURNAL_LINE_MAX], in[64];
	struct journal_fields f;
	struct parsed p;

	(void)state;
	for (int c = 1; c < 256; c++) {
		for (int len = 1; len <= 40; len += 39) {
			memset(in, c, (size_t)len);
			in[len] = '\0';
			journal_fields_init(&f);
			journal_field_str(&f, "v", in);
			journal_format_text(text, sizeof(text), "T", &f, in);
			journal_format_line(line, sizeof(line), T0, JOURNAL_INFO, text);
			for (const char *q = line; *q; q++)
				assert_true((*q >= 0x20 && *q < 0x7f) || (*q == '\n' && !q[1]));
			assert_true(parse_line(line, &p));
			assert_string_equal(p.val[0], in);
			assert_string_equal(p.msg, in);
		}
	}
}

static void test_truncation(void **state)
{
	char text[JOURNAL_TEXT_MAX + 1], line[JOURNAL_LINE_MAX], big[3000];
	struct journal_fields f;
	struct parsed p;
	const char *v;
	size_t vl;

	(void)state;
	/* A long bare value: quoted, cut to JOURNAL_VALUE_MAX, marked. */
	memset(big, 'a', 1000);
	big[1000] = '\0';
	journal_fields_init(&f);
	journal_field_str(&f, "long", big);
	v = f.buf + strlen(" long=");
	vl = f.len - strlen(" long=");
	assert_int_equal(vl, JOURNAL_VALUE_MAX);
	assert_memory_equal(v + vl - 5, "\\...\"", 5);
	/* Newlines escape to two bytes: the cut never splits an escape. */
	memset(big, '\n', 1000);
	journal_fields_init(&f);
	journal_field_str(&f, "nl", big);
	vl = f.len - strlen(" nl=");
	assert_true(vl <= JOURNAL_VALUE_MAX);
	assert_memory_equal(f.buf + f.len - 7, "\\n\\...\"", 7);
	/* \xHH escapes (4 bytes) likewise. */
	memset(big, 1, 1000);
	journal_fields_init(&f);
	journal_field_str(&f, "c", big);
	assert_true(f.len - strlen(" c=") <= JOURNAL_VALUE_MAX);
	assert_memory_equal(f.buf + f.len - 9, "\\x01\\...\"", 9);
	/* Exactly at the limit: no marker. */
	memset(big, 'b', JOURNAL_VALUE_MAX - 2);
	big[JOURNAL_VALUE_MAX - 2] = ' ';
	big[JOURNAL_VALUE_MAX - 1] = '\0';
	journal_fields_init(&f);
	journal_field_str(&f, "x", big);  /* 255 bytes + quotes: one too many */
	assert_true(f.len - 3 <= JOURNAL_VALUE_MAX);
	assert_memory_equal(f.buf + f.len - 5, "\\...\"", 5);
	big[JOURNAL_VALUE_MAX - 3] = ' ';
	big[JOURNAL_VALUE_MAX - 2] = '\0';
	journal_fields_init(&f);
	journal_field_str(&f, "x", big);
	assert_int_equal(f.len - 3, JOURNAL_VALUE_MAX);
	assert_int_equal(f.buf[f.len - 2], ' ');
	/* A formatted value longer than its buffer is marked too. */
	memset(big, 'z', 2999);
	big[2999] = '\0';
	journal_fields_init(&f);
	journal_field_fmt(&f, "fmt", "%s", big);
	assert_memory_equal(f.buf + f.len - 5, "\\...\"", 5);
	/* Too many fields: the rest are left out and counted; the line holds. */
	journal_fields_init(&f);
	memset(big, 'q', 200);
	big[200] = '\0';
	for (int i = 0; i < 10; i++)
		journal_field_str(&f, "f", big);
	assert_int_equal(f.omitted, 6);
	memset(big, '"', 2999);
	journal_format_text(text, sizeof(text), "MANY", &f, big);
	journal_format_line(line, sizeof(line), T0, JOURNAL_INFO, text);
	assert_true(parse_line(line, &p));
	assert_int_equal(p.nf, 5);
	assert_string_equal(p.key[4], "_omitted");
	assert_string_equal(p.val[4], "6");
	assert_true(p.msg_trunc);
	assert_true(strlen(p.msg) > 200);
	assert_true(strlen(line) < JOURNAL_LINE_MAX);
}

/* ---- files: rotation, archives, cleanup -------------------------------- */

static struct journal *open_sync(const char *path, struct journal_cfg *cfg)
{
	struct journal *j;
	int err = 0;

	cfg->path = path;
	cfg->sync = true;
	cfg->now_fn = now_hook;
	j = journal_open(cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(j);
	return j;
}

static void rec(struct journal *j, int i)
{
	struct journal_fields f;

	journal_fields_init(&f);
	journal_field_u64(&f, "seq", (uint64_t)i);
	journal_event(j, JOURNAL_INFO, "TEST", &f, "record %d", i);
}

static void append_expected(char *exp, size_t n, gt_ns t, int i)
{
	char stamp[40];

	journal_format_time(stamp, sizeof(stamp), t);
	snprintf(exp + strlen(exp), n - strlen(exp), "%s info TEST seq=%d \"record %d\"\n",
		 stamp, i, i);
}

/* Archives (names ending .gz) decompressed in name order, then the file. */
static char *reassemble(const char *dir, const char *path, size_t max_each,
			size_t *archives)
{
	size_t n, total = 0, cap = 1 << 16;
	char **v = list_dir(dir, &n), p[512], *all = calloc(1, cap), *s;

	*archives = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);

		if (l < 3 || strcmp(v[i] + l - 3, ".gz"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, v[i]);
		s = gunzip(p);
		if (max_each)
			assert_true(strlen(s) <= max_each);
		assert_true(strlen(s) > 0);
		total += strlen(s);
		assert_true(total < cap);
		strcat(all, s);
		free(s);
		(*archives)++;
	}
	free_list(v, n);
	s = slurp(path);
	assert_true(total + strlen(s) < cap);
	strcat(all, s);
	free(s);
	return all;
}

/* Root opens the journal for the daemon's user (issue 8 section 3): never
 * through a planted link, the file handed over, and no rotation while
 * still root. */
static void test_owner_hand_over(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], target[128];
	struct journal_cfg cfg = { .max_size = 100, .owner_uid = 4242, .owner_gid = 4343 };
	struct journal_stats st;
	struct stat sb;
	struct journal *j;
	int err = 0;

	(void)state;
	if (geteuid() != 0)
		skip();
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	snprintf(target, sizeof(target), "%s/precious", dir);
	assert_int_equal(close(open(target, O_CREAT | O_WRONLY, 0600)), 0);
	assert_int_equal(symlink(target, path), 0);
	cfg.path = path;
	cfg.sync = true;
	cfg.now_fn = now_hook;
	assert_null(journal_open(&cfg, &err));
	assert_int_equal(err, -ELOOP);
	assert_int_equal(stat(target, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(sb.st_size, 0);
	assert_int_equal(unlink(path), 0);
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_uid, 4242);
	assert_int_equal(sb.st_gid, 4343);
	/* Over max_size, but still root: the file grows, nothing is renamed. */
	for (int i = 0; i < 10; i++)
		rec(j, i);
	journal_get_stats(j, &st);
	journal_close(j);
	assert_int_equal(st.rotations, 0);
	assert_int_equal(st.written, 10);
	rm_rf(dir);
}

/* The writer blocks the main loop's signals, not SIGSYS: a system call the
 * seccomp filter traps in the writer must reach the handler that names it
 * (a blocked SIGSYS is turned into a silent kill by the kernel). */
/* The signal mask of the only thread besides ours, once a thread that an
 * earlier test joined has left /proc (a joined thread lingers briefly). */
static unsigned long long other_thread_sigblk(void)
{
	for (int tries = 0; tries < 200; tries++) {
		char st[300], line[256];
		unsigned long long blk = 0;
		struct dirent *e;
		int others = 0;
		DIR *d = opendir("/proc/self/task");

		assert_non_null(d);
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.' || atoi(e->d_name) == getpid())
				continue;
			snprintf(st, sizeof(st), "/proc/self/task/%s/status", e->d_name);
			others++;
		}
		closedir(d);
		if (others == 1) {
			FILE *f = fopen(st, "r");

			assert_non_null(f);
			while (fgets(line, sizeof(line), f))
				if (sscanf(line, "SigBlk: %llx", &blk) == 1)
					break;
			fclose(f);
			return blk;
		}
		usleep(10000);
	}
	fail_msg("not exactly one other thread");
	return 0;
}

/* The writer blocks the main loop's signals, not SIGSYS: a system call the
 * seccomp filter traps in the writer must reach the handler that names it
 * (a blocked SIGSYS is turned into a silent kill by the kernel). */
static void test_writer_takes_sigsys(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128];
	struct journal_cfg cfg = { 0 };
	unsigned long long blk;
	struct journal *j;
	int err = 0;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	cfg.path = path;
	j = journal_open(&cfg, &err);
	assert_non_null(j);
	/* A new thread starts with every signal blocked until glibc sets the
	 * creator's mask, just after clone: wait for that. Bit n-1 is
	 * signal n. */
	for (int i = 0; i < 200; i++) {
		blk = other_thread_sigblk();
		if (!(blk & (1ULL << (SIGSYS - 1))))
			break;
		usleep(10000);
	}
	assert_int_equal(blk & (1ULL << (SIGSYS - 1)), 0);
	assert_true(blk & (1ULL << (SIGTERM - 1)));
	journal_close(j);
	rm_rf(dir);
}

static void test_rotate_by_size(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *all, exp[16384] = "";
	struct journal_cfg cfg = { .max_size = 200 };
	struct journal_stats st;
	struct journal *j;
	size_t archives, n;
	char **v;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	/* A constant clock: every archive name collides and is moved on by 1 us. */
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	for (int i = 0; i < 60; i++) {
		rec(j, i);
		append_expected(exp, sizeof(exp), T0, i);
	}
	journal_get_stats(j, &st);
	journal_close(j);
	all = reassemble(dir, path, 200, &archives);
	assert_string_equal(all, exp);
	free(all);
	assert_true(archives >= 10);
	assert_int_equal(st.rotations, archives);
	assert_int_equal(st.archives_created, archives);
	assert_int_equal(st.written, 60);
	assert_int_equal(st.lost_write_error + st.lost_queue_full + st.archive_errors, 0);
	assert_int_equal(st.bytes, strlen(exp));
	assert_false(st.degraded);
	/* Nothing but the journal and its .gz archives is left. */
	v = list_dir(dir, &n);
	assert_int_equal(n, archives + 1);
	for (size_t i = 0; i < n; i++) {
		int kind = -1;

		if (strcmp(v[i], "journal.log")) {
			assert_true(jarch_parse("journal.log", v[i], &kind) > 0);
			assert_int_equal(kind, 1);
		}
	}
	free_list(v, n);
	rm_rf(dir);
}

static void test_rotate_by_age(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], p[256], *s, exp[1024] = "";
	struct journal_cfg cfg = { .max_age = 60 };
	struct journal_stats st;
	struct journal *j;
	size_t archives;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	/* An existing journal whose first record is 1000 s old. */
	atomic_store(&fake_now, T0 - 1000 * GT_NS_PER_S);
	append_expected(exp, sizeof(exp), T0 - 1000 * GT_NS_PER_S, 0);
	write_file(path, exp);
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	rec(j, 1);               /* rotates the old file first */
	append_expected(exp, sizeof(exp), T0, 1);
	atomic_store(&fake_now, T0 + 30 * GT_NS_PER_S);
	rec(j, 2);
	append_expected(exp, sizeof(exp), T0 + 30 * GT_NS_PER_S, 2);
	journal_get_stats(j, &st);
	assert_int_equal(st.rotations, 1);
	atomic_store(&fake_now, T0 + 61 * GT_NS_PER_S);
	rec(j, 3);               /* first record 61 s old: rotate */
	append_expected(exp, sizeof(exp), T0 + 61 * GT_NS_PER_S, 3);
	journal_get_stats(j, &st);
	assert_int_equal(st.rotations, 2);
	/* No record for a while: maintenance rotates; an empty file never. */
	atomic_store(&fake_now, T0 + 200 * GT_NS_PER_S);
	journal_maintain(j);
	journal_maintain(j);
	atomic_store(&fake_now, T0 + 400 * GT_NS_PER_S);
	journal_maintain(j);
	journal_get_stats(j, &st);
	assert_int_equal(st.rotations, 3);
	journal_close(j);
	s = reassemble(dir, path, 0, &archives);
	assert_int_equal(archives, 3);
	assert_string_equal(s, exp);
	free(s);
	s = slurp(path);
	assert_string_equal(s, "");
	free(s);
	/* The archive is named after the rotation time. */
	snprintf(p, sizeof(p), "%s/journal.log.20261121T062816.123456Z.gz", dir);
	assert_true(exists(p));
	snprintf(p, sizeof(p), "%s/journal.log.20261121T062917.123456Z.gz", dir);
	assert_true(exists(p));
	snprintf(p, sizeof(p), "%s/journal.log.20261121T063136.123456Z.gz", dir);
	assert_true(exists(p));
	rm_rf(dir);
}

static void make_archive(const char *dir, const char *suffix, gt_ns t, size_t size)
{
	char p[256], stamp[40], content[1024];
	struct tm tm;
	time_t sec = (time_t)(t / GT_NS_PER_S);

	gmtime_r(&sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(p, sizeof(p), "%s/journal.log.%s.%06dZ%s", dir, stamp,
		 (int)((t % GT_NS_PER_S) / 1000), suffix);
	memset(content, 'x', size);
	content[size] = '\0';
	write_file(p, content);
}

static void test_cleanup(void **state)
{
	static const char *const foreign[] = {
		"journal.log.1", "journal.log.20261115T062916.123456Z.gz.bak",
		"journal.log.2026111xT062916.123456Z.gz", "other.log.20261115T062916.123456Z.gz",
		"journal.logx.20261115T062916.123456Z.gz", "journal.log.20261115T062916.123456Z.zip",
		"journal.log.20261115T062916Z.gz", "notes.txt",
	};
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], p[256], target[256];
	struct journal_cfg cfg = { .keep_age = 3 * 86400 + 3600, .keep_total = 250 };
	struct journal_stats st;
	struct journal *j;
	const gt_ns day = 86400 * GT_NS_PER_S;
	size_t n;
	char **v;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	for (int d = 5; d >= 1; d--)
		make_archive(dir, ".gz", T0 - d * day, 100);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, foreign[i]);
		write_file(p, "foreign");
	}
	/* A symlink and a directory with archive names are not ours either. */
	snprintf(target, sizeof(target), "%s/notes.txt", dir);
	snprintf(p, sizeof(p), "%s/journal.log.20261110T000000.000000Z.gz", dir);
	assert_int_equal(symlink(target, p), 0);
	snprintf(p, sizeof(p), "%s/journal.log.20261111T000000.000000Z.gz", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	atomic_store(&fake_now, T0);
	/* Age removes the 5- and 4-day-old; 300 bytes > 250 removes the 3-day-old. */
	j = open_sync(path, &cfg);
	journal_get_stats(j, &st);
	assert_int_equal(st.archives_removed, 3);
	assert_int_equal(st.archive_errors, 0);
	v = list_dir(dir, &n);
	assert_int_equal(n, 2 + 8 + 2 + 1);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, foreign[i]);
		assert_true(exists(p));
	}
	assert_true(exists(path));
	free_list(v, n);
	snprintf(p, sizeof(p), "%s/journal.log.20261119T062816.123456Z.gz", dir);
	assert_true(exists(p));
	snprintf(p, sizeof(p), "%s/journal.log.20261120T062816.123456Z.gz", dir);
	assert_true(exists(p));
	/* Two days later (maintenance), only age applies: both are gone. */
	atomic_store(&fake_now, T0 + 3 * day);
	journal_maintain(j);
	journal_get_stats(j, &st);
	assert_int_equal(st.archives_removed, 5);
	snprintf(p, sizeof(p), "%s/journal.log.20261120T062816.123456Z.gz", dir);
	assert_false(exists(p));
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, foreign[i]);
		assert_true(exists(p));
	}
	journal_close(j);
	rm_rf(dir);
}

/* Leftovers of a crash: a lone uncompressed archive is compressed, a
 * .gz.tmp removed, an uncompressed twin of a complete .gz removed. */
static void test_crash_leftovers(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], p[256], *s;
	struct journal_cfg cfg = { .max_size = 100000 };
	struct journal_stats st;
	struct journal *j;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	snprintf(p, sizeof(p), "%s/journal.log.20261120T000000.000000Z", dir);
	write_file(p, "lone line\n");
	snprintf(p, sizeof(p), "%s/journal.log.20261120T000000.000000Z.gz.tmp", dir);
	write_file(p, "partial");
	snprintf(p, sizeof(p), "%s/journal.log.20261119T000000.000000Z.gz", dir);
	write_file(p, "complete gz (not checked)");
	snprintf(p, sizeof(p), "%s/journal.log.20261119T000000.000000Z", dir);
	write_file(p, "twin\n");
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	journal_get_stats(j, &st);
	assert_int_equal(st.archives_created, 1);
	assert_int_equal(st.archive_errors, 0);
	journal_close(j);
	snprintf(p, sizeof(p), "%s/journal.log.20261120T000000.000000Z.gz", dir);
	s = gunzip(p);
	assert_string_equal(s, "lone line\n");
	free(s);
	snprintf(p, sizeof(p), "%s/journal.log.20261120T000000.000000Z", dir);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "%s/journal.log.20261120T000000.000000Z.gz.tmp", dir);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "%s/journal.log.20261119T000000.000000Z", dir);
	assert_false(exists(p));
	snprintf(p, sizeof(p), "%s/journal.log.20261119T000000.000000Z.gz", dir);
	s = slurp(p);
	assert_string_equal(s, "complete gz (not checked)");
	free(s);
	rm_rf(dir);
}

/* ---- disk full ----------------------------------------------------------- */

struct fault {
	bool full;        /* every write fails with ENOSPC */
	bool partial;     /* the next write is cut in half, the one after fails */
	unsigned calls;
};

static ssize_t fault_write(int fd, const void *buf, size_t n, void *arg)
{
	struct fault *f = arg;

	f->calls++;
	if (f->partial && n > 1) {
		f->partial = false;
		f->full = true;
		return write(fd, buf, n / 2);
	}
	if (f->full) {
		errno = ENOSPC;
		return -1;
	}
	return write(fd, buf, n);
}

static void test_disk_full(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *s, exp[4096] = "", stamp[40];
	struct fault fault = { 0 };
	struct journal_cfg cfg = { .write_fn = fault_write, .hook_arg = &fault };
	struct journal_stats st;
	struct journal *j;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	for (int i = 0; i < 3; i++) {
		rec(j, i);
		append_expected(exp, sizeof(exp), T0, i);
	}
	/* The disk fills in the middle of a line: the fragment is cut off. */
	fault.partial = true;
	for (int i = 3; i < 8; i++) {
		atomic_store(&fake_now, T0 + i * GT_NS_PER_S);
		rec(j, i);
	}
	journal_get_stats(j, &st);
	assert_int_equal(st.lost_write_error, 5);
	assert_int_equal(st.write_errors, 5);
	assert_int_equal(st.written, 3);
	assert_true(st.degraded);
	assert_int_equal(st.last_error, ENOSPC);
	s = slurp(path);
	assert_string_equal(s, exp);
	free(s);
	/* Space again: the first line says what was lost, since when, and why. */
	fault.full = false;
	atomic_store(&fake_now, T0 + 10 * GT_NS_PER_S);
	rec(j, 10);
	rec(j, 11);
	journal_format_time(stamp, sizeof(stamp), T0 + 10 * GT_NS_PER_S);
	snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp),
		 "%s err JOURNAL_LOST lost=5 since=2026-11-21T06:28:19.123456Z reason=ENOSPC "
		 "\"5 journal records lost: No space left on device\"\n", stamp);
	append_expected(exp, sizeof(exp), T0 + 10 * GT_NS_PER_S, 10);
	append_expected(exp, sizeof(exp), T0 + 10 * GT_NS_PER_S, 11);
	journal_get_stats(j, &st);
	assert_int_equal(st.lost_write_error, 5);
	assert_int_equal(st.written, 5);
	assert_false(st.degraded);
	journal_close(j);
	s = slurp(path);
	assert_string_equal(s, exp);
	free(s);
	rm_rf(dir);
}

/* A real device that is always full; it must never be rotated. */
static void test_dev_full(void **state)
{
	struct journal_cfg cfg = { 0 };
	struct journal_stats st;
	struct journal *j;

	(void)state;
	if (access("/dev/full", W_OK))
		skip();
	atomic_store(&fake_now, T0);
	j = open_sync("/dev/full", &cfg);
	for (int i = 0; i < 4; i++)
		rec(j, i);
	journal_get_stats(j, &st);
	assert_int_equal(st.lost_write_error, 4);
	assert_int_equal(st.written, 0);
	assert_true(st.degraded);
	assert_int_equal(st.last_error, ENOSPC);
	journal_close(j);
	assert_true(exists("/dev/full"));
}

/* Compression fails on a full disk: the plain archive is kept, nothing is
 * lost from it, and maintenance compresses it once there is space. */
static void test_compress_retry(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *all, exp[8192] = "";
	struct fault fault = { 0 };
	struct journal_cfg cfg = { .max_size = 200, .write_fn = fault_write, .hook_arg = &fault };
	struct journal_stats st;
	struct journal *j;
	size_t archives, n, plain = 0;
	char **v;
	int i;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	for (i = 0; i < 3; i++) {   /* 3 lines of 55 bytes: the 4th rotates */
		rec(j, i);
		append_expected(exp, sizeof(exp), T0, i);
	}
	fault.full = true;
	rec(j, i++);      /* rotates (compression fails), then the record fails */
	journal_get_stats(j, &st);
	assert_int_equal(st.rotations, 1);
	assert_true(st.archive_errors >= 1);
	assert_int_equal(st.lost_write_error, 1);
	v = list_dir(dir, &n);
	for (size_t k = 0; k < n; k++) {
		int kind = -1;

		if (jarch_parse("journal.log", v[k], &kind) > 0) {
			assert_int_equal(kind, 0);
			plain++;
		}
	}
	free_list(v, n);
	assert_int_equal(plain, 1);
	fault.full = false;
	journal_maintain(j);
	journal_get_stats(j, &st);
	assert_int_equal(st.archives_created, 1);
	journal_close(j);
	snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp),
		 T0_STR " err JOURNAL_LOST lost=1 since=" T0_STR " reason=ENOSPC "
		 "\"1 journal records lost: No space left on device\"\n");
	all = reassemble(dir, path, 200, &archives);
	assert_int_equal(archives, 1);
	assert_string_equal(all, exp);
	free(all);
	rm_rf(dir);
}

/* ---- async mode -------------------------------------------------------- */

struct gate {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool blocked;
	unsigned entered;
};

static ssize_t gate_write(int fd, const void *buf, size_t n, void *arg)
{
	struct gate *g = arg;

	pthread_mutex_lock(&g->m);
	g->entered++;
	pthread_cond_broadcast(&g->c);
	while (g->blocked)
		pthread_cond_wait(&g->c, &g->m);
	pthread_mutex_unlock(&g->m);
	return write(fd, buf, n);
}

static struct journal *open_async(const char *path, struct journal_cfg *cfg)
{
	struct journal *j;
	int err = 0;

	cfg->path = path;
	cfg->now_fn = now_hook;
	j = journal_open(cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(j);
	return j;
}

static void test_queue_full(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *s, exp[4096] = "";
	struct gate g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, true, 0 };
	struct journal_cfg cfg = { .queue_len = 8, .write_fn = gate_write, .hook_arg = &g };
	struct journal_stats st;
	struct journal *j;
	int i;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	atomic_store(&fake_now, T0);
	j = open_async(path, &cfg);
	rec(j, 0);
	append_expected(exp, sizeof(exp), T0, 0);
	/* The writer is now stuck in write(2) with record 0 still in its slot. */
	pthread_mutex_lock(&g.m);
	while (!g.entered)
		pthread_cond_wait(&g.c, &g.m);
	pthread_mutex_unlock(&g.m);
	for (i = 1; i < 8; i++) {
		atomic_store(&fake_now, T0 + i * GT_NS_PER_S);
		rec(j, i);
		append_expected(exp, sizeof(exp), T0 + i * GT_NS_PER_S, i);
	}
	for (; i < 13; i++) {
		atomic_store(&fake_now, T0 + i * GT_NS_PER_S);
		rec(j, i);   /* ring full: dropped, counted, never blocks */
	}
	journal_get_stats(j, &st);
	assert_int_equal(st.lost_queue_full, 5);
	assert_int_equal(st.queued, 8);
	atomic_store(&fake_now, T0 + 20 * GT_NS_PER_S);
	pthread_mutex_lock(&g.m);
	g.blocked = false;
	pthread_cond_broadcast(&g.c);
	pthread_mutex_unlock(&g.m);
	journal_flush(j);
	/* The loss is recorded where it happened: right after record 7. */
	snprintf(exp + strlen(exp), sizeof(exp) - strlen(exp),
		 "2026-11-21T06:28:36.123456Z err JOURNAL_LOST lost=5 "
		 "since=2026-11-21T06:28:24.123456Z reason=queue_full "
		 "\"5 journal records lost: queue full\"\n");
	rec(j, 20);
	append_expected(exp, sizeof(exp), T0 + 20 * GT_NS_PER_S, 20);
	journal_close(j);
	s = slurp(path);
	assert_string_equal(s, exp);
	free(s);
	rm_rf(dir);
}

static void test_reopen_after_rename(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], old[160], *s, e1[512] = "",
	     e2[512] = "";
	struct journal_cfg cfg = { 0 };
	struct journal_stats st;
	struct journal *j;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	snprintf(old, sizeof(old), "%s.1", path);
	atomic_store(&fake_now, T0);
	for (int sync = 0; sync < 2; sync++) {
		e1[0] = e2[0] = '\0';
		cfg.sync = sync;
		j = open_async(path, &cfg);
		rec(j, 1);
		rec(j, 2);
		append_expected(e1, sizeof(e1), T0, 1);
		append_expected(e1, sizeof(e1), T0, 2);
		journal_flush(j);
		/* logrotate: mv journal.log journal.log.1; kill -HUP */
		assert_int_equal(rename(path, old), 0);
		assert_int_equal(journal_reopen(j), 0);
		rec(j, 3);
		append_expected(e2, sizeof(e2), T0, 3);
		journal_flush(j);
		journal_get_stats(j, &st);
		assert_int_equal(st.reopens, 1);
		assert_int_equal(st.written, 3);
		s = slurp(old);
		assert_string_equal(s, e1);
		free(s);
		s = slurp(path);
		assert_string_equal(s, e2);
		free(s);
		journal_close(j);
		unlink(path);
		unlink(old);
	}
	rm_rf(dir);
}

static void test_close_flushes(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *s, *exp;
	struct journal_cfg cfg = { .queue_len = 4096 };
	struct journal *j;
	size_t cap = 4096 * 64;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	exp = calloc(1, cap);
	atomic_store(&fake_now, T0);
	j = open_async(path, &cfg);
	for (int i = 0; i < 3000; i++) {
		rec(j, i);
		append_expected(exp, cap, T0, i);
	}
	journal_close(j);   /* no flush first: close must write everything */
	s = slurp(path);
	assert_string_equal(s, exp);
	free(s);
	free(exp);
	rm_rf(dir);
}

/* A journal file left by a crash mid-line: the next record starts on a new
 * line, so the fragment cannot swallow it. */
static void test_cut_line_on_open(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *s, exp[512];
	struct journal_cfg cfg = { 0 };
	struct journal *j;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	write_file(path, T0_STR " info CUT seq=1 \"half");
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	rec(j, 2);
	journal_close(j);
	snprintf(exp, sizeof(exp), "%s\n", T0_STR " info CUT seq=1 \"half");
	append_expected(exp, sizeof(exp), T0, 2);
	s = slurp(path);
	assert_string_equal(s, exp);
	free(s);
	rm_rf(dir);
}

static void test_open_errors(void **state)
{
	struct journal_cfg cfg = { 0 };
	int err = 0;

	(void)state;
	assert_null(journal_open(&cfg, &err));
	assert_int_equal(err, -EINVAL);
	cfg.path = "/nonexistent-dir-gnomon/journal.log";
	assert_null(journal_open(&cfg, &err));
	assert_int_equal(err, -ENOENT);
	/* A NULL journal is a no-op everywhere. */
	journal_event(NULL, JOURNAL_INFO, "X", NULL, "nothing");
	journal_event_kv(NULL, JOURNAL_INFO, "X", "nothing", "k", "v", NULL);
	assert_int_equal(journal_reopen(NULL), 0);
	journal_maintain(NULL);
	journal_flush(NULL);
	journal_close(NULL);
}

static void test_event_kv(void **state)
{
	char dir[] = "/tmp/gn-journal-XXXXXX", path[128], *s;
	struct journal_cfg cfg = { 0 };
	struct journal *j;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/journal.log", dir);
	atomic_store(&fake_now, T0);
	j = open_sync(path, &cfg);
	journal_event_kv(j, JOURNAL_WARNING, "GW_GAP", "gap of %d (not a format)",
			 "seq", "123", "peer", "198.18.0.1", NULL);
	journal_close(j);
	s = slurp(path);
	assert_string_equal(s, T0_STR " warning GW_GAP seq=123 peer=198.18.0.1 "
			    "\"gap of %d (not a format)\"\n");
	free(s);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_exact),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_rotate_by_size),
		cmocka_unit_test(test_rotate_by_age),
		cmocka_unit_test(test_cleanup),
		cmocka_unit_test(test_crash_leftovers),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_compress_retry),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_reopen_after_rename),
		cmocka_unit_test(test_close_flushes),
		cmocka_unit_test(test_cut_line_on_open),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_event_kv),
		cmocka_unit_test(test_owner_hand_over),
		cmocka_unit_test(test_writer_takes_sigsys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
