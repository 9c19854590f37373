/*
 * Phones for real, through the C ABI only (written from include/proxtrace.h and
 * docs/embedding.md): four phones for 40 minutes.
 *   alice, bob  Android, GAEN + Bluezone. Bob hears alice as Android's 62-byte scan records
 *               (ScanRecord.getBytes()); alice hears bob as decoded service data and
 *               manufacturer data (what iOS's CoreBluetooth and Android's getServiceData give).
 *   dave        a Bluezone iOS phone: bob sees its service UUID, reads its identifier over
 *               GATT once per slot, and hands the cached identifier in for later sightings.
 *   carol       a stranger who met nobody.
 * Then flush, alice reports (a too-small buffer, time moves, the retry), a health authority
 * publishes a batch of three signed export files, bob matches the batch in one call and is
 * exposed, carol is not; dave's F0 payload exposes bob; after close and reopen bob matches at
 * once. Then the lifecycle and misuse checks, one per result code the API can produce.
 *
 * Run by tests/c/run.sh under ASan+UBSan and valgrind, with PT_HEALTH_AUTHORITY naming the
 * health_authority example binary.
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
#define EXPECT(call, code)                                                              \
    do {                                                                                \
        pt_result r_ = (call);                                                          \
        if (r_ != (code)) {                                                             \
            char e_[512];                                                               \
            pt_last_error(e_, sizeof e_);                                               \
            CHECK(0, "%s: got %u (%s): %s", #call, (unsigned)r_, pt_result_message(r_), e_); \
        }                                                                               \
    } while (0)

static const uint64_t START = 20759ull * 86400 + 9 * 3600; /* 2026-11-02 09:00 UTC */
static const uint8_t GAEN_UUID16[2] = {0xFD, 0x6F};
/* 00004E56-73F5-4BC4-A12F-17D1AD07A667, big-endian as CBUUID.data gives it. */
static const uint8_t BLUEZONE_IOS_SERVICE[16] = {0x00, 0x00, 0x4E, 0x56, 0x73, 0xF5, 0x4B, 0xC4,
                                                 0xA1, 0x2F, 0x17, 0xD1, 0xAD, 0x07, 0xA6, 0x67};

typedef struct {
    uint8_t gaen[20];
    int has_gaen;
    uint8_t bluezone[12];
    int has_bluezone;
    uint64_t next_change;
} payloads;

static payloads advertised(const pt_tracer *t, uint64_t now) {
    payloads p;
    memset(&p, 0, sizeof p);
    uint8_t rec[36];
    size_t len = sizeof rec;
    EXPECT(pt_tracer_advertisement(t, now, rec, &len, &p.next_change), PT_OK);
    for (size_t i = 0; i + 2 <= len; i += 2 + rec[i + 1]) {
        if (rec[i] == 1 && rec[i + 1] == 20) { memcpy(p.gaen, rec + i + 2, 20); p.has_gaen = 1; }
        if (rec[i] == 2 && rec[i + 1] == 12) { memcpy(p.bluezone, rec + i + 2, 12); p.has_bluezone = 1; }
    }
    return p;
}

/* Android's ScanRecord.getBytes() for one legacy advertisement: advertising data, then the
 * scan response, zero-padded to 62 bytes. */
static void scan_record(const uint8_t *adv, size_t adv_len, const uint8_t *rsp, size_t rsp_len,
                        uint8_t out[62]) {
    memset(out, 0, 62);
    memcpy(out, adv, adv_len);
    if (rsp_len) memcpy(out + adv_len, rsp, rsp_len);
}

static void gaen_scan_record(const uint8_t payload[20], uint8_t out[62]) {
    uint8_t adv[31] = {2, 0x01, 0x1A, 3, 0x03, 0x6F, 0xFD, 23, 0x16, 0x6F, 0xFD};
    memcpy(adv + 11, payload, 20);
    scan_record(adv, sizeof adv, NULL, 0, out);
}

static void bluezone_scan_record(const uint8_t id[12], uint8_t out[62]) {
    uint8_t adv[23] = {2, 0x01, 0x1A, 3, 0x03, 0x56, 0x4E, 15, 0xFF, 0xB5, 0x22};
    memcpy(adv + 11, id, 12);
    const uint8_t rsp[] = {7, 0x09, 'G', 'a', 'l', 'a', 'x', 'y', 2, 0x0A, 0xF8};
    scan_record(adv, sizeof adv, rsp, sizeof rsp, out);
}

