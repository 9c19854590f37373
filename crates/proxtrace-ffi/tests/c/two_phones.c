/*
 * The C ABI end to end: two phones exchange advertisements for 40 minutes through
 * pt_tracer_* only, one reports, the other matches (GAEN through an export.bin built here
 * from the diagnosis-keys JSON, Bluezone through the F0 payload) and is exposed; a third,
 * who never met them, is not. Then every misuse the API can detect.
 *
 * Built and run by .ci/run under AddressSanitizer + UndefinedBehaviorSanitizer and under
 * valgrind:  cc -std=c11 -Iinclude tests/c/two_phones.c target/debug/libproxtrace.a -lpthread -ldl -lm
 */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxtrace.h"

static int failures = 0;
#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
            failures++;                                                   \
        }                                                                 \
    } while (0)
#define EXPECT(call, code) \
    do { pt_result r_ = (call); CHECK(r_ == (code), "%s: got %u (%s)", #call, (unsigned)r_, pt_result_message(r_)); } while (0)

static const uint64_t START = 20759ull * 86400 + 9 * 3600; /* 2026-11-02 09:00 UTC */

/* Turn pt_tracer_advertisement records into raw legacy advertisements, as a radio sends them. */
static size_t to_ads(const uint8_t *rec, size_t len, uint8_t ads[2][31], size_t ad_len[2]) {
    size_t n = 0;
    for (size_t i = 0; i + 2 <= len && n < 2; i += 2 + rec[i + 1]) {
        uint8_t *a = ads[n];
        size_t k = 0;
        a[k++] = 2; a[k++] = 0x01; a[k++] = 0x1a;
        if (rec[i] == 1) {
            a[k++] = 3; a[k++] = 0x03; a[k++] = 0x6f; a[k++] = 0xfd;
            a[k++] = 23; a[k++] = 0x16; a[k++] = 0x6f; a[k++] = 0xfd;
        } else {
            a[k++] = 3; a[k++] = 0x03; a[k++] = 0x56; a[k++] = 0x4e;
            a[k++] = 15; a[k++] = 0xff; a[k++] = 0xb5; a[k++] = 0x22;
        }
        memcpy(a + k, rec + i + 2, rec[i + 1]);
        ad_len[n++] = k + rec[i + 1];
    }
    return n;
}

static void exchange(const pt_tracer *from, const pt_tracer *to, uint64_t now) {
    uint8_t rec[64];
    size_t len = sizeof rec;
    uint64_t next = 0;
    EXPECT(pt_tracer_advertisement(from, now, rec, &len, &next), PT_OK);
    CHECK(next > now, "next change %llu", (unsigned long long)next);
    uint8_t ads[2][31];
    size_t ad_len[2];
    size_t n = to_ads(rec, len, ads, ad_len);
    for (size_t i = 0; i < n; i++)
        for (int p = 0; p < 3; p++)
            EXPECT(pt_tracer_handle_advertisement(to, ads[i], ad_len[i], -58, now + p), PT_OK);
}

static int b64val(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

static size_t put_varint(uint8_t *out, uint64_t v) {
    size_t n = 0;
    while (v >= 0x80) { out[n++] = (uint8_t)(v | 0x80); v >>= 7; }
    out[n++] = (uint8_t)v;
    return n;
}

/* A bare (unsigned) export.bin from the "gaen" keys of pt_tracer_diagnosis_keys's JSON. */
static size_t export_bin(const char *json, uint8_t *out, size_t cap) {
    size_t n = 0;
    memcpy(out, "EK Export v1    ", 16);
    n = 16;
    const char *p = json;
    while ((p = strstr(p, "\"key_data\":\"")) != NULL) {
        p += 12;
        uint8_t key[16];
        size_t k = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (; *p && *p != '"'; p++) {
            int v = b64val(*p);
            if (v < 0) continue; /* '=' padding */
            acc = (acc << 6) | (uint32_t)v;
            bits += 6;
            if (bits >= 8) { bits -= 8; if (k < 16) key[k++] = (uint8_t)(acc >> bits); }
        }
        const char *s = strstr(p, "\"rolling_start_interval_number\":");
        const char *r = strstr(p, "\"rolling_period\":");
        if (k != 16 || !s || !r || n + 40 > cap) return 0;
        uint64_t start = strtoull(s + 32, NULL, 10), period = strtoull(r + 17, NULL, 10);
        uint8_t msg[40];
        size_t m = 0;
        msg[m++] = 0x0a; msg[m++] = 16; memcpy(msg + m, key, 16); m += 16;
        msg[m++] = 0x18; m += put_varint(msg + m, start);
        msg[m++] = 0x20; m += put_varint(msg + m, period);
        msg[m++] = 0x28; msg[m++] = 1; /* CONFIRMED_TEST */
        out[n++] = 0x3a; out[n++] = (uint8_t)m;
        memcpy(out + n, msg, m);
        n += m;
    }
    return n;
}

static char *tempdir(void) {
    char tmpl[] = "/tmp/proxtrace-c-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

int main(void) {
    printf("proxtrace %s\n", pt_version());
    const char *config = "{\"schemes\":{\"gaen\":true,\"bluezone\":true}}";
    char *dirs[3];
    pt_tracer *t[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        dirs[i] = tempdir();
        CHECK(dirs[i] != NULL, "mkdtemp");
        EXPECT(pt_tracer_open(dirs[i], config, &t[i]), PT_OK);
        CHECK(t[i] != NULL, "handle");
    }
    /* 40 minutes together: a scan every minute each way. */
    for (uint64_t s = 0; s < 40 * 60; s += 60) {
        EXPECT(pt_tracer_handle_timeout(t[0], START + s), PT_OK);
        EXPECT(pt_tracer_handle_timeout(t[1], START + s), PT_OK);
        EXPECT(pt_tracer_handle_timeout(t[2], START + s), PT_OK);
        exchange(t[0], t[1], START + s);
        exchange(t[1], t[0], START + s);
    }
    uint64_t end = START + 3 * 3600, next = 0;
    for (int i = 0; i < 3; i++) {
        EXPECT(pt_tracer_poll_timeout(t[i], end, &next), PT_OK);
        /* Now at the latest: an advertisement whose period ended must be re-polled at once. */
        CHECK(next >= end, "poll_timeout %llu", (unsigned long long)next);
        EXPECT(pt_tracer_flush(t[i], end), PT_OK);
    }

    /* Phone 0 reports: first with too small a buffer. */
    size_t len = 8;
    char small[8];
    EXPECT(pt_tracer_diagnosis_keys(t[0], START - 9 * 3600, end, (uint8_t *)small, &len), PT_BUFFER_TOO_SMALL);
    CHECK(len > 8, "needed length %zu", len);
    char *keys = calloc(1, len + 1);
    EXPECT(pt_tracer_diagnosis_keys(t[0], START - 9 * 3600, end, (uint8_t *)keys, &len), PT_OK);
    CHECK(strstr(keys, "\"key_data\"") && strstr(keys, "\"daily_key\""), "%s", keys);

    uint8_t bin[4096];
    size_t bin_len = export_bin(keys, bin, sizeof bin);
    CHECK(bin_len > 16, "export.bin from %s", keys);
    const char *unsigned_ok = "{\"allow_unsigned\":true}";
    char result[1 << 16];
    size_t rlen = sizeof result - 1;
    EXPECT(pt_tracer_match_export(t[1], bin, bin_len, unsigned_ok, (uint8_t *)result, &rlen), PT_OK);
    result[rlen] = 0;
    CHECK(strstr(result, "\"exposed\":true") != NULL, "GAEN match for the contact: %s", result);
    rlen = sizeof result - 1;
    EXPECT(pt_tracer_match_export(t[2], bin, bin_len, unsigned_ok, (uint8_t *)result, &rlen), PT_OK);
    result[rlen] = 0;
    CHECK(strstr(result, "\"exposed\":false") != NULL, "GAEN match for the stranger: %s", result);

    const char *f0 = strstr(keys, "\"f0\":");
    CHECK(f0 != NULL, "f0 in %s", keys);
    if (f0) {
        f0 += 5;
        size_t f0_len = strlen(f0) - 1; /* drop the closing brace of the outer object */
        rlen = sizeof result - 1;
        EXPECT(pt_tracer_match_f0(t[1], (const uint8_t *)f0, f0_len, NULL, (uint8_t *)result, &rlen), PT_OK);
        result[rlen] = 0;
        CHECK(strstr(result, "\"exposed\":true") != NULL, "Bluezone match: %s", result);
    }

    /* Misuse. */
    pt_tracer *none = NULL;
    EXPECT(pt_tracer_open(NULL, NULL, &none), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_open(dirs[0], NULL, NULL), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_open(dirs[0], "{\"schemes\":", &none), PT_BAD_CONFIG);
    EXPECT(pt_tracer_open(dirs[0], "{\"no_such_field\":1}", &none), PT_BAD_CONFIG);
    EXPECT(pt_tracer_open(dirs[0], "{\"rotation_secs\":60}", &none), PT_BAD_CONFIG);
    CHECK(none == NULL, "no handle on failure");
    EXPECT(pt_tracer_handle_timeout(NULL, START), PT_NULL_ARGUMENT);
    EXPECT(pt_tracer_handle_advertisement(t[1], NULL, 5, -50, end), PT_NULL_ARGUMENT);
    /* A foreign beacon (a battery service) is ordinary radio traffic: PT_OK, ignored. */
    uint8_t junk[] = {2, 1, 6, 3, 3, 0x0f, 0x18};
    EXPECT(pt_tracer_handle_advertisement(t[1], junk, sizeof junk, -50, end), PT_OK);
    /* A time in milliseconds is refused, with a message. */
    EXPECT(pt_tracer_handle_timeout(t[1], end * 1000), PT_INVALID_ARGUMENT);
    char err[128];
    EXPECT(pt_tracer_last_error(t[1], err, sizeof err), PT_OK);
    CHECK(strlen(err) > 0, "last error message");
    uint8_t rec[4];
    len = sizeof rec;
    EXPECT(pt_tracer_advertisement(t[0], end, rec, &len, NULL), PT_BUFFER_TOO_SMALL);
    CHECK(len == 36, "needed %zu", len);
    EXPECT(pt_tracer_advertisement(t[0], end, rec, NULL, NULL), PT_NULL_ARGUMENT);
    rlen = sizeof result;
    EXPECT(pt_tracer_match_export(t[1], bin, bin_len, NULL, (uint8_t *)result, &rlen), PT_BAD_SIGNATURE);
    const uint8_t bad_zip[] = "PK\x03\x04 this is not a zip";
    rlen = sizeof result;
    EXPECT(pt_tracer_match_export(t[1], bad_zip, sizeof bad_zip - 1, unsigned_ok, (uint8_t *)result, &rlen), PT_BAD_EXPORT);
    rlen = sizeof result;
    EXPECT(pt_tracer_match_export(t[1], bin, bin_len, "{not json", (uint8_t *)result, &rlen), PT_BAD_CONFIG);
    rlen = sizeof result;
    EXPECT(pt_tracer_match_export(t[1], NULL, 10, NULL, (uint8_t *)result, &rlen), PT_NULL_ARGUMENT);
    rlen = sizeof result;
    EXPECT(pt_tracer_match_f0(t[1], (const uint8_t *)"{\"data\":[{}]}", 13, NULL, (uint8_t *)result, &rlen), PT_BAD_F0);
    rlen = 4;
    EXPECT(pt_tracer_match_f0(t[1], (const uint8_t *)"{\"data\":[]}", 11, NULL, (uint8_t *)result, &rlen), PT_BUFFER_TOO_SMALL);
    CHECK(strcmp(pt_result_message(PT_OK), "ok") == 0, "message");
    CHECK(strlen(pt_result_message(9999)) > 0, "unknown code message");

    /* A corrupt key store is an error and is left as it is. */
    pt_tracer_free(t[2]);
    t[2] = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/keys.ptks", dirs[2]);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL, "open %s", path);
    if (f) { fseek(f, 20, SEEK_SET); fputc(0x55, f); fclose(f); }
    EXPECT(pt_tracer_open(dirs[2], config, &none), PT_CORRUPT_STORE);

    pt_tracer_free(NULL);
    for (int i = 0; i < 3; i++) {
        pt_tracer_free(t[i]);
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dirs[i]);
        if (system(cmd) != 0) failures++;
        free(dirs[i]);
    }
    free(keys);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    printf("c abi: all checks passed\n");
    return 0;
}
