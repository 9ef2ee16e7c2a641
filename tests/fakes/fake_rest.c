#include "fake_salesforce.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SOQL_TOKENS_MAX 64

/* ---- /services/oauth2/userinfo ---- */

/* The identity service answers 403 with a bare word, not REST's JSON. */
void rest_userinfo(struct fake_org *org, const struct fake_request *req,
                   struct fake_response *res)
{
    const char *token = request_bearer(req);
    const struct fake_session *session = org_session_find(org, token);
    const struct fake_user *user;
    char *sub;

    if (token == NULL) {
        response_set(res, 403, "text/plain", "Missing_OAuth_Token", 19);
        return;
    }
    if (session == NULL) {
        response_set(res, 403, "text/plain", "Bad_OAuth_Token", 15);
        return;
    }
    user = session->user;
    sub = xprintf("%s/id/%s/%s",
                  org->production ? "https://login.salesforce.com"
                                  : "https://test.salesforce.com",
                  org->org_id, user->id);
    response_json(res, 200,
                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, "
                            "s:b, s:s, s:s}",
                            "sub", sub, "user_id", user->id, "organization_id",
                            org->org_id, "preferred_username", user->username,
                            "nickname", user->username, "name", user->username,
                            "email", user->username, "email_verified", 1,
                            "user_type", "STANDARD", "active", 1, "language",
                            "en_US", "locale", "en_US"));
    free(sub);
}

/* ---- /services/data/vNN.0/...: fields of User and Organization ---- */

struct record_field {
    const char *name;
    json_t *(*value)(const struct fake_org *org, const struct fake_user *user,
                     const char *version);
};

static json_t *attributes(const char *type, const char *id, const char *version)
{
    char *url = xprintf("/services/data/v%s/sobjects/%s/%s", version, type, id);
    json_t *json = json_pack("{s:s, s:s}", "type", type, "url", url);

    free(url);
    return alloc_check(json);
}

static json_t *user_id(const struct fake_org *org, const struct fake_user *user,
                       const char *version)
{
    return json_string(user->id);
}

static json_t *user_username(const struct fake_org *org,
                             const struct fake_user *user, const char *version)
{
    return json_string(user->username);
}

static json_t *user_active(const struct fake_org *org,
                           const struct fake_user *user, const char *version)
{
    return json_true();
}

/* A stable profile ID per profile name. */
static json_t *user_profile(const struct fake_org *org,
                            const struct fake_user *user, const char *version)
{
    unsigned long hash = 5381;
    char id[ID_LEN + 1];
    json_t *profile;

    for (const char *p = user->profile; *p != '\0'; p++)
        hash = hash * 33 + (unsigned char)*p;
    snprintf(id, sizeof(id), "00e%012luAAA", hash % 1000000000000ul);
    profile = alloc_check(json_object());
    json_object_set_new(profile, "attributes",
                        attributes("Profile", id, version));
    json_object_set_new(profile, "Name", json_string(user->profile));
    return profile;
}

static json_t *org_id(const struct fake_org *org, const struct fake_user *user,
                      const char *version)
{
    return json_string(org->org_id);
}

static json_t *org_name(const struct fake_org *org,
                        const struct fake_user *user, const char *version)
{
    return json_string("Fake Salesforce");
}

static json_t *org_is_sandbox(const struct fake_org *org,
                              const struct fake_user *user, const char *version)
{
    return json_boolean(!org->production);
}

static json_t *org_type(const struct fake_org *org,
                        const struct fake_user *user, const char *version)
{
    return json_string("Enterprise Edition");
}

static const struct record_field user_fields[] = {
    {"Id", user_id},           {"Username", user_username},
    {"Name", user_username},   {"Email", user_username},
    {"IsActive", user_active}, {"Profile.Name", user_profile},
};

static const struct record_field org_fields[] = {
    {"Id", org_id},
    {"Name", org_name},
    {"IsSandbox", org_is_sandbox},
    {"OrganizationType", org_type},
};

/* An object a query may name: a record per user, or the org alone. */
struct sobject {
    const char *name;
    const struct record_field *fields;
    size_t count;
    bool per_user;
};

static const struct sobject user_object = {
    .name = "User",
    .fields = user_fields,
    .count = sizeof(user_fields) / sizeof(user_fields[0]),
    .per_user = true,
};

static const struct sobject org_object = {
    .name = "Organization",
    .fields = org_fields,
    .count = sizeof(org_fields) / sizeof(org_fields[0]),
};

static const struct sobject *sobject_find(const char *name)
{
    if (strcasecmp(name, user_object.name) == 0)
        return &user_object;
    if (strcasecmp(name, org_object.name) == 0)
        return &org_object;
    return NULL;
}

