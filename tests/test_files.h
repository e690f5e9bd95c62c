/*
 * The tests' file reading: a whole file into memory, NUL-terminated.
 * Include after <cmocka.h>: what must not fail once the file is open is
 * asserted.
 */
#ifndef TEESHM_TESTS_TEST_FILES_H
#define TEESHM_TESTS_TEST_FILES_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* The bytes of path and, when len_out is not NULL, their count; NULL if it cannot be opened. */
static inline char *test_read_file(const char *path, size_t *len_out)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long len;

	if (!fp)
		return NULL;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	if (len_out)
		*len_out = (size_t)len;
	return buf;
}

/* A little-endian u64 as stored in a dump's tables.bin (and by the MMU). */
static inline uint64_t test_le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#endif
