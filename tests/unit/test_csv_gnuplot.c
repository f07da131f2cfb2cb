/*
 * test_csv_gnuplot: the CSV cells (analysis/csv.h) and gnuplot strings
 * (analysis/gnuplot.h) every output writes, byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "gnuplot.h"

#define TEXT_MAX 256

/* What fn writes for text, as a NUL-terminated text. */
static const char *written(void (*fn)(FILE *, const char *), const char *text) {
    static char out[TEXT_MAX];
    memset(out, 0, sizeof out);
    FILE *f = fmemopen(out, sizeof out, "w");
    assert_non_null(f);
    fn(f, text);
    fclose(f);
    return out;
}

static void csv_text_without_separators_is_written_as_it_is(void **state) {
    (void)state;
    assert_string_equal(written(csv_put_text, "blocks 1"), "blocks 1");
    assert_string_equal(written(csv_put_text, NULL), "");
}

static void csv_text_with_a_comma_quote_or_line_break_is_quoted(void **state) {
    (void)state;
    assert_string_equal(written(csv_put_text, "a,b"), "\"a,b\"");
    assert_string_equal(written(csv_put_text, "say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(written(csv_put_text, "two\nlines\r"), "\"two\nlines\r\"");
}

static void csv_reals_are_shortest_or_given_digits_and_empty_when_not_finite(void **state) {
    (void)state;
    char out[TEXT_MAX] = {0};
    FILE *f = fmemopen(out, sizeof out, "w");
    assert_non_null(f);
    csv_put_real(f, 0.1);
    fputc(',', f);
    csv_put_real(f, NAN);
    fputc(',', f);
    csv_put_real_digits(f, 1.0 / 3.0, 9);
    fputc(',', f);
    csv_put_real_digits(f, INFINITY, 9);
    fclose(f);
    assert_string_equal(out, "0.1,,0.333333333,");
}

static void gnuplot_strings_double_the_quote_and_turn_control_bytes_into_spaces(void **state) {
    (void)state;
    assert_string_equal(written(gnuplot_put_quoted, "it's"), "'it''s'");
    assert_string_equal(written(gnuplot_put_quoted, "a\nb\tc\"d\\e"), "'a b c\"d\\e'");
    assert_string_equal(written(gnuplot_put_quoted, ""), "''");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(csv_text_without_separators_is_written_as_it_is),
        cmocka_unit_test(csv_text_with_a_comma_quote_or_line_break_is_quoted),
        cmocka_unit_test(csv_reals_are_shortest_or_given_digits_and_empty_when_not_finite),
        cmocka_unit_test(gnuplot_strings_double_the_quote_and_turn_control_bytes_into_spaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