static const struct record_field *field_find(const struct sobject *object,
                                             const char *name)
{
    for (size_t i = 0; i < object->count; i++)
        if (strcasecmp(object->fields[i].name, name) == 0)
            return &object->fields[i];
    return NULL;
}

/* One record with the fields asked for; "Profile.Name" nests a Profile. */
static json_t *record_json(const struct fake_org *org,
                           const struct sobject *object,
                           const struct record_field *const *fields,
                           size_t count, const struct fake_user *user,
                           const char *version)
{
    const char *id = user != NULL ? user->id : org->org_id;
    json_t *record = alloc_check(json_object());

    json_object_set_new(record, "attributes",
                        attributes(object->name, id, version));
    for (size_t i = 0; i < count; i++) {
        const char *name = fields[i]->name;
        const char *dot = strchr(name, '.');
        char *key =
            dot != NULL ? xstrndup(name, (size_t)(dot - name)) : xstrdup(name);

        json_object_set_new(record, key,
                            alloc_check(fields[i]->value(org, user, version)));
        free(key);
    }
    return record;
}

/* ---- SOQL: SELECT f, ... FROM Object [WHERE f = 'v'] [LIMIT n] ---- */

struct soql {
    char *tokens[SOQL_TOKENS_MAX];
    size_t count;
    size_t next;
};

/* Splits q into words, quoted strings (kept with their quote) and marks. */
static bool soql_tokenize(const char *q, struct soql *out)
{
    memset(out, 0, sizeof(*out));
    while (*q != '\0') {
        const char *start = q;

        if (isspace((unsigned char)*q)) {
            q++;
            continue;
        }
        if (out->count == SOQL_TOKENS_MAX)
            return false;
        if (*q == '\'') {
            for (q++; *q != '\0' && *q != '\''; q++)
                if (*q == '\\' && q[1] != '\0')
                    q++;
            if (*q++ != '\'')
                return false;
        } else if (isalnum((unsigned char)*q) || *q == '_') {
            while (isalnum((unsigned char)*q) || *q == '_' || *q == '.')
                q++;
        } else {
            q++;
        }
        out->tokens[out->count++] = xstrndup(start, (size_t)(q - start));
    }
    return true;
}

static void soql_release(struct soql *soql)
{
    for (size_t i = 0; i < soql->count; i++)
        free(soql->tokens[i]);
}

static const char *soql_peek(const struct soql *soql)
{
    return soql->next < soql->count ? soql->tokens[soql->next] : "";
}

/* The next token as an error message names it. */
static const char *soql_shown(const struct soql *soql)
{
    return soql->next < soql->count ? soql->tokens[soql->next] : "<EOF>";
}

static bool soql_accept(struct soql *soql, const char *word)
{
    if (strcasecmp(soql_peek(soql), word) != 0)
        return false;
    soql->next++;
    return true;
}

/* The value of a quoted token, unescaped. */
static char *soql_string(const char *token)
{
    size_t len = strlen(token);
    char *out = xmalloc(len), *p = out;

    for (size_t i = 1; i + 1 < len; i++) {
        if (token[i] == '\\')
            i++;
        *p++ = token[i];
    }
    *p = '\0';
    return out;
}

/* A parsed query. */
struct query {
    const struct sobject *object;
    const struct record_field *fields[SOQL_TOKENS_MAX];
    size_t field_count;
    const struct record_field *where;
    char *value;
    long limit;
};

static void rest_query_error(struct fake_response *res, const char *code,
                             const char *message)
{
    response_rest_error(res, 400, code, message);
}

/* Reads the field names up to FROM; the object comes after them. */
static bool query_parse(struct soql *soql, struct query *q,
                        struct fake_response *res)
{
    const char *names[SOQL_TOKENS_MAX];
    size_t count = 0;
    char *message;

    if (!soql_accept(soql, "SELECT"))
        goto malformed;
    do {
        if (!isalpha((unsigned char)soql_peek(soql)[0]))
            goto malformed;
        names[count++] = soql->tokens[soql->next++];
    } while (soql_accept(soql, ","));
    if (!soql_accept(soql, "FROM"))
        goto malformed;

    q->object = sobject_find(soql_peek(soql));
    if (q->object == NULL) {
        message =
            xprintf("sObject type '%s' is not supported.", soql_peek(soql));
        rest_query_error(res, "INVALID_TYPE", message);
        free(message);
        return false;
    }
    soql->next++;
    for (size_t i = 0; i < count; i++) {
        q->fields[i] = field_find(q->object, names[i]);
        if (q->fields[i] == NULL) {
            message = xprintf("No such column '%s' on entity '%s'.", names[i],
                              q->object->name);
            rest_query_error(res, "INVALID_FIELD", message);
            free(message);
            return false;
        }
    }
    q->field_count = count;
    return true;

malformed:
    message = xprintf("unexpected token: %s", soql_shown(soql));
    rest_query_error(res, "MALFORMED_QUERY", message);
    free(message);
    return false;
}

