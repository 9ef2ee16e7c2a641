#include "fake_salesforce.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CRUD_MAX 10
#define ILLEGAL_SESSION                                                        \
    "Invalid Session ID found in SessionHeader: Illegal Session"

/* One SOAP call, once the envelope and the session are checked. */
struct soap_call {
    struct fake_org *org;
    int api;
    xmlNodePtr operation;
};

/* A response envelope being built; meta is the default namespace. */
struct soap_reply {
    xmlDocPtr doc;
    xmlNsPtr meta;
    xmlNsPtr xsi;
    xmlNodePtr body;
};

static void reply_begin(struct soap_reply *reply, const char *fault_ns)
{
    xmlNodePtr envelope;
    xmlNsPtr env;

    reply->doc = alloc_check(xmlNewDoc(BAD_CAST "1.0"));
    envelope = alloc_check(xmlNewNode(NULL, BAD_CAST "Envelope"));
    xmlDocSetRootElement(reply->doc, envelope);
    env = alloc_check(
        xmlNewNs(envelope, BAD_CAST SOAP_ENV_NS, BAD_CAST "soapenv"));
    xmlSetNs(envelope, env);
    /* A fault names its codes sf:...; a result is in the default ns. */
    reply->meta = alloc_check(
        xmlNewNs(envelope, BAD_CAST METADATA_NS, BAD_CAST fault_ns));
    reply->xsi =
        alloc_check(xmlNewNs(envelope, BAD_CAST XSI_NS, BAD_CAST "xsi"));
    reply->body =
        alloc_check(xmlNewChild(envelope, env, BAD_CAST "Body", NULL));
}

/* Serialises the reply into res, with the HTTP status of SOAP 1.1. */
static void reply_finish(struct soap_reply *reply, unsigned int status,
                         struct fake_response *res)
{
    xmlChar *text = NULL;
    int len = 0;

    xmlDocDumpMemoryEnc(reply->doc, &text, &len, "UTF-8");
    alloc_check(text);
    response_set(res, status, "text/xml;charset=UTF-8", (const char *)text,
                 (size_t)len);
    xmlFree(text);
    xmlFreeDoc(reply->doc);
    reply->doc = NULL;
}

/*
 * Adds <name>text</name>, escaped, in namespace ns; with ns NULL the
 * element is unqualified (libxml2's xmlNewChild would give it the
 * parent's namespace), as SOAP 1.1 wants faultcode and faultstring.
 */
static xmlNodePtr add_text(xmlNodePtr parent, xmlNsPtr ns, const char *name,
                           const char *text)
{
    xmlNodePtr node = alloc_check(
        xmlNewDocRawNode(parent->doc, ns, BAD_CAST name, BAD_CAST text));

    return xmlAddChild(parent, node);
}

static xmlNodePtr add_node(xmlNodePtr parent, xmlNsPtr ns, const char *name)
{
    return add_text(parent, ns, name, NULL);
}

static void add_bool(xmlNodePtr parent, xmlNsPtr ns, const char *name,
                     bool value)
{
    add_text(parent, ns, name, value ? "true" : "false");
}

static void add_number(xmlNodePtr parent, xmlNsPtr ns, const char *name,
                       size_t value)
{
    char text[32];

    snprintf(text, sizeof(text), "%zu", value);
    add_text(parent, ns, name, text);
}

/* xsd:dateTime in UTC with milliseconds, as Salesforce writes it. */
static void add_time(xmlNodePtr parent, xmlNsPtr ns, const char *name,
                     int64_t ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    char text[96];

    gmtime_r(&seconds, &tm);
    snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    add_text(parent, ns, name, text);
}

/*
 * A fault with HTTP 500.  An API fault (code like INVALID_SESSION_ID)
 * is sf:CODE with the code before the message and an UnexpectedErrorFault
 * detail; a client fault (code NULL) is soapenv:Client, message alone.
 */
