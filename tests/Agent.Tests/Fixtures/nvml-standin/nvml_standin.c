/*
 * A stand-in for libnvidia-ml, for testing the agent's NVML binding on machines without an NVIDIA GPU.
 *
 * Written from NVML's documented API (nvml.h, "NVML API Reference": nvmlInit_v2, nvmlDeviceGetCount_v2,
 * nvmlDeviceGetHandleByIndex_v2, nvmlDeviceGetName, nvmlDeviceGetUUID, nvmlDeviceGetUtilizationRates,
 * nvmlDeviceGetMemoryInfo(_v2), nvmlDeviceGetTemperature, nvmlDeviceGetPowerUsage,
 * nvmlDeviceGetEnforcedPowerLimit, nvmlDeviceGetFanSpeed, nvmlShutdown): the same prototypes, struct layouts,
 * return codes and struct-version rule, so a binding that passes here calls the real library the same way.
 * It is not NVIDIA code and reports two made-up devices:
 *
 *   0  "NVIDIA Stand-in A100"  passively cooled: nvmlDeviceGetFanSpeed answers NVML_ERROR_NOT_SUPPORTED;
 *                              no reserved memory
 *   1  "NVIDIA Stand-in 4090"  512 MiB reserved, so memory v1's "used" (reserved + allocated) differs from v2's
 *
 * Build variants (the tests compile each with cc -shared -fPIC):
 *   -DSTANDIN_NO_MEMORY_V2   no nvmlDeviceGetMemoryInfo_v2 (drivers before R510): the binding must fall back to v1
 *   -DSTANDIN_NO_FAN_SPEED   no nvmlDeviceGetFanSpeed: a library the binding cannot use
 *
 * standin_* functions let the tests steer and observe it; NVML has nothing like them.
 */
#include <string.h>

/* nvml.h: nvmlReturn_t (the values used here) */
typedef enum nvmlReturn_enum {
    NVML_SUCCESS = 0,
    NVML_ERROR_UNINITIALIZED = 1,
    NVML_ERROR_INVALID_ARGUMENT = 2,
    NVML_ERROR_NOT_SUPPORTED = 3,
    NVML_ERROR_INSUFFICIENT_SIZE = 7,
    NVML_ERROR_DRIVER_NOT_LOADED = 9,
    NVML_ERROR_GPU_IS_LOST = 15,
    NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
} nvmlReturn_t;

/* nvml.h: an opaque handle */
typedef struct nvmlDevice_st *nvmlDevice_t;

typedef enum nvmlTemperatureSensors_enum {
    NVML_TEMPERATURE_GPU = 0,
} nvmlTemperatureSensors_t;

typedef struct nvmlUtilization_st {
    unsigned int gpu;    /* % of the past sample period a kernel ran */
    unsigned int memory; /* % of the past sample period global memory was read or written */
} nvmlUtilization_t;