/* Reads [WHERE field = 'value'] [LIMIT n] and the end. */
static bool query_parse_tail(struct soql *soql, struct query *q,
                             struct fake_response *res)
{
    char *message;

    if (soql_accept(soql, "WHERE")) {
        q->where = field_find(q->object, soql_peek(soql));
        if (q->where == NULL || strchr(q->where->name, '.') != NULL)
            goto malformed;
        soql->next++;
        if (!soql_accept(soql, "=") || soql_peek(soql)[0] != '\'')
            goto malformed;
        q->value = soql_string(soql->tokens[soql->next++]);
    }
    q->limit = -1;
    if (soql_accept(soql, "LIMIT")) {
        char *end;
        q->limit = strtol(soql_peek(soql), &end, 10);
        if (*end != '\0' || q->limit < 0)
            goto malformed;
        soql->next++;
    }
    if (soql->next == soql->count)
        return true;

malformed:
    message = xprintf("unexpected token: %s", soql_shown(soql));
    rest_query_error(res, "MALFORMED_QUERY", message);
    free(message);
    return false;
}

/* Whether the record matches WHERE: IDs and usernames without case. */
static bool query_matches(const struct fake_org *org, const struct query *q,
                          const struct fake_user *user, const char *version)
{
    json_t *value;
    bool match;

    if (q->where == NULL)
        return true;
    value = alloc_check(q->where->value(org, user, version));
    match = json_is_string(value) &&
            strcasecmp(json_string_value(value), q->value) == 0;
    if (json_is_boolean(value))
        match =
            strcasecmp(q->value, json_is_true(value) ? "true" : "false") == 0;
    json_decref(value);
    return match;
}

static void query_run(const struct fake_org *org, const struct query *q,
                      const char *version, struct fake_response *res)
{
    json_t *records = alloc_check(json_array());
    size_t count = q->object->per_user ? org->users.count : 1;

    for (size_t i = 0; i < count; i++) {
        const struct fake_user *user =
            q->object->per_user ? org->users.items[i] : NULL;

        if (q->limit >= 0 && json_array_size(records) >= (size_t)q->limit)
            break;
        if (query_matches(org, q, user, version))
            json_array_append_new(records,
                                  record_json(org, q->object, q->fields,
                                              q->field_count, user, version));
    }
    response_json(res, 200,
                  json_pack("{s:I, s:b, s:o}", "totalSize",
                            (json_int_t)json_array_size(records), "done", 1,
                            "records", records));
}

static void rest_query(const struct fake_org *org,
                       const struct fake_request *req, const char *version,
                       struct fake_response *res)
{
    const char *text = request_query(req, "q");
    struct soql soql;
    struct query q = {0};

    if (text == NULL) {
        rest_query_error(res, "MALFORMED_QUERY",
                         "A query string is "
                         "required: q=SELECT ...");
        return;
    }
    if (!soql_tokenize(text, &soql))
        rest_query_error(res, "MALFORMED_QUERY", "unexpected end of query");
    else if (query_parse(&soql, &q, res) && query_parse_tail(&soql, &q, res))
        query_run(org, &q, version, res);
    free(q.value);
    soql_release(&soql);
}

/* GET sobjects/Organization/<id>: the org, by its 15- or 18-char ID. */
static void rest_organization(const struct fake_org *org, const char *id,
                              const char *version, struct fake_response *res)
{
    const struct record_field
        *fields[sizeof(org_fields) / sizeof(org_fields[0])];
    size_t count = sizeof(org_fields) / sizeof(org_fields[0]);

    if ((strlen(id) != 15 && strlen(id) != ID_LEN) ||
        strncmp(id, org->org_id, 15) != 0) {
        response_not_found(res);
        return;
    }
    for (size_t i = 0; i < count; i++)
        fields[i] = &org_fields[i];
    response_json(res, 200,
                  record_json(org, &org_object, fields, count, NULL, version));
}

/* "v64.0/rest": copies "64.0" into version and returns "rest". */
static const char *data_version(const char *path, char version[8])
{
    char *end;
    long major;

    if (path[0] != 'v')
        return NULL;
    major = strtol(path + 1, &end, 10);
    if (end == path + 1 || strncmp(end, ".0", 2) != 0 ||
        (end[2] != '/' && end[2] != '\0') || major < API_VERSION_MIN ||
        major > API_VERSION_MAX)
        return NULL;
    snprintf(version, 8, "%ld.0", major);
    return end[2] == '/' ? end + 3 : end + 2;
}

void rest_data(struct fake_org *org, const struct fake_request *req,
               struct fake_response *res)
{
    char version[8];
    const char *rest =
        data_version(req->path + strlen("/services/data/"), version);
    const struct fake_session *session;

