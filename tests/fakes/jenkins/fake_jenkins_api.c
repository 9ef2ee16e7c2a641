/*
 * The routes: authentication and CSRF as Jenkins' filters apply them, the
 * root, whoAmI and crumb issuer, the folders, the credential stores, and
 * /_fake/ for the tests.  The order of the checks is Jenkins' own: a
 * proxy's rate limit, then authentication, then the crumb of a POST, then
 * the URL, then the permission, then the request itself.
 */
#include "fake_jenkins.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define JENKINS_VERSION "2.479.3"
#define SESSION_COOKIE "JSESSIONID.fa4e3b1c"
#define CRUMB_FIELD "Jenkins-Crumb"

#define CLASS_DOMAIN                                                           \
    "com.cloudbees.plugins.credentials.CredentialsStoreAction$DomainWrapper"
#define CLASS_CREDENTIAL                                                       \
    "com.cloudbees.plugins.credentials.CredentialsStoreAction$"                \
    "CredentialsWrapper"
#define CLASS_FOLDER "com.cloudbees.hudson.plugins.folder.Folder"
#define PERMISSION_PREFIX                                                      \
    "com.cloudbees.plugins.credentials.CredentialsProvider."

/* Who sent a request, as Jenkins' security filters decide it. */
struct caller {
    const char *user; /* NULL: anonymous */
    enum account_kind kind;
    bool api_token;
    struct web_session *session; /* of the cookie, or NULL */
};

/* A request to a credential store, its URL taken apart. */
struct store_request {
    const char *folder; /* NULL: the system store */
    const char *rest;   /* after ".../domain/_/" */
};

void jenkins_release(struct jenkins *jenkins)
{
    store_release(&jenkins->store);
    for (size_t i = 0; i < jenkins->accounts.count; i++) {
        struct account *account = jenkins->accounts.items[i];

        free(account->user);
        free(account->secret);
    }
    list_free_all(&jenkins->accounts);
    for (size_t i = 0; i < jenkins->sessions.count; i++) {
        struct web_session *session = jenkins->sessions.items[i];

        free(session->id);
        free(session->user);
    }
    list_free_all(&jenkins->sessions);
    list_free_all(&jenkins->requests);
}

static void response_json(struct fake_response *res, unsigned int status,
                          json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);

    json_decref(json);
    response_take(res, status, "application/json;charset=utf-8",
                  alloc_check(text));
}

/* The page Jenkins shows for an exception: no detail, a 500. */
static void response_oops(struct fake_response *res,
                          const struct fake_request *req, const char *problem)
{
    if (problem != NULL)
        fprintf(stderr, "fake-jenkins: %s %s: %s\n", req->method, req->path,
                problem);
    response_take(res, 500, "text/html;charset=utf-8",
                  xstrdup("<!DOCTYPE html><html><head><title>Jenkins</title>"
                          "</head><body><h1>Oops!</h1><p>A problem occurred "
                          "while processing the request.</p></body></html>\n"));
}

/* hudson.model.Failure: error.jelly, a 400 with X-Error. */
static void response_failure(struct fake_response *res, const char *message)
{
    char *text = markup_escape(message);

    response_take(res, 400, "text/html;charset=utf-8",
                  xprintf("<!DOCTYPE html><html><head><title>Jenkins</title>"
                          "</head><body><h1>Error</h1><p>%s</p></body>"
                          "</html>\n",
                          text));
    response_header(res, "X-Error", message);
    free(text);
}

static void response_page(struct fake_response *res, const char *title)
{
    char *text = markup_escape(title);

    response_take(res, 200, "text/html;charset=utf-8",
                  xprintf("<!DOCTYPE html><html><head><title>%s [Jenkins]"
                          "</title></head><body><h1>%s</h1></body></html>\n",
                          text, text));
    free(text);
}

/* ---- authentication and CSRF ---- */

