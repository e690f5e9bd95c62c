/*
 * RPC commands the secure world sends to the normal world inside an
 * OPTEE_SMC_RETURN_RPC_CMD (values equal optee_os core/include/optee_rpc_cmd.h).
 * Each travels as an optee_msg_arg whose cmd is one of these.  Freestanding.
 */
#ifndef TEESHM_COMMON_OPTEE_RPC_CMD_H
#define TEESHM_COMMON_OPTEE_RPC_CMD_H

/* [in] value[0].a-b TA UUID; [out] memref[1] the TA image (NULL to query size). */
#define OPTEE_RPC_CMD_LOAD_TA 0
#define OPTEE_RPC_CMD_RPMB 1
/* File system service of tee-supplicant (secure storage). */
#define OPTEE_RPC_CMD_FS 2
#define OPTEE_RPC_CMD_GET_TIME 3
#define OPTEE_RPC_CMD_WAIT_QUEUE 4
#define OPTEE_RPC_CMD_SUSPEND 5
/*
 * [in] value[0].a shm type (OPTEE_RPC_SHM_TYPE_*), .b size, .c alignment;
 * [out] memref[0] the buffer (tmem, NONCONTIG allowed).
 */
#define OPTEE_RPC_CMD_SHM_ALLOC 6
/* [in] value[0].a shm type, .b shm cookie to free. */
#define OPTEE_RPC_CMD_SHM_FREE 7
#define OPTEE_RPC_CMD_SQL_FS_RESERVED 8
#define OPTEE_RPC_CMD_GPROF 9
#define OPTEE_RPC_CMD_SOCKET 10
#define OPTEE_RPC_CMD_FTRACE 11
#define OPTEE_RPC_CMD_SUPP_PLUGIN 12
#define OPTEE_RPC_CMD_BENCH_REG 20

/* Memory shared with a non-secure user-space application (tee-supplicant). */
#define OPTEE_RPC_SHM_TYPE_APPL 0
/* Memory shared with the non-secure kernel only. */
#define OPTEE_RPC_SHM_TYPE_KERNEL 1
/* Kernel memory also exported to a user-space application. */
#define OPTEE_RPC_SHM_TYPE_GLOBAL 2

#define OPTEE_RPC_WAIT_QUEUE_SLEEP 0
#define OPTEE_RPC_WAIT_QUEUE_WAKEUP 1

#endif