    if (rest == NULL) {
        response_not_found(res);
        return;
    }
    session = org_session_find(org, request_bearer(req));
    if (session == NULL) {
        response_rest_error(res, 401, "INVALID_SESSION_ID",
                            "Session expired or invalid");
    } else if (!session->api) {
        response_rest_error(res, 401, "INVALID_SESSION_ID",
                            "This session is not valid for use with the REST "
                            "API");
    } else if (strcmp(req->method, "GET") != 0) {
        response_rest_error(res, 405, "METHOD_NOT_ALLOWED",
                            "HTTP Method is not allowed for this resource");
    } else if (strcmp(rest, "query") == 0 || strcmp(rest, "query/") == 0) {
        rest_query(org, req, version, res);
    } else if (starts_with(rest, "sobjects/Organization/")) {
        rest_organization(org, rest + strlen("sobjects/Organization/"), version,
                          res);
    } else {
        response_not_found(res);
    }
}

/* ---- /_fake/...: what the org holds, for tests to assert on ---- */

static json_t *words_json(char *const *words)
{
    json_t *array = alloc_check(json_array());

    for (size_t i = 0; words != NULL && words[i] != NULL; i++)
        json_array_append_new(array, json_string(words[i]));
    return array;
}

static json_t *apps_json(const struct fake_org *org)
{
    json_t *apps = alloc_check(json_array());
    int64_t now = clock_ms();

    for (size_t i = 0; i < org->components.count; i++) {
        const struct fake_component *c = org->components.items[i];
        struct fake_app app;

        if (!component_is_app(c))
            continue;
        app_load(org, c, &app);
        json_array_append_new(
            apps, json_pack("{s:s, s:s, s:s?, s:o, s:o, s:o, s:I, s:b}", "name",
                            app.name, "kind",
                            app.kind == APP_ECA ? "eca" : "connected-app",
                            "consumer_key", app.consumer_key, "profiles",
                            words_json(app.profiles), "permission_sets",
                            words_json(app.permission_sets), "scopes",
                            words_json(app.scopes), "deployed_at_ms",
                            (json_int_t)app.deployed_at_ms, "propagating",
                            now < app.deployed_at_ms + org->propagation_ms));
        app_release(&app);
    }
    return apps;
}

static json_t *failures_json(const struct fake_deploy *deploy)
{
    json_t *failures = alloc_check(json_array());

    for (size_t i = 0; i < deploy->failures.count; i++) {
        const struct deploy_message *m = deploy->failures.items[i];
        json_array_append_new(failures,
                              json_pack("{s:s, s:s, s:s, s:s, s:s}",
                                        "componentType", m->type, "fullName",
                                        m->full_name, "fileName", m->file_name,
                                        "problem", m->problem, "problemType",
                                        m->warning ? "Warning" : "Error"));
    }
    return failures;
}

static json_t *deploys_json(const struct fake_org *org)
{
    json_t *deploys = alloc_check(json_array());
    int64_t now = clock_ms();

    for (size_t i = 0; i < org->deploys.count; i++) {
        const struct fake_deploy *d = org->deploys.items[i];
        enum deploy_status status = deploy_status_at(d, now);

        json_array_append_new(
            deploys,
            json_pack("{s:s, s:s, s:b, s:b, s:O, s:I, s:I, s:s?, s:s?, s:o}",
                      "id", d->id, "status", deploy_status_name(status), "done",
                      d->settled, "success", status == DEPLOY_SUCCEEDED,
                      "options", d->options_json, "components_total",
                      (json_int_t)d->components_total, "components_deployed",
                      (json_int_t)d->components_deployed, "errorStatusCode",
                      d->error_code, "errorMessage", d->error_message,
                      "failures", failures_json(d)));
    }
    return deploys;
}

static json_t *logins_json(const struct fake_org *org)
{
    json_t *logins = alloc_check(json_object());

    for (size_t i = 0; i < org->logins.count; i++) {
        const struct fake_login *login = org->logins.items[i];
        json_object_set_new(logins, login->app,
                            json_integer((json_int_t)login->count));
    }
    return logins;
}

void introspect_handle(struct fake_org *org, const struct fake_request *req,
                       struct fake_response *res)
{
    if (strcmp(req->method, "GET") != 0)
        response_rest_error(res, 405, "METHOD_NOT_ALLOWED",
                            "the fake's own resources only take GET");
    else if (strcmp(req->path, "/_fake/apps") == 0)
        response_json(res, 200, apps_json(org));
    else if (strcmp(req->path, "/_fake/deploys") == 0)
        response_json(res, 200, deploys_json(org));
    else if (strcmp(req->path, "/_fake/logins") == 0)
        response_json(res, 200, logins_json(org));
    else
        response_not_found(res);
}
