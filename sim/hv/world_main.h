/* The hypervisor as a process: `teeshm world-hv`, spawned by the launcher; it spawns the guests. */
#ifndef TEESHM_HV_WORLD_MAIN_H
#define TEESHM_HV_WORLD_MAIN_H

int hv_world_main(int argc, char **argv);

#endif
