#include "registry.h"

#include <string.h>

const struct provider *provider_find(const char *name)
{
    const struct provider *const *p;

    for (p = provider_table; *p != NULL; p++) {
        if (strcmp((*p)->name, name) == 0)
            return *p;
    }
    return NULL;
}