static void fault_answer(struct fake_response *res, const char *code,
                         const char *message)
{
    struct soap_reply reply;
    xmlNodePtr fault, detail, error;
    char *faultcode, *faultstring;

    reply_begin(&reply, "sf");
    fault = add_node(reply.body, reply.body->ns, "Fault");
    faultcode =
        code != NULL ? xprintf("sf:%s", code) : xstrdup("soapenv:Client");
    faultstring =
        code != NULL ? xprintf("%s: %s", code, message) : xstrdup(message);
    add_text(fault, NULL, "faultcode", faultcode);
    add_text(fault, NULL, "faultstring", faultstring);
    if (code != NULL) {
        detail = add_node(fault, NULL, "detail");
        error = add_node(detail, reply.meta, "UnexpectedErrorFault");
        alloc_check(xmlNewNsProp(error, reply.xsi, BAD_CAST "type",
                                 BAD_CAST "sf:UnexpectedErrorFault"));
        add_text(error, reply.meta, "exceptionCode", code);
        add_text(error, reply.meta, "exceptionMessage", message);
    }
    free(faultcode);
    free(faultstring);
    reply_finish(&reply, 500, res);
}

/* Starts <operationResponse><result> ... and returns the result. */
static xmlNodePtr result_begin(struct soap_reply *reply, const char *operation)
{
    char *name = xprintf("%sResponse", operation);
    xmlNodePtr response;

    reply_begin(reply, NULL);
    response = add_node(reply->body, reply->meta, name);
    free(name);
    return add_node(response, reply->meta, "result");
}

static void op_deploy(const struct soap_call *call, struct fake_response *res)
{
    struct soap_reply reply;
    struct fake_deploy *deploy;
    xmlNodePtr result;
    char *problem;

    deploy = deploy_start(call->org, call->operation, call->api, &problem);
    if (deploy == NULL) {
        fault_answer(res, NULL, problem);
        free(problem);
        return;
    }
    result = result_begin(&reply, "deploy");
    add_bool(result, reply.meta, "done", false);
    add_text(result, reply.meta, "id", deploy->id);
    add_text(result, reply.meta, "state", "Queued");
    reply_finish(&reply, 200, res);
}

static void message_add(xmlNodePtr details, xmlNsPtr ns,
                        const struct deploy_message *m, bool failure,
                        int64_t when)
{
    xmlNodePtr node = add_node(
        details, ns, failure ? "componentFailures" : "componentSuccesses");

    add_bool(node, ns, "changed", !failure);
    add_text(node, ns, "componentType", m->type);
    add_bool(node, ns, "created", m->created);
    add_time(node, ns, "createdDate", when);
    add_bool(node, ns, "deleted", m->deleted);
    add_text(node, ns, "fileName", m->file_name);
    add_text(node, ns, "fullName", m->full_name);
    if (failure) {
        add_text(node, ns, "problem", m->problem);
        add_text(node, ns, "problemType", m->warning ? "Warning" : "Error");
    }
    add_bool(node, ns, "success", !failure);
}

static void details_add(xmlNodePtr result, xmlNsPtr ns,
                        const struct fake_deploy *deploy)
{
    xmlNodePtr details = add_node(result, ns, "details");
    xmlNodePtr tests;

    for (size_t i = 0; i < deploy->failures.count; i++)
        message_add(details, ns, deploy->failures.items[i], true,
                    deploy->done_ms);
    for (size_t i = 0; i < deploy->successes.count; i++)
        message_add(details, ns, deploy->successes.items[i], false,
                    deploy->done_ms);
    tests = add_node(details, ns, "runTestResult");
    add_number(tests, ns, "numFailures", 0);
    add_number(tests, ns, "numTestsRun", 0);
    add_text(tests, ns, "totalTime", "0.0");
}

