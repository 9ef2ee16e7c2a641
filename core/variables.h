/*
 * The CI variables of one org, named as DESIGN.md section 3 says:
 * SFDX_CLIENT_ID_<NAME>, SFDX_CLIENT_KEY_<NAME> and, when the encrypted
 * key is kept in a variable, SFDX_CLIENT_CERT_<NAME>.
 */
#ifndef SFCI_VARIABLES_H
#define SFCI_VARIABLES_H

#include "buf.h"

enum variable_kind {
    VARIABLE_CLIENT_ID,   /* the consumer key */
    VARIABLE_CLIENT_KEY,  /* the decryption key of the private key */
    VARIABLE_CLIENT_CERT, /* the encrypted private key */
};

/*
 * Appends to out the <NAME> of a branch or alias: upper case, every
 * character outside [A-Z0-9_] turned into '_' ("pre-prod" -> "PRE_PROD",
 * "release/2.0" -> "RELEASE_2_0").  An empty name is SFCI_EINPUT.
 */
int variable_suffix(const char *name, struct buf *out);

/* Appends the full variable name of kind for suffix to out. */
int variable_name(enum variable_kind kind, const char *suffix, struct buf *out);

#endif
