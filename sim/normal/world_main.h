/* A guest (normal world) as a process: `teeshm world-guest`, spawned by the hypervisor or the launcher. */
#ifndef TEESHM_NORMAL_WORLD_MAIN_H
#define TEESHM_NORMAL_WORLD_MAIN_H

int guest_world_main(int argc, char **argv);

#endif
