// SPDX-License-Identifier: MIT
/*
 * -netdev tap, -device e1000 and -nic, with QEMU 7.2's syntax and
 * messages.  Backends are matched to NICs once the whole command line is
 * read, as QEMU creates every -netdev before any -device.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/config.h"
#include "kvmlite/log.h"

#define NIC_MODEL		"e1000"
#define PCI_SLOTS		32
/* QEMU's first default MAC; each NIC without mac= takes the next one. */
static const uint8_t default_mac[MAC_LEN] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56
};

/* QEMU's tap parameters that kvmlite does not implement. */
static const char *const unsupported_tap_keys[] = {
	"fds", "br", "helper", "sndbuf", "vhost", "vhostfd",
	"vhostfds", "vhostforce", "queues", "poll-us",
};

/* QEMU's identifiers: a letter, then letters, digits, '-', '.', '_'. */
static bool valid_id(const char *id)
{
	if (!isalpha((unsigned char)*id))
		return false;
	while (*++id)
		if (!isalnum((unsigned char)*id) && !strchr("-._", *id))
			return false;
	return true;
}

static int copy_val(const struct opt_iter *it, const struct opt_elem *e,
		    char *buf, size_t len, char *err, size_t errlen)
{
	if (opt_val_copy(e, buf, len))
		return opt_fail(it, err, errlen,
				"Parameter '%.*s' is longer than %zu bytes",
				(int)e->key_len, e->key, len - 1);
	return 0;
}

static int copy_id(const struct opt_iter *it, const struct opt_elem *e,
		   char *buf, char *err, size_t errlen)
{
	if (copy_val(it, e, buf, NET_ID_LEN, err, errlen))
		return -1;
	if (!valid_id(buf))
		return opt_fail(it, err, errlen,
				"Parameter 'id' expects an identifier (letters, digits, '-', '.', '_', starting with a letter)");
	return 0;
}

/* "52:54:00:12:34:56" or "52-54-00-12-34-56": two hex digits a byte. */
int parse_mac(const char *text, uint8_t *mac)
{
	unsigned int i;

	for (i = 0; i < MAC_LEN; i++, text += 3) {
		if (!isxdigit((unsigned char)text[0]) ||
		    !isxdigit((unsigned char)text[1]))
			return -1;
		if (i < MAC_LEN - 1 ? text[2] != ':' && text[2] != '-' :
		    text[2] != '\0')
			return -1;
		mac[i] = strtoul((char[]){ text[0], text[1], 0 }, NULL, 16);
	}
	return 0;
}

/* --- -netdev tap -------------------------------------------------------- */

static int tap_script(const struct opt_iter *it, const struct opt_elem *e,
		      char *buf, char *err, size_t errlen)
{
	if (opt_val_is(e, "no")) {
		buf[0] = '\0';
		return 0;
	}
	return copy_val(it, e, buf, NET_PATH_LEN, err, errlen);
}

/* fd= takes a number here; whether it is a TAP is checked when opened. */
static int tap_fd(const struct opt_iter *it, const struct opt_elem *e,
		  int *fd, char *err, size_t errlen)
{
	char buf[16], *end = buf;
	long val = -1;

	if (!opt_val_copy(e, buf, sizeof(buf))) {
		errno = 0;
		val = strtol(buf, &end, 10);
	}
	if (end == buf || *end || errno || val < 0 || val > INT32_MAX)
		return opt_fail(it, err, errlen,
				"Invalid file descriptor number '%.*s'",
				(int)e->val_len, e->val);
	*fd = val;
	return 0;
}

static int tap_vnet_hdr(const struct opt_iter *it, const struct opt_elem *e,
			int *vnet_hdr, char *err, size_t errlen)
{
	bool on;

	if (opt_parse_bool(it, e, &on, err, errlen))
		return -1;
	*vnet_hdr = on;
	return 0;
}

