/* SPDX-License-Identifier: MIT */
#ifndef KVMLITE_IMG_H
#define KVMLITE_IMG_H

/* kvmlite-img, qemu-img's work-alike: the whole program, for main(). */
int img_main(int argc, char **argv);

#endif