static struct account *account_find(const struct jenkins *jenkins,
                                    const char *user, const char *secret)
{
    for (size_t i = 0; i < jenkins->accounts.count; i++) {
        struct account *account = jenkins->accounts.items[i];

        if (strcmp(account->user, user) == 0 &&
            (secret == NULL || strcmp(account->secret, secret) == 0))
            return account;
    }
    return NULL;
}

static struct web_session *session_find(const struct jenkins *jenkins,
                                        const struct fake_request *req)
{
    const char *id = request_cookie(req, SESSION_COOKIE);

    for (size_t i = 0; id != NULL && i < jenkins->sessions.count; i++) {
        struct web_session *session = jenkins->sessions.items[i];

        if (strcmp(session->id, id) == 0)
            return session;
    }
    return NULL;
}

/* The user:secret of a Basic header, a new string; NULL without one. */
static char *basic_credentials(const struct fake_request *req)
{
    const char *header = request_header(req, "Authorization");

    if (header == NULL || strncasecmp(header, "Basic ", 6) != 0)
        return NULL;
    header += 6;
    while (*header == ' ')
        header++;
    return base64_decode(header);
}

static void refuse_credentials(struct fake_response *res,
                               const struct fake_request *req, const char *user)
{
    char *message = xprintf("Invalid password/token for user: %s", user);

    response_error(res, req, 401, message);
    response_header(res, "WWW-Authenticate", "Basic realm=\"Jenkins\"");
    free(message);
}

/*
 * Basic user:apiToken or user:password, else the session of the cookie,
 * else anonymous.  Bad credentials are refused whatever the URL.
 * Returns false when it answered.
 */
static bool authenticate(const struct jenkins *jenkins,
                         const struct fake_request *req,
                         struct fake_response *res, struct caller *caller)
{
    char *basic = basic_credentials(req);
    char *colon = basic != NULL ? strchr(basic, ':') : NULL;
    const struct account *account = NULL;
    bool by_header = basic != NULL;

    memset(caller, 0, sizeof(*caller));
    caller->session = session_find(jenkins, req);
    if (by_header) {
        if (colon != NULL) {
            *colon = '\0';
            account = account_find(jenkins, basic, colon + 1);
        }
        if (account == NULL) {
            refuse_credentials(res, req, basic);
            free(basic);
            return false;
        }
        free(basic);
    } else if (caller->session != NULL) {
        account = account_find(jenkins, caller->session->user, NULL);
    }
    if (account != NULL) {
        caller->user = account->user;
        caller->kind = account->kind;
        caller->api_token = by_header && account->kind != ACCOUNT_PASSWORD;
    }
    return true;
}

/* CrumbFilter: a POST needs the crumb of its session, unless by token. */
static bool crumb_valid(const struct fake_request *req,
                        const struct caller *caller)
{
    const char *crumb = request_header(req, CRUMB_FIELD);
    const struct web_session *session = caller->session;

    if (strcmp(req->method, "POST") != 0 || caller->api_token)
        return true;
    return crumb != NULL && session != NULL && caller->user != NULL &&
           strcmp(session->user, caller->user) == 0 &&
           strcmp(session->crumb, crumb) == 0;
}

/* Overall/Read: anonymous has none on this controller. */
static bool require_read(const struct fake_request *req,
                         struct fake_response *res, const struct caller *caller)
{
    if (caller->user != NULL)
        return true;
    response_error(res, req, 403,
                   "anonymous is missing the Overall/Read permission");
    response_header(res, "X-You-Are-Authenticated-As", "anonymous");
    response_header(res, "X-Required-Permission", "hudson.model.Hudson.Read");
    return false;
}

