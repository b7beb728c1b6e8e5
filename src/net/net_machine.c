// SPDX-License-Identifier: MIT
/*
 * The machine's network: every -netdev opened (and its up script run),
 * its down script due at exit, and every NIC on the PCI bus.
 */
#include <stdio.h>

#include "kvmlite/e1000.h"
#include "kvmlite/machine.h"
#include "kvmlite/net.h"
#include "kvmlite/pci.h"

static void close_netdev(void *opaque)
{
	struct netdev *nd = opaque;

	nd->ops->close(nd);
}

static int add_nic(struct machine *m, const struct nic_config *nic,
		   struct netdev *nd, char *err, size_t errlen)
{
	struct e1000_params params = {
		.mac = nic->mac,
		.id = nic->id[0] ? nic->id : NULL,
		.mem = &m->mem,
		.loop = m->ioloop,
		.netdev = nd,
		.log_guest_errors = m->cfg->log_guest_errors,
	};
	struct e1000 *e = e1000_new(&params);
	char msg[256];

	if (!e) {
		snprintf(err, errlen, "%s %s: cannot create the NIC",
			 nic->opt, nic->arg);
		return -1;
	}
	if (pci_host_attach(m->pci, e1000_pci_dev(e), nic->slot, msg,
			    sizeof(msg))) {
		snprintf(err, errlen, "%s %s: %s", nic->opt, nic->arg, msg);
		return -1;
	}
	return 0;
}

int net_machine_init(struct machine *m, char *err, size_t errlen)
{
	const struct config *cfg = m->cfg;
	struct netdev *nds[MAX_NETDEVS];
	int i;

	for (i = 0; i < cfg->nr_netdevs; i++) {
		nds[i] = tap_open(&cfg->netdevs[i], err, errlen);
		if (!nds[i])
			return -1;
		machine_add_exit_hook(m, close_netdev, nds[i]);
	}
	for (i = 0; i < cfg->nr_nics; i++) {
		const struct nic_config *nic = &cfg->nics[i];

		if (add_nic(m, nic, nic->netdev >= 0 ? nds[nic->netdev] : NULL,
			    err, errlen))
			return -1;
	}
	if (net_info_init(m, nds)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
