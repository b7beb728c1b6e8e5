/* SPDX-License-Identifier: MIT */
/*
 * The 16550A model driven through its registers, the way a guest would,
 * against a fake chardev that records output and a recorded IRQ line.
 * Expected register values are written out in hex so that a wrong
 * constant in the model cannot hide behind the same constant here.
 */
#include <linux/serial_reg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "kvmlite/chardev.h"
#include "kvmlite/irq.h"
#include "kvmlite/serial.h"

struct fake_chr {
	struct chardev chr;	/* first, so the ops can cast back */
	pthread_mutex_t lock;
	pthread_cond_t resumed;
	unsigned char out[4096];
	size_t nout;		/* bytes written, even past @out */
	int accepts;		/* accept_input calls */
};

struct rig {
	struct fake_chr fc;
	int level;		/* the IRQ line as last driven */
	int drives;		/* set_level calls */
	struct uart *uart;
};

static ssize_t fake_write(struct chardev *chr, const void *buf, size_t len)
{
	struct fake_chr *fc = (struct fake_chr *)chr;
	size_t i;

	for (i = 0; i < len; i++, fc->nout++)
		if (fc->nout < sizeof(fc->out))
			fc->out[fc->nout] = ((const unsigned char *)buf)[i];
	return len;
}

static void fake_accept_input(struct chardev *chr)
{
	struct fake_chr *fc = (struct fake_chr *)chr;

	pthread_mutex_lock(&fc->lock);
	fc->accepts++;
	pthread_cond_broadcast(&fc->resumed);
	pthread_mutex_unlock(&fc->lock);
}

static const struct chardev_ops fake_ops = {
	.write = fake_write,
	.accept_input = fake_accept_input,
};

static void rig_set_level(void *opaque, int level)
{
	struct rig *r = opaque;

	r->level = level;
	r->drives++;
}

static struct rig *rig_new_with(bool with_chr)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct irq_line line = { .set_level = rig_set_level, .opaque = r };

	pthread_mutex_init(&r->fc.lock, NULL);
	pthread_cond_init(&r->fc.resumed, NULL);
	r->fc.chr.ops = &fake_ops;
	r->uart = uart_new(&line, with_chr ? &r->fc.chr : NULL);
	/* Attaching may start input with an accept_input() of its own. */
	r->fc.accepts = 0;
	return r;
}

static struct rig *rig_new(void)
{
	return rig_new_with(true);
}

static void rig_free(struct rig *r)
{
	uart_free(r->uart);
	pthread_cond_destroy(&r->fc.resumed);
	pthread_mutex_destroy(&r->fc.lock);
	free(r);
}

static uint8_t rd(struct rig *r, unsigned int reg)
{
	uint8_t val = 0x5a;

	uart_io(r->uart, reg, &val, 1, false);
	return val;
}

static void wr(struct rig *r, unsigned int reg, uint8_t val)
{
	uart_io(r->uart, reg, &val, 1, true);
}

/* The host side, as the I/O thread sees it through the frontend. */
static size_t host_room(struct rig *r)
{
	return r->fc.chr.fe.can_receive(r->fc.chr.fe.opaque);
}

static void host_send(struct rig *r, const void *buf, size_t len)
{
	r->fc.chr.fe.receive(r->fc.chr.fe.opaque, buf, len);
}

static void host_send_seq(struct rig *r, unsigned int n)
{
	unsigned char buf[32];
	unsigned int i;

	for (i = 0; i < n && i < sizeof(buf); i++)
		buf[i] = i;
	host_send(r, buf, i);
}

/*
 * A case run against a fresh rig, @r, freed when it returns.  It is a
 * TEST() of the same name, so RUN(name) runs it as usual.
 */
#define UART_TEST(name)							\
	static void uart_test_##name(struct rig *r);			\
	TEST(name)							\
	{								\
		struct rig *r = rig_new();				\
									\
		uart_test_##name(r);					\
		rig_free(r);						\
	}								\
	static void uart_test_##name(struct rig *r)

