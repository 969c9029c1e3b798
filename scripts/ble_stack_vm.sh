#!/usr/bin/env bash
# The real-stack BLE tier: boots Debian's stock kernel in QEMU (software emulation), with the host's root
# file system mounted read-only over 9p, and runs unmodified bleak on BlueZ (bluetoothd, the kernel's
# virtual HCI driver hci_vhci) against the emulated ankle sensor on a second bumble controller.
#
#   bash scripts/ble_stack_vm.sh OUT_DIR      # results in OUT_DIR/results.json, guest log in OUT_DIR/guest.log
#
# Needs the Debian packages qemu-system-x86 bluez dbus busybox-static kmod (scripts/setup.sh installs them
# as root) and the kernel of linux-image-amd64, which this script downloads once with apt-get and extracts
# (not installs) into $IMU_APP_BLE_CACHE (default ~/.cache/imu-app/ble-stack).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:?usage: ble_stack_vm.sh OUT_DIR}" && cd "$1" && pwd)
cache=${IMU_APP_BLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imu-app/ble-stack}
python=${PYTHON:-$repo/.venv/bin/python}
mem=${IMU_APP_BLE_MEM:-1024}

need() { command -v "$1" >/dev/null 2>&1 || { echo "ble_stack: $1 is missing: $2" >&2; exit 3; }; }
need qemu-system-x86_64 "install qemu-system-x86 (bash scripts/setup.sh as root)"
need busybox "install busybox-static (bash scripts/setup.sh as root)"
need depmod "install kmod (bash scripts/setup.sh as root)"
[ -x /usr/sbin/bluetoothd ] || [ -x /usr/libexec/bluetooth/bluetoothd ] || { echo "ble_stack: bluez is missing" >&2; exit 3; }
need dbus-daemon "install dbus (bash scripts/setup.sh as root)"
[ -x "$python" ] || { echo "ble_stack: no Python at $python (run scripts/setup.sh)" >&2; exit 3; }