/* @named_if: a key seen that QEMU refuses with fd=. */
static int tap_key(const struct opt_iter *it, const struct opt_elem *e,
		   struct netdev_config *nd, bool *named_if, char *err,
		   size_t errlen)
{
	size_t i;

	if (opt_key_is(e, "type") || opt_key_is(e, "id"))
		return 0;
	*named_if |= opt_key_is(e, "ifname") ||
			    opt_key_is(e, "script") ||
			    opt_key_is(e, "downscript") ||
			    opt_key_is(e, "vnet_hdr");
	if (opt_key_is(e, "ifname"))
		return copy_val(it, e, nd->ifname, NET_IFNAME_LEN, err,
				errlen);
	if (opt_key_is(e, "script"))
		return tap_script(it, e, nd->script, err, errlen);
	if (opt_key_is(e, "downscript"))
		return tap_script(it, e, nd->downscript, err, errlen);
	if (opt_key_is(e, "fd"))
		return tap_fd(it, e, &nd->fd, err, errlen);
	if (opt_key_is(e, "vnet_hdr"))
		return tap_vnet_hdr(it, e, &nd->vnet_hdr, err, errlen);
	for (i = 0; i < sizeof(unsupported_tap_keys) /
			sizeof(unsupported_tap_keys[0]); i++)
		if (opt_key_is(e, unsupported_tap_keys[i]))
			return opt_fail(it, err, errlen,
					"Parameter '%.*s' is not supported by kvmlite",
					(int)e->key_len, e->key);
	return opt_fail(it, err, errlen, "Invalid parameter '%.*s'",
			(int)e->key_len, e->key);
}

static int tap_keys(struct opt_iter *it, struct netdev_config *nd,
		    bool (*skip)(const struct opt_elem *e), char *err,
		    size_t errlen)
{
	bool named_if = false;
	struct opt_elem e;
	int ret;

	while ((ret = opt_next(it, &e, err, errlen)) > 0)
		if ((!skip || !skip(&e)) &&
		    tap_key(it, &e, nd, &named_if, err, errlen))
			return -1;
	if (ret)
		return -1;
	if (nd->fd >= 0 && named_if)
		return opt_fail(it, err, errlen,
				"ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, fds=, and vhostfds= are invalid with fd=");
	return 0;
}

/* The defaults QEMU's tap has: its scripts in /etc, no fd. */
static struct netdev_config *netdev_new(struct config *cfg, const char *opt,
					const char *text)
{
	struct netdev_config *nd;

	if (cfg->nr_netdevs == MAX_NETDEVS)
		return NULL;
	nd = &cfg->netdevs[cfg->nr_netdevs];
	memset(nd, 0, sizeof(*nd));
	strcpy(nd->script, NET_DEFAULT_SCRIPT);
	strcpy(nd->downscript, NET_DEFAULT_DOWNSCRIPT);
	nd->fd = -1;
	nd->vnet_hdr = -1;
	nd->opt = opt;
	nd->arg = text;
	return nd;
}

static int find_netdev(const struct config *cfg, const char *id)
{
	int i;

	for (i = 0; i < cfg->nr_netdevs; i++)
		if (!strcmp(cfg->netdevs[i].id, id))
			return i;
	return -1;
}

/* The value of the last @key, or NULL; checks the syntax on the way. */
static int last_value(struct opt_iter *it, const char *key,
		      struct opt_elem *found, char *err, size_t errlen)
{
	struct opt_elem e;
	int ret;

	found->val = NULL;
	while ((ret = opt_next(it, &e, err, errlen)) > 0)
		if (opt_key_is(&e, key))
			*found = e;
	return ret;
}

static int check_type(const struct opt_iter *it, const struct opt_elem *type,
		      char *err, size_t errlen)
{
	if (!type->val)
		return opt_fail(it, err, errlen, "Parameter 'type' is missing");
	if (!opt_val_is(type, "tap"))
		return opt_fail(it, err, errlen,
				"Parameter 'type' does not accept value '%.*s'",
				(int)type->val_len, type->val);
	return 0;
}

int netdev_add(struct config *cfg, const char *opt, const char *text,
	       char *err, size_t errlen)
{
	struct netdev_config *nd;
	struct opt_elem type, id;
	struct opt_iter it;

	opt_iter_init(&it, opt, text, "type", false);
	if (last_value(&it, "type", &type, err, errlen) ||
	    check_type(&it, &type, err, errlen))
		return -1;
	opt_iter_init(&it, opt, text, "type", false);
	if (last_value(&it, "id", &id, err, errlen))
		return -1;
	if (!id.val)
		return opt_fail(&it, err, errlen, "Parameter 'id' is missing");
	nd = netdev_new(cfg, opt, text);
	if (!nd)
		return opt_fail(&it, err, errlen,
				"too many -netdev (kvmlite has %d)",
				MAX_NETDEVS);
	if (copy_id(&it, &id, nd->id, err, errlen))
		return -1;
	if (find_netdev(cfg, nd->id) >= 0)
		return opt_fail(&it, err, errlen,
				"Duplicate ID '%s' for netdev", nd->id);
	opt_iter_init(&it, opt, text, "type", false);
	if (tap_keys(&it, nd, NULL, err, errlen))
		return -1;
	cfg->nr_netdevs++;
	return 0;
}