/* Turns on OUT2, which gates the IRQ line, then the interrupts in @ier. */
static void irq_enable(struct rig *r, uint8_t ier)
{
	wr(r, UART_MCR, 0x08);
	wr(r, UART_IER, ier);
}

/* Turns the FIFOs on (trigger level 1) and sends bytes 0 to @n - 1. */
static void fifo_fill(struct rig *r, unsigned int n)
{
	wr(r, UART_FCR, 0x01);
	host_send_seq(r, n);
}

/* Reads @n bytes, which must be 0 to @n - 1 in order, from RBR. */
static void check_rx_seq(struct rig *r, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		CHECK_EQ(rd(r, UART_RX), i);
}

/* The registers at power-on and after reset; leaves DLAB set. */
static void check_power_on_registers(struct rig *r)
{
	CHECK_EQ(rd(r, UART_IER), 0x00);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
	CHECK_EQ(rd(r, UART_LCR), 0x00);
	CHECK_EQ(rd(r, UART_MCR), 0x00);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	CHECK_EQ(rd(r, UART_MSR), 0xb0);
	CHECK_EQ(rd(r, UART_SCR), 0x00);
	wr(r, UART_LCR, 0x80);
	CHECK_EQ(rd(r, UART_DLL), 12);
	CHECK_EQ(rd(r, UART_DLM), 0);
}

/* With DLAB set, offsets 0 and 1 must read back the divisor. */
static void check_divisor(struct rig *r, uint8_t dll, uint8_t dlm)
{
	CHECK_EQ(rd(r, UART_DLL), dll);
	CHECK_EQ(rd(r, UART_DLM), dlm);
}

/* A value to write, and what must be seen after it. */
struct write_read {
	uint8_t wval;
	uint8_t want;
};

/* Writes each @wval to @wreg; @rreg must then read @want under @mask. */
static void check_write_read(struct rig *r, unsigned int wreg,
			     unsigned int rreg, uint8_t mask,
			     const struct write_read *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		wr(r, wreg, steps[i].wval);
		CHECK_EQ(rd(r, rreg) & mask, steps[i].want);
	}
}

/*
 * Enables the THR empty interrupt, pending at once, while MCR keeps the
 * IRQ line low; then writes each @wval to MCR, after which the line must
 * be at level @want.  IIR shows the interrupt throughout.
 */
static void check_thre_irq_after_mcr(struct rig *r,
				     const struct write_read *steps, size_t n)
{
	size_t i;

	wr(r, UART_IER, 0x02);
	CHECK_EQ(r->level, 0);
	for (i = 0; i < n; i++) {
		wr(r, UART_MCR, steps[i].wval);
		CHECK_EQ(r->level, steps[i].want);
	}
	CHECK_EQ(rd(r, UART_IIR), 0x02);
}

UART_TEST(power_on_state)
{
	check_power_on_registers(r);
	CHECK_EQ(r->level, 0);
	CHECK_EQ(r->fc.nout, 0);
}

UART_TEST(reset_restores_power_on_state)
{
	wr(r, UART_LCR, 0x80);
	wr(r, UART_DLL, 1);
	wr(r, UART_DLM, 2);
	wr(r, UART_LCR, 0x1b);
	wr(r, UART_FCR, 0xc1);
	wr(r, UART_IER, 0x0f);
	wr(r, UART_MCR, 0x0b);
	wr(r, UART_SCR, 0x77);
	host_send_seq(r, 17);
	CHECK_EQ(r->level, 1);
	CHECK_EQ(host_room(r), 0);

	uart_reset(r->uart);
	CHECK_EQ(r->level, 0);
	CHECK_EQ(r->fc.accepts, 1);
	CHECK_EQ(host_room(r), 1);
	check_power_on_registers(r);
}

