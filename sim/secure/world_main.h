/* The secure world as a process: `teeshm world-secure`, spawned by the launcher. */
#ifndef TEESHM_SECURE_WORLD_MAIN_H
#define TEESHM_SECURE_WORLD_MAIN_H

int secure_world_main(int argc, char **argv);

#endif