/* The DeployResult fields, in the WSDL's alphabetical order. */
static void deploy_result_add(xmlNodePtr result, xmlNsPtr ns,
                              const struct fake_deploy *deploy,
                              bool include_details, int64_t now)
{
    enum deploy_status status = deploy_status_at(deploy, now);

    add_bool(result, ns, "checkOnly", deploy->options.check_only);
    if (deploy->settled)
        add_time(result, ns, "completedDate", deploy->done_ms);
    add_time(result, ns, "createdDate", deploy->created_ms);
    if (include_details)
        details_add(result, ns, deploy);
    add_bool(result, ns, "done", deploy->settled);
    if (deploy->error_message != NULL)
        add_text(result, ns, "errorMessage", deploy->error_message);
    if (deploy->error_code != NULL)
        add_text(result, ns, "errorStatusCode", deploy->error_code);
    add_text(result, ns, "id", deploy->id);
    add_bool(result, ns, "ignoreWarnings", deploy->options.ignore_warnings);
    add_number(result, ns, "numberComponentErrors", deploy->failures.count);
    add_number(result, ns, "numberComponentsDeployed",
               deploy->components_deployed);
    add_number(result, ns, "numberComponentsTotal", deploy->components_total);
    add_number(result, ns, "numberTestErrors", 0);
    add_number(result, ns, "numberTestsCompleted", 0);
    add_number(result, ns, "numberTestsTotal", 0);
    add_bool(result, ns, "rollbackOnError", deploy->options.rollback_on_error);
    add_bool(result, ns, "runTestsEnabled", false);
    if (status != DEPLOY_PENDING)
        add_time(result, ns, "startDate", deploy->start_ms);
    add_text(result, ns, "status", deploy_status_name(status));
    add_bool(result, ns, "success", status == DEPLOY_SUCCEEDED);
}

static void op_check_deploy_status(const struct soap_call *call,
                                   struct fake_response *res)
{
    char *id = xml_child_text(call->operation, "asyncProcessId");
    char *details = xml_child_text(call->operation, "includeDetails");
    const struct fake_deploy *deploy =
        id != NULL ? deploy_find(call->org, id) : NULL;
    struct soap_reply reply;
    xmlNodePtr result;

    if (deploy == NULL) {
        fault_answer(res, "INVALID_CROSS_REFERENCE_KEY",
                     "invalid cross reference id");
    } else {
        result = result_begin(&reply, "checkDeployStatus");
        deploy_result_add(result, reply.meta, deploy,
                          details != NULL && strcmp(details, "true") == 0,
                          clock_ms());
        reply_finish(&reply, 200, res);
    }
    free(id);
    free(details);
}

/* The arguments of readMetadata and deleteMetadata. */
struct crud_args {
    char *type;
    struct list names; /* char * */
};

static void crud_args_release(struct crud_args *args)
{
    free(args->type);
    for (size_t i = 0; i < args->names.count; i++)
        free(args->names.items[i]);
    list_release(&args->names);
}

/* Reads type and fullNames; returns a fault message, or NULL. */
static char *crud_args_read(const struct soap_call *call, struct crud_args *out,
                            const char **code)
{
    memset(out, 0, sizeof(*out));
    *code = NULL;
    for (xmlNodePtr c = xml_first(call->operation); c != NULL;
         c = xml_next(c)) {
        if (xml_is(c, METADATA_NS, "type") && out->type == NULL)
            out->type = xml_text(c);
        else if (xml_is(c, METADATA_NS, "fullNames"))
            list_push(&out->names, xml_text(c));
        else
            return xprintf("Element {%s}%s invalid at this location", xml_ns(c),
                           (const char *)c->name);
    }
    if (out->type == NULL || meta_type_by_name(out->type) == NULL ||
        call->api < meta_type_by_name(out->type)->min_api) {
        *code = "INVALID_TYPE";
        return xprintf("Unknown type name '%s'",
                       out->type != NULL ? out->type : "");
    }
    if (out->names.count > CRUD_MAX) {
        *code = "LIMIT_EXCEEDED";
        return xprintf("Too many full names: the limit is %d", CRUD_MAX);
    }
    return NULL;
}

/*
 * Copies the children of from under to, in namespace ns; skip names one
 * child to leave out.
 */
static void children_copy(xmlNodePtr to, xmlNsPtr ns, xmlNodePtr from,
                          const char *skip)
{
    for (xmlNodePtr c = xml_first(from); c != NULL; c = xml_next(c)) {
        const char *name = (const char *)c->name;
        char *text;

        if (skip != NULL && strcmp(name, skip) == 0)
            continue;
        if (xml_first(c) != NULL) {
            children_copy(add_node(to, ns, name), ns, c, NULL);
            continue;
        }
        text = xml_text(c);
        add_text(to, ns, name, text);
        free(text);
    }
}

