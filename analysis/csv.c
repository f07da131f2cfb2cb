/* csv: the cells of swarmlab's CSV files (see csv.h). */
#include "csv.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "base/json.h"

void csv_put_text(FILE *out, const char *text) {
    if (text == NULL) return;
    if (strpbrk(text, ",\"\r\n") == NULL) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void csv_put_real(FILE *out, double value) {
    if (!isfinite(value)) return;
    char text[JSON_REAL_TEXT_MAX];
    json_real_text(value, text);
    fputs(text, out);
}

void csv_put_real_digits(FILE *out, double value, int digits) {
    assert(digits > 0);
    if (isfinite(value)) fprintf(out, "%.*g", digits, value);
}

int csv_close(FILE *out) {
    bool failed = ferror(out) != 0;
    int saved = errno;
    if (fclose(out) != 0) return -1;
    if (!failed) return 0;
    errno = saved != 0 ? saved : EIO;
    return -1;
}
