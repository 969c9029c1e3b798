/*
 * Ankle IMU reference firmware: the profile of firmware_notes/gatt-profile.md on Zephyr (nRF52840 +
 * LSM6DSO32). Section numbers below refer to that document.
 *
 * One thread owns the IMU and the protocol state: it executes control commands (queued by the GATT write
 * handler, which runs in the Bluetooth RX thread and must not block), drains the IMU's FIFO every 10 ms,
 * fills data packets and notifies them. Nothing else touches the state, so there is no locking.
 */
#include <errno.h>
#include <string.h>

#include <zephyr/bluetooth/bluetooth.h>
#include <zephyr/bluetooth/conn.h>
#include <zephyr/bluetooth/gatt.h>
#include <zephyr/bluetooth/services/bas.h>
#include <zephyr/bluetooth/uuid.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/printk.h>

#include "imu.h"

LOG_MODULE_REGISTER(ankle_imu, LOG_LEVEL_INF);

/* --- Section 1: UUIDs (base 430axxxx-d28d-44fb-9e2d-0cf52afc7167) -------------------------------------- */

#define ANKLE_UUID(part) BT_UUID_128_ENCODE(0x430a0000 | (part), 0xd28d, 0x44fb, 0x9e2d, 0x0cf52afc7167)

static const struct bt_uuid_128 svc_uuid = BT_UUID_INIT_128(ANKLE_UUID(0x0001));
static const struct bt_uuid_128 data_uuid = BT_UUID_INIT_128(ANKLE_UUID(0x0002));
static const struct bt_uuid_128 ctrl_uuid = BT_UUID_INIT_128(ANKLE_UUID(0x0003));

/* --- Sections 2-4: protocol constants ------------------------------------------------------------------ */

#define FORMAT_VERSION 1
#define HEADER_LEN 14
#define MAX_SAMPLES 255
#define FLUSH_AFTER_US 50000u /* a packet leaves at most 50 ms after its first sample */

#define FLAG_GYRO 0x01
#define FLAG_ACC_CLIPPED 0x02
#define FLAG_GYRO_CLIPPED 0x04
#define FLAG_OVERRUN 0x08
#define FLAG_CLOCK_RESET 0x10

enum opcode { OP_NOTICE, OP_START, OP_STOP, OP_SET_RATE, OP_SET_RANGES, OP_CLOCK_RESET, OP_GET_CONFIG };
enum status {
	ST_SUCCESS,
	ST_UNKNOWN_OPCODE,
	ST_INVALID_LENGTH,
	ST_INVALID_PARAMETER,
	ST_BUSY_STREAMING,
	ST_MTU_TOO_SMALL,
	ST_SENSOR_FAULT,
	ST_BATTERY_LOW,
};
#define STATE_STREAMING 0x01
#define STATE_LOW_BATTERY 0x02

static const uint32_t nominal_interval_ns[7] = {0, 19230769, 9615385, 4807692, 2403846, 1200480, 600240};

/* --- State, owned by the stream thread ----------------------------------------------------------------- */

static struct {
	uint8_t rate, acc, gyro; /* profile codes in force */
} cfg = {.rate = 4, .acc = 4, .gyro = 4}; /* 416 Hz, +-32 g, +-2000 deg/s */

static bool streaming;
static bool imu_ok;
static uint8_t battery_percent = 100;
static uint32_t tick_origin;       /* IMU ticks at START / CLOCK_RESET: sensor time 0 */
static uint16_t seq;
static uint32_t packets_dropped;
static uint32_t interval_ns_est;   /* running estimate, used when a packet holds one sample */

static uint8_t pkt[HEADER_LEN + MAX_SAMPLES * 12];
static uint8_t pkt_n;
static uint8_t pkt_flags;
static uint32_t pkt_t_first_us, pkt_t_last_us;
static bool next_packet_clock_reset;

static struct bt_conn *current_conn;
static bool data_notify_enabled, ctrl_indicate_enabled;

struct command {
	uint8_t bytes[3];
	uint8_t len;
};
K_MSGQ_DEFINE(commands, sizeof(struct command), 4, 4);

