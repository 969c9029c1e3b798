/*
 * ST LSM6DSO32 over SPI: register-level FIFO with time stamps.
 *
 * Register map and codes from the LSM6DSO32 datasheet (DS13246): WHO_AM_I 0x0F = 0x6C; CTRL1_XL 0x10
 * (ODR_XL bits 7:4, FS_XL bits 3:2: 00 = +-4 g, 10 = +-8 g, 11 = +-16 g, 01 = +-32 g); CTRL2_G 0x11 (ODR_G
 * bits 7:4, FS_G bits 3:2 and FS_125 bit 1); CTRL3_C 0x12 (BDU bit 6, IF_INC bit 2, SW_RESET bit 0);
 * CTRL10_C 0x19 (TIMESTAMP_EN bit 5); FIFO_CTRL3 0x09 (BDR_GY bits 7:4, BDR_XL bits 3:0); FIFO_CTRL4 0x0A
 * (DEC_TS_BATCH bits 7:6, FIFO_MODE bits 2:0, 110 = continuous); FIFO_STATUS1/2 0x3A/0x3B (DIFF_FIFO 10
 * bits, FIFO_OVR_IA bit 6 of STATUS2); TIMESTAMP0-3 0x40-0x43 (25 us per LSB); FIFO_DATA_OUT_TAG 0x78 then
 * six data bytes, tag in bits 7:3 (0x01 gyroscope, 0x02 accelerometer, 0x04 time stamp).
 * ODR codes: 0x3 52 Hz, 0x4 104 Hz, 0x5 208 Hz, 0x6 416 Hz, 0x7 833 Hz, 0x8 1.66 kHz.
 * Check every value against the datasheet revision of your parts before production.
 */
#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/drivers/spi.h>
#include <zephyr/kernel.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/util.h>

#include "imu.h"

#define REG_FIFO_CTRL3 0x09
#define REG_FIFO_CTRL4 0x0A
#define REG_WHO_AM_I 0x0F
#define REG_CTRL1_XL 0x10
#define REG_CTRL2_G 0x11
#define REG_CTRL3_C 0x12
#define REG_CTRL10_C 0x19
#define REG_FIFO_STATUS1 0x3A
#define REG_TIMESTAMP0 0x40
#define REG_FIFO_DATA_OUT_TAG 0x78

#define WHO_AM_I_VALUE 0x6C
#define TAG_GYRO 0x01
#define TAG_ACC 0x02
#define TAG_TIMESTAMP 0x04
#define FIFO_WORD 7
#define FIFO_MODE_BYPASS 0x00
#define FIFO_MODE_CONTINUOUS 0x06
#define DEC_TS_EVERY_BATCH (0x1 << 6)

/* Gyroscope: ST counts are 4.375 * 2^code mdps, the profile's 125 * 2^code / 32768 deg/s = 3.8147 * 2^code
 * mdps: multiply by 1.14688 = 37581 / 2^15 (gatt-profile.md, section 2). */
#define GYRO_SCALE_Q15 37581

static const struct spi_dt_spec bus = SPI_DT_SPEC_GET(DT_NODELABEL(imu),
						      SPI_WORD_SET(8) | SPI_TRANSFER_MSB | SPI_MODE_CPOL |
							      SPI_MODE_CPHA,
						      0);

/* Profile accelerometer code -> FS_XL bits (LSM6DSO32 has +-4 ... +-32 g: codes 1-4). */
static const int8_t fs_xl[8] = {-1, 0x0, 0x2, 0x3, 0x1, -1, -1, -1};
/* Profile gyroscope code -> CTRL2_G bits 3:1 (+-125 ... +-2000 deg/s: codes 0-4). */
static const int8_t fs_g[6] = {0x1, 0x0, 0x2, 0x4, 0x6, -1};

static uint8_t gyro_code_in_use = GYRO_OFF;

static int reg_write(uint8_t reg, uint8_t value)
{
	uint8_t tx[2] = {reg & 0x7F, value};
	const struct spi_buf buf = {.buf = tx, .len = sizeof(tx)};
	const struct spi_buf_set set = {.buffers = &buf, .count = 1};

	return spi_write_dt(&bus, &set);
}

static int reg_read(uint8_t reg, uint8_t *data, size_t len)
{
	uint8_t cmd = reg | 0x80;
	const struct spi_buf tx_buf = {.buf = &cmd, .len = 1};
	const struct spi_buf_set tx = {.buffers = &tx_buf, .count = 1};
	struct spi_buf rx_bufs[2] = {{.buf = NULL, .len = 1}, {.buf = data, .len = len}};
	const struct spi_buf_set rx = {.buffers = rx_bufs, .count = 2};

	return spi_transceive_dt(&bus, &tx, &rx);
}

int imu_init(void)
{
	uint8_t id = 0;

	if (!spi_is_ready_dt(&bus)) {
		return -ENODEV;
	}
	if (reg_read(REG_WHO_AM_I, &id, 1) != 0 || id != WHO_AM_I_VALUE) {
		return -ENODEV;
	}
	reg_write(REG_CTRL3_C, 0x01); /* software reset */
	k_msleep(10);
	/* Block data update and address auto-increment for burst reads. */
	return reg_write(REG_CTRL3_C, 0x44);
}

