/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_UNIMP_H
#define KVMLITE_UNIMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define UNIMP_MMIO_MAX 256

/*
 * -d unimp: each port or MMIO address no device claims is logged the
 * first time the guest touches it, so a polling loop cannot flood the log.
 */
struct unimp_log {
	uint8_t ports[65536 / 8];	/* one bit per port */
	pthread_mutex_t lock;
	uint64_t mmio[UNIMP_MMIO_MAX];
	unsigned int nr_mmio;
};

struct unimp_log *unimp_log_new(void);
void unimp_log_port(struct unimp_log *log, uint16_t port, bool is_write);
void unimp_log_mmio(struct unimp_log *log, uint64_t addr, bool is_write);

#endif