/* --- GATT service -------------------------------------------------------------------------------------- */

static void data_ccc_changed(const struct bt_gatt_attr *attr, uint16_t value)
{
	data_notify_enabled = value == BT_GATT_CCC_NOTIFY;
}

static void ctrl_ccc_changed(const struct bt_gatt_attr *attr, uint16_t value)
{
	ctrl_indicate_enabled = value == BT_GATT_CCC_INDICATE;
}

static ssize_t ctrl_write(struct bt_conn *conn, const struct bt_gatt_attr *attr, const void *buf,
			  uint16_t len, uint16_t offset, uint8_t flags)
{
	struct command cmd = {.len = len > 3 ? 4 : len}; /* 4 = "too long", answered INVALID_LENGTH */

	if (offset != 0) {
		return BT_GATT_ERR(BT_ATT_ERR_INVALID_OFFSET);
	}
	memcpy(cmd.bytes, buf, MIN(len, 3));
	if (k_msgq_put(&commands, &cmd, K_NO_WAIT) != 0) {
		return BT_GATT_ERR(BT_ATT_ERR_PREPARE_QUEUE_FULL);
	}
	return len; /* errors travel in the reply (section 3), never at the ATT level */
}

BT_GATT_SERVICE_DEFINE(ankle_svc,
	BT_GATT_PRIMARY_SERVICE(&svc_uuid),
	BT_GATT_CHARACTERISTIC(&data_uuid.uuid, BT_GATT_CHRC_NOTIFY, BT_GATT_PERM_NONE, NULL, NULL, NULL),
	BT_GATT_CCC(data_ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE),
	BT_GATT_CHARACTERISTIC(&ctrl_uuid.uuid, BT_GATT_CHRC_WRITE | BT_GATT_CHRC_INDICATE, BT_GATT_PERM_WRITE,
			       NULL, ctrl_write, NULL),
	BT_GATT_CCC(ctrl_ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE),
);

#define DATA_ATTR (&ankle_svc.attrs[2])
#define CTRL_ATTR (&ankle_svc.attrs[5])

/* --- Sensor clock -------------------------------------------------------------------------------------- */

static uint32_t sensor_time_us(uint32_t ticks)
{
	/* Unsigned arithmetic wraps exactly as the profile's 32-bit microsecond clock does (71.6 min). */
	return (ticks - tick_origin) * IMU_US_PER_TICK;
}

static uint32_t sensor_now_us(void)
{
	uint32_t ticks = tick_origin;

	if (imu_ok) {
		imu_now(&ticks);
	}
	return sensor_time_us(ticks);
}

/* --- Section 4: replies -------------------------------------------------------------------------------- */

static uint8_t reply_buf[10];
static struct bt_gatt_indicate_params reply_params;
static atomic_t reply_in_flight;

static void reply_done(struct bt_conn *conn, struct bt_gatt_indicate_params *params, uint8_t err)
{
	atomic_clear(&reply_in_flight);
}

static void send_reply(uint8_t opcode, uint8_t status)
{
	if (current_conn == NULL || !ctrl_indicate_enabled || atomic_set(&reply_in_flight, 1)) {
		return; /* the app repeats GET_CONFIG when a reply is missing */
	}
	reply_buf[0] = opcode;
	reply_buf[1] = status;
	reply_buf[2] = (streaming ? STATE_STREAMING : 0) | (battery_percent < 10 ? STATE_LOW_BATTERY : 0);
	reply_buf[3] = cfg.rate;
	reply_buf[4] = cfg.acc;
	reply_buf[5] = cfg.gyro;
	sys_put_le32(sensor_now_us(), &reply_buf[6]);
	reply_params = (struct bt_gatt_indicate_params){
		.attr = CTRL_ATTR, .data = reply_buf, .len = sizeof(reply_buf), .func = reply_done};
	if (bt_gatt_indicate(current_conn, &reply_params) != 0) {
		atomic_clear(&reply_in_flight);
	}
}

/* --- Section 2: data packets --------------------------------------------------------------------------- */

static size_t bytes_per_sample(void)
{
	return cfg.gyro == GYRO_OFF ? 6 : 12;
}

