// SPDX-License-Identifier: MIT
/*
 * "info network": each NIC with its backend under it (kvmlite refuses
 * backends without a NIC), in the order QEMU 7.2 lists its clients: the
 * -nic cards, then the -device ones.
 *
 * The texts are copied once the network is up, so that the monitor
 * never reads a backend that is being closed at exit.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "kvmlite/config.h"
#include "kvmlite/json.h"
#include "kvmlite/machine.h"
#include "kvmlite/net.h"

struct net_client {
	char name[NET_ID_LEN];
	char info[NET_INFO_LEN];
};

struct net_info {
	const struct config *cfg;
	struct net_client netdevs[MAX_NETDEVS];
	struct net_client nics[MAX_NICS];
};

/* -nic's backends have generated ids, which start with '#'. */
static bool from_nic_option(const struct nic_config *nic)
{
	return nic->netdev_id[0] == '#';
}

static struct json *client_json(const struct net_client *c)
{
	struct json *o = json_object_new();

	if (json_object_set_str(o, "name", c->name) |
	    json_object_set_str(o, "info", c->info)) {
		json_free(o);
		return NULL;
	}
	return o;
}

static int add_nic(const struct net_info *ni, int i, struct json *out)
{
	const struct nic_config *nic = &ni->cfg->nics[i];
	struct json *o = client_json(&ni->nics[i]);
	int ret = 0;

	if (nic->netdev >= 0)
		ret = json_object_set(o, "peer",
				      client_json(&ni->netdevs[nic->netdev]));
	return ret | json_array_append(out, o);
}

static int info_network(void *opaque, struct json *out)
{
	const struct net_info *ni = opaque;
	const struct config *cfg = ni->cfg;
	int i, ret = 0;

	for (i = 0; i < cfg->nr_nics; i++)
		if (from_nic_option(&cfg->nics[i]))
			ret |= add_nic(ni, i, out);
	for (i = 0; i < cfg->nr_nics; i++)
		if (!from_nic_option(&cfg->nics[i]))
			ret |= add_nic(ni, i, out);
	return ret;
}

/* QEMU names a NIC without id= by its model and creation order. */
static void describe_nic(struct net_client *c, const struct nic_config *nic,
			 int order)
{
	const uint8_t *mac = nic->mac;

	if (nic->id[0])
		snprintf(c->name, sizeof(c->name), "%s", nic->id);
	else
		snprintf(c->name, sizeof(c->name), "e1000.%d", order);
	snprintf(c->info, sizeof(c->info),
		 "index=0,type=nic,model=e1000,macaddr=%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* The copies are never freed: the monitor may ask until kvmlite ends. */
int net_info_init(struct machine *m, struct netdev *const *netdevs)
{
	struct net_info *ni = calloc(1, sizeof(*ni));
	const struct config *cfg = m->cfg;
	int i, order = 0;

	if (!ni)
		return -1;
	ni->cfg = cfg;
	for (i = 0; i < cfg->nr_netdevs; i++) {
		snprintf(ni->netdevs[i].name, NET_ID_LEN, "%s", netdevs[i]->id);
		snprintf(ni->netdevs[i].info, NET_INFO_LEN, "%s",
			 netdevs[i]->info);
	}
	for (i = 0; i < cfg->nr_nics; i++)
		if (from_nic_option(&cfg->nics[i]))
			describe_nic(&ni->nics[i], &cfg->nics[i], order++);
	for (i = 0; i < cfg->nr_nics; i++)
		if (!from_nic_option(&cfg->nics[i]))
			describe_nic(&ni->nics[i], &cfg->nics[i], order++);
	machine_add_info(m, MACHINE_INFO_NETWORK, info_network, ni);
	return 0;
}
