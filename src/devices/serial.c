// SPDX-License-Identifier: MIT
/*
 * A 16550A UART as a PC sees it at COM1-COM4.
 *
 * Transmission takes no time: a byte written to THR reaches the host (or,
 * in loopback, the receiver) before the write returns, so the transmitter
 * is always empty and LSR.THRE and LSR.TEMT always read as set.  The
 * receiver holds one byte, or sixteen with the FIFOs enabled.
 *
 * Registers are reached from vCPU threads and host input from the I/O
 * thread, so all state sits under @lock.  The chardev is never called with
 * @lock held: a backend may hold its own lock while it calls our frontend,
 * which calling the backend from under our lock would invert, and output
 * to the host may block, which must not hold up host input meanwhile.
 */
#include <linux/serial_reg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlite/chardev.h"
#include "kvmlite/serial.h"

#define UART_FIFO_SIZE		16
/* IIR bits 6-7 both read as 1 while the FIFOs are enabled. */
#define UART_IIR_FIFOS		0xc0
/* The IER and MCR bits a 16550A has; the others read as 0. */
#define UART_IER_MASK		0x0f
#define UART_MCR_MASK		0x1f
/* 115200 / 12: 9600 baud from the PC's 1.8432 MHz clock. */
#define UART_RESET_DIVISOR	12
#define UART_MSR_LINES		0xf0
/* Outside loopback the port looks cabled to a ready peer. */
#define UART_MSR_CONNECTED	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

struct uart {
	pthread_mutex_t lock;
	struct irq_line irq;
	struct chardev *chr;
	int irq_level;		/* as last driven onto @irq */
	bool rx_stalled;	/* can_receive said 0: resume the host later */

	uint8_t dll, dlm, ier, fcr, lcr, mcr, msr, scr;
	uint8_t lsr_errors;	/* until LSR is read; only OE arises here */
	bool thre_pending;	/* THRE interrupt, until IIR reports it */
	uint8_t rbr;		/* last byte read; an empty RBR gives it */
	uint8_t rx_fifo[UART_FIFO_SIZE];
	unsigned int rx_head;
	unsigned int rx_count;
};

static unsigned int uart_rx_capacity(const struct uart *u)
{
	return (u->fcr & UART_FCR_ENABLE_FIFO) ? UART_FIFO_SIZE : 1;
}

/* In loopback the receiver hears the transmitter only, never the host. */
static unsigned int uart_rx_room(const struct uart *u)
{
	if (u->mcr & UART_MCR_LOOP)
		return 0;
	return uart_rx_capacity(u) - u->rx_count;
}

static void uart_rx_clear(struct uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/*
 * A byte arriving with no room is an overrun.  Without FIFOs it replaces
 * the unread byte in the holding register; with them it is lost and the
 * FIFO keeps what it had.
 */
static void uart_rx_push(struct uart *u, uint8_t byte)
{
	if (u->rx_count == uart_rx_capacity(u)) {
		u->lsr_errors |= UART_LSR_OE;
		if (!(u->fcr & UART_FCR_ENABLE_FIFO))
			u->rx_fifo[u->rx_head] = byte;
		return;
	}
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx_fifo[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
	}
	return u->rbr;
}

/*
 * The receiver interrupt: "data available" once the FIFO reaches its
 * trigger level, else "character timeout" while anything is left in it.
 * Hardware signals the timeout after four character times without FIFO
 * activity.  The model has no line clock, and host input arrives in whole
 * bursts, so by the time the guest looks the line is as idle as it will
 * be: the timeout is reported as soon as data sits below the trigger.
 * Waiting would only delay bytes the guest can already read.
 */
static uint8_t uart_rx_iir_id(const struct uart *u)
{
	static const unsigned int trigger[] = { 1, 4, 8, 14 };

	if (!(u->fcr & UART_FCR_ENABLE_FIFO) ||
	    u->rx_count >= trigger[u->fcr >> UART_FCR_R_TRIG_SHIFT])
		return UART_IIR_RDI;
	return UART_IIR_RX_TIMEOUT;
}

/* The pending interrupt of highest priority, as IIR bits 0-3. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && u->lsr_errors)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return uart_rx_iir_id(u);
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_ANY_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/*
 * On a PC the UART's interrupt pin reaches the ISA bus through a buffer
 * that the OUT2 pin enables, which is why drivers set MCR.OUT2.  Loopback
 * forces the modem control pins inactive (OUT2 only feeds DCD inside the
 * chip), so the buffer is off and the IRQ stays low, while IIR still shows
 * what is pending to a driver that polls.  Linux probes the IRQ outside
 * loopback (DTR|RTS|OUT2 and a THRE interrupt) and uses loopback only for
 * its polled MSR check, so this matches what it expects.
 */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir_id(u) != UART_IIR_NO_INT &&
		    (u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;

	if (level != u->irq_level) {
		u->irq_level = level;
		irq_line_set(&u->irq, level);
	}
}

/* In loopback the modem inputs follow the modem outputs in MCR. */
static uint8_t uart_msr_lines(const struct uart *u)
{
	uint8_t lines = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_CONNECTED;
	if (u->mcr & UART_MCR_DTR)
		lines |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_RTS)
		lines |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_OUT1)
		lines |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		lines |= UART_MSR_DCD;
	return lines;
}