UART_TEST(dlab_switches_offsets_0_1_to_divisor)
{
	wr(r, UART_LCR, 0x83);
	wr(r, UART_DLL, 0x01);
	wr(r, UART_DLM, 0x02);
	check_divisor(r, 0x01, 0x02);
	CHECK_EQ(r->fc.nout, 0);

	wr(r, UART_LCR, 0x03);
	CHECK_EQ(rd(r, UART_IER), 0x00);
	wr(r, UART_TX, 'x');
	wr(r, UART_IER, 0x05);
	CHECK_EQ(r->fc.nout, 1);

	wr(r, UART_LCR, 0x83);
	check_divisor(r, 0x01, 0x02);
	wr(r, UART_LCR, 0x03);
	CHECK_EQ(rd(r, UART_IER), 0x05);
}

UART_TEST(lcr_reads_back)
{
	wr(r, UART_LCR, 0x5b);
	CHECK_EQ(rd(r, UART_LCR), 0x5b);
}

UART_TEST(scratch_register_holds_a_byte)
{
	wr(r, UART_SCR, 0xa5);
	CHECK_EQ(rd(r, UART_SCR), 0xa5);
	wr(r, UART_SCR, 0x5a);
	CHECK_EQ(rd(r, UART_SCR), 0x5a);
}

UART_TEST(ier_and_mcr_keep_only_their_bits)
{
	wr(r, UART_IER, 0xff);
	CHECK_EQ(rd(r, UART_IER), 0x0f);
	wr(r, UART_MCR, 0xff);
	CHECK_EQ(rd(r, UART_MCR), 0x1f);
}

UART_TEST(read_only_registers_ignore_writes)
{
	wr(r, UART_LSR, 0x00);
	wr(r, UART_MSR, 0x0f);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	CHECK_EQ(rd(r, UART_MSR), 0xb0);
}

UART_TEST(thr_write_reaches_chardev)
{
	wr(r, UART_TX, 'h');
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	wr(r, UART_TX, 'i');
	wr(r, UART_TX, 0xff);
	CHECK_EQ(r->fc.nout, 3);
	CHECK(memcmp(r->fc.out, "hi\xff", 3) == 0);
}

UART_TEST(thr_write_sends_whole_byte_whatever_word_length)
{
	wr(r, UART_LCR, 0x00);
	wr(r, UART_TX, 'A');
	CHECK_EQ(r->fc.nout, 1);
	CHECK_EQ(r->fc.out[0], 'A');
}

TEST(no_chardev_discards_output)
{
	struct rig *r = rig_new_with(false);

	irq_enable(r, 0x02);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	wr(r, UART_TX, 'x');
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	CHECK_EQ(r->fc.nout, 0);
	rig_free(r);
}

UART_TEST(thre_interrupt_on_enable_cleared_by_iir_read)
{
	irq_enable(r, 0x02);
	CHECK_EQ(r->level, 1);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	CHECK_EQ(r->level, 0);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
}

UART_TEST(thre_interrupt_after_thr_write)
{
	irq_enable(r, 0x02);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	wr(r, UART_TX, 'a');
	CHECK_EQ(r->level, 1);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
}

/* Linux's UART_BUG_THRE probe: enable, read IIR, disable, enable again. */
UART_TEST(thre_interrupt_only_on_newly_enabled_ier_bit)
{
	wr(r, UART_IER, 0x02);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	wr(r, UART_IER, 0x03);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
	wr(r, UART_IER, 0x00);
	wr(r, UART_IER, 0x02);
	CHECK_EQ(rd(r, UART_IIR), 0x02);
}

UART_TEST(irq_gated_by_out2)
{
	static const struct write_read mcr_level[] = {
		{ 0x03, 0 },
		{ 0x08, 1 },
		{ 0x00, 0 },
	};

	check_thre_irq_after_mcr(r, mcr_level, ARRAY_SIZE(mcr_level));
}

UART_TEST(irq_driven_only_on_change)
{
	wr(r, UART_MCR, 0x08);
	wr(r, UART_SCR, 1);
	CHECK_EQ(r->drives, 0);
	wr(r, UART_IER, 0x02);
	wr(r, UART_SCR, 2);
	CHECK_EQ(r->drives, 1);
}

