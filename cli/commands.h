/* The commands of sfci, one file each: cmd_<name>.c. */
#ifndef SFCI_COMMANDS_H
#define SFCI_COMMANDS_H

int cmd_login(int argc, char **argv);
int cmd_provision(int argc, char **argv);
int cmd_providers(int argc, char **argv);
int cmd_retire(int argc, char **argv);

/*
 * Handles an option that every command takes (-C, -q, -v, --no-color):
 * returns 0 if opt was one, -1 if not, or an exit code on error.
 */
int common_option(int opt, const char *arg);

/*
 * Reports the option getopt_long() could not take (opt '?' unknown, ':'
 * missing its value) for command (NULL: sfci itself); returns the exit
 * code.  The option strings must start with ':'.
 */
int option_error(const char *command, int opt, char **argv);

/* Long options of common_option(), to append to a command's table. */
/* clang-format off */
#define COMMON_LONG_OPTIONS                                                    \
    {"directory", required_argument, NULL, 'C'},                               \
    {"quiet", no_argument, NULL, 'q'},                                         \
    {"verbose", no_argument, NULL, 'v'},                                       \
    {"no-color", no_argument, NULL, OPT_NO_COLOR},                             \
    {"help", no_argument, NULL, 'h'}
/* clang-format on */

#define COMMON_SHORT_OPTIONS "C:qvh"

/* Option codes above the char range, shared by every command. */
enum {
    OPT_NO_COLOR = 0x100,
    OPT_FIRST_COMMAND_OPTION,
};

#endif
