#include "variables.h"

#include "errors.h"

#include <ctype.h>

int variable_suffix(const char *name, struct buf *out)
{
    const unsigned char *p;
    int rc = 0;

    if (name == NULL || *name == '\0')
        return error_set(SFCI_EINPUT, "an org needs a name for its "
                                      "variables: the branch or alias is "
                                      "empty");

    for (p = (const unsigned char *)name; *p != '\0' && rc == 0; p++) {
        int c = toupper(*p);
        /* toupper() on bytes >= 0x80 is locale-bound: keep ASCII only. */
        if (*p >= 0x80 || !(isupper(c) || isdigit(c) || c == '_'))
            c = '_';
        rc = buf_putc(out, (char)c);
    }
    return rc;
}

int variable_name(enum variable_kind kind, const char *suffix, struct buf *out)
{
    static const char *const prefixes[] = {
        [VARIABLE_CLIENT_ID] = "SFDX_CLIENT_ID_",
        [VARIABLE_CLIENT_KEY] = "SFDX_CLIENT_KEY_",
        [VARIABLE_CLIENT_CERT] = "SFDX_CLIENT_CERT_",
    };

    return buf_printf(out, "%s%s", prefixes[kind], suffix);
}
