#ifndef MOTCHAM_FUZZ_H
#define MOTCHAM_FUZZ_H

/* Shared by the libFuzzer targets and replay.c, which feeds saved inputs to the same
 * entry point in ordinary builds. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* A broken property is a crash: libFuzzer saves the input, replay fails the test. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property does not hold: %s\n", __FILE__, __LINE__, \
				#cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