/* One record of readMetadata; a missing component is an empty record. */
static void record_add(xmlNodePtr result, const struct soap_reply *reply,
                       const struct fake_org *org, const char *type,
                       const char *name)
{
    const struct fake_component *c = org_component_find(org, type, name);
    xmlNodePtr record = add_node(result, reply->meta, "records");

    alloc_check(
        xmlNewNsProp(record, reply->xsi, BAD_CAST "type", BAD_CAST type));
    if (c == NULL)
        return;
    add_text(record, reply->meta, "fullName", c->full_name);
    children_copy(record, reply->meta, xmlDocGetRootElement(c->doc),
                  "fullName");
}

static void op_read_metadata(const struct soap_call *call,
                             struct fake_response *res)
{
    struct crud_args args;
    const char *code;
    char *problem = crud_args_read(call, &args, &code);
    struct soap_reply reply;
    xmlNodePtr result;

    if (problem != NULL) {
        fault_answer(res, code, problem);
        free(problem);
        crud_args_release(&args);
        return;
    }
    result = result_begin(&reply, "readMetadata");
    for (size_t i = 0; i < args.names.count; i++)
        record_add(result, &reply, call->org, args.type, args.names.items[i]);
    reply_finish(&reply, 200, res);
    crud_args_release(&args);
}

static void delete_result_add(xmlNodePtr response, xmlNsPtr ns,
                              struct fake_org *org, const char *type,
                              const char *name)
{
    xmlNodePtr result = add_node(response, ns, "result");
    bool deleted = org_component_delete(org, type, name);

    if (!deleted) {
        xmlNodePtr errors = add_node(result, ns, "errors");
        char *message =
            xprintf("In field: members - no %s named %s found", type, name);
        add_text(errors, ns, "message", message);
        add_text(errors, ns, "statusCode", "INVALID_CROSS_REFERENCE_KEY");
        free(message);
    }
    add_text(result, ns, "fullName", name);
    add_bool(result, ns, "success", deleted);
}

static void op_delete_metadata(const struct soap_call *call,
                               struct fake_response *res)
{
    struct crud_args args;
    const char *code;
    char *problem = crud_args_read(call, &args, &code);
    struct soap_reply reply;
    xmlNodePtr response;

    if (problem != NULL) {
        fault_answer(res, code, problem);
        free(problem);
        crud_args_release(&args);
        return;
    }
    reply_begin(&reply, NULL);
    response = add_node(reply.body, reply.meta, "deleteMetadataResponse");
    for (size_t i = 0; i < args.names.count; i++)
        delete_result_add(response, reply.meta, call->org, args.type,
                          args.names.items[i]);
    reply_finish(&reply, 200, res);
    crud_args_release(&args);
}

struct operation {
    const char *name;
    void (*run)(const struct soap_call *call, struct fake_response *res);
};

static const struct operation operations[] = {
    {"checkDeployStatus", op_check_deploy_status},
    {"deleteMetadata", op_delete_metadata},
    {"deploy", op_deploy},
    {"readMetadata", op_read_metadata},
};

static const struct operation *operation_find(xmlNodePtr node)
{
    if (strcmp(xml_ns(node), METADATA_NS) != 0)
        return NULL;
    for (size_t i = 0; i < sizeof(operations) / sizeof(operations[0]); i++)
        if (strcmp(operations[i].name, (const char *)node->name) == 0)
            return &operations[i];
    return NULL;
}

/* "/services/Soap/m/64.0[/...]": 64, or -1 for a version not served. */
static int path_api(const char *path)
{
    const char *version = path + strlen("/services/Soap/m/");
    char *end;
    long major = strtol(version, &end, 10);

    if (end == version || end[0] != '.' || end[1] != '0' ||
        (end[2] != '\0' && end[2] != '/'))
        return -1;
    if (major < API_VERSION_MIN || major > API_VERSION_MAX)
        return -1;
    return (int)major;
}