/*
 * Latches a delta bit, four bits below its line, for each line that
 * changed; RI only flags its trailing edge (ringing stopped).
 */
static void uart_update_msr(struct uart *u)
{
	uint8_t lines = uart_msr_lines(u);
	uint8_t delta = ((u->msr ^ lines) & UART_MSR_LINES) >> 4;

	if (lines & UART_MSR_RI)
		delta &= ~UART_MSR_TERI;
	u->msr = lines | (u->msr & UART_MSR_ANY_DELTA) | delta;
}

static uint8_t uart_read_iir(struct uart *u)
{
	uint8_t id = uart_iir_id(u);

	if (id == UART_IIR_THRI)
		u->thre_pending = false;
	if (u->fcr & UART_FCR_ENABLE_FIFO)
		id |= UART_IIR_FIFOS;
	return id;
}

static uint8_t uart_read_lsr(struct uart *u)
{
	uint8_t lsr = u->lsr_errors | UART_LSR_THRE | UART_LSR_TEMT;

	if (u->rx_count)
		lsr |= UART_LSR_DR;
	u->lsr_errors = 0;
	return lsr;
}

static uint8_t uart_read_msr(struct uart *u)
{
	uint8_t msr = u->msr;

	u->msr &= ~UART_MSR_ANY_DELTA;
	return msr;
}

static uint8_t uart_reg_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_RX:
		return dlab ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		return uart_read_msr(u);
	default:	/* UART_SCR */
		return u->scr;
	}
}

/*
 * The whole byte goes out whatever word length LCR sets: the host side is
 * a byte stream, and guests that never program LCR (reset: 5-bit words)
 * still expect readable output.  Returns the byte for the host, or -1.
 */
static int uart_write_thr(struct uart *u, uint8_t val)
{
	u->thre_pending = true;
	if (u->mcr & UART_MCR_LOOP) {
		uart_rx_push(u, val);
		return -1;
	}
	return val;
}

/*
 * Enabling the THRE interrupt while THR is empty raises it at once, as a
 * real 16550 does; Linux's start-up test relies on it (UART_BUG_TXEN).
 */
static void uart_write_ier(struct uart *u, uint8_t val)
{
	val &= UART_IER_MASK;
	if (val & ~u->ier & UART_IER_THRI)
		u->thre_pending = true;
	u->ier = val;
}

/*
 * The other FCR bits only take with bit 0 set; switching the FIFOs on or
 * off empties them.  The transmit FIFO is always empty here, so clearing
 * it does nothing, and DMA mode has no DMA to drive.
 */
static void uart_write_fcr(struct uart *u, uint8_t val)
{
	if ((val ^ u->fcr) & UART_FCR_ENABLE_FIFO)
		uart_rx_clear(u);
	if (!(val & UART_FCR_ENABLE_FIFO)) {
		u->fcr = 0;
		return;
	}
	if (val & UART_FCR_CLEAR_RCVR)
		uart_rx_clear(u);
	u->fcr = val & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK);
}

/*
 * LCR is stored for the guest to read back; break and framing have no
 * meaning on a byte stream.  Writes to the read-only LSR and MSR are
 * dropped.  Returns the byte for the host, or -1.
 */
