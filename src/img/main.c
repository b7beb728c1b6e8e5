// SPDX-License-Identifier: MIT
/* The kvmlite-img binary. */
#include "kvmlite/img.h"

int main(int argc, char **argv)
{
	return img_main(argc, argv);
}
