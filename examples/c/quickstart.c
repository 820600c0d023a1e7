/*
 * The quickstart in C: the donut checkout on JustiFi through storefront_checkout.h.
 *
 *     quickstart BASE_URL PAYMENT_TOKEN
 *
 * BASE_URL is the sandbox (or JustiFi) origin; PAYMENT_TOKEN a pm_... token, as the browser's
 * web component makes one. Every string the library returns is freed with
 * checkout_string_free(), and the client with checkout_client_free().
 */
#include <stdio.h>
#include <string.h>

#include "storefront_checkout.h"

/* Copies the string value of "key" in a flat JSON object into buf; 0 when absent. */
static int json_string(const char *json, const char *key, char *buf, size_t size)
{
    char pattern[64];
    const char *start;
    size_t len;
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    start = json ? strstr(json, pattern) : NULL;
    if (start == NULL || size == 0) {
        return 0;
    }
    start += strlen(pattern);
    len = strcspn(start, "\"");
    if (len >= size) {
        len = size - 1;
    }
    memcpy(buf, start, len);
    buf[len] = '\0';
    return 1;
}

/* Prints a failed call's error object and frees it; returns 1. */
static int fail(const char *step, int32_t status, char *out)
{
    fprintf(stderr, "%s failed (%d): %s\n", step, status, out ? out : "(no error object)");
    checkout_string_free(out);
    return 1;
}

int main(int argc, char **argv)
{
    char config[1024], request[512], id[128], value[1024];
    CheckoutClient *client = NULL;
    char *out = NULL;
    int32_t status;

    if (argc < 3) {
        fprintf(stderr, "usage: %s BASE_URL PAYMENT_TOKEN\n", argv[0]);
        return 2;
    }
    printf("storefront-checkout %s\n", checkout_version());
    snprintf(config, sizeof config,
             "{\"provider\":\"justifi\",\"base_url\":\"%s\",\"hosted_base_url\":\"%s\","
             "\"client_id\":\"test_sandbox_client_id\",\"client_secret\":\"test_sandbox_client_secret\","
             "\"sub_account\":\"acc_5Et9iXrSSAZR2KSouQGAWi\"}",
             argv[1], argv[1]);
    status = checkout_client_new(config, &client, &out);
    if (status != CHECKOUT_OK) {
        return fail("checkout_client_new", status, out);
    }

    status = checkout_create(client,
                             "{\"amount\":1799,\"description\":\"One Chocolate Donut\","
                             "\"origin_url\":\"http://localhost:3000\"}",
                             &out);
    if (status != CHECKOUT_OK || !json_string(out, "id", id, sizeof id)) {
        checkout_client_free(client);
        return fail("checkout_create", status, out);
    }
    checkout_string_free(out);
    printf("checkout: %s\n", id);

    snprintf(request, sizeof request, "{\"checkout_id\":\"%s\"}", id);
    status = checkout_web_component_token(client, request, &out);
    if (status == CHECKOUT_OK && json_string(out, "html", value, sizeof value)) {
        printf("web component: %s\n", value);
    }
    checkout_string_free(out);

    status = session_redirect_url(client, request, &out);
    if (status == CHECKOUT_OK && json_string(out, "url", value, sizeof value)) {
        printf("redirect: %s\n", value);
    }
    checkout_string_free(out);

    snprintf(request, sizeof request, "{\"checkout_id\":\"%s\",\"payment_token\":\"%s\"}", id, argv[2]);
    status = checkout_complete(client, request, &out);
    if (status != CHECKOUT_OK) {
        checkout_client_free(client);
        return fail("checkout_complete", status, out);
    }
    json_string(out, "payment_status", value, sizeof value);
    printf("completion: %s\n", value);
    checkout_string_free(out);

    status = checkout_get(client, "{\"checkout_id\":\"cho_missing\"}", &out);
    printf("unknown checkout: status %d, %s\n", status, out);
    checkout_string_free(out);

    checkout_client_free(client);
    return 0;
}
