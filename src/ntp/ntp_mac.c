#include "ntp/ntp_mac.h"

#include "lib/bytes.h"

size_t ntp_mac_append_len(const struct auth_keys *k, uint32_t id, uint8_t *pkt, size_t len,
			  size_t cap, size_t digest_len)
{
	int n;

	if (!auth_key_info(k, id, NULL, NULL) || cap < len || cap - len < 4 + digest_len)
		return 0;
	n = auth_digest_n(k, id, pkt, len, pkt + len + 4, digest_len);
	if (n < 0)
		return 0;
	put_be32(pkt + len, id);
	return len + 4 + (size_t)n;
}

size_t ntp_mac_append(const struct auth_keys *k, uint32_t id, uint8_t *pkt, size_t len,
		      size_t cap)
{
	size_t dlen;

	if (!auth_key_info(k, id, NULL, &dlen))
		return 0;
	return ntp_mac_append_len(k, id, pkt, len, cap, dlen);
}