/* Credentials/Create, Update or Delete: not for a read-only token. */
static bool require_permission(const struct fake_request *req,
                               struct fake_response *res,
                               const struct caller *caller,
                               const char *permission)
{
    char *message, *required;

    if (caller->kind != ACCOUNT_READ_ONLY)
        return true;
    message = xprintf("%s is missing the Credentials/%s permission",
                      caller->user, permission);
    required = xprintf(PERMISSION_PREFIX "%s", permission);
    response_error(res, req, 403, message);
    response_header(res, "X-You-Are-Authenticated-As", caller->user);
    response_header(res, "X-Required-Permission", required);
    free(message);
    free(required);
    return false;
}

/* The Nth credential-writing request fails once, as --fail-write-at. */
static bool write_fails(struct jenkins *jenkins, const struct fake_request *req,
                        struct fake_response *res)
{
    jenkins->writes_seen++;
    if (jenkins->writes_seen != jenkins->fail_write_at)
        return false;
    response_oops(res, req, "failing this write (--fail-write-at)");
    return true;
}

/* ---- the root, whoAmI, the crumb issuer ---- */

static void who_am_i(const struct caller *caller, struct fake_response *res)
{
    const char *name = caller->user != NULL ? caller->user : "anonymous";
    json_t *json = json_pack(
        "{s:s, s:b, s:b, s:[s], s:n, s:s}", "_class", "hudson.security.WhoAmI",
        "anonymous", caller->user == NULL, "authenticated", 1, "authorities",
        caller->user != NULL ? "authenticated" : "anonymous", "details", "name",
        name);

    response_json(res, 200, alloc_check(json));
}

static struct web_session *session_new(struct jenkins *jenkins,
                                       const char *user)
{
    struct web_session *session = alloc_check(calloc(1, sizeof(*session)));
    char id[33];

    random_hex(id, 32);
    session->id = xstrdup(id);
    session->user = xstrdup(user);
    random_hex(session->crumb, 64);
    list_push(&jenkins->sessions, session);
    return session;
}

static void crumb_issue(struct jenkins *jenkins, const struct caller *caller,
                        struct fake_response *res)
{
    struct web_session *session = caller->session;
    json_t *json;

    if (session == NULL || strcmp(session->user, caller->user) != 0) {
        char *cookie;

        session = session_new(jenkins, caller->user);
        cookie = xprintf(SESSION_COOKIE "=%s; Path=/; HttpOnly", session->id);
        response_header(res, "Set-Cookie", cookie);
        free(cookie);
    }
    json = json_pack("{s:s, s:s, s:s}", "_class",
                     "hudson.security.csrf.DefaultCrumbIssuer", "crumb",
                     session->crumb, "crumbRequestField", CRUMB_FIELD);
    response_json(res, 200, alloc_check(json));
}

/* The folders directly in parent ("" for the root), as "jobs". */
static json_t *folder_jobs(const struct store *store, const char *parent)
{
    json_t *jobs = alloc_check(json_array());
    size_t parent_len = strlen(parent);

    for (size_t i = 0; i < store->folders.count; i++) {
        const char *name = store->folders.items[i];

        if (parent_len > 0) {
            if (strncmp(name, parent, parent_len) != 0 ||
                name[parent_len] != '/')
                continue;
            name += parent_len + 1;
        }
        if (strchr(name, '/') == NULL)
            json_array_append_new(
                jobs, alloc_check(json_pack("{s:s, s:s}", "_class",
                                            CLASS_FOLDER, "name", name)));
    }
    return jobs;
}

static void root_api(const struct jenkins *jenkins, struct fake_response *res)
{
    json_t *json =
        json_pack("{s:s, s:o, s:s, s:s, s:b}", "_class", "hudson.model.Hudson",
                  "jobs", folder_jobs(&jenkins->store, ""), "mode", "NORMAL",
                  "nodeName", "", "useSecurity", 1);

    response_json(res, 200, alloc_check(json));
}

static void folder_api(const struct jenkins *jenkins, const char *folder,
                       struct fake_response *res)
{
    const char *slash = strrchr(folder, '/');
    json_t *json =
        json_pack("{s:s, s:s, s:s, s:o}", "_class", CLASS_FOLDER, "name",
                  slash != NULL ? slash + 1 : folder, "fullName", folder,
                  "jobs", folder_jobs(&jenkins->store, folder));

