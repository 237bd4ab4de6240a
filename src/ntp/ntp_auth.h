/* ntp_auth: symmetric-key authentication of NTP packets (RFC 5905 §7.3
 * MAC, RFC 8573 AES-CMAC): a key store read from a chrony/ntpd key file,
 * and MAC computation and checking with OpenSSL libcrypto.
 *
 * Key file: one key a line, `ID [TYPE] KEY` (chrony and ntpd syntax).
 *   ID    1..4294967295 (0 is reserved: a zero key id is a crypto-NAK)
 *   TYPE  MD5 (or ntpd's M), SHA1, SHA256, AES128 (AES128CMAC,
 *         AES-128-CMAC), AES256 (AES256CMAC, AES-256-CMAC);
 *         case-insensitive; MD5 when left out, as chrony does
 *   KEY   ASCII text, ASCII:text, or HEX:hexdigits; AES keys are exactly
 *         16 (AES128) or 32 (AES256) bytes
 * A line whose first word starts with '#' is a comment, and so is the rest
 * of a line from a word starting with '#' after the key.
 *
 * Bare keys are ASCII, as chrony reads them; ntpd reads a bare key longer
 * than 20 characters as hexadecimal: write such keys as HEX: here.
 *
 * NTP MACs: MD5, SHA1 and SHA256 digest the key followed by the packet
 * (16, 20 and 20 bytes: a SHA256 digest is truncated to its first 20
 * bytes, as chrony does in NTPv4 packets, where RFC 7822 §7.5 limits the
 * MAC to 24 bytes; a full 32-byte SHA256 digest, which chrony sends in
 * NTPv3 packets, is also accepted); AES-CMAC digests the packet with the
 * key (16 bytes).
 *
 * SHA256 keys also serve the one-way gateway, which uses HMAC-SHA256
 * (RFC 2104, FIPS 198-1) with the whole 32-byte tag: ntp_auth_hmac_sha256().
 * Only SHA256 keys may be used so. A store is
 * read-only once made, so any number of threads may use it at once. Key
 * material never appears in an error message or a log line. */
#ifndef GNOMON_NTP_AUTH_H
#define GNOMON_NTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/gtime.h"

#define NTP_AUTH_MAX_KEY 64		/* bytes of key material */
#define NTP_AUTH_MAX_DIGEST 20		/* SHA1, and SHA256 truncated */
#define NTP_AUTH_SHA256_LEN 32		/* a full SHA256 digest or HMAC tag */
/* Key id and digest: the most a MAC adds to a packet. */
#define NTP_AUTH_MAX_MAC (4 + NTP_AUTH_MAX_DIGEST)

enum ntp_auth_type {
	NTP_AUTH_MD5,
	NTP_AUTH_SHA1,
	NTP_AUTH_AES128,	/* AES-128-CMAC, RFC 8573 */
	NTP_AUTH_AES256,	/* AES-256-CMAC */
	NTP_AUTH_SHA256,	/* NTP: SHA256(key || packet); gateway: HMAC-SHA256 */
};

/* Result of checking a MAC. */
enum ntp_auth_check {
	NTP_AUTH_OK = 0,
	NTP_AUTH_UNKNOWN_KEY,	/* no such key id in the store */
	NTP_AUTH_BAD_MAC,	/* wrong digest, or a digest of the wrong length */
};

struct ntp_auth_keys;

/* Parse a key file of len bytes (need not be NUL-terminated; `name` is
 * used in errors, "name:line: what is wrong (allowed: ...)"). Returns the
 * store, or NULL when errs->count > 0 (errs is reset first). An empty file
 * gives an empty store. */
struct ntp_auth_keys *ntp_auth_parse(const char *buf, size_t len, const char *name,
				     struct conf_errors *errs);
/* Read and parse a key file (regular files only, at most 1 MiB). */
struct ntp_auth_keys *ntp_auth_load(const char *path, struct conf_errors *errs);
/* Wipe the key material and free. NULL is fine. */
void ntp_auth_destroy(struct ntp_auth_keys *k);
/* Reload: give live the key set of fresh (which is consumed), atomically
 * for readers in other threads; the old set is freed through lib/qsbr
 * once no worker thread can be reading it. Every module holding live
 * sees the new keys from its next call on. Main thread only. */
void ntp_auth_replace(struct ntp_auth_keys *live, struct ntp_auth_keys *fresh);

size_t ntp_auth_count(const struct ntp_auth_keys *k);
/* Type and digest length (bytes, without the key id) of key `id`; false
 * when unknown. k may be NULL (no keys). */
bool ntp_auth_key_info(const struct ntp_auth_keys *k, uint32_t id, enum ntp_auth_type *type,
		       size_t *digest_len);

/* Ids of the keys of type `type`, in increasing order: writes up to max
 * of them to ids (which may be NULL when max is 0) and returns how many
 * there are in all. k may be NULL. */
size_t ntp_auth_key_ids(const struct ntp_auth_keys *k, enum ntp_auth_type type, uint32_t *ids,
			size_t max);

/* Digest of data[0..len) with key `id` into out (NTP_AUTH_MAX_DIGEST
 * bytes). Returns the digest length, -ENOKEY for an unknown key, -EIO when
 * libcrypto fails. */
int ntp_auth_digest(const struct ntp_auth_keys *k, uint32_t id, const uint8_t *data,
		    size_t len, uint8_t *out);
/* Check that digest[0..digest_len) is the MAC of data[0..len) with key
 * `id`, comparing in constant time. digest_len must be the key's digest
 * length, or 32 for a SHA256 key (a whole digest, as in chrony's NTPv3). */
enum ntp_auth_check ntp_auth_verify(const struct ntp_auth_keys *k, uint32_t id,
				    const uint8_t *data, size_t len,
				    const uint8_t *digest, size_t digest_len);
/* Append key id and MAC of pkt[0..len) to pkt, which has room for cap
 * bytes. Returns the new length, or 0 (unknown key, no room, libcrypto
 * failure). */
size_t ntp_auth_append_mac(const struct ntp_auth_keys *k, uint32_t id, uint8_t *pkt,
			   size_t len, size_t cap);
/* The same with a digest of digest_len bytes: the key's own length, or 32
 * for a SHA256 key (the whole digest, which a request carrying one, as
 * chrony's NTPv3 requests do, expects in the reply). 0 otherwise. */
size_t ntp_auth_append_mac_len(const struct ntp_auth_keys *k, uint32_t id, uint8_t *pkt,
			       size_t len, size_t cap, size_t digest_len);

/* How long computing a MAC of a 48-byte packet with key `id` takes, as
 * measured when the store was made (0 for an unknown key). A server adds
 * it to the transmit timestamp, which the MAC covers and so must precede,
 * as chrony does. */
gt_ns ntp_auth_mac_delay(const struct ntp_auth_keys *k, uint32_t id);

/* HMAC-SHA256 (RFC 2104) of data[0..len) with key `id`, the whole 32-byte
 * tag into out: the gateway's MAC. Returns 0, -ENOKEY for an unknown key
 * (or k NULL), -EKEYREJECTED for a key that is not of type SHA256, -EIO
 * when libcrypto fails. */
int ntp_auth_hmac_sha256(const struct ntp_auth_keys *k, uint32_t id, const uint8_t *data,
			 size_t len, uint8_t out[NTP_AUTH_SHA256_LEN]);

/* n bytes of a and b equal? Takes the same time wherever they differ. */
bool ntp_auth_equal(const void *a, const void *b, size_t n);

const char *ntp_auth_type_name(enum ntp_auth_type t);

#endif
