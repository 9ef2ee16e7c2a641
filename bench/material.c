/*
 * bench-material: the CPU time sfci spends preparing the key material and
 * app of one branch, and of five, step by step (key generation,
 * certificate, encryption, metadata, zip).  Each figure is the median of
 * several runs, so one slow RSA prime search does not skew it.
 *
 * usage: bench-material [RUNS]   (default 15)
 */
#include "app.h"
#include "buf.h"
#include "errors.h"
#include "keys.h"
#include "vault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum step { KEYGEN, CERT, ENCRYPT, METADATA, ZIP, STEP_COUNT };

static const char *const step_names[STEP_COUNT] = {
    "key generation", "certificate", "encryption", "metadata", "zip",
};

#define AIM_MS_PER_BRANCH 150.0

static double cpu_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static double wall_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof(*values), compare_doubles);
    return count % 2 ? values[count / 2]
                     : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static void die_on(int rc)
{
    if (rc < 0) {
        fprintf(stderr, "bench-material: %s\n", error_message());
        exit(1);
    }
}

/* Prepares one branch as provision does; adds each step's CPU time. */
static void prepare_branch(double times[STEP_COUNT])
{
    char consumer_key[CONSUMER_KEY_LEN + 1], vault_key[VAULT_KEY_LEN + 1];
    struct buf pem = BUF_INIT, cert = BUF_INIT, encrypted = BUF_INIT;
    struct buf zip = BUF_INIT;
    struct app_package package = {0};
    struct app_spec spec = {
        .kind = APP_ECA,
        .name = "sfci_uat_20261203101500",
        .description = "CI login for bench",
        .contact_email = "ci@acme.example.uat",
        .profile = "System Administrator",
        .api_version = "64.0",
    };
    EVP_PKEY *key = NULL;
    double t;

    t = cpu_ms();
    die_on(key_generate(&key));
    times[KEYGEN] += cpu_ms() - t;

    t = cpu_ms();
    die_on(cert_generate(key, spec.name, 3650, &cert));
    times[CERT] += cpu_ms() - t;

    t = cpu_ms();
    die_on(key_write_pem(key, &pem));
    die_on(consumer_key_generate(consumer_key));
    die_on(vault_key_generate(vault_key));
    die_on(vault_encrypt(vault_key, pem.data, pem.len, &encrypted));
    times[ENCRYPT] += cpu_ms() - t;

    spec.certificate_pem = cert.data;
    spec.consumer_key = consumer_key;
    t = cpu_ms();
    die_on(app_package_build(&spec, &package));
    times[METADATA] += cpu_ms() - t;

    t = cpu_ms();
    die_on(app_package_zip(&package, &zip));
    times[ZIP] += cpu_ms() - t;

    app_package_release(&package);
    buf_release(&zip);
    buf_release(&encrypted);
    buf_release(&cert);
    buf_release(&pem);
    EVP_PKEY_free(key);
}

/* Runs branches branches runs times; prints the median of each step. */
static double bench(int branches, int runs)
{
    double *samples[STEP_COUNT + 2];
    double total_cpu, total_wall;
    int run, step, b;

    for (step = 0; step < STEP_COUNT + 2; step++)
        samples[step] = calloc((size_t)runs, sizeof(double));

    for (run = 0; run < runs; run++) {
        double times[STEP_COUNT] = {0};
        double cpu = cpu_ms(), wall = wall_ms();

        for (b = 0; b < branches; b++)
            prepare_branch(times);
        for (step = 0; step < STEP_COUNT; step++)
            samples[step][run] = times[step];
        samples[STEP_COUNT][run] = cpu_ms() - cpu;
        samples[STEP_COUNT + 1][run] = wall_ms() - wall;
    }

    printf("\n%d branch%s, median of %d runs (ms):\n", branches,
           branches > 1 ? "es" : "", runs);
    for (step = 0; step < STEP_COUNT; step++)
        printf("  %-16s %9.2f CPU\n", step_names[step],
               median(samples[step], runs));
    total_cpu = median(samples[STEP_COUNT], runs);
    total_wall = median(samples[STEP_COUNT + 1], runs);
    printf("  %-16s %9.2f CPU  %9.2f wall  (%.2f CPU per branch)\n", "total",
           total_cpu, total_wall, total_cpu / branches);

    for (step = 0; step < STEP_COUNT + 2; step++)
        free(samples[step]);
    return total_cpu / branches;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 15;
    double one, five;

    if (runs < 1) {
        fprintf(stderr, "usage: bench-material [RUNS]\n");
        return 2;
    }
    printf("bench-material: key material and app metadata per branch\n");
    one = bench(1, runs);
    five = bench(5, runs);
    printf("\naim: under %.0f ms of CPU per branch: %s (%.1f and %.1f)\n",
           AIM_MS_PER_BRANCH,
           one < AIM_MS_PER_BRANCH && five < AIM_MS_PER_BRANCH ? "met"
                                                               : "missed",
           one, five);
    return 0;
}