/* --- -device e1000 ------------------------------------------------------ */

static struct nic_config *nic_new(struct config *cfg, const char *opt,
				  const char *text)
{
	struct nic_config *nic;

	if (cfg->nr_nics == MAX_NICS)
		return NULL;
	nic = &cfg->nics[cfg->nr_nics];
	memset(nic, 0, sizeof(*nic));
	nic->netdev = -1;
	nic->slot = -1;
	nic->opt = opt;
	nic->arg = text;
	return nic;
}

/* QEMU's PCI address: a hex slot, then an optional ".function". */
static int parse_pci_addr(const char *text, int *slot)
{
	unsigned long val;
	char *end;

	if (!isxdigit((unsigned char)*text))
		return -1;
	val = strtoul(text, &end, 16);
	if (*end == '.' && end[1] == '0' && !end[2])
		end += 2;
	if (*end || val >= PCI_SLOTS)
		return -1;
	*slot = val;
	return 0;
}

static int nic_prop_value(const struct opt_iter *it,
			  const struct opt_elem *e, char *buf, size_t len,
			  char *err, size_t errlen)
{
	if (opt_val_copy(e, buf, len))
		return opt_fail(it, err, errlen,
				"Property '" NIC_MODEL ".%.*s' doesn't take value '%.*s'",
				(int)e->key_len, e->key, (int)e->val_len,
				e->val);
	return 0;
}

static int nic_prop(const struct opt_iter *it, const struct opt_elem *e,
		    struct nic_config *nic, char *err, size_t errlen)
{
	char buf[NET_PATH_LEN];

	if (opt_key_is(e, "driver"))
		return 0;
	if (opt_key_is(e, "id"))
		return copy_id(it, e, nic->id, err, errlen);
	if (opt_key_is(e, "netdev")) {
		nic->has_netdev = true;
		return nic_prop_value(it, e, nic->netdev_id, NET_ID_LEN, err,
				      errlen);
	}
	if (nic_prop_value(it, e, buf, sizeof(buf), err, errlen))
		return -1;
	if (opt_key_is(e, "mac")) {
		nic->has_mac = !parse_mac(buf, nic->mac);
		if (nic->has_mac)
			return 0;
	} else if (opt_key_is(e, "addr")) {
		if (!parse_pci_addr(buf, &nic->slot))
			return 0;
	} else {
		return opt_fail(it, err, errlen,
				"Property '" NIC_MODEL ".%.*s' not found",
				(int)e->key_len, e->key);
	}
	return opt_fail(it, err, errlen,
			"Property '" NIC_MODEL ".%.*s' doesn't take value '%s'",
			(int)e->key_len, e->key, buf);
}

int nic_device_add(struct config *cfg, const char *opt, const char *text,
		   char *err, size_t errlen)
{
	struct nic_config *nic = nic_new(cfg, opt, text);
	struct opt_iter it;
	struct opt_elem e;
	int ret;

	opt_iter_init(&it, opt, text, "driver", false);
	if (!nic)
		return opt_fail(&it, err, errlen,
				"too many network cards (kvmlite has %d)",
				MAX_NICS);
	while ((ret = opt_next(&it, &e, err, errlen)) > 0)
		if (nic_prop(&it, &e, nic, err, errlen))
			return -1;
	if (ret)
		return -1;
	if (!nic->id[0])
		cfg->nr_anon_devices++;
	cfg->nr_nics++;
	return 0;
}

/* --- -nic --------------------------------------------------------------- */

/* Keys of -nic that describe the NIC, not its tap. */
static bool nic_only_key(const struct opt_elem *e)
{
	return opt_key_is(e, "model") || opt_key_is(e, "mac");
}

static int nic_shorthand_nic(const struct opt_iter *it,
			     struct nic_config *nic, char *err, size_t errlen)
{
	struct opt_iter scan = *it;
	char buf[NET_PATH_LEN];
	struct opt_elem e;
	int ret;