static int uart_reg_write(struct uart *u, unsigned int reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (!dlab)
			return uart_write_thr(u, val);
		u->dll = val;
		break;
	case UART_IER:
		if (dlab)
			u->dlm = val;
		else
			uart_write_ier(u, val);
		break;
	case UART_FCR:
		uart_write_fcr(u, val);
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & UART_MCR_MASK;
		uart_update_msr(u);
		break;
	case UART_SCR:
		u->scr = val;
		break;
	}
	return -1;
}

/*
 * True once there is room again after can_receive() reported none: the
 * caller then resumes host input, after dropping @lock.  The stall stays
 * noted until then even if a later can_receive() found room: a redundant
 * resume costs nothing, a missed one stops host input for good.
 */
static bool uart_take_resume(struct uart *u)
{
	if (!u->rx_stalled || !uart_rx_room(u))
		return false;
	u->rx_stalled = false;
	return true;
}

void uart_io(void *opaque, uint64_t offset, void *data, uint32_t len,
	     bool is_write)
{
	struct uart *u = opaque;
	uint8_t *bytes = data;
	int out = -1;
	uint8_t byte;
	bool resume;

	if (!len)
		return;
	if (offset >= UART_NR_REGS) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}

	pthread_mutex_lock(&u->lock);
	if (is_write) {
		out = uart_reg_write(u, offset, bytes[0]);
	} else {
		memset(data, 0, len);
		bytes[0] = uart_reg_read(u, offset);
	}
	uart_update_irq(u);
	resume = uart_take_resume(u);
	pthread_mutex_unlock(&u->lock);

	/* A byte the backend cannot take is lost, as on an unwatched line. */
	if (out >= 0 && u->chr) {
		byte = out;
		chardev_write(u->chr, &byte, 1);
	}
	if (resume)
		chardev_accept_input(u->chr);
}

static size_t uart_can_receive(void *opaque)
{
	struct uart *u = opaque;
	unsigned int room;

	pthread_mutex_lock(&u->lock);
	room = uart_rx_room(u);
	if (!room)
		u->rx_stalled = true;
	pthread_mutex_unlock(&u->lock);
	return room;
}

static void uart_receive(void *opaque, const unsigned char *buf, size_t len)
{
	struct uart *u = opaque;
	size_t i;

	pthread_mutex_lock(&u->lock);
	if (!(u->mcr & UART_MCR_LOOP)) {
		for (i = 0; i < len; i++)
			uart_rx_push(u, buf[i]);
		uart_update_irq(u);
	}
	pthread_mutex_unlock(&u->lock);
}

/* Leaves the lock, the wiring and the host input handshake alone. */
static void uart_reset_regs(struct uart *u)
{
	u->dll = UART_RESET_DIVISOR;
	u->dlm = 0;
	u->ier = 0;
	u->fcr = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->msr = UART_MSR_CONNECTED;
	u->scr = 0;
	u->lsr_errors = 0;
	u->thre_pending = false;
	u->rbr = 0;
	uart_rx_clear(u);
}

void uart_reset(struct uart *u)
{
	bool resume;

	pthread_mutex_lock(&u->lock);
	uart_reset_regs(u);
	u->irq_level = 0;
	irq_line_set(&u->irq, 0);
	resume = uart_take_resume(u);
	pthread_mutex_unlock(&u->lock);
	if (resume)
		chardev_accept_input(u->chr);
}

const struct uart_port uart_pc_ports[UART_PC_PORTS] = {
	{ UART_COM1_BASE, UART_COM1_IRQ }, { UART_COM2_BASE, UART_COM2_IRQ },
	{ 0x3e8, 4 }, { 0x2e8, 3 },
};

struct uart *uart_new(const struct irq_line *irq, struct chardev *chr)
{
	struct uart *u = calloc(1, sizeof(*u));
	struct chardev_frontend fe = {
		.can_receive = uart_can_receive,
		.receive = uart_receive,
		.opaque = u,
	};

	if (!u)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	u->irq = *irq;
	u->chr = chr;
	uart_reset_regs(u);
	if (chr)
		chardev_attach(chr, &fe);
	return u;
}

void uart_free(struct uart *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->lock);
	free(u);
}
