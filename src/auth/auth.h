/* auth: symmetric keys for every protocol: a key store read from a
 * chrony/ntpd key file (auth_keys.c), and MAC computation and checking with
 * OpenSSL libcrypto (auth_mac.c): the NTP MAC (RFC 5905 §7.3, RFC 8573
 * AES-CMAC; its place in a packet is ntp/ntp_mac) and the gateway's
 * HMAC-SHA256.
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
 * (RFC 2104, FIPS 198-1) with the whole 32-byte tag: auth_hmac_sha256().
 * Only SHA256 keys may be used so. A store is
 * read-only once made, so any number of threads may use it at once. Key
 * material never appears in an error message or a log line. */
#ifndef GNOMON_AUTH_H
#define GNOMON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/conf.h"
#include "lib/gtime.h"

#define AUTH_MAX_KEY 64		/* bytes of key material */
#define AUTH_MAX_DIGEST 20		/* SHA1, and SHA256 truncated */
#define AUTH_SHA256_LEN 32		/* a full SHA256 digest or HMAC tag */
enum auth_type {
	AUTH_MD5,
	AUTH_SHA1,
	AUTH_AES128,	/* AES-128-CMAC, RFC 8573 */
	AUTH_AES256,	/* AES-256-CMAC */
	AUTH_SHA256,	/* NTP: SHA256(key || packet); gateway: HMAC-SHA256 */
};

/* Result of checking a MAC. */
enum auth_check {
	AUTH_OK = 0,
	AUTH_UNKNOWN_KEY,	/* no such key id in the store */
	AUTH_BAD_MAC,	/* wrong digest, or a digest of the wrong length */
};

struct auth_keys;

/* Parse a key file of len bytes (need not be NUL-terminated; `name` is
 * used in errors, "name:line: what is wrong (allowed: ...)"). Returns the
 * store, or NULL when errs->count > 0 (errs is reset first). An empty file
 * gives an empty store. */
struct auth_keys *auth_keys_parse(const char *buf, size_t len, const char *name,
				     struct conf_errors *errs);
/* Read and parse a key file (regular files only, at most 1 MiB). */
struct auth_keys *auth_keys_load(const char *path, struct conf_errors *errs);
/* Wipe the key material and free. NULL is fine. */
void auth_keys_destroy(struct auth_keys *k);
/* Reload: give live the key set of fresh (which is consumed), atomically
 * for readers in other threads; the old set is freed through lib/qsbr
 * once no worker thread can be reading it. Every module holding live
 * sees the new keys from its next call on. Main thread only. */
void auth_keys_replace(struct auth_keys *live, struct auth_keys *fresh);

size_t auth_keys_count(const struct auth_keys *k);
/* Type and digest length (bytes, without the key id) of key `id`; false
 * when unknown. k may be NULL (no keys). */
bool auth_key_info(const struct auth_keys *k, uint32_t id, enum auth_type *type,
		       size_t *digest_len);

/* Ids of the keys of type `type`, in increasing order: writes up to max
 * of them to ids (which may be NULL when max is 0) and returns how many
 * there are in all. k may be NULL. */
size_t auth_key_ids(const struct auth_keys *k, enum auth_type type, uint32_t *ids,
			size_t max);

/* Digest of data[0..len) with key `id` into out (AUTH_MAX_DIGEST
 * bytes). Returns the digest length, -ENOKEY for an unknown key, -EIO when
 * libcrypto fails. */
int auth_digest(const struct auth_keys *k, uint32_t id, const uint8_t *data,
		    size_t len, uint8_t *out);
/* Check that digest[0..digest_len) is the MAC of data[0..len) with key
 * `id`, comparing in constant time. digest_len must be the key's digest
 * length, or 32 for a SHA256 key (a whole digest, as in chrony's NTPv3). */
enum auth_check auth_verify(const struct auth_keys *k, uint32_t id,
				    const uint8_t *data, size_t len,
				    const uint8_t *digest, size_t digest_len);
/* The digest of data[0..len) with key `id`, digest_len bytes of it: the
 * key's own length, or 32 for a SHA256 key (the whole digest). Returns
 * digest_len, -ENOKEY, -EINVAL for another length, -EIO. */
int auth_digest_n(const struct auth_keys *k, uint32_t id, const uint8_t *data, size_t len,
		  uint8_t *out, size_t digest_len);

/* How long computing a MAC of a 48-byte packet with key `id` takes, as
 * measured when the store was made (0 for an unknown key). A server adds
 * it to the transmit timestamp, which the MAC covers and so must precede,
 * as chrony does. */
gt_ns auth_mac_delay(const struct auth_keys *k, uint32_t id);

/* HMAC-SHA256 (RFC 2104) of data[0..len) with key `id`, the whole 32-byte
 * tag into out: the gateway's MAC. Returns 0, -ENOKEY for an unknown key
 * (or k NULL), -EKEYREJECTED for a key that is not of type SHA256, -EIO
 * when libcrypto fails. */
int auth_hmac_sha256(const struct auth_keys *k, uint32_t id, const uint8_t *data,
			 size_t len, uint8_t out[AUTH_SHA256_LEN]);

/* n bytes of a and b equal? Takes the same time wherever they differ. */
bool auth_equal(const void *a, const void *b, size_t n);

const char *auth_type_name(enum auth_type t);

#endif