/* The HTTP-level checks of a SOAP request; false once it is answered. */
static bool request_acceptable(const struct fake_request *req, int *api,
                               struct fake_response *res)
{
    const char *type = request_header(req, "Content-Type");

    if (strcmp(req->method, "POST") != 0) {
        response_set(res, 405, "text/plain", "Method Not Allowed\n", 19);
        return false;
    }
    *api = path_api(req->path);
    if (*api < 0) {
        fault_answer(res, "UNSUPPORTED_API_VERSION",
                     "Invalid Api version specified on URL");
        return false;
    }
    if (request_header(req, "SOAPAction") == NULL) {
        fault_answer(res, NULL, "No SOAPAction header!");
        return false;
    }
    if (type == NULL || strncasecmp(type, "text/xml", 8) != 0) {
        fault_answer(res, NULL,
                     "Content type is not text/xml: SOAP 1.1 requests are "
                     "sent as text/xml");
        return false;
    }
    return true;
}

/* The Body's operation, or NULL with the client fault in problem. */
static xmlNodePtr envelope_operation(xmlDocPtr doc, char **problem)
{
    xmlNodePtr envelope = xmlDocGetRootElement(doc);
    xmlNodePtr body = NULL, operation;

    *problem = NULL;
    if (!xml_is(envelope, SOAP_ENV_NS, "Envelope")) {
        *problem = xstrdup("The root element is not a SOAP 1.1 Envelope");
        return NULL;
    }
    for (xmlNodePtr c = xml_first(envelope); c != NULL; c = xml_next(c))
        if (xml_is(c, SOAP_ENV_NS, "Body"))
            body = c;
    operation = body != NULL ? xml_first(body) : NULL;
    if (operation == NULL) {
        *problem = xstrdup("The SOAP Body holds no operation");
        return NULL;
    }
    if (operation_find(operation) == NULL)
        *problem = xprintf("No operation available for request {%s}%s",
                           xml_ns(operation), (const char *)operation->name);
    return operation;
}

/* The session of the SessionHeader, or NULL. */
static const struct fake_session *envelope_session(const struct fake_org *org,
                                                   xmlDocPtr doc)
{
    xmlNodePtr envelope = xmlDocGetRootElement(doc);
    const struct fake_session *session = NULL;

    for (xmlNodePtr c = xml_first(envelope); c != NULL; c = xml_next(c)) {
        xmlNodePtr header = xml_is(c, SOAP_ENV_NS, "Header")
                                ? xml_child(c, "SessionHeader")
                                : NULL;
        char *token =
            header != NULL ? xml_child_text(header, "sessionId") : NULL;

        if (token != NULL)
            session = org_session_find(org, token);
        free(token);
    }
    return session;
}

void soap_handle(struct fake_org *org, const struct fake_request *req,
                 struct fake_response *res)
{
    struct soap_call call = {.org = org};
    const struct fake_session *session;
    xmlDocPtr doc;
    char *problem = NULL;

    if (!request_acceptable(req, &call.api, res))
        return;
    xmlResetLastError();
    doc = xmlReadMemory(req->body, (int)req->body_len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING | XML_PARSE_HUGE);
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        const xmlError *error = xmlGetLastError();
        problem =
            xprintf("The request is not XML: %s",
                    error != NULL && error->message != NULL ? error->message
                                                            : "empty document");
        problem[strcspn(problem, "\n")] = '\0';
        fault_answer(res, NULL, problem);
        goto out;
    }

    call.operation = envelope_operation(doc, &problem);
    if (problem != NULL) {
        fault_answer(res, NULL, problem);
        goto out;
    }
    session = envelope_session(org, doc);
    if (session == NULL)
        fault_answer(res, "INVALID_SESSION_ID", ILLEGAL_SESSION);
    else if (!session->api)
        fault_answer(res, "INVALID_SESSION_ID",
                     "This session is not valid for use with the API");
    else
        operation_find(call.operation)->run(&call, res);

out:
    free(problem);
    xmlFreeDoc(doc);
}