bool imu_supports(uint8_t rate_code, uint8_t acc_code, uint8_t gyro_code)
{
	if (rate_code < 1 || rate_code > 6 || acc_code > 7 || fs_xl[acc_code] < 0) {
		return false;
	}
	return gyro_code == GYRO_OFF || (gyro_code <= 5 && fs_g[gyro_code] >= 0);
}

int imu_start(uint8_t rate_code, uint8_t acc_code, uint8_t gyro_code)
{
	const uint8_t odr = rate_code + 2; /* profile 1 (52 Hz) -> ODR code 0x3 ... 6 (1666 Hz) -> 0x8 */
	const bool gyro_on = gyro_code != GYRO_OFF;
	int err;

	if (!imu_supports(rate_code, acc_code, gyro_code)) {
		return -EINVAL;
	}
	err = reg_write(REG_FIFO_CTRL4, FIFO_MODE_BYPASS); /* empties the FIFO */
	err |= reg_write(REG_CTRL1_XL, (odr << 4) | (fs_xl[acc_code] << 2));
	err |= reg_write(REG_CTRL2_G, gyro_on ? (odr << 4) | (fs_g[gyro_code] << 1) : 0);
	err |= reg_write(REG_CTRL10_C, 0x20); /* time stamp counter on */
	err |= reg_write(REG_FIFO_CTRL3, ((gyro_on ? odr : 0) << 4) | odr);
	err |= reg_write(REG_FIFO_CTRL4, DEC_TS_EVERY_BATCH | FIFO_MODE_CONTINUOUS);
	gyro_code_in_use = gyro_code;
	return err ? -EIO : 0;
}

int imu_stop(void)
{
	int err = reg_write(REG_FIFO_CTRL4, FIFO_MODE_BYPASS);

	err |= reg_write(REG_CTRL1_XL, 0);
	err |= reg_write(REG_CTRL2_G, 0);
	return err ? -EIO : 0;
}

int imu_now(uint32_t *ticks)
{
	uint8_t raw[4];
	int err = reg_read(REG_TIMESTAMP0, raw, sizeof(raw));

	*ticks = sys_get_le32(raw);
	return err;
}

static int16_t rescale_gyro(int16_t raw, bool *clipped)
{
	int32_t v = ((int32_t)raw * GYRO_SCALE_Q15) >> 15;

	if (v > INT16_MAX || v < INT16_MIN) {
		*clipped = true;
		return v > 0 ? INT16_MAX : INT16_MIN;
	}
	if (v == INT16_MAX || v == INT16_MIN) {
		*clipped = true;
	}
	return (int16_t)v;
}

int imu_read(struct imu_sample *out, size_t max, bool *overrun)
{
	/* Up to 64 FIFO words (about 20 samples with their time stamps) per round; the caller's buffer must
	 * hold at least 64 samples so that no word read out of the FIFO is thrown away. */
	static uint8_t words[64 * FIFO_WORD];
	static uint32_t ticks;
	static struct imu_sample pending;
	static bool have_acc, have_gyr;
	uint8_t status[2];
	size_t n_out = 0;
	int err = reg_read(REG_FIFO_STATUS1, status, sizeof(status));

	if (err) {
		return err;
	}
	*overrun = (status[1] & BIT(6)) != 0;
	size_t n_words = ((status[1] & 0x03) << 8) | status[0];

	while (n_words > 0 && n_out + ARRAY_SIZE(words) / FIFO_WORD <= max) {
		size_t chunk = MIN(n_words, ARRAY_SIZE(words) / FIFO_WORD);

		/* One 7-byte read per word (tag and data), each starting at FIFO_DATA_OUT_TAG. */
		for (size_t w = 0; w < chunk; w++) {
			err = reg_read(REG_FIFO_DATA_OUT_TAG, &words[w * FIFO_WORD], FIFO_WORD);
			if (err) {
				return err;
			}
		}
		n_words -= chunk;
		for (size_t w = 0; w < chunk; w++) {
			const uint8_t *word = &words[w * FIFO_WORD];
			const uint8_t tag = word[0] >> 3;

			if (tag == TAG_TIMESTAMP) {
				ticks = sys_get_le32(&word[1]);
			} else if (tag == TAG_ACC) {
				for (int i = 0; i < 3; i++) {
					pending.acc[i] = (int16_t)sys_get_le16(&word[1 + 2 * i]);
					if (pending.acc[i] == INT16_MAX || pending.acc[i] == INT16_MIN) {
						pending.acc_clipped = true;
					}
				}
				have_acc = true;
			} else if (tag == TAG_GYRO) {
				for (int i = 0; i < 3; i++) {
					pending.gyr[i] = rescale_gyro((int16_t)sys_get_le16(&word[1 + 2 * i]),
								      &pending.gyr_clipped);
				}
				have_gyr = true;
			}
			if (have_acc && (have_gyr || gyro_code_in_use == GYRO_OFF)) {
				pending.ticks = ticks;
				out[n_out++] = pending;
				pending = (struct imu_sample){0};
				have_acc = have_gyr = false;
			}
		}
	}
	return (int)n_out;
}