/* v1: "used" is reserved + allocated */
typedef struct nvmlMemory_st {
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_t;

typedef struct nvmlMemory_v2_st {
    unsigned int version;
    unsigned long long total;
    unsigned long long reserved;
    unsigned long long free;
    unsigned long long used;
} nvmlMemory_v2_t;

#define NVML_STRUCT_VERSION(data, ver) (unsigned int)(sizeof(nvml##data##_v##ver##_t) | ((ver) << 24U))
#define nvmlMemory_v2 NVML_STRUCT_VERSION(Memory, 2)

struct nvmlDevice_st {
    const char *name;
    const char *uuid;
    nvmlUtilization_t utilization;
    unsigned long long total, reserved, used;
    unsigned int temperature;  /* °C */
    unsigned int power;        /* mW */
    unsigned int power_limit;  /* mW */
    int fan_supported;
    unsigned int fan;          /* % */
};

#define GiB (1024ULL * 1024ULL * 1024ULL)
#define MiB (1024ULL * 1024ULL)

static struct nvmlDevice_st devices[2] = {
    { "NVIDIA Stand-in A100", "GPU-5e1c0000-1111-2222-3333-444444444444", { 37, 12 },
      80 * GiB, 0, 10 * GiB, 41, 123456, 400000, 0, 0 },
    { "NVIDIA Stand-in 4090", "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", { 99, 45 },
      24 * GiB, 512 * MiB, 8 * GiB, 67, 350250, 450000, 1, 55 },
};

static int init_count;        /* nvmlInit_v2 is reference counted; nvmlShutdown undoes one */
static int init_calls;
static int name_calls;
static nvmlReturn_t init_result = NVML_SUCCESS;
static nvmlReturn_t utilization_result[2] = { NVML_SUCCESS, NVML_SUCCESS };

/* Test hooks. */
void standin_reset(void)
{
    init_calls = 0;
    name_calls = 0;
    init_result = NVML_SUCCESS;
    utilization_result[0] = utilization_result[1] = NVML_SUCCESS;
}
void standin_set_init_result(int result) { init_result = (nvmlReturn_t)result; }
void standin_set_utilization_result(unsigned int index, int result) { utilization_result[index] = (nvmlReturn_t)result; }
int standin_init_count(void) { return init_count; }
int standin_init_calls(void) { return init_calls; }
int standin_name_calls(void) { return name_calls; }

/* Which device a handle is, or -1 for a handle this library never gave out. */
static int device_index(nvmlDevice_t device)
{
    for (int i = 0; i < 2; i++) {
        if (device == &devices[i]) {
            return i;
        }
    }
    return -1;
}

#define CHECK(device, out)                        \
    if (init_count == 0) {                        \
        return NVML_ERROR_UNINITIALIZED;          \
    }                                             \
    if (device_index(device) < 0 || !(out)) {     \
        return NVML_ERROR_INVALID_ARGUMENT;       \
    }

nvmlReturn_t nvmlInit_v2(void)
{
    init_calls++;
    if (init_result != NVML_SUCCESS) {
        return init_result;
    }
    init_count++;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void)
{
    if (init_count == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    init_count--;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
    if (init_count == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (!deviceCount) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *deviceCount = 2;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (init_count == 0) {
        return NVML_ERROR_UNINITIALIZED;
    }
    if (index >= 2 || !device) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *device = &devices[index];
    return NVML_SUCCESS;
}

static nvmlReturn_t copy_string(const char *value, char *buffer, unsigned int length)
{
    if (!buffer) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (strlen(value) + 1 > length) {
        return NVML_ERROR_INSUFFICIENT_SIZE;
    }
    memcpy(buffer, value, strlen(value) + 1);
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    CHECK(device, name);
    name_calls++;
    return copy_string(device->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    CHECK(device, uuid);
    return copy_string(device->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *utilization)
{
    CHECK(device, utilization);
    nvmlReturn_t result = utilization_result[device_index(device)];
    if (result != NVML_SUCCESS) {
        return result;
    }
    *utilization = device->utilization;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
    CHECK(device, memory);
    memory->total = device->total;
    memory->used = device->reserved + device->used;
    memory->free = device->total - memory->used;
    return NVML_SUCCESS;
}

#ifndef STANDIN_NO_MEMORY_V2
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory)
{
    CHECK(device, memory);
    if (memory->version != nvmlMemory_v2) {
        return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
    }
    memory->total = device->total;
    memory->reserved = device->reserved;
    memory->used = device->used;
    memory->free = device->total - device->reserved - device->used;
    return NVML_SUCCESS;
}
#endif

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t device, nvmlTemperatureSensors_t sensorType, unsigned int *temp)
{
    CHECK(device, temp);
    if (sensorType != NVML_TEMPERATURE_GPU) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *temp = device->temperature;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    CHECK(device, power);
    *power = device->power;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t device, unsigned int *limit)
{
    CHECK(device, limit);
    *limit = device->power_limit;
    return NVML_SUCCESS;
}

#ifndef STANDIN_NO_FAN_SPEED
nvmlReturn_t nvmlDeviceGetFanSpeed(nvmlDevice_t device, unsigned int *speed)
{
    CHECK(device, speed);
    if (!device->fan_supported) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    *speed = device->fan;
    return NVML_SUCCESS;
}
#endif
