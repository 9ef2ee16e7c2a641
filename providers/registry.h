/*
 * The CI hosts built into this sfci, chosen by the meson option
 * 'providers'.
 */
#ifndef SFCI_REGISTRY_H
#define SFCI_REGISTRY_H

#include "provider.h"

/* Every built host, in the order of the option, ending with NULL. */
extern const struct provider *const provider_table[];

/* The host called name, or NULL when it is unknown or not built in. */
const struct provider *provider_find(const char *name);

#endif
