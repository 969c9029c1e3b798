/*
 * The IMU as the profile needs it: configure by profile codes, start/stop a time-stamped FIFO, read
 * samples already in the profile's counts (gatt-profile.md, section 2).
 */
#ifndef ANKLE_IMU_H
#define ANKLE_IMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GYRO_OFF 15

struct imu_sample {
	int16_t acc[3];   /* profile counts: full_scale_g / 32768 g */
	int16_t gyr[3];   /* profile counts: full_scale_dps / 32768 deg/s */
	uint32_t ticks;   /* IMU time stamp, 25 us per tick */
	bool acc_clipped;
	bool gyr_clipped;
};

/* Probe the part (WHO_AM_I) and put it in a known state. 0 or a negative errno. */
int imu_init(void);

/* Whether the part supports these profile codes (rate 1-6, accelerometer 0-7, gyroscope 0-5 or 15). */
bool imu_supports(uint8_t rate_code, uint8_t acc_code, uint8_t gyro_code);

/* Configure, empty the FIFO and start batching samples with time stamps. */
int imu_start(uint8_t rate_code, uint8_t acc_code, uint8_t gyro_code);
int imu_stop(void);

/* The IMU's free-running time stamp now (25 us ticks). */
int imu_now(uint32_t *ticks);

/* Drain up to max samples from the FIFO; *overrun is set when the FIFO overflowed since the last call. */
int imu_read(struct imu_sample *out, size_t max, bool *overrun);

#define IMU_US_PER_TICK 25u

#endif
