/*
 * Real radio bytes through the C ABI: the LE advertising reports carrying GAEN (0xFD6F) that
 * Samsung phones logged in DP-3T experiment 34, as the 62-byte scan records Android hands an
 * app, one tracer per receiving phone. Every report must be recorded
 * (PT_EVENT_RECORDED), and the recorded reports per transmitter must equal what a plain
 * second reading of the same log counts.
 *
 * Input: the record file of the btsnoop_records example (PT_BTSNOOP_RECORDS; tests/c/run.sh
 * makes it from ../shared/fielddata, never copied into the project). Without it: a notice,
 * exit 0.
 */
#define _DEFAULT_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxtrace.h"

static int failures = 0;
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fprintf(stderr, "\n");                                          \
            failures++;                                                     \
        }                                                                   \
    } while (0)

/* Recorded reports per transmitter: an open-addressing table of 14-hex-digit keys. */
#define SLOTS 8192
typedef struct {
    char key[15];
    uint64_t recorded;
    int used;
} slot;
static slot table[SLOTS];

static slot *lookup(const char *key) {
    uint64_t h = 1469598103934665603ull;
    for (const char *p = key; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
    for (size_t i = 0; i < SLOTS; i++) {
        slot *s = &table[(h + i) % SLOTS];
        if (!s->used) {
            s->used = 1;
            snprintf(s->key, sizeof s->key, "%s", key);
            return s;
        }
        if (strcmp(s->key, key) == 0) return s;
    }
    return NULL;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

typedef struct {
    char name[64];
    char dir[64];
    pt_tracer *t;
    uint64_t next, reports, recorded, transmitters, expected_total;
} phone;

static void finish(phone *p) {
    if (!p->t) return;
    CHECK(pt_tracer_close(p->t) == PT_OK, "close %s", p->name);
    p->t = NULL;
    size_t n = 0;
    for (size_t i = 0; i < SLOTS; i++) n += table[i].used && table[i].recorded > 0;
    CHECK(n == p->transmitters, "%s: %zu transmitters recorded, the plain reading finds %" PRIu64,
          p->name, n, p->transmitters);
    CHECK(p->recorded == p->reports && p->expected_total == p->reports,
          "%s: %" PRIu64 " of %" PRIu64 " reports recorded, %" PRIu64 " expected", p->name,
          p->recorded, p->reports, p->expected_total);
    printf("btsnoop %s: %" PRIu64 " GAEN scan records from %" PRIu64 " transmitters, all recorded\n",
           p->name, p->recorded, p->transmitters);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
    if (system(cmd) != 0) failures++;
    memset(table, 0, sizeof table);
}

int main(void) {
    const char *path = getenv("PT_BTSNOOP_RECORDS");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) {
        fprintf(stderr, "skipping: no btsnoop record file (../shared/fielddata/dp3t-exp34/btsnoop not found; "
                        "set PROXTRACE_FIELDDATA_DIR to the fielddata folder)\n");
        return 0;
    }
    char line[512];
    phone p;
    memset(&p, 0, sizeof p);
    int logs = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == 'L') {
            finish(&p);
            memset(&p, 0, sizeof p);
            sscanf(line, "L %63s", p.name);
            snprintf(p.dir, sizeof p.dir, "/tmp/proxtrace-btsnoop-XXXXXX");
            CHECK(mkdtemp(p.dir) != NULL, "mkdtemp");
            CHECK(pt_tracer_open(p.dir, NULL, &p.t) == PT_OK, "open");
            logs++;
        } else if (line[0] == 'R' && p.t) {
            uint64_t now;
            int rssi;
            char tx[32], hex[160];
            if (sscanf(line, "R %" SCNu64 " %d %31s %159s", &now, &rssi, tx, hex) != 4 || strlen(hex) != 124) {
                CHECK(0, "bad line %s", line);
                continue;
            }
            uint8_t rec[62];
            for (int i = 0; i < 62; i++) rec[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
            if (now >= p.next) CHECK(pt_tracer_poll_timeout(p.t, now, &p.next) == PT_OK, "timeout");
            pt_event e;
            pt_result r = pt_tracer_handle_advertising_data(p.t, rec, sizeof rec, (int8_t)rssi,
                                                            PT_TX_POWER_UNKNOWN, now, &e);
            p.reports++;
            if (r == PT_OK && e.kind == PT_EVENT_RECORDED && e.scheme == PT_SCHEME_GAEN) {
                p.recorded++;
                slot *s = lookup(tx);
                CHECK(s != NULL, "table full");
                if (s) s->recorded++;
            } else {
                char err[256];
                pt_last_error(err, sizeof err);
                CHECK(0, "%s: report at %" PRIu64 " from %s not recorded: result %u, event %u/%u: %s",
                      p.name, now, tx, (unsigned)r, (unsigned)e.kind, (unsigned)e.ignored, err);
            }
        } else if (line[0] == 'E' && p.t) {
            char tx[32];
            uint64_t n;
            if (sscanf(line, "E %31s %" SCNu64, tx, &n) != 2) {
                CHECK(0, "bad line %s", line);
                continue;
            }
            slot *s = lookup(tx);
            uint64_t got = s ? s->recorded : 0;
            CHECK(got == n, "%s: transmitter %s: %" PRIu64 " recorded, the plain reading counts %" PRIu64,
                  p.name, tx, got, n);
            p.transmitters++;
            p.expected_total += n;
        }
    }
    fclose(f);
    finish(&p);
    CHECK(logs >= 2, "%d logs in %s; the test needs at least two", logs, path);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c btsnoop: all checks passed (%d logs)\n", logs);
    return 0;
}