UART_TEST(rx_byte_without_fifo)
{
	irq_enable(r, 0x01);
	host_send(r, "x", 1);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	CHECK_EQ(rd(r, UART_IIR), 0x04);
	CHECK_EQ(r->level, 1);
	CHECK_EQ(rd(r, UART_RX), 'x');
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
	CHECK_EQ(r->level, 0);
}

UART_TEST(rx_overrun_replaces_holding_register)
{
	host_send(r, "ab", 2);
	CHECK_EQ(rd(r, UART_LSR), 0x63);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	CHECK_EQ(rd(r, UART_RX), 'b');
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

UART_TEST(empty_rbr_reads_last_byte)
{
	host_send(r, "q", 1);
	CHECK_EQ(rd(r, UART_RX), 'q');
	CHECK_EQ(rd(r, UART_RX), 'q');
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

UART_TEST(can_receive_reports_free_space)
{
	CHECK_EQ(host_room(r), 1);
	host_send(r, "a", 1);
	CHECK_EQ(host_room(r), 0);
	wr(r, UART_FCR, 0x01);
	CHECK_EQ(host_room(r), 16);
	host_send_seq(r, 5);
	CHECK_EQ(host_room(r), 11);
	wr(r, UART_MCR, 0x10);
	CHECK_EQ(host_room(r), 0);
	wr(r, UART_MCR, 0x00);
	CHECK_EQ(host_room(r), 11);
}

UART_TEST(fifo_holds_sixteen_bytes_in_order)
{
	fifo_fill(r, 16);
	CHECK_EQ(host_room(r), 0);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	check_rx_seq(r, 16);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

UART_TEST(fifo_overrun_at_seventeenth_byte)
{
	fifo_fill(r, 16);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	host_send(r, "\x10", 1);
	CHECK_EQ(rd(r, UART_LSR), 0x63);
	check_rx_seq(r, 16);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

static void check_trigger(uint8_t fcr, unsigned int level)
{
	struct rig *r = rig_new();

	wr(r, UART_FCR, fcr);
	wr(r, UART_IER, 0x01);
	host_send_seq(r, level - 1);
	CHECK_EQ(rd(r, UART_IIR), level > 1 ? 0xcc : 0xc1);
	host_send(r, "z", 1);
	CHECK_EQ(rd(r, UART_IIR), 0xc4);
	rig_free(r);
}

TEST(fifo_trigger_levels_1_4_8_14)
{
	check_trigger(0x01, 1);
	check_trigger(0x41, 4);
	check_trigger(0x81, 8);
	check_trigger(0xc1, 14);
}

UART_TEST(timeout_reported_below_trigger)
{
	wr(r, UART_MCR, 0x08);
	wr(r, UART_FCR, 0xc1);
	wr(r, UART_IER, 0x01);
	host_send_seq(r, 3);
	CHECK_EQ(rd(r, UART_IIR), 0xcc);
	CHECK_EQ(r->level, 1);
	check_rx_seq(r, 3);
	CHECK_EQ(rd(r, UART_IIR), 0xc1);
	CHECK_EQ(r->level, 0);
}

UART_TEST(draining_below_trigger_turns_rx_data_into_timeout)
{
	wr(r, UART_FCR, 0x41);
	wr(r, UART_IER, 0x01);
	host_send_seq(r, 5);
	CHECK_EQ(rd(r, UART_IIR), 0xc4);
	rd(r, UART_RX);
	CHECK_EQ(rd(r, UART_IIR), 0xc4);
	rd(r, UART_RX);
	CHECK_EQ(rd(r, UART_IIR), 0xcc);
}

UART_TEST(no_timeout_without_fifo)
{
	wr(r, UART_IER, 0x01);
	host_send(r, "a", 1);
	CHECK_EQ(rd(r, UART_IIR), 0x04);
}

UART_TEST(fcr_clears_rx_fifo)
{
	fifo_fill(r, 5);
	wr(r, UART_FCR, 0x05);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	wr(r, UART_FCR, 0x03);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	CHECK_EQ(host_room(r), 16);
	host_send(r, "n", 1);
	CHECK_EQ(rd(r, UART_RX), 'n');
}

UART_TEST(fcr_bits_need_fifo_enable)
{
	host_send(r, "a", 1);
	wr(r, UART_FCR, 0xc2);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
	CHECK_EQ(host_room(r), 0);
}

UART_TEST(switching_fifo_mode_empties_receiver)
{
	host_send(r, "a", 1);
	wr(r, UART_FCR, 0x01);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	host_send_seq(r, 3);
	wr(r, UART_FCR, 0x00);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
	CHECK_EQ(host_room(r), 1);
}

/* Linux tells a 16550A by IIR bits 6-7, and a 16750 by bit 5. */
UART_TEST(iir_fifo_bits)
{
	static const struct write_read fcr_iir[] = {
		{ 0x01, 0xc1 },
		{ 0x21, 0xc1 },
		{ 0x00, 0x01 },
	};

	check_write_read(r, UART_FCR, UART_IIR, 0xff, fcr_iir,
			 ARRAY_SIZE(fcr_iir));
}

UART_TEST(line_status_interrupt_outranks_rx_data)
{
	irq_enable(r, 0x05);
	host_send(r, "ab", 2);
	CHECK_EQ(rd(r, UART_IIR), 0x06);
	CHECK_EQ(r->level, 1);
	CHECK_EQ(rd(r, UART_LSR), 0x63);
	CHECK_EQ(rd(r, UART_IIR), 0x04);
	CHECK_EQ(r->level, 1);
	CHECK_EQ(rd(r, UART_RX), 'b');
	CHECK_EQ(rd(r, UART_IIR), 0x01);
	CHECK_EQ(r->level, 0);
}

UART_TEST(line_status_interrupt_needs_ier_bit2)
{
	wr(r, UART_IER, 0x01);
	host_send(r, "ab", 2);
	CHECK_EQ(rd(r, UART_IIR), 0x04);
	wr(r, UART_IER, 0x04);
	CHECK_EQ(rd(r, UART_IIR), 0x06);
}

/*
 * All four sources at once, in loopback (the only way to move MSR):
 * each shows in turn as the one above it is served.
 */
UART_TEST(interrupt_priority_order)
{
	wr(r, UART_MCR, 0x10);
	wr(r, UART_TX, 'a');
	wr(r, UART_TX, 'b');
	wr(r, UART_IER, 0x0f);
	CHECK_EQ(rd(r, UART_IIR), 0x06);
	CHECK_EQ(rd(r, UART_IIR), 0x06);
	CHECK_EQ(rd(r, UART_LSR), 0x63);
	CHECK_EQ(rd(r, UART_IIR), 0x04);
	CHECK_EQ(rd(r, UART_IIR), 0x04);
	CHECK_EQ(rd(r, UART_RX), 'b');
	CHECK_EQ(rd(r, UART_IIR), 0x02);
	CHECK_EQ(rd(r, UART_IIR), 0x00);
	CHECK_EQ(rd(r, UART_MSR), 0x0b);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
}

UART_TEST(loopback_sends_tx_to_rx)
{
	wr(r, UART_MCR, 0x10);
	wr(r, UART_TX, 'z');
	CHECK_EQ(r->fc.nout, 0);
	CHECK_EQ(rd(r, UART_LSR), 0x61);
	CHECK_EQ(rd(r, UART_RX), 'z');
	wr(r, UART_MCR, 0x00);
	wr(r, UART_TX, 'y');
	CHECK_EQ(r->fc.nout, 1);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

UART_TEST(loopback_overruns_full_fifo)
{
	unsigned int i;

	wr(r, UART_FCR, 0x01);
	wr(r, UART_MCR, 0x10);
	for (i = 0; i < 17; i++)
		wr(r, UART_TX, i);
	CHECK_EQ(rd(r, UART_LSR), 0x63);
	check_rx_seq(r, 16);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

UART_TEST(loopback_ignores_host_input)
{
	wr(r, UART_MCR, 0x10);
	host_send(r, "h", 1);
	CHECK_EQ(rd(r, UART_LSR), 0x60);
}

UART_TEST(loopback_maps_mcr_to_msr)
{
	static const struct write_read mcr_msr[] = {
		{ 0x11, 0x20 },
		{ 0x12, 0x10 },
		{ 0x14, 0x40 },
		{ 0x18, 0x80 },
		/* Linux's autoconfig loopback check wants exactly DCD|CTS. */
		{ 0x1a, 0x90 },
		{ 0x00, 0xb0 },
	};

	check_write_read(r, UART_MCR, UART_MSR, 0xf0, mcr_msr,
			 ARRAY_SIZE(mcr_msr));
}

UART_TEST(modem_status_deltas)
{
	static const struct write_read mcr_msr[] = {
		{ 0x1f, 0xfb },
		{ 0x1b, 0xb4 },
		{ 0x1f, 0xf0 },
		{ 0x0f, 0xb4 },
		{ 0x00, 0xb0 },
	};

	wr(r, UART_MCR, 0x10);
	CHECK_EQ(rd(r, UART_MSR), 0x0b);
	CHECK_EQ(rd(r, UART_MSR), 0x00);
	check_write_read(r, UART_MCR, UART_MSR, 0xff, mcr_msr,
			 ARRAY_SIZE(mcr_msr));
}

UART_TEST(modem_status_interrupt_cleared_by_msr_read)
{
	wr(r, UART_IER, 0x08);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
	wr(r, UART_MCR, 0x13);
	CHECK_EQ(rd(r, UART_IIR), 0x00);
	CHECK_EQ(rd(r, UART_IIR), 0x00);
	CHECK_EQ(rd(r, UART_MSR), 0x38);
	CHECK_EQ(rd(r, UART_IIR), 0x01);
}

UART_TEST(loopback_holds_irq_low)
{
	static const struct write_read mcr_level[] = {
		{ 0x08, 1 },
		{ 0x18, 0 },
	};

	wr(r, UART_MCR, 0x18);
	check_thre_irq_after_mcr(r, mcr_level, ARRAY_SIZE(mcr_level));
}

/* Linux's autoconfig_irq: DTR|RTS|OUT2, all interrupts on, a THR write. */
UART_TEST(linux_irq_probe_sees_irq)
{
	wr(r, UART_MCR, 0x0b);
	wr(r, UART_IER, 0x0f);
	rd(r, UART_LSR);
	rd(r, UART_RX);
	rd(r, UART_IIR);
	rd(r, UART_MSR);
	CHECK_EQ(r->level, 0);
	wr(r, UART_TX, 0xff);
	CHECK_EQ(r->level, 1);
}

UART_TEST(accept_input_when_rbr_read_frees_space)
{
	CHECK_EQ(host_room(r), 1);
	host_send(r, "a", 1);
	CHECK_EQ(host_room(r), 0);
	CHECK_EQ(r->fc.accepts, 0);
	CHECK_EQ(rd(r, UART_RX), 'a');
	CHECK_EQ(r->fc.accepts, 1);
	rd(r, UART_RX);
	CHECK_EQ(r->fc.accepts, 1);
}

UART_TEST(accept_input_only_after_host_was_stopped)
{
	fifo_fill(r, 4);
	CHECK_EQ(host_room(r), 12);
	rd(r, UART_RX);
	CHECK_EQ(r->fc.accepts, 0);
}

UART_TEST(accept_input_after_leaving_loopback)
{
	wr(r, UART_MCR, 0x10);
	CHECK_EQ(host_room(r), 0);
	wr(r, UART_MCR, 0x11);
	CHECK_EQ(r->fc.accepts, 0);
	wr(r, UART_MCR, 0x01);
	CHECK_EQ(r->fc.accepts, 1);
	CHECK_EQ(host_room(r), 1);
}

UART_TEST(accept_input_after_fifo_clear)
{
	fifo_fill(r, 16);
	CHECK_EQ(host_room(r), 0);
	wr(r, UART_FCR, 0x03);
	CHECK_EQ(r->fc.accepts, 1);
}

UART_TEST(wide_access_uses_low_byte)
{
	uint32_t val = 0x12345678;
	uint64_t wide = ~0ULL;

	uart_io(r->uart, UART_SCR, &val, 4, true);
	CHECK_EQ(rd(r, UART_SCR), 0x78);
	uart_io(r->uart, UART_SCR, &wide, 8, false);
	CHECK_EQ(wide, 0x78);
}

UART_TEST(out_of_range_access_is_harmless)
{
	uint32_t val = 0;
	uint8_t byte = 0x42;

	wr(r, UART_SCR, 0x11);
	uart_io(r->uart, UART_NR_REGS, &byte, 1, true);
	uart_io(r->uart, ~0ULL, &byte, 1, true);
	uart_io(r->uart, UART_SCR, &byte, 0, true);
	CHECK_EQ(rd(r, UART_SCR), 0x11);
	uart_io(r->uart, UART_NR_REGS + 7, &val, 4, false);
	CHECK_EQ(val, 0xffffffff);
	uart_io(r->uart, UART_SCR, &byte, 0, false);
	CHECK_EQ(byte, 0x42);
}

static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1103515245 + 12345;
	return *state >> 8;
}

/*
 * Whatever the guest and host do, IIR and LSR stay well formed and the
 * IRQ line matches IIR, MCR.OUT2 and loopback.
 */
UART_TEST(random_accesses_keep_invariants)
{
	uint32_t seed = 1;
	unsigned char buf[24];
	int i, bad = 0;

	for (i = 0; i < 200000 && !bad; i++) {
		uint32_t op = lcg(&seed);
		uint8_t mcr, iir;
		int level;

		if (op % 16 == 0) {
			memset(buf, op >> 8, sizeof(buf));
			host_send(r, buf, (op >> 4) % sizeof(buf));
		} else if (op % 1024 == 1) {
			uart_reset(r->uart);
		} else if (op & 0x10) {
			wr(r, (op >> 5) % UART_NR_REGS, op >> 8);
		} else {
			rd(r, (op >> 5) % UART_NR_REGS);
		}
		level = r->level;
		mcr = rd(r, UART_MCR);
		iir = rd(r, UART_IIR);
		bad |= (iir & 0x30) != 0;
		bad |= (iir & 0xc0) != 0 && (iir & 0xc0) != 0xc0;
		bad |= (rd(r, UART_LSR) & 0x60) != 0x60;
		bad |= host_room(r) > 16;
		bad |= level != (!(iir & 1) && (mcr & 0x18) == 0x08);
	}
	CHECK_EQ(bad, 0);
}

#define STRESS_IN	100000
#define STRESS_OUT	20000

struct stress {
	struct rig *r;
	int stuck;
};

/* The I/O thread: sends only what can_receive allows, then waits. */
static void *stress_host(void *opaque)
{
	struct stress *s = opaque;
	struct fake_chr *fc = &s->r->fc;
	unsigned char buf[16];
	unsigned int sent = 0, i;
	struct timespec deadline;
	size_t room;
	int seen;

	while (sent < STRESS_IN) {
		pthread_mutex_lock(&fc->lock);
		seen = fc->accepts;
		pthread_mutex_unlock(&fc->lock);
		room = host_room(s->r);
		if (!room) {
			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_sec += 5;
			pthread_mutex_lock(&fc->lock);
			while (fc->accepts == seen && !s->stuck)
				s->stuck = pthread_cond_timedwait(&fc->resumed,
						&fc->lock, &deadline) != 0;
			pthread_mutex_unlock(&fc->lock);
			if (s->stuck)
				return NULL;
			continue;
		}
		if (room > sizeof(buf))
			room = sizeof(buf);
		if (room > STRESS_IN - sent)
			room = STRESS_IN - sent;
		for (i = 0; i < room; i++)
			buf[i] = sent + i;
		host_send(s->r, buf, room);
		sent += room;
	}
	return NULL;
}

/*
 * A vCPU draining input and sending output against an I/O thread that
 * obeys can_receive(): no byte is lost, none overruns, input never stalls.
 */
UART_TEST(concurrent_io_and_host_input_lose_nothing)
{
	struct stress s = { .r = r };
	unsigned int got = 0, sent = 0, errors = 0;
	pthread_t host;
	time_t start = time(NULL);
	uint8_t lsr;

	wr(s.r, UART_FCR, 0x01);
	pthread_create(&host, NULL, stress_host, &s);
	while (got < STRESS_IN && time(NULL) - start < 10) {
		lsr = rd(s.r, UART_LSR);
		errors += (lsr & 0x02) != 0;
		if (lsr & 0x01)
			errors += rd(s.r, UART_RX) != (uint8_t)got++;
		if (sent < STRESS_OUT)
			wr(s.r, UART_TX, sent++);
	}
	pthread_join(host, NULL);
	CHECK_EQ(s.stuck, 0);
	CHECK_EQ(got, STRESS_IN);
	CHECK_EQ(errors, 0);
	CHECK_EQ(s.r->fc.nout, sent);
	CHECK_EQ(s.r->fc.out[sizeof(s.r->fc.out) - 1],
		 (sizeof(s.r->fc.out) - 1) & 0xff);
}

int main(void)
{
	RUN(power_on_state);
	RUN(reset_restores_power_on_state);
	RUN(dlab_switches_offsets_0_1_to_divisor);
	RUN(lcr_reads_back);
	RUN(scratch_register_holds_a_byte);
	RUN(ier_and_mcr_keep_only_their_bits);
	RUN(read_only_registers_ignore_writes);
	RUN(thr_write_reaches_chardev);
	RUN(thr_write_sends_whole_byte_whatever_word_length);
	RUN(no_chardev_discards_output);
	RUN(thre_interrupt_on_enable_cleared_by_iir_read);
	RUN(thre_interrupt_after_thr_write);
	RUN(thre_interrupt_only_on_newly_enabled_ier_bit);
	RUN(irq_gated_by_out2);
	RUN(irq_driven_only_on_change);
	RUN(rx_byte_without_fifo);
	RUN(rx_overrun_replaces_holding_register);
	RUN(empty_rbr_reads_last_byte);
	RUN(can_receive_reports_free_space);
	RUN(fifo_holds_sixteen_bytes_in_order);
	RUN(fifo_overrun_at_seventeenth_byte);
	RUN(fifo_trigger_levels_1_4_8_14);
	RUN(timeout_reported_below_trigger);
	RUN(draining_below_trigger_turns_rx_data_into_timeout);
	RUN(no_timeout_without_fifo);
	RUN(fcr_clears_rx_fifo);
	RUN(fcr_bits_need_fifo_enable);
	RUN(switching_fifo_mode_empties_receiver);
	RUN(iir_fifo_bits);
	RUN(line_status_interrupt_outranks_rx_data);
	RUN(line_status_interrupt_needs_ier_bit2);
	RUN(interrupt_priority_order);
	RUN(loopback_sends_tx_to_rx);
	RUN(loopback_overruns_full_fifo);
	RUN(loopback_ignores_host_input);
	RUN(loopback_maps_mcr_to_msr);
	RUN(modem_status_deltas);
	RUN(modem_status_interrupt_cleared_by_msr_read);
	RUN(loopback_holds_irq_low);
	RUN(linux_irq_probe_sees_irq);
	RUN(accept_input_when_rbr_read_frees_space);
	RUN(accept_input_only_after_host_was_stopped);
	RUN(accept_input_after_leaving_loopback);
	RUN(accept_input_after_fifo_clear);
	RUN(wide_access_uses_low_byte);
	RUN(out_of_range_access_is_harmless);
	RUN(random_accesses_keep_invariants);
	RUN(concurrent_io_and_host_input_lose_nothing);
	return check_summary();
}