static size_t max_samples(void)
{
	if (current_conn == NULL) {
		return 0;
	}
	size_t payload = bt_gatt_get_mtu(current_conn) - 3;

	return payload < HEADER_LEN ? 0 : MIN((payload - HEADER_LEN) / bytes_per_sample(), MAX_SAMPLES);
}

static void send_packet(void)
{
	if (pkt_n == 0) {
		return;
	}
	uint32_t interval_ns = interval_ns_est;

	if (pkt_n > 1) {
		/* The measured interval: first to last sample of this packet (section 2, "Time"). */
		interval_ns = (uint32_t)(((uint64_t)(pkt_t_last_us - pkt_t_first_us) * 1000u) / (pkt_n - 1));
		interval_ns_est = interval_ns_est - interval_ns_est / 8 + interval_ns / 8;
	}
	pkt[0] = FORMAT_VERSION;
	pkt[1] = pkt_flags | (cfg.gyro == GYRO_OFF ? 0 : FLAG_GYRO);
	pkt[2] = cfg.acc | (cfg.gyro << 4);
	pkt[3] = pkt_n;
	sys_put_le16(seq, &pkt[4]);
	sys_put_le32(pkt_t_first_us, &pkt[6]);
	sys_put_le32(interval_ns, &pkt[10]);

	size_t len = HEADER_LEN + pkt_n * bytes_per_sample();

	if (current_conn == NULL || !data_notify_enabled ||
	    bt_gatt_notify(current_conn, DATA_ATTR, pkt, len) != 0) {
		packets_dropped++; /* seq still advances: the app sees the loss (section 2, "Sequence numbers") */
	}
	seq++;
	pkt_n = 0;
	pkt_flags = 0;
}

static void add_sample(const struct imu_sample *s, bool overrun)
{
	uint32_t t_us = sensor_time_us(s->ticks);
	size_t bps = bytes_per_sample();
	uint8_t *p;

	if (pkt_n == 0) {
		pkt_t_first_us = t_us;
		if (next_packet_clock_reset) {
			pkt_flags |= FLAG_CLOCK_RESET;
			next_packet_clock_reset = false;
		}
	}
	pkt_flags |= (overrun ? FLAG_OVERRUN : 0) | (s->acc_clipped ? FLAG_ACC_CLIPPED : 0) |
		     (s->gyr_clipped ? FLAG_GYRO_CLIPPED : 0);
	p = &pkt[HEADER_LEN + pkt_n * bps];
	for (int i = 0; i < 3; i++) {
		sys_put_le16((uint16_t)s->acc[i], &p[2 * i]);
	}
	if (bps == 12) {
		for (int i = 0; i < 3; i++) {
			sys_put_le16((uint16_t)s->gyr[i], &p[6 + 2 * i]);
		}
	}
	pkt_t_last_us = t_us;
	pkt_n++;
	if (pkt_n >= max_samples()) {
		send_packet();
	}
}

/* --- Section 3: commands ------------------------------------------------------------------------------- */

static void restart_clock(void)
{
	uint32_t now = 0;

	imu_now(&now);
	tick_origin = now;
	seq = 0;
	next_packet_clock_reset = true;
}

static enum status validate(const struct command *cmd)
{
	if (cmd->len != 3) {
		return ST_INVALID_LENGTH;
	}
	uint8_t op = cmd->bytes[0], a0 = cmd->bytes[1], a1 = cmd->bytes[2];

	switch (op) {
	case OP_START:
	case OP_STOP:
	case OP_CLOCK_RESET:
	case OP_GET_CONFIG:
		return (a0 == 0 && a1 == 0) ? ST_SUCCESS : ST_INVALID_PARAMETER;
	case OP_SET_RATE:
		return (a1 == 0 && imu_supports(a0, cfg.acc, cfg.gyro)) ? ST_SUCCESS : ST_INVALID_PARAMETER;
	case OP_SET_RANGES:
		return imu_supports(cfg.rate, a0, a1) ? ST_SUCCESS : ST_INVALID_PARAMETER;
	default:
		return ST_UNKNOWN_OPCODE;
	}
}

