/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_QTREE_H
#define KVMLITE_QTREE_H

#include <stdint.h>

/*
 * Nodes of "info qtree", for MACHINE_INFO_QTREE providers (machine.h).
 * A device node prints as
 *
 *	dev: isa-serial, id ""
 *	  index = 0 (0x0)
 *	  bus: isa.0
 *	    type ISA
 *	    dev: ...
 *
 * Each returns NULL or -1 when out of memory; a NULL @dev is accepted
 * and fails, so a whole node can be built and checked once.
 */
struct json;

struct json *qtree_dev_new(const char *type, const char *id);
/* A property line as QEMU prints it, e.g. "addr = 02.0". */
int qtree_prop(struct json *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "name = 1016 (0x3f8)" */
int qtree_prop_uint(struct json *dev, const char *name, uint64_t value);
/* A child bus of @dev; returns its device array to add nodes to. */
struct json *qtree_bus_add(struct json *dev, const char *name,
			   const char *type);

#endif