	while ((ret = opt_next(&scan, &e, err, errlen)) > 0) {
		if (!nic_only_key(&e))
			continue;
		if (opt_val_copy(&e, buf, sizeof(buf)))
			buf[0] = '\0';
		if (opt_key_is(&e, "model") && strcmp(buf, NIC_MODEL)) {
			snprintf(err, errlen, "Unsupported NIC model: %s",
				 buf);
			return -1;
		}
		if (opt_key_is(&e, "mac")) {
			nic->has_mac = !parse_mac(buf, nic->mac);
			if (!nic->has_mac)
				return opt_fail(it, err, errlen,
						"invalid syntax for ethernet address");
		}
	}
	return ret;
}

/*
 * -nic tap,...,model=e1000: a NIC and its own tap, which takes an id
 * only if id= names one.  -nic none asks for no default NIC, and kvmlite
 * adds none anyway.
 */
int nic_shorthand_add(struct config *cfg, const char *opt, const char *text,
		      char *err, size_t errlen)
{
	struct netdev_config *nd;
	struct nic_config *nic;
	struct opt_elem type;
	struct opt_iter it;

	opt_iter_init(&it, opt, text, "type", false);
	if (last_value(&it, "type", &type, err, errlen))
		return -1;
	if (type.val && opt_val_is(&type, "none"))
		return 0;
	if (check_type(&it, &type, err, errlen))
		return -1;
	nd = netdev_new(cfg, opt, text);
	nic = nic_new(cfg, opt, text);
	if (!nd || !nic)
		return opt_fail(&it, err, errlen,
				"too many network cards (kvmlite has %d)",
				MAX_NICS);
	opt_iter_init(&it, opt, text, "type", false);
	if (nic_shorthand_nic(&it, nic, err, errlen) ||
	    tap_keys(&it, nd, nic_only_key, err, errlen))
		return -1;
	snprintf(nd->id, sizeof(nd->id), "#net%d", cfg->nr_netdevs);
	strcpy(nic->netdev_id, nd->id);
	nic->has_netdev = true;
	cfg->nr_netdevs++;
	cfg->nr_nics++;
	return 0;
}

/* --- once the command line is read -------------------------------------- */

static int nic_fail(const struct nic_config *nic, char *err, size_t errlen,
		    const char *fmt, const char *val)
{
	int n = snprintf(err, errlen, "%s %s: ", nic->opt, nic->arg);

	if (n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - n, fmt, val);
	return -1;
}

static int connect_nic(struct config *cfg, struct nic_config *nic,
		       bool *used, char *err, size_t errlen)
{
	int i;

	if (!nic->has_netdev)
		return 0;
	i = find_netdev(cfg, nic->netdev_id);
	if (i < 0)
		return nic_fail(nic, err, errlen, "Property '" NIC_MODEL
				".netdev' can't find value '%s'",
				nic->netdev_id);
	if (used[i])
		return nic_fail(nic, err, errlen, "Property '" NIC_MODEL
				".netdev' can't take value '%s', it's in use",
				nic->netdev_id);
	used[i] = true;
	nic->netdev = i;
	return 0;
}

/*
 * NICs without mac= take QEMU's defaults in order.  QEMU only warns
 * about a netdev no NIC uses; kvmlite refuses it, as it would carry
 * nothing.
 */
int net_finish(struct config *cfg, char *err, size_t errlen)
{
	bool used[MAX_NETDEVS] = { false };
	unsigned int next_mac = 0;
	int i;

	for (i = 0; i < cfg->nr_nics; i++) {
		struct nic_config *nic = &cfg->nics[i];

		if (connect_nic(cfg, nic, used, err, errlen))
			return -1;
		if (!nic->has_netdev)
			warn_report("nic " NIC_MODEL ".%d has no peer", i);
		if (nic->has_mac)
			continue;
		memcpy(nic->mac, default_mac, MAC_LEN);
		nic->mac[MAC_LEN - 1] += next_mac++;
	}
	for (i = 0; i < cfg->nr_netdevs; i++)
		if (!used[i]) {
			snprintf(err, errlen, "%s %s: netdev %s has no peer; "
				 "connect it with -device " NIC_MODEL
				 ",netdev=%s", cfg->netdevs[i].opt,
				 cfg->netdevs[i].arg, cfg->netdevs[i].id,
				 cfg->netdevs[i].id);
			return -1;
		}
	return 0;
}