    response_json(res, 200, alloc_check(json));
}

/* ---- the credential stores ---- */

static char *credential_full_name(const struct credential *c)
{
    if (c->folder == NULL)
        return xprintf("system/_/%s", c->id);
    return xprintf("%s/folder/_/%s", c->folder, c->id);
}

/* Whether the tree parameter asks for field ("credentials[id,...]"). */
static bool tree_wants(const char *tree, const char *field)
{
    const char *open;
    size_t len = strlen(field);

    if (tree == NULL)
        return true;
    open = strstr(tree, "credentials[");
    if (open == NULL)
        return false;
    for (const char *p = open + 12; *p != '\0' && *p != ']';) {
        size_t n = strcspn(p, ",]");

        if (n == len && strncmp(p, field, len) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static json_t *credential_json(const struct credential *c, const char *tree)
{
    json_t *json = alloc_check(json_pack("{s:s}", "_class", CLASS_CREDENTIAL));
    const char *description = c->description ? c->description : "";
    char *full_name = credential_full_name(c);

    if (tree_wants(tree, "id"))
        json_object_set_new(json, "id", json_string(c->id));
    if (tree_wants(tree, "description"))
        json_object_set_new(json, "description", json_string(description));
    if (tree_wants(tree, "displayName"))
        json_object_set_new(json, "displayName",
                            json_string(description[0] ? description : c->id));
    if (tree_wants(tree, "typeName"))
        json_object_set_new(json, "typeName", json_string(c->kind->type_name));
    if (tree_wants(tree, "fullName"))
        json_object_set_new(json, "fullName", json_string(full_name));
    if (tree_wants(tree, "fingerprint"))
        json_object_set_new(json, "fingerprint", json_null());
    free(full_name);
    return json;
}

static void store_list(const struct jenkins *jenkins,
                       const struct fake_request *req, const char *folder,
                       struct fake_response *res)
{
    const char *tree = request_query(req, "tree");
    json_t *list = alloc_check(json_array());
    json_t *json;

    for (size_t i = 0; i < jenkins->store.credentials.count; i++) {
        const struct credential *c = jenkins->store.credentials.items[i];

        if ((c->folder == NULL) == (folder == NULL) &&
            (folder == NULL || strcmp(c->folder, folder) == 0))
            json_array_append_new(list, credential_json(c, tree));
    }
    json = alloc_check(
        json_pack("{s:s, s:o}", "_class", CLASS_DOMAIN, "credentials", list));
    if (tree == NULL) {
        json_object_set_new(json, "displayName",
                            json_string("Global credentials (unrestricted)"));
        json_object_set_new(json, "global", json_true());
        json_object_set_new(json, "urlName", json_string("_"));
    }
    response_json(res, 200, json);
}

/* The fields of a form's "credentials" object, as bindJSON takes them. */
static struct credential *credential_from_form(json_t *data, char **problem)
{
    json_t *fields = json_object_get(data, "credentials");
    const char *class_name =
        json_string_value(json_object_get(fields, "$class"));
    const struct credential_kind *kind;
    struct credential *c;
    const char *id, *text;
    char uuid[37];

    if (class_name == NULL)
        class_name =
            json_string_value(json_object_get(fields, "stapler-class"));
    kind = class_name != NULL ? credential_kind_find(class_name) : NULL;
    if (kind == NULL) {
        *problem = xstrdup("java.lang.ClassNotFoundException");
        return NULL;
    }
    /* The constructor gives an empty ID a random UUID. */
    id = json_string_value(json_object_get(fields, "id"));
    random_hex(uuid, 36);
    uuid[8] = uuid[13] = uuid[18] = uuid[23] = '-';
    text = json_string_value(json_object_get(fields, kind->secret_field));
    c = credential_new(kind, id != NULL && id[0] != '\0' ? id : uuid,
                       text != NULL ? text : "");
    text = json_string_value(json_object_get(fields, "scope"));
    c->scope = xstrdup(text != NULL ? text : "GLOBAL");
    text = json_string_value(json_object_get(fields, "description"));
    c->description = xstrdup(text != NULL ? text : "");
    text = kind->extra_field != NULL
               ? json_string_value(json_object_get(fields, kind->extra_field))
               : NULL;
    if (text != NULL)
        c->extra = xstrdup(text);
    return c;
}

/* The form create: a 302 back to the domain, even when the ID is taken. */
static void create_by_form(struct jenkins *jenkins,
                           const struct fake_request *req, const char *folder,
                           struct fake_response *res)
{
    char *text = form_value(req->body, "json");
    json_t *data = text != NULL ? json_loads(text, 0, NULL) : NULL;
    char *problem = NULL;
    struct credential *c;

    free(text);
    if (data == NULL) {
        response_oops(res, req,
                      "javax.servlet.ServletException: This page expects a "
                      "form submission");
        return;
    }
    c = credential_from_form(data, &problem);
    json_decref(data);
    if (c == NULL) {
        response_oops(res, req, problem);
        free(problem);
        return;
    }
    c->folder = folder != NULL ? xstrdup(folder) : NULL;
    if (!store_add(&jenkins->store, c))
        credential_free(c);
    response_empty(res, 302);
    response_header(res, "Location", "../../domain/_");
}

static void create_credential(struct jenkins *jenkins,
                              const struct fake_request *req,
                              const struct caller *caller, const char *folder,
                              struct fake_response *res)
{
    const char *type = request_header(req, "Content-Type");
    char *problem = NULL;
    struct credential *c;

    if (strcmp(req->method, "POST") != 0) {
        response_error(res, req, 405, "This URL requires POST");
        return;
    }
    if (write_fails(jenkins, req, res) ||
        !require_permission(req, res, caller, "Create"))
        return;
    if (type == NULL) {
        response_failure(res, "No Content-Type header set");
        return;
    }
    if (!starts_with(type, "application/xml") &&
        !starts_with(type, "text/xml")) {
        create_by_form(jenkins, req, folder, res);
        return;
    }

    c = credential_from_xml(req->body, req->body_len, &problem);
    if (c == NULL) {
        response_oops(res, req, problem);
        free(problem);
        return;
    }
    c->folder = folder != NULL ? xstrdup(folder) : NULL;
    if (!store_add(&jenkins->store, c)) {
        credential_free(c);
        response_empty(res, 409);
        return;
    }
    response_empty(res, 200);
}

/* POST config.xml: the whole credential, replaced in place. */
static void update_credential(struct jenkins *jenkins,
                              const struct fake_request *req,
                              struct credential *current,
                              struct fake_response *res)
{
    char *problem = NULL;
    struct credential *c =
        credential_from_xml(req->body, req->body_len, &problem);

    if (c != NULL && strcmp(c->id, current->id) != 0) {
        problem = xstrdup("java.lang.IllegalArgumentException: Credentials' "
                          "IDs do not match, will not update.");
        credential_free(c);
        c = NULL;
    }
    if (c == NULL) {
        response_oops(res, req, problem);
        free(problem);
        return;
    }
    c->folder = current->folder != NULL ? xstrdup(current->folder) : NULL;
    store_replace(&jenkins->store, current, c);
    response_empty(res, 200);
}

static void config_xml(struct jenkins *jenkins, const struct fake_request *req,
                       const struct caller *caller, struct credential *c,
                       struct fake_response *res)
{
    if (strcmp(req->method, "GET") == 0) {
        response_take(res, 200, "application/xml",
                      credential_to_redacted_xml(c));
    } else if (strcmp(req->method, "POST") == 0) {
        if (!write_fails(jenkins, req, res) &&
            require_permission(req, res, caller, "Update"))
            update_credential(jenkins, req, c, res);
    } else if (strcmp(req->method, "DELETE") == 0) {
        if (write_fails(jenkins, req, res) ||
            !require_permission(req, res, caller, "Delete"))
            return;
        store_remove(&jenkins->store, c);
        response_empty(res, 200);
    } else {
        response_error(res, req, 400, NULL);
    }
}

/* .../credential/<id>/<rest> (or credentials/<id>/...). */
static void credential_route(struct jenkins *jenkins,
                             const struct fake_request *req,
                             const struct caller *caller, const char *folder,
                             const char *path, struct fake_response *res)
{
    size_t id_len = strcspn(path, "/");
    char *id = xstrndup(path, id_len);
    const char *rest = path[id_len] == '/' ? path + id_len + 1 : "";
    struct credential *c = store_find(&jenkins->store, folder, id);

    free(id);
    if (c == NULL) {
        response_error(res, req, 404, NULL);
    } else if (rest[0] == '\0') {
        response_page(res, c->id);
    } else if (strcmp(rest, "api/json") == 0) {
        response_json(res, 200, credential_json(c, NULL));
    } else if (strcmp(rest, "config.xml") == 0) {
        config_xml(jenkins, req, caller, c, res);
    } else if (strcmp(rest, "doDelete") == 0 &&
               strcmp(req->method, "POST") == 0) {
        if (write_fails(jenkins, req, res) ||
            !require_permission(req, res, caller, "Delete"))
            return;
        store_remove(&jenkins->store, c);
        response_empty(res, 302);
        response_header(res, "Location", "../..");
    } else {
        response_error(res, req, 404, NULL);
    }
}

static void store_route(struct jenkins *jenkins, const struct fake_request *req,
                        const struct caller *caller,
                        const struct store_request *target,
                        struct fake_response *res)
{
    const char *rest = target->rest;

    if (rest[0] == '\0')
        response_page(res, "Global credentials (unrestricted)");
    else if (strcmp(rest, "api/json") == 0)
        store_list(jenkins, req, target->folder, res);
    else if (strcmp(rest, "createCredentials") == 0)
        create_credential(jenkins, req, caller, target->folder, res);
    else if (starts_with(rest, "credential/"))
        credential_route(jenkins, req, caller, target->folder, rest + 11, res);
    else if (starts_with(rest, "credentials/"))
        credential_route(jenkins, req, caller, target->folder, rest + 12, res);
    else
        response_error(res, req, 404, NULL);
}

/*
 * Takes "/job/a/job/b" off the front of *path into a new "a/b", or NULL
 * when the path does not start with /job/.
 */
static char *folder_take(const char **path)
{
    char *folder = NULL;

    while (starts_with(*path, "/job/") && (*path)[5] != '/' && (*path)[5]) {
        size_t len = strcspn(*path + 5, "/");
        char *longer = folder == NULL
                           ? xstrndup(*path + 5, len)
                           : xprintf("%s/%.*s", folder, (int)len, *path + 5);

        free(folder);
        folder = longer;
        *path += 5 + len;
    }
    return folder;
}

/* The domain part: only the global one, "_", exists. */
static bool domain_take(const char *path, const char *prefix,
                        struct store_request *target)
{
    if (!starts_with(path, prefix))
        return false;
    path += strlen(prefix);
    if (strcmp(path, "_") == 0) {
        target->rest = "";
        return true;
    }
    if (!starts_with(path, "_/"))
        return false;
    target->rest = path + 2;
    return true;
}

static void folder_route(struct jenkins *jenkins,
                         const struct fake_request *req,
                         const struct caller *caller, const char *path,
                         struct fake_response *res)
{
    char *folder = folder_take(&path);
    struct store_request target = {.folder = folder};

    if (folder == NULL || !store_folder_exists(&jenkins->store, folder))
        response_error(res, req, 404, NULL);
    else if (path[0] == '\0' || strcmp(path, "/") == 0)
        response_page(res, folder);
    else if (strcmp(path, "/api/json") == 0)
        folder_api(jenkins, folder, res);
    else if (domain_take(path, "/credentials/store/folder/domain/", &target))
        store_route(jenkins, req, caller, &target, res);
    else
        response_error(res, req, 404, NULL);
    free(folder);
}

static void route(struct jenkins *jenkins, const struct fake_request *req,
                  struct caller *caller, struct fake_response *res)
{
    const char *path = req->path;
    struct store_request target = {0};

    if (strcmp(path, "/whoAmI/api/json") == 0) {
        who_am_i(caller, res);
        return;
    }
    if (!require_read(req, res, caller))
        return;
    if (strcmp(path, "/crumbIssuer/api/json") == 0)
        crumb_issue(jenkins, caller, res);
    else if (strcmp(path, "/api/json") == 0)
        root_api(jenkins, res);
    else if (starts_with(path, "/job/"))
        folder_route(jenkins, req, caller, path, res);
    else if (domain_take(path, "/credentials/store/system/domain/", &target) ||
             domain_take(path, "/manage/credentials/store/system/domain/",
                         &target))
        store_route(jenkins, req, caller, &target, res);
    else
        response_error(res, req, 404, NULL);
}

/* ---- /_fake/: what the tests read ---- */

static void fake_variables(const struct jenkins *jenkins,
                           struct fake_response *res)
{
    json_t *list = alloc_check(json_array());

    for (size_t i = 0; i < jenkins->store.credentials.count; i++) {
        const struct credential *c = jenkins->store.credentials.items[i];

        json_array_append_new(
            list, alloc_check(json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s?}",
                                        "name", c->id, "value", c->secret,
                                        "folder", c->folder, "scope", c->scope,
                                        "kind", c->kind->type_name,
                                        "description", c->description)));
    }
    response_json(res, 200, list);
}

static void fake_requests(const struct jenkins *jenkins,
                          struct fake_response *res)
{
    json_t *list = alloc_check(json_array());

    for (size_t i = 0; i < jenkins->requests.count; i++)
        json_array_append_new(list, json_string(jenkins->requests.items[i]));
    response_json(res, 200, list);
}

static void fake_route(const struct jenkins *jenkins,
                       const struct fake_request *req,
                       struct fake_response *res)
{
    if (strcmp(req->path, "/_fake/variables") == 0)
        fake_variables(jenkins, res);
    else if (strcmp(req->path, "/_fake/requests") == 0)
        fake_requests(jenkins, res);
    else
        response_error(res, req, 404, NULL);
}

static void sleep_ms(unsigned long ms)
{
    struct timespec wait = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&wait, &wait) != 0)
        continue;
}

void jenkins_handle(struct jenkins *jenkins, const struct fake_request *req,
                    struct fake_response *res)
{
    struct caller caller;

    if (starts_with(req->path, "/_fake/")) {
        fake_route(jenkins, req, res);
        return;
    }
    list_push(&jenkins->requests, xprintf("%s %s", req->method, req->path));
    jenkins->requests_seen++;
    if (jenkins->latency_ms > 0)
        sleep_ms(jenkins->latency_ms);

    /* A proxy in front answers before Jenkins sees the request. */
    if (jenkins->requests_seen == jenkins->rate_limit_at) {
        response_error(res, req, 429, NULL);
        response_header(res, "Retry-After", "1");
        return;
    }
    response_header(res, "X-Jenkins", JENKINS_VERSION);
    if (!authenticate(jenkins, req, res, &caller))
        return;
    if (!crumb_valid(req, &caller)) {
        response_error(res, req, 403,
                       "No valid crumb was included in the request");
        return;
    }
    route(jenkins, req, &caller, res);
}
