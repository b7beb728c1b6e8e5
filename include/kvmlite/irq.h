/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IRQ_H
#define KVMLITE_IRQ_H

/*
 * An interrupt output of a device.  The device drives the level of its
 * line; what the line is wired to (an ISA IRQ on the in-kernel irqchip, a
 * test's recorder) is the owner's business.
 */
struct irq_line {
	void (*set_level)(void *opaque, int level);
	void *opaque;
};

static inline void irq_line_set(const struct irq_line *line, int level)
{
	if (line->set_level)
		line->set_level(line->opaque, level);
}

#endif