static void stop_streaming(void)
{
	if (streaming) {
		send_packet();
		imu_stop();
		streaming = false;
	}
}

static enum status execute(const struct command *cmd)
{
	enum status st = validate(cmd);

	if (st != ST_SUCCESS) {
		return st;
	}
	switch (cmd->bytes[0]) {
	case OP_START:
		if (streaming) {
			return ST_SUCCESS;
		}
		if (!imu_ok) {
			return ST_SENSOR_FAULT;
		}
		if (battery_percent < 5) {
			return ST_BATTERY_LOW;
		}
		if (max_samples() < 1) {
			return ST_MTU_TOO_SMALL;
		}
		if (imu_start(cfg.rate, cfg.acc, cfg.gyro) != 0) {
			return ST_SENSOR_FAULT;
		}
		interval_ns_est = nominal_interval_ns[cfg.rate];
		pkt_n = 0;
		pkt_flags = 0;
		restart_clock();
		streaming = true;
		return ST_SUCCESS;
	case OP_STOP:
		stop_streaming();
		return ST_SUCCESS;
	case OP_SET_RATE:
		if (streaming) {
			return ST_BUSY_STREAMING;
		}
		cfg.rate = cmd->bytes[1];
		return ST_SUCCESS;
	case OP_SET_RANGES:
		if (streaming) {
			return ST_BUSY_STREAMING;
		}
		cfg.acc = cmd->bytes[1];
		cfg.gyro = cmd->bytes[2];
		return ST_SUCCESS;
	case OP_CLOCK_RESET:
		send_packet(); /* samples already taken keep the old clock */
		restart_clock();
		return ST_SUCCESS;
	default: /* OP_GET_CONFIG */
		return ST_SUCCESS;
	}
}

/* --- The stream thread --------------------------------------------------------------------------------- */

static void stream_thread(void *a, void *b, void *c)
{
	static struct imu_sample samples[128];
	struct command cmd;

	imu_ok = imu_init() == 0;
	if (!imu_ok) {
		LOG_ERR("IMU not found: START will reply SENSOR_FAULT");
	}
	for (;;) {
		while (k_msgq_get(&commands, &cmd, K_NO_WAIT) == 0) {
			uint8_t op = cmd.len >= 1 ? cmd.bytes[0] : 0;

			send_reply(op, execute(&cmd));
		}
		if (streaming && current_conn == NULL) {
			stop_streaming(); /* section 3: a disconnection stops streaming, the configuration stays */
		}
		if (streaming) {
			bool overrun = false;
			int n = imu_read(samples, ARRAY_SIZE(samples), &overrun);

			if (n < 0) {
				stop_streaming();
				send_reply(OP_NOTICE, ST_SENSOR_FAULT);
			}
			for (int i = 0; i < n; i++) {
				add_sample(&samples[i], overrun && i == 0);
			}
			if (pkt_n > 0 && sensor_now_us() - pkt_t_first_us >= FLUSH_AFTER_US) {
				send_packet();
			}
			if (battery_percent < 5) {
				stop_streaming();
				send_reply(OP_NOTICE, ST_BATTERY_LOW);
			}
		}
		k_msleep(10); /* the FIFO holds about 250 ms at 1666 Hz: 10 ms polling never overflows it */
	}
}

K_THREAD_DEFINE(stream_tid, 3072, stream_thread, NULL, NULL, NULL, 5, 0, 0);

/* --- Section 1: advertising; section 6: negotiation ---------------------------------------------------- */

static char name[20] = "AnkleIMU";
static const struct bt_data ad[] = {
	BT_DATA_BYTES(BT_DATA_FLAGS, (BT_LE_AD_GENERAL | BT_LE_AD_NO_BREDR)),
	BT_DATA_BYTES(BT_DATA_UUID128_ALL, ANKLE_UUID(0x0001)),
};
static struct bt_data sd[] = {
	BT_DATA(BT_DATA_NAME_COMPLETE, name, 8),
};

