/*
 * daemon_keycmd: `swarmlab-node key new|show|export|import|passwd`, keys a
 * person can manage (docs/data.md). main.c hands it the command line when
 * its first word is "key"; it calls down into daemon_key.c, store_keys.c
 * and daemon_files.c, and nothing of the running daemon.
 */
#ifndef SWARMLAB_DAEMON_KEYCMD_H
#define SWARMLAB_DAEMON_KEYCMD_H

/* argv[0] is "key"; the exit code: 0, 1 (a wrong passphrase, a damaged
 * file, a file that would be overwritten), 2 (bad arguments: the usage). */
int daemon_keycmd_main(int argc, char **argv);

#endif
