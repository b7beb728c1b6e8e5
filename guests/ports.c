// SPDX-License-Identifier: MIT
/*
 * Checks the port bus where no device claims a port: reads of every width
 * return all ones, before and after a write there, and writes to the POST
 * port 0x80 go through without ending the VM.
 */
#include "guest.h"

#define UNCLAIMED_PORT	0x1234
#define POST_PORT	0x80
#define READ_ROUNDS	3

int guest_main(const struct boot_info *bi)
{
	static const unsigned int widths[] = { 1, 2, 4 };
	unsigned int round, i;
	uint32_t val, ones;

	(void)bi;
	for (round = 0; round < READ_ROUNDS; round++) {
		for (i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
			val = in_sized(UNCLAIMED_PORT, widths[i]);
			ones = ~0U >> (32 - 8 * widths[i]);
			if (val != ones) {
				printf("ports: MISMATCH round %u: %u-byte read "
				       "of port 0x%x gave 0x%x, expected 0x%x\n",
				       round, widths[i], UNCLAIMED_PORT, val,
				       ones);
				return 1;
			}
		}
		/* Nothing may latch what is written to an unclaimed port. */
		outl(UNCLAIMED_PORT, 0);
	}
	outb(POST_PORT, 0x55);
	printf("ports: unclaimed reads all ones\n");
	return 0;
}