static pt_event_kind kind_of(pt_result r, const pt_event *e) {
    return r == PT_OK ? e->kind : (pt_event_kind)0xFFFF;
}

static char *tempdir(void) {
    char tmpl[] = "/tmp/proxtrace-phones-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static void rm_rf(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) failures++;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n + 1 : 1);
    size_t got = n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    buf[got] = 0;
    *len = got;
    return buf;
}

/* pt_tracer_match_* result JSON into a malloc'd string (grows the buffer as told). */
static char *match_batch(const pt_tracer *t, const uint8_t **zips, const size_t *lens, size_t n,
                         const char *config, pt_result *out) {
    size_t len = 16;
    char *buf = malloc(len + 1);
    *out = pt_tracer_match_exports(t, zips, lens, n, config, (uint8_t *)buf, &len);
    if (*out == PT_BUFFER_TOO_SMALL) {
        buf = realloc(buf, len + 1);
        *out = pt_tracer_match_exports(t, zips, lens, n, config, (uint8_t *)buf, &len);
    }
    buf[*out == PT_OK ? len : 0] = 0;
    return buf;
}

static int saw_event(pt_tracer *t, pt_event_kind kind) {
    int seen = 0;
    pt_event e;
    for (int i = 0; i < 1000; i++) {
        EXPECT(pt_tracer_poll_event(t, &e), PT_OK);
        if (e.kind == PT_EVENT_NONE) break;
        if (e.kind == kind) seen = 1;
    }
    return seen;
}