static void start_advertising(bool fast)
{
	/* Fast: 20-30 ms for 30 s after power-up or a disconnection; then 100-150 ms (section 1). */
	const struct bt_le_adv_param *param =
		fast ? BT_LE_ADV_PARAM(BT_LE_ADV_OPT_CONNECTABLE | BT_LE_ADV_OPT_ONE_TIME, 32, 48, NULL)
		     : BT_LE_ADV_PARAM(BT_LE_ADV_OPT_CONNECTABLE | BT_LE_ADV_OPT_ONE_TIME, 160, 240, NULL);

	bt_le_adv_stop();
	int err = bt_le_adv_start(param, ad, ARRAY_SIZE(ad), sd, ARRAY_SIZE(sd));

	if (err) {
		LOG_ERR("advertising failed (%d)", err);
	}
}

static void slow_advertising(struct k_work *work)
{
	if (current_conn == NULL) {
		start_advertising(false);
	}
}
static K_WORK_DELAYABLE_DEFINE(slow_adv_work, slow_advertising);

static void mtu_exchanged(struct bt_conn *conn, uint8_t err, struct bt_gatt_exchange_params *params)
{
	LOG_INF("MTU %u", bt_gatt_get_mtu(conn));
}
static struct bt_gatt_exchange_params mtu_params = {.func = mtu_exchanged};

static void connected(struct bt_conn *conn, uint8_t err)
{
	if (err) {
		return;
	}
	current_conn = bt_conn_ref(conn);
	k_work_cancel_delayable(&slow_adv_work);
	/* Section 6: ask for all of it at once; what is granted is read back where it matters (max_samples). */
	bt_gatt_exchange_mtu(conn, &mtu_params);
	bt_conn_le_data_len_update(conn, BT_LE_DATA_LEN_PARAM_MAX);
	bt_conn_le_phy_update(conn, BT_CONN_LE_PHY_PARAM_2M);
	bt_conn_le_param_update(conn, BT_LE_CONN_PARAM(6, 12, 0, 400));
}

static void disconnected(struct bt_conn *conn, uint8_t reason)
{
	LOG_INF("disconnected (0x%02x), %u packets not queued", reason, packets_dropped);
	if (current_conn) {
		bt_conn_unref(current_conn);
		current_conn = NULL;
	}
	data_notify_enabled = false;
	ctrl_indicate_enabled = false;
}

static void recycled(void)
{
	/* The connection object is free again: advertise fast so the app reconnects within a second. */
	start_advertising(true);
	k_work_schedule(&slow_adv_work, K_SECONDS(30));
}

BT_CONN_CB_DEFINE(conn_callbacks) = {
	.connected = connected,
	.disconnected = disconnected,
	.recycled = recycled,
};

/* --- Section 5: battery (board-specific measurement) --------------------------------------------------- */

static uint8_t measure_battery_percent(void)
{
	/* Board-specific: read the cell through the SAADC and map its voltage to a charge estimate. This
	 * sketch reports a full battery. */
	return 100;
}

static void battery_work_handler(struct k_work *work);
static K_WORK_DELAYABLE_DEFINE(battery_work, battery_work_handler);

static void battery_work_handler(struct k_work *work)
{
	uint8_t pct = measure_battery_percent();

	if (pct != battery_percent) {
		battery_percent = pct;
		bt_bas_set_battery_level(pct); /* notifies subscribed centrals */
	}
	k_work_schedule(&battery_work, K_SECONDS(60));
}

int main(void)
{
	bt_addr_le_t addrs[1];
	size_t count = 1;

	if (bt_enable(NULL) != 0) {
		LOG_ERR("Bluetooth init failed");
		return 0;
	}
	/* AnkleIMU-XXXX: the last four hex digits of the identity address (section 1). */
	bt_id_get(addrs, &count);
	snprintk(name, sizeof(name), "AnkleIMU-%02X%02X", addrs[0].a.val[1], addrs[0].a.val[0]);
	bt_set_name(name);
	sd[0].data_len = strlen(name);

	k_work_schedule(&battery_work, K_NO_WAIT);
	start_advertising(true);
	k_work_schedule(&slow_adv_work, K_SECONDS(30));
	return 0;
}
