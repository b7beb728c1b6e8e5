/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_PCI_PRIV_H
#define KVMLITE_PCI_PRIV_H

#include "kvmlite/pci.h"

/* Between the parts of the PCI core; devices use kvmlite/pci.h. */

/* Maps, moves or unmaps each BAR as its register and decode bit say. */
void pci_update_bars(struct pci_dev *dev);

/* MSI-X: vectors from the platform, config writes, reset. */
int pci_msix_attach(struct pci_dev *dev, char *err, size_t errlen);
void pci_msix_config_written(struct pci_dev *dev, uint32_t offset,
			     uint32_t len);
void pci_msix_reset(struct pci_dev *dev);

#endif