int main(void) {
    const char *authority = getenv("PT_HEALTH_AUTHORITY");
    CHECK(authority != NULL, "PT_HEALTH_AUTHORITY is not set (run tests/c/run.sh)");
    if (!authority) return 1;
    const char *both = "{\"schemes\":{\"gaen\":true,\"bluezone\":true}}";
    const char *ios = "{\"schemes\":{\"gaen\":false,\"bluezone\":true}}";
    enum { ALICE, BOB, CAROL, DAVE, N };
    char *dirs[N];
    pt_tracer *t[N];
    for (int i = 0; i < N; i++) {
        dirs[i] = tempdir();
        t[i] = NULL;
        EXPECT(pt_tracer_open(dirs[i], i == DAVE ? ios : both, &t[i]), PT_OK);
    }
    /* Matching right after open works (nothing logged yet). */
    const char *empty_f0 = "{\"data\":[]}";
    char small_result[4096];
    size_t rlen = sizeof small_result;
    EXPECT(pt_tracer_match_f0(t[CAROL], (const uint8_t *)empty_f0, strlen(empty_f0), NULL,
                              (uint8_t *)small_result, &rlen), PT_OK);

    uint8_t dave_cached[12];
    uint64_t dave_cached_until = 0;
    int recorded_scan_records = 0, recorded_service_data = 0, recorded_gatt = 0, gatt_reads = 0;
    for (uint64_t s = 0; s < 40 * 60; s += 60) {
        uint64_t now = START + s;
        for (int i = 0; i < N; i++) EXPECT(pt_tracer_handle_timeout(t[i], now), PT_OK);
        pt_event e;
        pt_result r;
        /* Bob hears alice: one 62-byte scan record per payload. */
        payloads a = advertised(t[ALICE], now);
        CHECK(a.has_gaen && a.has_bluezone && a.next_change > now, "alice's payloads");
        uint8_t rec[62];
        gaen_scan_record(a.gaen, rec);
        r = pt_tracer_handle_advertising_data(t[BOB], rec, sizeof rec, -61, PT_TX_POWER_UNKNOWN, now, &e);
        CHECK(kind_of(r, &e) == PT_EVENT_RECORDED && e.scheme == PT_SCHEME_GAEN, "gaen scan record: %u", (unsigned)r);
        recorded_scan_records += kind_of(r, &e) == PT_EVENT_RECORDED;
        bluezone_scan_record(a.bluezone, rec);
        r = pt_tracer_handle_advertising_data(t[BOB], rec, sizeof rec, -63, PT_TX_POWER_UNKNOWN, now + 1, &e);
        CHECK(kind_of(r, &e) == PT_EVENT_RECORDED && e.scheme == PT_SCHEME_BLUEZONE, "bluezone scan record");
        recorded_scan_records += kind_of(r, &e) == PT_EVENT_RECORDED;
        /* Alice hears bob as decoded service data and manufacturer data. */
        payloads b = advertised(t[BOB], now);
        r = pt_tracer_handle_service_data(t[ALICE], GAEN_UUID16, 2, b.gaen, 20, -60, -8, now + 2, &e);
        CHECK(kind_of(r, &e) == PT_EVENT_RECORDED, "service data");
        recorded_service_data += kind_of(r, &e) == PT_EVENT_RECORDED;
        r = pt_tracer_handle_manufacturer_data(t[ALICE], 0x22B5, b.bluezone, 12, -60, PT_TX_POWER_UNKNOWN, now + 2, &e);
        CHECK(kind_of(r, &e) == PT_EVENT_RECORDED, "manufacturer data");
        recorded_service_data += kind_of(r, &e) == PT_EVENT_RECORDED;
        /* Bob sees dave's Bluezone iOS service: a GATT read once per slot, the cached ID after. */
        r = pt_tracer_handle_service_uuid(t[BOB], BLUEZONE_IOS_SERVICE, 16, -66, now + 3, &e);
        CHECK(kind_of(r, &e) == PT_EVENT_NEEDS_GATT_READ, "ios service: %u", (unsigned)e.kind);
        if (now >= dave_cached_until) {
            payloads d = advertised(t[DAVE], now); /* what dave's characteristic serves */
            CHECK(d.has_bluezone && !d.has_gaen, "dave serves a Bluezone ID");
            memcpy(dave_cached, d.bluezone, 12);
            dave_cached_until = d.next_change;
            gatt_reads++;
        }
        r = pt_tracer_handle_gatt_identifier(t[BOB], dave_cached, 12, -66, now + 4, &e);
        CHECK(kind_of(r, &e) == PT_EVENT_RECORDED && e.scheme == PT_SCHEME_BLUEZONE, "gatt identifier");
        recorded_gatt += kind_of(r, &e) == PT_EVENT_RECORDED;
    }
    CHECK(recorded_scan_records == 80 && recorded_service_data == 80 && recorded_gatt == 40,
          "recorded %d %d %d", recorded_scan_records, recorded_service_data, recorded_gatt);
    CHECK(gatt_reads >= 3 && gatt_reads <= 5, "one GATT read per 15-minute slot: %d", gatt_reads);

    /* Ordinary radio traffic: PT_OK and an ignored event, never an error. */
    uint64_t now = START + 40 * 60;
    pt_event e;
    const uint8_t battery[] = {2, 0x01, 0x06, 3, 0x03, 0x0F, 0x18};
    EXPECT(pt_tracer_handle_advertising_data(t[BOB], battery, sizeof battery, -50, PT_TX_POWER_UNKNOWN, now, &e), PT_OK);
    CHECK(e.kind == PT_EVENT_IGNORED && e.ignored == PT_IGNORED_NOT_PROXIMITY, "foreign beacon");
    EXPECT(pt_tracer_handle_service_data(t[BOB], GAEN_UUID16, 2, battery, 5, -50, PT_TX_POWER_UNKNOWN, now, &e), PT_OK);
    CHECK(e.kind == PT_EVENT_IGNORED && e.ignored == PT_IGNORED_MALFORMED, "short GAEN payload");
    EXPECT(pt_tracer_handle_gatt_identifier(t[BOB], battery, 7, -50, now, &e), PT_OK);
    CHECK(e.kind == PT_EVENT_IGNORED && e.ignored == PT_IGNORED_MALFORMED, "short GATT value");
    const uint8_t heart_rate[2] = {0x18, 0x0D};
    EXPECT(pt_tracer_handle_service_uuid(t[BOB], heart_rate, 2, -50, now, &e), PT_OK);
    CHECK(e.kind == PT_EVENT_IGNORED, "foreign service uuid");
    payloads own = advertised(t[BOB], now);
    uint8_t rec[62];
    gaen_scan_record(own.gaen, rec);
    EXPECT(pt_tracer_handle_advertising_data(t[BOB], rec, sizeof rec, -40, PT_TX_POWER_UNKNOWN, now, &e), PT_OK);
    CHECK(e.kind == PT_EVENT_IGNORED && e.ignored == PT_IGNORED_OWN, "own advertisement");
    EXPECT(pt_tracer_handle_advertising_data(t[DAVE], rec, sizeof rec, -40, PT_TX_POWER_UNKNOWN, now, &e), PT_OK);
    CHECK(e.kind == PT_EVENT_IGNORED && e.ignored == PT_IGNORED_SCHEME_DISABLED && e.scheme == PT_SCHEME_GAEN,
          "GAEN on a Bluezone-only phone");
    /* The old entry point still works and still returns PT_OK for anything. */
    EXPECT(pt_tracer_handle_advertisement(t[BOB], battery, sizeof battery, -50, now), PT_OK);

    /* Housekeeping events: keys rolled and advertisements to register, from the first timeout on. */
    CHECK(saw_event(t[ALICE], PT_EVENT_KEYS_ROLLED), "alice's keys rolled");
    for (int i = 0; i < N; i++) EXPECT(pt_tracer_flush(t[i], now), PT_OK);

    /* Alice reports: too small a buffer, then time moves (she keeps advertising fresh keys),
     * then a retry "up to now": it returns the report, not the fresh key. */
    uint64_t report_time = START + 3 * 3600;
    EXPECT(pt_tracer_handle_timeout(t[ALICE], report_time), PT_OK);
    uint8_t tiny[8];
    size_t klen = sizeof tiny;
    EXPECT(pt_tracer_diagnosis_keys(t[ALICE], 0, report_time, tiny, &klen), PT_BUFFER_TOO_SMALL);
    CHECK(klen > sizeof tiny, "needed %zu", klen);
    CHECK(saw_event(t[ALICE], PT_EVENT_ADVERTISE), "a report rotates the advertisement");
    EXPECT(pt_tracer_handle_timeout(t[ALICE], report_time + 7200), PT_OK);
    char *keys = calloc(1, klen + 1);
    EXPECT(pt_tracer_diagnosis_keys(t[ALICE], 0, report_time + 7200, (uint8_t *)keys, &klen), PT_OK);
    CHECK(strstr(keys, "\"key_data\"") && strstr(keys, "\"daily_key\""), "%s", keys);
    /* Every published GAEN key ends by the report's interval: the fresh one is not there. */
    uint64_t report_interval = report_time / 600;
    for (const char *p = keys; (p = strstr(p, "\"rolling_start_interval_number\":")) != NULL;) {
        p += 32;
        uint64_t start = strtoull(p, NULL, 10);
        const char *q = strstr(p, "\"rolling_period\":");
        uint64_t period = q ? strtoull(q + 17, NULL, 10) : 0;
        CHECK(start + period <= report_interval + 1, "key %llu+%llu runs past the report",
              (unsigned long long)start, (unsigned long long)period);
    }
    char *again = calloc(1, klen + 1);
    size_t alen = klen;
    EXPECT(pt_tracer_diagnosis_keys(t[ALICE], 0, report_time + 7200, (uint8_t *)again, &alen), PT_OK);
    CHECK(alen == klen && memcmp(keys, again, klen) == 0, "the same keys again");

    /* The health authority publishes a batch of three signed files. */
    char ha_dir[600], cmd[1400], path[700];
    snprintf(ha_dir, sizeof ha_dir, "%s/published", dirs[CAROL]);
    snprintf(path, sizeof path, "%s/alice-keys.json", dirs[CAROL]);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "write %s", path);
    if (f) { fwrite(keys, 1, klen, f); fclose(f); }
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' 3", authority, path, ha_dir);
    CHECK(system(cmd) == 0, "%s", cmd);
    uint8_t *zips[3];
    size_t zip_lens[3];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/export-%d.zip", ha_dir, i + 1);
        zips[i] = read_file(path, &zip_lens[i]);
        CHECK(zips[i] != NULL, "read %s", path);
    }
    size_t clen = 0;
    snprintf(path, sizeof path, "%s/match-config.json", ha_dir);
    char *trust = (char *)read_file(path, &clen);
    CHECK(trust != NULL, "read %s", path);
    pt_result r;
    char *result = match_batch(t[BOB], (const uint8_t **)zips, zip_lens, 3, trust, &r);
    CHECK(r == PT_OK && strstr(result, "\"exposed\":true"), "bob exposed by the batch: %u %s", (unsigned)r, result);
    free(result);
    result = match_batch(t[CAROL], (const uint8_t **)zips, zip_lens, 3, trust, &r);
    CHECK(r == PT_OK && strstr(result, "\"exposed\":false"), "carol not exposed: %s", result);
    free(result);
    /* Without the signing key trusted, the batch is refused. */
    result = match_batch(t[BOB], (const uint8_t **)zips, zip_lens, 3, NULL, &r);
    CHECK(r == PT_BAD_SIGNATURE, "untrusted batch: %u", (unsigned)r);
    free(result);
    /* One damaged file spoils the batch, and the message names it. */
    zips[1][zip_lens[1] / 2] ^= 0x55;
    result = match_batch(t[BOB], (const uint8_t **)zips, zip_lens, 3, trust, &r);
    char err[256];
    pt_last_error(err, sizeof err);
    CHECK((r == PT_BAD_EXPORT || r == PT_BAD_SIGNATURE) && strstr(err, "export file 2 of 3"), "%u %s", (unsigned)r, err);
    free(result);
    zips[1][zip_lens[1] / 2] ^= 0x55;

    /* Dave (iOS) reports through the call that takes the time; his F0 payload exposes bob. */
    size_t dlen = 0;
    EXPECT(pt_tracer_diagnosis_keys_at(t[DAVE], report_time, 0, UINT64_MAX, NULL, &dlen), PT_BUFFER_TOO_SMALL);
    char *dkeys = calloc(1, dlen + 1);
    EXPECT(pt_tracer_diagnosis_keys_at(t[DAVE], report_time + 60, 0, UINT64_MAX, (uint8_t *)dkeys, &dlen), PT_OK);
    const char *f0 = strstr(dkeys, "\"f0\":");
    CHECK(f0 != NULL, "%s", dkeys);
    if (f0) {
        f0 += 5;
        char big[1 << 16];
        size_t blen = sizeof big - 1;
        EXPECT(pt_tracer_match_f0(t[BOB], (const uint8_t *)f0, strlen(f0) - 1, NULL, (uint8_t *)big, &blen), PT_OK);
        big[blen] = 0;
        CHECK(strstr(big, "\"exposed\":true") != NULL, "bob exposed by dave (GATT): %s", big);
    }

    /* Close flushes; reopened, bob matches at once and is still exposed. */
    EXPECT(pt_tracer_close(t[BOB]), PT_OK);
    t[BOB] = NULL;
    EXPECT(pt_tracer_open(dirs[BOB], both, &t[BOB]), PT_OK);
    result = match_batch(t[BOB], (const uint8_t **)zips, zip_lens, 3, trust, &r);
    CHECK(r == PT_OK && strstr(result, "\"exposed\":true"), "bob after reopen: %s", result);
    free(result);
    char stats[1024];
    size_t slen = sizeof stats - 1;
    EXPECT(pt_tracer_log_stats(t[BOB], (uint8_t *)stats, &slen), PT_OK);
    stats[slen] = 0;
    const char *rec_field = strstr(stats, "\"records\":");
    CHECK(rec_field && strtoull(rec_field + 10, NULL, 10) >= 3, "bob's log after close: %s", stats);
    /* One owner per directory: a second handle is refused at once, naming the directory. */
    pt_tracer *second = NULL;
    EXPECT(pt_tracer_open(dirs[BOB], both, &second), PT_BUSY);
    pt_last_error(err, sizeof err);
    CHECK(second == NULL && strstr(err, dirs[BOB]) != NULL, "busy: %s", err);
    /* A report needs the time: right after open it says so (or use pt_tracer_diagnosis_keys_at). */
    klen = sizeof tiny;
    EXPECT(pt_tracer_diagnosis_keys(t[BOB], 0, UINT64_MAX, tiny, &klen), PT_INVALID_ARGUMENT);
    pt_last_error(err, sizeof err);
    CHECK(strstr(err, "pt_tracer_diagnosis_keys_at") != NULL, "%s", err);
    EXPECT(pt_tracer_last_error(t[BOB], err, sizeof err), PT_OK);
    CHECK(strstr(err, "no time yet") != NULL, "%s", err);

    /* A failed open keeps its message, naming the directory, on this thread. */
    pt_tracer *none = NULL;
    EXPECT(pt_tracer_open(dirs[CAROL], "{\"rotation_secs\":60}", &none), PT_BAD_CONFIG);
    pt_last_error(err, sizeof err);
    CHECK(strstr(err, "rotation_secs") != NULL && strstr(err, dirs[CAROL]) != NULL, "%s", err);
    EXPECT(pt_tracer_open(dirs[CAROL], "{\"no_such_field\":1}", &none), PT_BAD_CONFIG);
    pt_last_error(err, sizeof err);
    CHECK(strstr(err, "no_such_field") != NULL, "%s", err);
    /* A message cut to fit is cut on a character boundary and NUL-terminated. */
    EXPECT(pt_last_error(err, 5), PT_OK);
    CHECK(strlen(err) <= 4, "cut: %s", err);
    EXPECT(pt_last_error(NULL, 5), PT_NULL_ARGUMENT);
    CHECK(none == NULL, "no handle on failure");

    /* Misuse: one check per code the API can produce. */
    EXPECT(pt_tracer_open(NULL, NULL, &none), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_open(dirs[0], NULL, NULL), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_open("", NULL, &none), PT_INVALID_ARGUMENT);
    EXPECT(pt_tracer_open("/dev/null/proxtrace", NULL, &none), PT_IO);
    EXPECT(pt_tracer_poll_event(t[BOB], NULL), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_handle_timeout(NULL, START), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_handle_advertising_data(t[BOB], NULL, 5, -50, PT_TX_POWER_UNKNOWN, now, NULL), PT_NULL_ARGUMENT);
    const uint8_t uuid24[3] = {0xFD, 0x6F, 0x00};
    EXPECT(pt_tracer_handle_service_data(t[BOB], uuid24, 3, battery, 5, -50, PT_TX_POWER_UNKNOWN, now, NULL), PT_INVALID_ARGUMENT);
    EXPECT(pt_tracer_handle_timeout(t[BOB], now * 1000), PT_INVALID_ARGUMENT);
    EXPECT(pt_tracer_match_exports(t[BOB], NULL, zip_lens, 3, trust, (uint8_t *)small_result, &rlen), PT_NULL_ARGUMENT);
    rlen = 4;
    EXPECT(pt_tracer_match_f0(t[BOB], (const uint8_t *)empty_f0, strlen(empty_f0), NULL, (uint8_t *)small_result, &rlen), PT_BUFFER_TOO_SMALL);
    rlen = sizeof small_result;
    EXPECT(pt_tracer_match_f0(t[BOB], (const uint8_t *)"{\"data\":[{}]}", 13, NULL, (uint8_t *)small_result, &rlen), PT_BAD_F0);
    const uint8_t bad_zip[] = "PK\x03\x04 this is not a zip";
    rlen = sizeof small_result;
    EXPECT(pt_tracer_match_export(t[BOB], bad_zip, sizeof bad_zip - 1, "{\"allow_unsigned\":true}", (uint8_t *)small_result, &rlen), PT_BAD_EXPORT);
    rlen = sizeof small_result;
    EXPECT(pt_tracer_match_export(t[BOB], zips[0], zip_lens[0], NULL, (uint8_t *)small_result, &rlen), PT_BAD_SIGNATURE);
    /* A corrupt key store is an error and is left as it is. */
    EXPECT(pt_tracer_close(t[CAROL]), PT_OK);
    t[CAROL] = NULL;
    snprintf(path, sizeof path, "%s/keys.ptks", dirs[CAROL]);
    struct stat before;
    CHECK(stat(path, &before) == 0, "stat %s", path);
    f = fopen(path, "r+b");
    CHECK(f != NULL, "open %s", path);
    if (f) { fseek(f, 20, SEEK_SET); fputc(0x55, f); fclose(f); }
    EXPECT(pt_tracer_open(dirs[CAROL], both, &none), PT_CORRUPT_STORE);
    /* A wrong storage key is refused and changes nothing. */
    char sealed_cfg[256];
    snprintf(sealed_cfg, sizeof sealed_cfg, "{\"storage_key\":\"%064d\"}", 0);
    char *sealed = tempdir();
    EXPECT(pt_tracer_open(sealed, sealed_cfg, &none), PT_OK);
    EXPECT(pt_tracer_close(none), PT_OK);
    none = NULL;
    snprintf(sealed_cfg, sizeof sealed_cfg, "{\"storage_key\":\"%064d\"}", 1);
    EXPECT(pt_tracer_open(sealed, sealed_cfg, &none), PT_WRONG_KEY);
    rm_rf(sealed);
    free(sealed);
    CHECK(strlen(pt_result_message(PT_BUSY)) > 0 && strcmp(pt_result_message(99), "unknown result code") == 0, "messages");

    for (int i = 0; i < 3; i++) free(zips[i]);
    free(trust);
    free(keys);
    free(again);
    free(dkeys);
    EXPECT(pt_tracer_close(NULL), PT_OK);
    for (int i = 0; i < N; i++) {
        EXPECT(pt_tracer_close(t[i]), PT_OK);
        rm_rf(dirs[i]);
        free(dirs[i]);
    }
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c phones: all checks passed\n");
    return 0;
}