# 1. The stock kernel and its modules, extracted once.
mkdir -p "$cache"
kroot=$cache/kernel
if [ ! -f "$kroot/.ready" ]; then
  tmp=$(mktemp -d)
  meta=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  [ -n "$meta" ] || { echo "ble_stack: apt-cache knows no linux-image-amd64 (run apt-get update)" >&2; exit 3; }
  (cd "$tmp" && apt-get download -q "$meta" >/dev/null 2>&1) \
    || { echo "ble_stack: could not download $meta with apt-get" >&2; exit 3; }
  rm -rf "$kroot" && mkdir -p "$kroot"
  dpkg-deb -x "$tmp"/*.deb "$kroot"
  rm -rf "$tmp"
  kver=$(ls "$kroot/lib/modules")
  depmod -b "$kroot" "$kver"
  touch "$kroot/.ready"
fi
kver=$(ls "$kroot/lib/modules")
vmlinuz=$kroot/boot/vmlinuz-$kver

# 2. The initramfs: busybox, the modules for virtio and 9p, and an init that mounts the host and chroots.
initrd=$cache/initrd-$kver.cpio.gz
if [ ! -f "$initrd" ] || [ "$0" -nt "$initrd" ]; then
  stage=$(mktemp -d)
  mkdir -p "$stage"/{bin,proc,sys,dev,host,mod}
  cp "$(command -v busybox)" "$stage/bin/busybox"
  for m in virtio_pci 9pnet_virtio 9p; do
    modprobe -d "$kroot" -S "$kver" --show-depends "$m" | awk '$1=="insmod"{print $2}'
  done | awk '!seen[$0]++' > "$stage/mod/order.full"
  : > "$stage/mod/order"
  while read -r ko; do cp "$ko" "$stage/mod/"; basename "$ko" >> "$stage/mod/order"; done < "$stage/mod/order.full"
  cat > "$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for ko in $(cat /mod/order); do insmod /mod/$ko 2>/dev/null; done
mount -t 9p -o trans=virtio,version=9p2000.L,cache=loose,ro,msize=512000 hostroot /host || { echo "9p mount failed"; poweroff -f; }
set -- $(cat /proc/cmdline)
for a; do case $a in imu.out=*) OUT=${a#imu.out=};; imu.guest=*) GUEST=${a#imu.guest=};; esac; done
mount -t proc proc /host/proc || echo "imu: proc mount failed"
mount -t sysfs sys /host/sys || echo "imu: sysfs mount failed"
mount -t devtmpfs dev /host/dev || echo "imu: dev mount failed"
# Writable places for the guest's daemons. /tmp and /var/tmp stay the host's (read-only): a checkout may
# live there; the guest's own files go to /run/imu.
for d in /run /var/lib/bluetooth; do mount -t tmpfs tmpfs "/host$d" 2>/dev/null; done
mkdir -p "/host$OUT" 2>/dev/null
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out "/host$OUT" || { echo "out mount failed"; poweroff -f; }
exec chroot /host /bin/sh "$GUEST"
INIT
  chmod +x "$stage/init"
  (cd "$stage" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$initrd"
  rm -rf "$stage"
fi

# 3. The guest's script, with this run's paths.
guest=$out/guest.sh
cat > "$guest" <<GUEST
#!/bin/sh
# Runs as init's child in the guest, chrooted into the host's (read-only) root.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/run/imu TMPDIR=/run/imu
mkdir -p /run/imu
exec > "$out/guest.log" 2>&1
# The kernel loads the modules it asks for itself (the crypto self-test of ECDH, which the Bluetooth core
# loads, needs the random number generator; SMP needs CMAC) with the program named in
# /proc/sys/kernel/modprobe, run in init's root, which is the host's since init's chroot: a wrapper on
# the tmpfs /run that runs modprobe on the extracted kernel. Without it the self-test fails, the kernel
# reports "Unable to create CMAC crypto context" and LE pairing is disabled.
printf '#!/bin/sh\nexec /sbin/modprobe -d %s "\$@"\n' "$kroot" > /run/imu/modprobe
chmod +x /run/imu/modprobe
echo /run/imu/modprobe > /proc/sys/kernel/modprobe
/sbin/modprobe -d "$kroot" hci_vhci
# bluetoothd drops notifications when its socket overflows: give it room.
echo 8388608 > /proc/sys/net/core/rmem_max; echo 8388608 > /proc/sys/net/core/rmem_default
mkdir -p /run/dbus; dbus-daemon --system --fork --nopidfile
bt=/usr/libexec/bluetooth/bluetoothd; [ -x \$bt ] || bt=/usr/sbin/bluetoothd
\$bt -n > /run/imu/bluetoothd.log 2>&1 &
# IMU_APP_BLE_TRACE=1: the HCI traffic between the kernel and its controller, for btmon -r.
[ "${IMU_APP_BLE_TRACE:-0}" = 1 ] && btmon -w "$out/hci.btsnoop" > /dev/null 2>&1 &
cd "$repo" && PYTHONPATH="$repo" "$python" -m tests.ble_stack.runner --out "$out"
echo "runner exit \$?"
cp /run/imu/bluetoothd.log "$out/bluetoothd.log" 2>/dev/null
dmesg > "$out/dmesg.log" 2>/dev/null
sync; poweroff -f
GUEST
chmod +x "$guest"

start=$(date +%s%N)
accel=tcg
timeout "${IMU_APP_BLE_TIMEOUT:-540}" qemu-system-x86_64 -machine q35,accel=$accel -cpu max -smp 2 -m "$mem" \
  -kernel "$vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 imu.out=$out imu.guest=$guest" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$out",mount_tag=out,security_model=none \
  -nographic -no-reboot -nic none > "$out/console.log" 2>&1 || true
end=$(date +%s%N)
echo "{\"vm_wall_s\": $(( (end - start) / 1000000 ))e-3}" > "$out/vm.json"
[ -f "$out/results.json" ] || { echo "ble_stack: the guest wrote no results; see $out/console.log and $out/guest.log" >&2; exit 1; }
echo "ble_stack: results in $out/results.json"
